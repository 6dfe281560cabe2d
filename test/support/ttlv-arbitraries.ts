// fast-check arbitraries for TTLV items and messages, shared by the property
// tests of the binary codec and of the XML/JSON encodings.
import fc from 'fast-check';
import type { TtlvItem } from '../../shared/kmip/ttlv/index.js';

export const INT32_MIN = -(2 ** 31);
export const INT32_MAX = 2 ** 31 - 1;
export const UINT32_MAX = 2 ** 32 - 1;
export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;

// ---- arbitraries ----

// Plain objects, like the decoder's (fc.record makes null-prototype ones by default).
export const rec = <T,>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.record<T>(model, { noNullPrototype: true });

export const tagArb = fc.oneof(
  fc.integer({ min: 0x420000, max: 0x42ffff }),
  fc.integer({ min: 0x540000, max: 0x54ffff }),
  fc.constantFrom(0x420000, 0x42ffff, 0x540000, 0x54ffff, 0x420078, 0x42007b),
);

// `+ 0` turns a -0 into 0: the wire has no negative zero.
export const int32 = fc.oneof(fc.integer({ min: INT32_MIN, max: INT32_MAX }), fc.constantFrom(INT32_MIN, INT32_MAX, 0, -1, 1)).map((v) => v + 0);
export const uint32 = fc.oneof(fc.integer({ min: 0, max: UINT32_MAX }), fc.constantFrom(0, 1, INT32_MAX, 2 ** 31, UINT32_MAX));
export const int64 = fc.oneof(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), fc.constantFrom(INT64_MIN, INT64_MAX, 0n, -1n, 1n, 1n << 53n, -(1n << 53n) - 1n));

/** Two's-complement bytes, a positive multiple of 8 long, sometimes led by a whole word of sign extension. */
export const bigIntBytes = fc
  .tuple(fc.integer({ min: 1, max: 5 }), fc.constantFrom('none', 'zero', 'ones'))
  .chain(([words, ext]) =>
    fc.uint8Array({ minLength: words * 8, maxLength: words * 8 }).map((body) => {
      if (ext === 'none') return body;
      const out = new Uint8Array(body.length + 8);
      out.fill(ext === 'zero' ? 0x00 : 0xff, 0, 8);
      out.set(body, 8);
      return out;
    }),
  );

export const textArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }), // any code point, astral included
  fc.string({ unit: 'binary', minLength: 60, maxLength: 120 }), // past the decoder's short-ASCII fast path
  fc.string({ unit: 'binary-ascii', maxLength: 80 }), // U+0000–U+00FF: Latin-1 must not go out as one byte
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ maxLength: 70 }),
  fc.constantFrom('', '\u0000', '\uFEFF', '\uFEFFbom kept', '😀', '\u{10FFFF}', 'a\u{1F600}b\u00e9', 'x'.repeat(64), 'x'.repeat(65), '€'.repeat(30)),
);

export const bytesArb = fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 200, maxLength: 600 }));

export const primitive: fc.Arbitrary<TtlvItem> = fc.oneof(
  rec({ tag: tagArb, type: fc.constant('Integer' as const), value: int32 }),
  rec({ tag: tagArb, type: fc.constant('LongInteger' as const), value: int64 }),
  rec({ tag: tagArb, type: fc.constant('BigInteger' as const), value: bigIntBytes }),
  rec({ tag: tagArb, type: fc.constant('Enumeration' as const), value: uint32 }),
  rec({ tag: tagArb, type: fc.constant('Boolean' as const), value: fc.boolean() }),
  rec({ tag: tagArb, type: fc.constant('TextString' as const), value: textArb }),
  rec({ tag: tagArb, type: fc.constant('ByteString' as const), value: bytesArb }),
  rec({ tag: tagArb, type: fc.constant('DateTime' as const), value: int64 }),
  rec({ tag: tagArb, type: fc.constant('Interval' as const), value: uint32 }),
  rec({ tag: tagArb, type: fc.constant('DateTimeExtended' as const), value: int64 }),
);

export const { tree } = fc.letrec<{ tree: TtlvItem; structure: TtlvItem }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, primitive, tie('structure')),
  structure: rec({
    tag: tagArb,
    type: fc.constant('Structure' as const),
    value: fc.array(tie('tree'), { maxLength: 6 }),
  }),
}));

/** A whole message: usually a structure, as on the wire, sometimes a bare item. */
export const message: fc.Arbitrary<TtlvItem> = fc.oneof(
  { weight: 4, arbitrary: rec({ tag: tagArb, type: fc.constant('Structure' as const), value: fc.array(tree, { maxLength: 8 }) }) },
  { weight: 1, arbitrary: tree },
);

export function depthOf(it: TtlvItem): number {
  return it.type === 'Structure' ? 1 + Math.max(0, ...it.value.map(depthOf)) : 0;
}
