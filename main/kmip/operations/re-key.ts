// Re-key (1.4 §4.4, 2.1 §6.1.46): a replacement Symmetric Key with the same
// algorithm and length, new material from the server's random source, the
// existing key's attributes (replacement.ts: Names move, dates follow the
// Offset, request attributes on top), Initial / Last Change Date now, Digest,
// Fresh and Random Number Generator as Create sets them. The existing key
// gets a Replacement Object Link, the new one a Replaced Object Link; the new
// Unique Identifier becomes the ID Placeholder.
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { digest, encodeMaterial, symmetricKey } from '../objects/material.js';
import { generateSymmetricKey } from './create.js';
import { initialState, protectionHistory, managedObjects, now, onlyKnown, requestAttributes } from './managed.js';
import { uniqueIdentifierOrPlaceholder } from './payload.js';
import { existingKey, offsetOf, replacedLink, replacementAttributes, retire } from './replacement.js';
import { SERVER_RNG } from './rng.js';
import { admitNewObject, withDefaultLifetime } from './key-policy-gate.js';

export const operation = Enum.Operation.ReKey;

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyKnown(payload, [Tag.UniqueIdentifier, Tag.Offset, Tag.TemplateAttribute, Tag.Attributes, Tag.ProtectionStorageMasks], 'Re-key');
  const objects = managedObjects(ctx);
  const oldId = uniqueIdentifierOrPlaceholder(payload, ctx);
  const offset = offsetOf(payload);
  const requested = requestAttributes(payload, ctx);
  const t = now(ctx);
  const newId = objects.transaction(() => {
    const existing = existingKey(ctx, oldId, Enum.ObjectType.SymmetricKey, 'a Symmetric Key');
    const attrs = replacementAttributes(ctx, existing, requested, offset);
    const alg = attrs.find((a) => a.name === 'CryptographicAlgorithm')?.value;
    const len = attrs.find((a) => a.name === 'CryptographicLength')?.value;
    if (alg?.type !== 'Enumeration' || len?.type !== 'Integer') throw new KmipOperationError('InvalidField', `object '${oldId}' has no Cryptographic Algorithm and Length to re-key with`);
    admitNewObject(ctx, 'ReKey', Enum.ObjectType.SymmetricKey, { algorithm: alg.value, length: len.value }, attrs);
    const key = generateSymmetricKey(alg.value, len.value);
    const id = objects.create({
      origin: 'generated',
      objectType: Enum.ObjectType.SymmetricKey,
      state: initialState(attrs, ctx),
      attributes: [
        // The old key's dates moved by the Offset, or copied; the default lifetime only where that leaves none.
        ...withDefaultLifetime(ctx, Enum.ObjectType.SymmetricKey, attrs),
        ...(attrs.some((a) => a.name === 'OriginalCreationDate') ? [] : [{ name: 'OriginalCreationDate', value: t }]),
        { name: 'Digest', value: digest(key, Enum.KeyFormatType.Raw) },
        { name: 'InitialDate', value: t },
        { name: 'LastChangeDate', value: t },
        { name: 'Fresh', value: { type: 'Boolean', value: true } },
        { name: 'RandomNumberGenerator', value: SERVER_RNG },
        { name: 'KeyFormatType', value: { type: 'Enumeration', value: Enum.KeyFormatType.Raw } },
        // A new value: its own history starts from the protection it is made with (Sensitive / Extractable are copied).
        ...protectionHistory(attrs),
        replacedLink(oldId),
      ],
      material: encodeMaterial(symmetricKey(key, alg.value, len.value)),
    });
    key.fill(0);
    retire(ctx, oldId, id);
    return id;
  });
  return { payload: [item(Tag.UniqueIdentifier, 'TextString', newId)], idPlaceholder: newId };
}
