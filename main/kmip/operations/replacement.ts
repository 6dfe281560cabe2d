// What Re-key and Re-key Key Pair (1.4 §4.4–4.5, 2.1 §6.1.46–6.1.47) carry
// from an existing key to its replacement: every attribute except those the
// spec's "Attribute Requirements" tables treat specially, dates moved by the
// Offset, request attributes on top, and the Links between the two keys.
import { attributeKey, type Attribute, type AttributeValue } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import type { StructureItem } from '../../../shared/kmip/ttlv/index.js';
import { isDestroyedState, type StoredObject } from '../../store/types.js';
import type { OperationContext } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { assertNotArchived } from './archive.js';
import { displayName, fail, isMultiInstance, sameValue } from './attribute-rules.js';
import { link } from './key-pair-gen.js';
import { isV1, managedObjects, now, rejectServerOnly } from './managed.js';
import { expectType } from './payload.js';
import { withoutRequestedRng } from './rng.js';

/**
 * Not copied: set anew for the replacement (Initial / Last Change Date,
 * Digest, Random Number Generator, Fresh, Key Format Type of the stored
 * material), "Not set" in the tables (Destroy / Compromise / Compromise
 * Occurrence Date, Revocation Reason), Links (the replacement gets its own),
 * and facts about the old key's history or material (Archive Date, Always
 * Sensitive, Never Extractable, Key Value Present / Location).
 */
const NOT_COPIED = new Set([
  'InitialDate', 'LastChangeDate', 'Digest', 'RandomNumberGenerator', 'Fresh', 'KeyFormatType',
  'DestroyDate', 'CompromiseDate', 'CompromiseOccurrenceDate', 'RevocationReason', 'Link',
  'ArchiveDate', 'AlwaysSensitive', 'NeverExtractable', 'KeyValuePresent', 'KeyValueLocation',
]);

/** Dates that follow the Activation Date when an Offset is given (Tables 172/176, 2.1 Tables 303/308). */
const SHIFTED = ['ProcessStartDate', 'ProtectStopDate', 'DeactivationDate'];
const DATES = ['ActivationDate', ...SHIFTED];

/** Fixed by the key material: a replacement has the same algorithm, length and domain. */
const SAME_KEY = ['CryptographicAlgorithm', 'CryptographicLength', 'CryptographicDomainParameters'];

/** The request's Offset (an Interval, seconds), if any. */
export function offsetOf(payload: StructureItem): number | undefined {
  const it = payload.value.find((c) => c.tag === Tag.Offset);
  return it === undefined ? undefined : expectType(it, 'Interval').value;
}

/**
 * The existing object as a re-key source: it must be of `objectType`
 * (otherwise it "is not able to be re-keyed": Permission Denied in 1.x,
 * Invalid Object Type in 2.x), on-line (not archived: Object Archived, 1.4
 * Table 331) and still have its key material.
 */
export function existingKey(ctx: OperationContext, id: string, objectType: number, what: string): StoredObject {
  const obj = managedObjects(ctx).get(id);
  assertNotArchived(obj, 're-keying');
  if (obj.objectType !== objectType) throw new KmipOperationError(isV1(ctx) ? 'PermissionDenied' : 'InvalidObjectType', `object '${id}' is not ${what}, so it cannot be re-keyed this way`);
  if (isDestroyedState(obj.state) || !obj.hasMaterial) {
    throw new KmipOperationError('ObjectDestroyed', `object '${id}' is destroyed; it has no key to replace`);
  }
  return obj;
}

function dateValue(attrs: readonly Attribute[], name: string): bigint | undefined {
  const v = attrs.find((a) => a.name === name)?.value;
  return v?.type === 'DateTime' ? v.value : undefined;
}

/** Usage Limits of the replacement: the Total copied, the Count starting again at the Total. */
function freshUsageLimits(v: AttributeValue): AttributeValue {
  if (v.type !== 'Structure') return v;
  const total = v.value.find((c) => c.tag === Tag.UsageLimitsTotal);
  if (total === undefined) return v;
  return { type: 'Structure', value: v.value.map((c) => (c.tag === Tag.UsageLimitsCount ? { ...total, tag: Tag.UsageLimitsCount } : c)) };
}

/**
 * The replacement's attributes, before the server-set ones of a new key:
 * the existing key's (see NOT_COPIED; Names included, they move), dates per
 * the Offset, then the request's attributes: a single-instance one replaces
 * the copied value, a multi-instance one (Name, Object Group …) is added, as
 * TC-REKEY-1 shows the names accumulating over successive re-keys.
 */
export function replacementAttributes(ctx: OperationContext, existing: StoredObject, requested: readonly Attribute[], offset: number | undefined): Attribute[] {
  const asked = withoutRequestedRng(requested);
  rejectServerOnly(asked);
  for (const a of asked) {
    if (typeof a.name !== 'string' || !SAME_KEY.includes(a.name)) continue;
    const have = existing.attributes.find((x) => x.name === a.name);
    if (have === undefined || !sameValue(have.value, a.value)) throw new KmipOperationError('InvalidField', `a replacement key keeps the existing key's ${displayName(a.name)}`);
  }
  let out: Attribute[] = existing.attributes
    .filter((a) => typeof a.name !== 'string' || !NOT_COPIED.has(a.name))
    .map((a) => ({ name: a.name, value: a.name === 'UsageLimits' ? freshUsageLimits(a.value) : a.value }));
  if (offset !== undefined) {
    if (asked.some((a) => typeof a.name === 'string' && DATES.includes(a.name))) {
      throw new KmipOperationError('InvalidMessage', 'an Offset cannot be combined with Activation, Process Start, Protect Stop or Deactivation Date attributes');
    }
    const at1 = dateValue(existing.attributes, 'ActivationDate');
    if (at1 === undefined && SHIFTED.some((n) => dateValue(existing.attributes, n) !== undefined)) {
      // 1.4 Table 331 names Illegal Operation; 2.x dropped that reason, and the Offset is the field at fault.
      throw fail(ctx, 'IllegalOperation', 'InvalidField', 'the existing key has no Activation Date, so an Offset cannot place its other dates');
    }
    // IT2 is now; AT2 = IT2 + Offset; the other dates keep their distance to the Activation Date.
    const at2 = (now(ctx).value as bigint) + BigInt(offset);
    const delta = at1 === undefined ? 0n : at2 - at1;
    out = out.map((a) => {
      if (a.name === 'ActivationDate') return { name: a.name, value: { type: 'DateTime', value: at2 } };
      if (typeof a.name === 'string' && SHIFTED.includes(a.name) && a.value.type === 'DateTime') return { name: a.name, value: { type: 'DateTime', value: a.value.value + delta } };
      return a;
    });
    if (at1 === undefined) out.push({ name: 'ActivationDate', value: { type: 'DateTime', value: at2 } });
  }
  for (const a of asked) {
    const k = attributeKey(a.name);
    if (isMultiInstance(a.name)) {
      if (!out.some((x) => attributeKey(x.name) === k && sameValue(x.value, a.value))) out.push({ name: a.name, value: a.value });
    } else {
      out = [...out.filter((x) => attributeKey(x.name) !== k), { name: a.name, value: a.value }];
    }
  }
  return out;
}

/**
 * The existing key after its replacement is made (inside the caller's
 * transaction): its Names moved away, a Replacement Object Link to the new key.
 */
export function retire(ctx: OperationContext, existingId: string, replacementId: string): void {
  const objects = managedObjects(ctx);
  if (objects.get(existingId).attributes.some((a) => a.name === 'Name')) objects.deleteAttribute(existingId, 'Name');
  const l = link(Enum.LinkType.ReplacementObjectLink, replacementId);
  objects.addAttribute(existingId, l.name, l.value);
  objects.set(existingId, 'LastChangeDate', now(ctx));
}

export function replacedLink(existingId: string): Attribute {
  return link(Enum.LinkType.ReplacedObjectLink, existingId);
}
