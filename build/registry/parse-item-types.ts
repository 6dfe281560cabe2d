// Item Types. KMIP 1.x lists them in §9.1.1.2 "Allowed Item Type Values"
// (Data Type / Coded Value in Hex); 2.x defines them as the Item Type
// Enumeration (§11.23), which parse-enums.ts reads.

import { cleanSpecName } from './spec-text.js';
import type { ParsedEnum } from './parse-enums.js';

export interface ParsedItemType {
  value: number;
  specName: string;
}

/** 1.x: the pairs after the "Coded Value in Hex" header, up to the table caption. */
export function parseItemTypeTable(lines: readonly string[]): ParsedItemType[] {
  const start = lines.indexOf('Coded Value in Hex');
  if (start < 0) throw new Error('Item Type table not found (no "Coded Value in Hex" header)');
  const types: ParsedItemType[] = [];
  let name: string[] = [];
  for (let i = start + 1; i < lines.length && !/^Table\b/.test(lines[i]!); i++) {
    const m = /^([0-9A-F]{2})$/i.exec(lines[i]!);
    if (m === null) {
      name.push(lines[i]!);
      continue;
    }
    types.push({ value: parseInt(m[1]!, 16), specName: cleanSpecName(name) });
    name = [];
  }
  return types;
}

/** 2.x: the values of the Item Type Enumeration. */
export function itemTypesFromEnumeration(enums: readonly ParsedEnum[]): ParsedItemType[] {
  const e = enums.find((x) => x.specName === 'Item Type');
  if (e === undefined) throw new Error('Item Type Enumeration not found');
  return e.values.map((v) => ({ value: v.value, specName: v.specName }));
}
