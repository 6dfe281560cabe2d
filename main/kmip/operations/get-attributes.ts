// Get Attributes (1.4 §4.12, 2.1 §6.1.25): all attributes, or those named
// (1.x Attribute Name texts, 2.x Attribute References), in the order asked.
// Names the object does not have are simply absent from the answer.
import { attributeKey, attributeNameFromV1, parseAttributeReference, type Attribute, type AttributeName } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { allAttributes, isV1, managedObjects, onlyKnown, parsed, responseAttributes } from './managed.js';
import { expectType, uniqueIdentifierOrPlaceholder } from './payload.js';

export const operation = Enum.Operation.GetAttributes;

/** The attribute names of a Get Attributes / Locate-style request, in order. */
export function requestedNames(payload: StructureItem, ctx: OperationContext): AttributeName[] {
  const opts = { version: ctx.kmipVersion };
  const names: AttributeName[] = [];
  for (const c of payload.value) {
    if (c.tag === Tag.AttributeName && isV1(ctx)) names.push(parsed(ctx, () => attributeNameFromV1(expectType(c, 'TextString').value, opts)));
    if (c.tag === Tag.AttributeReference && !isV1(ctx)) names.push(parsed(ctx, () => parseAttributeReference(c, opts)));
  }
  return names;
}

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyKnown(payload, [Tag.UniqueIdentifier, isV1(ctx) ? Tag.AttributeName : Tag.AttributeReference], 'Get Attributes');
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  const all = allAttributes(managedObjects(ctx).get(id));
  const names = requestedNames(payload, ctx);
  let chosen: Attribute[] = all;
  if (names.length > 0) {
    const keys = [...new Set(names.map(attributeKey))];
    chosen = keys.flatMap((k) => all.filter((a) => attributeKey(a.name) === k));
  }
  return { payload: [item(Tag.UniqueIdentifier, 'TextString', id), ...responseAttributes(chosen, ctx)] };
}
