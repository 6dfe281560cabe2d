// KMIP JSON (Additional Message Encodings §4) → TtlvItem. Each item is an
// object with "tag", optional "name", "type" (default Structure) and "value":
// an array of sub-items (or null) for a Structure, a string, number or
// boolean otherwise (§4.1.6).
import type { TtlvItem } from '../ttlv/types.js';
import { KmipTextError } from '../text/errors.js';
import { ItemBudget, checkTextSize, fromTextItem, textLimits, type TextDecodeOptions, type TextItem } from '../text/tree.js';

export type JsonDecodeOptions = TextDecodeOptions;

const KEYS = new Set(['tag', 'name', 'type', 'value']);

function toTextItem(obj: unknown, pointer: string, parentPath: string, depth: number, maxDepth: number, budget: ItemBudget): TextItem {
  const location = pointer || '/';
  const at = (detail: string, path = parentPath): never => {
    throw new KmipTextError('BAD_ITEM', detail, path, location);
  };
  if (depth > maxDepth) throw new KmipTextError('TOO_DEEP', `structures nest deeper than ${maxDepth} levels`, parentPath, location);
  budget.take(parentPath, location);
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return at('a KMIP item must be a JSON object');
  const rec = obj as Record<string, unknown>;
  const tag = rec.tag;
  if (typeof tag !== 'string') return at('a KMIP item needs a string "tag"');
  const path = parentPath ? `${parentPath}/${tag}` : tag;
  for (const key of Object.keys(rec)) if (!KEYS.has(key)) at(`unexpected property "${key}"`, path);
  const node: TextItem = { tag, location };
  if (rec.name !== undefined) {
    if (typeof rec.name !== 'string') at('"name" must be a string', path);
    node.name = rec.name as string;
  }
  if (rec.type !== undefined) {
    if (typeof rec.type !== 'string') at('"type" must be a string', path);
    node.type = rec.type as string;
  }
  const value = rec.value;
  if (Array.isArray(value)) {
    node.children = value.map((child, i) => toTextItem(child, `${pointer}/value/${i}`, path, depth + 1, maxDepth, budget));
  } else if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    node.value = value;
  } else if (value !== undefined) {
    at('"value" must be an array of items, a string, a number, a boolean or null', path);
  }
  return node;
}

/**
 * Parse one KMIP item from JSON text, or from an already-parsed JSON value.
 * Note that JSON.parse rounds numbers past 2^53; such numbers are refused
 * where a 64-bit value was meant (§4.1.6.5 wants hex strings for them).
 * Text longer than opts.maxMessageSize (UTF-8 bytes) is refused before
 * JSON.parse sees it; depth and item count are checked on either input.
 */
export function parseKmipJson(input: unknown, opts: JsonDecodeOptions = {}): TtlvItem {
  const limits = textLimits(opts);
  let obj: unknown = input;
  if (typeof input === 'string') {
    checkTextSize(input, limits);
    try {
      obj = JSON.parse(input);
    } catch (e) {
      throw new KmipTextError('SYNTAX', `not valid JSON: ${(e as Error).message}`);
    }
  }
  const root = toTextItem(obj, '', '', 1, limits.maxDepth, new ItemBudget(limits.maxItems));
  return fromTextItem(root, 'json', opts);
}

