// TTLV encoder. One pass into a growing buffer; a structure's length is
// written once its children are in place. Values are range-checked so that
// a bad item is refused here instead of going out as wrong bytes.
//
// Structures are walked with an explicit stack, not recursion, so a tree as
// deep as the decoder can be configured to accept re-encodes without
// overflowing the call stack.
import { TtlvError } from './errors.js';
import { ItemType, type TtlvItem } from './types.js';

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

class Writer {
  buf: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  /** Make room for n more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }
}

const encoder = new TextEncoder();

// One scratch buffer, reused by every call; the result is a copy. Because the
// buffer is reused, every padding byte is written explicitly. Encoding is
// synchronous, so calls only nest if an item's getter encodes: that call gets
// a fresh buffer.
const SCRATCH_SIZE = 16 * 1024;
let scratch = new Writer(SCRATCH_SIZE);
let busy = false;

/** Encode one item (normally a Request or Response Message) to TTLV bytes. */
export function encodeTtlv(item: TtlvItem): Uint8Array {
  if (busy) {
    const own = new Writer(1024);
    writeTree(own, item);
    return own.buf.slice(0, own.pos);
  }
  busy = true;
  const w = scratch;
  w.pos = 0;
  try {
    writeTree(w, item);
    return w.buf.slice(0, w.pos);
  } finally {
    busy = false;
    // Do not keep a buffer grown for one large message.
    if (w.buf.length > SCRATCH_SIZE) scratch = new Writer(SCRATCH_SIZE);
  }
}

function writeTree(w: Writer, root: TtlvItem): void {
  // Open structures: their children, the index of the next child, and where their header is.
  const lists: TtlvItem[][] = [];
  const next: number[] = [];
  const heads: number[] = [];
  // A structure inside itself would never end; recursion used to hit the stack limit, the loop must check.
  const open = new Set<TtlvItem[]>();
  let it = root;
  for (;;) {
    const head = writeHeader(w, it);
    if (it.type === 'Structure') {
      if (!Array.isArray(it.value)) invalid(w, it.tag, 'Structure value is not a list of items');
      if (open.has(it.value)) invalid(w, it.tag, 'Structure contains itself');
      open.add(it.value);
      lists.push(it.value);
      next.push(0);
      heads.push(head);
    } else {
      writeValue(w, it, head);
    }
    // Find the next item to write, closing every structure that is complete.
    for (;;) {
      const d = lists.length - 1;
      if (d < 0) return;
      const children = lists[d]!;
      const i = next[d]!;
      if (i < children.length) {
        next[d] = i + 1;
        it = children[i]!;
        break;
      }
      const h = heads[d]!;
      w.view.setUint32(h + 4, w.pos - h - 8);
      open.delete(children);
      lists.pop();
      next.pop();
      heads.pop();
    }
  }
}

/** Write tag and type; returns the header's offset and leaves pos after it. */
function writeHeader(w: Writer, it: TtlvItem): number {
  if (typeof it !== 'object' || it === null) invalid(w, undefined, `item is ${it === null ? 'null' : typeof it}, not an object`);
  const { tag } = it;
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffff) invalid(w, tag, `tag ${String(tag)} is not a 24-bit value`);
  // The decoder's ranges: any other tag would go out in a message no peer (nor we) can read.
  if (tag >>> 16 !== 0x42 && tag >>> 16 !== 0x54) invalid(w, tag, 'tag is outside the KMIP (0x42xxxx) and extension (0x54xxxx) ranges');
  const type = Object.hasOwn(ItemType, it.type) ? ItemType[it.type] : invalid(w, tag, `unknown item type ${String(it.type)}`);
  w.reserve(16);
  const head = w.pos;
  const buf = w.buf;
  buf[head] = tag >>> 16;
  buf[head + 1] = (tag >>> 8) & 0xff;
  buf[head + 2] = tag & 0xff;
  buf[head + 3] = type;
  w.pos = head + 8;
  return head;
}

function writeValue(w: Writer, it: TtlvItem, head: number): void {
  const { tag } = it;
  const v = w.view;
  switch (it.type) {
    case 'Integer':
      if (!Number.isInteger(it.value) || it.value < -0x80000000 || it.value > 0x7fffffff) invalid(w, tag, 'Integer is not a signed 32-bit value');
      fixed(w, head, 4);
      v.setInt32(head + 8, it.value);
      v.setUint32(head + 12, 0);
      return;
    case 'Enumeration':
    case 'Interval':
      if (!Number.isInteger(it.value) || it.value < 0 || it.value > 0xffffffff) invalid(w, tag, `${it.type} is not an unsigned 32-bit value`);
      fixed(w, head, 4);
      v.setUint32(head + 8, it.value);
      v.setUint32(head + 12, 0);
      return;
    case 'LongInteger':
    case 'DateTime':
    case 'DateTimeExtended':
      if (typeof it.value !== 'bigint' || it.value < INT64_MIN || it.value > INT64_MAX) invalid(w, tag, `${it.type} is not a signed 64-bit bigint`);
      fixed(w, head, 8);
      v.setBigInt64(head + 8, it.value);
      return;
    case 'Boolean':
      if (typeof it.value !== 'boolean') invalid(w, tag, 'Boolean is not true or false');
      fixed(w, head, 8);
      v.setUint32(head + 8, 0);
      v.setUint32(head + 12, it.value ? 1 : 0);
      return;
    case 'BigInteger':
      if (!(it.value instanceof Uint8Array) || it.value.length === 0 || it.value.length % 8 !== 0) {
        invalid(w, tag, 'Big Integer bytes are not a positive multiple of 8 long');
      }
      variable(w, head, it.value);
      return;
    case 'ByteString':
      if (!(it.value instanceof Uint8Array)) invalid(w, tag, 'Byte String value is not bytes');
      variable(w, head, it.value);
      return;
    case 'TextString':
      if (typeof it.value !== 'string') invalid(w, tag, 'Text String value is not a string');
      text(w, head, tag, it.value);
      return;
  }
}

/** Write the length of a fixed-size value; the header reserve left room for it (8 bytes, padded). */
function fixed(w: Writer, head: number, len: number): void {
  w.view.setUint32(head + 4, len);
  w.pos = head + 16;
}

function variable(w: Writer, head: number, bytes: Uint8Array): void {
  const len = bytes.length;
  const padded = len + ((8 - (len % 8)) % 8);
  w.reserve(padded);
  w.view.setUint32(head + 4, len);
  w.buf.set(bytes, head + 8);
  w.buf.fill(0, head + 8 + len, head + 8 + padded);
  w.pos = head + 8 + padded;
}

function text(w: Writer, head: number, tag: number, s: string): void {
  // ASCII fast path, written in place: most KMIP text is identifiers and names.
  const n = s.length;
  if (n <= 256) {
    const padded = n + ((8 - (n % 8)) % 8);
    w.reserve(padded);
    const buf = w.buf;
    const at = head + 8;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) break;
      buf[at + i] = c;
    }
    if (i === n) {
      w.view.setUint32(head + 4, n);
      buf.fill(0, at + n, at + padded);
      w.pos = at + padded;
      return;
    }
  }
  variable(w, head, encodeNonAscii(w, tag, s));
}

// A lone surrogate has no UTF-8 form; TextEncoder would silently put U+FFFD
// in its place, and the peer would read a different string than we hold.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function encodeNonAscii(w: Writer, tag: number, s: string): Uint8Array {
  if (LONE_SURROGATE.test(s)) invalid(w, tag, 'Text String holds a lone UTF-16 surrogate');
  return encoder.encode(s);
}

function invalid(w: Writer, tag: number | undefined, detail: string): never {
  throw new TtlvError('INVALID_VALUE', detail, w.pos, tag);
}
