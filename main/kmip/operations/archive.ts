// Archive (1.4 §4.22, 2.1 §6.1.4): the object moves to archival storage. In
// Keyhold that is a mark, not a move: Archive Date = now (3.32: set by the
// server as part of Archive), while the encrypted material stays where it is
// (never decrypted here). Until Recover, Get fails with Object Archived and
// Locate finds the object only when the Storage Status Mask includes
// Archival Storage; its attributes stay readable (1.4 §4.9 lets a server keep
// archived objects' attributes on-line, and 2.1 no longer lists Object
// Archived for Get Attributes).
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import { isDestroyedState, type StoredObject } from '../../store/types.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { managedObjects, now, onlyKnown } from './managed.js';
import { uniqueIdentifierOrPlaceholder } from './payload.js';

export const operation = Enum.Operation.Archive;

/** Archived: the object has an Archive Date (Recover deletes it). */
export function isArchived(obj: StoredObject): boolean {
  return obj.attributes.some((a) => a.name === 'ArchiveDate');
}

/**
 * Changes to an archived object wait for Recover (1.4 §11.15–11.17, 11.20–11.22
 * error tables: "Object is archived" → Object Archived): the archive is the
 * operator's cold copy, not something a client edits in place.
 */
export function assertNotArchived(obj: StoredObject, what: string): void {
  if (isArchived(obj)) throw new KmipOperationError('ObjectArchived', `object '${obj.id}' is archived; Recover it before ${what}`);
}

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyKnown(payload, [Tag.UniqueIdentifier], 'Archive');
  const objects = managedObjects(ctx);
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  const t = now(ctx);
  objects.transaction(() => {
    const obj = objects.get(id);
    if (isArchived(obj)) throw new KmipOperationError('ObjectArchived', `object '${id}' is already archived`);
    // A destroyed object has no material left to archive; it stays in destroyed storage.
    if (isDestroyedState(obj.state)) {
      throw new KmipOperationError('ObjectDestroyed', `object '${id}' is destroyed, so it cannot be archived`);
    }
    objects.set(id, 'ArchiveDate', t);
    objects.set(id, 'LastChangeDate', t);
  });
  return { payload: [item(Tag.UniqueIdentifier, 'TextString', id)] };
}
