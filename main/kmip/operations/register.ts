// Register (1.4 §4.3, 2.1 §6.1.42): a client-supplied Symmetric Key, Secret
// Data, Opaque Object, Private / Public Key or X.509 Certificate. Every object
// is kept in the Key Format Type it was registered in, so that Get without a
// Key Format Type returns it as registered (2.1 §6.1.24). Keys are checked by
// loading them: Private / Public Keys in PKCS#1, PKCS#8, X.509, ECPrivateKey or
// Transparent RSA / DSA / EC (objects/asymmetric.ts, transparent.ts), whose
// Cryptographic Algorithm and Length must match the material; Certificates by
// X509Certificate, and the certificate attributes are derived from them
// (objects/certificate-attributes.ts). The key policy (key-policy-gate.ts)
// judges the object once its algorithm and length are known. A wrapped Key
// Block (Key Wrapping Data) is first unwrapped with its managed wrapping key
// (key-wrapping.ts) and then checked and stored like a plain one, but
// Sensitive (and so Always Sensitive): the server cannot tell whether the
// wrapped value came out of a Sensitive object (2.1 §4.55: its value is
// served "only wrapped"), and an Unwrap Key private key must not turn into a
// decryption key whose output the client reads back (an explicit Sensitive
// False is refused). Its value then leaves only as a Sensitive object's does.
import type { Attribute, AttributeValue } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { encodeTtlv, item, struct, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { checkCertificate, defaultFormat, exportKey, keyInfo, loadKey, storedFormat } from '../objects/asymmetric.js';
import { certificateAttributes } from '../objects/certificate-attributes.js';
import { digest, encodeMaterial, keyBlock, keyBytes, OBJECT_TAGS } from '../objects/material.js';
import { displayName, sameValue } from './attribute-rules.js';
import type { KeyFacts } from '../../policy/key-policy.js';
import { admitNewObject, withDefaultLifetime } from './key-policy-gate.js';
import { isWrapped, unwrapObject } from './key-wrapping.js';
import { booleanAttribute, enumField, initialState, isV1, managedObjects, now, onlyKnown, protectionAttributes, rejectServerOnly, requestAttributes } from './managed.js';

export const operation = Enum.Operation.Register;

const CA = Enum.CryptographicAlgorithm;
const EC_ALGORITHMS: readonly number[] = [CA.EC, CA.ECDSA, CA.ECDH, CA.ECMQV];

function intIn(s: StructureItem, tag: number): number | undefined {
  const c = s.value.find((x) => x.tag === tag);
  return c?.type === 'Integer' || c?.type === 'Enumeration' ? c.value : undefined;
}

function attrInt(attrs: readonly Attribute[], name: string): number | undefined {
  const v = attrs.find((a) => a.name === name)?.value;
  return v?.type === 'Integer' || v?.type === 'Enumeration' ? v.value : undefined;
}

/** The object with Cryptographic Algorithm / Length added to its Key Block when the client left them out. */
function withBlockInfo(obj: StructureItem, algorithm: number, length: number): StructureItem {
  const block = keyBlock(obj);
  const add = [
    ...(intIn(block, Tag.CryptographicAlgorithm) === undefined ? [item(Tag.CryptographicAlgorithm, 'Enumeration', algorithm)] : []),
    ...(intIn(block, Tag.CryptographicLength) === undefined ? [item(Tag.CryptographicLength, 'Integer', length)] : []),
  ];
  if (add.length === 0) return obj;
  return struct(obj.tag, obj.value.map((c) => (c === block ? struct(Tag.KeyBlock, [...block.value, ...add]) : c)));
}

/** Cryptographic Algorithm and Length of a Private / Public Key: the Key Block's and the attributes must match the material. */
function checkKeyInfo(block: StructureItem, attrs: readonly Attribute[], info: { algorithm: number; length: number }): void {
  const algOk = (a: number | undefined): boolean => a === undefined || a === info.algorithm || (info.algorithm === CA.EC && EC_ALGORITHMS.includes(a));
  for (const [where, alg, len] of [
    ['Key Block', intIn(block, Tag.CryptographicAlgorithm), intIn(block, Tag.CryptographicLength)],
    ['attribute', attrInt(attrs, 'CryptographicAlgorithm'), attrInt(attrs, 'CryptographicLength')],
  ] as const) {
    if (!algOk(alg)) throw new KmipOperationError('InvalidField', `the Cryptographic Algorithm (${where}) does not match the key material`);
    if (len !== undefined && len !== info.length) {
      throw new KmipOperationError('InvalidField', `the Cryptographic Length (${where}) is ${len} but the key material is ${info.length} bits`);
    }
  }
}

/**
 * The mandatory SHA-256 Digest of a registered key (1.4 §3.17: "using the Key
 * Format Type of the registered object"; over the TTLV encoding when the Key
 * Material is a structure). 2.1 §4.12 instead names the default format for
 * the mandatory instance, so 2.x gets that one first and the registered one
 * as an additional instance when they differ.
 */
function keyDigests(block: StructureItem, defaultDigest: () => AttributeValue, defaultFormatType: number, ctx: OperationContext): Attribute[] {
  const format = intIn(block, Tag.KeyFormatType)!;
  const value = block.value.find((c) => c.tag === Tag.KeyValue);
  const m = value?.type === 'Structure' ? value.value.find((c) => c.tag === Tag.KeyMaterial) : undefined;
  const bytes = m?.type === 'ByteString' ? m.value : m?.type === 'Structure' ? encodeTtlv(m) : undefined;
  const registered = bytes === undefined ? [] : [{ name: 'Digest', value: digest(bytes, format) }];
  if (isV1(ctx)) return registered.length > 0 ? registered : [{ name: 'Digest', value: defaultDigest() }];
  return [{ name: 'Digest', value: defaultDigest() }, ...(format === defaultFormatType ? [] : registered)];
}

/**
 * Attributes derived from the object, merged into the client's: a name the
 * client did not give is added; one it gave must agree with the object (it is
 * then kept once, as the client sent it). A name derived more than once (two
 * OU fields) is not compared: the client's instances stand.
 */
function addDerived(stored: Attribute[], attrs: readonly Attribute[], derived: readonly Attribute[]): void {
  for (const d of derived) {
    const given = attrs.filter((a) => a.name === d.name);
    if (given.length === 0) stored.push(d);
    else if (derived.filter((x) => x.name === d.name).length === 1 && !given.some((g) => sameValue(g.value, d.value))) {
      throw new KmipOperationError('InvalidField', `the ${displayName(d.name)} attribute does not match the certificate`);
    }
  }
}

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  const objectTags = [...OBJECT_TAGS.values()];
  onlyKnown(payload, [Tag.ObjectType, Tag.TemplateAttribute, Tag.Attributes, Tag.ProtectionStorageMasks, ...objectTags], 'Register');
  const objects = managedObjects(ctx);
  const objectType = enumField(payload, Tag.ObjectType);
  if (objectType === undefined) throw new KmipOperationError('MissingData', 'Register needs an Object Type');
  const tag = OBJECT_TAGS.get(objectType);
  if (tag === undefined) throw new KmipOperationError('InvalidField', 'this Object Type cannot be registered here (Symmetric Key, Secret Data, Opaque Object, Private Key, Public Key, Certificate)');
  const given = payload.value.find((c) => c.tag === tag);
  if (given?.type !== 'Structure') throw new KmipOperationError('MissingData', 'Register needs the object matching its Object Type');
  const wrapped = isWrapped(given);
  const asked = requestAttributes(payload, ctx);
  // Fresh is the client's to give in Register (2.1 §4.24: "unless the client provides a False value in Register or Import").
  rejectServerOnly(asked.filter((a) => a.name !== 'Fresh'));
  const sensitive = booleanAttribute(asked, 'Sensitive');
  if (wrapped && sensitive === false) {
    throw new KmipOperationError('InvalidField', 'a wrapped key is unwrapped by the server and stored Sensitive (its value is then served only wrapped, like a Sensitive key\'s); leave out Sensitive or set it True');
  }
  const attrs: Attribute[] = wrapped && sensitive === undefined ? [...asked, { name: 'Sensitive', value: { type: 'Boolean', value: true } }] : asked;
  const obj = wrapped ? unwrapObject(ctx, given) : given;
  const stored: Attribute[] = [...attrs];
  let material = obj;
  let keyFacts: KeyFacts | undefined;
  if (objectType === Enum.ObjectType.SymmetricKey) {
    const block = keyBlock(obj);
    const key = keyBytes(block);
    if (key.length === 0) throw new KmipOperationError('InvalidField', 'the Symmetric Key has no key bytes');
    const alg = intIn(block, Tag.CryptographicAlgorithm) ?? attrInt(attrs, 'CryptographicAlgorithm');
    if (alg === undefined) throw new KmipOperationError('MissingData', 'a Symmetric Key needs a Cryptographic Algorithm');
    const length = intIn(block, Tag.CryptographicLength) ?? attrInt(attrs, 'CryptographicLength') ?? key.length * 8;
    // The Key Block's algorithm and length are the key's attributes (1.4 §2.1.3).
    if (attrInt(attrs, 'CryptographicAlgorithm') === undefined) stored.push({ name: 'CryptographicAlgorithm', value: { type: 'Enumeration', value: alg } });
    if (attrInt(attrs, 'CryptographicLength') === undefined) stored.push({ name: 'CryptographicLength', value: { type: 'Integer', value: length } });
    material = withBlockInfo(obj, alg, length);
    keyFacts = { algorithm: alg, length };
    stored.push(...keyDigests(block, () => digest(key, Enum.KeyFormatType.Raw), Enum.KeyFormatType.Raw, ctx));
  } else if (objectType === Enum.ObjectType.PrivateKey || objectType === Enum.ObjectType.PublicKey) {
    const block = keyBlock(obj);
    const key = loadKey(obj);
    const info = keyInfo(key);
    checkKeyInfo(block, attrs, info);
    keyFacts = info;
    if (attrInt(attrs, 'CryptographicAlgorithm') === undefined) stored.push({ name: 'CryptographicAlgorithm', value: { type: 'Enumeration', value: intIn(block, Tag.CryptographicAlgorithm) ?? info.algorithm } });
    if (attrInt(attrs, 'CryptographicLength') === undefined) stored.push({ name: 'CryptographicLength', value: { type: 'Integer', value: info.length } });
    // The default format: RSA PKCS#1 (as the 1.4 AKLC vectors show), else PKCS#8 / X.509.
    const kept = defaultFormat(obj.tag, info.algorithm);
    stored.push(...keyDigests(block, () => digest(exportKey(key, kept), kept), kept, ctx), { name: 'KeyFormatType', value: { type: 'Enumeration', value: storedFormat(obj) } });
    material = withBlockInfo(obj, info.algorithm, info.length);
  } else if (objectType === Enum.ObjectType.Certificate) {
    const cert = checkCertificate(obj);
    addDerived(stored, attrs, certificateAttributes(cert, new Uint8Array(cert.raw)));
  } else if (objectType === Enum.ObjectType.SecretData) {
    const block = keyBlock(obj);
    const format = intIn(block, Tag.KeyFormatType) ?? Enum.KeyFormatType.Opaque;
    stored.push({ name: 'Digest', value: digest(keyBytes(block), format) });
  }
  // A new object is Fresh unless the client says otherwise (2.1 §4.24; 1.4 §3.34).
  if (!attrs.some((a) => a.name === 'Fresh')) stored.push({ name: 'Fresh', value: { type: 'Boolean', value: true } });
  const t = now(ctx);
  stored.push({ name: 'InitialDate', value: t }, { name: 'LastChangeDate', value: t }, { name: 'OriginalCreationDate', value: t }, ...protectionAttributes(attrs));
  admitNewObject(ctx, 'Register', objectType, keyFacts, stored);
  const id = objects.create({ origin: 'imported', objectType, state: initialState(attrs, ctx), attributes: withDefaultLifetime(ctx, objectType, stored), material: encodeMaterial(material) });
  return { payload: [item(Tag.UniqueIdentifier, 'TextString', id)], idPlaceholder: id };
}
