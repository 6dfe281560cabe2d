// Register (1.4 §4.3, 2.1 §6.1.42): a client-supplied Symmetric Key, Secret
// Data, Opaque Object, Private / Public Key (PKCS#1, PKCS#8, X.509 DER,
// parsed by node:crypto) or X.509 Certificate (parsed by X509Certificate). Symmetric keys are kept in Raw format (Raw and
// Transparent Symmetric Key accepted); Secret Data and Opaque Objects as sent.
import type { Attribute } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { asymmetricKey, checkCertificate, defaultFormat, exportKey, importKey, keyInfo, keyMaterial } from '../objects/asymmetric.js';
import { digest, encodeMaterial, keyBlock, keyBytes, OBJECT_TAGS, symmetricKey } from '../objects/material.js';
import { enumField, initialState, managedObjects, now, onlyKnown, rejectServerOnly, requestAttributes } from './managed.js';

export const operation = Enum.Operation.Register;

function intIn(s: StructureItem, tag: number): number | undefined {
  const c = s.value.find((x) => x.tag === tag);
  return c?.type === 'Integer' || c?.type === 'Enumeration' ? c.value : undefined;
}

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  const objectTags = [...OBJECT_TAGS.values()];
  onlyKnown(payload, [Tag.ObjectType, Tag.TemplateAttribute, Tag.Attributes, Tag.ProtectionStorageMasks, ...objectTags], 'Register');
  const objects = managedObjects(ctx);
  const objectType = enumField(payload, Tag.ObjectType);
  if (objectType === undefined) throw new KmipOperationError('MissingData', 'Register needs an Object Type');
  const tag = OBJECT_TAGS.get(objectType);
  if (tag === undefined) throw new KmipOperationError('InvalidField', 'this Object Type cannot be registered here (Symmetric Key, Secret Data, Opaque Object, Private Key, Public Key, Certificate)');
  const obj = payload.value.find((c) => c.tag === tag);
  if (obj?.type !== 'Structure') throw new KmipOperationError('MissingData', 'Register needs the object matching its Object Type');
  const attrs = requestAttributes(payload, ctx);
  rejectServerOnly(attrs);
  const stored: Attribute[] = [...attrs];
  let material = obj;
  if (objectType === Enum.ObjectType.SymmetricKey) {
    const block = keyBlock(obj);
    const key = keyBytes(block);
    const attrInt = (name: string): number | undefined => {
      const v = attrs.find((a) => a.name === name)?.value;
      return v?.type === 'Integer' || v?.type === 'Enumeration' ? v.value : undefined;
    };
    const alg = intIn(block, Tag.CryptographicAlgorithm) ?? attrInt('CryptographicAlgorithm');
    if (alg === undefined) throw new KmipOperationError('MissingData', 'a Symmetric Key needs a Cryptographic Algorithm');
    const length = intIn(block, Tag.CryptographicLength) ?? attrInt('CryptographicLength') ?? key.length * 8;
    // The Key Block's algorithm and length are the key's attributes (1.4 §2.1.3).
    if (attrInt('CryptographicAlgorithm') === undefined) stored.push({ name: 'CryptographicAlgorithm', value: { type: 'Enumeration', value: alg } });
    if (attrInt('CryptographicLength') === undefined) stored.push({ name: 'CryptographicLength', value: { type: 'Integer', value: length } });
    material = symmetricKey(key, alg, length);
    stored.push({ name: 'Digest', value: digest(key, Enum.KeyFormatType.Raw) });
  } else if (objectType === Enum.ObjectType.PrivateKey || objectType === Enum.ObjectType.PublicKey) {
    const { der, format } = keyMaterial(obj);
    const key = importKey(obj.tag, der, format);
    const info = keyInfo(key);
    for (const [name, v] of [['CryptographicAlgorithm', info.algorithm], ['CryptographicLength', info.length]] as const) {
      const given = attrs.find((a) => a.name === name)?.value;
      const ok = given === undefined || ((given.type === 'Integer' || given.type === 'Enumeration') && (given.value === v || (name === 'CryptographicAlgorithm' && given.value === Enum.CryptographicAlgorithm.ECDSA && v === Enum.CryptographicAlgorithm.EC)));
      if (!ok) throw new KmipOperationError('InvalidField', `the ${name} attribute does not match the key material`);
      if (given === undefined) stored.push({ name, value: { type: name === 'CryptographicLength' ? 'Integer' : 'Enumeration', value: v } });
    }
    // Kept in the default format (RSA: PKCS#1; EC: PKCS#8 / X.509), as Create Key Pair keeps it.
    const kept = defaultFormat(obj.tag, info.algorithm);
    const keptDer = exportKey(key, kept);
    material = asymmetricKey(obj.tag, keptDer, kept, info);
    stored.push({ name: 'Digest', value: digest(keptDer, kept) }, { name: 'KeyFormatType', value: { type: 'Enumeration', value: kept } });
  } else if (objectType === Enum.ObjectType.Certificate) {
    checkCertificate(obj);
  } else if (objectType === Enum.ObjectType.SecretData) {
    const block = keyBlock(obj);
    const format = intIn(block, Tag.KeyFormatType) ?? Enum.KeyFormatType.Opaque;
    stored.push({ name: 'Digest', value: digest(keyBytes(block), format) });
  }
  const t = now(ctx);
  stored.push({ name: 'InitialDate', value: t }, { name: 'LastChangeDate', value: t }, { name: 'OriginalCreationDate', value: t });
  const id = objects.create({ objectType, state: initialState(attrs, ctx), attributes: stored, material: encodeMaterial(material) });
  return { payload: [item(Tag.UniqueIdentifier, 'TextString', id)], idPlaceholder: id };
}
