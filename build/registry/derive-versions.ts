// Derives build/registry/versions.tsv from all seven KMIP specification
// editions (1.0, 1.1, 1.2, 1.3, 1.4, 2.0, 2.1). The generator reads only the
// 1.4 and 2.1 texts; this records what the others add: the version that
// introduced each item, and when a bare "(deprecated)" note first appeared.
//
//   node --import tsx build/registry/derive-versions.ts --spec-dir DIR > build/registry/versions.tsv
//
// DIR holds the OASIS editions as text (kmip-spec-v1.1-os.txt, …) or as the
// HTML published on docs.oasis-open.org (kmip-spec-1.0-os.html,
// kmip-spec-v1.1-os.html, …). Not run by the build or tests: the TSV is the
// committed result.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeName } from '../../shared/kmip/registry/normalize.js';
import { KMIP_VERSIONS } from '../../shared/kmip/registry/types.js';
import { itemKey, loadErrata, type ItemKind } from './data.js';
import { parseEdition, type Edition } from './edition.js';
import { decodeHtml, htmlToText } from './html-text.js';
import { familyOf, specLines } from './spec-text.js';

function readEdition(dir: string, version: string): string[] {
  for (const base of [`kmip-spec-v${version}-os`, `kmip-spec-${version}-os`]) {
    if (existsSync(join(dir, `${base}.txt`))) return specLines(readFileSync(join(dir, `${base}.txt`), 'utf8'));
    if (existsSync(join(dir, `${base}.html`))) return specLines(htmlToText(decodeHtml(readFileSync(join(dir, `${base}.html`)))));
  }
  throw new Error(`no KMIP ${version} edition in ${dir}`);
}

interface Seen {
  kind: ItemKind;
  enumeration: string;
  value: number | undefined;
  name: string;
  versions: string[];
  /** Versions whose text marks the item deprecated, with the version the note names (if any). */
  deprecated: { in: string; says: string | undefined }[];
}

function collect(editions: readonly Edition[]): Map<string, Seen> {
  const seen = new Map<string, Seen>();
  const note = (
    kind: ItemKind,
    enumeration: string,
    value: number | undefined,
    name: string,
    version: string,
    dep?: { version: string | undefined },
  ) => {
    const k = itemKey(kind, enumeration, value, name);
    const s = seen.get(k) ?? { kind, enumeration, value, name, versions: [], deprecated: [] };
    s.versions.push(version);
    if (dep) s.deprecated.push({ in: version, says: dep.version });
    seen.set(k, s);
  };
  for (const ed of editions) {
    for (const t of ed.tags) note('tag', '-', t.value, normalizeName(t.specName), ed.version, t.deprecated);
    for (const e of ed.enums) {
      const en = normalizeName(e.specName);
      note('enum', en, undefined, '-', ed.version);
      for (const v of e.values) note('value', en, v.value, normalizeName(v.specName), ed.version, v.deprecated);
    }
    for (const t of ed.itemTypes) note('itemType', '-', t.value, normalizeName(t.specName), ed.version);
  }
  return seen;
}

/** The versions model.ts gives an item introduced in `intro` that is (or is not) in the 1.4 and 2.1 texts. */
function modelVersions(intro: string, in14: boolean, in21: boolean): string[] {
  const i = KMIP_VERSIONS.indexOf(intro as (typeof KMIP_VERSIONS)[number]);
  return KMIP_VERSIONS.filter((v, j) => j >= i && (v.startsWith('1.') ? in14 : in21));
}

function main(): void {
  const args = process.argv.slice(2);
  const at = args.indexOf('--spec-dir');
  if (at < 0 || args[at + 1] === undefined) throw new Error('usage: derive-versions.ts --spec-dir DIR');
  const dir = args[at + 1]!;
  const errata = loadErrata();
  const editions = KMIP_VERSIONS.map((v) => parseEdition(v, familyOf(v), readEdition(dir, v), errata));

  const rows: string[] = [];
  const problems: string[] = [];
  for (const s of collect(editions).values()) {
    const in14 = s.versions.includes('1.4');
    const in21 = s.versions.includes('2.1');
    const intro = s.versions[0]!;
    if (modelVersions(intro, in14, in21).join() !== s.versions.join()) {
      problems.push(`${s.kind} ${s.enumeration} ${s.name}: in ${s.versions.join(' ')}, which versions.tsv cannot express`);
      continue;
    }
    // Only a bare "(deprecated)" in the 1.4 text needs a version from here.
    const note14 = s.deprecated.find((d) => d.in === '1.4');
    const deprecated = note14 !== undefined && note14.says === undefined ? s.deprecated[0]!.in : '-';
    if (note14?.says !== undefined && note14.says !== s.deprecated[0]!.in) {
      problems.push(`${s.kind} ${s.name}: 1.4 says deprecated as of ${note14.says}, first marked in ${s.deprecated[0]!.in}`);
    }
    const defaultIntro = in14 ? '1.0' : '2.0';
    if (intro === defaultIntro && deprecated === '-') continue;
    const value = s.value === undefined ? '-' : `0x${s.value.toString(16).toUpperCase().padStart(s.kind === 'tag' ? 6 : s.kind === 'itemType' ? 2 : 8, '0')}`;
    rows.push([s.kind, s.enumeration, value, s.name, intro, deprecated].join('\t'));
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  const kindOrder = ['itemType', 'tag', 'enum', 'value'];
  rows.sort((a, b) => {
    const [ka, ea, va] = a.split('\t');
    const [kb, eb, vb] = b.split('\t');
    return kindOrder.indexOf(ka!) - kindOrder.indexOf(kb!) || ea!.localeCompare(eb!) || va!.localeCompare(vb!) || a.localeCompare(b);
  });
  process.stdout.write(
    [
      '# KMIP versions of registry items, where the 1.4 and 2.1 texts alone do not tell them.',
      '#',
      '# Source: the OASIS KMIP Specification editions 1.0 (OASIS Standard, 1 Oct 2010),',
      '# 1.1 (24 Jan 2013), 1.2 (19 May 2015), 1.3 (27 Dec 2016), 1.4 (22 Nov 2017),',
      '# 2.0 and 2.1, docs.oasis-open.org/kmip/spec/…/kmip-spec-v*-os.html, read from the',
      '# copies in github.com/Cosmian/kmip (v1.0/ … v2.1/). Written by',
      '# build/registry/derive-versions.ts, which parses every edition with the',
      "# generator's own parsers. Cross-checked against the \"# KMIP 1.x\" groupings",
      '# of PyKMIP 0.10 (kmip/core/enums.py, Debian python3-pykmip); they agree except',
      '# Result Reason 0x12-0x18 (PyKMIP: 1.0; the spec tables: 1.1, 1.2, 1.4) and',
      '# Profile Name 0x118-0x11B (PyKMIP: Suite B profiles of 2.0; the 2.0 and 2.1',
      '# tables: Reserved). The spec editions are taken as authoritative.',
      '#',
      '# introduced: first edition whose tables define the item. Without a row, an item',
      '# of the 1.4 text was introduced in 1.0, one only in the 2.1 text in 2.0.',
      '# deprecated: first edition marking it "(deprecated)", for items the 1.4 text',
      '# marks so without naming the version.',
      '# Keys: kind, enumeration (or -), value (or -), normalized name (or -).',
      '#',
      '# kind\tenumeration\tvalue\tname\tintroduced\tdeprecated',
      ...rows,
      '',
    ].join('\n'),
  );
}

main();
