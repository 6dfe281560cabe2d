// Private Key, Public Key and Certificate material. Keys are kept as DER in
// the format their Digest names: RSA keys in PKCS#1 (the format the 1.4 AKLC
// vectors show in the Digest), EC keys as PKCS#8 (private) and X.509
// SubjectPublicKeyInfo (public). Get converts with node:crypto between
// PKCS#1, PKCS#8 and X.509; other formats are Key Format Type Not Supported.
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, struct, type StructureItem, type TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import { KmipOperationError } from '../errors.js';

const KFT = Enum.KeyFormatType;
const CA = Enum.CryptographicAlgorithm;

export const CURVES: ReadonlyMap<number, { name: string; bits: number }> = new Map([
  [Enum.RecommendedCurve.P_256, { name: 'prime256v1', bits: 256 }],
  [Enum.RecommendedCurve.P_384, { name: 'secp384r1', bits: 384 }],
  [Enum.RecommendedCurve.P_521, { name: 'secp521r1', bits: 521 }],
]);

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
    } else {
      if (format === KFT.X_509) return createPublicKey({ key: b, format: 'der', type: 'spki' });
      if (format === KFT.PKCS_1) return createPublicKey({ key: b, format: 'der', type: 'pkcs1' });
    }
  } catch (e) {
    throw new KmipOperationError('InvalidField', `the key material is not a valid ${formatName(format)} ${objectTag === Tag.PrivateKey ? 'private' : 'public'} key: ${(e as Error).message}`);
  }
  throw new KmipOperationError('KeyFormatTypeNotSupported', `Key Format Type ${format} is not supported for ${objectTag === Tag.PrivateKey ? 'Private' : 'Public'} Keys (PKCS#1, PKCS#8, X.509)`);
}

function formatName(f: number): string {
  return f === KFT.PKCS_1 ? 'PKCS#1' : f === KFT.PKCS_8 ? 'PKCS#8' : f === KFT.X_509 ? 'X.509' : String(f);
}

/** Algorithm, length and curve of a parsed key. */
export function keyInfo(key: KeyObject): KeyInfo {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return { algorithm: CA.RSA, length: d.modulusLength ?? 0 };
  if (key.asymmetricKeyType === 'ec') {
    for (const [curve, c] of CURVES) if (c.name === d.namedCurve) return { algorithm: CA.EC, length: c.bits, curve };
    throw new KmipOperationError('InvalidField', `EC curve ${d.namedCurve ?? '?'} is not supported (P-256, P-384, P-521)`);
  }
  throw new KmipOperationError('InvalidField', `${key.asymmetricKeyType ?? 'unknown'} keys are not supported (RSA, EC)`);
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

/** The unwrapped DER material and format of a Private/Public Key structure. */
export function keyMaterial(obj: StructureItem): { der: Uint8Array; format: number } {
  const block = child(obj, Tag.KeyBlock);
  if (block?.type !== 'Structure') throw new KmipOperationError('InvalidField', 'the key has no Key Block');
  if (child(block, Tag.KeyWrappingData) !== undefined) throw new KmipOperationError('FeatureNotSupported', 'wrapped key material is not supported');
  const format = child(block, Tag.KeyFormatType);
  const value = child(block, Tag.KeyValue);
  if (format?.type !== 'Enumeration') throw new KmipOperationError('InvalidField', 'the Key Block has no Key Format Type');
  const material = value?.type === 'Structure' ? child(value, Tag.KeyMaterial) : value;
  if (material?.type !== 'ByteString') throw new KmipOperationError('KeyFormatTypeNotSupported', 'only DER key material (PKCS#1, PKCS#8, X.509) is supported for asymmetric keys');
  return { der: material.value, format: format.value };
}

/** A stored Private/Public Key in another Key Format Type. */
export function asymmetricInFormat(obj: StructureItem, format: number): StructureItem {
  const { der, format: stored } = keyMaterial(obj);
  if (format === stored) return obj;
  const key = importKey(obj.tag, der, stored);
  return asymmetricKey(obj.tag, exportKey(key, format), format, keyInfo(key));
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
