// Where the key policy (main/policy/key-policy.ts) meets the operations that
// make new objects: Create, Create Key Pair, Register, Re-key and Re-key Key
// Pair call admitNewObject before they store anything, so a refused request
// leaves no trace in the store. Without a policy in the context (in-process
// use) everything the handlers support is allowed, as before.
import type { Attribute } from '../../../shared/kmip/message/index.js';
import { applyDefaults, checkNewKey, type KeyFacts, type NewObjectOperation } from '../../policy/key-policy.js';
import type { OperationContext } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { isV1 } from './managed.js';

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
