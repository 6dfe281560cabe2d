// The Transparent key formats (1.4 / 2.1 §2.1.7, Key Material tables): RSA,
// DSA and EC(DSA/DH/MQV) private and public keys as Big Integer fields, to and
// from node:crypto KeyObjects. RSA and EC go through JWK; DSA, which JWK cannot
// express, through DER SubjectPublicKeyInfo / PKCS#8 built by der.ts. Every
// field is checked before node:crypto sees it, so bad material is an Invalid
// Field naming the field, and an absurd size is refused before any arithmetic.
import { createECDH, createPrivateKey, createPublicKey, ECDH, type KeyObject } from 'node:crypto';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, struct, type StructureItem, type TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import { KmipOperationError } from '../errors.js';
import { children, DER, DerError, expectAt, oid, readTlv, seq, tlv, uint, uintValue } from './der.js';

const KFT = Enum.KeyFormatType;
const RC = Enum.RecommendedCurve;

/**
 * Recommended Curve → node:crypto curve name, bits and JWK "crv". Lookups by
 * length alone (Create Key Pair) take the first match, so the NIST curves come
 * first; secp256k1 is here for registered keys (TC-ECC-3).
 */
export const CURVES: ReadonlyMap<number, { name: string; bits: number; jwk: string }> = new Map([
  [RC.P_256, { name: 'prime256v1', bits: 256, jwk: 'P-256' }],
  [RC.P_384, { name: 'secp384r1', bits: 384, jwk: 'P-384' }],
  [RC.P_521, { name: 'secp521r1', bits: 521, jwk: 'P-521' }],
  [RC.SECP256K1, { name: 'secp256k1', bits: 256, jwk: 'secp256k1' }],
]);

/** Largest RSA modulus / DSA prime accepted (bits): beyond it a "key" is only a way to burn CPU. */
export const MAX_BITS = 16384;

const DSA_OID = '1.2.840.10040.4.1';

const RSA_PRIVATE: readonly number[] = [KFT.TransparentRSAPrivateKey];
const RSA_PUBLIC: readonly number[] = [KFT.TransparentRSAPublicKey];
const DSA_PRIVATE: readonly number[] = [KFT.TransparentDSAPrivateKey];
const DSA_PUBLIC: readonly number[] = [KFT.TransparentDSAPublicKey];
// 1.x named the EC formats by use (ECDSA / ECDH / ECMQV); the material is the same (1.4 §2.1.7.9–14, 2.1 §2.1.7.9–10).
const EC_PRIVATE: readonly number[] = [KFT.TransparentECPrivateKey, KFT.TransparentECDSAPrivateKey, KFT.TransparentECDHPrivateKey, KFT.TransparentECMQVPrivateKey];
const EC_PUBLIC: readonly number[] = [KFT.TransparentECPublicKey, KFT.TransparentECDSAPublicKey, KFT.TransparentECDHPublicKey, KFT.TransparentECMQVPublicKey];
const PRIVATE: readonly number[] = [...RSA_PRIVATE, ...DSA_PRIVATE, ...EC_PRIVATE];
const PUBLIC: readonly number[] = [...RSA_PUBLIC, ...DSA_PUBLIC, ...EC_PUBLIC];

export function isTransparentAsymmetric(format: number): boolean {
  return PRIVATE.includes(format) || PUBLIC.includes(format);
}

function invalid(message: string): KmipOperationError {
  return new KmipOperationError('InvalidField', message);
}

function field(m: StructureItem, tag: number): TtlvItem | undefined {
  return m.value.find((c) => c.tag === tag);
}

/** A positive Big Integer field as unsigned bytes without leading zeros (leading zero padding is allowed, 2.1 §9.1.1.4). */
function big(m: StructureItem, tag: number, name: string): Uint8Array;
function big(m: StructureItem, tag: number, name: string, optional: true): Uint8Array | undefined;
function big(m: StructureItem, tag: number, name: string, optional = false): Uint8Array | undefined {
  const it = field(m, tag);
  if (it === undefined) {
    if (optional) return undefined;
    throw invalid(`the Key Material has no ${name}`);
  }
  if (it.type !== 'BigInteger') throw invalid(`${name} must be a Big Integer`);
  const v = it.value;
  if (v.length === 0 || v[0]! & 0x80) throw invalid(`${name} must be positive`);
  let i = 0;
  while (i < v.length && v[i] === 0) i++;
  if (i === v.length) throw invalid(`${name} must not be zero`);
  const out = v.subarray(i);
  if (bitLength(out) > MAX_BITS) throw invalid(`${name} is ${bitLength(out)} bits long; at most ${MAX_BITS} are supported`);
  return out;
}

/** Bit length of unsigned bytes without leading zeros. */
export function bitLength(u: Uint8Array): number {
  return u.length === 0 ? 0 : (u.length - 1) * 8 + (32 - Math.clz32(u[0]!));
}

const toBig = (u: Uint8Array): bigint => (u.length === 0 ? 0n : BigInt('0x' + Buffer.from(u).toString('hex')));
function fromBig(n: bigint): Uint8Array {
  const h = n.toString(16);
  return new Uint8Array(Buffer.from(h.length % 2 ? '0' + h : h, 'hex'));
}

/** A KMIP Big Integer item: two's complement, a sign octet when the top bit is set, left-padded to a multiple of 8 bytes. */
export function bigItem(tag: number, unsigned: Uint8Array): TtlvItem {
  let i = 0;
  while (i < unsigned.length - 1 && unsigned[i] === 0) i++;
  const v = unsigned.subarray(i);
  const len = v.length + (v[0]! & 0x80 ? 1 : 0);
  const out = new Uint8Array(Math.ceil(len / 8) * 8);
  out.set(v, out.length - v.length);
  return item(tag, 'BigInteger', out);
}

const b64u = (u: Uint8Array): string => Buffer.from(u).toString('base64url');
const unb64u = (s: string | undefined): Uint8Array => new Uint8Array(Buffer.from(s ?? '', 'base64url'));

/** Runs a node:crypto import; its failure is the client's bad material. */
function load(what: string, fn: () => KeyObject): KeyObject {
  try {
    return fn();
  } catch (e) {
    throw invalid(`the ${what} cannot be loaded: ${(e as Error).message}`);
  }
}

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw invalid('Q has no inverse modulo P: P and Q are not coprime');
  return ((s0 % m) + m) % m;
}

function rsaPrivate(m: StructureItem): KeyObject {
  const n = big(m, Tag.Modulus, 'Modulus');
  const e = big(m, Tag.PublicExponent, 'Public Exponent', true);
  const d = big(m, Tag.PrivateExponent, 'Private Exponent', true);
  const p = big(m, Tag.P, 'P', true);
  const q = big(m, Tag.Q, 'Q', true);
  // The spec makes every field but Modulus optional; node:crypto needs the primes to build a key.
  if (e === undefined || d === undefined || p === undefined || q === undefined) {
    throw invalid('a Transparent RSA Private Key needs Public Exponent, Private Exponent, P and Q (this server cannot factor the modulus)');
  }
  const [N, D, P, Q] = [toBig(n), toBig(d), toBig(p), toBig(q)];
  if (P * Q !== N) throw invalid('P × Q is not the Modulus');
  if (D >= N) throw invalid('the Private Exponent is not smaller than the Modulus');
  // The CRT values are optional in the Key Material: derive the missing ones.
  const dp = big(m, Tag.PrimeExponentP, 'Prime Exponent P', true) ?? fromBig(D % (P - 1n));
  const dq = big(m, Tag.PrimeExponentQ, 'Prime Exponent Q', true) ?? fromBig(D % (Q - 1n));
  const qi = big(m, Tag.CRTCoefficient, 'CRT Coefficient', true) ?? fromBig(modInverse(Q, P));
  const jwk = { kty: 'RSA', n: b64u(n), e: b64u(e), d: b64u(d), p: b64u(p), q: b64u(q), dp: b64u(dp), dq: b64u(dq), qi: b64u(qi) };
  return load('Transparent RSA Private Key', () => createPrivateKey({ key: jwk, format: 'jwk' }));
}

function rsaPublic(m: StructureItem): KeyObject {
  const n = big(m, Tag.Modulus, 'Modulus');
  const e = big(m, Tag.PublicExponent, 'Public Exponent');
  if (!(n[n.length - 1]! & 1)) throw invalid('the Modulus is even');
  const E = toBig(e);
  if (E < 3n || !(E & 1n) || E >= toBig(n)) throw invalid('the Public Exponent must be odd, at least 3 and smaller than the Modulus');
  return load('Transparent RSA Public Key', () => createPublicKey({ key: { kty: 'RSA', n: b64u(n), e: b64u(e) }, format: 'jwk' }));
}

function dsaParams(m: StructureItem): { p: Uint8Array; q: Uint8Array; g: Uint8Array; params: Uint8Array } {
  const p = big(m, Tag.P, 'P');
  const q = big(m, Tag.Q, 'Q');
  const g = big(m, Tag.G, 'G');
  if (bitLength(q) >= bitLength(p)) throw invalid('Q must be shorter than P');
  if (toBig(g) >= toBig(p)) throw invalid('G must be smaller than P');
  return { p, q, g, params: seq(uint(p), uint(q), uint(g)) };
}

function dsaPrivate(m: StructureItem): KeyObject {
  const { q, params } = dsaParams(m);
  const x = big(m, Tag.X, 'X');
  if (toBig(x) >= toBig(q)) throw invalid('X must be smaller than Q');
  const der = seq(uint(new Uint8Array(1)), seq(oid(DSA_OID), params), tlv(DER.OCTET_STRING, uint(x)));
  return load('Transparent DSA Private Key', () => createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' }));
}

function dsaPublic(m: StructureItem): KeyObject {
  const { p, params } = dsaParams(m);
  const y = big(m, Tag.Y, 'Y');
  if (toBig(y) >= toBig(p)) throw invalid('Y must be smaller than P');
  const der = seq(seq(oid(DSA_OID), params), tlv(DER.BIT_STRING, new Uint8Array(1), uint(y)));
  return load('Transparent DSA Public Key', () => createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }));
}

function curveOf(m: StructureItem): { name: string; bytes: number; crv: string } {
  const c = field(m, Tag.RecommendedCurve);
  if (c === undefined) throw invalid('the Key Material has no Recommended Curve');
  if (c.type !== 'Enumeration') throw invalid('Recommended Curve must be an Enumeration');
  const curve = CURVES.get(c.value);
  if (curve === undefined) throw invalid('the Recommended Curve is not supported (P-256, P-384, P-521, secp256k1)');
  return { name: curve.name, bytes: Math.ceil(curve.bits / 8), crv: curve.jwk };
}

function padTo(u: Uint8Array, n: number, name: string): Uint8Array {
  if (u.length > n) throw invalid(`${name} is longer than the curve allows`);
  const out = new Uint8Array(n);
  out.set(u, n - u.length);
  return out;
}

function ecJwk(crv: string, bytes: number, point: Uint8Array): { kty: string; crv: string; x: string; y: string } {
  if (point.length !== 1 + 2 * bytes || point[0] !== 4) throw invalid('Q String is not an uncompressed point of the curve');
  return { kty: 'EC', crv, x: b64u(point.subarray(1, 1 + bytes)), y: b64u(point.subarray(1 + bytes)) };
}

function ecPrivate(m: StructureItem): KeyObject {
  const { name, bytes, crv } = curveOf(m);
  const d = padTo(big(m, Tag.D, 'D'), bytes, 'D');
  let point: Uint8Array;
  try {
    // JWK needs the public point too; ECDH derives it (and refuses D outside [1, n-1]).
    const ecdh = createECDH(name);
    ecdh.setPrivateKey(Buffer.from(d));
    point = new Uint8Array(ecdh.getPublicKey());
  } catch (e) {
    throw invalid(`D is not a private key on the curve: ${(e as Error).message}`);
  }
  return load('Transparent EC Private Key', () => createPrivateKey({ key: { ...ecJwk(crv, bytes, point), d: b64u(d) }, format: 'jwk' }));
}

function ecPublic(m: StructureItem): KeyObject {
  const { name, bytes, crv } = curveOf(m);
  const q = field(m, Tag.QString);
  if (q === undefined) throw invalid('the Key Material has no Q String');
  if (q.type !== 'ByteString') throw invalid('Q String must be a Byte String');
  let point: Uint8Array;
  try {
    // Accepts compressed points too, and checks that the point is on the curve.
    point = new Uint8Array(ECDH.convertKey(Buffer.from(q.value), name, undefined, undefined, 'uncompressed') as Buffer);
  } catch (e) {
    throw invalid(`Q String is not a point on the curve: ${(e as Error).message}`);
  }
  return load('Transparent EC Public Key', () => createPublicKey({ key: ecJwk(crv, bytes, point), format: 'jwk' }));
}

/** A KeyObject from Transparent Key Material of `format`, for a Private Key or Public Key object. */
export function transparentToKey(objectTag: number, format: number, material: TtlvItem | undefined): KeyObject {
  const isPrivate = objectTag === Tag.PrivateKey;
  if (!(isPrivate ? PRIVATE : PUBLIC).includes(format)) {
    throw invalid(`Key Format Type ${format} is not a ${isPrivate ? 'Private' : 'Public'} Key format`);
  }
  if (material?.type !== 'Structure') throw invalid('transparent Key Material must be a structure');
  if (RSA_PRIVATE.includes(format)) return rsaPrivate(material);
  if (RSA_PUBLIC.includes(format)) return rsaPublic(material);
  if (DSA_PRIVATE.includes(format)) return dsaPrivate(material);
  if (DSA_PUBLIC.includes(format)) return dsaPublic(material);
  return EC_PRIVATE.includes(format) ? ecPrivate(material) : ecPublic(material);
}

/** P, Q, G and the key INTEGER of a DSA key exported by node:crypto as DER. */
function dsaFields(key: KeyObject): { p: Uint8Array; q: Uint8Array; g: Uint8Array; v: Uint8Array } {
  const der = new Uint8Array(key.export({ format: 'der', type: key.type === 'private' ? 'pkcs8' : 'spki' }));
  try {
    const top = children(readTlv(der).content);
    // PKCS#8: version, AlgorithmIdentifier, OCTET STRING { INTEGER x }; SPKI: AlgorithmIdentifier, BIT STRING { INTEGER y }.
    const [algAt, keyAt, keyTag] = key.type === 'private' ? [1, 2, DER.OCTET_STRING] : [0, 1, DER.BIT_STRING];
    const alg = children(expectAt(top, algAt, DER.SEQUENCE, 'AlgorithmIdentifier').content);
    const params = children(expectAt(alg, 1, DER.SEQUENCE, 'DSA parameters').content);
    const [p, q, g] = [0, 1, 2].map((i) => uintValue(expectAt(params, i, DER.INTEGER, 'DSA parameter').content));
    let inner = expectAt(top, keyAt, keyTag, 'key').content;
    if (keyTag === DER.BIT_STRING) inner = inner.subarray(1);
    return { p: p!, q: q!, g: g!, v: uintValue(readTlv(inner).content) };
  } catch (e) {
    if (e instanceof DerError) throw new KmipOperationError('GeneralFailure', 'the stored DSA key could not be converted');
    throw e;
  }
}

/** `key` as the Key Material structure of a Transparent `format`, or Key Format Type Not Supported. */
export function keyToTransparent(key: KeyObject, format: number): StructureItem {
  const kind = key.asymmetricKeyType;
  const isPrivate = key.type === 'private';
  const fits =
    (kind === 'rsa' && (isPrivate ? RSA_PRIVATE : RSA_PUBLIC).includes(format)) ||
    (kind === 'dsa' && (isPrivate ? DSA_PRIVATE : DSA_PUBLIC).includes(format)) ||
    (kind === 'ec' && (isPrivate ? EC_PRIVATE : EC_PUBLIC).includes(format));
  if (!fits) throw new KmipOperationError('KeyFormatTypeNotSupported', `Key Format Type ${format} is not available for this ${kind ?? ''} ${key.type} key`);
  if (kind === 'dsa') {
    const { p, q, g, v } = dsaFields(key);
    return struct(Tag.KeyMaterial, [bigItem(Tag.P, p), bigItem(Tag.Q, q), bigItem(Tag.G, g), bigItem(isPrivate ? Tag.X : Tag.Y, v)]);
  }
  const jwk = key.export({ format: 'jwk' });
  if (kind === 'rsa') {
    const pub = [bigItem(Tag.Modulus, unb64u(jwk.n)), bigItem(Tag.PublicExponent, unb64u(jwk.e))];
    if (!isPrivate) return struct(Tag.KeyMaterial, pub);
    return struct(Tag.KeyMaterial, [
      pub[0]!,
      bigItem(Tag.PrivateExponent, unb64u(jwk.d)),
      pub[1]!,
      bigItem(Tag.P, unb64u(jwk.p)),
      bigItem(Tag.Q, unb64u(jwk.q)),
      bigItem(Tag.PrimeExponentP, unb64u(jwk.dp)),
      bigItem(Tag.PrimeExponentQ, unb64u(jwk.dq)),
      bigItem(Tag.CRTCoefficient, unb64u(jwk.qi)),
    ]);
  }
  const curve = [...CURVES].find(([, c]) => c.jwk === jwk.crv)?.[0];
  if (curve === undefined) throw new KmipOperationError('KeyFormatTypeNotSupported', `curve ${jwk.crv ?? '?'} has no Recommended Curve here`);
  const rc = item(Tag.RecommendedCurve, 'Enumeration', curve);
  if (isPrivate) return struct(Tag.KeyMaterial, [rc, bigItem(Tag.D, unb64u(jwk.d))]);
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(unb64u(jwk.x)), Buffer.from(unb64u(jwk.y))]);
  return struct(Tag.KeyMaterial, [rc, item(Tag.QString, 'ByteString', new Uint8Array(point))]);
}
