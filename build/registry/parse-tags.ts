// The tag table: KMIP 1.4 §9.1.3.1 "Tag Values", KMIP 2.1 §11.56 "Tag Enumeration".
// Both are a run of (name cells, value cell) pairs starting after the
// "(Unused) 000000 - 420000" row; a value cell may carry a note such as
// "420014 (deprecated as of version 1.1)".

import { cleanSpecName, isReservedName } from './spec-text.js';

export interface ParsedTag {
  value: number;
  specName: string;
  /** Present when the table marks the tag deprecated; version is undefined for a bare "(deprecated)". */
  deprecated?: { version: string | undefined };
}

const TABLE_START = /^000000\s*[-–]\s*420000$/;
const TAG_VALUE = /^(?:0x)?(42[0-9A-F]{4})\s*(?:\((.*)\))?$/i;
/** A reserved or unused range row, e.g. "420125 – 42FFFF", "420XXX – 42FFFF". */
const RANGE = /^[0-9A-FX]{6}\s*[-–]\s*[0-9A-F]{6}$/i;

export function parseDeprecation(note: string | undefined): { version: string | undefined } | undefined {
  if (note === undefined || !/deprecated/i.test(note)) return undefined;
  const m = /version\s+(\d+\.\d+)/i.exec(note);
  return { version: m?.[1] };
}

export function parseTagTable(lines: readonly string[]): ParsedTag[] {
  const start = lines.findIndex((l) => TABLE_START.test(l));
  if (start < 0) throw new Error('tag table not found (no "000000 - 420000" row)');
  const tags: ParsedTag[] = [];
  let name: string[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === 'Extensions') break; // the "Extensions 540000 – 54FFFF" row ends the defined tags
    if (RANGE.test(line)) {
      name = [];
      continue;
    }
    const m = TAG_VALUE.exec(line);
    if (m === null) {
      name.push(line);
      continue;
    }
    const specName = cleanSpecName(name);
    name = [];
    if (specName === '') throw new Error(`tag ${m[1]} has no name (line ${i})`);
    if (isReservedName(specName)) continue;
    const value = parseInt(m[1]!, 16);
    // The table is in ascending order; anything else is a misread.
    const last = tags[tags.length - 1];
    if (last !== undefined && value <= last.value) throw new Error(`tag ${m[1]} after ${last.value.toString(16)}`);
    const deprecated = parseDeprecation(m[2]);
    tags.push({ value, specName, ...(deprecated ? { deprecated } : {}) });
  }
  return tags;
}
