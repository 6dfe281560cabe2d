// Re-key Key Pair (1.4 §4.5, 2.1 §6.1.47): a replacement for an existing
// Private Key and its linked Public Key (the Public Key Link of the private
// key), same algorithm and size (read from the existing private key's
// material). Each new key takes its predecessor's attributes as Re-key does
// (replacement.ts), with the Common / Private / Public request attributes on
// top (merged as in Create Key Pair). Links: each old key → Replacement
// Object Link to its successor, each new key → Replaced Object Link to its
// predecessor, and Private Key Link / Public Key Link between the new pair.
// The new Private Key's identifier becomes the ID Placeholder.
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { importKey, keyInfo, keyMaterial } from '../objects/asymmetric.js';
import { openMaterial } from '../objects/material.js';
import { attributesOf, MASK_TAGS, merged, V1_TAGS, V2_TAGS } from './create-key-pair.js';
import { generatePair, keyHalf, link } from './key-pair-gen.js';
import { initialState, isV1, managedObjects, now, onlyKnown } from './managed.js';
import { expectType } from './payload.js';
import { admitNewObject, withDefaultLifetime } from './key-policy-gate.js';
import { existingKey, offsetOf, replacedLink, replacementAttributes, retire } from './replacement.js';

export const operation = Enum.Operation.ReKeyKeyPair;

const UM = Enum.CryptographicUsageMask;

function privateKeyId(payload: StructureItem, ctx: OperationContext): string {
  const it = payload.value.find((c) => c.tag === Tag.PrivateKeyUniqueIdentifier);
  if (it !== undefined) return expectType(it, 'TextString').value;
  if (ctx.idPlaceholder !== undefined) return ctx.idPlaceholder;
  throw new KmipOperationError('MissingData', 'no Private Key Unique Identifier in the request and no ID Placeholder from an earlier batch item');
}

/** The Public Key the private key links to; a key pair without one cannot be re-keyed as a pair. */
function linkedPublicKey(ctx: OperationContext, privId: string): string {
  const priv = managedObjects(ctx).get(privId);
  for (const a of priv.attributes) {
    if (a.name !== 'Link' || a.value.type !== 'Structure') continue;
    const type = a.value.value.find((c) => c.tag === Tag.LinkType);
    const target = a.value.value.find((c) => c.tag === Tag.LinkedObjectIdentifier);
    if (type?.type === 'Enumeration' && type.value === Enum.LinkType.PublicKeyLink && target?.type === 'TextString') return target.value;
  }
  throw new KmipOperationError(isV1(ctx) ? 'PermissionDenied' : 'InvalidObjectType', `private key '${privId}' has no Public Key Link, so there is no pair to re-key`);
}

export async function handler(payload: StructureItem, ctx: OperationContext): Promise<OperationResult> {
  const [commonTag, privateTag, publicTag] = isV1(ctx) ? V1_TAGS : V2_TAGS;
  onlyKnown(payload, [Tag.PrivateKeyUniqueIdentifier, Tag.Offset, commonTag, privateTag, publicTag, ...(isV1(ctx) ? [] : MASK_TAGS)], 'Re-key Key Pair');
  const objects = managedObjects(ctx);
  const oldPrivId = privateKeyId(payload, ctx);
  const offset = offsetOf(payload);
  const common = attributesOf(payload, commonTag, ctx);
  const privAsked = merged(common, attributesOf(payload, privateTag, ctx));
  const pubAsked = merged(common, attributesOf(payload, publicTag, ctx));
  // Read and validate outside the transaction: generation is asynchronous and a transaction must not span it.
  const firstPriv = existingKey(ctx, oldPrivId, Enum.ObjectType.PrivateKey, 'a Private Key');
  const oldPubId = linkedPublicKey(ctx, oldPrivId);
  const firstPub = existingKey(ctx, oldPubId, Enum.ObjectType.PublicKey, 'a Public Key');
  const bytes = objects.material(oldPrivId);
  if (bytes === null) throw new KmipOperationError('ObjectDestroyed', `object '${oldPrivId}' is destroyed; it has no key to replace`);
  const { der, format } = keyMaterial(openMaterial(bytes));
  const info = keyInfo(importKey(Tag.PrivateKey, der, format));
  // The key policy is asked before the (slow, for RSA) generation, so a refused
  // request costs no key pair; it is asked again below in case the pair changed meanwhile.
  admitNewObject(ctx, 'ReKeyKeyPair', Enum.ObjectType.PrivateKey, info, replacementAttributes(ctx, firstPriv, privAsked, offset));
  admitNewObject(ctx, 'ReKeyKeyPair', Enum.ObjectType.PublicKey, info, replacementAttributes(ctx, firstPub, pubAsked, offset));
  const pair = await generatePair(info);
  const t = now(ctx);
  const [privateId, publicId] = objects.transaction(() => {
    // Read again: the pair may have changed while the new one was being generated.
    const oldPriv = existingKey(ctx, oldPrivId, Enum.ObjectType.PrivateKey, 'a Private Key');
    const oldPub = existingKey(ctx, oldPubId, Enum.ObjectType.PublicKey, 'a Public Key');
    const privAttrs = replacementAttributes(ctx, oldPriv, privAsked, offset);
    const pubAttrs = replacementAttributes(ctx, oldPub, pubAsked, offset);
    // Inside the transaction, before anything is created: a refusal stores nothing.
    admitNewObject(ctx, 'ReKeyKeyPair', Enum.ObjectType.PrivateKey, info, privAttrs);
    admitNewObject(ctx, 'ReKeyKeyPair', Enum.ObjectType.PublicKey, info, pubAttrs);
    // The old keys' dates moved by the Offset, or copied; the default lifetime only where that leaves none.
    const priv = keyHalf(Tag.PrivateKey, pair.privateKey, info, withDefaultLifetime(ctx, Enum.ObjectType.PrivateKey, privAttrs), UM.Sign, t);
    const pub = keyHalf(Tag.PublicKey, pair.publicKey, info, withDefaultLifetime(ctx, Enum.ObjectType.PublicKey, pubAttrs), UM.Verify, t);
    // Links in the order the reference server shows them (TC-133): the other half of the pair first, then the predecessor.
    const privId = objects.create({ origin: 'generated', objectType: Enum.ObjectType.PrivateKey, state: initialState(privAttrs, ctx), attributes: priv.stored, material: priv.material });
    const pubId = objects.create({
      origin: 'generated',
      objectType: Enum.ObjectType.PublicKey,
      state: initialState(pubAttrs, ctx),
      attributes: [...pub.stored, link(Enum.LinkType.PrivateKeyLink, privId), replacedLink(oldPubId)],
      material: pub.material,
    });
    for (const l of [link(Enum.LinkType.PublicKeyLink, pubId), replacedLink(oldPrivId)]) objects.addAttribute(privId, l.name, l.value);
    retire(ctx, oldPrivId, privId);
    retire(ctx, oldPubId, pubId);
    return [privId, pubId] as const;
  });
  return {
    payload: [item(Tag.PrivateKeyUniqueIdentifier, 'TextString', privateId), item(Tag.PublicKeyUniqueIdentifier, 'TextString', publicId)],
    idPlaceholder: privateId,
  };
}
