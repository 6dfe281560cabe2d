// Rules shared by the attribute-changing operations (1.x Add / Modify / Delete
// Attribute, 2.x Set / Add / Modify / Delete Attribute): which attributes a
// client may change, which may have several instances, the Result Reasons of
// each version, and the common read / write steps.
import { attributeDef, attributeKey, isVendorName, type Attribute, type AttributeName, type AttributeValue } from '../../../shared/kmip/message/index.js';
import type { StoredObject } from '../../store/types.js';
import { ObjectState } from '../../store/types.js';
import type { OperationContext } from '../context.js';
import { KmipOperationError, type ResultReasonName } from '../errors.js';
import { assertNotArchived } from './archive.js';
import { booleanAttribute, isV1, managedObjects, now, SERVER_ONLY, wrongState } from './managed.js';

/**
 * Attributes a client can never add, change or delete (1.4 §3 / 2.1 §4
 * "Modifiable by client: No"): the server-managed ones plus those fixed when
 * the object is made.
 */
const READ_ONLY = new Set([
  ...SERVER_ONLY,
  'CryptographicAlgorithm', 'CryptographicLength', 'CryptographicDomainParameters',
  'CertificateType', 'CertificateLength', 'X509CertificateIdentifier', 'X509CertificateSubject', 'X509CertificateIssuer',
  'CertificateIdentifier', 'CertificateSubject', 'CertificateIssuer', 'DigitalSignatureAlgorithm', 'LeaseTime',
  'ActivationDate', 'DeactivationDate', 'ProcessStartDate', 'ProtectStopDate',
]);

/**
 * Dates a client may set only in some states (1.4 §3.24–3.27, 2.1 §4): Activation
 * Date while Pre-Active, the others while Pre-Active or Active.
 */
const STATE_BOUND: Record<string, readonly number[]> = {
  ActivationDate: [ObjectState.PreActive],
  DeactivationDate: [ObjectState.PreActive, ObjectState.Active],
  ProcessStartDate: [ObjectState.PreActive, ObjectState.Active],
  ProtectStopDate: [ObjectState.PreActive, ObjectState.Active],
};

/** Attributes that may have more than one instance (1.4 / 2.1 attribute tables); vendor / custom attributes may too. */
const MULTI_INSTANCE = new Set([
  'Name', 'CryptographicParameters', 'Digest', 'ObjectGroup', 'Link', 'ApplicationSpecificInformation', 'AlternativeName',
  'KeyValueLocation', 'RandomNumberGenerator',
]);

export function isMultiInstance(name: AttributeName): boolean {
  return isVendorName(name) || MULTI_INSTANCE.has(name);
}

export function displayName(name: AttributeName): string {
  if (isVendorName(name)) return `${name.vendorIdentification}-${name.attributeName}`;
  return attributeDef(name)?.specName ?? name;
}

/** A version-dependent Result Reason: the 1.x one (1.4 §11.15–11.17 error tables) or the 2.x one. */
export function fail(ctx: OperationContext, v1: ResultReasonName, v2: ResultReasonName, message: string): KmipOperationError {
  return new KmipOperationError(isV1(ctx) ? v1 : v2, message);
}

/** Refuses a change of an attribute the client may not change (now, in the object's state). */
/**
 * The 2.x reason for a read-only attribute depends on the operation (2.1 §6.1
 * error tables): Add / Set / Adjust Attribute answer Read Only Attribute,
 * Modify / Delete Attribute answer Attribute Read Only (OASIS BL-M-7-21).
 */
export type ReadOnlyReason = 'ReadOnlyAttribute' | 'AttributeReadOnly';

export function checkWritable(obj: StoredObject, name: AttributeName, ctx: OperationContext, deleting = false, v2ReadOnly: ReadOnlyReason = 'ReadOnlyAttribute'): void {
  if (isVendorName(name)) return;
  const allowed = STATE_BOUND[name];
  if (allowed !== undefined && !deleting) {
    if (!allowed.includes(obj.state)) throw wrongState(ctx, `${displayName(name)} cannot be changed in the object's current state`);
    return;
  }
  if (READ_ONLY.has(name)) throw fail(ctx, 'PermissionDenied', v2ReadOnly, `${displayName(name)} is read-only for clients`);
}

export function instancesOf(obj: StoredObject, name: AttributeName): Required<Attribute>[] {
  const k = attributeKey(name);
  return obj.attributes.filter((a) => attributeKey(a.name) === k);
}

/** Equal attribute values (same type and the same value, structures field by field). */
export function sameValue(a: AttributeValue, b: AttributeValue): boolean {
  return JSON.stringify(a, jsonBytes) === JSON.stringify(b, jsonBytes);
}
function jsonBytes(_k: string, v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (typeof v === 'bigint') return `${v}n`;
  return v;
}

/**
 * Sensitive only turns on and Extractable only turns off (PKCS#11's
 * CKA_SENSITIVE / CKA_EXTRACTABLE rule; the spec lets a client change both,
 * and Keyhold refuses the way back): a Sensitive object may have been
 * unwrapped by Register from something the client could not read, or may be
 * a key trusted to wrap other Sensitive objects (key-wrapping.ts), and
 * serving it plain afterwards would give either away. Deleting the
 * attribute counts as turning it back (absent: not Sensitive, Extractable).
 * Always Sensitive turns false once Sensitive has not been true, Never
 * Extractable once Extractable has not been false (2.1 §4.3, §4.33); neither
 * turns back.
 */
function trackProtection(objects: ReturnType<typeof managedObjects>, id: string, before: StoredObject): void {
  const current = objects.attributes(id, ['Sensitive', 'Extractable', 'AlwaysSensitive', 'NeverExtractable']);
  const v = (name: string) => booleanAttribute(current, name);
  if (booleanAttribute(before.attributes, 'Sensitive') === true && v('Sensitive') !== true) {
    throw new KmipOperationError('PermissionDenied', `object '${id}' is Sensitive, and Sensitive cannot be turned off or deleted: it may hold a value no client was meant to read`);
  }
  if (booleanAttribute(before.attributes, 'Extractable') === false && v('Extractable') !== false) {
    throw new KmipOperationError('PermissionDenied', `object '${id}' is not Extractable, and Extractable cannot be turned on or deleted: its value may never leave the server`);
  }
  // What a protected key may do is fixed with it: a key trusted to wrap Sensitive objects (key-wrapping.ts) must not
  // gain Decrypt (or lose its mask, which would allow every use) after it wrapped something.
  if (booleanAttribute(before.attributes, 'Sensitive') === true || booleanAttribute(before.attributes, 'Extractable') === false) {
    // A single-instance Integer: compared by value, absent included.
    const mask = (attrs: readonly Attribute[]) => attrs.find((a) => a.name === 'CryptographicUsageMask')?.value.value;
    if (mask(before.attributes) !== mask(objects.attributes(id, ['CryptographicUsageMask']))) {
      throw new KmipOperationError('PermissionDenied', `object '${id}' is Sensitive or not Extractable, so its Cryptographic Usage Mask is fixed: make a new key for other uses`);
    }
  }
  if (v('Sensitive') !== true && v('AlwaysSensitive') === true) objects.set(id, 'AlwaysSensitive', { type: 'Boolean', value: false });
  if (v('Extractable') !== false && v('NeverExtractable') === true) objects.set(id, 'NeverExtractable', { type: 'Boolean', value: false });
}

/** Runs change in one transaction with the object read first; Last Change Date is set in the same transaction. */
export function changeAttributes<T>(ctx: OperationContext, id: string, change: (obj: StoredObject) => T): T {
  const objects = managedObjects(ctx);
  const t = now(ctx);
  return objects.transaction(() => {
    const obj = objects.get(id);
    assertNotArchived(obj, 'changing its attributes');
    const r = change(obj);
    trackProtection(objects, id, obj);
    objects.set(id, 'LastChangeDate', t);
    return r;
  });
}
