// The shape both text encodings share: an item is a tag, an optional name, a
// type (default Structure) and either a value or sub-items (§4.1.6, §6.1.6).
// XML and JSON each only map their syntax to and from TextItem; everything
// KMIP (tags, types, values, names from context, limits) happens here once.
import { KMIP_VERSIONS, tagName, tagValue, type KmipVersion } from '../registry/index.js';
import { DEFAULT_LIMITS, resolveLimits, type TtlvLimits } from '../ttlv/limits.js';
import { ItemType, isExtensionTag, tagHex, type ItemTypeName, type TtlvItem } from '../ttlv/types.js';
import { valueNames } from './context.js';
import { KmipTextError } from './errors.js';
import { formatValue } from './format-value.js';
import { parseValue } from './parse-value.js';
import type { Dialect, FormatOptions, RawValue, ScalarType } from './values.js';

export interface TextItem {
  /** Tag as written: a normalized tag name or "0x" + 6 hex digits. */
  tag: string;
  /** Informative name that may accompany a hex tag (XML TTLV element, JSON "name"). */
  name?: string;
  /** Type name as written; absent means Structure. */
  type?: string;
  /** The value of a non-Structure item (absent when the text gave none). */
  value?: RawValue;
  /** Sub-items, when the text gave any (XML child elements, a JSON array). */
  children?: TextItem[];
  /** Where the item starts: 'line 3, column 5' or a JSON pointer. */
  location?: string;
}

/**
 * Limits (shared/kmip/ttlv/limits.ts, same defaults as for TTLV: 4 MiB, depth
 * 32, 100,000 items) bound the work one input can cause; exceeding one is a
 * KmipTextError TOO_LARGE, TOO_DEEP or TOO_MANY_ITEMS. A value that is not a
 * positive whole number is a RangeError, as for TTLV.
 */
export interface TextDecodeOptions extends Partial<TtlvLimits> {
  /**
   * Published names of extension tags (§4.1.2: "names of Extension tags"),
   * e.g. { WELL_KNOWN_EXTENSION: 0x545352 }: accepted wherever a tag name is,
   * and printed as the name beside the hex tag on output.
   */
  extensionTags?: Readonly<Record<string, number>>;
  /**
   * Called with each raw string value before it is parsed; return a
   * replacement or undefined to keep it. Test-case files use it to fill
   * placeholders such as $NOW in typed fields.
   */
  substitute?: (raw: string, type: ScalarType, path: string) => string | undefined;
  /**
   * Largest input: the UTF-8 byte length of the text (of the bytes, when
   * given bytes), checked before anything is parsed. JSON given as an
   * already-parsed value has no text to measure. Default 4 MiB, as for TTLV.
   */
  maxMessageSize?: number;
  /** Deepest structure nesting accepted; the outermost item is depth 1. Default 32, as for TTLV. */
  maxDepth?: number;
  /**
   * Most items accepted, structures included; for a document of several
   * messages, all of them together (an XML wrapper element such as <KMIP> is
   * not an item). Default 100,000, as for TTLV.
   */
  maxItems?: number;
}

export interface TextEncodeOptions extends Omit<FormatOptions, 'dialect'> {
  /** As in TextDecodeOptions: extension tags printed with this name beside the hex tag. */
  extensionTags?: Readonly<Record<string, number>>;
}

export const DEFAULT_MAX_DEPTH = DEFAULT_LIMITS.maxDepth;

/** The limits in force for a decode: the TTLV defaults, overridden by the options. */
export function textLimits(opts: TextDecodeOptions): TtlvLimits {
  return resolveLimits(opts);
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * UTF-8 length of a string, counting lone surrogates as the 3 bytes of the
 * U+FFFD they would become; stops counting once past `stopAbove`.
 */
export function utf8Length(text: string, stopAbove = Infinity): number {
  let n = text.length; // every UTF-16 code unit is at least one byte
  if (n > stopAbove) return n;
  const first = text.search(NON_ASCII); // a regex scan is far quicker than a loop over ASCII
  if (first < 0) return n;
  for (let i = first; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: 2 code units, 4 bytes
      i++;
    } else n += 2;
    if (n > stopAbove) return n;
  }
  return n;
}

/** TOO_LARGE unless the input (text: its UTF-8 length) is within maxMessageSize. Cheap: no copy, stops early. */
export function checkTextSize(input: string | Uint8Array, limits: TtlvLimits): void {
  const max = limits.maxMessageSize;
  if (typeof input !== 'string') {
    if (input.length > max) throw new KmipTextError('TOO_LARGE', `the input is ${input.length} bytes, over the limit of ${max}`);
    return;
  }
  // Each UTF-16 code unit is 1 to 3 bytes of UTF-8: count only when it matters.
  if (input.length * 3 <= max) return;
  if (utf8Length(input, max) > max) {
    throw new KmipTextError('TOO_LARGE', `the text is over the limit of ${max} bytes (UTF-8)`);
  }
}

/** Counts items against maxItems across one input (which may hold several messages). */
export class ItemBudget {
  private used = 0;
  constructor(readonly max: number) {}

  /** Count one more item; TOO_MANY_ITEMS past the limit. */
  take(path = '', location = ''): void {
    if (++this.used > this.max) throw new KmipTextError('TOO_MANY_ITEMS', `more than ${this.max} items`, path, location);
  }
}

const HEX_TAG = /^0x[0-9a-fA-F]{6}$/;

function isTypeName(text: string): text is ItemTypeName {
  return Object.prototype.hasOwnProperty.call(ItemType, text);
}

/** Tag text → tag value. */
export function resolveTag(text: string, opts: TextDecodeOptions): number {
  if (HEX_TAG.test(text)) {
    const tag = parseInt(text.slice(2), 16);
    // The same ranges the TTLV decoder accepts, so what one reads the other reads too.
    if (tag >>> 16 !== 0x42 && !isExtensionTag(tag)) {
      throw new KmipTextError('UNKNOWN_TAG', `tag ${text} is outside the KMIP (0x42xxxx) and extension (0x54xxxx) ranges`);
    }
    return tag;
  }
  if (/^0x/i.test(text)) throw new KmipTextError('UNKNOWN_TAG', `hex tag '${text}' must be "0x" followed by exactly 6 hex digits`);
  const known = tagValue(text);
  if (known !== undefined) return known;
  const ext = opts.extensionTags && Object.prototype.hasOwnProperty.call(opts.extensionTags, text) ? opts.extensionTags[text] : undefined;
  if (ext !== undefined) return ext;
  throw new KmipTextError('UNKNOWN_TAG', `unknown tag name '${text}' (unknown and extension tags are written in hex, e.g. 0x540001)`);
}

/** Tag value → { tag text, optional name }: the registry name, else hex (with a published extension name if given). */
export function tagText(tag: number, extensionTags?: Readonly<Record<string, number>>): { tag: string; name?: string } {
  const known = tagName(tag);
  if (known !== undefined) return { tag: known };
  if (extensionTags) {
    for (const [name, value] of Object.entries(extensionTags)) if (value === tag) return { tag: tagHex(tag), name };
  }
  return { tag: tagHex(tag) };
}

interface Conversion {
  dialect: Dialect;
  opts: TextDecodeOptions;
  maxDepth: number;
  budget: ItemBudget;
}

/**
 * TextItem → TtlvItem. `dialect` picks the value forms; errors carry the path
 * and location. Items count against `budget` when given (one budget for all
 * the messages of a document), else against a fresh one of opts.maxItems.
 */
export function fromTextItem(node: TextItem, dialect: Dialect, opts: TextDecodeOptions = {}, budget?: ItemBudget): TtlvItem {
  const limits = textLimits(opts);
  return convert(node, { dialect, opts, maxDepth: limits.maxDepth, budget: budget ?? new ItemBudget(limits.maxItems) }, '', [], 1);
}

function convert(node: TextItem, cx: Conversion, parentPath: string, siblings: readonly TtlvItem[], depth: number): TtlvItem {
  const { dialect, opts } = cx;
  const path = parentPath ? `${parentPath}/${node.tag}` : node.tag;
  const where = node.location ?? '';
  try {
    if (depth > cx.maxDepth) throw new KmipTextError('TOO_DEEP', `structures nest deeper than ${cx.maxDepth} levels`);
    cx.budget.take();
    const tag = resolveTag(node.tag, opts);
    if (node.name !== undefined) {
      // The name beside a hex tag is informative, but one that names another tag is a contradiction.
      let named: number | undefined;
      try {
        named = resolveTag(node.name, opts);
      } catch {
        named = undefined; // a name we do not know (a vendor's own) says nothing either way
      }
      if (named !== undefined && named !== tag) {
        throw new KmipTextError('BAD_ITEM', `name '${node.name}' is tag ${tagHex(named)}, not ${tagHex(tag)}`);
      }
    }
    const typeText = node.type ?? 'Structure';
    if (!isTypeName(typeText)) throw new KmipTextError('UNKNOWN_TYPE', `unknown type '${typeText}'`);
    if (typeText === 'Structure') {
      if (node.value !== undefined && node.value !== null) {
        throw new KmipTextError('BAD_ITEM', 'a Structure takes sub-items, not a value');
      }
      const children: TtlvItem[] = [];
      for (const child of node.children ?? []) children.push(convert(child, cx, path, children, depth + 1));
      return { tag, type: 'Structure', value: children };
    }
    if (node.children !== undefined && node.children.length > 0) {
      throw new KmipTextError('BAD_ITEM', `a ${typeText} item cannot have sub-items`);
    }
    if (node.value === undefined || (node.value === null)) throw new KmipTextError('BAD_ITEM', `a ${typeText} item needs a value`);
    let raw = node.value;
    if (typeof raw === 'string' && opts.substitute) raw = opts.substitute(raw, typeText, path) ?? raw;
    const value = parseValue(typeText, raw, valueNames(tag, typeText, siblings, siblings.length), dialect);
    return { tag, type: typeText, value } as TtlvItem;
  } catch (e) {
    if (e instanceof KmipTextError) throw e.at(path, where);
    throw e;
  }
}

const MESSAGE_HEADERS = new Map([
  [0x420078, 0x420077], // Request Message → Request Header
  [0x42007b, 0x42007a], // Response Message → Response Header
]);
const PROTOCOL_VERSION = 0x420069;
const PROTOCOL_VERSION_MAJOR = 0x42006a;
const PROTOCOL_VERSION_MINOR = 0x42006b;

function child(item: TtlvItem | undefined, tag: number): TtlvItem | undefined {
  return item?.type === 'Structure' ? item.value.find((c) => c.tag === tag) : undefined;
}

/** The protocol version a Request/Response Message declares in its header, if it is one we know. */
export function messageVersion(item: TtlvItem): KmipVersion | undefined {
  const headerTag = MESSAGE_HEADERS.get(item.tag);
  if (headerTag === undefined) return undefined;
  const pv = child(child(item, headerTag), PROTOCOL_VERSION);
  const major = child(pv, PROTOCOL_VERSION_MAJOR)?.value;
  const minor = child(pv, PROTOCOL_VERSION_MINOR)?.value;
  const v = `${String(major)}.${String(minor)}`;
  return (KMIP_VERSIONS as readonly string[]).includes(v) ? (v as KmipVersion) : undefined;
}

/**
 * TtlvItem → TextItem in the dialect's value forms. Enumeration and mask
 * names are those of the message's own protocol version (a few were renamed
 * in 2.0; a value that version lacks is printed as hex), unless opts.version
 * says otherwise.
 */
export function toTextItem(item: TtlvItem, dialect: Dialect, opts: TextEncodeOptions = {}): TextItem {
  const version = opts.version ?? messageVersion(item);
  return emit(item, { ...opts, dialect, ...(version === undefined ? {} : { version }) }, opts.extensionTags, '', [], 0);
}

function emit(
  item: TtlvItem,
  fmt: FormatOptions,
  ext: TextEncodeOptions['extensionTags'],
  parentPath: string,
  siblings: readonly TtlvItem[],
  index: number,
): TextItem {
  const t = tagText(item.tag, ext);
  const path = parentPath ? `${parentPath}/${t.tag}` : t.tag;
  const node: TextItem = { tag: t.tag };
  if (t.name !== undefined) node.name = t.name;
  if (item.type === 'Structure') {
    node.children = item.value.map((child, i) => emit(child, fmt, ext, path, item.value, i));
    return node;
  }
  node.type = item.type;
  try {
    node.value = formatValue(item, valueNames(item.tag, item.type, siblings, index), fmt);
  } catch (e) {
    if (e instanceof KmipTextError) throw e.at(path, '');
    throw e;
  }
  return node;
}
