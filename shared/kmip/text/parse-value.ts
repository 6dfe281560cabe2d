// Text → TTLV values, per type (§4.1.6.x JSON, §6.1.6.x XML). See values.ts
// for the forms shared by both dialects.
import { enumValueByNameOf, type EnumDef } from '../registry/index.js';
import type { ValueOf } from '../ttlv/types.js';
import { parseIsoDateTime } from './datetime.js';
import { KmipTextError } from './errors.js';
import {
  DECIMAL, HEX_DIGITS, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, UINT32_MAX, UNSIGNED_DECIMAL,
  bad, collapse, fixedHex, hexToBytes, hexWidthError, int32FromUnsigned, looksHex, show,
  type Dialect, type RawValue, type ScalarType, type ValueNames,
} from './values.js';

/** Text value → TTLV value, or a KmipTextError (BAD_VALUE / UNKNOWN_NAME) without location. */
export function parseValue<T extends ScalarType>(type: T, raw: RawValue, names: ValueNames | undefined, dialect: Dialect): ValueOf<T> {
  return PARSERS[type](raw, names, dialect) as ValueOf<T>;
}

type Parser = (raw: RawValue, names: ValueNames | undefined, dialect: Dialect) => ValueOf<ScalarType>;

const PARSERS: { [T in ScalarType]: (raw: RawValue, names: ValueNames | undefined, dialect: Dialect) => ValueOf<T> } = {
  Integer: parseInteger,
  LongInteger: parseLongInteger,
  BigInteger: parseBigInteger,
  Enumeration: parseEnumeration,
  Boolean: parseBoolean,
  TextString: (raw) => {
    if (typeof raw !== 'string') throw bad(`a Text String value must be a string, not ${show(raw)}`);
    return raw;
  },
  ByteString: (raw, _names, dialect) => {
    if (typeof raw !== 'string') throw bad(`a Byte String value must be a hex string, not ${show(raw)}`);
    const text = collapse(raw, dialect);
    if (!HEX_DIGITS.test(text) || text.length % 2 !== 0) {
      throw bad(`Byte String ${show(raw)} is not an even number of hex digits (no "0x" prefix)`);
    }
    return hexToBytes(text);
  },
  DateTime: (raw, _names, dialect) => parseDateTime(raw, dialect, false),
  Interval: parseInterval,
  DateTimeExtended: (raw, _names, dialect) => parseDateTime(raw, dialect, true),
} satisfies Record<ScalarType, Parser>;

function parseInteger(raw: RawValue, names: ValueNames | undefined, dialect: Dialect): number {
  if (typeof raw === 'number') {
    if (dialect !== 'json') throw bad(`Integer ${show(raw)} must be text`);
    if (!Number.isInteger(raw) || raw < INT32_MIN || raw > INT32_MAX) throw bad(`Integer ${raw} is not a 32-bit signed integer`);
    return raw;
  }
  if (typeof raw !== 'string') throw bad(`an Integer value must be a number or a string, not ${show(raw)}`);
  const text = collapse(raw, dialect);
  if (dialect === 'xml' && DECIMAL.test(text)) {
    const n = Number(text);
    if (n < INT32_MIN || n > INT32_MAX) throw bad(`Integer ${text} is out of the 32-bit signed range`);
    return n;
  }
  const single = fixedHex(text, 8);
  if (single !== undefined) return int32FromUnsigned(single);
  if (names?.kind === 'mask') return parseMask(text, names.def, dialect);
  if (looksHex(text)) throw hexWidthError(text, 8, 'Integer');
  throw bad(`Integer ${show(raw)} is not ${dialect === 'xml' ? 'a decimal' : 'a number'} or 8-digit hex value` +
    (/^[A-Za-z]/.test(text) ? ' (names are only allowed for mask tags)' : ''));
}

/** §4.1.6.4 / §6.1.6.4: mask components are names of the mask's bits or 8-digit hex, OR-ed together. */
function parseMask(text: string, def: EnumDef, dialect: Dialect): number {
  const parts = dialect === 'xml' ? text.split(/\s+/) : text.split('|').map((p) => p.trim());
  let bits = 0n;
  for (const part of parts) {
    if (part === '') throw bad(`mask ${show(text)} has an empty component`);
    const h = fixedHex(part, 8);
    if (h !== undefined) {
      bits |= h;
      continue;
    }
    if (looksHex(part)) throw hexWidthError(part, 8, 'mask component');
    const v = enumValueByNameOf(def, part);
    if (v === undefined) throw new KmipTextError('UNKNOWN_NAME', `'${part}' is not a ${def.name} bit name`);
    bits |= BigInt(v >>> 0);
  }
  return int32FromUnsigned(bits);
}

function parseLongInteger(raw: RawValue, _names: ValueNames | undefined, dialect: Dialect): bigint {
  if (typeof raw === 'number') {
    if (dialect !== 'json') throw bad(`Long Integer ${show(raw)} must be text`);
    // A JSON number past 2^53 has already lost precision in JSON.parse; refuse it rather than store a rounded value.
    if (!Number.isSafeInteger(raw)) throw bad(`Long Integer ${raw} is not an integer that a JSON number holds exactly; use 16-digit hex`);
    return BigInt(raw);
  }
  if (typeof raw !== 'string') throw bad(`a Long Integer value must be a number or a string, not ${show(raw)}`);
  const text = collapse(raw, dialect);
  if (dialect === 'xml' && DECIMAL.test(text)) {
    const n = BigInt(text);
    if (n < INT64_MIN || n > INT64_MAX) throw bad(`Long Integer ${text} is out of the 64-bit signed range`);
    return n;
  }
  const h = fixedHex(text, 16);
  if (h !== undefined) return BigInt.asIntN(64, h);
  if (looksHex(text)) throw hexWidthError(text, 16, 'Long Integer');
  throw bad(`Long Integer ${show(raw)} is not ${dialect === 'xml' ? 'a decimal' : 'a number'} or 16-digit hex value`);
}

/** Two's-complement bytes of a safe integer, sign-extended to 8 bytes. */
function bigIntegerFromNumber(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, BigInt(n));
  return out;
}

function parseBigInteger(raw: RawValue, _names: ValueNames | undefined, dialect: Dialect): Uint8Array {
  if (typeof raw === 'number') {
    if (dialect !== 'json') throw bad(`Big Integer ${show(raw)} must be text`);
    if (!Number.isSafeInteger(raw)) throw bad(`Big Integer ${raw} is not an integer that a JSON number holds exactly; use hex`);
    return bigIntegerFromNumber(raw);
  }
  if (typeof raw !== 'string') throw bad(`a Big Integer value must be a number or a string, not ${show(raw)}`);
  const text = collapse(raw, dialect);
  // XML: xsd:hexBinary (§6.1.6.6); JSON: "0x" hex (§4.1.6.6).
  let digits: string;
  if (dialect === 'json') {
    if (!looksHex(text)) throw bad(`Big Integer ${show(raw)} is not a number or "0x" hex string`);
    digits = text.slice(2);
  } else {
    digits = text;
  }
  if (!HEX_DIGITS.test(digits) || digits.length === 0) {
    throw bad(`Big Integer ${show(raw)} is not hex${dialect === 'xml' ? ' (xsd:hexBinary, no "0x" prefix)' : ''}`);
  }
  if (digits.length % 16 !== 0) {
    throw bad(`Big Integer ${show(raw)} has ${digits.length} hex digits; it must be sign-extended to a multiple of 8 bytes (16 digits)`);
  }
  return hexToBytes(digits);
}

function parseEnumeration(raw: RawValue, names: ValueNames | undefined, dialect: Dialect): number {
  if (typeof raw === 'number') {
    if (dialect !== 'json') throw bad(`Enumeration ${show(raw)} must be text`);
    if (!Number.isInteger(raw) || raw < 0 || raw > UINT32_MAX) throw bad(`Enumeration ${raw} is not a 32-bit unsigned integer`);
    return raw;
  }
  if (typeof raw !== 'string') throw bad(`an Enumeration value must be a name, number or hex string, not ${show(raw)}`);
  const text = collapse(raw, dialect);
  const h = fixedHex(text, 8);
  if (h !== undefined) return Number(h);
  if (looksHex(text)) throw hexWidthError(text, 8, 'Enumeration');
  if (names?.kind === 'enumeration') {
    const v = enumValueByNameOf(names.def, text);
    if (v === undefined) throw new KmipTextError('UNKNOWN_NAME', `'${text}' is not a ${names.def.name} value name`);
    return v;
  }
  throw new KmipTextError('UNKNOWN_NAME', `no enumeration names the values of this item, so ${show(raw)} cannot be resolved; give it as 8-digit hex`);
}

function parseBoolean(raw: RawValue, _names: ValueNames | undefined, dialect: Dialect): boolean {
  if (typeof raw === 'boolean') {
    if (dialect !== 'json') throw bad(`Boolean ${show(raw)} must be text`);
    return raw;
  }
  if (typeof raw !== 'string') throw bad(`a Boolean value must be true, false or a hex string, not ${show(raw)}`);
  const text = collapse(raw, dialect);
  // xsd:boolean also allows 1 and 0.
  if (dialect === 'xml') {
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0') return false;
  }
  const h = fixedHex(text, 16);
  if (h === 0n || h === 1n) return h === 1n;
  if (h !== undefined) throw bad(`Boolean ${show(raw)} is neither 0 nor 1`);
  if (looksHex(text)) throw hexWidthError(text, 16, 'Boolean');
  throw bad(`Boolean ${show(raw)} is not ${dialect === 'xml' ? 'true, false, 1, 0' : 'true, false'} or 16-digit hex`);
}

function parseInterval(raw: RawValue, _names: ValueNames | undefined, dialect: Dialect): number {
  if (typeof raw === 'number') {
    if (dialect !== 'json') throw bad(`Interval ${show(raw)} must be text`);
    if (!Number.isInteger(raw) || raw < 0 || raw > UINT32_MAX) throw bad(`Interval ${raw} is not a 32-bit unsigned integer`);
    return raw;
  }
  if (typeof raw !== 'string') throw bad(`an Interval value must be a number or a string, not ${show(raw)}`);
  const text = collapse(raw, dialect);
  if (dialect === 'xml' && UNSIGNED_DECIMAL.test(text)) {
    const n = Number(text);
    if (n > UINT32_MAX) throw bad(`Interval ${text} is out of the 32-bit unsigned range`);
    return n;
  }
  const h = fixedHex(text, 8);
  if (h !== undefined) return Number(h);
  if (looksHex(text)) throw hexWidthError(text, 8, 'Interval');
  throw bad(`Interval ${show(raw)} is not ${dialect === 'xml' ? 'an unsigned decimal' : 'a number'} or 8-digit hex value`);
}

function parseDateTime(raw: RawValue, dialect: Dialect, extended: boolean): bigint {
  const what = extended ? 'Date-Time Extended' : 'Date-Time';
  if (typeof raw !== 'string') throw bad(`a ${what} value must be an xsd:dateTime or hex string, not ${show(raw)}`);
  const text = collapse(raw, dialect);
  if (looksHex(text)) {
    const h = fixedHex(text, 16);
    if (h === undefined) throw hexWidthError(text, 16, what);
    return BigInt.asIntN(64, h);
  }
  const parsed = parseIsoDateTime(text);
  if (typeof parsed === 'string') throw bad(`${what} ${show(raw)}: ${parsed}`);
  let value: bigint;
  if (extended) {
    // Microseconds; finer digits are dropped, as §4.1.6.11 says of fractions KMIP cannot carry.
    const micros = BigInt(parsed.fraction.slice(0, 6).padEnd(6, '0'));
    value = parsed.seconds * 1_000_000n + micros;
  } else {
    // §4.1.6.11: fractional seconds "should be ignored (truncated)".
    value = parsed.seconds;
  }
  if (value < INT64_MIN || value > INT64_MAX) throw bad(`${what} ${show(raw)} is out of the 64-bit range`);
  return value;
}
