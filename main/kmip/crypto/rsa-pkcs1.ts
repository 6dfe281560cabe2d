// RSA PKCS#1 v1.5 decryption (RFC 8017 §7.2.2) with implicit rejection
// (draft-irtf-cfrg-rsa-guidance, "Implicit rejection"; what OpenSSL ≥ 3.2
// does by default). A ciphertext whose padding is wrong does not fail: it
// decrypts to a synthetic message derived from the private key and the
// ciphertext, so a client learns nothing from success or failure (the
// Bleichenbacher / Marvin padding oracle, CVE-2023-46809, the reason node 20
// refuses RSA_PKCS1_PADDING for private decryption).
//
// Raw RSA is node's (RSA_NO_PADDING); the padding check and the choice
// between the real and the synthetic message are branch-free over every byte
// (JavaScript promises no constant time, but no step here depends on where
// or whether the padding is wrong).
import { constants, createHash, createHmac, privateDecrypt, type KeyObject } from 'node:crypto';
import { KmipOperationError } from '../errors.js';
import { children, DER, expectAt, readTlv, uintValue } from '../objects/der.js';

/** The draft's IRPRF: HMAC-SHA256(key, I2OSP(i, 2) || label || I2OSP(bits, 2)) for i = 0, 1, …, cut to bits / 8 bytes. */
function prf(key: Buffer, label: string, bytes: number): Buffer {
  const bits = Buffer.alloc(2);
  bits.writeUInt16BE(bytes * 8);
  const out: Buffer[] = [];
  for (let i = 0, have = 0; have < bytes; i++, have += 32) {
    const n = Buffer.alloc(2);
    n.writeUInt16BE(i);
    out.push(createHmac('sha256', key).update(n).update(label).update(bits).digest());
  }
  return Buffer.concat(out).subarray(0, bytes);
}

/**
 * SHA-256 of the private exponent d as k big-endian bytes. d is read from the
 * key's PKCS#1 DER in a Buffer that is wiped after use (a JWK export would
 * leave d, p and q in strings nothing can wipe).
 */
function hashedExponent(key: KeyObject, k: number): Buffer {
  const der = key.export({ format: 'der', type: 'pkcs1' });
  try {
    // RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent, privateExponent, … }
    const fields = children(readTlv(der).content);
    const d = uintValue(expectAt(fields, 3, DER.INTEGER, 'the private exponent').content);
    const padded = Buffer.alloc(k);
    padded.set(d, k - d.length);
    try {
      return createHash('sha256').update(padded).digest();
    } finally {
      padded.fill(0);
    }
  } finally {
    der.fill(0);
  }
}

/** 1 when a === b, else 0 (values 0..65535). */
const eq = (a: number, b: number): number => (((a ^ b) - 1) >>> 31) & 1;
/** 1 when a < b, else 0 (values 0..2^30). */
const lt = (a: number, b: number): number => ((a - b) >>> 31) & 1;
/** flag ? a : b, for flag 0 or 1. */
const select = (flag: number, a: number, b: number): number => (a & -flag) | (b & ~-flag);

/** Minimum PS length (RFC 8017 §7.2.2 step 3: at least 8 non-zero bytes). */
const MIN_PS = 8;
/** Candidate lengths drawn for the synthetic message (as OpenSSL). */
const LENGTH_TRIES = 128;

/**
 * The plaintext of a PKCS#1 v1.5 (type 2) ciphertext; for a ciphertext whose
 * padding is wrong, a deterministic pseudo-random message instead. The
 * ciphertext must be exactly the modulus length (the caller checks: that is
 * public).
 */
export function pkcs1v15Decrypt(key: KeyObject, ciphertext: Uint8Array): Buffer {
  const k = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  if (ciphertext.length !== k) throw new RangeError(`ciphertext must be ${k} bytes`);
  let em: Buffer;
  try {
    em = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, ciphertext);
  } catch {
    // Only a cipher text numerically ≥ the modulus gets here: public facts, so it may be said.
    throw new KmipOperationError('InvalidField', 'the cipher text is not smaller than the RSA modulus, so no RSA encryption made it');
  }
  // The key derivation key: HMAC-SHA256(SHA-256(d as k bytes), C).
  const kdk = createHmac('sha256', hashedExponent(key, k)).update(ciphertext).digest();

  // The synthetic message and its length: the last candidate below the largest possible message length.
  const synthetic = prf(kdk, 'message', k);
  const candidates = prf(kdk, 'length', LENGTH_TRIES * 2);
  const maxLength = k - 2 - MIN_PS - 1;
  let mask = maxLength;
  for (let s = 1; s < 16; s <<= 1) mask |= mask >>> s;
  let syntheticLength = 0;
  for (let i = 0; i < LENGTH_TRIES; i++) {
    const len = ((candidates[2 * i]! << 8) | candidates[2 * i + 1]!) & mask;
    syntheticLength = select(lt(len, maxLength + 1), len, syntheticLength);
  }

  // EM = 0x00 || 0x02 || PS (≥ 8 non-zero bytes) || 0x00 || M
  let good = eq(em[0]!, 0) & eq(em[1]!, 2);
  let found = 0;
  let zeroAt = 0;
  for (let i = 2; i < k; i++) {
    const isZero = eq(em[i]!, 0);
    zeroAt = select(isZero & (found ^ 1), i, zeroAt);
    found |= isZero;
  }
  good &= found & (lt(zeroAt, 2 + MIN_PS) ^ 1);
  const realLength = k - zeroAt - 1;
  const length = select(good, realLength, syntheticLength);
  // Both candidates are right-aligned in k bytes: pick byte by byte, then keep the last `length`.
  const out = Buffer.alloc(k);
  for (let i = 0; i < k; i++) out[i] = select(good, em[i]!, synthetic[i]!);
  em.fill(0);
  return Buffer.from(out.subarray(k - length));
}
