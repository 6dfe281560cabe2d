// KMIP JSON encoding (Additional Message Encodings §4): numbers vs hex, 53-bit
// safety, masks with '|', names, extension tags, and the strict item shape.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKmipJson, toKmipJson, toKmipJsonLine } from '../shared/kmip/json/index.js';
import { KmipTextError, type KmipTextErrorCode } from '../shared/kmip/text/index.js';
import { assertTextError } from './support/text-errors.js';
import type { TtlvItem } from '../shared/kmip/ttlv/index.js';

function value(json: string): unknown {
  return parseKmipJson(json).value;
}

function rejects(input: string | object, code: KmipTextErrorCode, ...parts: string[]): void {
  assertTextError(() => parseKmipJson(input), code, ...parts);
}

function roundTrip(item: TtlvItem): void {
  assert.deepEqual(parseKmipJson(toKmipJsonLine(item)), item);
  assert.deepEqual(parseKmipJson(toKmipJson(item)), item);
}

test('§4.1.6 objects: tag by name or hex, optional name, type defaults to Structure', () => {
  const expected = { tag: 0x420001, type: 'DateTime', value: 978307200n };
  assert.deepEqual(parseKmipJson('{"tag":"ActivationDate","type":"DateTime","value":"2001-01-01T10:00:00+10:00"}'), expected);
  assert.deepEqual(parseKmipJson({ tag: '0x420001', type: 'DateTime', value: '2001-01-01T10:00:00+10:00' }), expected);
  assert.deepEqual(parseKmipJson('{"tag":"0x54FFFF","name":"SomeExtension","type":"Integer","value":"0x00000001"}'), {
    tag: 0x54ffff,
    type: 'Integer',
    value: 1,
  });
  assert.deepEqual(parseKmipJson('{"tag":"ProtocolVersion","value":[{"tag":"ProtocolVersionMajor","type":"Integer","value":1}]}'), {
    tag: 0x420069,
    type: 'Structure',
    value: [{ tag: 0x42006a, type: 'Integer', value: 1 }],
  });
  assert.deepEqual(parseKmipJson('{"tag":"PrivateKeyTemplateAttribute","type":"Structure","value":[]}').value, []);
  assert.deepEqual(parseKmipJson('{"tag":"PrivateKeyTemplateAttribute","value":null}').value, []);
  const ext = { extensionTags: { WELL_KNOWN_EXTENSION: 0x545352 } };
  const named = parseKmipJson('{"tag":"WELL_KNOWN_EXTENSION","type":"TextString","value":"This is an extension"}', ext);
  assert.equal(named.tag, 0x545352);
  assert.equal(toKmipJsonLine(named, ext), '{"tag":"0x545352","name":"WELL_KNOWN_EXTENSION","type":"TextString","value":"This is an extension"}');
  assert.equal(toKmipJsonLine(named), '{"tag":"0x545352","type":"TextString","value":"This is an extension"}');
});

test('output: Structures without type, numbers where exact, names for enumerations and masks', () => {
  const item: TtlvItem = {
    tag: 0x420078,
    type: 'Structure',
    value: [
      { tag: 0x42000d, type: 'Integer', value: -1 },
      { tag: 0x420057, type: 'Enumeration', value: 2 },
      { tag: 0x420057, type: 'Enumeration', value: 0x7ffffff0 },
      { tag: 0x42002c, type: 'Integer', value: 0x100c },
      { tag: 0x420010, type: 'Boolean', value: true },
      { tag: 0x420058, type: 'Interval', value: 27 },
      { tag: 0x54ffff, type: 'ByteString', value: Uint8Array.of(0xc5, 0x0f, 0x77) },
    ],
  };
  assert.deepEqual(toKmipJson(item), {
    tag: 'RequestMessage',
    value: [
      { tag: 'BatchCount', type: 'Integer', value: -1 },
      { tag: 'ObjectType', type: 'Enumeration', value: 'SymmetricKey' },
      { tag: 'ObjectType', type: 'Enumeration', value: '0x7ffffff0' },
      { tag: 'CryptographicUsageMask', type: 'Integer', value: 'Encrypt|Decrypt|CertificateSign' },
      { tag: 'BatchOrderOption', type: 'Boolean', value: true },
      { tag: 'Offset', type: 'Interval', value: 27 },
      { tag: '0x54FFFF', type: 'ByteString', value: 'c50f77' },
    ],
  });
  roundTrip(item);
});

test('Integer and masks (§4.1.6.3–4): number, hex, "|" components', () => {
  assert.equal(value('{"tag":"BatchCount","type":"Integer","value":10}'), 10);
  assert.equal(value('{"tag":"BatchCount","type":"Integer","value":"0x0000000A"}'), 10);
  assert.equal(value('{"tag":"BatchCount","type":"Integer","value":"0xffffffff"}'), -1);
  rejects('{"tag":"BatchCount","type":"Integer","value":"10"}', 'BAD_VALUE'); // JSON: numbers are numbers
  rejects('{"tag":"BatchCount","type":"Integer","value":2147483648}', 'BAD_VALUE', '32-bit');
  rejects('{"tag":"BatchCount","type":"Integer","value":1.5}', 'BAD_VALUE');
  rejects('{"tag":"BatchCount","type":"Integer","value":true}', 'BAD_VALUE');
  const m = (v: string): unknown => value(`{"tag":"CryptographicUsageMask","type":"Integer","value":${JSON.stringify(v)}}`);
  assert.equal(m('Encrypt|Decrypt|CertificateSign'), 0x100c);
  assert.equal(m('CertificateSign|0x0000000c'), 0x100c);
  assert.equal(m('CertificateSign|0x00000004|0x00000008'), 0x100c);
  assert.equal(m('0x0000100c'), 0x100c);
  rejects('{"tag":"CryptographicUsageMask","type":"Integer","value":"Encrypt Decrypt"}', 'UNKNOWN_NAME'); // XML's separator
  rejects('{"tag":"CryptographicUsageMask","type":"Integer","value":"Encrypt||Decrypt"}', 'BAD_VALUE', 'empty component');
  assert.equal(toKmipJson({ tag: 0x42002c, type: 'Integer', value: 0x0100000c }).value, 'Encrypt|Decrypt|0x01000000');
  assert.equal(toKmipJson({ tag: 0x42002c, type: 'Integer', value: 0 }).value, 0);
});

test('Long Integer (§4.1.6.5): numbers below 2^52, hex from 2^52, unsafe numbers refused', () => {
  const li = (v: bigint): TtlvItem => ({ tag: 0x420096, type: 'LongInteger', value: v });
  assert.equal(toKmipJson(li(2n ** 52n - 1n)).value, 2 ** 52 - 1);
  assert.equal(toKmipJson(li(2n ** 52n)).value, '0x0010000000000000');
  assert.equal(toKmipJson(li(-(2n ** 52n) + 1n)).value, -(2 ** 52) + 1);
  assert.equal(toKmipJson(li(-(2n ** 52n))).value, '0xfff0000000000000');
  assert.equal(toKmipJson(li(-2n)).value, -2);
  for (const v of [0n, -2n, 2n ** 52n, 2n ** 60n, 2n ** 63n - 1n, -(2n ** 63n)]) roundTrip(li(v));
  assert.equal(value('{"tag":"0x540001","type":"LongInteger","value":"0xfffffffffffffffe"}'), -2n);
  assert.equal(value('{"tag":"0x540001","type":"LongInteger","value":-2}'), -2n);
  assert.equal(value('{"tag":"UsageLimitsCount","type":"LongInteger","value":"0x1000000000000000"}'), 2n ** 60n);
  // 2^60 + 1 as a JSON number arrives rounded; refuse it rather than store the wrong value.
  rejects('{"tag":"UsageLimitsCount","type":"LongInteger","value":1152921504606846977}', 'BAD_VALUE', 'hex');
  rejects('{"tag":"UsageLimitsCount","type":"LongInteger","value":"1152921504606846976"}', 'BAD_VALUE');
  rejects('{"tag":"UsageLimitsCount","type":"LongInteger","value":"0x1000"}', 'BAD_VALUE', '16 hex digits');
});

test('Big Integer (§4.1.6.6): numbers sign-extended to 8 bytes, hex in multiples of 8 bytes, printed as hex', () => {
  const bi = (json: unknown): unknown => parseKmipJson({ tag: '0x540001', type: 'BigInteger', value: json }).value;
  assert.deepEqual(bi(0), new Uint8Array(8));
  assert.deepEqual(bi('0x0000000000000000'), new Uint8Array(8));
  assert.deepEqual(bi(-1), new Uint8Array(8).fill(0xff));
  assert.deepEqual(bi(-129), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f));
  assert.deepEqual(bi(2 ** 53 - 1), Uint8Array.of(0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
  rejects({ tag: '0x540001', type: 'BigInteger', value: 2 ** 53 }, 'BAD_VALUE');
  rejects({ tag: '0x540001', type: 'BigInteger', value: '0xff' }, 'BAD_VALUE', 'sign-extended');
  rejects({ tag: '0x540001', type: 'BigInteger', value: 'ffffffffffffffff' }, 'BAD_VALUE', '0x');
  const padded: TtlvItem = { tag: 0x540001, type: 'BigInteger', value: Uint8Array.from([...new Array(8).fill(0), 1, 2, 3, 4, 5, 6, 7, 8]) };
  assert.equal(toKmipJson(padded).value, '0x00000000000000000102030405060708');
  roundTrip(padded);
});

test('Enumeration, Boolean, Date-Time, Interval, Byte String, Text String forms', () => {
  assert.equal(value('{"tag":"0x420057","type":"Enumeration","value":2}'), 2);
  assert.equal(value('{"tag":"ObjectType","type":"Enumeration","value":"0x00000002"}'), 2);
  assert.equal(value('{"tag":"ObjectType","type":"Enumeration","value":"SymmetricKey"}'), 2);
  rejects('{"tag":"ObjectType","type":"Enumeration","value":-1}', 'BAD_VALUE');
  rejects('{"tag":"ObjectType","type":"Enumeration","value":"Symmetric Key"}', 'UNKNOWN_NAME');
  assert.equal(value('{"tag":"BatchOrderOption","type":"Boolean","value":true}'), true);
  assert.equal(value('{"tag":"BatchOrderOption","type":"Boolean","value":"0x0000000000000001"}'), true);
  rejects('{"tag":"BatchOrderOption","type":"Boolean","value":"true"}', 'BAD_VALUE');
  rejects('{"tag":"BatchOrderOption","type":"Boolean","value":1}', 'BAD_VALUE');
  assert.equal(value('{"tag":"ArchiveDate","type":"DateTime","value":"0x000000003a505520"}'), 978343200n);
  assert.equal(value('{"tag":"ArchiveDate","type":"DateTime","value":"2001-01-01T10:00:00+10:00"}'), 978307200n);
  rejects('{"tag":"ArchiveDate","type":"DateTime","value":978307200}', 'BAD_VALUE');
  assert.equal(toKmipJson({ tag: 0x420005, type: 'DateTime', value: 978307200n }, { utcSuffix: 'Z' }).value, '2001-01-01T00:00:00Z');
  assert.equal(value('{"tag":"Offset","type":"Interval","value":27}'), 27);
  assert.equal(value('{"tag":"Offset","type":"Interval","value":"0x0000001b"}'), 27);
  assert.deepEqual(value('{"tag":"MACSignature","type":"ByteString","value":"C50F77"}'), Uint8Array.of(0xc5, 0x0f, 0x77));
  rejects('{"tag":"MACSignature","type":"ByteString","value":"0xC50F77"}', 'BAD_VALUE');
  assert.equal(value('{"tag":"AttributeName","type":"TextString","value":"Cryptographic Algorithm"}'), 'Cryptographic Algorithm');
  rejects('{"tag":"AttributeName","type":"TextString","value":5}', 'BAD_VALUE');
  const text: TtlvItem = { tag: 0x42000a, type: 'TextString', value: 'bell\u0007 "quoted"\n' };
  roundTrip(text); // JSON carries what XML cannot
});

test('names from context: 1.x Attribute Value, 2.x Attribute Reference', () => {
  const attr = parseKmipJson({
    tag: 'Attribute',
    value: [
      { tag: 'AttributeName', type: 'TextString', value: 'Cryptographic Usage Mask' },
      { tag: 'AttributeValue', type: 'Integer', value: 'Decrypt|Encrypt' },
    ],
  });
  assert.equal(((attr.value as TtlvItem[])[1]!).value, 0xc);
  assert.equal((toKmipJson(attr).value as { value: unknown }[])[1]!.value, 'Encrypt|Decrypt');
  const ref = parseKmipJson({ tag: 'AttributeReference', type: 'Enumeration', value: 'CryptographicAlgorithm' });
  assert.equal(ref.value, 0x420028);
  assert.equal(toKmipJson(ref).value, 'CryptographicAlgorithm');
});

test('strict shape: errors name the path and the JSON pointer', () => {
  rejects('{"tag":"BatchCount","type":"Integer","value":1', 'SYNTAX', 'not valid JSON');
  rejects('[]', 'BAD_ITEM', 'JSON object');
  rejects('{"type":"Integer","value":1}', 'BAD_ITEM', '"tag"');
  rejects('{"tag":"BatchCount","type":"Integer","value":1,"extra":0}', 'BAD_ITEM', '"extra"');
  rejects('{"tag":"BatchCount","type":"Integer"}', 'BAD_ITEM', 'needs a value');
  rejects('{"tag":"BatchCount","type":"Integer","value":null}', 'BAD_ITEM', 'needs a value');
  rejects('{"tag":"BatchCount","type":"Integer","value":{}}', 'BAD_ITEM', '"value"');
  rejects('{"tag":"ProtocolVersion","value":"x"}', 'BAD_ITEM', 'Structure');
  rejects('{"tag":"BatchCount","type":"Integer","value":[{"tag":"BatchCount","type":"Integer","value":1}]}', 'BAD_ITEM', 'sub-items');
  rejects('{"tag":"BatchCount","type":"integer","value":1}', 'UNKNOWN_TYPE', "'integer'");
  rejects('{"tag":"NoSuchTag","type":"Integer","value":1}', 'UNKNOWN_TAG', 'NoSuchTag');
  rejects(
    '{"tag":"RequestMessage","value":[{"tag":"BatchItem","value":[{"tag":"Operation","type":"Enumeration","value":"Foo"}]}]}',
    'UNKNOWN_NAME',
    'RequestMessage/BatchItem/Operation (/value/0/value/0)',
  );
  let deep: object = { tag: 'ProtocolVersion', value: [] };
  for (let i = 0; i < 40; i++) deep = { tag: 'ProtocolVersion', value: [deep] };
  rejects(deep, 'TOO_DEEP');
});

test('with a known protocol version, names that version lacks are printed as hex; misprints are read', () => {
  const message = (major: number, minor: number, items: object[]): string =>
    JSON.stringify({
      tag: 'RequestMessage',
      value: [
        { tag: 'RequestHeader', value: [{ tag: 'ProtocolVersion', value: [
          { tag: 'ProtocolVersionMajor', type: 'Integer', value: major },
          { tag: 'ProtocolVersionMinor', type: 'Integer', value: minor },
        ] }] },
        { tag: 'BatchItem', value: items },
      ],
    });
  const mask = { tag: 'CryptographicUsageMask', type: 'Integer', value: 'Encrypt|Authenticate' };
  assert.match(toKmipJsonLine(parseKmipJson(message(1, 4, [mask]))), /"value":"Encrypt\|0x00100000"/);
  assert.match(toKmipJsonLine(parseKmipJson(message(2, 0, [mask]))), /"value":"Encrypt\|Authenticate"/);
  assert.equal(toKmipJson({ tag: 0x42002c, type: 'Integer', value: 0x100004 }).value, 'Encrypt|Authenticate');
  assert.equal(toKmipJson({ tag: 0x42002c, type: 'Integer', value: 0x100004 }, { version: '1.4' }).value, 'Encrypt|0x00100000');
  // MFG1, as the 2.0/2.1 text prints it, is read as MGF1 and printed corrected.
  const mgf = parseKmipJson('{"tag":"MaskGenerator","type":"Enumeration","value":"MFG1"}');
  assert.deepEqual(mgf, { tag: 0x420101, type: 'Enumeration', value: 1 });
  assert.equal(toKmipJsonLine(mgf), '{"tag":"MaskGenerator","type":"Enumeration","value":"MGF1"}');
  const msg = parseKmipJson(message(2, 1, [{ tag: 'RequestPayload', value: [{ tag: 'CryptographicParameters', value: [
    { tag: 'MaskGenerator', type: 'Enumeration', value: 'MFG1' },
  ] }] }]));
  assert.match(toKmipJsonLine(msg), /"tag":"MaskGenerator","type":"Enumeration","value":"MGF1"/);
});

test('limits: text size (UTF-8 bytes, before JSON.parse), item count, depth; the TTLV defaults', () => {
  const item = '{"tag":"NameValue","type":"TextString","value":"é"}';
  const size = new TextEncoder().encode(item).length;
  assert.equal(size, item.length + 1);
  assert.equal(parseKmipJson(item, { maxMessageSize: size }).value, 'é');
  rejects2(item, { maxMessageSize: size - 1 }, 'TOO_LARGE', `${size - 1} bytes`);
  // Checked before parsing: oversized non-JSON is TOO_LARGE, not SYNTAX.
  rejects2('['.repeat(101), { maxMessageSize: 100 }, 'TOO_LARGE');
  rejects2(' '.repeat(4 * 1024 * 1024 + 1), {}, 'TOO_LARGE', String(4 * 1024 * 1024));
  // A parsed value has no text: size does not apply, items and depth do.
  const structure = (n: number): object => ({ tag: 'ProtocolVersion', value: Array.from({ length: n }, () => ({ tag: 'BatchCount', type: 'Integer', value: 1 })) });
  assert.equal((parseKmipJson(structure(4), { maxItems: 5, maxMessageSize: 1 }).value as TtlvItem[]).length, 4);
  rejects2(structure(5), { maxItems: 5 }, 'TOO_MANY_ITEMS', 'more than 5 items', '/value/4');
  rejects2(JSON.stringify(structure(5)), { maxItems: 5 }, 'TOO_MANY_ITEMS', 'more than 5 items');
  assert.equal((parseKmipJson(structure(99_999)).value as TtlvItem[]).length, 99_999); // default 100,000
  rejects2(structure(100_000), {}, 'TOO_MANY_ITEMS', 'more than 100000 items');
  let deep: object = { tag: 'ProtocolVersion', value: [] };
  for (let i = 1; i < 32; i++) deep = { tag: 'ProtocolVersion', value: [deep] };
  assert.equal(parseKmipJson(deep).tag, 0x420069);
  rejects2({ tag: 'ProtocolVersion', value: [deep] }, {}, 'TOO_DEEP', 'deeper than 32 levels');
  for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => parseKmipJson(item, { maxDepth: bad }), RangeError);
});

function rejects2(input: string | object, opts: Parameters<typeof parseKmipJson>[1], code: KmipTextErrorCode, ...parts: string[]): void {
  assert.throws(
    () => parseKmipJson(input, opts),
    (e: unknown) => {
      assert.ok(e instanceof KmipTextError, `not a KmipTextError: ${String(e)}`);
      assert.equal(e.code, code, e.message);
      for (const p of parts) assert.ok(e.message.includes(p), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(p)}`);
      return true;
    },
  );
}

test('a 4 MiB Byte String prints and reads back exactly', () => {
  const bytes = new Uint8Array(4 * 1024 * 1024);
  let x = 0x9e3779b9;
  for (let i = 0; i < bytes.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    bytes[i] = x >>> 24;
  }
  bytes[0] = 0x00;
  bytes[1] = 0xff;
  const item: TtlvItem = { tag: 0x420043, type: 'ByteString', value: bytes };
  const hex = Buffer.from(bytes).toString('hex');
  const line = toKmipJsonLine(item);
  assert.ok(line === `{"tag":"KeyMaterial","type":"ByteString","value":"${hex}"}`, 'printed hex differs from Buffer hex');
  assert.ok(toKmipJson(item).value === hex);
  assert.throws(() => parseKmipJson(line), (e: unknown) => e instanceof KmipTextError && e.code === 'TOO_LARGE'); // 8 MiB of text
  const back = parseKmipJson(line, { maxMessageSize: 16 * 1024 * 1024 });
  assert.ok(Buffer.from(back.value as Uint8Array).equals(Buffer.from(bytes)), 'bytes differ after the round trip');
  const upper = parseKmipJson({ tag: 'KeyMaterial', type: 'ByteString', value: hex.toUpperCase() });
  assert.ok(Buffer.from(upper.value as Uint8Array).equals(Buffer.from(bytes)));
  rejects('{"tag":"KeyMaterial","type":"ByteString","value":"c5g0"}', 'BAD_VALUE');
});
