// Property-based round trips for the binary TTLV codec (fast-check).
//
// Deterministic: a fixed seed (override with TTLV_PROP_SEED=n to explore) and
// a bounded number of runs per property. A failure prints the seed and the
// shrunk counterexample path, so it can be replayed exactly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeTtlv,
  encodeTtlv,
  parseHex,
  prettyTtlv,
  tagHex,
  toHex,
  TtlvFramer,
  type TtlvItem,
} from '../shared/kmip/ttlv/index.js';
import { INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, UINT32_MAX, depthOf, message, rec } from './support/ttlv-arbitraries.js';

const SEED = Number(process.env.TTLV_PROP_SEED ?? 0x4b4d4950); // "KMIP"
const RUNS = 1000;
const params = (numRuns = RUNS): fc.Parameters<unknown> => ({ seed: SEED, numRuns });

// ---- properties ----

test(`TTLV property tests use seed ${SEED} (TTLV_PROP_SEED), ${RUNS} runs each`, (t) => {
  t.diagnostic(`fast-check seed ${SEED}`);
  console.log(`ttlv-property: fast-check seed ${SEED}, ${RUNS} runs per property`);
});

test('P1 decode(encode(tree)) equals the tree, for all 11 types, nested', () => {
  let deepest = 0;
  fc.assert(
    fc.property(message, (m) => {
      deepest = Math.max(deepest, depthOf(m));
      const bytes = encodeTtlv(m);
      assert.equal(bytes.length % 8, 0);
      assert.deepStrictEqual(decodeTtlv(bytes, { maxDepth: 1000 }), m);
    }),
    params(),
  );
  assert.ok(deepest >= 3, `generator should nest structures (deepest ${deepest})`);
});

test('P2 encode(decode(bytes)) gives back the same bytes', () => {
  fc.assert(
    fc.property(message, (m) => {
      const bytes = encodeTtlv(m);
      const again = encodeTtlv(decodeTtlv(bytes, { maxDepth: 1000 }));
      assert.equal(toHex(again), toHex(bytes));
    }),
    params(),
  );
});

test('P3 extreme values survive the round trip exactly', () => {
  const extremes: TtlvItem[] = [
    { tag: 0x420001, type: 'Integer', value: INT32_MIN },
    { tag: 0x420001, type: 'Integer', value: INT32_MAX },
    { tag: 0x420002, type: 'Enumeration', value: UINT32_MAX },
    { tag: 0x420003, type: 'Interval', value: UINT32_MAX },
    { tag: 0x420004, type: 'LongInteger', value: INT64_MIN },
    { tag: 0x420004, type: 'LongInteger', value: INT64_MAX },
    { tag: 0x420005, type: 'DateTime', value: INT64_MIN },
    { tag: 0x420006, type: 'DateTimeExtended', value: INT64_MAX },
    // Sign extension kept: -1 padded with a whole word of 0xFF, +1 with zeros.
    { tag: 0x420007, type: 'BigInteger', value: new Uint8Array(16).fill(0xff) },
    { tag: 0x420007, type: 'BigInteger', value: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]) },
    { tag: 0x54ffff, type: 'TextString', value: '' },
    { tag: 0x540000, type: 'ByteString', value: new Uint8Array(0) },
    { tag: 0x420008, type: 'TextString', value: '\u{1F600}\u{10FFFF}\uFEFF' },
    { tag: 0x420009, type: 'Structure', value: [] },
  ];
  for (const it of extremes) {
    const bytes = encodeTtlv(it);
    assert.deepStrictEqual(decodeTtlv(bytes), it, tagHex(it.tag));
    assert.deepStrictEqual(encodeTtlv(decodeTtlv(bytes)), bytes);
  }
});

test('P4 parseHex(toHex(b)) gives back b, with and without separators', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('', ' ', '|', '\n', ' | '), (b, sep) => {
      assert.deepStrictEqual(parseHex(toHex(b, sep)), b);
      assert.deepStrictEqual(parseHex(toHex(b, sep).toUpperCase()), b);
    }),
    params(2000),
  );
});

/** Chunk plans: sizes to cut the stream with (0 = an empty chunk), or a mode for the rest. */
const chunkPlan = rec({
  sizes: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 200 })), { maxLength: 60 }),
  rest: fc.constantFrom('one', 'bytes', 'sevens'),
});

function feed(framer: TtlvFramer, stream: Uint8Array, plan: { sizes: number[]; rest: string }): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const n of plan.sizes) {
    const end = Math.min(stream.length, at + n);
    out.push(...framer.push(stream.subarray(at, end)));
    at = end;
  }
  const step = plan.rest === 'one' ? Math.max(1, stream.length - at) : plan.rest === 'bytes' ? 1 : 7;
  while (at < stream.length) {
    out.push(...framer.push(stream.subarray(at, at + step)));
    out.push(...framer.push(new Uint8Array(0)));
    at += step;
  }
  return out;
}

test('P5 framer: N concatenated messages in any chunking come out as exactly those N', () => {
  fc.assert(
    fc.property(fc.array(message, { minLength: 1, maxLength: 5 }), chunkPlan, (msgs, plan) => {
      const encoded = msgs.map((m) => encodeTtlv(m));
      const stream = new Uint8Array(encoded.reduce((n, e) => n + e.length, 0));
      let at = 0;
      for (const e of encoded) {
        stream.set(e, at);
        at += e.length;
      }
      const framer = new TtlvFramer();
      const got = feed(framer, stream, plan);
      assert.equal(got.length, encoded.length);
      for (let i = 0; i < got.length; i++) assert.equal(toHex(got[i]!), toHex(encoded[i]!), `message ${i}`);
      assert.equal(framer.pending, 0);
      assert.equal(framer.offset, stream.length);
      framer.end(); // nothing left over: must not throw
      for (let i = 0; i < got.length; i++) assert.deepStrictEqual(decodeTtlv(got[i]!, { maxDepth: 1000 }), msgs[i]);
    }),
    params(),
  );
});

test('P6 prettyTtlv output read back with parseHex gives the same bytes', () => {
  const names = (tag: number) => (tag % 3 === 0 ? undefined : `Tag${tag.toString(16)} # with a hash`);
  fc.assert(
    fc.property(message, fc.boolean(), (m, named) => {
      const bytes = encodeTtlv(m);
      const text = prettyTtlv(bytes, { limits: { maxDepth: 1000 }, ...(named ? { tagName: names } : {}) });
      assert.deepStrictEqual(parseHex(text), bytes);
      // One line per item.
      const count = (it: TtlvItem): number => (it.type === 'Structure' ? 1 + it.value.reduce((n, c) => n + count(c), 0) : 1);
      assert.equal(text.split('\n').length, count(m));
    }),
    params(),
  );
});

test('P7 a message nested 1,000 deep round-trips through decode, encode and pretty', () => {
  let it: TtlvItem = { tag: 0x540001, type: 'TextString', value: 'bottom' };
  for (let i = 0; i < 1000; i++) it = { tag: 0x420000 + (i % 0x100), type: 'Structure', value: [it] };
  const bytes = encodeTtlv(it);
  const back = decodeTtlv(bytes, { maxDepth: 1000 });
  assert.deepStrictEqual(encodeTtlv(back), bytes);
  assert.deepStrictEqual(parseHex(prettyTtlv(bytes, { limits: { maxDepth: 1000 } })), bytes);
});
