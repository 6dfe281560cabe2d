// Small readers for Request Payload children, shared by the operations. They
// throw KmipOperationError so a malformed payload fails only its batch item.
import { Tag, tagName } from '../../../shared/kmip/registry/index.js';
import { tagHex, type StructureItem, type TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import { KmipOperationError } from '../errors.js';
import type { OperationContext } from '../context.js';

export function describeTag(tag: number): string {
  return tagName(tag) ?? tagHex(tag);
}

/** Fails with Invalid Field on any child whose tag is not in `allowed`. */
export function onlyTags(payload: StructureItem, allowed: readonly number[], operation: string): void {
  for (const c of payload.value) {
    if (!allowed.includes(c.tag)) throw new KmipOperationError('InvalidField', `${operation}: unexpected field ${describeTag(c.tag)} in the Request Payload`);
  }
}

export function expectType<T extends TtlvItem['type']>(it: TtlvItem, type: T): Extract<TtlvItem, { type: T }> {
  if (it.type !== type) throw new KmipOperationError('InvalidMessage', `${describeTag(it.tag)} must be a ${type}, not a ${it.type}`);
  return it as Extract<TtlvItem, { type: T }>;
}

/**
 * The Unique Identifier of the payload, or else the ID Placeholder (1.4 §4):
 * for operations on one existing object.
 */
export function uniqueIdentifierOrPlaceholder(payload: StructureItem, ctx: OperationContext): string {
  const it = payload.value.find((c) => c.tag === Tag.UniqueIdentifier);
  if (it !== undefined) return expectType(it, 'TextString').value;
  if (ctx.idPlaceholder !== undefined) return ctx.idPlaceholder;
  throw new KmipOperationError('MissingData', 'no Unique Identifier in the request and no ID Placeholder from an earlier batch item');
}
