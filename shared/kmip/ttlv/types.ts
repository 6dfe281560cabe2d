// The TTLV item model: one decoded KMIP item, exactly as it is on the wire.
//
// Values are kept in a form that re-encodes to the same bytes: 64-bit values
// are bigint (a JS number loses precision past 2^53), and a Big Integer keeps
// its two's-complement bytes, because a sender may pad it with sign bytes and
// decode → encode must give back the input exactly.
//
// This file imports nothing: it is used by the engine, the CLI and the renderer.

/** Item Type byte values (KMIP 1.4 §9.1.1.2, 2.1 §9.1.1.2). */
export const ItemType = {
  Structure: 0x01,
  Integer: 0x02,
  LongInteger: 0x03,
  BigInteger: 0x04,
  Enumeration: 0x05,
  Boolean: 0x06,
  TextString: 0x07,
  ByteString: 0x08,
  DateTime: 0x09,
  Interval: 0x0a,
  DateTimeExtended: 0x0b,
} as const;

export type ItemTypeName = keyof typeof ItemType;

/** Item Type byte → name; undefined for a byte that is no KMIP item type. */
export const itemTypeName: (byte: number) => ItemTypeName | undefined = (() => {
  const names: (ItemTypeName | undefined)[] = [];
  for (const [name, byte] of Object.entries(ItemType)) names[byte] = name as ItemTypeName;
  return (byte: number) => names[byte];
})();

interface Base<T extends ItemTypeName, V> {
  /** 24-bit tag, e.g. 0x420078 (Request Message). */
  tag: number;
  type: T;
  value: V;
}

export type StructureItem = Base<'Structure', TtlvItem[]>;
/** Signed 32-bit. */
export type IntegerItem = Base<'Integer', number>;
/** Signed 64-bit. */
export type LongIntegerItem = Base<'LongInteger', bigint>;
/** Two's-complement big-endian bytes, length a positive multiple of 8. */
export type BigIntegerItem = Base<'BigInteger', Uint8Array>;
/** Unsigned 32-bit. */
export type EnumerationItem = Base<'Enumeration', number>;
export type BooleanItem = Base<'Boolean', boolean>;
export type TextStringItem = Base<'TextString', string>;
export type ByteStringItem = Base<'ByteString', Uint8Array>;
/** Signed 64-bit seconds since the POSIX epoch. */
export type DateTimeItem = Base<'DateTime', bigint>;
/** Unsigned 32-bit seconds. */
export type IntervalItem = Base<'Interval', number>;
/** Signed 64-bit microseconds since the POSIX epoch (KMIP 2.0+). */
export type DateTimeExtendedItem = Base<'DateTimeExtended', bigint>;

export type TtlvItem =
  | StructureItem
  | IntegerItem
  | LongIntegerItem
  | BigIntegerItem
  | EnumerationItem
  | BooleanItem
  | TextStringItem
  | ByteStringItem
  | DateTimeItem
  | IntervalItem
  | DateTimeExtendedItem;

/** The value type carried by an item of type T. */
export type ValueOf<T extends ItemTypeName> = Extract<TtlvItem, { type: T }>['value'];

/** Build an item with its value type checked against its item type. */
export function item<T extends ItemTypeName>(tag: number, type: T, value: ValueOf<T>): Extract<TtlvItem, { type: T }> {
  return { tag, type, value } as Extract<TtlvItem, { type: T }>;
}

/** Shorthand for a Structure. */
export function struct(tag: number, children: TtlvItem[]): StructureItem {
  return { tag, type: 'Structure', value: children };
}

/** 24-bit tag range reserved for vendor extensions (KMIP 1.4 Table 288). */
export function isExtensionTag(tag: number): boolean {
  return tag >= 0x540000 && tag <= 0x54ffff;
}

/** Render a tag the way the spec writes it: 0x420078. */
export function tagHex(tag: number): string {
  return '0x' + tag.toString(16).toUpperCase().padStart(6, '0');
}
