// Unit behaviour of the TTLV codec that the spec examples do not reach:
// encoder range checks, hex parsing, the pretty-printer and the framer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  TtlvError,
  TtlvFramer,
  decodeTtlv,
  encodeTtlv,
  item,
  parseHex,
  prettyTtlv,
  struct,
  toHex,
  type TtlvItem,
} from '../shared/kmip/ttlv/index.js';

const message = struct(0x420078, [
  struct(0x420077, [struct(0x420069, [item(0x42006a, 'Integer', 1), item(0x42006b, 'Integer', 4)]), item(0x42000d, 'Integer', 1)]),
  struct(0x42000f, [item(0x42005c, 'Enumeration', 0x18), item(0x420094, 'TextString', 'é✓𝄞'), item(0x540001, 'ByteString', new Uint8Array([0xde, 0xad]))]),
]);

function throwsTtlv(fn: () => unknown, code: string, extra: Partial<Pick<TtlvError, 'offset' | 'tag'>> = {}): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TtlvError, `expected TtlvError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (extra.offset !== undefined) assert.equal(e.offset, extra.offset);
    if (extra.tag !== undefined) assert.equal(e.tag, extra.tag);
    return true;
  });
}

test('a nested message with non-ASCII text and an extension tag round-trips', () => {
  const bytes = encodeTtlv(message);
  assert.equal(bytes.length % 8, 0);
  assert.deepStrictEqual(decodeTtlv(bytes), message);
});

test('the encoder refuses values their type cannot carry', () => {
  const bad: [TtlvItem, string][] = [
    [item(0x420020, 'Integer', 2 ** 31), 'Integer is not a signed 32-bit value'],
    [item(0x420020, 'Integer', 1.5), 'Integer is not a signed 32-bit value'],
    [item(0x420020, 'Enumeration', -1), 'Enumeration is not an unsigned 32-bit value'],
    [item(0x420020, 'Interval', 2 ** 32), 'Interval is not an unsigned 32-bit value'],
    [item(0x420020, 'LongInteger', 1n << 63n), 'LongInteger is not a signed 64-bit bigint'],
    [item(0x420020, 'BigInteger', new Uint8Array(7)), 'Big Integer bytes are not a positive multiple of 8 long'],
    [item(0x420020, 'BigInteger', new Uint8Array(0)), 'Big Integer bytes are not a positive multiple of 8 long'],
    [item(0x420020, 'TextString', 'a\uD800b'.repeat(30)), 'Text String holds a lone UTF-16 surrogate'],
    [item(0x1000000, 'Integer', 1), 'tag 16777216 is not a 24-bit value'],
  ];
  for (const [it, detail] of bad) {
    assert.throws(() => encodeTtlv(it), (e: unknown) => e instanceof TtlvError && e.code === 'INVALID_VALUE' && e.detail === detail, detail);
  }
});

test('decode errors name the offset and the tag', () => {
  // Integer with a 5-byte length: the length field is at offset 4.
  throwsTtlv(() => decodeTtlv(parseHex('42 00 20 | 02 | 00000005 | 00000008 00000000')), 'BAD_LENGTH', { offset: 4, tag: 0x420020 });
  // Non-zero padding in the second half of an Integer.
  throwsTtlv(() => decodeTtlv(parseHex('42 00 20 | 02 | 00000004 | 00000008 00000100')), 'BAD_PADDING', { offset: 14, tag: 0x420020 });
  // A structure whose child claims more bytes than the structure holds.
  throwsTtlv(
    () => decodeTtlv(parseHex('42 00 20 | 01 | 00000010 | 42 00 04 | 08 | 00000010 | 00000000 00000000  42 00 05 | 02 | 00000004 | 00000001 00000000')),
    'STRUCTURE_OVERRUN',
    { offset: 8, tag: 0x420004 },
  );
  throwsTtlv(() => decodeTtlv(parseHex('42 00 20 | 06 | 00000008 | 00000000 00000002')), 'BAD_BOOLEAN', { offset: 8 });
  throwsTtlv(() => decodeTtlv(parseHex('42 00 20 | 07 | 00000002 | C3 28 000000000000')), 'BAD_UTF8', { offset: 8 });
  throwsTtlv(() => decodeTtlv(parseHex('42 00 20 | 0C | 00000004 | 00000001 00000000')), 'BAD_TYPE', { offset: 3 });
  throwsTtlv(() => decodeTtlv(parseHex('43 00 20 | 02 | 00000004 | 00000001 00000000')), 'BAD_TAG', { offset: 0, tag: 0x430020 });
  throwsTtlv(() => decodeTtlv(parseHex('42 00 20 | 02 | 00000004 | 00000001 00000000 00')), 'TRAILING_BYTES', { offset: 16 });
  throwsTtlv(() => decodeTtlv(parseHex('42 00 20 | 02 | 00000004 | 00000001')), 'TRUNCATED', { offset: 0 });
});

test('limits are enforced', () => {
  const bytes = encodeTtlv(message);
  throwsTtlv(() => decodeTtlv(bytes, { maxMessageSize: bytes.length - 1 }), 'TOO_LARGE');
  throwsTtlv(() => decodeTtlv(bytes, { maxDepth: 2 }), 'TOO_DEEP', { tag: 0x420069 });
  throwsTtlv(() => decodeTtlv(bytes, { maxItems: 5 }), 'TOO_MANY_ITEMS');
  assert.deepStrictEqual(decodeTtlv(bytes, { maxMessageSize: bytes.length, maxDepth: 3, maxItems: 10 }), message);
});

test('parseHex accepts separators and comments, and rejects the rest', () => {
  assert.equal(toHex(parseHex('42 00 | 6A\n\t0a # a comment | ff\n0B')), '42006a0a0b');
  throwsTtlv(() => parseHex('42 0g'), 'BAD_HEX', { offset: 4 });
  throwsTtlv(() => parseHex('42 0'), 'BAD_HEX', { offset: 3 });
  assert.equal(toHex(new Uint8Array([1, 0xab]), ' '), '01 ab');
});

test('prettyTtlv prints one item per line in the spec\'s notation and reads back', () => {
  const bytes = encodeTtlv(message);
  const text = prettyTtlv(bytes, { tagName: (t) => (t === 0x42006a ? 'ProtocolVersionMajor' : undefined) });
  const lines = text.split('\n');
  assert.equal(lines.length, 10);
  assert.equal(lines[0], '42 00 78 | 01 | 00 00 00 80');
  assert.equal(lines[3], '      42 00 6A | 02 | 00 00 00 04 | 00 00 00 01 00 00 00 00  # ProtocolVersionMajor');
  assert.deepStrictEqual(parseHex(text), bytes);
});

test('the framer cuts messages whatever the chunk boundaries', () => {
  const a = encodeTtlv(message);
  const b = encodeTtlv(item(0x420020, 'Integer', 8));
  const stream = new Uint8Array([...a, ...b, ...a]);
  for (const size of [1, 3, 7, 8, 9, 64, stream.length]) {
    const f = new TtlvFramer();
    const got: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i += size) got.push(...f.push(stream.subarray(i, i + size)));
    f.end();
    assert.deepStrictEqual(got.map((m) => toHex(m)), [a, b, a].map((m) => toHex(m)), `chunk size ${size}`);
    assert.equal(f.offset, stream.length);
  }
});

test('the framer refuses an oversized message from its header and reports truncation at end', () => {
  const f = new TtlvFramer({ maxMessageSize: 1024 });
  throwsTtlv(() => f.push(parseHex('42 00 78 | 01 | 7FFFFFF8')), 'TOO_LARGE', { offset: 0, tag: 0x420078 });
  const g = new TtlvFramer();
  g.push(encodeTtlv(message).subarray(0, 20));
  throwsTtlv(() => g.end(), 'TRUNCATED', { offset: 0, tag: 0x420078 });
});

test('decoded bytes never share memory with the input, even a Node Buffer', () => {
  const secret = new Uint8Array([0x11, 0x22, 0x33, 0x44, 0x55]);
  const wire = Buffer.from(encodeTtlv(struct(0x420078, [item(0x420043, 'ByteString', secret), item(0x420020, 'BigInteger', new Uint8Array(8).fill(7))])));
  const framed = new TtlvFramer().push(wire);
  assert.equal(framed.length, 1);
  assert.equal(framed[0]!.constructor, Uint8Array, 'framer output is a plain Uint8Array');
  const decoded = decodeTtlv(wire);
  assert.equal(decoded.type, 'Structure');
  const [bytes, big] = (decoded as { value: TtlvItem[] }).value;
  assert.equal(bytes!.value!.constructor, Uint8Array, 'Byte String is a plain Uint8Array');
  assert.equal(big!.value!.constructor, Uint8Array, 'Big Integer is a plain Uint8Array');
  wire.fill(0);
  assert.deepStrictEqual(bytes!.value, secret, 'wiping the input leaves the value intact');
  assert.deepStrictEqual(big!.value, new Uint8Array(8).fill(7));
  assert.notEqual(framed[0]!.every((b) => b === 0), true, 'wiping the input leaves the framed message intact');
});

test('a limit that is not a positive whole number is refused, never silently off', () => {
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 0, -1, 1.5, 2 ** 60]) {
    for (const key of ['maxMessageSize', 'maxDepth', 'maxItems'] as const) {
      assert.throws(() => decodeTtlv(new Uint8Array(16), { [key]: bad }), RangeError, `${key}=${bad} (decode)`);
      assert.throws(() => new TtlvFramer({ [key]: bad }), RangeError, `${key}=${bad} (framer)`);
    }
  }
});
