// Signature schemes for Sign / Signature Verify: which scheme a key and its
// Cryptographic Parameters mean, and the signature primitives.
//
// RSA: the server hashes (Data, incrementally for multi-part) or the client
// gives the hash (Digested Data), and the signature is made on the digest:
// PKCS#1 v1.5 as DigestInfo + type-1 padding (privateEncrypt), PSS as
// EMSA-PSS (RFC 8017 §9.1) encoded here and raised to the private exponent
// (privateDecrypt without padding), so the MGF1 hash and the salt length can
// be chosen freely and Digested Data works for both. Verification mirrors it
// with the public exponent; any malformed signature is simply Invalid.
// ECDSA (P-256, P-384, P-521; DER-encoded ECDSA-Sig-Value as X9.62 and the
// OASIS CS-AC-M-3-ECC vectors use): node:crypto Sign / Verify over the Data;
// on Digested Data (which node:crypto cannot sign with ECDSA) ecdsa-digest.ts.
import { constants, createHash, createSign, createVerify, privateDecrypt, privateEncrypt, publicDecrypt, publicEncrypt, randomBytes, type Hash, type KeyObject, type Sign, type Verify } from 'node:crypto';
import { Enum } from '../../../shared/kmip/registry/index.js';
import type { OperationContext } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { digestBytes, HASH_NAMES, hashName, SUPPORTED_HASHES } from '../operations/hash.js';
import { equalConstantTime } from './constant-time.js';
import { ecdsaSignDigest, ecdsaVerifyDigest } from './ecdsa-digest.js';
import { unsupported, valueName, type CryptoParams } from './parameters.js';

const CA = Enum.CryptographicAlgorithm;
const HA = Enum.HashingAlgorithm;
const PM = Enum.PaddingMethod;
const DSA = Enum.DigitalSignatureAlgorithm;

export interface SignatureScheme {
  kind: 'pkcs1' | 'pss' | 'ecdsa';
  /** Hashing Algorithm (Enum) of the message digest. */
  hash: number;
  /** PSS only. */
  mgf1Hash?: number;
  /** PSS: salt length in bytes; undefined = the digest length when signing, recovered from the signature when verifying. */
  saltLength?: number;
}

/** Digital Signature Algorithm values → scheme and hash. */
const BY_DSA: ReadonlyMap<number, { kind: SignatureScheme['kind']; hash?: number }> = new Map([
  [DSA.SHA_1WithRSAEncryption, { kind: 'pkcs1', hash: HA.SHA_1 }],
  [DSA.SHA_224WithRSAEncryption, { kind: 'pkcs1', hash: HA.SHA_224 }],
  [DSA.SHA_256WithRSAEncryption, { kind: 'pkcs1', hash: HA.SHA_256 }],
  [DSA.SHA_384WithRSAEncryption, { kind: 'pkcs1', hash: HA.SHA_384 }],
  [DSA.SHA_512WithRSAEncryption, { kind: 'pkcs1', hash: HA.SHA_512 }],
  [DSA.SHA3_256WithRSAEncryption, { kind: 'pkcs1', hash: HA.SHA3_256 }],
  [DSA.SHA3_384WithRSAEncryption, { kind: 'pkcs1', hash: HA.SHA3_384 }],
  [DSA.SHA3_512WithRSAEncryption, { kind: 'pkcs1', hash: HA.SHA3_512 }],
  [DSA.RSASSA_PSS, { kind: 'pss' }],
  [DSA.ECDSAWithSHA_1, { kind: 'ecdsa', hash: HA.SHA_1 }],
  [DSA.ECDSAWithSHA224, { kind: 'ecdsa', hash: HA.SHA_224 }],
  [DSA.ECDSAWithSHA256, { kind: 'ecdsa', hash: HA.SHA_256 }],
  [DSA.ECDSAWithSHA384, { kind: 'ecdsa', hash: HA.SHA_384 }],
  [DSA.ECDSAWithSHA512, { kind: 'ecdsa', hash: HA.SHA_512 }],
]);

/** The curve's usual hash when the request names none (FIPS 186-5 pairs P-256/SHA-256, P-384/SHA-384, P-521/SHA-512). */
function ecDefaultHash(bits: number | undefined): number {
  return bits === 384 ? HA.SHA_384 : bits === 521 ? HA.SHA_512 : HA.SHA_256;
}

/** The curves ECDSA signs and verifies on (node:crypto names; ecdsa-digest.ts has the same four): the keys the server can hold (objects/transparent.ts). */
const EC_CURVES: ReadonlyMap<string, string> = new Map([
  ['prime256v1', 'P-256'],
  ['secp384r1', 'P-384'],
  ['secp521r1', 'P-521'],
  ['secp256k1', 'secp256k1'],
]);

/** A hash the scheme uses: one node:crypto has, else Unsupported Cryptographic Parameters (1.x Invalid Field) like every other parameter here. */
function checkHash(ctx: OperationContext, alg: number, what: string): void {
  if (!HASH_NAMES.has(alg)) throw unsupported(ctx, `${what} ${valueName('HashingAlgorithm', alg)} is not supported for signatures (${SUPPORTED_HASHES})`);
}

/** The scheme a key (RSA or EC) and the effective parameters ask for; what this server cannot do is Unsupported Cryptographic Parameters (1.x Invalid Field). */
export function signatureScheme(ctx: OperationContext, key: KeyObject, keyBits: number | undefined, p: CryptoParams): SignatureScheme {
  const type = key.asymmetricKeyType;
  // An id-RSASSA-PSS key (node type rsa-pss) refuses the raw RSA this file signs with, for PKCS#1 v1.5 and PSS alike.
  if (type === 'rsa-pss') throw unsupported(ctx, 'RSASSA-PSS-restricted keys (id-RSASSA-PSS) are not supported; register the key as a plain RSA key (rsaEncryption) and ask for Padding Method PSS');
  const rsa = type === 'rsa';
  const ec = type === 'ec';
  if (!rsa && !ec) throw unsupported(ctx, `signing with a ${type ?? 'non-asymmetric'} key is not supported (RSA, ECDSA)`);
  if (ec) {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === undefined || !EC_CURVES.has(curve)) throw unsupported(ctx, `ECDSA on curve ${curve ?? '(unnamed)'} is not supported (P-256, P-384, P-521, secp256k1)`);
  }
  if (p.cryptographicAlgorithm !== undefined && p.cryptographicAlgorithm !== (rsa ? CA.RSA : CA.ECDSA) && !(ec && p.cryptographicAlgorithm === CA.EC)) {
    throw unsupported(ctx, `Cryptographic Algorithm ${valueName('CryptographicAlgorithm', p.cryptographicAlgorithm)} does not fit this ${rsa ? 'RSA' : 'EC'} key`);
  }
  let kind: SignatureScheme['kind'] = rsa ? 'pkcs1' : 'ecdsa';
  let hash = p.hashingAlgorithm;
  if (p.digitalSignatureAlgorithm !== undefined) {
    const d = BY_DSA.get(p.digitalSignatureAlgorithm);
    if (d === undefined) throw unsupported(ctx, `Digital Signature Algorithm ${valueName('DigitalSignatureAlgorithm', p.digitalSignatureAlgorithm)} is not supported (SHA-x with RSA, RSASSA-PSS, ECDSA with SHA-x)`);
    if ((d.kind === 'ecdsa') !== ec) throw unsupported(ctx, `Digital Signature Algorithm ${valueName('DigitalSignatureAlgorithm', p.digitalSignatureAlgorithm)} does not fit this ${rsa ? 'RSA' : 'EC'} key`);
    kind = d.kind;
    if (d.hash !== undefined) {
      if (hash !== undefined && hash !== d.hash) throw unsupported(ctx, 'the Hashing Algorithm contradicts the Digital Signature Algorithm');
      hash = d.hash;
    }
  }
  if (rsa && p.paddingMethod !== undefined) {
    if (p.paddingMethod === PM.PSS) kind = 'pss';
    else if (p.paddingMethod === PM.PKCS1V1_5) {
      if (kind === 'pss' && p.digitalSignatureAlgorithm !== undefined) throw unsupported(ctx, 'Padding Method PKCS1 v1.5 contradicts the Digital Signature Algorithm RSASSA-PSS');
      kind = 'pkcs1';
    } else throw unsupported(ctx, `Padding Method ${valueName('PaddingMethod', p.paddingMethod)} is not a signature padding (PKCS1 v1.5, PSS)`);
  }
  hash ??= ec ? ecDefaultHash(keyBits) : HA.SHA_256;
  checkHash(ctx, hash, 'Hashing Algorithm');
  const s: SignatureScheme = { kind, hash };
  if (kind === 'pss') {
    if (p.maskGenerator !== undefined && p.maskGenerator !== Enum.MaskGenerator.MGF1) throw unsupported(ctx, 'only the MGF1 Mask Generator is supported');
    s.mgf1Hash = p.maskGeneratorHashingAlgorithm ?? hash;
    checkHash(ctx, s.mgf1Hash, 'Mask Generator Hashing Algorithm');
    if (p.saltLength !== undefined) s.saltLength = p.saltLength;
  } else if (p.saltLength !== undefined || p.maskGeneratorHashingAlgorithm !== undefined) {
    // Salt and MGF belong to PSS; given with another scheme they are a client error worth saying.
    throw unsupported(ctx, 'Salt Length and Mask Generator Hashing Algorithm apply to PSS signatures only');
  }
  if (p.trailerField !== undefined && p.trailerField !== 1) throw unsupported(ctx, 'only the trailer field 0xBC (Trailer Field 1) is supported');
  return s;
}

export const digestLength = (hash: number): number => digestBytes(hashName(hash));

// DigestInfo prefixes (RFC 8017 §9.2 note 1; SHA-3 from NIST's OIDs 2.16.840.1.101.3.4.2.8–10).
const DIGEST_INFO: ReadonlyMap<number, string> = new Map([
  [HA.SHA_1, '3021300906052b0e03021a05000414'],
  [HA.SHA_224, '302d300d06096086480165030402040500041c'],
  [HA.SHA_256, '3031300d060960864801650304020105000420'],
  [HA.SHA_384, '3041300d060960864801650304020205000430'],
  [HA.SHA_512, '3051300d060960864801650304020305000440'],
  [HA.SHA_512_224, '302d300d06096086480165030402050500041c'],
  [HA.SHA_512_256, '3031300d060960864801650304020605000420'],
  [HA.SHA3_224, '302d300d06096086480165030402070500041c'],
  [HA.SHA3_256, '3031300d060960864801650304020805000420'],
  [HA.SHA3_384, '3041300d060960864801650304020905000430'],
  [HA.SHA3_512, '3051300d060960864801650304020a05000440'],
]);

function digestInfo(hash: number, digest: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(DIGEST_INFO.get(hash)!, 'hex'), digest]);
}

function mgf1(hash: string, seed: Uint8Array, length: number): Buffer {
  const out: Buffer[] = [];
  let n = 0;
  for (let counter = 0; n < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(hash).update(seed).update(c).digest();
    out.push(block);
    n += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

function modulusBits(key: KeyObject): number {
  return key.asymmetricKeyDetails?.modulusLength ?? 0;
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1) of a message digest. */
function pssEncode(mHash: Uint8Array, emBits: number, s: SignatureScheme, saltLength: number): Buffer {
  const h = hashName(s.hash);
  const hLen = mHash.length;
  const emLen = Math.ceil(emBits / 8);
  if (emLen < hLen + saltLength + 2) throw new KmipOperationError('CryptographicFailure', `a salt of ${saltLength} bytes does not fit this key with this hash (at most ${emLen - hLen - 2})`);
  const salt = randomBytes(saltLength);
  const hh = createHash(h).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - saltLength - hLen - 2), Buffer.of(1), salt]);
  const mask = mgf1(hashName(s.mgf1Hash!), hh, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  return Buffer.concat([db, hh, Buffer.of(0xbc)]);
}

/** EMSA-PSS-VERIFY (RFC 8017 §9.1.2); saltLength undefined: recovered from the encoding. */
function pssVerify(mHash: Uint8Array, em: Buffer, emBits: number, s: SignatureScheme): boolean {
  const hLen = mHash.length;
  const emLen = Math.ceil(emBits / 8);
  if (em.length !== emLen || emLen < hLen + 2 || em[emLen - 1] !== 0xbc) return false;
  const db = Buffer.from(em.subarray(0, emLen - hLen - 1));
  const hh = em.subarray(emLen - hLen - 1, emLen - 1);
  const topMask = 0xff >> (8 * emLen - emBits);
  if ((db[0]! & ~topMask) !== 0) return false;
  const mask = mgf1(hashName(s.mgf1Hash!), hh, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= topMask;
  let one = 0;
  while (one < db.length && db[one] === 0) one++;
  if (one >= db.length || db[one] !== 1) return false;
  const salt = db.subarray(one + 1);
  if (s.saltLength !== undefined && salt.length !== s.saltLength) return false;
  const h2 = createHash(hashName(s.hash)).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  return equalConstantTime(h2, hh);
}

/** Signs a digest with an RSA key (PKCS#1 v1.5 or PSS). */
export function rsaSignDigest(key: KeyObject, s: SignatureScheme, digest: Uint8Array): Buffer {
  if (s.kind === 'pkcs1') return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, digestInfo(s.hash, digest));
  const bits = modulusBits(key);
  const em = pssEncode(digest, bits - 1, s, s.saltLength ?? digest.length);
  const full = Buffer.concat([Buffer.alloc(Math.ceil(bits / 8) - em.length), em]);
  return privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, full);
}

/** Verifies an RSA signature on a digest; anything malformed is false. */
export function rsaVerifyDigest(key: KeyObject, s: SignatureScheme, digest: Uint8Array, signature: Uint8Array): boolean {
  const bits = modulusBits(key);
  const k = Math.ceil(bits / 8);
  if (signature.length !== k) return false;
  try {
    if (s.kind === 'pkcs1') return equalConstantTime(publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature), digestInfo(s.hash, digest));
    const em = publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, signature);
    const emLen = Math.ceil((bits - 1) / 8);
    if (em.length > emLen && em[0] !== 0) return false;
    return pssVerify(digest, em.subarray(em.length - emLen), bits - 1, s);
  } catch {
    // A signature ≥ the modulus or with broken padding.
    return false;
  }
}

/** The running state of a signature over Data: a hash for RSA, a node Sign / Verify for ECDSA. */
export type Accumulator = { kind: 'hash'; h: Hash } | { kind: 'sign'; h: Sign } | { kind: 'verify'; h: Verify };

export function accumulator(s: SignatureScheme, verifying: boolean): Accumulator {
  const name = hashName(s.hash);
  if (s.kind !== 'ecdsa') return { kind: 'hash', h: createHash(name) };
  return verifying ? { kind: 'verify', h: createVerify(name) } : { kind: 'sign', h: createSign(name) };
}

export function signFinal(key: KeyObject, s: SignatureScheme, acc: Accumulator): Buffer {
  if (acc.kind === 'hash') return rsaSignDigest(key, s, acc.h.digest());
  if (acc.kind === 'sign') return acc.h.sign({ key, dsaEncoding: 'der' });
  throw new Error('signFinal on a verify accumulator');
}

export function verifyFinal(key: KeyObject, s: SignatureScheme, acc: Accumulator, signature: Uint8Array): boolean {
  if (acc.kind === 'hash') return rsaVerifyDigest(key, s, acc.h.digest(), signature);
  if (acc.kind === 'verify') {
    try {
      return acc.h.verify({ key, dsaEncoding: 'der' }, signature);
    } catch {
      return false;
    }
  }
  throw new Error('verifyFinal on a sign accumulator');
}

/** Digested Data must be a digest of the scheme's hash. */
export function checkDigested(s: SignatureScheme, digest: Uint8Array): void {
  const want = digestLength(s.hash);
  if (digest.length !== want) throw new KmipOperationError('InvalidField', `Digested Data is ${digest.length} bytes; a ${valueName('HashingAlgorithm', s.hash)} digest is ${want}`);
}

/** Signs a digest (Digested Data) with the scheme's key: RSA here, ECDSA in ecdsa-digest.ts. */
export function signDigest(key: KeyObject, s: SignatureScheme, digest: Uint8Array): Buffer {
  return s.kind === 'ecdsa' ? ecdsaSignDigest(key, digest) : rsaSignDigest(key, s, digest);
}

/** Verifies a signature on a digest; anything malformed is false. */
export function verifyDigest(key: KeyObject, s: SignatureScheme, digest: Uint8Array, signature: Uint8Array): boolean {
  return s.kind === 'ecdsa' ? ecdsaVerifyDigest(key, digest, signature) : rsaVerifyDigest(key, s, digest, signature);
}
