// Hostile input for the binary TTLV codec: every way a peer can lie, and a
// mutation fuzz over real OASIS messages. The contract under test: for any
// bytes, decodeTtlv and TtlvFramer either succeed (and the result re-encodes
// to exactly the input) or throw a TtlvError whose code, offset and tag say
// what is wrong and where. Nothing else is ever thrown, the stack never
// overflows, and a declared length never makes the codec allocate.
//
// The fuzz is deterministic: TTLV_FUZZ_SEED=n and TTLV_FUZZ_COUNT=n change it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  concatBytes,
  decodeTtlv,
  encodeTtlv,
  parseHex,
  prettyTtlv,
  struct,
  toHex,
  TtlvError,
  TtlvFramer,
  type TtlvErrorCode,
  type TtlvItem,
  type TtlvLimits,
} from '../shared/kmip/ttlv/index.js';
import { reference } from './support/reference.js';

// ---------------------------------------------------------------- helpers

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap plus array buffers after a full collection, in bytes. */
function liveMemory(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const MB = 1024 * 1024;

const DECODE_CODES: ReadonlySet<TtlvErrorCode> = new Set([
  'TRUNCATED',
  'BAD_LENGTH',
  'BAD_TYPE',
  'BAD_TAG',
  'BAD_PADDING',
  'BAD_BOOLEAN',
  'BAD_UTF8',
  'STRUCTURE_OVERRUN',
  'TRAILING_BYTES',
  'TOO_LARGE',
  'TOO_DEEP',
  'TOO_MANY_ITEMS',
]);
/** What the framer may throw: it reads headers only. */
const FRAMER_CODES: ReadonlySet<TtlvErrorCode> = new Set(['BAD_TAG', 'BAD_TYPE', 'TOO_LARGE', 'TRUNCATED']);

/** Runs fn, which must throw a TtlvError with exactly this code, offset and tag (null: no tag). */
function expectError(fn: () => unknown, code: TtlvErrorCode, offset: number, tag: number | null, what = ''): TtlvError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  const label = what ? `${what}: ` : '';
  assert.ok(caught !== undefined, `${label}expected ${code}, but nothing was thrown`);
  assert.ok(caught instanceof TtlvError, `${label}expected a TtlvError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `${label}code (${caught.message})`);
  assert.equal(caught.offset, offset, `${label}offset (${caught.message})`);
  assert.equal(caught.tag, tag === null ? undefined : tag, `${label}tag (${caught.message})`);
  return caught;
}

function cat(...parts: (Uint8Array | number[])[]): Uint8Array {
  return concatBytes(parts);
}

/** An 8-byte item header. */
function hdr(tag: number, type: number, len: number): Uint8Array {
  const h = new Uint8Array(8);
  h[0] = tag >>> 16;
  h[1] = (tag >>> 8) & 0xff;
  h[2] = tag & 0xff;
  h[3] = type;
  new DataView(h.buffer).setUint32(4, len >>> 0);
  return h;
}

function u32(b: Uint8Array, at: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at);
}

function setU32(b: Uint8Array, at: number, v: number): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(at, v >>> 0);
}

interface Header {
  pos: number;
  depth: number; // 0 = outermost
  tag: number;
  type: number;
  len: number;
  /** Offset after the whole item, padding included. */
  end: number;
}

/** Every item header of a valid message, in document order. */
function headers(b: Uint8Array): Header[] {
  const out: Header[] = [];
  const ends: number[] = [];
  let pos = 0;
  while (pos < b.length) {
    while (ends.length > 0 && pos >= ends[ends.length - 1]!) ends.pop();
    const tag = (b[pos]! << 16) | (b[pos + 1]! << 8) | b[pos + 2]!;
    const type = b[pos + 3]!;
    const len = u32(b, pos + 4);
    const size = type === 1 ? len : len + ((8 - (len % 8)) % 8);
    out.push({ pos, depth: ends.length, tag, type, len, end: pos + 8 + size });
    if (type === 1) {
      ends.push(pos + 8 + len);
      pos += 8;
    } else {
      pos += 8 + size;
    }
  }
  return out;
}

// ---------------------------------------------------------------- corpus

interface Vector {
  name: string;
  bytes: Uint8Array;
}

/** The OASIS MSGENC messages (real TTLV, as printed in the spec), one copy of each. */
function msgencVectors(): Vector[] {
  const root = reference('kmip-testcases', 'oasis-v1.0-profile-docs-extracted', 'kmip-addtl-msg-enc-v1.0-os');
  const seen = new Map<string, Vector>();
  for (const dir of readdirSync(root).sort()) {
    if (!dir.startsWith('MSGENC-')) continue;
    let files: string[];
    try {
      files = readdirSync(join(root, dir)).filter((f) => f.endsWith('.ttlv.hex')).sort();
    } catch {
      continue; // the .xml beside each folder
    }
    for (const f of files) {
      const bytes = parseHex(readFileSync(join(root, dir, f), 'utf8'));
      const key = toHex(bytes);
      if (!seen.has(key)) seen.set(key, { name: `${dir}/${f.replace('.ttlv.hex', '')}`, bytes });
    }
  }
  return [...seen.values()];
}

const int = (tag: number, value: number): TtlvItem => ({ tag, type: 'Integer', value });
const enm = (tag: number, value: number): TtlvItem => ({ tag, type: 'Enumeration', value });
const text = (tag: number, value: string): TtlvItem => ({ tag, type: 'TextString', value });

/** A Get response with every item type, nested attributes and `attrs` attributes (sizes it). */
function constructedMessage(attrs: number): TtlvItem {
  const attributes: TtlvItem[] = [];
  for (let i = 0; i < attrs; i++) {
    const kind = i % 9;
    const value: TtlvItem =
      kind === 0 ? text(0x42000b, `value ${i} — ünïcödé 🔑`)
      : kind === 1 ? int(0x42000b, -i)
      : kind === 2 ? { tag: 0x42000b, type: 'LongInteger', value: -(1n << 62n) + BigInt(i) }
      : kind === 3 ? { tag: 0x42000b, type: 'BigInteger', value: Uint8Array.from({ length: 16 }, (_, j) => (j < 8 ? 0xff : (i * j) & 0xff)) }
      : kind === 4 ? enm(0x42000b, i)
      : kind === 5 ? { tag: 0x42000b, type: 'Boolean', value: i % 2 === 0 }
      : kind === 6 ? { tag: 0x42000b, type: 'ByteString', value: Uint8Array.from({ length: i % 23 }, (_, j) => j * 7) }
      : kind === 7 ? { tag: 0x42000b, type: 'DateTime', value: 1_400_000_000n + BigInt(i) }
      : struct(0x42000b, [text(0x420055, `name-${i}`), enm(0x420054, 1), { tag: 0x42000b, type: 'Interval', value: 0xffffffff - i }, { tag: 0x54000b, type: 'DateTimeExtended', value: BigInt(i) * 1_000_000n }]);
    attributes.push(struct(0x420008, [text(0x42000a, `x-attribute-${i}`), value]));
  }
  return struct(0x42007b, [
    struct(0x42007a, [struct(0x420069, [int(0x42006a, 1), int(0x42006b, 4)]), { tag: 0x420092, type: 'DateTime', value: 1_700_000_000n }, int(0x42000d, 1)]),
    struct(0x42000f, [
      enm(0x42005c, 0x0a),
      enm(0x42007f, 0),
      struct(0x42007c, [
        enm(0x420057, 0x02),
        text(0x420094, '1f165d65-cbd0-4b66-8b5b-42a2b6b2a2e1'),
        struct(0x42008f, [
          struct(0x420040, [
            enm(0x420042, 0x01),
            struct(0x420045, [{ tag: 0x420043, type: 'ByteString', value: Uint8Array.from({ length: 32 }, (_, j) => j) }, ...attributes]),
            enm(0x420028, 0x03),
            int(0x42002a, 256),
          ]),
        ]),
      ]),
    ]),
  ]);
}

const VECTORS = msgencVectors();
const LARGE: Vector = { name: 'constructed Get response, 1,200 attributes', bytes: encodeTtlv(constructedMessage(1200)) };
const MEDIUM: Vector = { name: 'constructed Get response, 40 attributes', bytes: encodeTtlv(constructedMessage(40)) };
/** MSGENC-XML-M-1-12 message 03: a Query request (KMIP 1.2). */
const QUERY = VECTORS.find((v) => v.name === 'MSGENC-HTTPS-M-1-12/03-request') ?? VECTORS[0]!;

function headerOf(v: Vector, tag: number, nth = 0): Header {
  const h = headers(v.bytes).filter((x) => x.tag === tag)[nth];
  assert.ok(h, `tag 0x${tag.toString(16)} in ${v.name}`);
  return h;
}

// ---------------------------------------------------------------- cases

test('H00 the corpus: 12 distinct OASIS MSGENC messages and two constructed ones decode and re-encode exactly', () => {
  assert.equal(VECTORS.length, 12, VECTORS.map((v) => v.name).join(', '));
  for (const v of [...VECTORS, LARGE, MEDIUM]) {
    assert.equal(toHex(encodeTtlv(decodeTtlv(v.bytes))), toHex(v.bytes), v.name);
  }
  assert.ok(LARGE.bytes.length > 64 * 1024, `large message is ${LARGE.bytes.length} bytes`);
  console.log(`corpus: ${VECTORS.map((v) => `${v.name} (${v.bytes.length} B)`).join(', ')}; ${LARGE.name} (${LARGE.bytes.length} B); ${MEDIUM.name} (${MEDIUM.bytes.length} B)`);
});

test('H01 truncation at every offset of every real message: TRUNCATED at offset 0 with the top tag, in decodeTtlv and the framer', () => {
  let cuts = 0;
  for (const v of [...VECTORS, LARGE]) {
    const top = (v.bytes[0]! << 16) | (v.bytes[1]! << 8) | v.bytes[2]!;
    for (let k = 0; k < v.bytes.length; k++) {
      const prefix = v.bytes.subarray(0, k);
      expectError(() => decodeTtlv(prefix), 'TRUNCATED', 0, k >= 3 ? top : null, `${v.name} cut at ${k}`);
      const f = new TtlvFramer();
      assert.deepStrictEqual(f.push(prefix), []);
      if (k === 0) f.end();
      // The framer reports truncation at the start of the unfinished message, with its tag once 3 bytes are in.
      else expectError(() => f.end(), 'TRUNCATED', 0, k >= 3 ? top : null, `${v.name} framer cut at ${k}`);
      cuts++;
    }
  }
  console.log(`H01: ${cuts} truncations`);
});

test('H02 truncation inside the message (outer length rewritten to the cut): STRUCTURE_OVERRUN at the cut item, or a shorter valid message', () => {
  let overruns = 0;
  let valid = 0;
  for (const v of [...VECTORS, MEDIUM]) {
    const children = headers(v.bytes).filter((h) => h.depth === 1);
    for (let k = 8; k < v.bytes.length; k++) {
      const cut = v.bytes.slice(0, k);
      setU32(cut, 4, k - 8);
      const hit = children.find((h) => h.pos < k && h.end > k);
      if (!hit) {
        // The cut falls between two children of the outermost structure.
        assert.equal(toHex(encodeTtlv(decodeTtlv(cut))), toHex(cut), `${v.name} cut at ${k}`);
        valid++;
        continue;
      }
      expectError(() => decodeTtlv(cut), 'STRUCTURE_OVERRUN', hit.pos, k - hit.pos >= 3 ? hit.tag : null, `${v.name} cut at ${k}`);
      overruns++;
    }
  }
  console.log(`H02: ${overruns} overruns, ${valid} shorter valid messages`);
});

test('H03 lying structure lengths: larger or smaller than the content, not a multiple of 8', () => {
  const q = QUERY;
  const header = headerOf(q, 0x420077); // Request Header
  const batchItem = headerOf(q, 0x42000f);
  const batchCount = headerOf(q, 0x42000d);
  const rewrite = (h: Header, len: number) => {
    const b = q.bytes.slice();
    setU32(b, h.pos + 4, len);
    return b;
  };
  // Request Header 8 bytes too long: it swallows the Batch Item's header as a child,
  // whose own length then runs past the Request Header.
  expectError(() => decodeTtlv(rewrite(header, header.len + 8)), 'STRUCTURE_OVERRUN', batchItem.pos, 0x42000f, 'header +8');
  // 8 too short, or 4: its last child (Batch Count) no longer fits.
  expectError(() => decodeTtlv(rewrite(header, header.len - 8)), 'STRUCTURE_OVERRUN', batchCount.pos, 0x42000d, 'header -8');
  expectError(() => decodeTtlv(rewrite(header, header.len - 4)), 'STRUCTURE_OVERRUN', batchCount.pos, 0x42000d, 'header -4');
  expectError(() => decodeTtlv(rewrite(header, header.len + 3)), 'STRUCTURE_OVERRUN', batchItem.pos, 0x42000f, 'header +3');
  // The message's own length: larger than the input is truncation...
  const top = headers(q.bytes)[0]!;
  expectError(() => decodeTtlv(rewrite(top, top.len + 8)), 'TRUNCATED', 0, 0x420078, 'message +8');
  expectError(() => decodeTtlv(rewrite(top, 0xffffffff)), 'TRUNCATED', 0, 0x420078, 'message 0xFFFFFFFF');
  // ...smaller cuts the last child off...
  expectError(() => decodeTtlv(rewrite(top, top.len - 8)), 'STRUCTURE_OVERRUN', batchItem.pos, 0x42000f, 'message -8');
  // ...or, at a child boundary, leaves bytes after the message.
  expectError(() => decodeTtlv(rewrite(top, header.end - 8)), 'TRAILING_BYTES', header.end, null, 'message = header only');
  expectError(() => decodeTtlv(rewrite(top, 0)), 'TRAILING_BYTES', 8, null, 'message length 0');
  // The last item of the message lies about its length; its structure ends exactly
  // where the input does. The structure's length held, so this is an overrun, not truncation.
  expectError(() => decodeTtlv(rewrite(batchItem, batchItem.len + 8)), 'STRUCTURE_OVERRUN', batchItem.pos, 0x42000f, 'last child +8');
  expectError(() => decodeTtlv(rewrite(batchItem, 0xffffffff)), 'STRUCTURE_OVERRUN', batchItem.pos, 0x42000f, 'last child 0xFFFFFFFF');
  const lastText = cat(hdr(0x420078, 1, 16), hdr(0x420094, 7, 4), [0x61, 0x62, 0x63, 0x64, 0, 0, 0, 0]);
  setU32(lastText, 12, 9);
  expectError(() => decodeTtlv(lastText), 'STRUCTURE_OVERRUN', 8, 0x420094, 'last text +5');
  // An empty structure is fine; a structure of length 8 holding half an item is not.
  assert.deepStrictEqual(decodeTtlv(hdr(0x420078, 1, 0)), struct(0x420078, []));
  expectError(() => decodeTtlv(cat(hdr(0x420078, 1, 8), hdr(0x420001, 2, 4))), 'STRUCTURE_OVERRUN', 8, 0x420001, 'half an Integer');
  expectError(() => decodeTtlv(cat(hdr(0x420078, 1, 4), [0x42, 0, 1, 2])), 'STRUCTURE_OVERRUN', 8, 0x420001, 'half a header');
  expectError(() => decodeTtlv(cat(hdr(0x420078, 1, 2), [0x42, 0, 0, 0, 0, 0, 0, 0])), 'STRUCTURE_OVERRUN', 8, null, 'two bytes of a header');
});

test('H04 primitive lengths wrong for their type: BAD_LENGTH at the length field', () => {
  const cases: [string, number, number[]][] = [
    ['Integer', 0x02, [0, 1, 3, 5, 8, 16, 0xffffffff]],
    ['LongInteger', 0x03, [0, 4, 7, 9, 16, 0xffffffff]],
    ['BigInteger', 0x04, [0, 1, 4, 7, 9, 12, 0xfffffffc, 0xffffffff]],
    ['Enumeration', 0x05, [0, 2, 8, 0x80000004]],
    ['Boolean', 0x06, [0, 1, 4, 16]],
    ['DateTime', 0x09, [0, 4, 12]],
    ['Interval', 0x0a, [0, 8]],
    ['DateTimeExtended', 0x0b, [0, 4, 7]],
  ];
  for (const [name, type, lens] of cases) {
    for (const len of lens) {
      // Alone, with enough bytes after it for any padded length that fits.
      expectError(() => decodeTtlv(cat(hdr(0x420020, type, len), new Uint8Array(24))), 'BAD_LENGTH', 4, 0x420020, `${name} length ${len}`);
      // Inside a structure, after another item.
      const inner = cat(hdr(0x420001, 2, 4), new Uint8Array(8), hdr(0x540020, type, len), new Uint8Array(24));
      expectError(() => decodeTtlv(cat(hdr(0x420078, 1, inner.length), inner)), 'BAD_LENGTH', 28, 0x540020, `${name} length ${len} inside`);
    }
  }
  // In a real message: Protocol Version Major (an Integer) claiming 8 bytes.
  const major = headerOf(QUERY, 0x42006a);
  const b = QUERY.bytes.slice();
  setU32(b, major.pos + 4, 8);
  expectError(() => decodeTtlv(b), 'BAD_LENGTH', major.pos + 4, 0x42006a, 'ProtocolVersionMajor length 8');
  // Text and Byte Strings take any length, including 0.
  assert.deepStrictEqual(decodeTtlv(hdr(0x420020, 0x07, 0)), text(0x420020, ''));
  assert.deepStrictEqual(decodeTtlv(hdr(0x420020, 0x08, 0)), { tag: 0x420020, type: 'ByteString', value: new Uint8Array(0) });
});

test('H05 0xFFFFFFFF and other huge lengths on every type', () => {
  const body = new Uint8Array(8);
  const expected: [number, TtlvErrorCode, number][] = [
    [0x01, 'TRUNCATED', 0],
    [0x02, 'BAD_LENGTH', 4],
    [0x03, 'BAD_LENGTH', 4],
    [0x04, 'BAD_LENGTH', 4],
    [0x05, 'BAD_LENGTH', 4],
    [0x06, 'BAD_LENGTH', 4],
    [0x07, 'TRUNCATED', 0],
    [0x08, 'TRUNCATED', 0],
    [0x09, 'BAD_LENGTH', 4],
    [0x0a, 'BAD_LENGTH', 4],
    [0x0b, 'BAD_LENGTH', 4],
  ];
  for (const [type, code, offset] of expected) {
    expectError(() => decodeTtlv(cat(hdr(0x420020, type, 0xffffffff), body)), code, offset, 0x420020, `type ${type} top`);
    // Inside a structure, running out of the structure is an overrun.
    const inner = cat(hdr(0x420020, type, 0xffffffff), body);
    const innerCode = code === 'TRUNCATED' ? 'STRUCTURE_OVERRUN' : code;
    expectError(() => decodeTtlv(cat(hdr(0x420078, 1, 16), inner)), innerCode, 8 + offset, 0x420020, `type ${type} inside`);
  }
  // Multiples of 8 near 4 GiB pass the type check and fail on the input length.
  expectError(() => decodeTtlv(cat(hdr(0x420020, 0x04, 0xfffffff8), body)), 'TRUNCATED', 0, 0x420020, 'BigInteger 0xFFFFFFF8');
  expectError(() => decodeTtlv(cat(hdr(0x420020, 0x08, 0xfffffff9), body)), 'TRUNCATED', 0, 0x420020, 'ByteString 0xFFFFFFF9');
  expectError(() => decodeTtlv(cat(hdr(0x420020, 0x07, 0x80000000), body)), 'TRUNCATED', 0, 0x420020, 'TextString 2 GiB');
});

test('H06 non-zero padding: BAD_PADDING at the first non-zero padding byte', () => {
  for (const [type, len] of [
    [0x02, 4],
    [0x05, 4],
    [0x0a, 4],
  ] as const) {
    for (let i = 4; i < 8; i++) {
      for (const v of [0x01, 0x80, 0xff]) {
        const b = cat(hdr(0x420020, type, len), new Uint8Array(8));
        b[8 + i] = v;
        expectError(() => decodeTtlv(b), 'BAD_PADDING', 8 + i, 0x420020, `type ${type} pad byte ${i} = ${v}`);
      }
    }
  }
  for (let len = 0; len < 16; len++) {
    const padded = len + ((8 - (len % 8)) % 8);
    for (let i = len; i < padded; i++) {
      for (const type of [0x07, 0x08]) {
        const b = cat(hdr(0x540001, type, len), new Uint8Array(padded).fill(0x61, 0, len));
        b[8 + i] = 0x20;
        expectError(() => decodeTtlv(b), 'BAD_PADDING', 8 + i, 0x540001, `type ${type} length ${len} pad byte ${i}`);
      }
    }
  }
  // Two bad padding bytes: the first is reported.
  const two = cat(hdr(0x420020, 0x07, 1), [0x61, 0, 0, 9, 0, 0, 9, 0]);
  expectError(() => decodeTtlv(two), 'BAD_PADDING', 11, 0x420020);
  // In a real message: the padding of Protocol Version Minor.
  const minor = headerOf(QUERY, 0x42006b);
  const b = QUERY.bytes.slice();
  b[minor.pos + 15] = 1;
  expectError(() => decodeTtlv(b), 'BAD_PADDING', minor.pos + 15, 0x42006b, 'ProtocolVersionMinor');
});

test('H07 wrong type bytes (0x00, 0x0C, 0xFF and more): BAD_TYPE at the type byte', () => {
  const operation = headerOf(QUERY, 0x42005c);
  const header = headerOf(QUERY, 0x420077);
  for (const t of [0x00, 0x0c, 0x0d, 0x10, 0x20, 0x41, 0x7f, 0x80, 0xfe, 0xff]) {
    expectError(() => decodeTtlv(cat(hdr(0x420020, t, 4), new Uint8Array(8))), 'BAD_TYPE', 3, 0x420020, `type 0x${t.toString(16)}`);
    expectError(() => decodeTtlv(cat(hdr(0x420020, t, 0xffffffff), new Uint8Array(8))), 'BAD_TYPE', 3, 0x420020, `type 0x${t.toString(16)}, huge length`);
    for (const h of [operation, header]) {
      const b = QUERY.bytes.slice();
      b[h.pos + 3] = t;
      expectError(() => decodeTtlv(b), 'BAD_TYPE', h.pos + 3, h.tag, `type 0x${t.toString(16)} at 0x${h.tag.toString(16)}`);
    }
    const f = new TtlvFramer();
    expectError(() => f.push(hdr(0x420078, t, 16)), 'BAD_TYPE', 3, 0x420078, `framer type 0x${t.toString(16)}`);
  }
});

test('H08 Booleans other than 0 and 1: BAD_BOOLEAN at the value', () => {
  const bool = (hi: number, lo: number) => {
    const b = cat(hdr(0x420020, 0x06, 8), new Uint8Array(8));
    setU32(b, 8, hi);
    setU32(b, 12, lo);
    return b;
  };
  assert.deepStrictEqual(decodeTtlv(bool(0, 0)), { tag: 0x420020, type: 'Boolean', value: false });
  assert.deepStrictEqual(decodeTtlv(bool(0, 1)), { tag: 0x420020, type: 'Boolean', value: true });
  for (const [hi, lo] of [
    [0, 2],
    [0, 0x100],
    [0, 0xffffffff],
    [1, 0],
    [1, 1],
    [0x80000000, 1],
    [0xffffffff, 0xffffffff],
  ] as const) {
    expectError(() => decodeTtlv(bool(hi, lo)), 'BAD_BOOLEAN', 8, 0x420020, `${hi.toString(16)}:${lo.toString(16)}`);
  }
});

test('H09 invalid UTF-8 (overlong, lone continuation, surrogates, past U+10FFFF): BAD_UTF8 at the value', () => {
  const bad: [string, number[]][] = [
    ['overlong /', [0xc0, 0xaf]],
    ['overlong NUL', [0xc0, 0x80]],
    ['overlong 3-byte /', [0xe0, 0x80, 0xaf]],
    ['overlong 4-byte', [0xf0, 0x80, 0x80, 0xaf]],
    ['C1 lead', [0xc1, 0xbf]],
    ['lone continuation', [0x80]],
    ['continuation run', [0x80, 0xbf, 0x80]],
    ['high surrogate U+D800', [0xed, 0xa0, 0x80]],
    ['low surrogate U+DFFF', [0xed, 0xbf, 0xbf]],
    ['surrogate pair as CESU-8', [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]],
    ['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['F5 lead', [0xf5, 0x80, 0x80, 0x80]],
    ['FF byte', [0xff]],
    ['FE byte', [0xfe]],
    ['cut 2-byte', [0xc3]],
    ['cut 3-byte', [0xe2, 0x82]],
    ['cut 4-byte', [0xf0, 0x9f, 0x98]],
    ['lead then ASCII', [0xc3, 0x28]],
  ];
  const textItem = (tag: number, value: number[]) => {
    const padded = value.length + ((8 - (value.length % 8)) % 8);
    const body = new Uint8Array(padded);
    body.set(value);
    return cat(hdr(tag, 0x07, value.length), body);
  };
  for (const [name, seq] of bad) {
    for (const [before, after] of [
      [[], []],
      [[0x61, 0x62], [0x63]],
      [Array(70).fill(0x41), Array(3).fill(0x42)], // past the short-ASCII fast path
      [[0xc3, 0xa9], [0xe2, 0x9c, 0x93]], // among valid non-ASCII
    ] as number[][][]) {
      const value = [...before!, ...seq, ...after!];
      expectError(() => decodeTtlv(textItem(0x420020, value)), 'BAD_UTF8', 8, 0x420020, `${name} (${value.length} bytes)`);
      const inner = textItem(0x540055, value);
      expectError(() => decodeTtlv(cat(hdr(0x420078, 1, inner.length + 16), hdr(0x420001, 6, 8), new Uint8Array(8), inner)), 'BAD_UTF8', 32, 0x540055, `${name} inside`);
    }
  }
  // Valid edge cases decode and re-encode byte for byte: a BOM is kept, U+10FFFF and NUL are text.
  for (const seq of [[0xef, 0xbb, 0xbf, 0x61], [0xf4, 0x8f, 0xbf, 0xbf], [0x00], [0xed, 0x9f, 0xbf], [0xee, 0x80, 0x80]]) {
    const b = textItem(0x420020, seq);
    assert.equal(toHex(encodeTtlv(decodeTtlv(b))), toHex(b), toHex(Uint8Array.from(seq)));
  }
});

test('H10 tags outside 0x42xxxx and 0x54xxxx: BAD_TAG at the tag, in decodeTtlv and the framer', () => {
  for (const tag of [0x000000, 0x430000, 0x41ffff, 0x530000, 0x550000, 0x7f0000, 0xffffff, 0x010078]) {
    expectError(() => decodeTtlv(cat(hdr(tag, 0x02, 4), new Uint8Array(8))), 'BAD_TAG', 0, tag, `0x${tag.toString(16)}`);
    const inner = cat(hdr(0x420001, 0x02, 4), new Uint8Array(8), hdr(tag, 0x01, 0));
    expectError(() => decodeTtlv(cat(hdr(0x420078, 1, inner.length), inner)), 'BAD_TAG', 24, tag, `0x${tag.toString(16)} inside`);
    const f = new TtlvFramer();
    expectError(() => f.push(hdr(tag, 0x01, 0)), 'BAD_TAG', 0, tag, `framer 0x${tag.toString(16)}`);
  }
  // Both ranges, edges included, are accepted.
  for (const tag of [0x420000, 0x42ffff, 0x540000, 0x54ffff]) {
    assert.deepStrictEqual(decodeTtlv(hdr(tag, 0x01, 0)), struct(tag, []));
  }
  // A bad tag in a real message: Batch Count.
  const count = headerOf(QUERY, 0x42000d);
  const b = QUERY.bytes.slice();
  b[count.pos] = 0x43;
  expectError(() => decodeTtlv(b), 'BAD_TAG', count.pos, 0x43000d, 'BatchCount as 0x43000D');
});

test('H11 trailing bytes after the message: TRAILING_BYTES where the message ends', () => {
  for (const v of VECTORS) {
    const n = v.bytes.length;
    expectError(() => decodeTtlv(cat(v.bytes, [0])), 'TRAILING_BYTES', n, null, `${v.name} + 1 byte`);
    expectError(() => decodeTtlv(cat(v.bytes, new Uint8Array(8))), 'TRAILING_BYTES', n, null, `${v.name} + 8 zero bytes`);
    expectError(() => decodeTtlv(cat(v.bytes, v.bytes)), 'TRAILING_BYTES', n, null, `${v.name} twice`);
  }
});

/** `n` structures each holding the next; the innermost is empty. */
function nested(n: number, tag = 0x420001): Uint8Array {
  const b = new Uint8Array(8 * n);
  for (let i = 0; i < n; i++) b.set(hdr(tag, 0x01, 8 * (n - i - 1)), 8 * i);
  return b;
}

test('H12 depth bomb: 10,000 nested structures fail TOO_DEEP fast at the 33rd, with the default limit', () => {
  const bomb = nested(10_000);
  const t0 = performance.now();
  expectError(() => decodeTtlv(bomb), 'TOO_DEEP', 8 * 32, 0x420001);
  const ms = performance.now() - t0;
  assert.ok(ms < 50, `TOO_DEEP took ${ms.toFixed(1)} ms`);
  expectError(() => prettyTtlv(bomb), 'TOO_DEEP', 8 * 32, 0x420001);
  // Lying lengths all the way down: the first one that does not fit is reported.
  const liar = nested(10_000);
  setU32(liar, 8 * 20 + 4, 0xfffffff0);
  expectError(() => decodeTtlv(liar), 'STRUCTURE_OVERRUN', 8 * 20, 0x420001);
  // A framer passes the bomb on whole (it is one message); decoding it is what fails.
  const f = new TtlvFramer();
  const msgs = f.push(bomb);
  assert.equal(msgs.length, 1);
  expectError(() => decodeTtlv(msgs[0]!), 'TOO_DEEP', 8 * 32, 0x420001);
});

test('H13 depth bomb with maxDepth raised to 10,000 and 100,000: no stack overflow, exact limit', () => {
  // The decoder walks with an explicit stack, so depth is bounded only by the limit.
  const deep = nested(10_000);
  const limits: Partial<TtlvLimits> = { maxDepth: 10_000 };
  const tree = decodeTtlv(deep, limits);
  let d = 0;
  for (let it: TtlvItem | undefined = tree; it?.type === 'Structure'; it = it.value[0]) d++;
  assert.equal(d, 10_000);
  assert.equal(toHex(encodeTtlv(tree)), toHex(deep)); // the encoder is iterative too
  // prettyTtlv walks iteratively as well (its indentation makes output quadratic in depth, so 3,000 here).
  assert.deepStrictEqual(parseHex(prettyTtlv(nested(3_000), { limits })), nested(3_000));
  expectError(() => decodeTtlv(nested(10_001), limits), 'TOO_DEEP', 8 * 10_000, 0x420001);
  // 100,000 deep (800 KB), limit raised to match: still no RangeError.
  const deeper = nested(100_000);
  const t0 = performance.now();
  const tree2 = decodeTtlv(deeper, { maxDepth: 100_000, maxItems: 100_000 });
  assert.equal(encodeTtlv(tree2).length, deeper.length);
  expectError(() => decodeTtlv(deeper, { maxDepth: 99_999 }), 'TOO_DEEP', 8 * 99_999, 0x420001);
  console.log(`H13: 100,000-deep decode + encode in ${(performance.now() - t0).toFixed(0)} ms`);
});

test('H14 item-count bombs: TOO_MANY_ITEMS at the first item over the limit', () => {
  // 100,000 empty structures in one: 100,001 items, one over the default limit.
  const n = 100_000;
  const wide = new Uint8Array(8 + 8 * n);
  wide.set(hdr(0x420078, 0x01, 8 * n));
  for (let i = 1; i <= n; i++) wide.set(hdr(0x420001, 0x01, 0), 8 * i);
  const t0 = performance.now();
  expectError(() => decodeTtlv(wide), 'TOO_MANY_ITEMS', 8 * n, 0x420001);
  const ms = performance.now() - t0;
  assert.ok(ms < 1000, `TOO_MANY_ITEMS took ${ms.toFixed(0)} ms`);
  assert.equal((decodeTtlv(wide, { maxItems: n + 1 }) as { value: unknown[] }).value.length, n);
  // Small limit on a real message: the 11th item in document order.
  const resp = VECTORS.reduce((a, b) => (b.bytes.length > a.bytes.length ? b : a));
  const h = headers(resp.bytes)[10]!;
  expectError(() => decodeTtlv(resp.bytes, { maxItems: 10 }), 'TOO_MANY_ITEMS', h.pos, h.tag, resp.name);
  // Integers instead of structures: same rule.
  const ints = new Uint8Array(8 + 16 * 11);
  ints.set(hdr(0x420078, 0x01, 16 * 11));
  for (let i = 0; i < 11; i++) ints.set(hdr(0x540002, 0x02, 4), 8 + 16 * i);
  expectError(() => decodeTtlv(ints, { maxItems: 11 }), 'TOO_MANY_ITEMS', 8 + 16 * 10, 0x540002);
});

test('H15 a 4 GiB declared length in a 16-byte input allocates nothing', () => {
  const before = liveMemory();
  const inputs = [
    cat(hdr(0x420078, 0x01, 0xffffffff), new Uint8Array(8)),
    cat(hdr(0x420043, 0x08, 0xfffffff8), new Uint8Array(8)),
    cat(hdr(0x420043, 0x07, 0xffffffff), new Uint8Array(8)),
    cat(hdr(0x420043, 0x04, 0xfffffff8), new Uint8Array(8)),
  ];
  for (let i = 0; i < 10_000; i++) {
    for (const b of inputs) {
      try {
        decodeTtlv(b);
        assert.fail('decoded a 4 GiB item from 16 bytes');
      } catch (e) {
        assert.ok(e instanceof TtlvError && e.code === 'TRUNCATED' && e.offset === 0, String(e));
      }
    }
  }
  // The framer, with its limit raised past 4 GiB, buffers only what it is given.
  const f = new TtlvFramer({ maxMessageSize: 8 * 1024 * MB });
  assert.deepStrictEqual(f.push(inputs[0]!), []);
  assert.equal(f.pending, 16);
  const grown = liveMemory() - before;
  assert.ok(grown < 4 * MB, `memory grew by ${(grown / MB).toFixed(2)} MB`);
  expectError(() => f.end(), 'TRUNCATED', 0, 0x420078);
  console.log(`H15: live memory grew by ${(grown / 1024).toFixed(0)} KiB over 40,000 decodes of 4 GiB headers`);
});

test('H16 the framer refuses a header declaring more than maxMessageSize before buffering the body', () => {
  const limit = 1024;
  // A header alone is enough to refuse: no body byte is ever pushed.
  const f = new TtlvFramer({ maxMessageSize: limit });
  expectError(() => f.push(hdr(0x420078, 0x01, limit - 8 + 8)), 'TOO_LARGE', 0, 0x420078, 'one word over');
  const g = new TtlvFramer({ maxMessageSize: limit });
  assert.equal(g.push(cat(hdr(0x420078, 0x01, limit - 8), new Uint8Array(limit - 8))).length, 1, 'exactly the limit passes');
  // Header split over chunks; refused as soon as its 8th byte arrives.
  const h = new TtlvFramer({ maxMessageSize: limit });
  const big = hdr(0x420078, 0x01, 0xfffffff8);
  for (let i = 0; i < 7; i++) assert.deepStrictEqual(h.push(big.subarray(i, i + 1)), []);
  expectError(() => h.push(big.subarray(7, 8)), 'TOO_LARGE', 0, 0x420078, 'split header');
  // After a good message, the offset is the stream offset of the bad header.
  const good = QUERY.bytes;
  const k = new TtlvFramer({ maxMessageSize: limit });
  assert.equal(k.push(good).length, 1);
  expectError(() => k.push(hdr(0x42007b, 0x01, 4 * MB)), 'TOO_LARGE', good.length, 0x42007b, 'second message');
  // Default limit (4 MiB): a header declaring 4 GiB is refused.
  expectError(() => new TtlvFramer().push(hdr(0x420078, 0x01, 0xffffffff)), 'TOO_LARGE', 0, 0x420078, 'default limit');
  // decodeTtlv refuses input over the limit before reading it.
  expectError(() => decodeTtlv(good, { maxMessageSize: good.length - 1 }), 'TOO_LARGE', 0, null, 'decodeTtlv');
});

test('H17 framer.end() with a partial message: TRUNCATED at the stream offset where that message starts', () => {
  const a = QUERY.bytes;
  for (const cut of [1, 3, 7, 8, 9, 100, a.length - 1]) {
    const f = new TtlvFramer();
    assert.equal(f.push(a).length, 1);
    assert.deepStrictEqual(f.push(a.subarray(0, cut)), []);
    assert.equal(f.pending, cut);
    expectError(() => f.end(), 'TRUNCATED', a.length, cut >= 3 ? 0x420078 : null, `cut ${cut}`);
  }
  const done = new TtlvFramer();
  done.push(a);
  done.end(); // whole messages only: nothing to complain about
});

test('H18 framer errors carry stream offsets after earlier messages', () => {
  const a = QUERY.bytes;
  const f = new TtlvFramer();
  const stream = cat(a, a, hdr(0x000078, 0x01, 0));
  let got = 0;
  expectError(
    () => {
      for (let i = 0; i < stream.length; i += 5) got += f.push(stream.subarray(i, i + 5)).length;
    },
    'BAD_TAG',
    2 * a.length,
    0x000078,
  );
  assert.equal(got, 2);
  const g = new TtlvFramer();
  expectError(() => g.push(cat(a, hdr(0x420078, 0xee, 0))), 'BAD_TYPE', a.length + 3, 0x420078);
});

test('H19 the encoder refuses what it cannot encode with INVALID_VALUE, never anything else', () => {
  const bad: unknown[] = [
    { tag: 0x000000, type: 'Integer', value: 1 },
    { tag: 0x430000, type: 'Integer', value: 1 },
    { tag: -1, type: 'Integer', value: 1 },
    { tag: 0x420000 + 0.5, type: 'Integer', value: 1 },
    { tag: '0x420001', type: 'Integer', value: 1 },
    { tag: 0x420001, type: 'Nope', value: 1 },
    { tag: 0x420001, type: 'constructor', value: 1 },
    { tag: 0x420001, type: 'toString', value: 1 },
    { tag: 0x420001, type: 'Structure', value: null },
    { tag: 0x420001, type: 'Structure', value: [null] },
    { tag: 0x420001, type: 'Structure', value: [{ tag: 0x420002, type: 'Boolean', value: 1 }] },
    { tag: 0x420001, type: 'Integer', value: -0x80000001 },
    { tag: 0x420001, type: 'Integer', value: NaN },
    { tag: 0x420001, type: 'Enumeration', value: 2 ** 32 },
    { tag: 0x420001, type: 'Interval', value: -1 },
    { tag: 0x420001, type: 'LongInteger', value: 1 },
    { tag: 0x420001, type: 'DateTime', value: 1n << 63n },
    { tag: 0x420001, type: 'DateTimeExtended', value: -(1n << 63n) - 1n },
    { tag: 0x420001, type: 'BigInteger', value: new Uint8Array(9) },
    { tag: 0x420001, type: 'ByteString', value: [1, 2] },
    { tag: 0x420001, type: 'TextString', value: 5 },
    { tag: 0x420001, type: 'TextString', value: 'lone \uD800 high' },
    { tag: 0x420001, type: 'TextString', value: 'lone \uDC00 low' },
    { tag: 0x420001, type: 'TextString', value: 'x'.repeat(300) + '\uDBFF' },
  ];
  for (const it of bad) {
    let caught: unknown;
    try {
      encodeTtlv(it as TtlvItem);
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof TtlvError && caught.code === 'INVALID_VALUE', `${JSON.stringify(it, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}: ${String(caught)}`);
  }
  // A structure that contains itself (directly or further down) is refused, not encoded forever.
  const loop: TtlvItem = { tag: 0x420001, type: 'Structure', value: [] };
  loop.value.push({ tag: 0x420002, type: 'Structure', value: [{ tag: 0x420003, type: 'Integer', value: 1 }, loop] });
  expectError(() => encodeTtlv(loop), 'INVALID_VALUE', 40, 0x420001, 'cycle');
  // The same subtree twice side by side is no cycle.
  const shared: TtlvItem = struct(0x420004, [int(0x420005, 7)]);
  const twice = encodeTtlv(struct(0x420001, [shared, shared]));
  assert.deepStrictEqual(decodeTtlv(twice), struct(0x420001, [shared, shared]));
  // A failed encode leaves the encoder usable (it reuses a buffer).
  assert.equal(toHex(encodeTtlv(decodeTtlv(QUERY.bytes))), toHex(QUERY.bytes));
});

test('H21 limits passed as undefined keep their defaults instead of switching the limit off', () => {
  const unset: Partial<TtlvLimits> = { maxDepth: undefined, maxItems: undefined, maxMessageSize: undefined };
  expectError(() => decodeTtlv(nested(10_000), unset), 'TOO_DEEP', 8 * 32, 0x420001);
  const f = new TtlvFramer(unset);
  expectError(() => f.push(hdr(0x420078, 0x01, 0xfffffff0)), 'TOO_LARGE', 0, 0x420078);
  expectError(() => prettyTtlv(nested(100), { limits: unset }), 'TOO_DEEP', 8 * 32, 0x420001);
});

test('H22 a maximum-size message trickled one byte per chunk: linear time, bounded memory', () => {
  // One byte per TLS record is cheap for a peer to send. The framer used to queue
  // one view per byte and drop them with Array.shift(): quadratic (64 KiB took ~3 s,
  // 4 MiB would take hours).
  const trickle = (n: number) => {
    const msg = cat(hdr(0x420078, 0x01, n - 8), new Uint8Array(n - 8));
    // Filled with valid items so that the message also decodes: 16-byte Integers.
    for (let at = 8; at < n; at += 16) msg.set(cat(hdr(0x420001, 0x02, 4), [0, 0, 0, at & 0x7f, 0, 0, 0, 0]), at);
    const before = liveMemory();
    let peak = 0;
    const f = new TtlvFramer({ maxItems: n });
    const t0 = performance.now();
    let got: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const out = f.push(msg.subarray(i, i + 1));
      if (out.length > 0) got = out;
      if ((i & 0x3ffff) === 0) {
        const m = process.memoryUsage();
        peak = Math.max(peak, m.heapUsed + m.arrayBuffers);
      }
    }
    const ms = performance.now() - t0;
    f.end();
    assert.equal(got.length, 1);
    assert.ok(sameBytes(got[0]!, msg));
    assert.equal((decodeTtlv(got[0]!, { maxItems: n }) as { value: unknown[] }).value.length, (n - 8) / 16);
    return { ms, peakGrowth: peak - before };
  };
  // 256 KiB first: the quadratic framer took ~50 s here, so a regression fails instead of hanging.
  const small = trickle(256 * 1024 + 8);
  assert.ok(small.ms < 2_000, `256 KiB took ${small.ms.toFixed(0)} ms`);
  // The default maxMessageSize is 4 MiB, header included; 8 less makes whole 16-byte items.
  const big = trickle(4 * MB - 8);
  console.log(`H22: 4 MiB in 1-byte chunks framed in ${big.ms.toFixed(0)} ms, peak memory growth ${(big.peakGrowth / MB).toFixed(1)} MB`);
  assert.ok(big.ms < 10_000, `4 MiB took ${big.ms.toFixed(0)} ms`);
  assert.ok(big.peakGrowth < 64 * MB, `peak memory grew by ${(big.peakGrowth / MB).toFixed(1)} MB for a 4 MiB message`);
  // Trickled messages back to back, with small and large chunks mixed: same bytes out.
  const stream = cat(QUERY.bytes, MEDIUM.bytes, QUERY.bytes, LARGE.bytes);
  const g = new TtlvFramer();
  const out: Uint8Array[] = [];
  const rnd = prng(7);
  for (let at = 0; at < stream.length; ) {
    const size = rnd() % 3 === 0 ? 1 + (rnd() % 3000) : 1 + (rnd() % 5);
    out.push(...g.push(stream.subarray(at, at + size)));
    at += size;
  }
  g.end();
  assert.deepStrictEqual(out.map((m) => toHex(m)), [QUERY, MEDIUM, QUERY, LARGE].map((v) => toHex(v.bytes)));
});

// ---------------------------------------------------------------- mutation fuzz

/** sfc32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

const FUZZ_SEED = Number(process.env.TTLV_FUZZ_SEED ?? 20261128);
const FUZZ_COUNT = Number(process.env.TTLV_FUZZ_COUNT ?? 120_000);
const FUZZ_WALL_MS = 60_000;

const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x04, 0x07, 0x08, 0x0b, 0x0c, 0x10, 0x3f, 0x40, 0x42, 0x54, 0x7f, 0x80, 0xbf, 0xc0, 0xed, 0xf4, 0xfe, 0xff];

function mutate(src: Uint8Array, corpus: Vector[], heads: Map<Uint8Array, Header[]>, rnd: () => number): [Uint8Array, string] {
  const r = (n: number) => rnd() % n;
  let b: Uint8Array = src.slice();
  const known = heads.get(src)!;
  let kind = r(10);
  if (known.length === 0 && kind >= 4 && kind <= 7) kind = r(4); // no headers left to aim at
  const pick = () => r(Math.max(1, b.length));
  switch (kind) {
    case 0: {
      // bit flips
      for (let i = 1 + r(4); i > 0; i--) {
        const at = pick();
        if (at < b.length) b[at]! ^= 1 << r(8);
      }
      return [b, 'bitflip'];
    }
    case 1: {
      // set bytes to interesting or random values
      for (let i = 1 + r(3); i > 0; i--) {
        const at = pick();
        if (at < b.length) b[at] = r(2) ? INTERESTING_BYTES[r(INTERESTING_BYTES.length)]! : r(256);
      }
      return [b, 'byteset'];
    }
    case 2: {
      // insert a run (random, zero, or a copy of the message's own bytes)
      const at = r(b.length + 1);
      const n = 1 + r(r(2) ? 8 : 40);
      const run = new Uint8Array(n);
      const mode = r(3);
      for (let i = 0; i < n; i++) run[i] = mode === 0 ? r(256) : mode === 1 ? 0 : b[(at + i) % Math.max(1, b.length)] ?? 0;
      return [cat(b.subarray(0, at), run, b.subarray(at)), 'insert'];
    }
    case 3: {
      // delete a run
      const at = r(b.length + 1);
      const n = 1 + r(r(2) ? 8 : 64);
      return [cat(b.subarray(0, at), b.subarray(Math.min(b.length, at + n))), 'delete'];
    }
    case 4:
    case 5: {
      // rewrite the length field of a real item header
      const hs = heads.get(src)!;
      const h = hs[r(hs.length)]!;
      const choices = [0, 1, 4, 7, 8, 9, 16, h.len - 1, h.len + 1, h.len - 8, h.len + 8, h.len * 2, 0x7fffffff, 0x80000000, 0xfffffff8, 0xffffffff, r(0x100), rnd()];
      setU32(b, h.pos + 4, choices[r(choices.length)]!);
      return [b, 'length'];
    }
    case 6: {
      // rewrite a type byte or a tag byte of a real item header
      const hs = heads.get(src)!;
      const h = hs[r(hs.length)]!;
      if (r(2)) b[h.pos + 3] = r(3) ? r(0x0e) : r(256);
      else b[h.pos + r(3)] = r(2) ? INTERESTING_BYTES[r(INTERESTING_BYTES.length)]! : r(256);
      return [b, 'header'];
    }
    case 7: {
      // splice: a prefix of this message and a suffix of another, often at item boundaries
      const other = corpus[r(corpus.length)]!.bytes;
      const hsA = heads.get(src)!;
      const hsB = heads.get(other)!;
      const a = r(2) ? hsA[r(hsA.length)]!.pos : r(b.length + 1);
      const c = r(2) ? hsB[r(hsB.length)]!.pos : r(other.length + 1);
      b = cat(b.subarray(0, a), other.subarray(c));
      return [b, 'splice'];
    }
    case 8: {
      // truncation, sometimes with the outer length rewritten to match
      b = b.slice(0, r(b.length + 1));
      if (b.length >= 8 && r(2)) setU32(b, 4, b.length - 8);
      return [b, 'truncate'];
    }
    default: {
      // stacked: two or three of the above
      let out: Uint8Array = b;
      heads.set(out, heads.get(src)!);
      const n = 2 + r(2);
      for (let i = 0; i < n; i++) {
        const m = mutate(out, corpus, heads, rnd)[0];
        if (!heads.has(m)) heads.set(m, heads.get(src)!.filter((h) => h.pos + 8 <= m.length));
        out = m;
      }
      return [out, 'stacked'];
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function checkError(e: unknown, codes: ReadonlySet<TtlvErrorCode>, inputLength: number, where: string, input: Uint8Array): TtlvErrorCode {
  // Messages are built only on failure: this runs a quarter of a million times.
  if (!(e instanceof TtlvError)) {
    assert.fail(`${where}: threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} for input ${toHex(input)}`);
  }
  if (!codes.has(e.code)) assert.fail(`${where}: code ${e.code} not allowed (${e.message}) for ${toHex(input)}`);
  if (!(Number.isInteger(e.offset) && e.offset >= 0 && e.offset <= inputLength)) {
    assert.fail(`${where}: offset ${e.offset} outside 0..${inputLength} (${e.message}) for ${toHex(input)}`);
  }
  if (!(e.tag === undefined || (Number.isInteger(e.tag) && e.tag >= 0 && e.tag <= 0xffffff))) assert.fail(`${where}: tag ${String(e.tag)}`);
  return e.code;
}

test(`H20 mutation fuzz: ${FUZZ_COUNT.toLocaleString('en')} mutations of real messages through decodeTtlv and the framer (seed ${FUZZ_SEED})`, (t) => {
  const corpus: Vector[] = [...VECTORS, MEDIUM];
  const heads = new Map<Uint8Array, Header[]>(corpus.map((v) => [v.bytes, headers(v.bytes)]));
  const rnd = prng(FUZZ_SEED);
  const decodeStats = new Map<string, number>();
  const framerStats = new Map<string, number>();
  const kinds = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  // Mostly the default limits; one time in eight a tight one, so the limit errors are exercised too.
  const tight: Partial<TtlvLimits>[] = [{ maxDepth: 2 }, { maxDepth: 3, maxItems: 30 }, { maxItems: 12 }, { maxMessageSize: 600 }];

  const memBefore = liveMemory();
  let peak = 0;
  const t0 = performance.now();
  let n = 0;
  for (; n < FUZZ_COUNT; n++) {
    if ((n & 1023) === 0) {
      const elapsed = performance.now() - t0;
      assert.ok(elapsed < FUZZ_WALL_MS, `fuzz exceeded ${FUZZ_WALL_MS / 1000} s after ${n} mutations`);
      const m = process.memoryUsage();
      peak = Math.max(peak, m.heapUsed + m.arrayBuffers);
    }
    const src = corpus[rnd() % corpus.length]!.bytes;
    const [input, kind] = mutate(src, corpus, heads, rnd);
    heads.delete(input); // drop headers added for stacked intermediates
    for (const k of heads.keys()) if (!corpus.some((v) => v.bytes === k)) heads.delete(k);
    bump(kinds, kind);

    // decodeTtlv: default limits, and every 8th time tight ones.
    const limits = n % 8 === 7 ? tight[(n >>> 3) % tight.length] : undefined;
    let decoded: TtlvItem | undefined;
    try {
      decoded = decodeTtlv(input, limits);
    } catch (e) {
      bump(decodeStats, checkError(e, DECODE_CODES, input.length, `decode #${n} (${kind})`, input));
    }
    if (decoded !== undefined) {
      bump(decodeStats, 'OK');
      const again = encodeTtlv(decoded);
      if (!sameBytes(again, input)) assert.fail(`decode #${n} (${kind}): re-encoding differs from the input ${toHex(input)}`);
    }

    // The framer, in random chunks; every message it cuts is then decoded.
    const framer = new TtlvFramer(limits);
    let at = 0;
    let framed = 0;
    try {
      while (at < input.length) {
        const size = rnd() % 4 === 0 ? 0 : 1 + (rnd() % (rnd() % 2 ? 4 : 200));
        const chunk = input.subarray(at, Math.min(input.length, at + size));
        at += chunk.length;
        for (const msg of framer.push(chunk)) {
          framed += msg.length;
          try {
            const item = decodeTtlv(msg, limits);
            if (!sameBytes(encodeTtlv(item), msg)) assert.fail(`framer #${n}: re-encoding differs from the framed message`);
            bump(framerStats, 'message OK');
          } catch (e) {
            if (e instanceof assert.AssertionError) throw e;
            bump(framerStats, `message ${checkError(e, DECODE_CODES, msg.length, `framer #${n} message decode`, msg)}`);
          }
        }
      }
      assert.equal(framed + framer.pending, input.length, `framer #${n}: bytes lost`);
      framer.end();
      bump(framerStats, 'stream OK');
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e;
      bump(framerStats, `stream ${checkError(e, FRAMER_CODES, input.length, `framer #${n} (${kind})`, input)}`);
    }
  }
  const ms = performance.now() - t0;
  const grown = liveMemory() - memBefore;
  const peakGrowth = peak - memBefore;
  const fmt = (m: Map<string, number>) => [...m.entries()].sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  const report = [
    `H20 fuzz: seed ${FUZZ_SEED}, ${n.toLocaleString('en')} mutations in ${(ms / 1000).toFixed(2)} s (${Math.round(n / (ms / 1000)).toLocaleString('en')}/s)`,
    `  mutations: ${fmt(kinds)}`,
    `  decodeTtlv: ${fmt(decodeStats)}`,
    `  framer: ${fmt(framerStats)}`,
    `  memory: retained growth ${(grown / MB).toFixed(2)} MB, peak growth ${(peakGrowth / MB).toFixed(1)} MB`,
  ];
  for (const line of report) {
    console.log(line);
    t.diagnostic(line);
  }
  assert.ok(n >= 100_000 || FUZZ_COUNT < 100_000, `only ${n} mutations`);
  assert.ok((decodeStats.get('OK') ?? 0) > 0, 'some mutations should still decode');
  for (const code of DECODE_CODES) assert.ok(decodeStats.has(code), `fuzz never produced ${code}: ${fmt(decodeStats)}`);
  assert.ok(decodeStats.size >= 10, `error codes seen: ${fmt(decodeStats)}`);
  assert.ok(grown < 8 * MB, `retained memory grew by ${(grown / MB).toFixed(2)} MB`);
  assert.ok(peakGrowth < 128 * MB, `peak memory grew by ${(peakGrowth / MB).toFixed(1)} MB`);
});
