import { createHash, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { asn, derToPem, rawChildren, readTlv, toDer, type Asn1 } from './der.js';
import { ipBytes } from './names.js';
import { publicKeyDer, type SignatureHash } from './keys.js';
import { algorithmIdentifier, signDer } from './sig-algs.js';

/**
 * A small X.509 builder: node-forge encodes the structure (ASN.1, names,
 * extensions) and Node's crypto signs. forge's own Certificate object can
 * neither hold an EC public key nor sign with an EC key, so the
 * TBSCertificate is assembled here with the subject's SubjectPublicKeyInfo
 * copied as DER, whatever its algorithm.
 */

export type KeyUsageBit =
  | 'digitalSignature' | 'nonRepudiation' | 'keyEncipherment' | 'dataEncipherment'
  | 'keyAgreement' | 'keyCertSign' | 'cRLSign';

export interface CertificateSpec {
  /** DER Name; see nameDer(). */
  subjectName: Buffer;
  /** DER Name of the issuer, copied from the issuer certificate's subject so that chains match byte for byte. */
  issuerName: Buffer;
  /** The subject's public key, or its SubjectPublicKeyInfo DER (e.g. taken from a CSR). */
  subjectPublicKey: KeyObject | Buffer;
  issuerKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  /** Hex, positive; a random 128-bit serial when absent. */
  serialHex?: string;
  /** Emitted critical, as RFC 5280 requires for CAs and as our leaves always did. */
  basicConstraints?: { ca: boolean; pathLength?: number };
  /** Emitted critical. */
  keyUsage?: KeyUsageBit[];
  extKeyUsage?: Array<'serverAuth' | 'clientAuth'>;
  dnsNames?: string[];
  ipAddresses?: string[];
  /** The issuer's subject key identifier; omitted for self-signed certificates. */
  authorityKeyId?: Buffer;
  /** 3 unless a test needs a v1 certificate (no extensions at all). */
  version?: 1 | 3;
  /** Overrides the hash chosen from the issuer key (tests build SHA-1 certificates with it). */
  hash?: SignatureHash;
}

/**
 * A random positive serial of exactly 16 bytes: top bit cleared (DER INTEGERs
 * are signed) and the next one set so the encoding is minimal and always 16
 * bytes long; 126 random bits, well above the 64 that CA/B rules ask for.
 */
export function randomSerialHex(): string {
  const b = randomBytes(16);
  b[0] = ((b[0] ?? 0) & 0x7f) | 0x40;
  return b.toString('hex');
}

/** A Name holding one commonName as UTF8String (PrintableString cannot hold '_', and client names may). */
export function nameDer(commonName: string): Buffer {
  return toDer(forge.pki.distinguishedNameToAsn1({
    attributes: [{ type: '2.5.4.3', value: commonName, valueTagClass: forge.asn1.Type.UTF8 } as unknown as forge.pki.CertificateField],
  }));
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits (an identifier, not a security function). */
export function keyIdentifier(spkiDer: Buffer): Buffer {
  const bitString = rawChildren(spkiDer)[1];
  if (!bitString) throw new Error('malformed SubjectPublicKeyInfo');
  const t = readTlv(bitString);
  return createHash('sha1').update(bitString.subarray(t.contentStart + 1, t.end)).digest();
}

/** Extensions (forge's object form: { name, critical?, …flags }) as DER Extension SEQUENCEs; forge fills each value from the flags. */
export function encodeExtensions(exts: object[]): Asn1[] {
  const holder = forge.pki.createCertificate();
  holder.setExtensions(exts);
  const one = (forge.pki as unknown as { certificateExtensionToAsn1(e: unknown): Asn1 }).certificateExtensionToAsn1;
  return (holder.extensions as unknown[]).map((e) => one(e));
}

export function subjectAltNameExtension(dns: string[], ips: string[]): object {
  const ipValues = ips.map((ip) => {
    const b = ipBytes(ip);
    if (!b) throw new Error(`Invalid IP address for a certificate: ${JSON.stringify(ip)}`);
    return { type: 7, value: b.toString('binary') }; // our own parser: forge's misreads "::ffff:192.0.2.1"
  });
  return { name: 'subjectAltName', altNames: [...dns.map((value) => ({ type: 2, value })), ...ipValues] };
}

function extensionsAsn1(spec: CertificateSpec, spki: Buffer): Asn1 {
  const exts: object[] = [];
  if (spec.basicConstraints) {
    const { ca, pathLength } = spec.basicConstraints;
    exts.push({ name: 'basicConstraints', cA: ca, ...(pathLength === undefined ? {} : { pathLenConstraint: pathLength }), critical: true });
  }
  if (spec.keyUsage?.length) {
    exts.push({ name: 'keyUsage', critical: true, ...Object.fromEntries(spec.keyUsage.map((b) => [b, true])) });
  }
  if (spec.extKeyUsage?.length) exts.push({ name: 'extKeyUsage', ...Object.fromEntries(spec.extKeyUsage.map((u) => [u, true])) });
  const dns = spec.dnsNames ?? [];
  const ips = spec.ipAddresses ?? [];
  if (dns.length || ips.length) exts.push(subjectAltNameExtension(dns, ips));
  // Values given directly: forge would derive them from an RSA-only key object.
  exts.push({ name: 'subjectKeyIdentifier', value: asn.octets(keyIdentifier(spki)) });
  if (spec.authorityKeyId) {
    exts.push({ name: 'authorityKeyIdentifier', value: asn.seq([implicitOctets(0, spec.authorityKeyId)]) });
  }
  return asn.explicit(3, [asn.seq(encodeExtensions(exts))]);
}

/** [n] IMPLICIT OCTET STRING, as keyIdentifier in AuthorityKeyIdentifier. */
function implicitOctets(n: number, b: Buffer): Asn1 {
  return forge.asn1.create(forge.asn1.Class.CONTEXT_SPECIFIC, n as forge.asn1.Type, false, b.toString('binary'));
}

/** Builds and signs a certificate; returns PEM. */
export function buildCertificate(spec: CertificateSpec): string {
  const spki = Buffer.isBuffer(spec.subjectPublicKey) ? spec.subjectPublicKey : publicKeyDer(spec.subjectPublicKey);
  createPublicKey({ key: spki, format: 'der', type: 'spki' }); // refuses a malformed key before anything is signed
  if (!(spec.notBefore < spec.notAfter)) throw new Error('A certificate must start before it ends');
  const sigAlg = algorithmIdentifier(spec.issuerKey, spec.hash);
  const v3 = (spec.version ?? 3) === 3;
  const tbs = asn.seq([
    ...(v3 ? [asn.explicit(0, [asn.int(2)])] : []), // v1 is the DEFAULT, so it is omitted (DER)
    asn.uint(Buffer.from(spec.serialHex ?? randomSerialHex(), 'hex')),
    sigAlg,
    asn.raw(spec.issuerName),
    asn.seq([asn.time(spec.notBefore), asn.time(spec.notAfter)]),
    asn.raw(spec.subjectName),
    asn.raw(spki),
    ...(v3 ? [extensionsAsn1(spec, spki)] : []),
  ]);
  const tbsDer = toDer(tbs);
  const signature = signDer(tbsDer, spec.issuerKey, spec.hash);
  const cert = asn.seq([asn.raw(tbsDer), sigAlg, asn.bits(signature)]);
  return derToPem(toDer(cert), 'CERTIFICATE');
}
