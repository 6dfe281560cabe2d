// Create Key Pair (1.4 §4.2, 2.1 §6.1.9): an RSA (2048/3072/4096) or EC
// (P-256/P-384/P-521) key pair from node:crypto. Attributes: the Common
// Template-Attribute (1.x) / Common Attributes (2.x), overridden per name by
// the Private / Public Key ones. The server sets what Create sets, Random
// Number Generator, Key Format Type (2.x), and a Link from each key to the
// other (Public Key Link / Private Key Link).
// Material: see objects/asymmetric.ts. The ID Placeholder becomes the
// Private Key's Unique Identifier (1.4 §4.2).
import type { Attribute } from '../../../shared/kmip/message/index.js';
import { parseAttributes, parseTemplateAttribute } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { keyInfo } from '../objects/asymmetric.js';
import { curveOf, generateFromAttributes, intValue, keyHalf, link } from './key-pair-gen.js';
import { admitNewObject, withDefaultLifetime } from './key-policy-gate.js';
import { initialState, isV1, managedObjects, now, onlyKnown, parsed, rejectServerOnly } from './managed.js';
import { withoutRequestedRng } from './rng.js';

export const operation = Enum.Operation.CreateKeyPair;

const UM = Enum.CryptographicUsageMask;

export const V1_TAGS = [Tag.CommonTemplateAttribute, Tag.PrivateKeyTemplateAttribute, Tag.PublicKeyTemplateAttribute] as const;
export const V2_TAGS = [Tag.CommonAttributes, Tag.PrivateKeyAttributes, Tag.PublicKeyAttributes] as const;
export const MASK_TAGS = [Tag.CommonProtectionStorageMasks, Tag.PrivateProtectionStorageMasks, Tag.PublicProtectionStorageMasks];

/** The attributes of one of the Common / Private / Public containers (Re-key Key Pair has the same three). */
export function attributesOf(payload: StructureItem, tag: number, ctx: OperationContext): Attribute[] {
  const it = payload.value.find((c) => c.tag === tag);
  if (it === undefined) return [];
  const opts = { version: ctx.kmipVersion };
  if (!isV1(ctx)) return parsed(ctx, () => parseAttributes(it, opts));
  const ta = parsed(ctx, () => parseTemplateAttribute(it, opts));
  if ((ta.names?.length ?? 0) > 0) throw new KmipOperationError('FeatureNotSupported', 'Template objects are not supported; send the attributes themselves');
  return ta.attributes;
}

/** Common attributes, each name replaced by the key-specific instances when there are any. */
export function merged(common: readonly Attribute[], specific: readonly Attribute[]): Attribute[] {
  const names = new Set(specific.map((a) => a.name));
  return [...common.filter((a) => !names.has(a.name)), ...specific];
}

export async function handler(payload: StructureItem, ctx: OperationContext): Promise<OperationResult> {
  const [commonTag, privateTag, publicTag] = isV1(ctx) ? V1_TAGS : V2_TAGS;
  onlyKnown(payload, [commonTag, privateTag, publicTag, ...(isV1(ctx) ? [] : MASK_TAGS)], 'Create Key Pair');
  const objects = managedObjects(ctx);
  const common = attributesOf(payload, commonTag, ctx);
  const privAttrs = withoutRequestedRng(merged(common, attributesOf(payload, privateTag, ctx)));
  const pubAttrs = withoutRequestedRng(merged(common, attributesOf(payload, publicTag, ctx)));
  rejectServerOnly(privAttrs);
  rejectServerOnly(pubAttrs);
  const alg = intValue(privAttrs, 'CryptographicAlgorithm');
  if (alg !== intValue(pubAttrs, 'CryptographicAlgorithm')) throw new KmipOperationError('InvalidField', 'the Private and Public Key must have the same Cryptographic Algorithm');
  // Before generating: the policy judges the key the request asks for.
  if (alg !== undefined) {
    const length = intValue(privAttrs, 'CryptographicLength');
    const curve = curveOf(privAttrs);
    const key = { algorithm: alg, ...(length === undefined ? {} : { length }), ...(curve === undefined ? {} : { curve }) };
    admitNewObject(ctx, 'CreateKeyPair', Enum.ObjectType.PrivateKey, key, privAttrs);
    admitNewObject(ctx, 'CreateKeyPair', Enum.ObjectType.PublicKey, key, pubAttrs);
  }
  const pair = await generateFromAttributes(privAttrs);
  const info = keyInfo(pair.privateKey);
  const t = now(ctx);
  const priv = keyHalf(Tag.PrivateKey, pair.privateKey, info, withDefaultLifetime(ctx, Enum.ObjectType.PrivateKey, privAttrs), UM.Sign, t);
  const pub = keyHalf(Tag.PublicKey, pair.publicKey, info, withDefaultLifetime(ctx, Enum.ObjectType.PublicKey, pubAttrs), UM.Verify, t);
  const [privateId, publicId] = objects.transaction(() => {
    const privId = objects.create({ origin: 'generated', objectType: Enum.ObjectType.PrivateKey, state: initialState(privAttrs, ctx), attributes: priv.stored, material: priv.material });
    const pubId = objects.create({
      origin: 'generated',
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
