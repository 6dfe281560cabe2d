// A small, strict XML 1.0 reader for KMIP XML: elements, attributes,
// comments, whitespace, an XML declaration. It refuses what KMIP never needs
// and what makes XML parsers dangerous: DTDs (so no entity expansion),
// entities other than the five predefined ones, CDATA sections and processing
// instructions. Character references must name XML characters.
// It is iterative (no recursion), so nesting depth is bounded by `maxDepth`,
// not by the JS stack; `maxItems` bounds the number of elements.
import { KmipTextError } from '../text/errors.js';
import { NOT_XML_CHAR } from './chars.js';

export interface XmlElement {
  name: string;
  /** Attributes in document order, values with references expanded and normalized (XML §3.3.3). */
  attrs: Map<string, string>;
  children: XmlElement[];
  /** Offset of the first non-whitespace character data directly inside, if any. */
  textAt?: number;
  /** Offset of the '<' that opens the element. */
  offset: number;
}

export interface XmlDocument {
  /** The first (for a well-formed XML document, the only) top-level element. */
  root: XmlElement;
  /** Every top-level element in order: more than one only when a sequence was allowed. */
  roots: XmlElement[];
  /** Offset → 'line L, column C' (1-based; columns count UTF-16 code units). */
  locate(offset: number): string;
}

const NAME_START = /[A-Za-z_:\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\u{10000}-\u{EFFFF}]/u;
const NAME_CHAR = /[-.0-9\u00B7\u0300-\u036F\u203F-\u2040]/u;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Attribute-value characters that need no attention: not the quote, '<', '&', tab or LF. */
const PLAIN_IN_DOUBLE_QUOTES = /[^"<&\t\n]*/y;
const PLAIN_IN_SINGLE_QUOTES = /[^'<&\t\n]*/y;
/** Character data that needs no attention: not '<', '&' or ']' (which might start ']]>'). */
const PLAIN_TEXT = /[^<&\]]*/y;

function isNameChar(ch: string): boolean {
  return NAME_START.test(ch) || NAME_CHAR.test(ch);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a;
}

class Reader {
  pos = 0;
  /** Elements started so far, in the whole document. */
  elements = 0;
  private readonly lineStarts: number[] = [0];

  constructor(readonly src: string) {
    for (let i = src.indexOf('\n'); i >= 0; i = src.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }

  locate(offset: number): string {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return `line ${lo + 1}, column ${offset - this.lineStarts[lo]! + 1}`;
  }

  fail(detail: string, at = this.pos): never {
    throw new KmipTextError('SYNTAX', detail, '', this.locate(at));
  }

  startsWith(s: string): boolean {
    return this.src.startsWith(s, this.pos);
  }

  eof(): boolean {
    return this.pos >= this.src.length;
  }

  skipSpace(): boolean {
    const start = this.pos;
    while (this.pos < this.src.length && isSpace(this.src.charCodeAt(this.pos))) this.pos++;
    return this.pos > start;
  }

  expect(s: string, what: string): void {
    if (!this.startsWith(s)) this.fail(`expected ${what}`);
    this.pos += s.length;
  }

  name(): string {
    const start = this.pos;
    const first = this.src.codePointAt(this.pos);
    if (first === undefined || !NAME_START.test(String.fromCodePoint(first))) this.fail('expected a name');
    this.pos += first > 0xffff ? 2 : 1;
    while (this.pos < this.src.length) {
      const c = this.src.charCodeAt(this.pos);
      // ASCII fast path: letters, digits, '_', ':', '-', '.'.
      if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x3a) || c === 0x5f || c === 0x2d || c === 0x2e) {
        this.pos++;
        continue;
      }
      if (c < 0x80) break;
      const cp = this.src.codePointAt(this.pos)!;
      if (!isNameChar(String.fromCodePoint(cp))) break;
      this.pos += cp > 0xffff ? 2 : 1;
    }
    return this.src.slice(start, this.pos);
  }

  /** '&…;' at pos → the character(s) it stands for. */
  reference(): string {
    const start = this.pos;
    const end = this.src.indexOf(';', start);
    if (end < 0 || end - start > 12) this.fail("'&' must start a reference such as &amp; (write a literal '&' as &amp;)");
    const body = this.src.slice(start + 1, end);
    this.pos = end + 1;
    if (body.startsWith('#')) {
      const m = /^#(?:([0-9]+)|x([0-9a-fA-F]+))$/.exec(body);
      if (!m) this.fail(`malformed character reference &${body};`, start);
      const cp = m[1] !== undefined ? parseInt(m[1], 10) : parseInt(m[2]!, 16);
      // CR is a legal character even though literal CRs are normalized away.
      if (cp > 0x10ffff || NOT_XML_CHAR.test(String.fromCodePoint(cp))) {
        this.fail(`character reference &${body}; is not an XML character`, start);
      }
      return String.fromCodePoint(cp);
    }
    const ch = PREDEFINED[body];
    if (ch === undefined) this.fail(`undeclared entity &${body}; (only &lt; &gt; &amp; &quot; &apos; and character references are allowed)`, start);
    return ch;
  }

  /**
   * A quoted attribute value, normalized: literal whitespace characters become
   * spaces. Runs of ordinary characters are taken whole (a sticky regex), so a
   * megabyte hex value costs one scan and one slice, not a step per character.
   */
  attrValue(): string {
    const quote = this.src[this.pos];
    if (quote !== '"' && quote !== "'") this.fail('expected a quoted attribute value');
    const plain = quote === '"' ? PLAIN_IN_DOUBLE_QUOTES : PLAIN_IN_SINGLE_QUOTES;
    this.pos++;
    let out = '';
    for (;;) {
      plain.lastIndex = this.pos;
      plain.test(this.src); // always matches, perhaps nothing
      if (plain.lastIndex > this.pos) {
        out += this.src.slice(this.pos, plain.lastIndex);
        this.pos = plain.lastIndex;
      }
      if (this.eof()) this.fail('unterminated attribute value');
      const ch = this.src[this.pos]!;
      if (ch === quote) {
        this.pos++;
        return out;
      }
      if (ch === '<') this.fail("'<' is not allowed in an attribute value");
      if (ch === '&') {
        out += this.reference();
        continue;
      }
      out += ' '; // tab or LF (CRs are LFs by now)
      this.pos++;
    }
  }

  comment(): void {
    const start = this.pos;
    this.pos += 4; // '<!--'
    const end = this.src.indexOf('--', this.pos);
    if (end < 0) this.fail('unterminated comment', start);
    if (this.src[end + 2] !== '>') this.fail("'--' is not allowed inside a comment", end);
    this.pos = end + 3;
  }

  /** Comments, whitespace, and the constructs KMIP XML refuses, outside or between elements. */
  misc(): boolean {
    if (this.skipSpace()) return true;
    if (this.startsWith('<!--')) {
      this.comment();
      return true;
    }
    if (this.startsWith('<!DOCTYPE')) this.fail('document type declarations (DTDs) are not allowed');
    if (this.startsWith('<![CDATA[')) this.fail('CDATA sections are not allowed');
    if (this.startsWith('<?')) this.fail('processing instructions are not allowed (an XML declaration may only open the document)');
    if (this.startsWith('<!')) this.fail('markup declarations are not allowed');
    return false;
  }
}

function xmlDeclaration(r: Reader): void {
  if (!r.startsWith('<?xml') || !isSpace(r.src.charCodeAt(5))) return;
  r.pos = 5;
  const pseudo = new Map<string, string>();
  for (;;) {
    const spaced = r.skipSpace();
    if (r.startsWith('?>')) {
      r.pos += 2;
      break;
    }
    if (!spaced) r.fail("expected whitespace or '?>' in the XML declaration");
    const at = r.pos;
    const name = r.name();
    r.skipSpace();
    r.expect('=', "'='");
    r.skipSpace();
    if (pseudo.has(name)) r.fail(`duplicate '${name}' in the XML declaration`, at);
    pseudo.set(name, r.attrValue());
  }
  const order = [...pseudo.keys()].join(',');
  if (!['version', 'version,encoding', 'version,standalone', 'version,encoding,standalone'].includes(order)) {
    r.fail('the XML declaration takes version, then optionally encoding and standalone', 0);
  }
  if (!/^1\.[0-9]+$/.test(pseudo.get('version')!)) r.fail(`unsupported XML version '${pseudo.get('version')}'`, 0);
  const enc = pseudo.get('encoding');
  if (enc !== undefined && !/^utf-?8$/i.test(enc)) r.fail(`unsupported encoding '${enc}' (KMIP XML is UTF-8)`, 0);
  const sa = pseudo.get('standalone');
  if (sa !== undefined && sa !== 'yes' && sa !== 'no') r.fail(`standalone must be 'yes' or 'no'`, 0);
}

function startTag(r: Reader): { el: XmlElement; empty: boolean } {
  const offset = r.pos;
  r.pos++; // '<'
  const name = r.name();
  const attrs = new Map<string, string>();
  for (;;) {
    const spaced = r.skipSpace();
    if (r.startsWith('/>')) {
      r.pos += 2;
      return { el: { name, attrs, children: [], offset }, empty: true };
    }
    if (r.startsWith('>')) {
      r.pos += 1;
      return { el: { name, attrs, children: [], offset }, empty: false };
    }
    if (r.eof()) r.fail(`unterminated start tag <${name}>`, offset);
    if (!spaced) r.fail('expected whitespace before an attribute');
    const at = r.pos;
    const attr = r.name();
    r.skipSpace();
    r.expect('=', `'=' after attribute ${attr}`);
    r.skipSpace();
    if (attrs.has(attr)) r.fail(`duplicate attribute '${attr}'`, at);
    attrs.set(attr, r.attrValue());
  }
}

/**
 * The item limits of a KMIP document. Elements may go one level deeper and be
 * one more than items, for a wrapper element (<KMIP>) that is not an item;
 * the errors still name the item limits, and the KMIP layer (text/tree.ts)
 * holds the items to them exactly.
 */
export interface XmlLimits {
  maxDepth: number;
  maxItems: number;
}

/**
 * Parse a whole document. Throws KmipTextError('SYNTAX' | 'TOO_DEEP' |
 * 'TOO_MANY_ITEMS') with a line and column. With `sequence`, several top-level
 * elements may follow one another (a stream of messages, as `keyhold ttlv
 * decode` prints them).
 */
export function parseXmlDocument(input: string, limits: XmlLimits, sequence = false): XmlDocument {
  // XML §2.11: every CR LF and lone CR is read as LF. A BOM may precede the document.
  const src = input.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const r = new Reader(src);
  const badChar = NOT_XML_CHAR.exec(src);
  if (badChar) r.fail(`character U+${badChar[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML`, badChar.index);
  xmlDeclaration(r);
  while (r.misc());
  if (r.eof()) r.fail('the document has no root element');
  const roots: XmlElement[] = [];
  do {
    if (!r.startsWith('<')) r.fail('text is not allowed outside the root element');
    if (r.startsWith('</')) r.fail('an end tag with no open element: only comments and whitespace may follow the root element');
    roots.push(element(r, limits));
    while (r.misc());
  } while (sequence && !r.eof());
  if (!r.eof()) r.fail('only comments and whitespace may follow the root element');
  return { root: roots[0]!, roots, locate: (o) => r.locate(o) };
}

/** Read one element and everything inside it; r is at its '<'. */
function element(r: Reader, limits: XmlLimits): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  for (;;) {
    // Inside an element (or at the root position when the stack is empty).
    if (r.startsWith('</')) {
      const at = r.pos;
      r.pos += 2;
      const name = r.name();
      r.skipSpace();
      r.expect('>', `'>' to close </${name}`);
      const open = stack.pop();
      if (open === undefined || open.name !== name) r.fail(`</${name}> does not close <${open?.name ?? ''}>`, at);
      if (stack.length === 0) break;
      continue;
    }
    if (r.startsWith('<') && !r.startsWith('<!') && !r.startsWith('<?')) {
      const { el, empty } = startTag(r);
      if (++r.elements > limits.maxItems + 1) {
        throw new KmipTextError('TOO_MANY_ITEMS', `more than ${limits.maxItems} items`, '', r.locate(el.offset));
      }
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else root = el;
      if (empty) {
        if (stack.length === 0) break;
      } else {
        if (stack.length > limits.maxDepth) {
          throw new KmipTextError('TOO_DEEP', `structures nest deeper than ${limits.maxDepth} levels`, '', r.locate(el.offset));
        }
        stack.push(el);
      }
      continue;
    }
    if (r.misc()) continue;
    if (r.eof()) r.fail(`<${stack[stack.length - 1]!.name}> is not closed`, stack[stack.length - 1]!.offset);
    // Character data.
    const el = stack[stack.length - 1]!;
    const start = r.pos;
    for (;;) {
      PLAIN_TEXT.lastIndex = r.pos;
      PLAIN_TEXT.test(r.src);
      r.pos = PLAIN_TEXT.lastIndex;
      if (r.eof() || r.src[r.pos] === '<') break;
      if (r.src[r.pos] === '&') {
        r.reference();
        continue;
      }
      if (r.startsWith(']]>')) r.fail("']]>' is not allowed in character data");
      r.pos++;
    }
    if (el.textAt === undefined) el.textAt = start;
  }
  return root!;
}
