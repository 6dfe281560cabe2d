import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { bytesOf, childrenOf, fromDer, oidOf, pemToDer, rawChildren, readTlv } from './der.js';

/**
 * The parts of a certificate the checks and the issuing code need, read with
 * forge's ASN.1 layer (forge's certificateFromPem throws on any non-RSA key).
 * Node's X509Certificate does the cryptography (verify, checkIssued,
 * checkPrivateKey); this fills in what Node 20 does not expose.
 */
export interface ParsedCertificate {
  der: Buffer;
  x509: X509Certificate;
  /** 1, 2 or 3. */
  version: number;
  signatureOid: string;
  /** DER of the subject Name, for use as the issuer of certificates this one signs. */
  subjectName: Buffer;
  spki: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** null when the extension is absent (which RFC 5280 reads as "any"). */
  keyUsage: string[] | null;
  extKeyUsage: string[] | null;
  basicConstraints: { ca: boolean; pathLength: number | null } | null;
  /** null when there is no subjectAltName extension. */
  san: { dns: string[]; ips: Buffer[] } | null;
  subjectKeyId: Buffer | null;
}

const KU_BITS = [
  'digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment',
  'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly',
] as const;

export const EKU_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
};

interface ForgeExt { id: string; name?: string; value: string; altNames?: Array<{ type: number; value: string }>; [k: string]: unknown }

function timeOf(der: Buffer): Date {
  const t = readTlv(der);
  const s = der.subarray(t.contentStart, t.end).toString('latin1');
  return t.tag === 0x17 ? forge.asn1.utcTimeToDate(s) : forge.asn1.generalizedTimeToDate(s);
}

export function parseCertificate(pemOrDer: string | Buffer): ParsedCertificate {
  const der = typeof pemOrDer === 'string' ? pemToDer(pemOrDer, ['CERTIFICATE'], 'a PEM certificate') : pemOrDer;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch {
    throw new Error('Not a readable X.509 certificate');
  }
  const [tbs, sigAlg] = rawChildren(der);
  if (!tbs || !sigAlg) throw new Error('Not a readable X.509 certificate');
  let parts = rawChildren(tbs);
  let version = 1;
  if (parts[0]?.[0] === 0xa0) {
    version = forge.asn1.derToInteger(bytesOf(childrenOf(fromDer(parts[0]))[0]).toString('binary')) + 1;
    parts = parts.slice(1);
  }
  // serial, signature, issuer, validity, subject, spki, then optional [1] [2] [3]
  const [, , , validity, subjectName, spki, ...rest] = parts;
  if (!validity || !subjectName || !spki) throw new Error('Not a readable X.509 certificate');
  const [nb, na] = rawChildren(validity);
  const extWrapper = rest.find((p) => p[0] === 0xa3);
  const exts: ForgeExt[] = extWrapper
    ? (forge.pki as unknown as { certificateExtensionsFromAsn1(a: unknown): ForgeExt[] })
      .certificateExtensionsFromAsn1(forge.asn1.fromDer(extWrapper.toString('binary')))
    : [];
  const ext = (name: string) => exts.find((e) => e.name === name);

  const ku = ext('keyUsage');
  const eku = ext('extKeyUsage');
  const bc = ext('basicConstraints');
  const sanExt = ext('subjectAltName');
  const ski = ext('subjectKeyIdentifier');
  return {
    der,
    x509,
    version,
    signatureOid: oidOf(childrenOf(fromDer(sigAlg))[0]),
    subjectName,
    spki,
    notBefore: timeOf(nb ?? Buffer.alloc(0)),
    notAfter: timeOf(na ?? Buffer.alloc(0)),
    keyUsage: ku ? KU_BITS.filter((b) => ku[b] === true) : null,
    extKeyUsage: eku
      ? childrenOf(forge.asn1.fromDer(eku.value)).map((o) => {
        const oid = forge.asn1.derToOid(o.value as string);
        return EKU_NAMES[oid] ?? oid;
      })
      : null,
    basicConstraints: bc
      ? { ca: bc.cA === true, pathLength: typeof bc.pathLenConstraint === 'number' ? bc.pathLenConstraint : null }
      : null,
    san: sanExt
      ? {
        dns: (sanExt.altNames ?? []).filter((a) => a.type === 2).map((a) => a.value),
        ips: (sanExt.altNames ?? []).filter((a) => a.type === 7).map((a) => Buffer.from(a.value, 'binary')),
      }
      : null,
    subjectKeyId: ski ? Buffer.from(forge.asn1.fromDer(ski.value).value as string, 'binary') : null,
  };
}
