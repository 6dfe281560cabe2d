// Enumerations and bit masks: KMIP 1.4 §9.1.3.2 / §9.1.3.3, KMIP 2.1 §11 / §12.
//
// Each definition is a numbered section whose title ends in "Enumeration" or
// "Mask" (the title may wrap onto following lines), holding a value table
// whose header ends with the cells "Name", "Value", followed by
// (name cells, 8-hex-digit value cell) pairs and closed by an "Extensions" row.
// Some 2.x sections put a "Value / Description" table first; it has no hex
// cells and is skipped by starting at the "Name", "Value" header.

import { cleanSpecName, isReservedName, type SpecFamily } from './spec-text.js';
import { parseDeprecation } from './parse-tags.js';

export interface ParsedEnumValue {
  value: number;
  specName: string;
  deprecated?: { version: string | undefined };
  /** Names this edition prints for the value before spec-errata.tsv corrected it (edition.ts). */
  printedAs?: string[];
}

export interface ParsedEnum {
  /** Title with the trailing "Enumeration" dropped, e.g. 'Key Format Type', 'Cryptographic Usage Mask'. */
  specName: string;
  /** Section number, e.g. '9.1.3.2.3'; object tables refer to it ("Enumeration, see 9.1.3.2.3"). */
  section: string;
  kind: 'enumeration' | 'mask';
  values: ParsedEnumValue[];
}

interface Layout {
  /** Section heading: group 1 is the section number, group 2 tells enumeration from mask section, group 3 is the rest of the line. */
  heading: RegExp;
  maskGroup: string;
  /** Where the definitions start: cross-references elsewhere ("Enumeration, see 9.1.3.2.13") look like headings. */
  regionStart: (lines: readonly string[]) => number;
  /** The chapter heading after the last mask section. */
  regionEnd: RegExp;
}

/** 1.x: the enumerations follow the tag table (§9.1.3.1). */
const afterTagTable = (lines: readonly string[]): number => lines.findIndex((l) => /^000000\s*[-–]\s*420000$/.test(l));

/** 2.x: chapter "11 Enumerations" (the heading may be split after the number). */
const chapter11 = (lines: readonly string[]): number =>
  lines.findIndex((l, i) => l === '11 Enumerations' || (l === '11' && lines[i + 1] === 'Enumerations'));

// 1.x: §9.1.3.2.n enumerations, §9.1.3.3.n masks, then chapter 10 Transport.
// 2.x: §11.n enumerations, §12.n masks, then chapter 13.
const LAYOUTS: Record<SpecFamily, Layout> = {
  '1.x': {
    heading: /^(9\.1\.3\.([23])\.\d+)\b\s*(.*)$/,
    maskGroup: '3',
    regionStart: afterTagTable,
    regionEnd: /^10( Transport)?$/,
  },
  '2.x': { heading: /^((11|12)\.\d+)\b\s*(.*)$/, maskGroup: '12', regionStart: chapter11, regionEnd: /^13$/ },
};

/**
 * A complete title: "… Enumeration" (possibly followed by more words, as in
 * "Recommended Curve Enumeration for ECDSA, …") or "… Mask".
 */
const TITLE = /^(.*?)\s*(?:\bEnumeration\b.*|\bMask)$/;
/** A table-of-contents entry ends in a page number: "… Enumeration. 170". */
const TOC_ENTRY = /[A-Za-z)]\.\s*\d+$/;
const ENUM_VALUE = /^(?:0x)?([0-9A-F]{8})\s*(?:\((.*)\))?$/i;
/** A reserved range row, e.g. "(Reserved) 00000001-00000103" (2.1 Profile Name). */
const VALUE_RANGE = /^[0-9A-F]{8}\s*[-–]\s*[0-9A-F]{8}$/i;

/** The Tag Enumeration (2.x §11.56) is the tag table, read by parse-tags.ts. */
const NOT_AN_ENUM = new Set(['Tag']);

interface Section {
  number: string;
  title: string;
  kind: 'enumeration' | 'mask';
  /** First line after the heading, and the line after the section. */
  body: number;
  end: number;
}

function findSections(lines: readonly string[], layout: Layout): Section[] {
  const sections: Section[] = [];
  const start = layout.regionStart(lines);
  if (start < 0) throw new Error('enumerations chapter not found');
  for (let i = start; i < lines.length; i++) {
    if (sections.length > 0 && layout.regionEnd.test(lines[i]!)) {
      sections[sections.length - 1]!.end = i;
      break;
    }
    const m = layout.heading.exec(lines[i]!);
    if (m === null) continue;
    // The title may wrap onto the next lines, or start on the next line.
    let title = m[3]!;
    let j = i + 1;
    while (!TITLE.test(title) && j <= i + 3 && j < lines.length && !layout.heading.test(lines[j]!)) {
      title = `${title} ${lines[j++]}`.trim();
    }
    const t = TITLE.exec(title);
    if (t === null || lines.slice(i, j).some((l) => TOC_ENTRY.test(l))) continue;
    if (sections.length > 0) sections[sections.length - 1]!.end = i;
    sections.push({
      number: m[1]!,
      title: title.endsWith('Mask') ? title : t[1]!,
      kind: m[2] === layout.maskGroup ? 'mask' : 'enumeration',
      body: j,
      end: lines.length,
    });
    i = j - 1;
  }
  return sections;
}

function parseValues(lines: readonly string[], s: Section): ParsedEnumValue[] {
  let i = s.body;
  while (i + 1 < s.end && !(lines[i] === 'Name' && lines[i + 1] === 'Value')) i++;
  if (i + 1 >= s.end) return []; // no value table (e.g. PKCS#11 Function: values come from PKCS#11)
  const values: ParsedEnumValue[] = [];
  let name: string[] = [];
  for (i += 2; i < s.end; i++) {
    const line = lines[i]!;
    if (line === 'Extensions' || /^Table\b/.test(line)) break;
    if (VALUE_RANGE.test(line)) {
      name = [];
      continue;
    }
    const m = ENUM_VALUE.exec(line);
    if (m === null) {
      name.push(line);
      continue;
    }
    const specName = cleanSpecName(name);
    name = [];
    if (specName === '') throw new Error(`${s.title}: value ${m[1]} has no name`);
    if (isReservedName(specName)) continue;
    const value = parseInt(m[1]!, 16);
    // Every table lists its values in ascending order; anything else is a misread.
    const last = values[values.length - 1];
    if (last !== undefined && value <= last.value) throw new Error(`${s.title}: value ${m[1]} after ${last.value.toString(16)}`);
    const deprecated = parseDeprecation(m[2]);
    values.push({ value, specName, ...(deprecated ? { deprecated } : {}) });
  }
  return values;
}

export function parseEnumerations(lines: readonly string[], family: SpecFamily): ParsedEnum[] {
  return findSections(lines, LAYOUTS[family])
    .filter((s) => !NOT_AN_ENUM.has(s.title))
    .map((s) => ({ specName: s.title, section: s.number, kind: s.kind, values: parseValues(lines, s) }));
}
