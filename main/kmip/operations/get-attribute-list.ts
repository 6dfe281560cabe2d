// Get Attribute List (1.4 §4.13, 2.1 §6.1.26): the names of the object's
// attributes (1.x Attribute Name texts, 2.x Attribute References), each once.
import { attributeKey, attributeNameToV1, buildAttributeReference, MessageError, type AttributeName } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem, type TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { allAttributes, isV1, managedObjects, onlyKnown } from './managed.js';
import { uniqueIdentifierOrPlaceholder } from './payload.js';

export const operation = Enum.Operation.GetAttributeList;

function nameItem(name: AttributeName, ctx: OperationContext): TtlvItem | undefined {
  const opts = { version: ctx.kmipVersion };
  try {
    return isV1(ctx) ? item(Tag.AttributeName, 'TextString', attributeNameToV1(name, opts)) : buildAttributeReference(name, opts);
  } catch (e) {
    // An attribute this version has no name for is not listed.
    if (e instanceof MessageError) return undefined;
    throw e;
  }
}

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyKnown(payload, [Tag.UniqueIdentifier], 'Get Attribute List');
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  const seen = new Set<string>();
  const out: TtlvItem[] = [item(Tag.UniqueIdentifier, 'TextString', id)];
  for (const a of allAttributes(managedObjects(ctx).get(id))) {
    const k = attributeKey(a.name);
    if (seen.has(k)) continue;
    seen.add(k);
    const it = nameItem(a.name, ctx);
    if (it !== undefined) out.push(it);
  }
  return { payload: out };
}
