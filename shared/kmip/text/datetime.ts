// Date-Time text forms for the XML and JSON encodings (Additional Message
// Encodings §4.1.6.11, §6.1.6.11): xsd:dateTime,
//   '-'? yyyy '-' mm '-' dd 'T' hh ':' mm ':' ss ('.' s+)? (('+' | '-') hh ':' mm | 'Z')?
// Parsing is done by hand rather than with Date.parse, which accepts many
// other shapes and silently rolls 2001-02-30 over into March.

const ISO = /^(-?)(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/;

/** Seconds from 0001-01-01T00:00:00Z and to 9999-12-31T23:59:59Z: the range printed as ISO text. */
const MIN_ISO_SECONDS = -62135596800n;
const MAX_ISO_SECONDS = 253402300799n;

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

function isLeap(y: bigint): boolean {
  return (y % 4n === 0n && y % 100n !== 0n) || y % 400n === 0n;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: bigint, month: number, day: number): bigint {
  const y = month <= 2 ? year - 1n : year;
  const era = floorDiv(y, 400n);
  const yoe = y - era * 400n;
  const m = BigInt(month);
  const doy = (153n * (m > 2n ? m - 3n : m + 9n) + 2n) / 5n + BigInt(day) - 1n;
  const doe = yoe * 365n + yoe / 4n - yoe / 100n + doy;
  return era * 146097n + doe - 719468n;
}

export interface ParsedIso {
  /** Whole seconds since the POSIX epoch, offset applied. */
  seconds: bigint;
  /** Fractional digits as written ('' when none). */
  fraction: string;
}

/**
 * Parse xsd:dateTime text; when it is not one, a phrase saying why (it
 * follows "Date-Time '…': "), e.g. 'day 29 is out of range for month 02'.
 * Without an offset the time is taken as UTC (xsd leaves it "unspecified";
 * KMIP values are UTC). Years follow xsd 1.1 / ISO 8601: year 0000 is 1 BC.
 */
export function parseIsoDateTime(text: string): ParsedIso | string {
  const m = ISO.exec(text);
  if (!m) return 'not an xsd:dateTime (yyyy-mm-ddThh:mm:ss with an optional fraction and Z or ±hh:mm offset)';
  const [, sign, yearDigits, mo, d, h, mi, s, fraction = '', zone] = m;
  if (yearDigits!.length > 4 && yearDigits!.startsWith('0')) return 'a year of more than 4 digits must not start with 0';
  const year = BigInt(sign! + yearDigits!);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12) return `month ${mo} is out of range`;
  const monthDays = month === 2 && isLeap(year) ? 29 : MONTH_DAYS[month - 1]!;
  if (day < 1 || day > monthDays) return `day ${d} is out of range for month ${mo}`;
  if (hour > 23) return `hour ${h} is out of range`;
  if (minute > 59) return `minute ${mi} is out of range`;
  if (second > 59) return `second ${s} is out of range (POSIX time has no leap seconds)`;
  let offsetSeconds = 0;
  if (zone !== undefined && zone !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 14 || om > 59 || (oh === 14 && om !== 0)) return `time zone offset ${zone} is out of range`;
    offsetSeconds = (zone.startsWith('-') ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const seconds =
    daysFromCivil(year, month, day) * 86400n + BigInt(hour * 3600 + minute * 60 + second) - BigInt(offsetSeconds);
  return { seconds, fraction };
}

/** '+00:00' is what every OASIS XML and JSON vector prints; 'Z' is the shorter xsd form. */
export type UtcSuffix = '+00:00' | 'Z';

/** ISO text for seconds since the epoch, or undefined outside years 0001–9999 (print hex there). */
export function formatIsoSeconds(seconds: bigint, suffix: UtcSuffix, micros?: number): string | undefined {
  if (seconds < MIN_ISO_SECONDS || seconds > MAX_ISO_SECONDS) return undefined;
  // In this range Date is exact; its ISO form is yyyy-mm-ddThh:mm:ss.sssZ.
  const iso = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  const frac = micros === undefined ? '' : '.' + String(micros).padStart(6, '0');
  return iso + frac + suffix;
}
