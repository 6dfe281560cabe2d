// KMIP XML encoding (Additional Message Encodings §6): value forms, names from
// context, extension tags, the strict reader and the printer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KmipTextError, type KmipTextErrorCode } from '../shared/kmip/text/index.js';
import { assertTextError } from './support/text-errors.js';
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
  assertTextError(() => parseKmipXml(xml), code, ...parts);
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
  const dsa: TtlvItem = { tag: 0x4200ae, type: 'Enumeration', value: 1 }; // Digital Signature Algorithm 1
  const msg = (version: [number, number]): TtlvItem => requestOf(version, [dsa]);
  assert.match(toKmipXml(msg([1, 4])), /value="MD2WithRSAEncryptionPKCS_1V1_5"/);
  assert.match(toKmipXml(msg([2, 1])), /value="MD2WithRSAEncryption"/);
  assert.match(toKmipXml(msg([1, 4]), { version: '2.0' }), /value="MD2WithRSAEncryption"/);
  const bare: TtlvItem = { tag: 0x4200ae, type: 'Enumeration', value: 1 };
  assert.equal(toKmipXml(bare), '<DigitalSignatureAlgorithm type="Enumeration" value="MD2WithRSAEncryption"/>');
  // Both names read, in any message.
  for (const m of [msg([1, 4]), msg([2, 1])]) roundTrip(m);
  assert.equal(value('<DigitalSignatureAlgorithm type="Enumeration" value="MD2WithRSAEncryptionPKCS_1V1_5"/>'), 1);
});

/** A Request Message of this protocol version whose batch item holds `items`. */
function requestOf(version: [number, number], items: TtlvItem[]): TtlvItem {
  return {
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
              { tag: 0x42006a, type: 'Integer', value: version[0] },
              { tag: 0x42006b, type: 'Integer', value: version[1] },
            ],
          },
        ],
      },
      { tag: 0x42000f, type: 'Structure', value: items },
    ],
  };
}

test('with a known protocol version, names that version lacks are printed as hex', () => {
  const mask: TtlvItem = { tag: CRYPTOGRAPHIC_USAGE_MASK, type: 'Integer', value: 0x100004 }; // Encrypt | Authenticate (2.x)
  assert.match(toKmipXml(requestOf([1, 4], [mask])), /<CryptographicUsageMask type="Integer" value="Encrypt 0x00100000"\/>/);
  assert.match(toKmipXml(requestOf([2, 0], [mask])), /<CryptographicUsageMask type="Integer" value="Encrypt Authenticate"\/>/);
  assert.equal(toKmipXml(mask), '<CryptographicUsageMask type="Integer" value="Encrypt Authenticate"/>'); // no version: newest names
  assert.equal(toKmipXml(mask, { version: '1.3' }), '<CryptographicUsageMask type="Integer" value="Encrypt 0x00100000"/>');
  // Export (0x40) is 1.x only: a 2.1 message prints it as hex.
  const exportBit: TtlvItem = { tag: CRYPTOGRAPHIC_USAGE_MASK, type: 'Integer', value: 0x4c };
  assert.match(toKmipXml(requestOf([2, 1], [exportBit])), /value="Encrypt Decrypt 0x00000040"/);
  assert.match(toKmipXml(requestOf([1, 0], [exportBit])), /value="Encrypt Decrypt Export"/);
  // Enumerations: Operation Ping is 2.1 only, Discover Versions 1.1 on.
  const op = (v: number): TtlvItem => ({ tag: 0x42005c, type: 'Enumeration', value: v });
  const ping = value('<Operation type="Enumeration" value="Ping"/>') as number;
  assert.match(toKmipXml(requestOf([2, 0], [op(ping)])), new RegExp(`<Operation type="Enumeration" value="0x${ping.toString(16).padStart(8, '0')}"/>`));
  assert.match(toKmipXml(requestOf([2, 1], [op(ping)])), /<Operation type="Enumeration" value="Ping"\/>/);
  assert.match(toKmipXml(requestOf([1, 0], [op(0x1e)])), /<Operation type="Enumeration" value="0x0000001e"\/>/);
  assert.match(toKmipXml(requestOf([1, 1], [op(0x1e)])), /<Operation type="Enumeration" value="DiscoverVersions"\/>/);
  // A 1.x Attribute Value takes the version into account too.
  const attr: TtlvItem = {
    tag: ATTRIBUTE,
    type: 'Structure',
    value: [
      { tag: ATTRIBUTE_NAME, type: 'TextString', value: 'Cryptographic Usage Mask' },
      { tag: ATTRIBUTE_VALUE, type: 'Integer', value: 0x100008 },
    ],
  };
  assert.match(toKmipXml(requestOf([1, 2], [attr])), /<AttributeValue type="Integer" value="Decrypt 0x00100000"\/>/);
  // Whatever is printed reads back to the same message.
  for (const m of [requestOf([1, 4], [mask, exportBit, op(ping), attr]), requestOf([2, 0], [mask, exportBit, op(ping)])]) roundTrip(m);
});

test('spec misprints are read (MFG1 from the 2.0/2.1 text) but the corrected name is printed', () => {
  const read = one('<MaskGenerator type="Enumeration" value="MFG1"/>');
  assert.deepEqual(read, { tag: 0x420101, type: 'Enumeration', value: 1 });
  assert.equal(toKmipXml(read), '<MaskGenerator type="Enumeration" value="MGF1"/>');
  assert.equal(value('<MaskGenerator type="Enumeration" value="MGF1"/>'), 1);
  assert.equal(value('<SplitKeyMethod type="Enumeration" value="PolynomialSharingGF216"/>'), 2);
  assert.equal(toKmipXml({ tag: 0x42008a, type: 'Enumeration', value: 2 }), '<SplitKeyMethod type="Enumeration" value="PolynomialSharingGF2_16"/>');
  // In a 2.1 message, as a peer following the 2.1 text would send it.
  const msg = parseKmipXmlElement(
    '<RequestMessage><RequestHeader><ProtocolVersion><ProtocolVersionMajor type="Integer" value="2"/>' +
      '<ProtocolVersionMinor type="Integer" value="1"/></ProtocolVersion></RequestHeader>' +
      '<BatchItem><RequestPayload><CryptographicParameters><MaskGenerator type="Enumeration" value="MFG1"/>' +
      '</CryptographicParameters></RequestPayload></BatchItem></RequestMessage>',
  );
  assert.match(toKmipXml(msg), /<MaskGenerator type="Enumeration" value="MGF1"\/>/);
});

test('limits: input size (UTF-8 bytes, before parsing), item count, depth; the TTLV defaults', () => {
  const limited = (xml: string | Uint8Array, opts: Parameters<typeof parseKmipXml>[1], code: KmipTextErrorCode, ...parts: string[]) =>
    assert.throws(
      () => parseKmipXml(xml, opts),
      (e: unknown) => {
        assert.ok(e instanceof KmipTextError, `not a KmipTextError: ${String(e)}`);
        assert.equal(e.code, code, e.message);
        for (const p of parts) assert.ok(e.message.includes(p), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(p)}`);
        return true;
      },
    );
  // Size: the UTF-8 length of the text ('é' is 2 bytes), or of the bytes given.
  const doc = '<NameValue type="TextString" value="é"/>';
  const size = new TextEncoder().encode(doc).length;
  assert.equal(size, doc.length + 1);
  assert.equal(parseKmipXml(doc, { maxMessageSize: size }).length, 1);
  limited(doc, { maxMessageSize: size - 1 }, 'TOO_LARGE', `${size - 1} bytes`);
  limited(new TextEncoder().encode(doc), { maxMessageSize: size - 1 }, 'TOO_LARGE', `${size} bytes`);
  assert.equal(parseKmipXmlElement(doc, { maxMessageSize: size }).type, 'TextString');
  assert.throws(() => parseKmipXmlElement(doc, { maxMessageSize: size - 1 }), (e: unknown) => e instanceof KmipTextError && e.code === 'TOO_LARGE');
  // Checked before parsing: an oversized document that is not even XML is TOO_LARGE, not SYNTAX.
  limited('<'.repeat(101), { maxMessageSize: 100 }, 'TOO_LARGE');
  limited('<'.repeat(4 * 1024 * 1024 + 1), {}, 'TOO_LARGE', String(4 * 1024 * 1024));
  // Items: structures included, all messages of a document together; a wrapper element is not an item.
  const count = (n: number): string => '<BatchCount type="Integer" value="1"/>'.repeat(n);
  assert.equal(parseKmipXml(count(5), { maxItems: 5 }).length, 5);
  limited(count(6), { maxItems: 5 }, 'TOO_MANY_ITEMS', 'more than 5 items');
  assert.equal(parseKmipXml(`<KMIP>${count(5)}</KMIP>`, { maxItems: 5 }).length, 5);
  limited(`<KMIP>${count(6)}</KMIP>`, { maxItems: 5 }, 'TOO_MANY_ITEMS', 'more than 5 items');
  limited(`<KMIP>${count(60)}</KMIP>`, { maxItems: 5 }, 'TOO_MANY_ITEMS', 'more than 5 items', 'line 1');
  const struct = `<ProtocolVersion>${count(4)}</ProtocolVersion>`; // 5 items
  assert.equal(parseKmipXml(struct, { maxItems: 5 }).length, 1);
  limited(struct, { maxItems: 4 }, 'TOO_MANY_ITEMS');
  // The default is 100,000 items, as for TTLV.
  const many = (n: number): string => `<KMIP>${'<RequestMessage/>'.repeat(n)}</KMIP>`;
  assert.equal(parseKmipXml(many(100_000)).length, 100_000);
  limited(many(100_001), {}, 'TOO_MANY_ITEMS', 'more than 100000 items');
  // Depth: the message names the item limit, with or without a wrapper element.
  const deep = (n: number): string => '<ProtocolVersion>'.repeat(n) + '</ProtocolVersion>'.repeat(n);
  for (const xml of [deep(33), deep(34), deep(100_000), `<KMIP>${deep(33)}</KMIP>`]) {
    limited(xml, {}, 'TOO_DEEP', 'deeper than 32 levels');
  }
  assert.equal(parseKmipXml(`<KMIP>${deep(32)}</KMIP>`).length, 1);
  limited(deep(6), { maxDepth: 5 }, 'TOO_DEEP', 'deeper than 5 levels');
  // Limits must be positive whole numbers (resolveLimits), not silently off.
  for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => parseKmipXml(count(1), { maxItems: bad }), RangeError);
    assert.throws(() => parseKmipXml(count(1), { maxMessageSize: bad }), RangeError);
  }
});

test('a 4 MiB Byte String prints and reads back exactly (hex is table-driven, attribute values scanned in runs)', () => {
  const bytes = new Uint8Array(4 * 1024 * 1024);
  let x = 0x12345678;
  for (let i = 0; i < bytes.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  bytes[0] = 0x00;
  bytes[1] = 0xff;
  const item: TtlvItem = { tag: 0x420043, type: 'ByteString', value: bytes };
  const xml = toKmipXml(item);
  const hex = Buffer.from(bytes).toString('hex');
  assert.equal(xml.length, '<KeyMaterial type="ByteString" value=""/>'.length + hex.length);
  assert.ok(xml === `<KeyMaterial type="ByteString" value="${hex}"/>`, 'printed hex differs from Buffer hex');
  // Over the default 4 MiB input limit as text (8 MiB of hex): refused unless the limit is raised.
  assert.throws(() => parseKmipXml(xml), (e: unknown) => e instanceof KmipTextError && e.code === 'TOO_LARGE');
  const back = parseKmipXmlElement(xml, { maxMessageSize: 16 * 1024 * 1024 });
  assert.equal(back.type, 'ByteString');
  assert.ok(Buffer.from(back.value as Uint8Array).equals(Buffer.from(bytes)), 'bytes differ after the round trip');
  // Upper-case hex, and values with references and whitespace in them, read the same.
  const upper = parseKmipXmlElement(xml.toUpperCase().replace('<KEYMATERIAL TYPE="BYTESTRING" VALUE="', '<KeyMaterial type="ByteString" value="'), {
    maxMessageSize: 16 * 1024 * 1024,
  });
  assert.ok(Buffer.from(upper.value as Uint8Array).equals(Buffer.from(bytes)));
  assert.deepEqual(value('<MACSignature type="ByteString" value="&#x43;50F77"/>'), Uint8Array.of(0xc5, 0x0f, 0x77));
  assert.deepEqual(value("<MACSignature type='ByteString' value='\n C50F77\t'/>"), Uint8Array.of(0xc5, 0x0f, 0x77));
  assert.equal(value('<NameValue type="TextString" value="a&amp;b&lt;c&#10;d\te"/>'), 'a&b<c\nd e');
  rejects('<MACSignature type="ByteString" value="C50F77', 'SYNTAX', 'unterminated attribute value');
  rejects('<MACSignature type="ByteString" value="C5<0F77"/>', 'SYNTAX', "'<'");
  rejects('<MACSignature type="ByteString" value="C50G77"/>', 'BAD_VALUE');
});

test('Date-Time errors read as sentences', () => {
  assert.throws(
    () => parseKmipXml('<ArchiveDate type="DateTime" value="2001-02-29T00:00:00Z"/>'),
    (e: unknown) => e instanceof KmipTextError && e.message.endsWith("Date-Time '2001-02-29T00:00:00Z': day 29 is out of range for month 02"),
  );
  assert.throws(
    () => parseKmipXml('<ArchiveDate type="DateTime" value="yesterday"/>'),
    (e: unknown) => e instanceof KmipTextError && /Date-Time 'yesterday': not an xsd:dateTime/.test(e.message) && !/ is (is|not an)/.test(e.message),
  );
});

test('XML characters: the reader and the printer share one definition, and agree', async () => {
  const { readFileSync, readdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dir = join(import.meta.dirname, '..', 'shared', 'kmip', 'xml');
  const defining = readdirSync(dir).filter((f) => /\bNOT_XML_CHAR\s*=/.test(readFileSync(join(dir, f), 'utf8')));
  assert.deepEqual(defining, ['chars.ts']);
  for (const cp of [0x0, 0x1, 0x8, 0x9, 0xa, 0xb, 0xd, 0x1f, 0x20, 0x7f, 0xd7ff, 0xe000, 0xfffd, 0xfffe, 0xffff, 0x10000, 0x10ffff]) {
    const text = `a${String.fromCodePoint(cp)}b`;
    const item: TtlvItem = { tag: 0x420055, type: 'TextString', value: text };
    let printed: string | undefined;
    try {
      printed = toKmipXml(item);
    } catch (e) {
      assert.ok(e instanceof KmipTextError && e.code === 'UNREPRESENTABLE', `U+${cp.toString(16)}`);
    }
    let referenced: unknown;
    try {
      referenced = value(`<NameValue type="TextString" value="a&#x${cp.toString(16)};b"/>`);
    } catch (e) {
      assert.ok(e instanceof KmipTextError && e.code === 'SYNTAX', `U+${cp.toString(16)}`);
    }
    assert.equal(printed !== undefined, referenced !== undefined, `U+${cp.toString(16)}: printer and reader disagree`);
    if (printed !== undefined) {
      assert.equal(referenced, text);
      assert.equal(value(printed), text);
    }
  }
});
