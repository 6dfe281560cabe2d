// The key a cryptographic operation (Encrypt, Decrypt, Sign, Signature
// Verify, MAC, MAC Verify, wrapping, Derive Key) works with: resolved from the
// request's Unique Identifier (or the ID Placeholder), checked against the
// rules every such operation shares, and opened (raw bytes or a node:crypto
// KeyObject). One place for these rules, so that every operation answers the
// same fault with the same Result Reason.
//
// The rules, in the order they are checked:
//   1. The object exists and this client may use it (the access wrapper of
//      main/access makes an object it may not reach look missing): Item Not
//      Found (2.x Object Not Found) otherwise.
//   2. Not archived: Object Archived (1.4 §11.30–11.35).
//   3. The Object Type fits the purpose (PURPOSES below): 2.x Invalid Object
//      Type; 1.x has no such reason and its error tables say "Object
//      specified is not able to be used for encryption / signing / …" →
//      Permission Denied.
//   4. The state (1.4 §3.22, 2.1 §4.57): protecting (encrypt, sign, mac,
//      wrap, derive) only while Active; processing (decrypt, verify,
//      macVerify, unwrap) while Active, Deactivated or Compromised; never
//      Pre-Active or Destroyed. Wrong Key Lifecycle State (2.x), Permission
//      Denied (1.x), as the OASIS CS-BC-M-14 cases expect.
//   5. The dates (same sections): before its Process Start Date a key does
//      not process; after its Protect Stop Date it does not protect. Same
//      reasons as the state (CS-BC-M-14-14 / -21).
//   6. The Cryptographic Usage Mask has the purpose's bit: 2.x Incompatible
//      Cryptographic Usage Mask, 1.x Permission Denied. The spec says the
//      mask "SHALL always have a value" (1.4 §3.19, 2.1 §4.17); an object
//      stored without one (a Register that gave none) has no recorded
//      restriction, and is usable for any purpose its type allows.
//   7. The material is present (not destroyed): Key Value Not Present.
// Usage Limits (1.4 §3.21, 2.1 §4.59) are a separate step, allocateUsage(),
// which the operation calls once it knows how much it is about to process:
// Encrypt and Sign "SHALL obtain an allocation ... If the allocation is
// unable to be obtained ... Permission Denied" (1.4 §4.29/4.31, 2.1 §6.1.17;
// CS-BC-M-7 expects Permission Denied in 2.1 too).
//
// Key material stays in this worker: the returned bytes are the caller's to
// wipe (dispose()); nothing here logs or puts material in a message.
import { createSecretKey, type KeyObject } from 'node:crypto';
import type { AttributeValue } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import type { StructureItem, TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import { ObjectState, type StoredObject } from '../../store/types.js';
import type { OperationContext } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { checkCertificate, keyInfo, loadKey } from '../objects/asymmetric.js';
import { keyBlock, keyBytes, openMaterial } from '../objects/material.js';
import { assertNotArchived } from '../operations/archive.js';
import { isV1, managedObjects, wrongState } from '../operations/managed.js';

export type KeyPurpose = 'encrypt' | 'decrypt' | 'sign' | 'verify' | 'mac' | 'macVerify' | 'wrap' | 'unwrap' | 'derive';

const OT = Enum.ObjectType;
const UM = Enum.CryptographicUsageMask;

interface PurposeRule {
  /** Object Types that can serve this purpose. */
  types: readonly number[];
  /** The Cryptographic Usage Mask bit the object must have. */
  mask: number;
  /** Applies protection (Active only, stops at the Protect Stop Date) or processes it (also Deactivated / Compromised, from the Process Start Date). */
  protect: boolean;
  /** Words for messages. */
  doing: string;
}

/** What each purpose needs. */
export const PURPOSES: Readonly<Record<KeyPurpose, PurposeRule>> = {
  encrypt: { types: [OT.SymmetricKey, OT.PublicKey], mask: UM.Encrypt, protect: true, doing: 'encryption' },
  decrypt: { types: [OT.SymmetricKey, OT.PrivateKey], mask: UM.Decrypt, protect: false, doing: 'decryption' },
  sign: { types: [OT.PrivateKey], mask: UM.Sign, protect: true, doing: 'signing' },
  verify: { types: [OT.PublicKey, OT.Certificate], mask: UM.Verify, protect: false, doing: 'signature verification' },
  mac: { types: [OT.SymmetricKey], mask: UM.MACGenerate, protect: true, doing: 'MAC generation' },
  macVerify: { types: [OT.SymmetricKey], mask: UM.MACVerify, protect: false, doing: 'MAC verification' },
  wrap: { types: [OT.SymmetricKey, OT.PublicKey], mask: UM.WrapKey, protect: true, doing: 'key wrapping' },
  unwrap: { types: [OT.SymmetricKey, OT.PrivateKey], mask: UM.UnwrapKey, protect: false, doing: 'key unwrapping' },
  derive: { types: [OT.SymmetricKey, OT.SecretData], mask: UM.DeriveKey, protect: true, doing: 'key derivation' },
};

/** The attributes the checks read (reading only these keeps a use cheap). */
const READ = ['ArchiveDate', 'CryptographicUsageMask', 'CryptographicParameters', 'CryptographicAlgorithm', 'CryptographicLength', 'ProcessStartDate', 'ProtectStopDate', 'UsageLimits'] as const;

export interface UsableKey {
  readonly id: string;
  readonly objectType: number;
  /** Cryptographic Algorithm (Enum.CryptographicAlgorithm) from the Key Block, else the attribute; undefined when neither says. */
  readonly algorithm: number | undefined;
  /** Cryptographic Length in bits, from the Key Block, else the attribute (for asymmetric keys: the key's own size). */
  readonly length: number | undefined;
  /** Raw key bytes: Symmetric Keys and Secret Data. Wiped by dispose(). */
  readonly bytes: Buffer | undefined;
  /**
   * The key as node:crypto uses it: a secret KeyObject for Symmetric Keys and
   * Secret Data, the private / public key for Private Keys, Public Keys and
   * Certificates (their subject public key).
   */
  readonly key: KeyObject;
  /** Children of the object's Cryptographic Parameters attribute with the lowest index; undefined when it has none. */
  readonly storedParameters: readonly TtlvItem[] | undefined;
  /**
   * Children of every Cryptographic Parameters instance, lowest Attribute
   * Index first (empty when it has none): effectiveParameters binds a
   * request's algorithm, mode, padding and hashes to one of them.
   */
  readonly storedParameterSets: readonly (readonly TtlvItem[])[];
  /** The object as read (the attributes in READ only). */
  readonly object: StoredObject;
  /** Wipes `bytes`. Call when done (a finally). */
  dispose(): void;
}

function attr(obj: StoredObject, name: string): AttributeValue | undefined {
  return obj.attributes.find((a) => a.name === name)?.value;
}

/** The values of every instance of a (multi-instance) attribute, lowest Attribute Index first. */
function byIndex(obj: StoredObject, name: string): AttributeValue[] {
  return obj.attributes
    .filter((a) => a.name === name)
    .sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
    .map((a) => a.value);
}

const typeName = (t: number): string => Object.entries(OT).find(([, v]) => v === t)?.[0].replace(/([a-z])([A-Z])/g, '$1 $2') ?? `type ${t}`;

const STATE_NAMES: Record<number, string> = {
  [ObjectState.PreActive]: 'Pre-Active',
  [ObjectState.Active]: 'Active',
  [ObjectState.Deactivated]: 'Deactivated',
  [ObjectState.Compromised]: 'Compromised',
  [ObjectState.Destroyed]: 'Destroyed',
  [ObjectState.DestroyedCompromised]: 'Destroyed Compromised',
};

/** The states in which a key applies protection, and those in which it processes. */
const PROTECTING: readonly number[] = [ObjectState.Active];
const PROCESSING: readonly number[] = [ObjectState.Active, ObjectState.Deactivated, ObjectState.Compromised];

/** A version-dependent reason: 1.x has none of the specific 2.x ones. */
function fault(ctx: OperationContext, v1: 'PermissionDenied', v2: 'InvalidObjectType' | 'IncompatibleCryptographicUsageMask', message: string): KmipOperationError {
  return new KmipOperationError(isV1(ctx) ? v1 : v2, message);
}

/**
 * Checks rules 1–6 above on the object `id` and opens its key (rule 7). The
 * purpose decides the allowed Object Types, states, dates and mask bit.
 */
export function useKey(ctx: OperationContext, id: string, purpose: KeyPurpose): UsableKey {
  const rule = PURPOSES[purpose];
  const objects = managedObjects(ctx);
  const obj = objects.get(id, READ);
  assertNotArchived(obj, `using it for ${rule.doing}`);
  if (!rule.types.includes(obj.objectType)) {
    throw fault(ctx, 'PermissionDenied', 'InvalidObjectType', `object '${id}' is a ${typeName(obj.objectType)}; ${rule.doing} needs a ${rule.types.map(typeName).join(' or ')}`);
  }
  if (!(rule.protect ? PROTECTING : PROCESSING).includes(obj.state)) {
    throw wrongState(ctx, `object '${id}' is ${STATE_NAMES[obj.state] ?? `in state ${obj.state}`}; ${rule.doing} needs ${rule.protect ? 'an Active key' : 'an Active, Deactivated or Compromised key'}`);
  }
  const nowS = BigInt(Math.floor(ctx.clock().getTime() / 1000));
  if (rule.protect) {
    const stop = attr(obj, 'ProtectStopDate');
    if (stop?.type === 'DateTime' && nowS > stop.value) throw wrongState(ctx, `object '${id}' is past its Protect Stop Date; it may no longer be used for ${rule.doing}`);
  } else {
    const start = attr(obj, 'ProcessStartDate');
    if (start?.type === 'DateTime' && nowS < start.value) throw wrongState(ctx, `object '${id}' has not reached its Process Start Date; it may not be used for ${rule.doing} yet`);
  }
  const mask = attr(obj, 'CryptographicUsageMask');
  if (mask?.type === 'Integer' && ((mask.value >>> 0) & rule.mask) === 0) {
    throw fault(ctx, 'PermissionDenied', 'IncompatibleCryptographicUsageMask', `the Cryptographic Usage Mask of object '${id}' does not allow ${rule.doing}`);
  }
  const material = obj.hasMaterial ? objects.material(id) : null;
  if (material === null) throw new KmipOperationError('KeyValueNotPresent', `object '${id}' has no key material (destroyed)`);
  const structure = openMaterial(material);
  const storedParameterSets = byIndex(obj, 'CryptographicParameters').flatMap((v) => (v.type === 'Structure' ? [v.value] : []));
  const storedParameters = storedParameterSets[0];
  if (obj.objectType === OT.Certificate) {
    const cert = checkCertificate(structure);
    const key = cert.publicKey;
    const info = keyInfo(key);
    return { id, objectType: obj.objectType, algorithm: info.algorithm, length: info.length, bytes: undefined, key, storedParameters, storedParameterSets, object: obj, dispose() {} };
  }
  const block = keyBlock(structure);
  if (obj.objectType === OT.PrivateKey || obj.objectType === OT.PublicKey) {
    const key = loadKey(structure);
    const info = keyInfo(key);
    return { id, objectType: obj.objectType, algorithm: info.algorithm, length: info.length, bytes: undefined, key, storedParameters, storedParameterSets, object: obj, dispose() {} };
  }
  // Symmetric Key, Secret Data: raw bytes. keyBytes returns a view into the decoded structure, which nothing else holds.
  const raw = keyBytes(block);
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const algorithm = intValue(block.value.find((x) => x.tag === Tag.CryptographicAlgorithm)) ?? intValue(attr(obj, 'CryptographicAlgorithm'));
  const length = intValue(block.value.find((x) => x.tag === Tag.CryptographicLength)) ?? intValue(attr(obj, 'CryptographicLength')) ?? bytes.length * 8;
  return new SecretKey(id, obj.objectType, algorithm, length, bytes, storedParameters, storedParameterSets, obj);
}

/** An Integer or Enumeration value (an item or an attribute value), else undefined. */
function intValue(v: { type: string; value: unknown } | undefined): number | undefined {
  return v?.type === 'Enumeration' || v?.type === 'Integer' ? (v.value as number) : undefined;
}

/** A Symmetric Key or Secret Data ready to use (a class, not an object literal with a getter: this is made on every cryptographic request). */
class SecretKey implements UsableKey {
  constructor(
    readonly id: string,
    readonly objectType: number,
    readonly algorithm: number | undefined,
    readonly length: number,
    readonly bytes: Buffer,
    readonly storedParameters: readonly TtlvItem[] | undefined,
    readonly storedParameterSets: readonly (readonly TtlvItem[])[],
    readonly object: StoredObject,
  ) {}

  /** Only made when asked for: the symmetric operations use the bytes (a KeyObject per request cost about a third of an AES-GCM Encrypt of 1 KiB, and kept a copy dispose() cannot wipe). */
  get key(): KeyObject {
    return createSecretKey(this.bytes);
  }

  dispose(): void {
    this.bytes.fill(0);
  }
}

function limitField(v: AttributeValue, tag: number): bigint | number | undefined {
  if (v.type !== 'Structure') return undefined;
  const f = v.value.find((c) => c.tag === tag);
  return f?.type === 'LongInteger' ? f.value : f?.type === 'Integer' || f?.type === 'Enumeration' ? f.value : undefined;
}

/**
 * Takes an allocation from the key's Usage Limits, if it has them: `bytes`
 * when its Usage Limits Unit is Byte, one use when it is Object and `opens`
 * (a single-part request or the first part of a multi-part one; the later
 * parts of the same operation take no further use, and take their bytes only
 * once their stream is found). The Usage
 * Limits Count (what is left; the Total when the client gave only that) goes
 * down in the same transaction as the check, so two requests cannot both
 * take the last allocation. Refused: Permission Denied (both versions, as the
 * spec text of Encrypt / Sign and the OASIS CS-BC-M-7 cases say). An
 * allocation is spent once taken, even if the operation then fails.
 */
export function allocateUsage(ctx: OperationContext, key: UsableKey, bytes: number, opens: boolean): void {
  // Most keys have no Usage Limits: no transaction for them (useKey read the attribute already).
  if (!key.object.attributes.some((a) => a.name === 'UsageLimits')) return;
  const objects = managedObjects(ctx);
  objects.transaction(() => {
    const limits = objects.attributes(key.id, ['UsageLimits'])[0]?.value;
    if (limits?.type !== 'Structure') return;
    const unit = limitField(limits, Tag.UsageLimitsUnit);
    const total = limitField(limits, Tag.UsageLimitsTotal);
    const left = BigInt(limitField(limits, Tag.UsageLimitsCount) ?? total ?? 0);
    const want = unit === Enum.UsageLimitsUnit.Object ? (opens ? 1n : 0n) : BigInt(bytes);
    if (want === 0n) return;
    if (want > left) {
      throw new KmipOperationError('PermissionDenied', `object '${key.id}' has ${left} ${unit === Enum.UsageLimitsUnit.Object ? 'uses' : 'bytes'} left in its Usage Limits; this request needs ${want}`);
    }
    const count: TtlvItem = { tag: Tag.UsageLimitsCount, type: 'LongInteger', value: left - want };
    const rest = limits.value.filter((c) => c.tag !== Tag.UsageLimitsCount);
    // Spec order: Total, Count, Unit.
    const at = rest.findIndex((c) => c.tag === Tag.UsageLimitsTotal) + 1;
    objects.set(key.id, 'UsageLimits', { type: 'Structure', value: [...rest.slice(0, at), count, ...rest.slice(at)] });
  });
}
