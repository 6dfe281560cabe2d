// The attributes a server derives from an X.509 certificate when it is
// registered (1.4 §3.8–3.16, 2.1 §4.5–4.7 and the Certificate Attributes of
// 2.1 §4.6): Certificate Type and Length, X.509 Certificate Identifier /
// Subject / Issuer (raw DER Names, as TC-CERTATTR-1-14/-20 show them), the 1.x
// Certificate Identifier / Subject / Issuer (RFC 2253 text), one Certificate
// Subject / Issuer attribute per DN field, Digital Signature Algorithm, the
// algorithm and length of the certified key, and the Digest of the
// certificate. Each version shows the ones it defines (managed.ts filters).
import { createHash, type X509Certificate } from 'node:crypto';
import type { Attribute, AttributeValue } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import { KmipOperationError } from '../errors.js';
import { keyInfo } from './asymmetric.js';
import { children, DER, DerError, expectAt, oidText, readTlv, type Tlv } from './der.js';

const DSA = Enum.DigitalSignatureAlgorithm;

/** Signature algorithm OID → Digital Signature Algorithm (2.1 §11.16). */
const SIGNATURE_ALGORITHMS: ReadonlyMap<string, number> = new Map([
  ['1.2.840.113549.1.1.2', DSA.MD2WithRSAEncryption],
  ['1.2.840.113549.1.1.4', DSA.MD5WithRSAEncryption],
  ['1.2.840.113549.1.1.5', DSA.SHA_1WithRSAEncryption],
  ['1.2.840.113549.1.1.14', DSA.SHA_224WithRSAEncryption],
  ['1.2.840.113549.1.1.11', DSA.SHA_256WithRSAEncryption],
  ['1.2.840.113549.1.1.12', DSA.SHA_384WithRSAEncryption],
  ['1.2.840.113549.1.1.13', DSA.SHA_512WithRSAEncryption],
  ['1.2.840.113549.1.1.10', DSA.RSASSA_PSS],
  ['1.2.840.10040.4.3', DSA.DSAWithSHA_1],
  ['2.16.840.1.101.3.4.3.1', DSA.DSAWithSHA224],
  ['2.16.840.1.101.3.4.3.2', DSA.DSAWithSHA256],
  ['1.2.840.10045.4.1', DSA.ECDSAWithSHA_1],
  ['1.2.840.10045.4.3.1', DSA.ECDSAWithSHA224],
  ['1.2.840.10045.4.3.2', DSA.ECDSAWithSHA256],
  ['1.2.840.10045.4.3.3', DSA.ECDSAWithSHA384],
  ['1.2.840.10045.4.3.4', DSA.ECDSAWithSHA512],
]);

/** DN attribute OID → RFC 2253 short name and the KMIP Certificate Subject/Issuer field (2.1 §4.6). */
const DN_FIELDS: ReadonlyMap<string, { short: string; field?: string }> = new Map([
  ['2.5.4.3', { short: 'CN', field: 'CN' }],
  ['2.5.4.10', { short: 'O', field: 'O' }],
  ['2.5.4.11', { short: 'OU', field: 'OU' }],
  ['1.2.840.113549.1.9.1', { short: 'emailAddress', field: 'Email' }],
  ['2.5.4.6', { short: 'C', field: 'C' }],
  ['2.5.4.8', { short: 'ST', field: 'ST' }],
  ['2.5.4.7', { short: 'L', field: 'L' }],
  ['0.9.2342.19200300.100.1.1', { short: 'UID', field: 'UID' }],
  ['2.5.4.5', { short: 'serialNumber', field: 'SerialNumber' }],
  ['2.5.4.12', { short: 'title', field: 'Title' }],
  ['0.9.2342.19200300.100.1.25', { short: 'DC', field: 'DC' }],
  ['2.5.4.46', { short: 'dnQualifier', field: 'DNQualifier' }],
  ['2.5.4.9', { short: 'STREET' }],
]);

interface DnPart {
  oid: string;
  value: string;
  /** The AttributeValue element, for the #hex form of unknown types. */
  raw: Uint8Array;
}

function text(t: Tlv): string {
  switch (t.tag) {
    case 0x0c: // UTF8String
      return Buffer.from(t.content).toString('utf8');
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // TeletexString: treated as Latin-1, as most software does
      return Buffer.from(t.content).toString('latin1');
    case 0x1e: // BMPString: UTF-16 big-endian
      return Buffer.from(t.content).swap16().toString('utf16le');
    default:
      throw new DerError('unsupported string type');
  }
}

/** The RDNs of a Name, each a list of type/value pairs. */
function rdns(name: Tlv): DnPart[][] {
  return children(name.content).map((set) =>
    children(set.content).map((atv) => {
      const [type, value] = children(atv.content);
      if (type?.tag !== DER.OID || value === undefined) throw new DerError('malformed AttributeTypeAndValue');
      let v: string;
      try {
        v = text(value);
      } catch {
        v = '#' + Buffer.from(value.raw).toString('hex');
      }
      return { oid: oidText(type.content), value: v, raw: value.raw };
    }),
  );
}

/** RFC 2253 escaping of one attribute value. */
function escape(v: string): string {
  if (v.startsWith('#') && /^#[0-9a-f]+$/.test(v)) return v;
  return v.replace(/[,+"\\<>;]/g, (c) => '\\' + c).replace(/^[ #]/, (c) => '\\' + c).replace(/ $/, '\\ ');
}

/** The RFC 2253 string of a Name: the last RDN first, as OpenSSL's RFC 2253 output and the 1.4 vectors show it. */
function dnString(parts: DnPart[][]): string {
  return [...parts]
    .reverse()
    .map((rdn) => rdn.map((p) => `${DN_FIELDS.get(p.oid)?.short ?? p.oid}=${escape(p.value)}`).join('+'))
    .join(',');
}

interface Parsed {
  serial: Tlv;
  issuer: Tlv;
  subject: Tlv;
  signatureOid: string;
  extensions: Map<string, Uint8Array>;
}

/** The fields of the certificate's DER that X509Certificate only offers as text. */
function parse(der: Uint8Array): Parsed {
  const cert = children(readTlv(der).content);
  const tbs = children(expectAt(cert, 0, DER.SEQUENCE, 'tbsCertificate').content);
  const sigAlg = children(expectAt(cert, 1, DER.SEQUENCE, 'signatureAlgorithm').content);
  const signatureOid = oidText(expectAt(sigAlg, 0, DER.OID, 'signature algorithm').content);
  const at = tbs[0]?.tag === 0xa0 ? 1 : 0; // [0] version is optional (v1 certificates omit it)
  const serial = expectAt(tbs, at, DER.INTEGER, 'serialNumber');
  const issuer = expectAt(tbs, at + 2, DER.SEQUENCE, 'issuer');
  const subject = expectAt(tbs, at + 4, DER.SEQUENCE, 'subject');
  const extensions = new Map<string, Uint8Array>();
  const ext = tbs.find((t) => t.tag === 0xa3);
  if (ext !== undefined) {
    for (const e of children(expectAt(children(ext.content), 0, DER.SEQUENCE, 'extensions').content)) {
      const f = children(e.content);
      const value = f[f.length - 1];
      if (f[0]?.tag === DER.OID && value?.tag === DER.OCTET_STRING) extensions.set(oidText(f[0].content), value.content);
    }
  }
  return { serial, issuer, subject, signatureOid, extensions };
}

/** X509Certificate.issuerAltName exists at run time (Node 15.6+) but not in @types/node. */
function issuerAltName(cert: X509Certificate): string | undefined {
  const v = (cert as unknown as { issuerAltName?: unknown }).issuerAltName;
  return typeof v === 'string' ? v : undefined;
}

const SAN = '2.5.29.17';
const IAN = '2.5.29.18';

const structure = (value: TtlvItem[]): AttributeValue => ({ type: 'Structure', value });
const textValue = (value: string): AttributeValue => ({ type: 'TextString', value });

/** Every attribute the server sets from the certificate (`cert` is its parsed form, `der` its Certificate Value). */
export function certificateAttributes(cert: X509Certificate, der: Uint8Array): Attribute[] {
  let p: Parsed;
  let issuer: DnPart[][];
  let subject: DnPart[][];
  try {
    p = parse(der);
    issuer = rdns(p.issuer);
    subject = rdns(p.subject);
  } catch (e) {
    if (e instanceof DerError) throw new KmipOperationError('InvalidField', `the Certificate Value cannot be read: ${e.message}`);
    throw e;
  }
  const serialHex = Buffer.from(p.serial.content).toString('hex').replace(/^00(?=[89a-f])/, '');
  const out: Attribute[] = [
    { name: 'CertificateType', value: { type: 'Enumeration', value: Enum.CertificateType.X_509 } },
    { name: 'CertificateLength', value: { type: 'Integer', value: der.length } },
    {
      name: 'X_509CertificateIdentifier',
      // The serial number as its DER INTEGER element, as TC-CERTATTR-1-14 and -1-20 show it.
      value: structure([item(Tag.IssuerDistinguishedName, 'ByteString', p.issuer.raw), item(Tag.CertificateSerialNumber, 'ByteString', p.serial.raw)]),
    },
    {
      name: 'X_509CertificateSubject',
      value: structure([
        item(Tag.SubjectDistinguishedName, 'ByteString', p.subject.raw),
        ...(p.extensions.has(SAN) ? [item(Tag.SubjectAlternativeName, 'ByteString', p.extensions.get(SAN)!)] : []),
      ]),
    },
    {
      name: 'X_509CertificateIssuer',
      value: structure([
        item(Tag.IssuerDistinguishedName, 'ByteString', p.issuer.raw),
        ...(p.extensions.has(IAN) ? [item(Tag.IssuerAlternativeName, 'ByteString', p.extensions.get(IAN)!)] : []),
      ]),
    },
    // KMIP 1.0's text forms (deprecated in 1.1, gone in 2.0; 1.x clients still read them, TC-CERTATTR-1-14).
    { name: 'CertificateIdentifier', value: structure([item(Tag.Issuer, 'TextString', dnString(issuer)), item(Tag.SerialNumber, 'TextString', serialHex)]) },
    {
      name: 'CertificateSubject',
      value: structure([
        item(Tag.CertificateSubjectDistinguishedName, 'TextString', dnString(subject)),
        ...(cert.subjectAltName !== undefined ? [item(Tag.CertificateSubjectAlternativeName, 'TextString', cert.subjectAltName)] : []),
      ]),
    },
    {
      name: 'CertificateIssuer',
      value: structure([
        item(Tag.CertificateIssuerDistinguishedName, 'TextString', dnString(issuer)),
        ...(issuerAltName(cert) !== undefined ? [item(Tag.CertificateIssuerAlternativeName, 'TextString', issuerAltName(cert)!)] : []),
      ]),
    },
  ];
  for (const [who, parts] of [['Subject', subject], ['Issuer', issuer]] as const) {
    for (const part of parts.flat()) {
      const f = DN_FIELDS.get(part.oid)?.field;
      if (f !== undefined) out.push({ name: `Certificate${who}${f}`, value: textValue(part.value) });
    }
  }
  const sig = SIGNATURE_ALGORITHMS.get(p.signatureOid);
  if (sig !== undefined) out.push({ name: 'DigitalSignatureAlgorithm', value: { type: 'Enumeration', value: sig } });
  try {
    // publicKey throws for a key type node:crypto cannot load; keyInfo for one KMIP has no algorithm here.
    const info = keyInfo(cert.publicKey);
    out.push(
      { name: 'CryptographicAlgorithm', value: { type: 'Enumeration', value: info.algorithm } },
      { name: 'CryptographicLength', value: { type: 'Integer', value: info.length } },
    );
  } catch (e) {
    // Such a certificate (e.g. Ed25519, GOST) still registers, only without the algorithm attributes.
    if (!(e instanceof Error)) throw e;
  }
  out.push({
    name: 'Digest',
    value: structure([
      item(Tag.HashingAlgorithm, 'Enumeration', Enum.HashingAlgorithm.SHA_256),
      item(Tag.DigestValue, 'ByteString', new Uint8Array(createHash('sha256').update(der).digest())),
      // TC-CERTATTR-1-14 / -1-20 give the certificate's digest the Raw format.
      item(Tag.KeyFormatType, 'Enumeration', Enum.KeyFormatType.Raw),
    ]),
  });
  return out;
}
