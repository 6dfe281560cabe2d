// Activate (1.4 §4.19, 2.1 §6.1.1): Pre-Active → Active (state transition 4),
// Activation Date = the time the request is processed. A key whose
// Deactivation Date has already passed goes on to Deactivated at once
// (transition 6, "the object's Deactivation Date is reached"; 1.4 §3.22):
// the state model has no Pre-Active → Deactivated step, so a key that expired
// before anyone activated it stays Pre-Active (unusable) until then, and
// activating it must not make it usable (main/server/key-expiry.ts).
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import { ObjectState } from '../../store/types.js';
import type { OperationContext, OperationResult } from '../context.js';
import { assertNotArchived } from './archive.js';
import { managedObjects, now, onlyKnown, wrongState } from './managed.js';
import { uniqueIdentifierOrPlaceholder } from './payload.js';

export const operation = Enum.Operation.Activate;

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyKnown(payload, [Tag.UniqueIdentifier], 'Activate');
  const objects = managedObjects(ctx);
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  const t = now(ctx);
  objects.transaction(() => {
    const obj = objects.get(id);
    assertNotArchived(obj, 'activating it');
    if (obj.state !== ObjectState.PreActive) throw wrongState(ctx, `object '${id}' is not Pre-Active, so it cannot be activated`);
    objects.setState(id, ObjectState.Active);
    objects.set(id, 'ActivationDate', t);
    const deactivation = objects.attributes(id, ['DeactivationDate'])[0]?.value;
    if (deactivation?.type === 'DateTime' && deactivation.value <= (t.value as bigint)) objects.setState(id, ObjectState.Deactivated);
    objects.set(id, 'LastChangeDate', t);
  });
  return { payload: [item(Tag.UniqueIdentifier, 'TextString', id)] };
}
