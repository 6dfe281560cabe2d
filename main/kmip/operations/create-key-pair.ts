// Create Key Pair (1.4 §4.2, 2.1 §6.1.9): an RSA (2048/3072/4096) or EC
// (P-256/P-384/P-521) key pair from node:crypto. Attributes: the Common
// Template-Attribute (1.x) / Common Attributes (2.x), overridden per name by
// the Private / Public Key ones. The server sets what Create sets, Random
// Number Generator, Key Format Type (2.x), and a Link from each key to the
// other (Public Key Link / Private Key Link).
// Material: see objects/asymmetric.ts. The ID Placeholder becomes the
// Private Key's Unique Identifier (1.4 §4.2).
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { Attribute, AttributeValue } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { asymmetricKey, CURVES, defaultFormat, exportKey, keyInfo } from '../objects/asymmetric.js';
import { digest, encodeMaterial } from '../objects/material.js';
import { initialState, isV1, managedObjects, now, onlyKnown, parsed, rejectServerOnly } from './managed.js';
import { parseAttributes, parseTemplateAttribute } from '../../../shared/kmip/message/index.js';

export const operation = Enum.Operation.CreateKeyPair;

const CA = Enum.CryptographicAlgorithm;
const UM = Enum.CryptographicUsageMask;
const RSA_LENGTHS = [2048, 3072, 4096];
const gen = promisify(generateKeyPair);

/**
 * The Random Number Generator attribute the server SHALL set (2.1 §4.46).
 * Keys come from the crypto library's DRBG (OpenSSL or BoringSSL), whose
 * configuration the server does not know for certain, so: Unspecified.
 */
const RNG: AttributeValue = { type: 'Structure', value: [item(Tag.RNGAlgorithm, 'Enumeration', Enum.RNGAlgorithm.Unspecified)] };

const V1_TAGS = [Tag.CommonTemplateAttribute, Tag.PrivateKeyTemplateAttribute, Tag.PublicKeyTemplateAttribute] as const;
const V2_TAGS = [Tag.CommonAttributes, Tag.PrivateKeyAttributes, Tag.PublicKeyAttributes] as const;
const MASK_TAGS = [Tag.CommonProtectionStorageMasks, Tag.PrivateProtectionStorageMasks, Tag.PublicProtectionStorageMasks];

function attributesOf(payload: StructureItem, tag: number, ctx: OperationContext): Attribute[] {
  const it = payload.value.find((c) => c.tag === tag);
  if (it === undefined) return [];
  const opts = { version: ctx.kmipVersion };
  if (!isV1(ctx)) return parsed(ctx, () => parseAttributes(it, opts));
  const ta = parsed(ctx, () => parseTemplateAttribute(it, opts));
  if ((ta.names?.length ?? 0) > 0) throw new KmipOperationError('FeatureNotSupported', 'Template objects are not supported; send the attributes themselves');
  return ta.attributes;
}

/** Common attributes, each name replaced by the key-specific instances when there are any. */
function merged(common: readonly Attribute[], specific: readonly Attribute[]): Attribute[] {
  const names = new Set(specific.map((a) => a.name));
  return [...common.filter((a) => !names.has(a.name)), ...specific];
}

function value(attrs: readonly Attribute[], name: string): AttributeValue | undefined {
  return attrs.find((a) => a.name === name)?.value;
}

function intValue(attrs: readonly Attribute[], name: string): number | undefined {
  const v = value(attrs, name);
  return v?.type === 'Integer' || v?.type === 'Enumeration' ? v.value : undefined;
}

/** The Recommended Curve, inside Cryptographic Domain Parameters. */
function curveOf(attrs: readonly Attribute[]): number | undefined {
  const dp = value(attrs, 'CryptographicDomainParameters');
  if (dp?.type !== 'Structure') return undefined;
  const c = dp.value.find((x) => x.tag === Tag.RecommendedCurve);
  return c?.type === 'Enumeration' ? c.value : undefined;
}

async function generate(attrs: readonly Attribute[]): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  const alg = intValue(attrs, 'CryptographicAlgorithm');
  if (alg === undefined) throw new KmipOperationError('MissingData', 'Create Key Pair needs a Cryptographic Algorithm');
  const length = intValue(attrs, 'CryptographicLength');
  if (alg === CA.RSA) {
    if (length === undefined) throw new KmipOperationError('MissingData', 'an RSA key pair needs a Cryptographic Length');
    if (!RSA_LENGTHS.includes(length)) throw new KmipOperationError('InvalidField', `RSA Cryptographic Length ${length} is not supported (${RSA_LENGTHS.join(', ')})`);
    return gen('rsa', { modulusLength: length, publicExponent: 0x10001 });
  }
  if (alg === CA.EC || alg === CA.ECDSA) {
    let curve = curveOf(attrs);
    if (curve === undefined && length !== undefined) curve = [...CURVES].find(([, c]) => c.bits === length)?.[0];
    const c = curve === undefined ? undefined : CURVES.get(curve);
    if (c === undefined) throw new KmipOperationError(curve === undefined && length === undefined ? 'MissingData' : 'InvalidField', 'an EC key pair needs a Recommended Curve (or Cryptographic Length) of P-256, P-384 or P-521');
    if (length !== undefined && length !== c.bits) throw new KmipOperationError('InvalidField', `Cryptographic Length ${length} does not match the curve (${c.bits})`);
    return gen('ec', { namedCurve: c.name });
  }
  throw new KmipOperationError('InvalidField', 'the Cryptographic Algorithm is not supported for Create Key Pair (RSA, EC, ECDSA)');
}

function link(type: number, id: string): Attribute {
  return { name: 'Link', value: { type: 'Structure', value: [item(Tag.LinkType, 'Enumeration', type), item(Tag.LinkedObjectIdentifier, 'TextString', id)] } };
}

export async function handler(payload: StructureItem, ctx: OperationContext): Promise<OperationResult> {
  const [commonTag, privateTag, publicTag] = isV1(ctx) ? V1_TAGS : V2_TAGS;
  onlyKnown(payload, [commonTag, privateTag, publicTag, ...(isV1(ctx) ? [] : MASK_TAGS)], 'Create Key Pair');
  const objects = managedObjects(ctx);
  const common = attributesOf(payload, commonTag, ctx);
  const privAttrs = merged(common, attributesOf(payload, privateTag, ctx));
  const pubAttrs = merged(common, attributesOf(payload, publicTag, ctx));
  rejectServerOnly(privAttrs);
  rejectServerOnly(pubAttrs);
  const alg = intValue(privAttrs, 'CryptographicAlgorithm');
  if (alg !== intValue(pubAttrs, 'CryptographicAlgorithm')) throw new KmipOperationError('InvalidField', 'the Private and Public Key must have the same Cryptographic Algorithm');
  const pair = await generate(privAttrs);
  const info = keyInfo(pair.privateKey);
  const t = now(ctx);
  const build = (objectTag: number, key: KeyObject, attrs: Attribute[], usage: number) => {
    const format = defaultFormat(objectTag, info.algorithm);
    const der = exportKey(key, format);
    const stored: Attribute[] = [...attrs];
    if (intValue(attrs, 'CryptographicLength') === undefined) stored.push({ name: 'CryptographicLength', value: { type: 'Integer', value: info.length } });
    if (intValue(attrs, 'CryptographicUsageMask') === undefined) stored.push({ name: 'CryptographicUsageMask', value: { type: 'Integer', value: usage } });
    stored.push(
      { name: 'Digest', value: digest(der, format) },
      { name: 'InitialDate', value: t },
      { name: 'LastChangeDate', value: t },
      { name: 'OriginalCreationDate', value: t },
      { name: 'Fresh', value: { type: 'Boolean', value: true } },
      { name: 'RandomNumberGenerator', value: RNG },
      { name: 'KeyFormatType', value: { type: 'Enumeration', value: format } },
    );
    return { stored, material: encodeMaterial(asymmetricKey(objectTag, der, format, info)) };
  };
  const priv = build(Tag.PrivateKey, pair.privateKey, privAttrs, UM.Sign);
  const pub = build(Tag.PublicKey, pair.publicKey, pubAttrs, UM.Verify);
  const [privateId, publicId] = objects.transaction(() => {
    const privId = objects.create({ objectType: Enum.ObjectType.PrivateKey, state: initialState(privAttrs, ctx), attributes: priv.stored, material: priv.material });
    const pubId = objects.create({
      objectType: Enum.ObjectType.PublicKey,
      state: initialState(pubAttrs, ctx),
      attributes: [...pub.stored, link(Enum.LinkType.PrivateKeyLink, privId)],
      material: pub.material,
    });
    const l = link(Enum.LinkType.PublicKeyLink, pubId);
    objects.addAttribute(privId, l.name, l.value);
    return [privId, pubId] as const;
  });
  return {
    payload: [item(Tag.PrivateKeyUniqueIdentifier, 'TextString', privateId), item(Tag.PublicKeyUniqueIdentifier, 'TextString', publicId)],
    idPlaceholder: privateId,
  };
}
