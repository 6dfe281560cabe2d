// TTLV values → text, per type (§4.1.6.x JSON, §6.1.6.x XML). See values.ts
// for the forms shared by both dialects.
import { enumValueName, type EnumDef, type KmipVersion } from '../registry/index.js';
import { formatIsoSeconds } from './datetime.js';
import {
  INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, JSON_NUMBER_LIMIT, UINT32_MAX,
  bad, bytesToHex, hex,
  type FormatOptions, type RawValue, type ScalarItem, type ValueNames,
} from './values.js';

/**
 * An item built in code may carry a value its type cannot (a fractional
 * Integer, a 5-byte Big Integer…); printing it would give text that does not
 * read back, so refuse it here as the TTLV encoder would.
 */
function checkValue(item: ScalarItem): void {
  const v: unknown = item.value;
  const int = (lo: number, hi: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
  const int64 = (): boolean => typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX;
  let ok: boolean;
  switch (item.type) {
    case 'Integer': ok = int(INT32_MIN, INT32_MAX); break;
    case 'Enumeration':
    case 'Interval': ok = int(0, UINT32_MAX); break;
    case 'LongInteger':
    case 'DateTime':
    case 'DateTimeExtended': ok = int64(); break;
    case 'BigInteger': ok = v instanceof Uint8Array && v.length > 0 && v.length % 8 === 0; break;
    case 'ByteString': ok = v instanceof Uint8Array; break;
    case 'Boolean': ok = typeof v === 'boolean'; break;
    case 'TextString': ok = typeof v === 'string'; break;
  }
  if (!ok) throw bad(`a ${item.type} item cannot hold ${v instanceof Uint8Array ? `${v.length} bytes` : typeof v === 'bigint' ? `${v}n` : JSON.stringify(v) ?? String(v)}`);
}

/** TTLV value → its text form in the dialect. */
export function formatValue(item: ScalarItem, names: ValueNames | undefined, opts: FormatOptions): RawValue {
  checkValue(item);
  const json = opts.dialect === 'json';
  const suffix = opts.utcSuffix ?? '+00:00';
  switch (item.type) {
    case 'Integer':
      if (names?.kind === 'mask') return formatMask(item.value, names.def, opts);
      return json ? item.value : String(item.value);
    case 'LongInteger': {
      if (!json) return item.value.toString();
      const v = item.value;
      return v > -JSON_NUMBER_LIMIT && v < JSON_NUMBER_LIMIT ? Number(v) : hex(BigInt.asUintN(64, v), 16);
    }
    case 'BigInteger':
      // JSON: always hex, which keeps any sign-extension bytes the sender used.
      return json ? '0x' + bytesToHex(item.value) : bytesToHex(item.value);
    case 'Enumeration':
      return formatEnumeration(item.value, names, opts.version);
    case 'Boolean':
      return json ? item.value : String(item.value);
    case 'TextString':
      return item.value;
    case 'ByteString':
      return bytesToHex(item.value);
    case 'DateTime':
      return formatIsoSeconds(item.value, suffix) ?? hex(BigInt.asUintN(64, item.value), 16);
    case 'Interval':
      return json ? item.value : String(item.value);
    case 'DateTimeExtended': {
      const seconds = item.value / 1_000_000n - (item.value % 1_000_000n < 0n ? 1n : 0n);
      const micros = Number(item.value - seconds * 1_000_000n);
      return formatIsoSeconds(seconds, suffix, micros) ?? hex(BigInt.asUintN(64, item.value), 16);
    }
  }
}

function formatEnumeration(value: number, names: ValueNames | undefined, version: KmipVersion | undefined): string {
  const name = names?.kind === 'enumeration' ? enumValueName(names.def, value, version) : undefined;
  return name ?? hex(BigInt(value >>> 0), 8);
}

/** Names for the known bits (lowest first), one 8-digit hex component for any bits left over. */
function formatMask(value: number, def: EnumDef, opts: FormatOptions): RawValue {
  const dialect = opts.dialect;
  let rest = value >>> 0;
  if (rest === 0) return dialect === 'json' ? 0 : '0';
  const parts: string[] = [];
  const bits = [...def.values].filter((v) => v.value !== 0).sort((a, b) => (a.value >>> 0) - (b.value >>> 0));
  for (const v of bits) {
    const b = v.value >>> 0;
    if ((rest & b) >>> 0 === b) {
      const name = enumValueName(def, v.value, opts.version);
      if (name === undefined || parts.includes(name)) continue;
      parts.push(name);
      rest = (rest & ~b) >>> 0;
    }
  }
  if (rest !== 0) parts.push(hex(BigInt(rest), 8));
  return parts.join(dialect === 'json' ? '|' : ' ');
}
