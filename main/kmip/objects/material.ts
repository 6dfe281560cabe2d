// What a managed object's material is: the object's own TTLV structure as
// the server keeps it, encoded and encrypted by the store. A registered object
// is kept in the Key Format Type it came in, so that Get without a Key Format
// Type returns it as registered (2.1 §6.1.24); created symmetric keys are Raw.
// Digests and format conversions start from the plain key bytes.
import { createHash } from 'node:crypto';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, item, struct, type StructureItem, type TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import type { AttributeValue } from '../../../shared/kmip/message/index.js';
import { KmipOperationError } from '../errors.js';
import { asymmetricInFormat } from './asymmetric.js';

const KFT = Enum.KeyFormatType;

/** The Object Type → the tag of the object structure in Register / Get payloads. */
export const OBJECT_TAGS: ReadonlyMap<number, number> = new Map([
  [Enum.ObjectType.SymmetricKey, Tag.SymmetricKey],
  [Enum.ObjectType.SecretData, Tag.SecretData],
  [Enum.ObjectType.OpaqueObject, Tag.OpaqueObject],
  [Enum.ObjectType.PrivateKey, Tag.PrivateKey],
  [Enum.ObjectType.PublicKey, Tag.PublicKey],
  [Enum.ObjectType.Certificate, Tag.Certificate],
]);

function child(s: StructureItem, tag: number): TtlvItem | undefined {
  return s.value.find((c) => c.tag === tag);
}

function need<T extends TtlvItem['type']>(s: StructureItem, tag: number, type: T, what: string): Extract<TtlvItem, { type: T }> {
  const c = child(s, tag);
  if (c === undefined || c.type !== type) throw new KmipOperationError('InvalidField', `${what} is missing or not a ${type}`);
  return c as Extract<TtlvItem, { type: T }>;
}

/** A Symmetric Key object with a Raw Key Block. */
export function symmetricKey(key: Uint8Array, algorithm: number, length: number): StructureItem {
  return struct(Tag.SymmetricKey, [
    struct(Tag.KeyBlock, [
      item(Tag.KeyFormatType, 'Enumeration', KFT.Raw),
      struct(Tag.KeyValue, [item(Tag.KeyMaterial, 'ByteString', key)]),
      item(Tag.CryptographicAlgorithm, 'Enumeration', algorithm),
      item(Tag.CryptographicLength, 'Integer', length),
    ]),
  ]);
}

export function encodeMaterial(obj: StructureItem): Uint8Array {
  return encodeTtlv(obj);
}

export function decodeMaterial(bytes: Uint8Array): StructureItem {
  const it = decodeTtlv(bytes);
  if (it.type !== 'Structure') throw new Error('stored material is not a structure');
  return it;
}

/** decodeMaterial, then wipes `bytes` whatever happens (the decoded structure holds copies). */
export function openMaterial(bytes: Uint8Array): StructureItem {
  try {
    return decodeMaterial(bytes);
  } finally {
    bytes.fill(0);
  }
}

/** The Key Block of an object structure (every supported type has one). */
export function keyBlock(obj: StructureItem): StructureItem {
  return need(obj, Tag.KeyBlock, 'Structure', 'Key Block');
}

/** Plain key bytes of a Raw / Opaque / Transparent Symmetric Key Key Block (unwrapped only). */
export function keyBytes(block: StructureItem): Uint8Array {
  if (child(block, Tag.KeyWrappingData) !== undefined) throw new KmipOperationError('FeatureNotSupported', 'wrapped key material is not supported');
  const format = need(block, Tag.KeyFormatType, 'Enumeration', 'Key Format Type').value;
  const value = need(block, Tag.KeyValue, 'Structure', 'Key Value');
  if (format === KFT.TransparentSymmetricKey) {
    return need(need(value, Tag.KeyMaterial, 'Structure', 'Key Material'), Tag.Key, 'ByteString', 'Key').value;
  }
  if (format === KFT.Raw || format === KFT.Opaque) return need(value, Tag.KeyMaterial, 'ByteString', 'Key Material').value;
  throw new KmipOperationError('KeyFormatTypeNotSupported', `Key Format Type ${format} is not supported here`);
}

/** The Digest attribute (SHA-256 over the Raw key bytes; 1.4 §3.17, 2.1 §4.12). */
export function digest(bytes: Uint8Array, format: number): AttributeValue {
  return {
    type: 'Structure',
    value: [
      item(Tag.HashingAlgorithm, 'Enumeration', Enum.HashingAlgorithm.SHA_256),
      item(Tag.DigestValue, 'ByteString', new Uint8Array(createHash('sha256').update(bytes).digest())),
      item(Tag.KeyFormatType, 'Enumeration', format),
    ],
  };
}

/**
 * The object as Get returns it in `format` (undefined: as stored). Symmetric
 * keys convert between Raw and Transparent Symmetric Key, Private / Public
 * Keys between PKCS#1, PKCS#8 and X.509 (asymmetric.ts); anything else that
 * asks for another format fails with Key Format Type Not Supported.
 */
export function inFormat(obj: StructureItem, format: number | undefined): StructureItem {
  if (format !== undefined && (obj.tag === Tag.PrivateKey || obj.tag === Tag.PublicKey)) return asymmetricInFormat(obj, format);
  const block = keyBlock(obj);
  const stored = need(block, Tag.KeyFormatType, 'Enumeration', 'Key Format Type').value;
  if (format === undefined || format === stored) return obj;
  if (obj.tag === Tag.SymmetricKey && (format === KFT.TransparentSymmetricKey || format === KFT.Raw)) {
    const key = keyBytes(block);
    const material = format === KFT.Raw ? item(Tag.KeyMaterial, 'ByteString', key) : struct(Tag.KeyMaterial, [item(Tag.Key, 'ByteString', key)]);
    const rest = block.value.filter((c) => c.tag !== Tag.KeyFormatType && c.tag !== Tag.KeyValue);
    return struct(obj.tag, [
      struct(Tag.KeyBlock, [item(Tag.KeyFormatType, 'Enumeration', format), struct(Tag.KeyValue, [material]), ...rest]),
      ...obj.value.filter((c) => c.tag !== Tag.KeyBlock),
    ]);
  }
  throw new KmipOperationError('KeyFormatTypeNotSupported', 'the requested Key Format Type is not available for this object');
}
