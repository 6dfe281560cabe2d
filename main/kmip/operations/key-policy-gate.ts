// Where the key policy (main/policy/key-policy.ts) meets the operations that
// make new objects: Create, Create Key Pair, Register, Re-key and Re-key Key
// Pair call admitNewObject before they store anything, so a refused request
// leaves no trace in the store. Without a policy in the context (in-process
// use) everything the handlers support is allowed, as before. They also call
// withDefaultLifetime on what they store, so every new key gets the same
// default Deactivation Date (main/server/key-expiry.ts acts on it).
import type { Attribute } from '../../../shared/kmip/message/index.js';
import { Enum } from '../../../shared/kmip/registry/index.js';
import { applyDefaults, checkNewKey, lifetimeDaysFor, type KeyFacts, type NewObjectOperation } from '../../policy/key-policy.js';
import type { OperationContext } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { isV1, now } from './managed.js';

/** Throws the policy's refusal (Permission Denied, Invalid Field or Missing Data) for this new object. */
export function admitNewObject(ctx: OperationContext, operation: NewObjectOperation, objectType: number, key: KeyFacts | undefined, attrs: readonly Attribute[]): void {
  if (ctx.keyPolicy === undefined) return;
  const attributes = attrs.flatMap((a) => (typeof a.name === 'string' ? [a.name] : []));
  const d = checkNewKey(ctx.keyPolicy.policy, { operation, client: ctx.keyPolicy.client, objectType, attributes, ...(key === undefined ? {} : { key }) });
  if (!d.ok) throw new KmipOperationError(d.reason, d.message);
}

/** Create's attributes with the policy's default algorithm / length where the client left them out (see applyDefaults). */
export function withPolicyDefaults(ctx: OperationContext, attrs: Attribute[]): Attribute[] {
  if (ctx.keyPolicy === undefined) return attrs;
  return applyDefaults(ctx.keyPolicy.policy, attrs, !isV1(ctx));
}

/**
 * What a default lifetime applies to: keys (Symmetric, Private, Public, Split)
 * and Secret Data (passwords, seeds: secrets a client uses like keys). Not
 * Certificates: a certificate's lifetime is its own validity (Not After),
 * which the issuer set and a key lifetime must not contradict; nor Opaque
 * Objects, whose content the server cannot tell.
 */
export const EXPIRING_OBJECT_TYPES: readonly number[] = [
  Enum.ObjectType.SymmetricKey, Enum.ObjectType.PrivateKey, Enum.ObjectType.PublicKey, Enum.ObjectType.SplitKey, Enum.ObjectType.SecretData,
];

const DAY_SECONDS = 86_400n;

function dateOf(attrs: readonly Attribute[], name: string): bigint | undefined {
  const v = attrs.find((a) => a.name === name)?.value;
  return v?.type === 'DateTime' ? v.value : undefined;
}

/**
 * A new object's attributes with the policy's default Deactivation Date added
 * when it has none (policy.json defaultLifetimeDays, or lifetimeByClient for
 * the client asking; 0: none). The lifetime counts from now, or from a later
 * Activation Date the attributes give (a key is not meant to expire before it
 * starts), and the date is never before a Protect Stop Date they give (which
 * may not be later than the Deactivation Date, 1.4 §3.26 / 2.1 §4.45). A
 * Deactivation Date the client gave, or that a re-keyed key carries over
 * from its predecessor, stands: the lifetime is a default, not a maximum.
 * Called by Create, Create Key Pair (each half), Register, Re-key and Re-key
 * Key Pair after admitNewObject (a policy that requires a Deactivation Date
 * makes clients choose one). No policy in the context: unchanged.
 */
export function withDefaultLifetime(ctx: OperationContext, objectType: number, attrs: Attribute[]): Attribute[] {
  if (ctx.keyPolicy === undefined || !EXPIRING_OBJECT_TYPES.includes(objectType)) return attrs;
  if (attrs.some((a) => a.name === 'DeactivationDate')) return attrs;
  const days = lifetimeDaysFor(ctx.keyPolicy.policy, ctx.keyPolicy.client);
  if (days === 0) return attrs;
  const t = now(ctx).value as bigint;
  const activation = dateOf(attrs, 'ActivationDate');
  const start = activation !== undefined && activation > t ? activation : t;
  const protectStop = dateOf(attrs, 'ProtectStopDate');
  let date = start + BigInt(days) * DAY_SECONDS;
  if (protectStop !== undefined && protectStop > date) date = protectStop;
  return [...attrs, { name: 'DeactivationDate', value: { type: 'DateTime', value: date } }];
}
