// One spec edition, parsed: its tags, enumerations, item types and the
// tag → enumeration rows of its tables, with spec misprints corrected.

import { normalizeName } from '../../shared/kmip/registry/normalize.js';
import type { SpecErratum } from './data.js';
import { parseEnumerations, type ParsedEnum } from './parse-enums.js';
import { itemTypesFromEnumeration, parseItemTypeTable, type ParsedItemType } from './parse-item-types.js';
import { findEnumerationLinks, type LinkEvidence } from './parse-links.js';
import { parseTagTable, type ParsedTag } from './parse-tags.js';
import type { SpecFamily } from './spec-text.js';

export interface Edition {
  version: string;
  tags: ParsedTag[];
  enums: ParsedEnum[];
  itemTypes: ParsedItemType[];
  links: LinkEvidence[];
}

export function parseEdition(version: string, family: SpecFamily, lines: readonly string[], errata: readonly SpecErratum[]): Edition {
  const tags = parseTagTable(lines);
  const enums = parseEnumerations(lines, family);
  for (const fix of errata) applyErratum(version, enums, fix);
  const itemTypes = family === '1.x' ? parseItemTypeTable(lines) : itemTypesFromEnumeration(enums);
  const tagNames = new Set(tags.map((t) => normalizeName(t.specName)));
  return { version, tags, enums, itemTypes, links: findEnumerationLinks(lines, tagNames, enums) };
}

function applyErratum(version: string, enums: readonly ParsedEnum[], fix: SpecErratum): void {
  if (!fix.editions.includes(version)) return;
  const e = enums.find((x) => normalizeName(x.specName) === fix.enumeration);
  const v = e?.values.find((x) => x.value === fix.value && normalizeName(x.specName) === normalizeName(fix.printed));
  if (v === undefined) {
    throw new Error(`spec erratum no longer applies to ${version}: ${fix.enumeration} ${fix.value} '${fix.printed}'`);
  }
  // The printed name stays readable: a peer that follows the spec text literally sends it.
  v.printedAs = [...(v.printedAs ?? []), fix.printed];
  v.specName = fix.corrected;
}
