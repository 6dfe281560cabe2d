// Value forms of the KMIP text encodings, one place for XML and JSON
// (Additional Message Encodings §4.1.5–4.1.6 JSON, §6.1.5–6.1.6 XML).
// The two differ only in a few spots, marked by `dialect`: JSON may carry
// numbers and booleans natively, separates mask components with '|' where XML
// uses an xsd:list (whitespace), and writes a Big Integer as "0x…" where XML
// uses plain xsd:hexBinary.
//
// Hex forms (§4.1.1 / §6.1.1) must give every digit of the fixed width:
// 8 digits for Integer, Enumeration, Interval and mask components, 16 for Long
// Integer, Boolean, Date-Time and Date-Time Extended, a multiple of 16 for Big
// Integer. A shorter form is rejected rather than guessed at.

import type { EnumDef, KmipVersion } from '../registry/index.js';
import type { ItemTypeName, TtlvItem } from '../ttlv/types.js';
import type { UtcSuffix } from './datetime.js';
import { KmipTextError } from './errors.js';

export type Dialect = 'xml' | 'json';

/** A value as it stands in the text: XML attributes are strings, JSON adds numbers, booleans and null. */
export type RawValue = string | number | boolean | null;

/** How the values of one item get names, found from its tag or its context (see context.ts). */
export type ValueNames =
  /** An Enumeration named by this enumeration. */
  | { kind: 'enumeration'; def: EnumDef }
  /** An Integer whose bits are named by this mask. */
  | { kind: 'mask'; def: EnumDef };

export interface FormatOptions {
  dialect: Dialect;
  /** Suffix of Date-Time values printed in UTC; default '+00:00', as in the OASIS files. */
  utcSuffix?: UtcSuffix;
  /**
   * Print enumeration and mask names as this KMIP version spells them (a few
   * values were renamed, e.g. in 2.0). Default: the version a Request or
   * Response Message declares, else the newest name. Every version's name is
   * accepted on input either way.
   */
  version?: KmipVersion;
}

export type ScalarType = Exclude<ItemTypeName, 'Structure'>;
export type ScalarItem = Exclude<TtlvItem, { type: 'Structure' }>;

export const INT32_MIN = -(2 ** 31);
export const INT32_MAX = 2 ** 31 - 1;
export const UINT32_MAX = 2 ** 32 - 1;
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
/** §4.1.6.5: "any values >= 2^52 must be represented as hex strings". */
export const JSON_NUMBER_LIMIT = 2n ** 52n;

export const DECIMAL = /^[+-]?\d+$/;
export const UNSIGNED_DECIMAL = /^\+?\d+$/;
export const HEX_DIGITS = /^[0-9a-fA-F]*$/;

export function bad(detail: string): KmipTextError {
  return new KmipTextError('BAD_VALUE', detail);
}

export function show(raw: RawValue): string {
  return typeof raw === 'string' ? `'${raw}'` : String(raw);
}

/** "0x" + exactly `digits` hex digits → unsigned value; undefined when the text is not of that shape. */
export function fixedHex(text: string, digits: number): bigint | undefined {
  if (text.length !== digits + 2 || !/^0x/i.test(text) || !HEX_DIGITS.test(text.slice(2))) return undefined;
  return BigInt(text.slice(0, 2).toLowerCase() + text.slice(2));
}

export function looksHex(text: string): boolean {
  return /^0x/i.test(text);
}

export function hexWidthError(text: string, digits: number, what: string): KmipTextError {
  return bad(`hex ${what} ${show(text)} must be "0x" followed by exactly ${digits} hex digits`);
}

export function hex(value: bigint, digits: number): string {
  return '0x' + value.toString(16).padStart(digits, '0');
}

export function int32FromUnsigned(u: bigint): number {
  return Number(BigInt.asIntN(32, u));
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function hexToBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** XML values are xsd types whose whiteSpace facet is "collapse" (all but strings): trim them. */
export function collapse(raw: string, dialect: Dialect): string {
  return dialect === 'xml' ? raw.trim() : raw;
}
