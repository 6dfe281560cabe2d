// TtlvItem → KMIP JSON (Additional Message Encodings §4). Structures carry no
// "type" (it defaults to Structure), as in the OASIS JSON vectors. Numbers are
// JSON numbers where that is exact: Long Integers from 2^52 on, and all Big
// Integers (so that sign-extension bytes survive), are "0x" hex strings.
import type { TtlvItem } from '../ttlv/types.js';
import { toTextItem, type TextEncodeOptions, type TextItem } from '../text/tree.js';

export type JsonEncodeOptions = TextEncodeOptions;

/** A KMIP item as a JSON value (property order: tag, name, type, value). */
export interface KmipJsonObject {
  tag: string;
  name?: string;
  type?: string;
  value: string | number | boolean | KmipJsonObject[];
}

function toObject(node: TextItem): KmipJsonObject {
  const obj: Partial<KmipJsonObject> = { tag: node.tag };
  if (node.name !== undefined) obj.name = node.name;
  if (node.type !== undefined) obj.type = node.type;
  obj.value = node.children !== undefined ? node.children.map(toObject) : (node.value as string | number | boolean);
  return obj as KmipJsonObject;
}

export function toKmipJson(item: TtlvItem, opts: JsonEncodeOptions = {}): KmipJsonObject {
  return toObject(toTextItem(item, 'json', opts));
}

/** The JSON text on one line. */
export function toKmipJsonLine(item: TtlvItem, opts: JsonEncodeOptions = {}): string {
  return JSON.stringify(toKmipJson(item, opts));
}
