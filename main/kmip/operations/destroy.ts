// Destroy (1.4 §4.21, 2.1 §6.1.15): the key material is wiped and the object
// kept (its attributes stay readable), Destroyed or Destroyed Compromised
// with Destroy Date = now. An Active object must be revoked first (state
// transitions 2, 7 and 9 are the only ways into a destroyed state).
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import { isDestroyedState, ObjectState } from '../../store/types.js';
import type { OperationContext, OperationResult } from '../context.js';
import { assertNotArchived } from './archive.js';
import { KmipOperationError } from '../errors.js';
import { managedObjects, now, onlyKnown, wrongState } from './managed.js';
import { uniqueIdentifierOrPlaceholder } from './payload.js';

export const operation = Enum.Operation.Destroy;

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
    objects.destroy(id);
    objects.set(id, 'DestroyDate', t);
    objects.set(id, 'LastChangeDate', t);
  });
  return { payload: [item(Tag.UniqueIdentifier, 'TextString', id)] };
}
