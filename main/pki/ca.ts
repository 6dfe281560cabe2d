import { createPrivateKey } from 'node:crypto';
import forge from 'node-forge';
import { checkKeySpec, generateKey, type KeySpec } from './keys.js';
import { buildCertificate, nameDer } from './x509-builder.js';

export { randomSerialHex } from './x509-builder.js';

/**
 * Key choice: RSA by default. RSA-2048+ is what old KMIP clients (vSphere 6.x,
 * tape libraries, older DSM) are known to accept. 3072 bits gives ~128-bit
 * security (NIST SP 800-57) with headroom past 2030; keys come from Node's
 * crypto, which is several times faster than forge's pure-JS generator. An EC
 * CA (P-384, or P-256) is available for sites whose clients all speak ECDSA.
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
  /** Default RSA-3072. */
  key?: KeySpec;
  validityDays?: number;
}

/** Kept for existing callers; generateKey() covers EC too. */
export async function generateRsaKey(bits: RsaBits): Promise<{ publicKeyPem: string; privateKeyPem: string }> {
  return generateKey({ type: 'rsa', bits });
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
  const spec = checkKeySpec(opts.key ?? { type: 'rsa', bits: CA_RSA_BITS });
  const { privateKeyPem } = await generateKey(spec);
  const key = createPrivateKey(privateKeyPem);
  const name = nameDer(cn);
  const certPem = buildCertificate({
    subjectName: name,
    issuerName: name,
    subjectPublicKey: key,
    issuerKey: key,
    ...validityWindow(days),
    // pathlen 0: this CA signs leaf certificates only, never another CA.
    basicConstraints: { ca: true, pathLength: 0 },
    keyUsage: ['keyCertSign', 'cRLSign'],
  });
  return { certPem, keyPem: privateKeyPem };
}
