// KMIP XML (Additional Message Encodings §6) → TtlvItem.
// An element is either named by its tag (<ActivationDate type="DateTime" value="…"/>)
// or is the general form <TTLV tag="0x540001" name="…" type="…" value="…"/>
// (§6.1.6). The §6.1.6.5 example also names an extension element
// <x540001 …/>; that form is accepted too and read as tag 0x540001.
import type { TtlvItem } from '../ttlv/types.js';
import { KmipTextError } from '../text/errors.js';
import { ItemBudget, checkTextSize, fromTextItem, textLimits, type TextDecodeOptions, type TextItem } from '../text/tree.js';
import type { TtlvLimits } from '../ttlv/limits.js';
import { parseXmlDocument, type XmlDocument, type XmlElement } from './parser.js';

export type XmlDecodeOptions = TextDecodeOptions;

/** §6.1.6: "If namespaces are required, XML elements SHALL use the following namespace". */
export const KMIP_XML_NAMESPACE = 'urn:oasis:tc:kmip:xmlns';

/**
 * Root elements that hold a sequence of messages rather than being one: the
 * OASIS test-case files use <KMIP> (profiles 1.3+) and <KmipTestCase> (the
 * 1.0 profile documents). Character data directly inside them (the "# TIME 0"
 * lines of some files) is annotation and is skipped.
 */
export const XML_WRAPPER_ELEMENTS: readonly string[] = ['KMIP', 'KmipTestCase'];

const HEX_ELEMENT = /^x[0-9a-fA-F]{6}$/;

function decodeText(input: string | Uint8Array): string {
  if (typeof input === 'string') return input;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    throw new KmipTextError('SYNTAX', 'the document is not valid UTF-8');
  }
}

function readDocument(input: string | Uint8Array, limits: TtlvLimits, sequence = false): XmlDocument {
  checkTextSize(input, limits); // before decoding or parsing anything
  return parseXmlDocument(decodeText(input), limits, sequence);
}

function elementToTextItem(el: XmlElement, doc: XmlDocument, parentPath: string): TextItem {
  const location = doc.locate(el.offset);
  const isTtlv = el.name === 'TTLV';
  let tag = el.name;
  if (isTtlv) {
    const t = el.attrs.get('tag');
    if (t === undefined) throw new KmipTextError('BAD_ITEM', "a <TTLV> element needs a 'tag' attribute", parentPath + '/TTLV', location);
    tag = t;
  } else if (HEX_ELEMENT.test(el.name)) {
    tag = '0x' + el.name.slice(1);
  }
  const path = parentPath ? `${parentPath}/${tag}` : tag;
  const fail = (detail: string, at = location): never => {
    throw new KmipTextError('BAD_ITEM', detail, path, at);
  };
  for (const [attr, value] of el.attrs) {
    if (attr === 'type' || attr === 'value') continue;
    if (isTtlv && (attr === 'tag' || attr === 'name')) continue;
    if (attr === 'xmlns') {
      if (value !== KMIP_XML_NAMESPACE) fail(`namespace '${value}' is not the KMIP namespace ${KMIP_XML_NAMESPACE}`);
      continue;
    }
    fail(`unexpected attribute '${attr}'`);
  }
  if (el.textAt !== undefined) fail('character data is not allowed in a KMIP element (values go in the value attribute)', doc.locate(el.textAt));
  const node: TextItem = { tag, location, children: el.children.map((c) => elementToTextItem(c, doc, path)) };
  const name = isTtlv ? el.attrs.get('name') : undefined;
  if (name !== undefined) node.name = name;
  const type = el.attrs.get('type');
  if (type !== undefined) node.type = type;
  const value = el.attrs.get('value');
  if (value !== undefined) node.value = value;
  return node;
}

/**
 * Parse KMIP XML holding one or more items: a single item (e.g. one
 * <RequestMessage>), several items one after another (a session as
 * `keyhold ttlv decode` prints it), or a wrapper root (<KMIP>,
 * <KmipTestCase>) whose child items are returned in document order.
 */
export function parseKmipXml(input: string | Uint8Array, opts: XmlDecodeOptions = {}): TtlvItem[] {
  const limits = textLimits(opts);
  const doc = readDocument(input, limits, true);
  const wrapped = doc.roots.length === 1 && XML_WRAPPER_ELEMENTS.includes(doc.root.name);
  const budget = new ItemBudget(limits.maxItems); // one for the whole document
  return (wrapped ? doc.root.children : doc.roots).map((el) => fromTextItem(elementToTextItem(el, doc, ''), 'xml', opts, budget));
}

/** Parse a document whose root is exactly one KMIP item. */
export function parseKmipXmlElement(input: string | Uint8Array, opts: XmlDecodeOptions = {}): TtlvItem {
  const doc = readDocument(input, textLimits(opts));
  if (XML_WRAPPER_ELEMENTS.includes(doc.root.name)) {
    throw new KmipTextError('BAD_ITEM', `<${doc.root.name}> is a wrapper of messages, not one KMIP item (use parseKmipXml)`, '', doc.locate(doc.root.offset));
  }
  return fromTextItem(elementToTextItem(doc.root, doc, ''), 'xml', opts);
}
