// Private Key, Public Key and Certificate material. A registered key is kept
// in the Key Format Type it was registered in (Get without a Key Format Type
// answers in it, 2.1 §6.1.24); generated keys in the default format their
// Digest names: RSA keys in PKCS#1 (the format the 1.4 AKLC vectors show in
// the Digest), EC and DSA keys as PKCS#8 (private) and X.509
// SubjectPublicKeyInfo (public). Get converts through a node:crypto KeyObject
// between PKCS#1, PKCS#8, X.509, ECPrivateKey (SEC 1) and the Transparent
// formats (transparent.ts); other formats are Key Format Type Not Supported.
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, struct, type StructureItem, type TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import { KmipOperationError } from '../errors.js';
import { CURVES, isTransparentAsymmetric, keyToTransparent, transparentToKey } from './transparent.js';

export { CURVES } from './transparent.js';

const KFT = Enum.KeyFormatType;
const CA = Enum.CryptographicAlgorithm;

export interface KeyInfo {
  algorithm: number;
  length: number;
  curve?: number;
}

/** The default (stored) format of a key. */
export function defaultFormat(objectTag: number, algorithm: number): number {
  if (algorithm === CA.RSA) return KFT.PKCS_1;
  return objectTag === Tag.PrivateKey ? KFT.PKCS_8 : KFT.X_509;
}

/** DER of `key` in a Key Format Type, or Key Format Type Not Supported. */
export function exportKey(key: KeyObject, format: number): Uint8Array {
  const isRsa = key.asymmetricKeyType === 'rsa';
  let der: Buffer | undefined;
  if (key.type === 'private') {
    if (format === KFT.PKCS_8) der = key.export({ format: 'der', type: 'pkcs8' });
    else if (format === KFT.PKCS_1 && isRsa) der = key.export({ format: 'der', type: 'pkcs1' });
    else if (format === KFT.ECPrivateKey && key.asymmetricKeyType === 'ec') der = key.export({ format: 'der', type: 'sec1' });
  } else if (format === KFT.X_509) der = key.export({ format: 'der', type: 'spki' });
  else if (format === KFT.PKCS_1 && isRsa) der = key.export({ format: 'der', type: 'pkcs1' });
  if (der === undefined) throw new KmipOperationError('KeyFormatTypeNotSupported', `Key Format Type ${format} is not supported for this ${key.asymmetricKeyType ?? ''} ${key.type} key`);
  return new Uint8Array(der);
}

/** Parses DER key material of `format` with node:crypto; bad material is Invalid Field. */
export function importKey(objectTag: number, der: Uint8Array, format: number): KeyObject {
  const b = Buffer.from(der);
  try {
    if (objectTag === Tag.PrivateKey) {
      if (format === KFT.PKCS_8) return createPrivateKey({ key: b, format: 'der', type: 'pkcs8' });
      if (format === KFT.PKCS_1) return createPrivateKey({ key: b, format: 'der', type: 'pkcs1' });
      if (format === KFT.ECPrivateKey) return createPrivateKey({ key: b, format: 'der', type: 'sec1' });
    } else {
      if (format === KFT.X_509) return createPublicKey({ key: b, format: 'der', type: 'spki' });
      if (format === KFT.PKCS_1) return createPublicKey({ key: b, format: 'der', type: 'pkcs1' });
    }
  } catch (e) {
    throw new KmipOperationError('InvalidField', `the key material is not a valid ${formatName(format)} ${objectTag === Tag.PrivateKey ? 'private' : 'public'} key: ${(e as Error).message}`);
  }
  throw new KmipOperationError('KeyFormatTypeNotSupported', `Key Format Type ${format} is not supported for ${objectTag === Tag.PrivateKey ? 'Private' : 'Public'} Keys (PKCS#1, PKCS#8, X.509, ECPrivateKey, Transparent RSA / DSA / EC)`);
}

function formatName(f: number): string {
  return f === KFT.PKCS_1 ? 'PKCS#1' : f === KFT.PKCS_8 ? 'PKCS#8' : f === KFT.X_509 ? 'X.509' : f === KFT.ECPrivateKey ? 'ECPrivateKey' : String(f);
}

/** Algorithm, length and curve of a parsed key. */
export function keyInfo(key: KeyObject): KeyInfo {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return { algorithm: CA.RSA, length: d.modulusLength ?? 0 };
  if (key.asymmetricKeyType === 'ec') {
    for (const [curve, c] of CURVES) if (c.name === d.namedCurve) return { algorithm: CA.EC, length: c.bits, curve };
    throw new KmipOperationError('InvalidField', `EC curve ${d.namedCurve ?? '?'} is not supported (P-256, P-384, P-521, secp256k1)`);
  }
  if (key.asymmetricKeyType === 'dsa') return { algorithm: CA.DSA, length: d.modulusLength ?? 0 };
  throw new KmipOperationError('InvalidField', `${key.asymmetricKeyType ?? 'unknown'} keys are not supported (RSA, DSA, EC)`);
}

/** A Private Key or Public Key object structure. */
export function asymmetricKey(objectTag: number, der: Uint8Array, format: number, info: KeyInfo): StructureItem {
  return struct(objectTag, [
    struct(Tag.KeyBlock, [
      item(Tag.KeyFormatType, 'Enumeration', format),
      struct(Tag.KeyValue, [item(Tag.KeyMaterial, 'ByteString', der)]),
      item(Tag.CryptographicAlgorithm, 'Enumeration', info.algorithm),
      item(Tag.CryptographicLength, 'Integer', info.length),
    ]),
  ]);
}

function child(s: StructureItem, tag: number): TtlvItem | undefined {
  return s.value.find((c) => c.tag === tag);
}

/** The Key Block of a Private/Public Key, its Key Format Type and Key Material (unwrapped only). */
function blockParts(obj: StructureItem): { block: StructureItem; format: number; material: TtlvItem | undefined } {
  const block = child(obj, Tag.KeyBlock);
  if (block?.type !== 'Structure') throw new KmipOperationError('InvalidField', 'the key has no Key Block');
  if (child(block, Tag.KeyWrappingData) !== undefined) throw new KmipOperationError('FeatureNotSupported', 'wrapped key material is not supported');
  const format = child(block, Tag.KeyFormatType);
  const value = child(block, Tag.KeyValue);
  if (format?.type !== 'Enumeration') throw new KmipOperationError('InvalidField', 'the Key Block has no Key Format Type');
  if (value === undefined) throw new KmipOperationError('InvalidField', 'the Key Block has no Key Value');
  // A Key Value is a structure; a bare Byte String is taken as its Key Material, as before.
  return { block, format: format.value, material: value.type === 'Structure' ? child(value, Tag.KeyMaterial) : value };
}

/** The key of a Private/Public Key structure in any supported format, as a KeyObject. */
export function loadKey(obj: StructureItem): KeyObject {
  const { format, material } = blockParts(obj);
  if (isTransparentAsymmetric(format)) return transparentToKey(obj.tag, format, material);
  const der = ([KFT.PKCS_1, KFT.PKCS_8, KFT.X_509, KFT.ECPrivateKey] as number[]).includes(format);
  if (der && material?.type !== 'ByteString') throw new KmipOperationError('InvalidField', `Key Format Type ${formatName(format)} needs its Key Material as a Byte String`);
  // Anything else (Transparent DH, PKCS#12, …) is refused by importKey as Key Format Type Not Supported.
  return importKey(obj.tag, material?.type === 'ByteString' ? material.value : new Uint8Array(0), format);
}

/** The Key Format Type a Private/Public Key structure carries. */
export function storedFormat(obj: StructureItem): number {
  return blockParts(obj).format;
}

/**
 * DER material of a Private/Public Key structure: as stored when it is DER,
 * else (a Transparent format) converted to the default format.
 */
export function keyMaterial(obj: StructureItem): { der: Uint8Array; format: number } {
  const { format, material } = blockParts(obj);
  if (material?.type === 'ByteString' && !isTransparentAsymmetric(format)) return { der: material.value, format };
  const key = loadKey(obj);
  const kept = defaultFormat(obj.tag, keyInfo(key).algorithm);
  return { der: exportKey(key, kept), format: kept };
}

/** A stored Private/Public Key in another Key Format Type (the same object when it already is in it). */
export function asymmetricInFormat(obj: StructureItem, format: number): StructureItem {
  const { block, format: stored } = blockParts(obj);
  if (format === stored) return obj;
  const key = loadKey(obj);
  const material = isTransparentAsymmetric(format) ? keyToTransparent(key, format) : item(Tag.KeyMaterial, 'ByteString', exportKey(key, format));
  const info = keyInfo(key);
  // The Key Block's other fields (algorithm, length, …) are kept; only format and value change.
  const rest = block.value.filter((c) => c.tag !== Tag.KeyFormatType && c.tag !== Tag.KeyValue);
  if (rest.length === 0) rest.push(item(Tag.CryptographicAlgorithm, 'Enumeration', info.algorithm), item(Tag.CryptographicLength, 'Integer', info.length));
  return struct(obj.tag, [
    struct(Tag.KeyBlock, [item(Tag.KeyFormatType, 'Enumeration', format), struct(Tag.KeyValue, [material]), ...rest]),
    ...obj.value.filter((c) => c.tag !== Tag.KeyBlock),
  ]);
}

/** Validates an X.509 Certificate object structure (DER); Invalid Field when it does not parse. */
export function checkCertificate(obj: StructureItem): X509Certificate {
  const type = child(obj, Tag.CertificateType);
  const value = child(obj, Tag.CertificateValue);
  if (type?.type !== 'Enumeration' || value?.type !== 'ByteString') throw new KmipOperationError('InvalidField', 'a Certificate needs a Certificate Type and a Certificate Value');
  if (type.value !== Enum.CertificateType.X_509) throw new KmipOperationError('InvalidField', 'only X.509 certificates are supported');
  try {
    return new X509Certificate(Buffer.from(value.value));
  } catch (e) {
    throw new KmipOperationError('InvalidField', `the Certificate Value is not a DER X.509 certificate: ${(e as Error).message}`);
  }
}
