// Check (1.4 §4.10, 2.1 §6.1.7): may the client use the object as the request
// says? Success echoes the Unique Identifier. Policy here is the object's own
// attributes (there is no per-client policy yet):
// - Cryptographic Usage Mask: every requested bit must be in the object's
//   mask (2.x Incompatible Cryptographic Usage Mask), and allowed in its
//   state: nothing while Pre-Active, only processing (decrypt, verify, unwrap
//   …) once Deactivated or Compromised (1.4 §3.22 / 2.1 §4.57 state rules);
// - Usage Limits Count: at most the object's remaining Usage Limits Count
//   (2.x Usage Limit Exceeded);
// - Lease Time: at most the object's Lease Time, when it has one.
// 1.x has none of these reasons: its Check table (1.4 §11.11) gives
// Permission Denied for "not allowed to use the object according to the
// specified attributes". An archived object is Object Archived (1.4 §11.11).
// A failed item carries no payload (the OASIS BL-M
// cases answer without one), so the Result Message names the attribute.
import type { AttributeValue } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import { isDestroyedState, ObjectState } from '../../store/types.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { assertNotArchived } from './archive.js';
import { fail } from './attribute-rules.js';
import { managedObjects, onlyKnown, wrongState } from './managed.js';
import { expectType, uniqueIdentifierOrPlaceholder } from './payload.js';

export const operation = Enum.Operation.Check;

const UM = Enum.CryptographicUsageMask;

/** Uses that process existing protection; the only ones left to a Deactivated or Compromised object. */
const PROCESS_ONLY = UM.Decrypt | UM.Verify | UM.UnwrapKey | UM.MACVerify | UM.ValidateCryptogram | UM.TranslateDecrypt | UM.TranslateUnwrap;

function allowedInState(state: number): number {
  if (state === ObjectState.Active) return 0xffffffff;
  if (state === ObjectState.Deactivated || state === ObjectState.Compromised) return PROCESS_ONLY;
  return 0;
}

function structField(v: AttributeValue | undefined, tag: number): bigint | undefined {
  if (v?.type !== 'Structure') return undefined;
  const f = v.value.find((c) => c.tag === tag);
  return f?.type === 'LongInteger' ? f.value : f?.type === 'Integer' ? BigInt(f.value) : undefined;
}

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyKnown(payload, [Tag.UniqueIdentifier, Tag.UsageLimitsCount, Tag.CryptographicUsageMask, Tag.LeaseTime], 'Check');
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  const obj = managedObjects(ctx).get(id);
  assertNotArchived(obj, 'use');
  if (isDestroyedState(obj.state)) {
    throw new KmipOperationError('ObjectDestroyed', `object '${id}' is destroyed and cannot be used`);
  }
  const attr = (name: string) => obj.attributes.find((a) => a.name === name)?.value;
  const maskItem = payload.value.find((c) => c.tag === Tag.CryptographicUsageMask);
  if (maskItem !== undefined) {
    const asked = expectType(maskItem, 'Integer').value >>> 0;
    const have = attr('CryptographicUsageMask');
    const objectMask = have?.type === 'Integer' ? have.value >>> 0 : 0;
    if ((asked & ~objectMask) >>> 0 !== 0) throw fail(ctx, 'PermissionDenied', 'IncompatibleCryptographicUsageMask', `Check failed: the Cryptographic Usage Mask asks for uses object '${id}' does not allow`);
    if ((asked & ~allowedInState(obj.state)) >>> 0 !== 0) throw wrongState(ctx, `Check failed: object '${id}' cannot be used that way in its current state`);
  }
  const countItem = payload.value.find((c) => c.tag === Tag.UsageLimitsCount);
  if (countItem !== undefined) {
    const asked = expectType(countItem, 'LongInteger').value;
    const left = structField(attr('UsageLimits'), Tag.UsageLimitsCount);
    if (left !== undefined && asked > left) throw fail(ctx, 'PermissionDenied', 'UsageLimitExceeded', `Check failed: the Usage Limits Count asked for is more than object '${id}' has left`);
  }
  const leaseItem = payload.value.find((c) => c.tag === Tag.LeaseTime);
  if (leaseItem !== undefined) {
    const asked = expectType(leaseItem, 'Interval').value;
    const max = attr('LeaseTime');
    if (max?.type === 'Interval' && asked > max.value) throw new KmipOperationError('PermissionDenied', `Check failed: the Lease Time asked for is longer than object '${id}' allows`);
  }
  return { payload: [item(Tag.UniqueIdentifier, 'TextString', id)] };
}
