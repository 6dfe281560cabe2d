import { sign, verify, type KeyObject } from 'node:crypto';
import { asn, type Asn1 } from './der.js';
import { hashFor, type SignatureHash } from './keys.js';

/** Signature algorithms by OID: what certificates and requests name, and the hash each uses. */
export interface SignatureAlgorithm { name: string; keyType: 'rsa' | 'ec' | 'ed25519' | 'dsa' | 'rsa-pss'; hash: string | null }

const ALGS: Record<string, SignatureAlgorithm> = {
  '1.2.840.113549.1.1.2': { name: 'md2WithRSAEncryption', keyType: 'rsa', hash: 'md2' },
  '1.2.840.113549.1.1.4': { name: 'md5WithRSAEncryption', keyType: 'rsa', hash: 'md5' },
  '1.2.840.113549.1.1.5': { name: 'sha1WithRSAEncryption', keyType: 'rsa', hash: 'sha1' },
  '1.2.840.113549.1.1.14': { name: 'sha224WithRSAEncryption', keyType: 'rsa', hash: 'sha224' },
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', keyType: 'rsa', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', keyType: 'rsa', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', keyType: 'rsa', hash: 'sha512' },
  '1.2.840.113549.1.1.10': { name: 'RSASSA-PSS', keyType: 'rsa-pss', hash: null },
  '1.2.840.10045.4.1': { name: 'ecdsa-with-SHA1', keyType: 'ec', hash: 'sha1' },
  '1.2.840.10045.4.3.1': { name: 'ecdsa-with-SHA224', keyType: 'ec', hash: 'sha224' },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', keyType: 'ec', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', keyType: 'ec', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', keyType: 'ec', hash: 'sha512' },
  '1.2.840.10040.4.3': { name: 'dsa-with-sha1', keyType: 'dsa', hash: 'sha1' },
  '1.3.101.112': { name: 'Ed25519', keyType: 'ed25519', hash: null },
};

export function signatureAlgorithmOf(oid: string): SignatureAlgorithm | null {
  return ALGS[oid] ?? null;
}

/** Hashes no longer safe for signatures: collisions can be bought (SHA-1: SHAttered, 2017). */
export function isWeakHash(hash: string | null): boolean {
  return hash === 'md2' || hash === 'md5' || hash === 'sha1';
}

function oidFor(keyType: string, hash: SignatureHash): string {
  for (const [oid, a] of Object.entries(ALGS)) if (a.keyType === keyType && a.hash === hash) return oid;
  throw new Error(`No signature algorithm for ${keyType} with ${hash}`);
}

/**
 * AlgorithmIdentifier for signing with `key`. RSA carries an explicit NULL
 * parameter (RFC 4055), ECDSA none at all (RFC 5758): OpenSSL rejects the other way round.
 */
export function algorithmIdentifier(key: KeyObject, hash: SignatureHash = hashFor(key)): Asn1 {
  const type = key.asymmetricKeyType ?? '';
  const oid = oidFor(type, hash);
  return type === 'rsa' ? asn.seq([asn.oid(oid), asn.nul()]) : asn.seq([asn.oid(oid)]);
}

/** PKCS#1 v1.5 for RSA, DER-encoded ECDSA: what X.509 and PKCS#10 expect. */
export function signDer(data: Buffer, key: KeyObject, hash: SignatureHash = hashFor(key)): Buffer {
  return sign(hash, data, key);
}

/** Verifies a signature made with the algorithm `oid`; false (never a throw) when it does not verify or is unknown. */
export function verifyDer(oid: string, data: Buffer, key: KeyObject, signature: Buffer): boolean {
  const alg = ALGS[oid];
  if (!alg || alg.keyType !== key.asymmetricKeyType) return false; // RSASSA-PSS parameters are not read: unsupported
  try {
    return verify(alg.hash, data, key, signature);
  } catch {
    return false;
  }
}
