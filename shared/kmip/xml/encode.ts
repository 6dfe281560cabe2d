// TtlvItem → KMIP XML (Additional Message Encodings §6), laid out like the
// OASIS test files: one element per line, two-space indent, type before
// value, no type attribute on Structures. Tags the registry does not name
// (extension tags 0x54xxxx, tags of later versions) use the general form
// <TTLV tag="0x540001" type="…" value="…"/>, which any consumer can read.
import type { TtlvItem } from '../ttlv/types.js';
import { KmipTextError } from '../text/errors.js';
import { toTextItem, type TextEncodeOptions, type TextItem } from '../text/tree.js';
import { NOT_XML_CHAR } from './chars.js';

export interface XmlEncodeOptions extends TextEncodeOptions {
  /** One level of indentation; default two spaces. */
  indent?: string;
}

export interface XmlDocumentOptions extends XmlEncodeOptions {
  /** Wrapper element around the items; default 'KMIP', as in the OASIS files. */
  root?: string;
  /** Start with <?xml version="1.0" encoding="UTF-8"?>; default false. */
  declaration?: boolean;
}


function escapeAttr(value: string, path: string): string {
  const bad = NOT_XML_CHAR.exec(value);
  if (bad) {
    const cp = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new KmipTextError('UNREPRESENTABLE', `U+${cp} cannot be written in XML 1.0 (use the TTLV or JSON encoding)`, path);
  }
  // Tab, LF and CR become references: literal ones would be normalized to spaces by the reader.
  return value.replace(/[&<>"\t\n\r]/g, (c) => {
    switch (c) {
      case '&': return '&amp;';
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '"': return '&quot;';
      case '\t': return '&#9;';
      case '\n': return '&#10;';
      default: return '&#13;';
    }
  });
}

function writeNode(node: TextItem, depth: number, indent: string, path: string, out: string[]): void {
  const pad = indent.repeat(depth);
  const hexTag = node.tag.startsWith('0x');
  const elName = hexTag ? 'TTLV' : node.tag;
  const here = path ? `${path}/${node.tag}` : node.tag;
  let attrs = '';
  if (hexTag) attrs += ` tag="${node.tag}"`;
  if (hexTag && node.name !== undefined) attrs += ` name="${escapeAttr(node.name, here)}"`;
  if (node.type !== undefined) attrs += ` type="${node.type}"`;
  if (node.value !== undefined && node.value !== null) attrs += ` value="${escapeAttr(String(node.value), here)}"`;
  const children = node.children ?? [];
  if (children.length === 0) {
    out.push(`${pad}<${elName}${attrs}/>`);
    return;
  }
  out.push(`${pad}<${elName}${attrs}>`);
  for (const c of children) writeNode(c, depth + 1, indent, here, out);
  out.push(`${pad}</${elName}>`);
}

function lines(item: TtlvItem, depth: number, opts: XmlEncodeOptions, out: string[]): void {
  writeNode(toTextItem(item, 'xml', opts), depth, opts.indent ?? '  ', '', out);
}

/** One item as XML text, without a trailing newline. */
export function toKmipXml(item: TtlvItem, opts: XmlEncodeOptions = {}): string {
  const out: string[] = [];
  lines(item, 0, opts, out);
  return out.join('\n');
}

/** Several items (e.g. a request and its response) inside a wrapper element, ending with a newline. */
export function toKmipXmlDocument(items: readonly TtlvItem[], opts: XmlDocumentOptions = {}): string {
  const root = opts.root ?? 'KMIP';
  const out: string[] = [];
  if (opts.declaration) out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(`<${root}>`);
  for (const item of items) lines(item, 1, opts, out);
  out.push(`</${root}>`);
  return out.join('\n') + '\n';
}
