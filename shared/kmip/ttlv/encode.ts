// TTLV encoder. One pass into a growing buffer; a structure's length is
// written once its children are in place. Values are range-checked so that
// a bad item is refused here instead of going out as wrong bytes.
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

  /** Make room for n more bytes. New bytes are zero, which is what padding needs. */
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

/** Encode one item (normally a Request or Response Message) to TTLV bytes. */
export function encodeTtlv(item: TtlvItem): Uint8Array {
  const w = new Writer(1024);
  writeItem(w, item);
  return w.buf.slice(0, w.pos);
}

function writeItem(w: Writer, it: TtlvItem): void {
  const { tag } = it;
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffff) invalid(w, tag, `tag ${String(tag)} is not a 24-bit value`);
  w.reserve(16);
  const head = w.pos;
  w.buf[head] = tag >>> 16;
  w.buf[head + 1] = (tag >>> 8) & 0xff;
  w.buf[head + 2] = tag & 0xff;
  w.buf[head + 3] = ItemType[it.type] ?? invalid(w, tag, `unknown item type ${String(it.type)}`);
  w.pos = head + 8;
  switch (it.type) {
    case 'Structure': {
      if (!Array.isArray(it.value)) invalid(w, tag, 'Structure value is not a list of items');
      for (const child of it.value) writeItem(w, child);
      w.view.setUint32(head + 4, w.pos - head - 8);
      return;
    }
    case 'Integer':
      if (!Number.isInteger(it.value) || it.value < -0x80000000 || it.value > 0x7fffffff) invalid(w, tag, 'Integer is not a signed 32-bit value');
      fixed(w, head, 4).setInt32(head + 8, it.value);
      return;
    case 'Enumeration':
    case 'Interval':
      if (!Number.isInteger(it.value) || it.value < 0 || it.value > 0xffffffff) invalid(w, tag, `${it.type} is not an unsigned 32-bit value`);
      fixed(w, head, 4).setUint32(head + 8, it.value);
      return;
    case 'LongInteger':
    case 'DateTime':
    case 'DateTimeExtended':
      if (typeof it.value !== 'bigint' || it.value < INT64_MIN || it.value > INT64_MAX) invalid(w, tag, `${it.type} is not a signed 64-bit bigint`);
      fixed(w, head, 8).setBigInt64(head + 8, it.value);
      return;
    case 'Boolean':
      if (typeof it.value !== 'boolean') invalid(w, tag, 'Boolean is not true or false');
      fixed(w, head, 8).setUint32(head + 12, it.value ? 1 : 0);
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
      variable(w, head, encodeText(w, tag, it.value));
      return;
  }
}

/** Write the length of a fixed-size value and make room for it (8 bytes, padded). */
function fixed(w: Writer, head: number, len: number): DataView {
  w.view.setUint32(head + 4, len);
  w.pos = head + 16;
  return w.view;
}

function variable(w: Writer, head: number, bytes: Uint8Array): void {
  const padded = bytes.length + ((8 - (bytes.length % 8)) % 8);
  w.reserve(8 + padded);
  w.view.setUint32(head + 4, bytes.length);
  w.buf.set(bytes, head + 8);
  // Nothing is ever written past pos, so the padding bytes are still zero.
  w.pos = head + 8 + padded;
}

function encodeText(w: Writer, tag: number, s: string): Uint8Array {
  // ASCII fast path: most KMIP text is identifiers and names.
  if (s.length <= 64) {
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) return encodeNonAscii(w, tag, s);
      out[i] = c;
    }
    return out;
  }
  return encodeNonAscii(w, tag, s);
}

// A lone surrogate has no UTF-8 form; TextEncoder would silently put U+FFFD
// in its place, and the peer would read a different string than we hold.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function encodeNonAscii(w: Writer, tag: number, s: string): Uint8Array {
  if (LONE_SURROGATE.test(s)) invalid(w, tag, 'Text String holds a lone UTF-16 surrogate');
  return encoder.encode(s);
}

function invalid(w: Writer, tag: number, detail: string): never {
  throw new TtlvError('INVALID_VALUE', detail, w.pos, tag);
}
