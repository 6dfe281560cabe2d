// (a) The spec's primitive TTLV examples (KMIP 1.4 §9.1.2), byte for byte, both
// ways. The expected values are written out here from the spec's prose: JSON
// numbers in the vector file cannot carry 64-bit and big integers exactly.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeTtlv, encodeTtlv, item, parseHex, struct, toHex, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { reference } from './support/reference.js';

interface Vector {
  description: string;
  ttlv_hex: string;
}

const vectors: Vector[] = JSON.parse(readFileSync(reference('kmip-testcases', 'oasis-spec-ttlv-examples', 'ttlv-primitive-examples.json'), 'utf8')).vectors;

/** Big-endian two's complement bytes of n, `len` bytes long. */
function bigBytes(n: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

const T = 0x420020;
const expected: Record<string, TtlvItem> = {
  'An Integer containing the decimal value 8': item(T, 'Integer', 8),
  'A Long Integer containing the decimal value 123456789000000000': item(T, 'LongInteger', 123456789000000000n),
  'A Big Integer containing the decimal value 1234567890000000000000000000': item(T, 'BigInteger', bigBytes(1234567890000000000000000000n, 16)),
  'An Enumeration with value 255': item(T, 'Enumeration', 255),
  'A Boolean with the value True': item(T, 'Boolean', true),
  'A Text String with the value "Hello World"': item(T, 'TextString', 'Hello World'),
  'A Byte String with the value { 0x01, 0x02, 0x03 }': item(T, 'ByteString', new Uint8Array([1, 2, 3])),
  // Friday, March 14, 2008, 11:56:40 GMT
  'A Date-Time, containing the value for Friday, March 14, 2008, 11:56:40 GMT': item(T, 'DateTime', BigInt(Date.UTC(2008, 2, 14, 11, 56, 40) / 1000)),
  'An Interval, containing the value for 10 days': item(T, 'Interval', 10 * 24 * 3600),
  'A Structure containing an Enumeration, value 254, followed by an Integer, value 255, having tags 420004 and 420005 respectively': struct(T, [
    item(0x420004, 'Enumeration', 254),
    item(0x420005, 'Integer', 255),
  ]),
};

test('every spec example has an expected value here', () => {
  assert.equal(vectors.length, 10);
  assert.deepEqual(vectors.map((v) => v.description).sort(), Object.keys(expected).sort());
});

for (const v of vectors) {
  test(`spec example: ${v.description}`, () => {
    const want = expected[v.description]!;
    const bytes = parseHex(v.ttlv_hex);
    assert.deepStrictEqual(decodeTtlv(bytes), want, 'decode');
    assert.equal(toHex(encodeTtlv(want)), v.ttlv_hex.toLowerCase(), 'encode');
  });
}

test('the issue\'s CLI example decodes: Integer 8 with tag 0x420020', () => {
  const bytes = parseHex('42 00 20 | 02 | 00 00 00 04 | 00 00 00 08 00 00 00 00');
  assert.deepStrictEqual(decodeTtlv(bytes), item(T, 'Integer', 8));
});
