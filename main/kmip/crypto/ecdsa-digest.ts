// ECDSA on a digest the client computed (Sign / Signature Verify with
// Digested Data). node:crypto always hashes what it signs with ECDSA (a null
// digest still means SHA-256), so a precomputed digest is signed here with
// @noble/curves (audited, algorithmically constant-time: no branch or table
// lookup on secret values; hedged RFC 6979 nonces, deterministic k mixed with
// fresh randomness). Signatures are DER ECDSA-Sig-Value, as node makes them,
// and high-S values are accepted and made (OpenSSL's behaviour) so either
// implementation verifies the other's signatures. Data (server-side hashing)
// stays on node:crypto (OpenSSL).
import { createPublicKey, type KeyObject } from 'node:crypto';
import { children, DER, expectAt, readTlv } from '../objects/der.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';

const CURVES = new Map([
  ['prime256v1', p256],
  ['secp384r1', p384],
  ['secp521r1', p521],
  ['secp256k1', secp256k1],
]);

function curveOf(key: KeyObject) {
  const c = CURVES.get(key.asymmetricKeyDetails?.namedCurve ?? '');
  if (c === undefined) throw new RangeError(`ECDSA on a digest supports P-256, P-384, P-521 and secp256k1, not ${key.asymmetricKeyDetails?.namedCurve ?? 'this key'}`);
  return c;
}

const bytesOf = (b64url: string | undefined): Uint8Array => new Uint8Array(Buffer.from(b64url ?? '', 'base64url'));

/**
 * The private scalar, from the key's SEC 1 DER in a Buffer wiped after use (a
 * JWK export would leave it in a string nothing can wipe):
 * ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, … }.
 */
function privateScalar(key: KeyObject): Uint8Array {
  const der = key.export({ format: 'der', type: 'sec1' });
  try {
    return new Uint8Array(expectAt(children(readTlv(der).content), 1, DER.OCTET_STRING, 'the private key').content);
  } finally {
    der.fill(0);
  }
}

/** The DER signature of `digest` with an EC private key. */
export function ecdsaSignDigest(key: KeyObject, digest: Uint8Array): Buffer {
  const curve = curveOf(key);
  const d = privateScalar(key);
  try {
    return Buffer.from(curve.sign(digest, d, { prehash: false, lowS: false, format: 'der', extraEntropy: true }));
  } finally {
    d.fill(0);
  }
}

/** Whether `signature` (DER) is an ECDSA signature of `digest` under an EC public (or private) key; anything malformed is false. */
export function ecdsaVerifyDigest(key: KeyObject, digest: Uint8Array, signature: Uint8Array): boolean {
  const curve = curveOf(key);
  // The public half only: a private key's JWK would carry d.
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  const point = new Uint8Array([4, ...bytesOf(jwk.x), ...bytesOf(jwk.y)]);
  try {
    return curve.verify(signature, digest, point, { prehash: false, lowS: false, format: 'der' });
  } catch {
    return false;
  }
}
