import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

/**
 * Key choice: RSA everywhere. RSA-2048+ is what old KMIP clients (vSphere 6.x,
 * tape libraries, older DSM) are known to accept, and node-forge, which does our
 * X.509 encoding, can only sign with RSA. 3072 bits gives ~128-bit security
 * (NIST SP 800-57) with headroom past 2030; keys come from Node's crypto, which
 * is several times faster than forge's pure-JS generator.
 */
export const CA_RSA_BITS = 3072;
export type RsaBits = 2048 | 3072 | 4096;

export interface CaMaterial {
  certPem: string;
  /** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
  keyPem: string;
}

export interface CreateCaOptions {
  commonName: string;
  validityDays?: number;
}

const genKeyPair = promisify(generateKeyPair);

export async function generateRsaKey(bits: RsaBits): Promise<{ publicKeyPem: string; privateKeyPem: string }> {
  const { publicKey, privateKey } = await genKeyPair('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
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

export function checkValidityDays(days: number, what: string): number {
  if (!Number.isInteger(days) || days < 1 || days > 36500) {
    throw new Error(`${what} validity must be a whole number of days between 1 and 36500, got ${days}`);
  }
  return days;
}

/** Printable ASCII only: forge re-encodes parsed names naively, so non-ASCII would break issuer matching. */
export function checkCommonName(cn: string, what: string): string {
  if (typeof cn !== 'string' || cn.length < 1 || cn.length > 64 || !/^[\x20-\x7e]+$/.test(cn) || cn.trim() !== cn) {
    throw new Error(`${what} common name must be 1-64 printable ASCII characters without leading/trailing spaces`);
  }
  return cn;
}

/** UTF8String, because PrintableString cannot hold '_' and some client names do. */
export function cnAttrs(cn: string): forge.pki.CertificateField[] {
  return [{ name: 'commonName', value: cn, valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class }];
}

/** Back-dated 5 minutes so a client whose clock runs slightly behind still accepts a fresh certificate. */
export function validityWindow(days: number, now = Date.now()): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now - 5 * 60_000), notAfter: new Date(now + days * 86_400_000) };
}

export async function createCa(opts: CreateCaOptions): Promise<CaMaterial> {
  const cn = checkCommonName(opts.commonName, 'CA');
  const days = checkValidityDays(opts.validityDays ?? 3650, 'CA');
  const { publicKeyPem, privateKeyPem } = await generateRsaKey(CA_RSA_BITS);

  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  cert.serialNumber = randomSerialHex();
  const { notBefore, notAfter } = validityWindow(days);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  cert.setSubject(cnAttrs(cn));
  cert.setIssuer(cnAttrs(cn));
  cert.setExtensions([
    // pathlen 0: this CA signs leaf certificates only, never another CA.
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privateKeyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: privateKeyPem };
}
