// Add Attribute (1.4 §4.14, 2.1 §6.1.2): a new instance of an attribute. A
// single-instance attribute that already exists is refused (1.x Illegal
// Operation, 2.x Attribute Single Valued); read-only ones are refused; a 1.x
// request may not carry an Attribute Index. The 1.x response echoes the added
// attribute with its new index (left out when 0); the 2.x one has the identifier only.
import { parseNewAttribute, parseV1Attribute, type Attribute } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem, type TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { changeAttributes, checkWritable, displayName, fail, instancesOf, isMultiInstance } from './attribute-rules.js';
import { isV1, managedObjects, onlyKnown, parsed, responseAttributes } from './managed.js';
import { uniqueIdentifierOrPlaceholder } from './payload.js';

export const operation = Enum.Operation.AddAttribute;

/** The one attribute of a 1.x (Attribute) or 2.x (New Attribute) request. */
export function requestAttribute(payload: StructureItem, ctx: OperationContext, operationName: string): Attribute {
  const tag = isV1(ctx) ? Tag.Attribute : Tag.NewAttribute;
  const found = payload.value.filter((c) => c.tag === tag);
  if (found.length !== 1) throw new KmipOperationError(found.length === 0 ? 'MissingData' : 'InvalidMessage', `${operationName} needs exactly one ${isV1(ctx) ? 'Attribute' : 'New Attribute'}`);
  const opts = { version: ctx.kmipVersion };
  return parsed(ctx, () => (isV1(ctx) ? parseV1Attribute(found[0]!, opts) : parseNewAttribute(found[0]!, opts)));
}

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyKnown(payload, [Tag.UniqueIdentifier, isV1(ctx) ? Tag.Attribute : Tag.NewAttribute], 'Add Attribute');
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  const a = requestAttribute(payload, ctx, 'Add Attribute');
  if (a.index !== undefined) throw new KmipOperationError('InvalidField', 'Add Attribute: the Attribute Index is chosen by the server and must not be sent');
  const objects = managedObjects(ctx);
  const index = changeAttributes(ctx, id, (obj) => {
    checkWritable(obj, a.name, ctx);
    if (!isMultiInstance(a.name) && instancesOf(obj, a.name).length > 0) {
      throw fail(ctx, 'IllegalOperation', 'AttributeSingleValued', `${displayName(a.name)} already exists and has a single instance; use Modify Attribute`);
    }
    return objects.addAttribute(id, a.name, a.value);
  });
  const out: TtlvItem[] = [item(Tag.UniqueIdentifier, 'TextString', id)];
  if (isV1(ctx)) out.push(...responseAttributes([{ name: a.name, value: a.value, index }], ctx));
  return { payload: out };
}
