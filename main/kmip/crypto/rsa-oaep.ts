// RSAES-OAEP (RFC 8017 §7.1) where node:crypto cannot do it: a Mask
// Generator Hashing Algorithm other than the OAEP Hashing Algorithm (node
// sets MGF1's hash to the OAEP hash; the OASIS CS-AC-M-OAEP-7..10 cases use
// SHA-384 with MGF1-SHA-256). The RSA primitive itself is node's (raw RSA,
// RSA_NO_PADDING); only the encoding is done here. Decoding checks every
// byte and combines the results without an early exit, so that a client
// cannot learn from the time an answer takes which check failed (Manger's
// attack); the caller answers every failure the same way.
import { constants, createHash, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { digestBytes } from '../operations/hash.js';

function mgf1(seed: Uint8Array, length: number, hash: string): Buffer {
  const out = Buffer.alloc(length);
  let done = 0;
  for (let counter = 0; done < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(hash).update(seed).update(c).digest();
    done += block.copy(out, done);
  }
  return out;
}

const hashLength = digestBytes;

/** The longest message OAEP can carry with a k-byte modulus. */
export function oaepCapacity(modulusBytes: number, hash: string): number {
  return modulusBytes - 2 * hashLength(hash) - 2;
}

/** RSAES-OAEP-ENCRYPT with separate OAEP and MGF1 hashes. Throws RangeError when the message is too long. */
export function oaepEncrypt(key: KeyObject, message: Uint8Array, hash: string, mgfHash: string, label: Uint8Array = new Uint8Array(0)): Buffer {
  const k = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  const hLen = hashLength(hash);
  if (message.length > k - 2 * hLen - 2) throw new RangeError(`the data is too long: at most ${Math.max(0, k - 2 * hLen - 2)} bytes fit this key with this hash`);
  const lHash = createHash(hash).update(label).digest();
  const db = Buffer.concat([lHash, Buffer.alloc(k - message.length - 2 * hLen - 2), Buffer.of(1), message]);
  const seed = randomBytes(hLen);
  const dbMask = mgf1(seed, k - hLen - 1, mgfHash);
  for (let i = 0; i < db.length; i++) db[i]! ^= dbMask[i]!;
  const seedMask = mgf1(db, hLen, mgfHash);
  for (let i = 0; i < hLen; i++) seed[i]! ^= seedMask[i]!;
  const em = Buffer.concat([Buffer.of(0), seed, db]);
  return publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, em);
}

/** RSAES-OAEP-DECRYPT with separate OAEP and MGF1 hashes; undefined on any decoding error (one answer for all). */
export function oaepDecrypt(key: KeyObject, ciphertext: Uint8Array, hash: string, mgfHash: string, label: Uint8Array = new Uint8Array(0)): Buffer | undefined {
  const k = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  const hLen = hashLength(hash);
  if (ciphertext.length !== k || k < 2 * hLen + 2) return undefined;
  let em: Buffer;
  try {
    em = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, ciphertext);
  } catch {
    return undefined;
  }
  if (em.length < k) em = Buffer.concat([Buffer.alloc(k - em.length), em]);
  const maskedSeed = em.subarray(1, 1 + hLen);
  const maskedDb = em.subarray(1 + hLen);
  const seed = mgf1(maskedDb, hLen, mgfHash);
  for (let i = 0; i < hLen; i++) seed[i]! ^= maskedSeed[i]!;
  const db = mgf1(seed, k - hLen - 1, mgfHash);
  for (let i = 0; i < db.length; i++) db[i]! ^= maskedDb[i]!;
  const lHash = createHash(hash).update(label).digest();
  // bad accumulates any failure; no branch depends on secret bytes.
  let bad = em[0]!;
  for (let i = 0; i < hLen; i++) bad |= db[i]! ^ lHash[i]!;
  // After lHash: zero bytes, then 0x01, then the message. Find the first non-zero byte.
  let found = 0; // 1 once the 0x01 separator was seen
  let index = 0;
  for (let i = hLen; i < db.length; i++) {
    const b = db[i]!;
    const isZero = ((b - 1) >>> 31) & 1; // 1 when b == 0
    const isOne = (((b ^ 1) - 1) >>> 31) & 1; // 1 when b == 1
    const first = (1 - found) & isOne;
    index |= -first & i;
    // A byte that is neither 0 nor 1 before the separator is an error.
    bad |= (1 - found) & (1 - isZero) & (1 - isOne);
    found |= first;
  }
  bad |= 1 - found;
  em.fill(0);
  seed.fill(0);
  if (bad !== 0) {
    db.fill(0);
    return undefined;
  }
  const out = Buffer.from(db.subarray(index + 1));
  db.fill(0);
  return out;
}
