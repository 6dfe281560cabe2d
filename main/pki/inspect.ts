import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { EKU_NAMES } from './x509-parse.js';

/** What the admin UI shows about a certificate. Derived from the certificate only: never any key material. */
export interface CertificateInfo {
  subject: string;
  commonName: string | null;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  dnsNames: string[];
  ipAddresses: string[];
  keyUsage: string[];
  keyUsageCritical: boolean;
  extendedKeyUsage: string[];
  fingerprintSha256: string;
  isCA: boolean;
  pathLength: number | null;
  selfSigned: boolean;
  publicKey: { type: string; bits: number | null; curve: string | null };
}


const KU_BITS = [
  'digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment',
  'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly',
] as const;

interface ParsedExt {
  id: string; name?: string; critical: boolean; value: string;
  altNames?: Array<{ type: number; value: string; ip?: string }>;
  [bit: string]: unknown;
}

/**
 * Extensions via node-forge's ASN.1 layer rather than certificateFromPem,
 * which throws for any non-RSA public key; admins may upload EC certificates.
 * (Node 20's X509Certificate.keyUsage returns EKU OIDs, not keyUsage bits.)
 */
function extensionsOf(der: Buffer): ParsedExt[] {
  const asn = forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')));
  const tbs = (asn.value as forge.asn1.Asn1[])[0];
  const parts = (tbs?.value ?? []) as forge.asn1.Asn1[];
  const wrapper = parts.find((p) => p.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && p.type === 3);
  if (!wrapper) return [];
  const fromAsn1 = (forge.pki as unknown as { certificateExtensionsFromAsn1(a: forge.asn1.Asn1): ParsedExt[] })
    .certificateExtensionsFromAsn1;
  return fromAsn1(wrapper);
}

export function inspectCertificate(pem: string): CertificateInfo {
  let x: X509Certificate;
  try {
    x = new X509Certificate(pem);
  } catch (e) {
    throw new Error(`Not a readable X.509 certificate: ${(e as Error).message}`);
  }
  const exts = extensionsOf(x.raw);
  const byName = (n: string) => exts.find((e) => e.name === n);

  const ku = byName('keyUsage');
  const keyUsage = ku ? KU_BITS.filter((b) => ku[b] === true) : [];

  const eku = byName('extKeyUsage');
  const extendedKeyUsage = eku
    ? ((forge.asn1.fromDer(eku.value).value as forge.asn1.Asn1[]).map((o) => {
        const oid = forge.asn1.derToOid(o.value as string);
        return EKU_NAMES[oid] ?? oid;
      }))
    : [];

  const san = byName('subjectAltName')?.altNames ?? [];
  const bc = byName('basicConstraints');
  const details = x.publicKey.asymmetricKeyDetails ?? {};
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(x.subject)?.[1] ?? null;

  return {
    subject: x.subject,
    commonName: cn,
    issuer: x.issuer,
    serialNumber: x.serialNumber.toUpperCase(),
    notBefore: new Date(x.validFrom).toISOString(),
    notAfter: new Date(x.validTo).toISOString(),
    dnsNames: san.filter((a) => a.type === 2).map((a) => a.value),
    ipAddresses: san.filter((a) => a.type === 7 && a.ip).map((a) => a.ip as string),
    keyUsage,
    keyUsageCritical: ku?.critical ?? false,
    extendedKeyUsage,
    fingerprintSha256: x.fingerprint256.replace(/:/g, '').toLowerCase(),
    isCA: x.ca,
    pathLength: bc && typeof bc.pathLenConstraint === 'number' ? bc.pathLenConstraint : null,
    selfSigned: x.checkIssued(x) && x.verify(x.publicKey),
    publicKey: {
      type: x.publicKey.asymmetricKeyType ?? 'unknown',
      bits: details.modulusLength ?? null,
      curve: details.namedCurve ?? null,
    },
  };
}
