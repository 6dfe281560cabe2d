// The hand-kept data tables beside the generator (build/registry/*.tsv):
// facts the 1.4 and 2.1 texts alone do not give. Each file says in its
// header where its facts come from.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DATA_DIR = dirname(fileURLToPath(import.meta.url));

/** Rows of a tab-separated file; '#' lines are comments. Checks the column count. */
export function readTsv(file: string, columns: number): string[][] {
  const rows: string[][] = [];
  readFileSync(join(DATA_DIR, file), 'utf8')
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (line.trim() === '' || line.startsWith('#')) return;
      const cells = line.split('\t');
      if (cells.length !== columns) throw new Error(`${file}:${i + 1}: expected ${columns} columns, got ${cells.length}`);
      rows.push(cells);
    });
  return rows;
}

export function parseHex(cell: string, where: string): number {
  if (!/^0x[0-9A-F]+$/i.test(cell)) throw new Error(`${where}: bad hex value '${cell}'`);
  return parseInt(cell.slice(2), 16);
}

/** A value name the spec misprints (spec-errata.tsv). */
export interface SpecErratum {
  editions: string[];
  enumeration: string;
  value: number;
  printed: string;
  corrected: string;
}

export function loadErrata(): SpecErratum[] {
  return readTsv('spec-errata.tsv', 6).map(([editions, enumeration, value, printed, corrected]) => ({
    editions: editions!.split(','),
    enumeration: enumeration!,
    value: parseHex(value!, 'spec-errata.tsv'),
    printed: printed!,
    corrected: corrected!,
  }));
}

/** Tag name → enumeration name, or null for "not an enumeration" (tag-enumerations.tsv). */
export function loadTagEnumerations(): Map<string, string | null> {
  return new Map(readTsv('tag-enumerations.tsv', 3).map(([tag, e]) => [tag!, e === '-' ? null : e!]));
}

export type ItemKind = 'tag' | 'enum' | 'value' | 'itemType';

/** Identity of a registry item across editions: kind, enumeration (values only), value, normalized name. */
export function itemKey(kind: ItemKind, enumeration: string, value: number | undefined, name: string): string {
  return [kind, enumeration, value === undefined ? '-' : value.toString(16), name].join('|');
}

export interface VersionFacts {
  introduced?: string;
  deprecated?: string;
}

/** versions.tsv: first version defining an item, and where the 1.4 text says only "(deprecated)", since when. */
export function loadVersionFacts(): Map<string, VersionFacts> {
  const facts = new Map<string, VersionFacts>();
  for (const [kind, enumeration, value, name, introduced, deprecated] of readTsv('versions.tsv', 6)) {
    const key = itemKey(kind as ItemKind, enumeration!, value === '-' ? undefined : parseHex(value!, 'versions.tsv'), name!);
    if (facts.has(key)) throw new Error(`versions.tsv: duplicate row ${key}`);
    facts.set(key, {
      ...(introduced !== '-' ? { introduced } : {}),
      ...(deprecated !== '-' ? { deprecated } : {}),
    });
  }
  return facts;
}
