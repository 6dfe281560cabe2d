// Modify Attribute (1.4 §4.15, 2.1 §6.1.34): a new value for an existing
// instance. 1.x names the instance by Attribute Index (default 0): no such
// attribute → Invalid Field, no such instance → Item Not Found; the response
// echoes the modified attribute (Synology DSM reads the Name back from it).
// 2.x names it by Current Attribute (its value), or by nothing when there is
// exactly one instance: Attribute Not Found / Attribute Instance Not Found /
// Multi Valued Attribute; the response has the identifier only.
import { attributeKey, parseCurrentAttribute } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem, type TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { requestAttribute } from './add-attribute.js';
import { changeAttributes, checkWritable, displayName, instancesOf, sameValue } from './attribute-rules.js';
import { isV1, managedObjects, onlyKnown, parsed, responseAttributes } from './managed.js';
import { uniqueIdentifierOrPlaceholder } from './payload.js';

export const operation = Enum.Operation.ModifyAttribute;

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  const v1 = isV1(ctx);
  onlyKnown(payload, v1 ? [Tag.UniqueIdentifier, Tag.Attribute] : [Tag.UniqueIdentifier, Tag.NewAttribute, Tag.CurrentAttribute], 'Modify Attribute');
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  const a = requestAttribute(payload, ctx, 'Modify Attribute');
  const currentItem = payload.value.find((c) => c.tag === Tag.CurrentAttribute);
  const current = currentItem === undefined ? undefined : parsed(ctx, () => parseCurrentAttribute(currentItem, { version: ctx.kmipVersion }));
  if (current !== undefined && attributeKey(current.name) !== attributeKey(a.name)) {
    throw new KmipOperationError('InvalidField', 'Modify Attribute: the Current Attribute and the New Attribute name different attributes');
  }
  const objects = managedObjects(ctx);
  const index = changeAttributes(ctx, id, (obj) => {
    checkWritable(obj, a.name, ctx, false, 'AttributeReadOnly');
    const have = instancesOf(obj, a.name);
    let idx: number;
    if (v1) {
      idx = a.index ?? 0;
      if (have.length === 0) throw new KmipOperationError('InvalidField', `the object has no ${displayName(a.name)}; add it with Add Attribute first`);
      if (!have.some((x) => x.index === idx)) throw new KmipOperationError('ItemNotFound', `the object has no ${displayName(a.name)} with Attribute Index ${idx}`);
    } else {
      if (have.length === 0) throw new KmipOperationError('AttributeNotFound', `the object has no ${displayName(a.name)}; add it with Add Attribute or Set Attribute first`);
      if (current !== undefined) {
        const hit = have.find((x) => sameValue(x.value, current.value));
        if (hit === undefined) throw new KmipOperationError('AttributeInstanceNotFound', `the object has no ${displayName(a.name)} with the Current Attribute's value`);
        idx = hit.index;
      } else {
        if (have.length > 1) throw new KmipOperationError('MultiValuedAttribute', `the object has ${have.length} instances of ${displayName(a.name)}; say which one with Current Attribute`);
        idx = have[0]!.index;
      }
    }
    objects.modifyAttribute(id, a.name, a.value, idx);
    return idx;
  });
  const out: TtlvItem[] = [item(Tag.UniqueIdentifier, 'TextString', id)];
  if (v1) out.push(...responseAttributes([{ name: a.name, value: a.value, index }], ctx));
  return { payload: out };
}
