// Obtain Lease (1.4 §4.17, 2.1 §6.1.31): a new lease on an object, for at most
// its Lease Time, with the Last Change Date so the client can tell whether
// its cached attributes are stale. No lease is issued for an object that may
// not be used any more (destroyed or compromised): Permission Denied, as the
// error tables say for "a new lease is not permitted"; archived objects
// answer Object Archived.
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import { ObjectState } from '../../store/types.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { assertNotArchived } from './archive.js';
import { LEASE_TIME_SECONDS, managedObjects, onlyKnown } from './managed.js';
import { uniqueIdentifierOrPlaceholder } from './payload.js';

export const operation = Enum.Operation.ObtainLease;

const NO_LEASE: readonly number[] = [ObjectState.Compromised, ObjectState.Destroyed, ObjectState.DestroyedCompromised];

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyKnown(payload, [Tag.UniqueIdentifier], 'Obtain Lease');
  const objects = managedObjects(ctx);
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  const obj = objects.get(id);
  assertNotArchived(obj, 'leasing it');
  if (NO_LEASE.includes(obj.state)) throw new KmipOperationError('PermissionDenied', `object '${id}' is compromised or destroyed; no lease is issued for it`);
  const lease = obj.attributes.find((a) => a.name === 'LeaseTime')?.value;
  const changed = obj.attributes.find((a) => a.name === 'LastChangeDate')?.value;
  const seconds = lease?.type === 'Interval' ? lease.value : LEASE_TIME_SECONDS;
  const lastChange = changed?.type === 'DateTime' ? changed.value : BigInt(Math.floor(obj.modifiedAt / 1000));
  return {
    payload: [item(Tag.UniqueIdentifier, 'TextString', id), item(Tag.LeaseTime, 'Interval', seconds), item(Tag.LastChangeDate, 'DateTime', lastChange)],
  };
}
