// Strict TTLV decoder (KMIP 1.4 §9.1, 2.1 §9.1).
//
// Strict means: every length is checked against its type and against the
// enclosing structure before a byte is read or allocated, padding must be zero,
// Booleans must be 0 or 1, text must be valid UTF-8, and the message must end
// exactly where its outermost item ends. Any violation throws a TtlvError that
// names the offset and tag; nothing else is thrown for any input.
//
// The walk is a loop over an explicit stack of open structures, not recursion:
// a message nesting as deep as the configured maxDepth allows (even 100,000)
// cannot overflow the call stack.
import { TtlvError } from './errors.js';
import { resolveLimits, type TtlvLimits } from './limits.js';
import { ItemType, type StructureItem, type TtlvItem } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decode one complete TTLV message (one outermost item, nothing after it). */
export function decodeTtlv(bytes: Uint8Array, limits?: Partial<TtlvLimits>): TtlvItem {
  const lim = limits === undefined ? DEFAULTS : resolveLimits(limits);
  if (bytes.length > lim.maxMessageSize) {
    throw new TtlvError('TOO_LARGE', `message of ${bytes.length} bytes exceeds the limit of ${lim.maxMessageSize}`, 0);
  }
  const { maxDepth, maxItems } = lim;
  const b = bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  // Open structures: the child list being filled and where each one ends.
  // `depth` counts them; the item being read is at nesting depth + 1.
  const lists: TtlvItem[][] = [];
  const stops: number[] = [];
  let depth = 0;
  let list: TtlvItem[] | undefined; // children of the innermost open structure
  let end = b.length; // where the innermost open structure (or the input) ends
  let pos = 0;
  let items = 0;
  let top: TtlvItem | undefined;

  for (;;) {
    // ---- one item header at pos, inside [pos, end) ----
    if (end - pos < 8) {
      const tag = end - pos >= 3 ? (b[pos]! << 16) | (b[pos + 1]! << 8) | b[pos + 2]! : undefined;
      throw overrun(depth, pos, `item header needs 8 bytes, ${end - pos} left`, tag);
    }
    const tag = (b[pos]! << 16) | (b[pos + 1]! << 8) | b[pos + 2]!;
    const hi = b[pos]!;
    if (hi !== 0x42 && hi !== 0x54) {
      throw new TtlvError('BAD_TAG', 'tag is outside the KMIP (0x42xxxx) and extension (0x54xxxx) ranges', pos, tag);
    }
    const typeByte = b[pos + 3]!;
    const len = view.getUint32(pos + 4);
    if (++items > maxItems) {
      throw new TtlvError('TOO_MANY_ITEMS', `more than ${maxItems} items in one message`, pos, tag);
    }
    const start = pos + 8;
    let it: TtlvItem;

    if (typeByte === ItemType.Structure) {
      if (depth + 1 > maxDepth) {
        throw new TtlvError('TOO_DEEP', `structures nest deeper than ${maxDepth}`, pos, tag);
      }
      if (len > end - start) throw overrun(depth, pos, `structure length ${len} runs past its container (${end - start} bytes left)`, tag);
      const s: StructureItem = { tag, type: 'Structure', value: [] };
      if (list === undefined) top = s;
      else list.push(s);
      if (len > 0) {
        // Descend: read the children next.
        if (list !== undefined) lists.push(list);
        stops.push(end);
        depth++;
        list = s.value;
        end = start + len;
        pos = start;
        continue;
      }
      pos = start;
    } else {
      checkLength(typeByte, len, pos, tag);
      // Values are padded to a multiple of 8; len may be up to 2^32-1, so no bit tricks.
      const padded = len + ((8 - (len % 8)) % 8);
      if (padded > end - start) {
        throw overrun(depth, pos, `value of ${len} bytes (padded ${padded}) runs past its container (${end - start} bytes left)`, tag);
      }
      const valueEnd = start + len;
      const next = start + padded;
      for (let i = valueEnd; i < next; i++) {
        if (b[i] !== 0) throw new TtlvError('BAD_PADDING', 'padding byte is not zero', i, tag);
      }
      switch (typeByte) {
        case ItemType.Integer:
          it = { tag, type: 'Integer', value: view.getInt32(start) };
          break;
        case ItemType.LongInteger:
          it = { tag, type: 'LongInteger', value: view.getBigInt64(start) };
          break;
        case ItemType.BigInteger:
          it = { tag, type: 'BigInteger', value: copyOut(b, start, valueEnd) };
          break;
        case ItemType.Enumeration:
          it = { tag, type: 'Enumeration', value: view.getUint32(start) };
          break;
        case ItemType.Boolean: {
          const high = view.getUint32(start);
          const low = view.getUint32(start + 4);
          if (high !== 0 || low > 1) throw new TtlvError('BAD_BOOLEAN', 'Boolean is neither 0 nor 1', start, tag);
          it = { tag, type: 'Boolean', value: low === 1 };
          break;
        }
        case ItemType.TextString:
          it = { tag, type: 'TextString', value: decodeText(b, start, len, tag) };
          break;
        case ItemType.ByteString:
          it = { tag, type: 'ByteString', value: copyOut(b, start, valueEnd) };
          break;
        case ItemType.DateTime:
          it = { tag, type: 'DateTime', value: view.getBigInt64(start) };
          break;
        case ItemType.Interval:
          it = { tag, type: 'Interval', value: view.getUint32(start) };
          break;
        case ItemType.DateTimeExtended:
          it = { tag, type: 'DateTimeExtended', value: view.getBigInt64(start) };
          break;
        default:
          // checkLength has already rejected every other type byte.
          throw new TtlvError('BAD_TYPE', `unknown item type 0x${typeByte.toString(16).padStart(2, '0')}`, pos + 3, tag);
      }
      if (list === undefined) top = it;
      else list.push(it);
      pos = next;
    }

    // ---- close every structure that ends here ----
    // Children are whole multiples of 8 and never pass `end`, so pos lands on it exactly.
    while (pos === end && depth > 0) {
      depth--;
      end = stops.pop()!;
      list = lists.pop();
    }
    if (depth === 0) break;
  }

  if (pos !== b.length) {
    throw new TtlvError('TRAILING_BYTES', `${b.length - pos} bytes after the end of the message`, pos);
  }
  return top!;
}

const DEFAULTS = resolveLimits();

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

/**
 * Running out of bytes for the outermost item is truncation: the input ends
 * before the message does. Inside a structure it is an overrun, even when that
 * structure ends where the input ends: the structure's own length was
 * satisfied, so the child's length is the one that lies.
 */
function overrun(depth: number, pos: number, detail: string, tag: number | undefined): TtlvError {
  return new TtlvError(depth === 0 ? 'TRUNCATED' : 'STRUCTURE_OVERRUN', detail, pos, tag);
}

/**
 * A fresh, plain Uint8Array holding bytes [from, to). Not `b.slice`: on a Node
 * Buffer that is a view, so the value (perhaps key material) would share
 * memory with the socket's buffer, and wiping one would corrupt the other.
 */
function copyOut(b: Uint8Array, from: number, to: number): Uint8Array {
  const out = new Uint8Array(to - from);
  out.set(b.subarray(from, to));
  return out;
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
