// KMIP XML encoding (Additional Message Encodings §6): value forms, names from
// context, extension tags, the strict reader and the printer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KmipTextError, type KmipTextErrorCode } from '../shared/kmip/text/index.js';
import { encodeTtlv, toHex, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { parseKmipXml, parseKmipXmlElement, toKmipXml, toKmipXmlDocument } from '../shared/kmip/xml/index.js';

const ATTRIBUTE = 0x420008;
const ATTRIBUTE_NAME = 0x42000a;
const ATTRIBUTE_VALUE = 0x42000b;
const CRYPTOGRAPHIC_USAGE_MASK = 0x42002c;

function one(xml: string): TtlvItem {
  return parseKmipXmlElement(xml);
}

function value(xml: string): unknown {
  return one(xml).value;
}

/** Assert a KmipTextError with this code whose message mentions each of `parts`. */
function rejects(xml: string, code: KmipTextErrorCode, ...parts: string[]): void {
  assert.throws(
    () => parseKmipXml(xml),
    (e: unknown) => {
      assert.ok(e instanceof KmipTextError, `not a KmipTextError: ${String(e)}`);
      assert.equal(e.code, code, e.message);
      for (const p of parts) assert.ok(e.message.includes(p), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(p)}`);
      return true;
    },
  );
}

function roundTrip(item: TtlvItem): void {
  assert.deepEqual(parseKmipXmlElement(toKmipXml(item)), item);
}

test('§6.1.6 element forms: named element, TTLV with hex tag, TTLV with name, x540001, namespace', () => {
  const expected = { tag: 0x420001, type: 'DateTime', value: 978307200n };
  assert.deepEqual(one('<ActivationDate type="DateTime" value="2001-01-01T10:00:00+10:00"/>'), expected);
  assert.deepEqual(one('<TTLV tag="0x420001" type="DateTime" value="2001-01-01T10:00:00+10:00"/>'), expected);
  assert.deepEqual(one('<TTLV tag="0x420001" name="ActivationDate" type="DateTime" value="2001-01-01T10:00:00+10:00"/>'), expected);
  assert.deepEqual(one('<TTLV tag="ActivationDate" type="DateTime" value="2001-01-01T10:00:00+10:00"/>'), expected);
  assert.deepEqual(
    one('<ActivationDate xmlns="urn:oasis:tc:kmip:xmlns" type="DateTime" value="2001-01-01T10:00:00+10:00"/>'),
    expected,
  );
  assert.deepEqual(one('<x540001 type="LongInteger" value="-2"/>'), { tag: 0x540001, type: 'LongInteger', value: -2n });
  assert.deepEqual(one('<PrivateKeyTemplateAttribute type="Structure"/>'), { tag: 0x420065, type: 'Structure', value: [] });
  assert.deepEqual(one('<PrivateKeyTemplateAttribute/>'), { tag: 0x420065, type: 'Structure', value: [] });
  rejects('<ActivationDate xmlns="urn:other" type="DateTime" value="2001-01-01T10:00:00Z"/>', 'BAD_ITEM', 'namespace');
});

test('extension and unknown tags are printed as <TTLV tag="0x…"> and read back', () => {
  const item: TtlvItem = {
    tag: 0x540001,
    type: 'Structure',
    value: [
      { tag: 0x54ffff, type: 'TextString', value: 'This is an extension' },
      { tag: 0x420fff, type: 'Integer', value: 7 }, // a 0x42 tag no version defines
    ],
  };
  const xml = toKmipXml(item);
  assert.equal(
    xml,
    [
      '<TTLV tag="0x540001">',
      '  <TTLV tag="0x54FFFF" type="TextString" value="This is an extension"/>',
      '  <TTLV tag="0x420FFF" type="Integer" value="7"/>',
      '</TTLV>',
    ].join('\n'),
  );
  roundTrip(item);
  // Published extension names: accepted as element names, printed beside the hex tag.
  const ext = { extensionTags: { WELL_KNOWN_EXTENSION: 0x545352 } };
  const named = parseKmipXmlElement('<WELL_KNOWN_EXTENSION type="TextString" value="x"/>', ext);
  assert.deepEqual(named, { tag: 0x545352, type: 'TextString', value: 'x' });
  assert.equal(toKmipXml(named, ext), '<TTLV tag="0x545352" name="WELL_KNOWN_EXTENSION" type="TextString" value="x"/>');
  rejects('<WELL_KNOWN_EXTENSION type="TextString" value="x"/>', 'UNKNOWN_TAG', 'WELL_KNOWN_EXTENSION', 'line 1, column 1');
  rejects('<TTLV tag="0x5400" type="Integer" value="1"/>', 'UNKNOWN_TAG', '6 hex digits');
  rejects('<TTLV tag="0x430001" type="Integer" value="1"/>', 'UNKNOWN_TAG', 'outside');
  rejects('<TTLV type="Integer" value="1"/>', 'BAD_ITEM', "'tag'");
});

test('Integer: decimal, 8-digit hex, negative values, range', () => {
  assert.equal(value('<BatchCount type="Integer" value="10"/>'), 10);
  assert.equal(value('<BatchCount type="Integer" value="0x0000000A"/>'), 10);
  assert.equal(value('<BatchCount type="Integer" value="-1"/>'), -1);
  assert.equal(value('<BatchCount type="Integer" value="0xffffffff"/>'), -1);
  assert.equal(value('<BatchCount type="Integer" value="-2147483648"/>'), -2147483648);
  assert.equal(value('<BatchCount type="Integer" value=" 42 "/>'), 42); // xsd:int collapses whitespace
  rejects('<BatchCount type="Integer" value="2147483648"/>', 'BAD_VALUE', 'range');
  rejects('<BatchCount type="Integer" value="0xA"/>', 'BAD_VALUE', 'exactly 8 hex digits');
  rejects('<BatchCount type="Integer" value="1.5"/>', 'BAD_VALUE');
  rejects('<BatchCount type="Integer" value="Encrypt"/>', 'BAD_VALUE', 'mask');
  rejects('<BatchCount type="Integer" value=""/>', 'BAD_VALUE');
  const neg: TtlvItem = { tag: 0x42000d, type: 'Integer', value: -5 };
  assert.equal(toKmipXml(neg), '<BatchCount type="Integer" value="-5"/>');
  roundTrip(neg);
});

test('masks (§6.1.6.4): names separated by whitespace, hex components, hex fallback for unknown bits', () => {
  const mask = '<CryptographicUsageMask type="Integer" value="%"/>';
  const m = (v: string): unknown => value(mask.replace('%', v));
  assert.equal(m('0x0000100c'), 0x100c);
  assert.equal(m('Encrypt Decrypt CertificateSign'), 0x100c);
  assert.equal(m('CertificateSign 0x00000004 0x00000008'), 0x100c);
  assert.equal(m('CertificateSign 0x0000000c'), 0x100c);
  assert.equal(m('Decrypt   Encrypt'), 0xc); // as in the OVH TC-72 files
  assert.equal(m('4108'), 0x100c);
  rejects(mask.replace('%', 'Encrypt Frobnicate'), 'UNKNOWN_NAME', 'Frobnicate', 'CryptographicUsageMask');
  rejects(mask.replace('%', 'CertificateSign 0x0000008'), 'BAD_VALUE', 'exactly 8 hex digits');
  const item = (v: number): TtlvItem => ({ tag: CRYPTOGRAPHIC_USAGE_MASK, type: 'Integer', value: v });
  assert.equal(toKmipXml(item(0x100c)), '<CryptographicUsageMask type="Integer" value="Encrypt Decrypt CertificateSign"/>');
  assert.equal(toKmipXml(item(0x0100000c)), '<CryptographicUsageMask type="Integer" value="Encrypt Decrypt 0x01000000"/>');
  assert.equal(toKmipXml(item(0)), '<CryptographicUsageMask type="Integer" value="0"/>');
  for (const v of [0x100c, 0x0100000c, 0, -1, 0x80000000 | 0]) roundTrip(item(v));
  // Storage Status Mask too.
  assert.equal(value('<StorageStatusMask type="Integer" value="ArchivalStorage OnLineStorage"/>'), 3);
});

test('Enumeration: CamelCase names, hex, hex fallback for values the registry does not know', () => {
  assert.equal(value('<ObjectType type="Enumeration" value="SymmetricKey"/>'), 2);
  assert.equal(value('<ObjectType type="Enumeration" value="0x00000002"/>'), 2);
  assert.equal(value('<OpaqueDataType type="Enumeration" value="0x80000001"/>'), 0x80000001);
  const unknown: TtlvItem = { tag: 0x420057, type: 'Enumeration', value: 0x7ffffff0 };
  assert.equal(toKmipXml(unknown), '<ObjectType type="Enumeration" value="0x7ffffff0"/>');
  roundTrip(unknown);
  assert.equal(toKmipXml({ tag: 0x420057, type: 'Enumeration', value: 2 }), '<ObjectType type="Enumeration" value="SymmetricKey"/>');
  rejects('<ObjectType type="Enumeration" value="SymmetricKee"/>', 'UNKNOWN_NAME', 'SymmetricKee', 'ObjectType');
  rejects('<ObjectType type="Enumeration" value="2"/>', 'UNKNOWN_NAME'); // XML has no decimal enumerations
  rejects('<ObjectType type="Enumeration" value="0x2"/>', 'BAD_VALUE', 'exactly 8 hex digits');
  // An extension tag has no enumeration: only hex works.
  assert.equal(value('<TTLV tag="0x540001" type="Enumeration" value="0x00000003"/>'), 3);
  rejects('<TTLV tag="0x540001" type="Enumeration" value="AES"/>', 'UNKNOWN_NAME', 'hex');
});

test('KMIP 1.x Attribute Value takes its names from the Attribute Name', () => {
  const attr = (name: string, type: string, v: string): string =>
    `<Attribute><AttributeName type="TextString" value="${name}"/><AttributeValue type="${type}" value="${v}"/></Attribute>`;
  const valueOf = (xml: string): unknown => ((one(xml).value as TtlvItem[])[1]!).value;
  assert.equal(valueOf(attr('Cryptographic Algorithm', 'Enumeration', 'AES')), 3);
  assert.equal(valueOf(attr('Object Type', 'Enumeration', 'SymmetricKey')), 2);
  assert.equal(valueOf(attr('State', 'Enumeration', 'PreActive')), 1);
  assert.equal(valueOf(attr('Cryptographic Usage Mask', 'Integer', 'Decrypt Encrypt')), 0xc);
  assert.equal(valueOf(attr('CryptographicAlgorithm', 'Enumeration', 'RSA')), 4); // the CamelCase name works too
  assert.equal(valueOf(attr('Cryptographic Length', 'Integer', '128')), 128);
  // A vendor attribute has no names: hex and decimal only.
  assert.equal(valueOf(attr('x-Custom', 'Enumeration', '0x00000005')), 5);
  rejects(attr('x-Custom', 'Enumeration', 'AES'), 'UNKNOWN_NAME', 'Attribute/AttributeValue');
  rejects(attr('Cryptographic Algorithm', 'Enumeration', 'Encrypt'), 'UNKNOWN_NAME', 'CryptographicAlgorithm');
  // And back: names again.
  const item: TtlvItem = {
    tag: ATTRIBUTE,
    type: 'Structure',
    value: [
      { tag: ATTRIBUTE_NAME, type: 'TextString', value: 'Cryptographic Usage Mask' },
      { tag: ATTRIBUTE_VALUE, type: 'Integer', value: 0xc },
    ],
  };
  assert.match(toKmipXml(item), /<AttributeValue type="Integer" value="Encrypt Decrypt"\/>/);
  roundTrip(item);
});

test('KMIP 2.x: attributes by tag, Attribute Reference as Enumeration (Tag)', () => {
  const attrs = one(
    '<Attributes><CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicUsageMask type="Integer" value="Encrypt"/></Attributes>',
  );
  assert.deepEqual(
    (attrs.value as TtlvItem[]).map((i) => i.value),
    [3, 4],
  );
  const ref = one('<AttributeReference type="Enumeration" value="State"/>');
  assert.deepEqual(ref, { tag: 0x42013b, type: 'Enumeration', value: 0x42008d });
  assert.equal(toKmipXml(ref), '<AttributeReference type="Enumeration" value="State"/>');
  rejects('<AttributeReference type="Enumeration" value="NoSuchTag"/>', 'UNKNOWN_NAME', "'NoSuchTag' is not a Tag value name");
  // 2.x vendor attribute: Attribute with Vendor Identification, Attribute Name, Attribute Value.
  const vendor = one(
    '<Attribute><VendorIdentification type="TextString" value="x"/><AttributeName type="TextString" value="VendorAttribute2"/><AttributeValue type="Integer" value="1"/></Attribute>',
  );
  assert.equal(((vendor.value as TtlvItem[])[2]!).value, 1);
});

test('Long Integer, Big Integer (sign extension), Boolean, Byte String, Interval', () => {
  assert.equal(value('<UsageLimitsCount type="LongInteger" value="1152921504606846976"/>'), 2n ** 60n);
  assert.equal(value('<UsageLimitsCount type="LongInteger" value="-9223372036854775808"/>'), -(2n ** 63n));
  assert.equal(value('<UsageLimitsCount type="LongInteger" value="0xfffffffffffffffe"/>'), -2n);
  rejects('<UsageLimitsCount type="LongInteger" value="9223372036854775808"/>', 'BAD_VALUE', 'range');

  assert.deepEqual(value('<TTLV tag="0x540001" type="BigInteger" value="0000000000000000"/>'), new Uint8Array(8));
  assert.deepEqual(value('<TTLV tag="0x540001" type="BigInteger" value="FFFFFFFFFFFFFFFF"/>'), new Uint8Array(8).fill(0xff));
  rejects('<TTLV tag="0x540001" type="BigInteger" value="ffff"/>', 'BAD_VALUE', 'sign-extended');
  rejects('<TTLV tag="0x540001" type="BigInteger" value="0x0000000000000000"/>', 'BAD_VALUE', 'hexBinary');
  rejects('<TTLV tag="0x540001" type="BigInteger" value=""/>', 'BAD_VALUE');
  // Redundant sign bytes are kept both ways (TTLV re-encodes to the same bytes).
  const padded: TtlvItem = { tag: 0x540001, type: 'BigInteger', value: Uint8Array.from([...new Array(15).fill(0xff), 0x80]) };
  assert.equal(toKmipXml(padded), '<TTLV tag="0x540001" type="BigInteger" value="ffffffffffffffffffffffffffffff80"/>');
  roundTrip(padded);

  assert.equal(value('<BatchOrderOption type="Boolean" value="true"/>'), true);
  assert.equal(value('<BatchOrderOption type="Boolean" value="0"/>'), false);
  assert.equal(value('<BatchOrderOption type="Boolean" value="0x0000000000000001"/>'), true);
  rejects('<BatchOrderOption type="Boolean" value="0x0000000000000002"/>', 'BAD_VALUE', 'neither 0 nor 1');
  rejects('<BatchOrderOption type="Boolean" value="True"/>', 'BAD_VALUE');

  assert.deepEqual(value('<MACSignature type="ByteString" value="C50F77"/>'), Uint8Array.of(0xc5, 0x0f, 0x77));
  assert.deepEqual(value('<MACSignature type="ByteString" value=""/>'), new Uint8Array(0));
  rejects('<MACSignature type="ByteString" value="C50F7"/>', 'BAD_VALUE', 'even number');
  rejects('<MACSignature type="ByteString" value="0xC50F77"/>', 'BAD_VALUE');

  assert.equal(value('<Offset type="Interval" value="27"/>'), 27);
  assert.equal(value('<Offset type="Interval" value="4294967295"/>'), 4294967295);
  assert.equal(value('<Offset type="Interval" value="0x0000001b"/>'), 27);
  rejects('<Offset type="Interval" value="-1"/>', 'BAD_VALUE');
  rejects('<Offset type="Interval" value="4294967296"/>', 'BAD_VALUE', 'range');
});

test('Date-Time: offsets, Z, no zone, fractions, hex, calendar checks; printed in UTC', () => {
  const dt = (v: string): unknown => value(`<ArchiveDate type="DateTime" value="${v}"/>`);
  assert.equal(dt('2001-01-01T10:00:00+10:00'), 978307200n);
  assert.equal(dt('2001-01-01T00:00:00Z'), 978307200n);
  assert.equal(dt('2001-01-01T00:00:00'), 978307200n); // no zone: UTC
  assert.equal(dt('2000-12-31T18:30:00-05:30'), 978307200n);
  assert.equal(dt('2001-01-01T00:00:00.999Z'), 978307200n); // fraction truncated (§4.1.6.11)
  assert.equal(dt('0x000000003a505520'), 978343200n);
  assert.equal(dt('1969-12-31T23:59:59Z'), -1n);
  assert.equal(dt('2000-02-29T00:00:00Z'), 951782400n);
  rejects('<ArchiveDate type="DateTime" value="2001-02-29T00:00:00Z"/>', 'BAD_VALUE', 'day 29');
  rejects('<ArchiveDate type="DateTime" value="2001-01-01T24:00:00Z"/>', 'BAD_VALUE', 'hour');
  rejects('<ArchiveDate type="DateTime" value="2001-01-01T00:00:60Z"/>', 'BAD_VALUE', 'second');
  rejects('<ArchiveDate type="DateTime" value="2001-01-01 00:00:00Z"/>', 'BAD_VALUE', 'xsd:dateTime');
  rejects('<ArchiveDate type="DateTime" value="2001-01-01T00:00:00+15:00"/>', 'BAD_VALUE', 'offset');
  rejects('<ArchiveDate type="DateTime" value="$NOW"/>', 'BAD_VALUE', 'ArchiveDate');
  rejects('<ArchiveDate type="DateTime" value="0x3a505520"/>', 'BAD_VALUE', '16 hex digits');

  const item = (v: bigint): TtlvItem => ({ tag: 0x420005, type: 'DateTime', value: v });
  assert.equal(toKmipXml(item(978307200n)), '<ArchiveDate type="DateTime" value="2001-01-01T00:00:00+00:00"/>');
  assert.equal(toKmipXml(item(978307200n), { utcSuffix: 'Z' }), '<ArchiveDate type="DateTime" value="2001-01-01T00:00:00Z"/>');
  // Outside years 0001–9999: hex.
  assert.equal(toKmipXml(item(-(2n ** 63n))), '<ArchiveDate type="DateTime" value="0x8000000000000000"/>');
  for (const v of [0n, -1n, 978307200n, 253402300799n, 253402300800n, -62135596800n, -62135596801n, 2n ** 63n - 1n]) roundTrip(item(v));

  const ext = (v: bigint): TtlvItem => ({ tag: 0x540001, type: 'DateTimeExtended', value: v });
  assert.equal(value('<TTLV tag="0x540001" type="DateTimeExtended" value="2001-01-01T00:00:00.000001Z"/>'), 978307200000001n);
  assert.equal(value('<TTLV tag="0x540001" type="DateTimeExtended" value="2001-01-01T10:00:00.5+10:00"/>'), 978307200500000n);
  assert.equal(toKmipXml(ext(978307200000001n)), '<TTLV tag="0x540001" type="DateTimeExtended" value="2001-01-01T00:00:00.000001+00:00"/>');
  assert.equal(toKmipXml(ext(-1n)), '<TTLV tag="0x540001" type="DateTimeExtended" value="1969-12-31T23:59:59.999999+00:00"/>');
  for (const v of [0n, -1n, 978307200000001n, 2n ** 63n - 1n, -(2n ** 63n)]) roundTrip(ext(v));
});

test('Text String: XML attribute normalization, references, characters XML cannot carry', () => {
  assert.equal(value('<AttributeName type="TextString" value="a&lt;b&gt;&amp;&quot;&apos;&#233;&#x1F600;"/>'), 'a<b>&"\'é😀');
  // A literal newline or tab in an attribute reads as a space (XML §3.3.3); a reference keeps it.
  assert.equal(value('<AttributeName type="TextString" value="a\nb\tc"/>'), 'a b c');
  assert.equal(value('<AttributeName type="TextString" value="a&#10;b&#9;c&#13;"/>'), 'a\nb\tc\r');
  assert.equal(value("<AttributeName type='TextString' value='  spaced  '/>"), '  spaced  ');
  const text: TtlvItem = { tag: 0x42000a, type: 'TextString', value: 'line1\r\nline2\t"<&>"  ' };
  assert.equal(toKmipXml(text), '<AttributeName type="TextString" value="line1&#13;&#10;line2&#9;&quot;&lt;&amp;&gt;&quot;  "/>');
  roundTrip(text);
  assert.throws(
    () => toKmipXml({ tag: 0x42000a, type: 'TextString', value: 'bell\u0007' }),
    (e: unknown) => e instanceof KmipTextError && e.code === 'UNREPRESENTABLE' && e.message.includes('U+0007'),
  );
  rejects('<AttributeName type="TextString" value="&#7;"/>', 'SYNTAX', 'not an XML character');
});

test('strict reader: DTDs, entities, CDATA, PIs, malformed markup → SYNTAX errors with line and column', () => {
  rejects('<!DOCTYPE x [<!ENTITY a "b">]><x/>', 'SYNTAX', 'DTD');
  rejects('<BatchCount type="Integer" value="&a;"/>', 'SYNTAX', 'undeclared entity &a;');
  rejects('<BatchCount type="Integer" value="1 & 2"/>', 'SYNTAX', "'&'");
  rejects('<RequestMessage><![CDATA[x]]></RequestMessage>', 'SYNTAX', 'CDATA');
  rejects('<?xml-stylesheet href="x"?><RequestMessage/>', 'SYNTAX', 'processing instructions');
  rejects('<RequestMessage>\n  <BatchItem>\n</RequestMessage>', 'SYNTAX', '</RequestMessage> does not close <BatchItem>', 'line 3, column 1');
  rejects('<RequestMessage>', 'SYNTAX', 'not closed');
  rejects('<BatchCount type="Integer" value="1" value="2"/>', 'SYNTAX', 'duplicate attribute');
  rejects('<BatchCount type="Integer"value="1"/>', 'SYNTAX', 'whitespace');
  // Two items one after another are a session for parseKmipXml, but not one element.
  assert.throws(() => parseKmipXmlElement('<BatchCount type="Integer" value="1"/><BatchCount type="Integer" value="1"/>'), /follow the root/);
  assert.equal(parseKmipXml('<BatchCount type="Integer" value="1"/>\n<!-- c -->\n<BatchCount type="Integer" value="2"/>').length, 2);
  rejects('<BatchCount type="Integer" value="1"/> stray <BatchCount type="Integer" value="1"/>', 'SYNTAX', 'text is not allowed outside the root');
  rejects('<!-- a -- b --><x/>', 'SYNTAX', "'--'");
  rejects('', 'SYNTAX', 'no root element');
  rejects(' <?xml version="1.0"?><x/>', 'SYNTAX', 'XML declaration');
  rejects('<?xml version="1.0" encoding="ISO-8859-1"?><x/>', 'SYNTAX', 'encoding');
  rejects('<BatchCount type="Integer" value="1\u0001"/>', 'SYNTAX', 'U+0001');
  rejects('<a>]]></a>', 'SYNTAX', "']]>'");
  // Accepted: declaration, BOM, CRLF, comments, single quotes, space before '>' and '/>'.
  const ok = '\uFEFF<?xml version="1.0" encoding="UTF-8" ?>\r\n<!-- c -->\r\n<ProtocolVersion >\r\n  <ProtocolVersionMajor type=\'Integer\' value="1" />\r\n</ProtocolVersion >\r\n<!-- end -->\r\n';
  assert.deepEqual(one(ok), { tag: 0x420069, type: 'Structure', value: [{ tag: 0x42006a, type: 'Integer', value: 1 }] });
  // Bytes: UTF-8 only.
  assert.deepEqual(parseKmipXml(new TextEncoder().encode('<BatchCount type="Integer" value="1"/>')), [{ tag: 0x42000d, type: 'Integer', value: 1 }]);
  assert.throws(() => parseKmipXml(Uint8Array.of(0x3c, 0xff, 0x3e)), (e: unknown) => e instanceof KmipTextError && e.code === 'SYNTAX');
});

test('KMIP-level checks: unknown type, text content, stray attributes, value on a Structure, missing value, depth', () => {
  rejects('<BatchCount type="Identifier" value="1"/>', 'UNKNOWN_TYPE', "'Identifier'");
  rejects('<RequestMessage>\n  <BatchCount type="Integer" value="1">1</BatchCount>\n</RequestMessage>', 'BAD_ITEM', 'character data', 'RequestMessage/BatchCount', 'line 2, column 40');
  rejects('<BatchCount type="Integer" value="1" foo="bar"/>', 'BAD_ITEM', "'foo'");
  rejects('<ProtocolVersion value="1"/>', 'BAD_ITEM', 'Structure');
  rejects('<BatchCount type="Integer"/>', 'BAD_ITEM', 'needs a value');
  rejects('<BatchCount type="Integer" value="1"><BatchCount type="Integer" value="1"/></BatchCount>', 'BAD_ITEM', 'sub-items');
  rejects('<BatchCount type="Integer" value="1" name="x"/>', 'BAD_ITEM', "'name'");
  const deep = (n: number): string => '<ProtocolVersion>'.repeat(n) + '</ProtocolVersion>'.repeat(n);
  assert.doesNotThrow(() => parseKmipXml(deep(32)));
  rejects(deep(33), 'TOO_DEEP');
  rejects(deep(100000), 'TOO_DEEP'); // no stack overflow
  assert.doesNotThrow(() => parseKmipXml(deep(40), { maxDepth: 40 }));
  // The error names the path and the line.
  rejects(
    '<RequestMessage>\n  <BatchItem>\n    <Operation type="Enumeration" value="Creat"/>\n  </BatchItem>\n</RequestMessage>',
    'UNKNOWN_NAME',
    'RequestMessage/BatchItem/Operation (line 3, column 5)',
    "'Creat'",
  );
});

test('documents: wrapper roots give their messages in order; annotations skipped', () => {
  const doc = `<?xml version="1.0" ?>
<KMIP>
# TIME 0
<!-- request -->
<RequestMessage><BatchItem><Operation type="Enumeration" value="Create"/></BatchItem></RequestMessage>
<ResponseMessage><BatchItem><Operation type="Enumeration" value="Create"/></BatchItem></ResponseMessage>
</KMIP>`;
  const items = parseKmipXml(doc);
  assert.deepEqual(items.map((i) => i.tag), [0x420078, 0x42007b]);
  assert.deepEqual(parseKmipXml(doc.replace(/KMIP>/g, 'KmipTestCase>')), items);
  assert.throws(() => parseKmipXmlElement(doc), (e: unknown) => e instanceof KmipTextError && e.code === 'BAD_ITEM');
  assert.equal(parseKmipXml('<RequestMessage/>').length, 1);
  const printed = toKmipXmlDocument(items);
  assert.equal(
    printed,
    [
      '<KMIP>',
      '  <RequestMessage>',
      '    <BatchItem>',
      '      <Operation type="Enumeration" value="Create"/>',
      '    </BatchItem>',
      '  </RequestMessage>',
      '  <ResponseMessage>',
      '    <BatchItem>',
      '      <Operation type="Enumeration" value="Create"/>',
      '    </BatchItem>',
      '  </ResponseMessage>',
      '</KMIP>',
      '',
    ].join('\n'),
  );
  assert.deepEqual(parseKmipXml(printed), items);
});

test('what is read encodes to TTLV', () => {
  const item = one('<RequestMessage><BatchCount type="Integer" value="1"/></RequestMessage>');
  assert.equal(toHex(encodeTtlv(item)), '420078010000001042000d02000000040000000100000000');
});

test('a TTLV name that names another tag is refused; unknown names are informative', () => {
  rejects('<TTLV tag="0x420001" name="BatchCount" type="DateTime" value="2001-01-01T00:00:00Z"/>', 'BAD_ITEM', "name 'BatchCount' is tag 0x42000D");
  assert.equal(one('<TTLV tag="0x54FFFF" name="SomeExtension" type="Integer" value="1"/>').tag, 0x54ffff);
});

test('printing refuses values their type cannot hold (they would not read back)', () => {
  const bad: unknown[] = [
    { tag: 0x42000d, type: 'Integer', value: 1.5 },
    { tag: 0x42000d, type: 'Integer', value: 2 ** 31 },
    { tag: 0x420057, type: 'Enumeration', value: -1 },
    { tag: 0x540001, type: 'BigInteger', value: new Uint8Array(5) },
    { tag: 0x540001, type: 'BigInteger', value: new Uint8Array(0) },
    { tag: 0x420096, type: 'LongInteger', value: 2n ** 63n },
    { tag: 0x420005, type: 'DateTime', value: 5 },
  ];
  for (const item of bad) {
    assert.throws(() => toKmipXml(item as TtlvItem), (e: unknown) => e instanceof KmipTextError && e.code === 'BAD_VALUE', JSON.stringify(item, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
  }
});

test('enumeration names follow the message protocol version (renamed in 2.0), or opts.version', () => {
  const msg = (minorMajor: [number, number]): TtlvItem => ({
    tag: 0x420078,
    type: 'Structure',
    value: [
      {
        tag: 0x420077,
        type: 'Structure',
        value: [
          {
            tag: 0x420069,
            type: 'Structure',
            value: [
              { tag: 0x42006a, type: 'Integer', value: minorMajor[0] },
              { tag: 0x42006b, type: 'Integer', value: minorMajor[1] },
            ],
          },
        ],
      },
      { tag: 0x4200ae, type: 'Enumeration', value: 1 }, // Digital Signature Algorithm 1
    ],
  });
  assert.match(toKmipXml(msg([1, 4])), /value="MD2WithRSAEncryptionPKCS_1V1_5"/);
  assert.match(toKmipXml(msg([2, 1])), /value="MD2WithRSAEncryption"/);
  assert.match(toKmipXml(msg([1, 4]), { version: '2.0' }), /value="MD2WithRSAEncryption"/);
  const bare: TtlvItem = { tag: 0x4200ae, type: 'Enumeration', value: 1 };
  assert.equal(toKmipXml(bare), '<DigitalSignatureAlgorithm type="Enumeration" value="MD2WithRSAEncryption"/>');
  // Both names read, in any message.
  for (const m of [msg([1, 4]), msg([2, 1])]) roundTrip(m);
  assert.equal(value('<DigitalSignatureAlgorithm type="Enumeration" value="MD2WithRSAEncryptionPKCS_1V1_5"/>'), 1);
});
