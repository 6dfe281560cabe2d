// Hex text ↔ bytes, in the forms operators paste: "42 00 78 | 01 | 00000098",
// one message per line or spread over many, with '#' comments (fixtures use
// them to name tags).
import { TtlvError } from './errors.js';

const HEX = '0123456789abcdef';

/** Bytes → lower-case hex; `sep` goes between bytes. */
export function toHex(bytes: Uint8Array, sep = ''): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0 && sep) out += sep;
    const b = bytes[i]!;
    out += HEX[b >>> 4]! + HEX[b & 15]!;
  }
  return out;
}

/**
 * Hex text → bytes. Whitespace and '|' separate freely; '#' starts a comment
 * to the end of the line. Anything else that is not a hex digit, or an odd
 * number of digits, is a BAD_HEX error whose offset is the character index.
 */
export function parseHex(text: string): Uint8Array {
  const out = new Uint8Array(text.length >>> 1);
  let n = 0;
  let high = -1;
  let highAt = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let v: number;
    if (c >= 0x30 && c <= 0x39) v = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) v = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) v = c - 0x37;
    else if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x7c /* | */) continue;
    else if (c === 0x23 /* # */) {
      while (i < text.length && text.charCodeAt(i) !== 0x0a) i++;
      continue;
    } else {
      throw new TtlvError('BAD_HEX', `character ${JSON.stringify(text[i])} is not a hex digit`, i);
    }
    if (high < 0) {
      high = v;
      highAt = i;
    } else {
      out[n++] = (high << 4) | v;
      high = -1;
    }
  }
  if (high >= 0) throw new TtlvError('BAD_HEX', 'odd number of hex digits', highAt);
  return out.slice(0, n);
}

/** One Uint8Array holding all the parts, in order. */
export function concatBytes(parts: readonly (Uint8Array | readonly number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
