// Strict TTLV decoder (KMIP 1.4 §9.1, 2.1 §9.1).
//
// Strict means: every length is checked against its type and against the
// enclosing structure before a byte is read or allocated, padding must be zero,
// Booleans must be 0 or 1, text must be valid UTF-8, and the message must end
// exactly where its outermost item ends. Any violation throws a TtlvError that
// names the offset and tag; nothing else is thrown for any input.
import { TtlvError } from './errors.js';
import { resolveLimits, type TtlvLimits } from './limits.js';
import { ItemType, type TtlvItem } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

interface Cursor {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly limits: TtlvLimits;
  items: number;
}

/** Decode one complete TTLV message (one outermost item, nothing after it). */
export function decodeTtlv(bytes: Uint8Array, limits?: Partial<TtlvLimits>): TtlvItem {
  const lim = resolveLimits(limits);
  if (bytes.length > lim.maxMessageSize) {
    throw new TtlvError('TOO_LARGE', `message of ${bytes.length} bytes exceeds the limit of ${lim.maxMessageSize}`, 0);
  }
  const cur: Cursor = { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), limits: lim, items: 0 };
  const [top, end] = readItem(cur, 0, bytes.length, 1);
  if (end !== bytes.length) {
    throw new TtlvError('TRAILING_BYTES', `${bytes.length - end} bytes after the end of the message`, end);
  }
  return top;
}

/**
 * Read the item whose header starts at `pos`; `end` is where the enclosing
 * structure (or the input) ends. Returns the item and the offset after it.
 */
function readItem(cur: Cursor, pos: number, end: number, depth: number): [TtlvItem, number] {
  const b = cur.bytes;
  if (end - pos < 8) {
    const tag = end - pos >= 3 ? (b[pos]! << 16) | (b[pos + 1]! << 8) | b[pos + 2]! : undefined;
    throw overrun(cur, pos, end, `item header needs 8 bytes, ${end - pos} left`, tag);
  }
  const tag = (b[pos]! << 16) | (b[pos + 1]! << 8) | b[pos + 2]!;
  const hi = tag >>> 16;
  if (hi !== 0x42 && hi !== 0x54) {
    throw new TtlvError('BAD_TAG', 'tag is outside the KMIP (0x42xxxx) and extension (0x54xxxx) ranges', pos, tag);
  }
  const typeByte = b[pos + 3]!;
  const len = cur.view.getUint32(pos + 4);
  if (++cur.items > cur.limits.maxItems) {
    throw new TtlvError('TOO_MANY_ITEMS', `more than ${cur.limits.maxItems} items in one message`, pos, tag);
  }
  const start = pos + 8;
  // Values are padded to a multiple of 8; len may be up to 2^32-1, so no bit tricks.
  const padded = len + ((8 - (len % 8)) % 8);

  if (typeByte === ItemType.Structure) {
    if (depth > cur.limits.maxDepth) {
      throw new TtlvError('TOO_DEEP', `structures nest deeper than ${cur.limits.maxDepth}`, pos, tag);
    }
    if (len > end - start) throw overrun(cur, pos, end, `structure length ${len} runs past its container (${end - start} bytes left)`, tag);
    const stop = start + len;
    const children: TtlvItem[] = [];
    let p = start;
    while (p < stop) {
      const [child, next] = readItem(cur, p, stop, depth + 1);
      children.push(child);
      p = next;
    }
    return [{ tag, type: 'Structure', value: children }, stop];
  }

  checkLength(typeByte, len, pos, tag);
  if (padded > end - start) throw overrun(cur, pos, end, `value of ${len} bytes (padded ${padded}) runs past its container (${end - start} bytes left)`, tag);
  for (let i = start + len; i < start + padded; i++) {
    if (b[i] !== 0) throw new TtlvError('BAD_PADDING', 'padding byte is not zero', i, tag);
  }
  const next = start + padded;
  const v = cur.view;
  switch (typeByte) {
    case ItemType.Integer:
      return [{ tag, type: 'Integer', value: v.getInt32(start) }, next];
    case ItemType.LongInteger:
      return [{ tag, type: 'LongInteger', value: v.getBigInt64(start) }, next];
    case ItemType.BigInteger:
      return [{ tag, type: 'BigInteger', value: b.slice(start, start + len) }, next];
    case ItemType.Enumeration:
      return [{ tag, type: 'Enumeration', value: v.getUint32(start) }, next];
    case ItemType.Boolean: {
      const high = v.getUint32(start);
      const low = v.getUint32(start + 4);
      if (high !== 0 || low > 1) throw new TtlvError('BAD_BOOLEAN', 'Boolean is neither 0 nor 1', start, tag);
      return [{ tag, type: 'Boolean', value: low === 1 }, next];
    }
    case ItemType.TextString:
      return [{ tag, type: 'TextString', value: decodeText(b, start, len, tag) }, next];
    case ItemType.ByteString:
      return [{ tag, type: 'ByteString', value: b.slice(start, start + len) }, next];
    case ItemType.DateTime:
      return [{ tag, type: 'DateTime', value: v.getBigInt64(start) }, next];
    case ItemType.Interval:
      return [{ tag, type: 'Interval', value: v.getUint32(start) }, next];
    case ItemType.DateTimeExtended:
      return [{ tag, type: 'DateTimeExtended', value: v.getBigInt64(start) }, next];
  }
  // checkLength has already rejected every other type byte.
  throw new TtlvError('BAD_TYPE', `unknown item type 0x${typeByte.toString(16).padStart(2, '0')}`, pos + 3, tag);
}

/** Fixed lengths per type (KMIP 1.4 §9.1.1.4). */
function checkLength(typeByte: number, len: number, pos: number, tag: number): void {
  let want: number;
  switch (typeByte) {
    case ItemType.Integer:
    case ItemType.Enumeration:
    case ItemType.Interval:
      want = 4;
      break;
    case ItemType.LongInteger:
    case ItemType.Boolean:
    case ItemType.DateTime:
    case ItemType.DateTimeExtended:
      want = 8;
      break;
    case ItemType.BigInteger:
      if (len === 0 || len % 8 !== 0) {
        throw new TtlvError('BAD_LENGTH', `Big Integer length ${len} is not a positive multiple of 8`, pos + 4, tag);
      }
      return;
    case ItemType.TextString:
    case ItemType.ByteString:
      return;
    default:
      throw new TtlvError('BAD_TYPE', `unknown item type 0x${typeByte.toString(16).padStart(2, '0')}`, pos + 3, tag);
  }
  if (len !== want) throw new TtlvError('BAD_LENGTH', `length ${len} for a ${want}-byte type`, pos + 4, tag);
}

/** Running out of bytes at the end of the input is truncation; inside a structure it is an overrun. */
function overrun(cur: Cursor, pos: number, end: number, detail: string, tag: number | undefined): TtlvError {
  return new TtlvError(end === cur.bytes.length ? 'TRUNCATED' : 'STRUCTURE_OVERRUN', detail, pos, tag);
}

function decodeText(b: Uint8Array, start: number, len: number, tag: number): string {
  // Most KMIP text is ASCII (identifiers, names): skip TextDecoder for it.
  if (len <= 64) {
    let ascii = true;
    for (let i = start; i < start + len; i++) {
      if (b[i]! > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, b.subarray(start, start + len) as unknown as number[]);
  }
  try {
    return utf8.decode(b.subarray(start, start + len));
  } catch {
    throw new TtlvError('BAD_UTF8', 'Text String is not valid UTF-8', start, tag);
  }
}
