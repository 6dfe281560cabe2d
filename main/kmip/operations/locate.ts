// Locate (1.4 §4.9, 2.1 §6.1.28): identifiers of the objects matching every
// given attribute, after Offset Items, at most Maximum Items; 2.x answers
// newest first ("SHALL be returned in descending order of object creation"),
// 1.x, which gives no order, oldest first as before;
// Located Items (optional per spec) counts all matches when Offset Items is
// given. Matching rules:
// - Name matches on the fields given (Name Value through the index); any other
//   structure (Application Specific Information, Link, Cryptographic
//   Parameters, ...) matches an instance that has every field given, whatever
//   its other fields ("all of the structure fields are not REQUIRED").
// - Two instances of a date attribute give an inclusive range; a date at its
//   largest value is "equivalent to an undefined attribute" and is ignored.
// - Cryptographic Usage Mask: the object's mask has every requested bit.
// - Object Group Member: Group Member Fresh finds only objects whose Fresh is
//   true; Group Member Default finds the group's default object, which by
//   Keyhold's policy is its most recently created match (at most one).
// - Storage Status Mask (default On-line): On-line = neither archived nor
//   destroyed, Archival = archived (has an Archive Date), Destroyed =
//   destroyed state; any combination.
// Only attribute rows are read, never key material. The identifier becomes
// the ID Placeholder when exactly one is returned; otherwise the placeholder
// is emptied, so batched items after the Locate cannot act on the wrong object.
//
// Order: oldest first. 2.1 asks for most recently created first; the
// existing clients and tests rely on creation order, so that is left as is.
import { attributeDef, parseV1Attribute, type Attribute } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem, type TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import { ObjectState, type AttributeFilter, type LocateFilter, type StorageClass } from '../../store/types.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { isV1, managedObjects, onlyKnown, parsed, requestAttributes } from './managed.js';
import { expectType } from './payload.js';

export const operation = Enum.Operation.Locate;

const SSM = Enum.StorageStatusMask;
const OGM = Enum.ObjectGroupMember;
const ALL_STATES = Object.values(ObjectState);
/** A Date-Time at its largest value stands for "undefined" (1.4 §4.9). */
const DATE_UNDEFINED = 2n ** 63n - 1n;
/** The field a structure attribute keeps in the text key column (attribute-codec.ts: its first Text String). */
const TEXT_KEY_FIELD: Readonly<Record<string, number>> = {
  Name: Tag.NameValue,
  ApplicationSpecificInformation: Tag.ApplicationNamespace,
  Link: Tag.LinkedObjectIdentifier,
};

function intField(payload: StructureItem, tag: number): number | undefined {
  const it = payload.value.find((c) => c.tag === tag);
  if (it === undefined) return undefined;
  const v = expectType(it, 'Integer').value;
  if (v < 0) throw new KmipOperationError('InvalidField', 'Maximum Items and Offset Items must not be negative');
  return v;
}

function criteria(payload: StructureItem, ctx: OperationContext): Attribute[] {
  if (!isV1(ctx)) return requestAttributes(payload, ctx);
  // 1.x Locate carries bare Attribute structures, not a Template-Attribute.
  return payload.value.filter((c) => c.tag === Tag.Attribute).map((c) => parsed(ctx, () => parseV1Attribute(c, { version: ctx.kmipVersion })));
}

/** Storage Status Mask → the storage classes searched. */
function storageOf(payload: StructureItem): StorageClass[] {
  const it = payload.value.find((c) => c.tag === Tag.StorageStatusMask);
  const mask = it === undefined ? SSM.OnLineStorage : expectType(it, 'Integer').value;
  const known = SSM.OnLineStorage | SSM.ArchivalStorage | SSM.DestroyedStorage;
  if ((mask & ~known) !== 0) throw new KmipOperationError('InvalidField', `Storage Status Mask 0x${mask.toString(16)} has bits other than On-line, Archival and Destroyed Storage`);
  return [
    ...(mask & SSM.OnLineStorage ? ['online' as const] : []),
    ...(mask & SSM.ArchivalStorage ? ['archived' as const] : []),
    ...(mask & SSM.DestroyedStorage ? ['destroyed' as const] : []),
  ];
}

type Filter = LocateFilter & { uniqueIdentifier?: string; none?: true };

function specName(name: Attribute['name']): string {
  return typeof name === 'string' ? (attributeDef(name)?.specName ?? name) : `${name.vendorIdentification} ${name.attributeName}`;
}

/** The store filter for the criteria; `none` when they contradict each other (nothing can match). */
export function buildFilter(attrs: readonly Attribute[]): Filter {
  const filter: Filter = {};
  const attributes: AttributeFilter[] = [];
  let allowed: number[] = [...ALL_STATES];
  const dates = new Map<string, bigint[]>();
  for (const a of attrs) {
    const v = a.value;
    if (a.name === 'ObjectType' && v.type === 'Enumeration') {
      if (filter.objectType !== undefined && filter.objectType !== v.value) filter.none = true;
      filter.objectType = v.value;
    } else if (a.name === 'State' && v.type === 'Enumeration') {
      allowed = allowed.filter((s) => s === v.value);
    } else if (a.name === 'UniqueIdentifier' && v.type === 'TextString') {
      // Not an attribute row in the store: applied to the result (at most one object matches).
      if (filter.uniqueIdentifier !== undefined && filter.uniqueIdentifier !== v.value) filter.none = true;
      filter.uniqueIdentifier = v.value;
    } else if (a.name === 'CryptographicUsageMask' && v.type === 'Integer') {
      attributes.push({ name: a.name, allBits: v.value });
    } else if (v.type === 'Structure') {
      if (v.value.length === 0) throw new KmipOperationError('InvalidField', `a ${specName(a.name)} criterion needs at least one field`);
      const keyField = typeof a.name === 'string' ? TEXT_KEY_FIELD[a.name] : undefined;
      const key = v.value.find((c) => c.tag === keyField);
      attributes.push({ name: a.name, hasFields: v.value, ...(key?.type === 'TextString' ? { text: key.value } : {}) });
    } else if (typeof a.name === 'string' && (v.type === 'DateTime' || v.type === 'DateTimeExtended')) {
      if (v.value === DATE_UNDEFINED) continue;
      const s = v.type === 'DateTime' ? v.value : v.value / 1_000_000n;
      dates.set(a.name, [...(dates.get(a.name) ?? []), s]);
    } else {
      attributes.push({ name: a.name, equals: v });
    }
  }
  for (const [name, values] of dates) {
    if (values.length > 2) throw new KmipOperationError('InvalidField', `at most two ${specName(name)} values (a range) may be given`);
    const sorted = [...values].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    attributes.push({ name, from: sorted[0]!, to: sorted[sorted.length - 1]! });
  }
  if (allowed.length === 0) filter.none = true;
  else if (allowed.length < ALL_STATES.length) filter.state = allowed;
  if (attributes.length > 0) filter.attributes = attributes;
  return filter;
}

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyKnown(
    payload,
    [Tag.MaximumItems, Tag.OffsetItems, Tag.StorageStatusMask, Tag.ObjectGroupMember, isV1(ctx) ? Tag.Attribute : Tag.Attributes],
    'Locate',
  );
  const objects = managedObjects(ctx);
  const max = intField(payload, Tag.MaximumItems);
  const offset = intField(payload, Tag.OffsetItems) ?? 0;
  const storage = storageOf(payload);
  const { uniqueIdentifier, none, ...filter } = buildFilter(criteria(payload, ctx));
  const member = payload.value.find((c) => c.tag === Tag.ObjectGroupMember);
  const memberType = member === undefined ? undefined : expectType(member, 'Enumeration').value;
  if (memberType !== undefined && memberType !== OGM.GroupMemberFresh && memberType !== OGM.GroupMemberDefault) {
    throw new KmipOperationError('InvalidField', `Object Group Member ${memberType} is not Group Member Fresh or Group Member Default`);
  }
  if (memberType === OGM.GroupMemberFresh) filter.attributes = [...(filter.attributes ?? []), { name: 'Fresh', int: 1 }];
  const storeFilter: LocateFilter = { ...filter, storage, ...(memberType === OGM.GroupMemberDefault || !isV1(ctx) ? { newestFirst: true } : {}) };
  const nothing = none === true || storage.length === 0;
  const counted = payload.value.some((c) => c.tag === Tag.OffsetItems);
  const out: TtlvItem[] = [];
  let page: string[];
  if (counted || uniqueIdentifier !== undefined || memberType === OGM.GroupMemberDefault) {
    // Located Items (the full count) is sent when the client pages with Offset Items, as the OASIS
    // vectors expect; counting needs every match, so that page is cut here rather than in SQL.
    const found = nothing ? [] : objects.locate(memberType === OGM.GroupMemberDefault ? { ...storeFilter, maxItems: 1 } : storeFilter);
    const all = uniqueIdentifier === undefined ? found : found.filter((id) => id === uniqueIdentifier);
    page = all.slice(offset, max === undefined ? undefined : offset + max);
    if (counted) out.push(item(Tag.LocatedItems, 'Integer', all.length));
  } else {
    page = nothing ? [] : objects.locate({ ...storeFilter, ...(max === undefined ? {} : { maxItems: max }) });
  }
  for (const id of page) out.push(item(Tag.UniqueIdentifier, 'TextString', id));
  return { payload: out, idPlaceholder: page.length === 1 ? page[0]! : null };
}
