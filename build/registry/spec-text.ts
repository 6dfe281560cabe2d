// Reading the KMIP specification texts (kmip-spec-v1.4-os.txt, kmip-spec-v2.1-os.txt).
//
// The texts are the OASIS HTML editions flattened to one line per paragraph or
// table cell, with the source's own line breaks kept. So a cell may span lines
// ('Authenticated' / 'Encryption Additional Data'), and a table is a flat run
// of cells. Every parser here works on trimmed, non-empty lines.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The spec text editions the generator reads; older ones are covered by data (see versions.ts). */
export const SPEC_FILES = {
  '1.4': 'kmip-spec-v1.4-os.txt',
  '2.1': 'kmip-spec-v2.1-os.txt',
} as const;

export type SpecEdition = keyof typeof SPEC_FILES;

/** Editions of one family share a layout: 1.x numbers enumerations §9.1.3.2, 2.x §11. */
export type SpecFamily = '1.x' | '2.x';

export function familyOf(version: string): SpecFamily {
  return version.startsWith('1.') ? '1.x' : '2.x';
}

/** Trimmed, non-empty lines; non-breaking spaces and runs of blanks become one space. */
export function specLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/[\s\u00a0]+/g, ' ').trim())
    .filter((l) => l.length > 0);
}

export function readSpec(specDir: string, edition: SpecEdition): string[] {
  return specLines(readFileSync(join(specDir, SPEC_FILES[edition]), 'utf8'));
}

/** A cell that names a reserved slot rather than a defined item. */
export function isReservedName(name: string): boolean {
  return /^\(?\s*reserved\s*\)?$/i.test(name);
}

/** Spec name as printed, with the cell's line breaks and stray spaces removed. */
export function cleanSpecName(parts: readonly string[]): string {
  return parts.join(' ').replace(/\s+/g, ' ').trim();
}
