// Helpers shared by the operations on managed objects (Create … Locate):
// access to the store port, request attributes in both protocol shapes,
// response attributes, and the lifecycle failure.
import {
  attributeDef,
  buildAttributes,
  buildV1Attribute,
  MessageError,
  parseAttributes,
  parseTemplateAttribute,
  resultReasonFor,
  type Attribute,
  type AttributeValue,
} from '../../../shared/kmip/message/index.js';
import { createHash } from 'node:crypto';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import type { StructureItem, TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import { ObjectState, type StoredObject } from '../../store/types.js';
import type { ManagedObjects, OperationContext } from '../context.js';
import { KmipOperationError, type ResultReasonName } from '../errors.js';
import { expectType } from './payload.js';

export function managedObjects(ctx: OperationContext): ManagedObjects {
  const m = ctx.objects?.managed;
  if (m === undefined) throw new KmipOperationError('GeneralFailure', 'this server has no object store');
  return m;
}

export function isV1(ctx: OperationContext): boolean {
  return ctx.protocolVersion.major < 2;
}

/** Now as a Date-Time attribute value (whole seconds, as KMIP dates are). */
export function now(ctx: OperationContext): AttributeValue {
  return { type: 'DateTime', value: BigInt(Math.floor(ctx.clock().getTime() / 1000)) };
}

/**
 * The operation is not allowed in the object's state. KMIP 2.x has Wrong Key
 * Lifecycle State; 1.x has none, and the 1.4 profiles (SKLC-M-2-14) expect
 * Permission Denied there.
 */
export function wrongState(ctx: OperationContext, message: string): KmipOperationError {
  return new KmipOperationError(isV1(ctx) ? 'PermissionDenied' : 'WrongKeyLifecycleState', message);
}

/** Runs a shared/kmip/message parser, turning its MessageError into the matching Result Reason. */
export function parsed<T>(ctx: OperationContext, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof MessageError) {
      const r = resultReasonFor(e.code, ctx.kmipVersion);
      throw new KmipOperationError((r?.name ?? 'InvalidField') as ResultReasonName, e.message);
    }
    throw e;
  }
}

/** The attributes of a Create/Register request: 1.x Template-Attribute or 2.x Attributes. */
export function requestAttributes(payload: StructureItem, ctx: OperationContext): Attribute[] {
  const opts = { version: ctx.kmipVersion };
  const out: Attribute[] = [];
  for (const c of payload.value) {
    if (isV1(ctx) && c.tag === Tag.TemplateAttribute) {
      const ta = parsed(ctx, () => parseTemplateAttribute(c, opts));
      if ((ta.names?.length ?? 0) > 0) throw new KmipOperationError('FeatureNotSupported', 'Template objects are not supported; send the attributes themselves');
      out.push(...ta.attributes);
    } else if (!isV1(ctx) && c.tag === Tag.Attributes) {
      out.push(...parsed(ctx, () => parseAttributes(c, opts)));
    }
  }
  return out;
}

export function enumField(payload: StructureItem, tag: number): number | undefined {
  const it = payload.value.find((c) => c.tag === tag);
  return it === undefined ? undefined : expectType(it, 'Enumeration').value;
}

/**
 * Every attribute of the object, the derived ones first: Unique Identifier,
 * Object Type and State (object-row columns), and two 2.x attributes that are
 * the same function of every object here: Short Unique Identifier, "a
 * SHA-256 hash of the Unique Identifier" (2.1 §4.56), and Protection Storage
 * Mask, which storage protected it (2.1 §4.44): Software, the encrypted
 * database. 1.x answers leave the 2.x-only ones out (responseAttributes).
 */
export function allAttributes(obj: StoredObject): Attribute[] {
  return [
    { name: 'UniqueIdentifier', value: { type: 'TextString', value: obj.id } },
    { name: 'ShortUniqueIdentifier', value: { type: 'ByteString', value: new Uint8Array(createHash('sha256').update(obj.id).digest()) } },
    { name: 'ObjectType', value: { type: 'Enumeration', value: obj.objectType } },
    { name: 'State', value: { type: 'Enumeration', value: obj.state } },
    { name: 'ProtectionStorageMask', value: { type: 'Integer', value: Enum.ProtectionStorageMask.Software } },
    ...obj.attributes,
  ];
}

/** Attributes as a Response Payload carries them: 1.x Attribute structures, 2.x one Attributes structure. */
export function responseAttributes(attrs: readonly Attribute[], ctx: OperationContext): TtlvItem[] {
  const opts = { version: ctx.kmipVersion };
  // Attributes this version cannot express (e.g. 2.x-only ones in a 1.x answer) are left out.
  const visible = attrs.filter((a) => {
    if (typeof a.name !== 'string') return true;
    const def = attributeDef(a.name);
    return def !== undefined && (isV1(ctx) ? def.v1Versions : def.v2Versions).includes(ctx.kmipVersion);
  });
  // Attribute Index 0 is the default and is left out (as the 1.4 test cases expect).
  if (isV1(ctx)) {
    return visible.flatMap((a) => {
      try {
        return [buildV1Attribute({ name: a.name, value: a.value, ...(a.index === undefined || a.index === 0 ? {} : { index: a.index }) }, opts)];
      } catch (e) {
        // A 2.x vendor attribute with no 1.x Custom Attribute name is not shown to a 1.x client.
        if (e instanceof MessageError) return [];
        throw e;
      }
    });
  }
  return [buildAttributes(visible.map((a) => ({ name: a.name, value: a.value })), Tag.Attributes, { ...opts, unrepresentable: 'skip' })];
}

/** Attributes only the server sets: a client may not supply them in Create/Register. */
export const SERVER_ONLY = new Set([
  'UniqueIdentifier', 'ObjectType', 'State', 'Digest', 'InitialDate', 'LastChangeDate', 'DestroyDate', 'CompromiseDate', 'CompromiseOccurrenceDate', 'RevocationReason', 'ArchiveDate', 'Fresh', 'OriginalCreationDate',
  'KeyValuePresent', 'KeyValueLocation', 'AlwaysSensitive', 'NeverExtractable', 'LeaseTime', 'ShortUniqueIdentifier', 'ProtectionStorageMask',
]);

/**
 * The longest lease this server grants (Lease Time, 1.4 §3.15 / 2.1 §4.30; Obtain
 * Lease hands it out again): one hour, after which a client that honours
 * leases asks again, so a revoked key stops being used within the hour.
 */
export const LEASE_TIME_SECONDS = 3600;

const bool = (value: boolean): AttributeValue => ({ type: 'Boolean', value });

/** The value of a single-instance Boolean attribute (Sensitive, Fresh, …), undefined when absent. */
export function booleanAttribute(attrs: readonly Attribute[], name: string): boolean | undefined {
  const v = attrs.find((a) => a.name === name)?.value;
  return v?.type === 'Boolean' ? v.value : undefined;
}

/**
 * Protection attributes every new object gets (2.1 §4.3, 4.23, 4.33, 4.55):
 * Sensitive (default false) and Extractable (default true) unless the client
 * gave them, Always Sensitive / Never Extractable from those, and the Lease Time.
 */
export function protectionAttributes(attrs: readonly Attribute[]): Attribute[] {
  return [
    ...(booleanAttribute(attrs, 'Sensitive') === undefined ? [{ name: 'Sensitive', value: bool(false) }] : []),
    ...(booleanAttribute(attrs, 'Extractable') === undefined ? [{ name: 'Extractable', value: bool(true) }] : []),
    ...protectionHistory(attrs),
    { name: 'LeaseTime', value: { type: 'Interval', value: LEASE_TIME_SECONDS } },
  ];
}

/** Always Sensitive and Never Extractable of a new value made with these attributes (absent: not Sensitive, Extractable). */
export function protectionHistory(attrs: readonly Attribute[]): Attribute[] {
  return [
    { name: 'AlwaysSensitive', value: bool(booleanAttribute(attrs, 'Sensitive') === true) },
    { name: 'NeverExtractable', value: bool(booleanAttribute(attrs, 'Extractable') === false) },
  ];
}

export function rejectServerOnly(attrs: readonly Attribute[]): void {
  for (const a of attrs) {
    if (typeof a.name === 'string' && SERVER_ONLY.has(a.name)) {
      throw new KmipOperationError('ReadOnlyAttribute', `${attributeDef(a.name)?.specName ?? a.name} is set by the server and cannot be supplied`);
    }
  }
}

/** Fails with Invalid Field on an unexpected payload field (a field of another version included). */
export function onlyKnown(payload: StructureItem, allowed: readonly number[], operation: string): void {
  for (const c of payload.value) {
    if (!allowed.includes(c.tag)) throw new KmipOperationError('InvalidField', `${operation}: unexpected field 0x${c.tag.toString(16)} in the Request Payload`);
  }
}

/**
 * The state of a new object: Pre-Active, or Active when the request carries an
 * Activation Date that has already come (2.1 §3.1 state transition 1; the
 * date is kept as given).
 */
export function initialState(attrs: readonly Attribute[], ctx: OperationContext): number {
  const v = attrs.find((a) => a.name === 'ActivationDate')?.value;
  const t = now(ctx).value as bigint;
  return v?.type === 'DateTime' && v.value <= t ? ObjectState.Active : ObjectState.PreActive;
}
