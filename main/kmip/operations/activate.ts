// Activate (1.4 §4.19, 2.1 §6.1.1): Pre-Active → Active (state transition 4),
// Activation Date = the time the request is processed.
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
    objects.set(id, 'LastChangeDate', t);
  });
  return { payload: [item(Tag.UniqueIdentifier, 'TextString', id)] };
}
