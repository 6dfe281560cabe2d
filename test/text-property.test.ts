// Property round trips of the XML and JSON encodings: any TTLV tree printed as
// KMIP XML or JSON and read back encodes to exactly the same bytes. This is
// the guarantee `keyhold ttlv decode | keyhold ttlv encode` relies on, for
// unknown tags, unnamed enumeration values, odd mask bits and extreme values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseKmipJson, toKmipJson, toKmipJsonLine } from '../shared/kmip/json/index.js';
import { KmipTextError } from '../shared/kmip/text/index.js';
import { encodeTtlv, toHex, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { parseKmipXml, toKmipXml } from '../shared/kmip/xml/index.js';
import { message } from './support/ttlv-arbitraries.js';

const SEED = Number(process.env.TTLV_PROP_SEED ?? 0x4b4d4950);
const RUNS = 1000;

/** XML 1.0 Char (§2.2): a Text String holding anything else cannot be written as XML. */
const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function xmlWritable(it: TtlvItem): boolean {
  if (it.type === 'Structure') return it.value.every(xmlWritable);
  return it.type !== 'TextString' || !NOT_XML_CHAR.test(it.value);
}

test(`X1 XML: print then read gives the same TTLV bytes (seed ${SEED}, ${RUNS} runs)`, () => {
  let written = 0;
  let refused = 0;
  fc.assert(
    fc.property(message, (m) => {
      const bytes = toHex(encodeTtlv(m));
      if (!xmlWritable(m)) {
        // Refused with a typed error that says why, never printed wrongly.
        assert.throws(() => toKmipXml(m), (e: unknown) => e instanceof KmipTextError && e.code === 'UNREPRESENTABLE', 'control character refused');
        refused++;
        return;
      }
      const back = parseKmipXml(toKmipXml(m));
      assert.equal(back.length, 1, 'one item back');
      assert.equal(toHex(encodeTtlv(back[0]!)), bytes, 'same bytes');
      written++;
    }),
    { seed: SEED, numRuns: RUNS },
  );
  console.log(`text-property X1: ${written} trees round-tripped through XML, ${refused} refused (control characters)`);
  assert.ok(written > RUNS / 2, `most trees are XML-writable (${written})`);
});

test(`X2 JSON: print then read gives the same TTLV bytes, object and one-line forms (seed ${SEED}, ${RUNS} runs)`, () => {
  fc.assert(
    fc.property(message, (m) => {
      const bytes = toHex(encodeTtlv(m));
      assert.equal(toHex(encodeTtlv(parseKmipJson(toKmipJsonLine(m)))), bytes, 'one-line form');
      assert.equal(toHex(encodeTtlv(parseKmipJson(JSON.parse(JSON.stringify(toKmipJson(m)))))), bytes, 'object form');
    }),
    { seed: SEED, numRuns: RUNS },
  );
});
