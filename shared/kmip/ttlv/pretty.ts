// Readable hex for TTLV: one item per line, indented by nesting, fields split
// by '|' as the spec's examples write them, with the tag's name as a comment.
// parseHex reads the output back, so fixtures can be written in this form.
import { decodeTtlv } from './decode.js';
import type { TtlvLimits } from './limits.js';
import { ItemType } from './types.js';

export interface PrettyOptions {
  /** Names a tag for the trailing comment; return undefined to omit it. */
  tagName?: (tag: number) => string | undefined;
  limits?: Partial<TtlvLimits>;
}

const hexByte = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');
const hexRun = (bytes: Uint8Array, from: number, to: number) => Array.from(bytes.subarray(from, to), hexByte).join(' ');

/** Pretty-print one complete TTLV message; throws TtlvError if it does not decode. */
export function prettyTtlv(bytes: Uint8Array, opts: PrettyOptions = {}): string {
  decodeTtlv(bytes, opts.limits); // validate first, so the walk below can trust every length
  const lines: string[] = [];
  walk(bytes, lines, opts.tagName);
  return lines.join('\n');
}

// A loop, not recursion: the message may nest as deep as the limits allow.
function walk(b: Uint8Array, lines: string[], name?: (tag: number) => string | undefined): void {
  const ends: number[] = []; // where each open structure ends
  let pos = 0;
  while (pos < b.length) {
    while (ends.length > 0 && pos >= ends[ends.length - 1]!) ends.pop();
    const tag = (b[pos]! << 16) | (b[pos + 1]! << 8) | b[pos + 2]!;
    const type = b[pos + 3]!;
    const len = ((b[pos + 4]! << 24) >>> 0) + ((b[pos + 5]! << 16) | (b[pos + 6]! << 8) | b[pos + 7]!);
    let line = `${'  '.repeat(ends.length)}${hexRun(b, pos, pos + 3)} | ${hexByte(type)} | ${hexRun(b, pos + 4, pos + 8)}`;
    const padded = type === ItemType.Structure ? len : len + ((8 - (len % 8)) % 8);
    if (type !== ItemType.Structure && padded > 0) line += ` | ${hexRun(b, pos + 8, pos + 8 + padded)}`;
    const n = name?.(tag);
    lines.push(n ? `${line}  # ${n}` : line);
    if (type === ItemType.Structure) {
      ends.push(pos + 8 + len);
      pos += 8;
    } else {
      pos += 8 + padded;
    }
  }
}
