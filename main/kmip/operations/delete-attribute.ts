// Delete Attribute (1.4 §4.16, 2.1 §6.1.13). 1.x: Attribute Name and Attribute
// Index (default 0); no such attribute or instance → Item Not Found; the
// response echoes the deleted attribute. 2.x: Current Attribute (that
// instance, by value) or Attribute Reference (every instance); Attribute Not
// Found / Attribute Instance Not Found; the response has the identifier only.
// Read-only (server-managed) attributes are refused.
import { attributeNameFromV1, parseAttributeReference, parseCurrentAttribute, type Attribute, type AttributeName } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem, type TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { changeAttributes, checkWritable, displayName, instancesOf, sameValue } from './attribute-rules.js';
import { isV1, managedObjects, onlyKnown, parsed, responseAttributes } from './managed.js';
import { expectType, uniqueIdentifierOrPlaceholder } from './payload.js';

export const operation = Enum.Operation.DeleteAttribute;

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  const v1 = isV1(ctx);
  onlyKnown(payload, v1 ? [Tag.UniqueIdentifier, Tag.AttributeName, Tag.AttributeIndex] : [Tag.UniqueIdentifier, Tag.CurrentAttribute, Tag.AttributeReference], 'Delete Attribute');
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  const opts = { version: ctx.kmipVersion };
  const one = (tag: number) => {
    const found = payload.value.filter((c) => c.tag === tag);
    if (found.length > 1) throw new KmipOperationError('InvalidMessage', 'Delete Attribute: a field is repeated');
    return found[0];
  };
  let name: AttributeName;
  let index: number | undefined;
  let current: Attribute | undefined;
  if (v1) {
    const n = one(Tag.AttributeName);
    if (n === undefined) throw new KmipOperationError('MissingData', 'Delete Attribute needs an Attribute Name');
    name = parsed(ctx, () => attributeNameFromV1(expectType(n, 'TextString').value, opts));
    const i = one(Tag.AttributeIndex);
    index = i === undefined ? 0 : expectType(i, 'Integer').value;
    if (index < 0) throw new KmipOperationError('InvalidField', 'Attribute Index must not be negative');
  } else {
    const c = one(Tag.CurrentAttribute);
    const r = one(Tag.AttributeReference);
    if ((c === undefined) === (r === undefined)) throw new KmipOperationError(c === undefined ? 'MissingData' : 'InvalidMessage', 'Delete Attribute needs either a Current Attribute or an Attribute Reference');
    if (c !== undefined) {
      current = parsed(ctx, () => parseCurrentAttribute(c, opts));
      name = current.name;
    } else {
      name = parsed(ctx, () => parseAttributeReference(r!, opts));
    }
  }
  const objects = managedObjects(ctx);
  const deleted = changeAttributes(ctx, id, (obj) => {
    checkWritable(obj, name, ctx, true, 'AttributeReadOnly');
    const have = instancesOf(obj, name);
    if (have.length === 0) throw new KmipOperationError(v1 ? 'ItemNotFound' : 'AttributeNotFound', `the object has no ${displayName(name)}`);
    let gone: Attribute[];
    if (v1) {
      gone = have.filter((x) => x.index === index);
      if (gone.length === 0) throw new KmipOperationError('ItemNotFound', `the object has no ${displayName(name)} with Attribute Index ${index}`);
    } else if (current !== undefined) {
      const hit = have.find((x) => sameValue(x.value, current.value));
      if (hit === undefined) throw new KmipOperationError('AttributeInstanceNotFound', `the object has no ${displayName(name)} with the Current Attribute's value`);
      gone = [hit];
    } else {
      gone = have;
    }
    if (gone.length === have.length && gone.length > 1) objects.deleteAttribute(id, name);
    else for (const g of gone) objects.deleteAttribute(id, name, g.index);
    return gone;
  });
  const out: TtlvItem[] = [item(Tag.UniqueIdentifier, 'TextString', id)];
  if (v1) out.push(...responseAttributes(deleted, ctx));
  return { payload: out };
}
