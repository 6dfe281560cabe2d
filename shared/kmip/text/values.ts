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
   * values were renamed, e.g. in 2.0), and values this version does not
   * define as hex (e.g. mask bit 0x00100000, Authenticate in 2.x, in a 1.4
   * message). Default: the version a Request or Response Message declares;
   * without one, the newest name of every value the registry knows. Every
   * version's name (and each spec misprint) is accepted on input either way.
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

// Hex ↔ bytes by table: a Byte String may be megabytes (key material, a
// certificate chain, a Put of a large object), and per-byte toString/parseInt
// made a 4 MB value take over a second each way.

/** 'a'..'f' / '0'..'9' ASCII codes of each byte's two lower-case hex digits: [2b] high, [2b + 1] low. */
const HEX_ASCII = new Uint8Array(512);
/** Byte → its two hex digits, for short values, where building a string directly is quicker. */
const HEX_PAIRS: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
/** ASCII code → hex digit value, or -1. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let b = 0; b < 256; b++) {
  HEX_ASCII[2 * b] = HEX_PAIRS[b]!.charCodeAt(0);
  HEX_ASCII[2 * b + 1] = HEX_PAIRS[b]!.charCodeAt(1);
}
for (let d = 0; d < 16; d++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(d)] = d;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(d)] = d;
}
const ASCII = new TextDecoder();
const SHORT_HEX = 64;

/** Lower-case hex of the bytes, two digits each. */
export function bytesToHex(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n <= SHORT_HEX) {
    let s = '';
    for (let i = 0; i < n; i++) s += HEX_PAIRS[bytes[i]!]!;
    return s;
  }
  const out = new Uint8Array(2 * n);
  for (let i = 0, j = 0; i < n; i++, j += 2) {
    const k = bytes[i]! << 1;
    out[j] = HEX_ASCII[k]!;
    out[j + 1] = HEX_ASCII[k + 1]!;
  }
  return ASCII.decode(out);
}

/**
 * Bytes of an even-length hex string (either case). Callers check the text
 * first (HEX_DIGITS, even length); a non-hex digit here is a RangeError.
 */
export function hexToBytes(text: string): Uint8Array {
  if (text.length % 2 !== 0) throw new RangeError(`odd number of hex digits (${text.length})`);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0, j = 0; i < out.length; i++, j += 2) {
    const c1 = text.charCodeAt(j);
    const c2 = text.charCodeAt(j + 1);
    const hi = c1 < 128 ? HEX_VALUE[c1]! : -1;
    const lo = c2 < 128 ? HEX_VALUE[c2]! : -1;
    if ((hi | lo) < 0) throw new RangeError(`not a hex digit at offset ${hi < 0 ? j : j + 1}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** XML values are xsd types whose whiteSpace facet is "collapse" (all but strings): trim them. */
export function collapse(raw: string, dialect: Dialect): string {
  return dialect === 'xml' ? raw.trim() : raw;
}
