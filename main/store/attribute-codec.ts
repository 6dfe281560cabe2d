// Attribute values ↔ attribute table rows.
//
// A row keeps the value twice: `raw`, the value's exact TTLV encoding (under
// the Attribute Value tag), which is what is read back, so every item type and
// structure round-trips bit for bit; and one or more *key columns* derived from
// it, which exist only so Locate can use an index:
//   text_value  Text String; Byte String / Big Integer as lower-case hex;
//               a structure's first Text String field (Name → Name Value,
//               Application Specific Information → Application Namespace,
//               Link → Linked Object Identifier)
//   int_value   Integer, Long Integer, Enumeration, Boolean (0/1), Interval;
//               a structure's first such field (Name Type, Link Type)
//   date_value  Date-Time seconds; Date-Time Extended truncated to seconds
import { Tag } from '../../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv } from '../../shared/kmip/ttlv/index.js';
import type { TtlvItem } from '../../shared/kmip/ttlv/types.js';
import { attributeKey, isVendorName, type AttributeName, type AttributeValue } from '../../shared/kmip/message/attributes.js';
import { StoreError } from './errors.js';

export interface KeyColumns {
  text: string | null;
  int: bigint | null;
  date: bigint | null;
}

export interface NameColumns {
  /** attributeKey(name): the lookup key ('Name', 'x/Foo'). */
  name: string;
  /** Vendor Identification of a vendor (custom) attribute, else null. */
  vendor: string | null;
}

/** Held as columns of the object row, never as attribute rows. */
const COLUMN_ATTRIBUTES = new Set(['UniqueIdentifier', 'ObjectType', 'State']);

export function nameColumns(name: AttributeName): NameColumns {
  if (!isVendorName(name) && COLUMN_ATTRIBUTES.has(name)) {
    throw new StoreError('INVALID', `${name} is kept on the object itself, not as an attribute`);
  }
  if (isVendorName(name) && (name.vendorIdentification === '' || name.attributeName === '')) {
    throw new StoreError('INVALID', 'a vendor attribute needs a vendor identification and a name');
  }
  return { name: attributeKey(name), vendor: isVendorName(name) ? name.vendorIdentification : null };
}

export function nameFromColumns(name: string, vendor: string | null): AttributeName {
  return vendor === null ? name : { vendorIdentification: vendor, attributeName: name.slice(vendor.length + 1) };
}

export function encodeValue(value: AttributeValue): Buffer {
  try {
    return Buffer.from(encodeTtlv({ ...value, tag: Tag.AttributeValue } as TtlvItem));
  } catch {
    throw new StoreError('INVALID', `attribute value of type ${String(value.type)} cannot be encoded`);
  }
}

export function decodeValue(raw: Uint8Array, what: string): AttributeValue {
  try {
    const { tag: _tag, ...value } = decodeTtlv(raw);
    return value as AttributeValue;
  } catch {
    throw new StoreError('CORRUPT', `stored value of ${what} cannot be decoded`);
  }
}

function scalarKeys(v: TtlvItem | AttributeValue, k: KeyColumns): void {
  switch (v.type) {
    case 'TextString':
      k.text ??= v.value;
      break;
    case 'ByteString':
    case 'BigInteger':
      k.text ??= Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('hex');
      break;
    case 'Integer':
    case 'Enumeration':
    case 'Interval':
      k.int ??= BigInt(v.value);
      break;
    case 'LongInteger':
      k.int ??= v.value;
      break;
    case 'Boolean':
      k.int ??= v.value ? 1n : 0n;
      break;
    case 'DateTime':
      k.date ??= v.value;
      break;
    case 'DateTimeExtended':
      // Floor division (BigInt division truncates toward zero).
      k.date ??= v.value >= 0n ? v.value / 1_000_000n : -((-v.value + 999_999n) / 1_000_000n);
      break;
    case 'Structure':
      break;
  }
}

export function keyColumns(value: AttributeValue): KeyColumns {
  const k: KeyColumns = { text: null, int: null, date: null };
  if (value.type === 'Structure') {
    for (const child of value.value) scalarKeys(child, k);
  } else {
    scalarKeys(value, k);
  }
  return k;
}
