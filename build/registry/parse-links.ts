// Which enumeration (or mask) names the values of a tag. Two kinds of rows say so:
//  - object and attribute tables: the tag's name cell(s), then an encoding cell
//    such as "Enumeration", "Enumeration, see 9.1.3.2.16" or "Enumeration (Item Type)";
//  - the 1.4 Tag Cross-Reference (Appendix C): the tag's name cell(s), then the
//    sections defining it, e.g. "6.13, 9.1.3.2.30" or "3.19, 9.1.3.3.1" (a mask).

import { normalizeName } from '../../shared/kmip/registry/normalize.js';
import type { ParsedEnum } from './parse-enums.js';

export interface LinkEvidence {
  /** Normalized tag name. */
  tag: string;
  /** Normalized enumeration name, or undefined when the row names none and no same-named enumeration exists. */
  enumeration: string | undefined;
  /** The encoding cell, for diagnostics. */
  cell: string;
}

/** An encoding cell; a table-of-contents line ("Enumeration. 182") is no cell. */
const ENCODING_CELL = /^Enumeration\b(?!s)(?!\.\s*\d+$)(.*)$/;
const SECTION_REF = /\bsee\s*((?:9\.1\.3\.2|1[12])\.\d+)/;
/** A "Defined" cell of the Tag Cross-Reference: section numbers, comma-separated. */
const DEFINED_CELL = /^\d+(?:\.\d+)*(?:\s*,\s*\d+(?:\.\d+)*)*$/;
const ENUM_SECTION = /\b9\.1\.3\.[23]\.\d+\b/;
const NAMED = /^\s*\((.+)\)\s*$/;

export function findEnumerationLinks(
  lines: readonly string[],
  tagNames: ReadonlySet<string>,
  enums: readonly ParsedEnum[],
): LinkEvidence[] {
  const bySection = new Map(enums.map((e) => [e.section, normalizeName(e.specName)]));
  const enumNames = new Set(enums.map((e) => normalizeName(e.specName)));
  const found: LinkEvidence[] = [];
  // The tag's name may be wrapped over up to three cells ("Recommended" / "Curve").
  const tagBefore = (i: number): string | undefined => {
    let tag: string | undefined;
    for (let k = 1; k <= 3 && i - k >= 0; k++) {
      const candidate = normalizeName(lines.slice(i - k, i).join(' '));
      if (tagNames.has(candidate)) tag = candidate;
    }
    return tag;
  };
  for (let i = 1; i < lines.length; i++) {
    if (DEFINED_CELL.test(lines[i]!)) {
      const ref = ENUM_SECTION.exec(lines[i]!)?.[0];
      const tag = ref === undefined ? undefined : tagBefore(i);
      if (tag !== undefined) found.push({ tag, enumeration: bySection.get(ref!), cell: lines[i]! });
      continue;
    }
    const m = ENCODING_CELL.exec(lines[i]!);
    if (m === null) continue;
    const tag = tagBefore(i);
    if (tag === undefined) continue;
    const rest = `${m[1]} ${lines[i + 1] ?? ''}`;
    const ref = SECTION_REF.exec(rest)?.[1];
    const named = NAMED.exec(m[1]!)?.[1];
    let enumeration: string | undefined;
    if (ref !== undefined) enumeration = bySection.get(ref);
    else if (named !== undefined) enumeration = normalizeName(named);
    else if (enumNames.has(tag)) enumeration = tag;
    found.push({ tag, enumeration, cell: lines[i]! });
  }
  return found;
}
