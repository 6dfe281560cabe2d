// Set Attribute (2.1 §6.1.51): create the attribute, or replace its value when
// it has exactly one instance; several instances → Multi Valued Attribute;
// read-only → Read Only Attribute. KMIP 2.x only (a 1.x request gets Operation
// Not Supported from the pipeline's version check, or Invalid Field here).
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { requestAttribute } from './add-attribute.js';
import { changeAttributes, checkWritable, displayName, instancesOf } from './attribute-rules.js';
import { isV1, managedObjects, onlyKnown } from './managed.js';
import { uniqueIdentifierOrPlaceholder } from './payload.js';

export const operation = Enum.Operation.SetAttribute;

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  if (isV1(ctx)) throw new KmipOperationError('OperationNotSupported', 'Set Attribute is a KMIP 2.x operation');
  onlyKnown(payload, [Tag.UniqueIdentifier, Tag.NewAttribute], 'Set Attribute');
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  const a = requestAttribute(payload, ctx, 'Set Attribute');
  const objects = managedObjects(ctx);
  changeAttributes(ctx, id, (obj) => {
    checkWritable(obj, a.name, ctx);
    const have = instancesOf(obj, a.name);
    if (have.length > 1) throw new KmipOperationError('MultiValuedAttribute', `the object has ${have.length} instances of ${displayName(a.name)}; use Modify Attribute with Current Attribute`);
    if (have.length === 1) objects.modifyAttribute(id, a.name, a.value, have[0]!.index);
    else objects.addAttribute(id, a.name, a.value);
  });
  return { payload: [item(Tag.UniqueIdentifier, 'TextString', id)] };
}
