// Recover (1.4 §4.23, 2.1 §6.1.42): the archived object is back on-line and
// can be obtained with Get again. The server deletes the Archive Date (1.4
// §3.32 "SHALL delete this attribute whenever a Recover operation is
// performed"). Recovering an object that is on-line already changes nothing
// and succeeds: the only Recover error the spec lists is a missing object.
// The identifier becomes the ID Placeholder (1.4 §4, 2.1 §6.1).
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { isArchived } from './archive.js';
import { managedObjects, now, onlyKnown } from './managed.js';
import { uniqueIdentifierOrPlaceholder } from './payload.js';

export const operation = Enum.Operation.Recover;

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyKnown(payload, [Tag.UniqueIdentifier], 'Recover');
  const objects = managedObjects(ctx);
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  const t = now(ctx);
  objects.transaction(() => {
    if (!isArchived(objects.get(id))) return;
    objects.deleteAttribute(id, 'ArchiveDate');
    objects.set(id, 'LastChangeDate', t);
  });
  return { payload: [item(Tag.UniqueIdentifier, 'TextString', id)], idPlaceholder: id };
}
