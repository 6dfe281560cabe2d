// Adjust Attribute (2.1 §6.1.3, Adjustment Type §11.1): Increment / Decrement
// an Integer, Long Integer, Big Integer, Interval, Date-Time or Date-Time
// Extended attribute by the Adjustment Value (default 1, i.e. 1 second /
// 1 microsecond for dates), or Negate an Integer, Long Integer, Big Integer
// or Boolean. A missing attribute counts as 0 / false when its type is one of
// those (dates have no such default: Attribute Not Found). Several instances
// → Multi Valued Attribute; read-only → Read Only Attribute (attribute-rules.ts);
// a result outside the type's range → Numeric Range. KMIP 2.x only.
import { attributeDef, isVendorName, parseAttributeReference, type AttributeValue } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type ItemTypeName, type StructureItem, type TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { changeAttributes, checkWritable, displayName, instancesOf } from './attribute-rules.js';
import { isV1, managedObjects, onlyKnown, parsed } from './managed.js';
import { expectType, uniqueIdentifierOrPlaceholder } from './payload.js';

export const operation = Enum.Operation.AdjustAttribute;

const AT = Enum.AdjustmentType;
const STEPPED: readonly ItemTypeName[] = ['Integer', 'LongInteger', 'BigInteger', 'Interval', 'DateTime', 'DateTimeExtended'];
const NEGATED: readonly ItemTypeName[] = ['Integer', 'LongInteger', 'BigInteger', 'Boolean'];
/** Types whose missing value is taken as 0 / false (not dates). */
const DEFAULTED: readonly ItemTypeName[] = ['Integer', 'LongInteger', 'BigInteger', 'Interval', 'Boolean'];

const RANGES: Partial<Record<ItemTypeName, readonly [bigint, bigint]>> = {
  Integer: [-(2n ** 31n), 2n ** 31n - 1n],
  Interval: [0n, 2n ** 32n - 1n],
  LongInteger: [-(2n ** 63n), 2n ** 63n - 1n],
  DateTime: [-(2n ** 63n), 2n ** 63n - 1n],
  DateTimeExtended: [-(2n ** 63n), 2n ** 63n - 1n],
};

function bigFromBytes(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return b.length > 0 && b[0]! & 0x80 ? v - (1n << BigInt(b.length * 8)) : v;
}

/** Two's complement, big-endian, padded to a multiple of 8 bytes (the Big Integer encoding). */
function bigToBytes(v: bigint): Uint8Array {
  let len = 8;
  while (v < -(1n << BigInt(len * 8 - 1)) || v >= 1n << BigInt(len * 8 - 1)) len += 8;
  let u = v < 0n ? (1n << BigInt(len * 8)) + v : v;
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(u & 0xffn);
    u >>= 8n;
  }
  return out;
}

function numeric(v: AttributeValue): bigint {
  if (v.type === 'Integer' || v.type === 'Interval') return BigInt(v.value);
  if (v.type === 'LongInteger' || v.type === 'DateTime' || v.type === 'DateTimeExtended') return v.value;
  if (v.type === 'BigInteger') return bigFromBytes(v.value);
  throw new KmipOperationError('InvalidDataType', `a ${v.type} has no numeric value`);
}

function withNumeric(type: ItemTypeName, n: bigint): AttributeValue {
  const range = RANGES[type];
  if (range !== undefined && (n < range[0] || n > range[1])) throw new KmipOperationError('NumericRange', `the adjusted value is outside the range of a ${type}`);
  if (type === 'Integer' || type === 'Interval') return { type, value: Number(n) };
  if (type === 'LongInteger' || type === 'DateTime' || type === 'DateTimeExtended') return { type, value: n };
  return { type: 'BigInteger', value: bigToBytes(n) };
}

function zero(type: ItemTypeName): AttributeValue {
  return type === 'Boolean' ? { type, value: false } : withNumeric(type, 0n);
}

/** The Adjustment Value as a number (any integer-valued type); default 1. */
function amountOf(it: TtlvItem | undefined): bigint {
  if (it === undefined) return 1n;
  if (it.type === 'Integer' || it.type === 'LongInteger' || it.type === 'BigInteger' || it.type === 'Interval') return numeric(it);
  throw new KmipOperationError('InvalidDataType', `the Adjustment Value must be an integer type, not a ${it.type}`);
}

export function adjusted(current: AttributeValue, adjustment: number, amount: bigint): AttributeValue {
  if (adjustment === AT.Increment || adjustment === AT.Decrement) {
    if (!STEPPED.includes(current.type)) throw new KmipOperationError('InvalidDataType', `a ${current.type} attribute cannot be incremented or decremented`);
    return withNumeric(current.type, numeric(current) + (adjustment === AT.Increment ? amount : -amount));
  }
  if (adjustment === AT.Negate) {
    if (!NEGATED.includes(current.type)) throw new KmipOperationError('InvalidDataType', `a ${current.type} attribute cannot be negated`);
    return current.type === 'Boolean' ? { type: 'Boolean', value: !current.value } : withNumeric(current.type, -numeric(current));
  }
  throw new KmipOperationError('InvalidField', `Adjustment Type ${adjustment} is not defined (Increment, Decrement, Negate)`);
}

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  if (isV1(ctx)) throw new KmipOperationError('OperationNotSupported', 'Adjust Attribute is a KMIP 2.x operation');
  onlyKnown(payload, [Tag.UniqueIdentifier, Tag.AttributeReference, Tag.AdjustmentType, Tag.AdjustmentValue], 'Adjust Attribute');
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  const refItem = payload.value.find((c) => c.tag === Tag.AttributeReference);
  const typeItem = payload.value.find((c) => c.tag === Tag.AdjustmentType);
  if (refItem === undefined || typeItem === undefined) throw new KmipOperationError('MissingData', 'Adjust Attribute needs an Attribute Reference and an Adjustment Type');
  const name = parsed(ctx, () => parseAttributeReference(refItem, { version: ctx.kmipVersion }));
  const adjustment = expectType(typeItem, 'Enumeration').value;
  if (!([AT.Increment, AT.Decrement, AT.Negate] as number[]).includes(adjustment)) throw new KmipOperationError('InvalidField', `Adjustment Type ${adjustment} is not defined (Increment, Decrement, Negate)`);
  const amount = amountOf(payload.value.find((c) => c.tag === Tag.AdjustmentValue));
  const objects = managedObjects(ctx);
  changeAttributes(ctx, id, (obj) => {
    checkWritable(obj, name, ctx);
    const have = instancesOf(obj, name);
    if (have.length > 1) throw new KmipOperationError('MultiValuedAttribute', `the object has ${have.length} instances of ${displayName(name)}; Adjust Attribute needs exactly one`);
    if (have.length === 1) {
      objects.modifyAttribute(id, name, adjusted(have[0]!.value, adjustment, amount), have[0]!.index);
      return;
    }
    const type = isVendorName(name) ? undefined : attributeDef(name)?.types.find((t) => DEFAULTED.includes(t));
    if (type === undefined) throw new KmipOperationError('AttributeNotFound', `the object has no ${displayName(name)}, and it has no default value to adjust`);
    objects.addAttribute(id, name, adjusted(zero(type), adjustment, amount));
  });
  return { payload: [item(Tag.UniqueIdentifier, 'TextString', id)] };
}
