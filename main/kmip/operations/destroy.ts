// Destroy (1.4 §4.21, 2.1 §6.1.15): the key material is wiped and the object
// kept (its attributes stay readable), Destroyed or Destroyed Compromised
// with Destroy Date = now. An Active object must be revoked first (state
// transitions 2, 7 and 9 are the only ways into a destroyed state).
//
// Soft delete (key policy softDelete, on by default): the store keeps the
// encrypted material aside for softDeleteRetentionDays so that the operator
// can restore the object (`keyhold objects restore`). Nothing of that is
// visible over KMIP: the object is Destroyed, has a Destroy Date and no
// material, and every operation answers exactly as after a hard delete.
// Without a policy in the context (in-process use) Destroy erases at once.
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import { isDestroyedState, ObjectState } from '../../store/types.js';
import type { OperationContext, OperationResult } from '../context.js';
import { assertNotArchived } from './archive.js';
import { KmipOperationError } from '../errors.js';
import { managedObjects, now, onlyKnown, wrongState } from './managed.js';
import { uniqueIdentifierOrPlaceholder } from './payload.js';

export const operation = Enum.Operation.Destroy;

const DAY_MS = 86_400_000;

/** Soft delete per the key policy: keep the material until then; undefined: erase now. */
function retention(ctx: OperationContext): { retainUntil: number } | undefined {
  const policy = ctx.keyPolicy?.policy;
  if (policy === undefined || !policy.softDelete) return undefined;
  return { retainUntil: ctx.clock().getTime() + policy.softDeleteRetentionDays * DAY_MS };
}

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyKnown(payload, [Tag.UniqueIdentifier], 'Destroy');
  const objects = managedObjects(ctx);
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  const t = now(ctx);
  objects.transaction(() => {
    const obj = objects.get(id);
    assertNotArchived(obj, 'destroying it');
    const state = obj.state;
    if (state === ObjectState.Active) throw wrongState(ctx, `object '${id}' is Active; revoke it before destroying it`);
    if (isDestroyedState(state)) {
      throw new KmipOperationError('ObjectDestroyed', `object '${id}' is already destroyed`);
    }
    objects.destroy(id, retention(ctx));
    objects.set(id, 'DestroyDate', t);
    objects.set(id, 'LastChangeDate', t);
  });
  return { payload: [item(Tag.UniqueIdentifier, 'TextString', id)] };
}
