// Locate (1.4 §4.9, 2.1 §6.1.27): identifiers of the objects matching every
// given attribute, oldest first, after Offset Items, at most Maximum Items;
// Located Items (optional per spec) counts all matches when Offset Items is given. Name matches on its Name Value; two
// instances of a date attribute give an inclusive range. Destroyed objects
// are found only when the Storage Status Mask asks for Destroyed Storage
// (there is no archive, so Archival Storage alone finds nothing). The first
// identifier becomes the ID Placeholder.
import { attributeDef, parseV1Attribute, type Attribute } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem, type TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import { ObjectState, type AttributeFilter, type LocateFilter } from '../../store/types.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { isV1, managedObjects, onlyKnown, parsed, requestAttributes } from './managed.js';
import { expectType } from './payload.js';

export const operation = Enum.Operation.Locate;

const SSM = Enum.StorageStatusMask;
const LIVE = [ObjectState.PreActive, ObjectState.Active, ObjectState.Deactivated, ObjectState.Compromised];
const DESTROYED = [ObjectState.Destroyed, ObjectState.DestroyedCompromised];

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

type Filter = LocateFilter & { uniqueIdentifier?: string };

export function buildFilter(attrs: readonly Attribute[], states: readonly number[]): Filter {
  const filter: Filter = {};
  const attributes: AttributeFilter[] = [];
  let allowed = [...states];
  const dates = new Map<string, bigint[]>();
  for (const a of attrs) {
    const v = a.value;
    if (a.name === 'ObjectType' && v.type === 'Enumeration') {
      if (filter.objectType !== undefined && filter.objectType !== v.value) return { state: [] };
      filter.objectType = v.value;
    } else if (a.name === 'State' && v.type === 'Enumeration') {
      allowed = allowed.filter((s) => s === v.value);
    } else if (a.name === 'UniqueIdentifier' && v.type === 'TextString') {
      // Not an attribute row in the store: applied to the result (at most one object matches).
      if (filter.uniqueIdentifier !== undefined && filter.uniqueIdentifier !== v.value) return { state: [] };
      filter.uniqueIdentifier = v.value;
    } else if (a.name === 'Name' && v.type === 'Structure') {
      const text = v.value.find((c) => c.tag === Tag.NameValue);
      if (text?.type !== 'TextString') throw new KmipOperationError('InvalidField', 'a Name criterion needs a Name Value');
      attributes.push({ name: 'Name', text: text.value });
    } else if (typeof a.name === 'string' && (v.type === 'DateTime' || v.type === 'DateTimeExtended')) {
      const s = v.type === 'DateTime' ? v.value : v.value / 1_000_000n;
      dates.set(a.name, [...(dates.get(a.name) ?? []), s]);
    } else {
      attributes.push({ name: a.name, equals: v });
    }
  }
  for (const [name, values] of dates) {
    if (values.length > 2) throw new KmipOperationError('InvalidField', `at most two ${attributeDef(name)?.specName ?? name} values (a range) may be given`);
    const sorted = [...values].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    attributes.push({ name, from: sorted[0]!, to: sorted[sorted.length - 1]! });
  }
  filter.state = allowed;
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
  const maskItem = payload.value.find((c) => c.tag === Tag.StorageStatusMask);
  const mask = maskItem === undefined ? SSM.OnLineStorage : expectType(maskItem, 'Integer').value;
  const states = [...(mask & SSM.OnLineStorage ? LIVE : []), ...(mask & SSM.DestroyedStorage ? DESTROYED : [])];
  const filter = buildFilter(criteria(payload, ctx), states);
  const none = filter.state !== undefined && (filter.state as readonly number[]).length === 0;
  const paging = payload.value.some((c) => c.tag === Tag.OffsetItems) || filter.uniqueIdentifier !== undefined;
  const { uniqueIdentifier, ...storeFilter } = filter;
  const out: TtlvItem[] = [];
  let page: string[];
  if (paging) {
    // Located Items (the full count) is sent when the client pages with Offset Items, as the OASIS
    // vectors expect; counting needs every match, so that page is cut here rather than in SQL.
    const found = none ? [] : objects.locate(storeFilter);
    const all = uniqueIdentifier === undefined ? found : found.filter((id) => id === uniqueIdentifier);
    page = all.slice(offset, max === undefined ? undefined : offset + max);
    if (payload.value.some((c) => c.tag === Tag.OffsetItems)) out.push(item(Tag.LocatedItems, 'Integer', all.length));
  } else {
    page = none ? [] : objects.locate({ ...storeFilter, ...(max === undefined ? {} : { maxItems: max }) });
  }
  for (const id of page) out.push(item(Tag.UniqueIdentifier, 'TextString', id));
  return page.length > 0 ? { payload: out, idPlaceholder: page[0]! } : { payload: out };
}
