// Revoke (1.4 §4.20, 2.1 §6.1.44). With Key Compromise or CA Compromise the
// object becomes Compromised (from Pre-Active, Active or Deactivated;
// Destroyed becomes Destroyed Compromised) with Compromise Date = now and the
// client's Compromise Occurrence Date; any other reason takes an Active
// object to Deactivated with Deactivation Date = now (state transitions 3,
// 5, 6, 8 and 10). The Revocation Reason is kept as an attribute.
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import { ObjectState } from '../../store/types.js';
import type { OperationContext, OperationResult } from '../context.js';
import { assertNotArchived } from './archive.js';
import { KmipOperationError } from '../errors.js';
import { managedObjects, now, onlyKnown, wrongState } from './managed.js';
import { expectType, uniqueIdentifierOrPlaceholder } from './payload.js';

export const operation = Enum.Operation.Revoke;

const RRC = Enum.RevocationReasonCode;
const S = ObjectState;

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyKnown(payload, [Tag.UniqueIdentifier, Tag.RevocationReason, Tag.CompromiseOccurrenceDate], 'Revoke');
  const objects = managedObjects(ctx);
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  const reasonItem = payload.value.find((c) => c.tag === Tag.RevocationReason);
  if (reasonItem === undefined) throw new KmipOperationError('MissingData', 'Revoke needs a Revocation Reason');
  const reason = expectType(reasonItem, 'Structure');
  const codeItem = reason.value.find((c) => c.tag === Tag.RevocationReasonCode);
  if (codeItem === undefined) throw new KmipOperationError('MissingData', 'the Revocation Reason needs a Revocation Reason Code');
  const code = expectType(codeItem, 'Enumeration').value;
  const occurrence = payload.value.find((c) => c.tag === Tag.CompromiseOccurrenceDate);
  const compromised = code === RRC.KeyCompromise || code === RRC.CACompromise;
  const t = now(ctx);
  objects.transaction(() => {
    const obj = objects.get(id);
    assertNotArchived(obj, 'revoking it');
    const state = obj.state;
    if (compromised) {
      const next = state === S.Destroyed ? S.DestroyedCompromised : ([S.PreActive, S.Active, S.Deactivated] as number[]).includes(state) ? S.Compromised : undefined;
      if (next === undefined) throw wrongState(ctx, `object '${id}' is already compromised`);
      objects.setState(id, next);
      objects.set(id, 'CompromiseDate', t);
      // The spec requires the occurrence date with a compromise; without one, the best knowledge is "now".
      objects.set(id, 'CompromiseOccurrenceDate', occurrence === undefined ? t : { type: 'DateTime', value: expectType(occurrence, 'DateTime').value });
    } else {
      if (state !== S.Active) throw wrongState(ctx, `object '${id}' is not Active; only a compromise can revoke it now`);
      objects.setState(id, S.Deactivated);
      objects.set(id, 'DeactivationDate', t);
    }
    objects.set(id, 'RevocationReason', { type: 'Structure', value: reason.value });
    objects.set(id, 'LastChangeDate', t);
  });
  return { payload: [item(Tag.UniqueIdentifier, 'TextString', id)] };
}
