// Merge the 1.4 and 2.1 editions and the data tables into the registry:
// one entry per (value, name) with the versions that define it.
//
// Versions: an item in the 1.4 text applies to 1.x from the version that
// introduced it (versions.tsv, else 1.0) through 1.4; an item in the 2.1 text
// applies to 2.x from 2.0 (or its introduction, if later) through 2.1. So an
// item removed in 2.0 (marked Reserved in 2.x) is 1.x only, and a value that
// was renamed (e.g. Digital Signature Algorithm 1) is two entries.
//
// Two 2.x enumerations list no values but refer to PKCS#11 v3.0 (§11.38
// PKCS#11 Function, §11.39 PKCS#11 Return Code); their values come from data
// tables (pkcs11.ts) and have the enumeration's versions.

import { normalizeName } from '../../shared/kmip/registry/normalize.js';
import { KMIP_VERSIONS, type EnumDef, type EnumValueDef, type ItemTypeDef, type KmipVersion, type TagDef } from '../../shared/kmip/registry/types.js';
import { itemKey, type ItemKind, type VersionFacts } from './data.js';
import type { Edition } from './edition.js';
import type { LinkEvidence } from './parse-links.js';
import type { ExternalValue } from './pkcs11.js';

export interface Registry {
  tags: TagDef[];
  enums: EnumDef[];
  itemTypes: ItemTypeDef[];
}

/**
 * Enumerations the registry derives rather than parses: the Tag Enumeration
 * (2.x §11.56) is the tag table itself; shared/kmip/registry/index.ts builds it from TAGS.
 */
export const DERIVED_ENUMERATIONS = new Set(['Tag']);

export interface RegistryInput {
  v14: Edition;
  v21: Edition;
  facts: ReadonlyMap<string, VersionFacts>;
  tagEnumerations: ReadonlyMap<string, string | null>;
  /** Enumerations whose values another standard defines (the spec text lists none): name → values. */
  externalValues: ReadonlyMap<string, readonly ExternalValue[]>;
}

const order = (v: string): number => {
  const i = (KMIP_VERSIONS as readonly string[]).indexOf(v);
  if (i < 0) throw new Error(`unknown KMIP version '${v}'`);
  return i;
};

class Versions {
  private readonly used = new Set<string>();
  constructor(private readonly facts: ReadonlyMap<string, VersionFacts>) {}

  of(key: string, in14: boolean, in21: boolean): KmipVersion[] {
    const fact = this.facts.get(key);
    if (fact !== undefined) this.used.add(key);
    const introduced = fact?.introduced ?? (in14 ? '1.0' : '2.0');
    if (in14 && order(introduced) > order('1.4')) throw new Error(`${key}: in the 1.4 text but introduced in ${introduced}`);
    if (!in14 && order(introduced) < order('2.0')) throw new Error(`${key}: introduced in ${introduced} but not in the 1.4 text`);
    return KMIP_VERSIONS.filter((v) => order(v) >= order(introduced) && (v.startsWith('1.') ? in14 : in21));
  }

  deprecatedIn(key: string, annotated: { version: string | undefined } | undefined): KmipVersion | undefined {
    const fact = this.facts.get(key)?.deprecated;
    if (annotated === undefined) {
      if (fact !== undefined) throw new Error(`${key}: versions.tsv says deprecated, the 1.4 text does not`);
      return undefined;
    }
    const v = annotated.version ?? fact;
    if (v === undefined) throw new Error(`${key}: marked "(deprecated)" without a version; add it to versions.tsv`);
    if (annotated.version !== undefined && fact !== undefined && fact !== annotated.version) {
      throw new Error(`${key}: deprecated in ${annotated.version} per the spec, ${fact} per versions.tsv`);
    }
    return KMIP_VERSIONS[order(v)];
  }

  /** Every versions.tsv row must name an item of the spec texts. */
  checkAllUsed(): void {
    const unused = [...this.facts.keys()].filter((k) => !this.used.has(k));
    if (unused.length > 0) throw new Error(`versions.tsv rows that match no item:\n  ${unused.join('\n  ')}`);
  }
}

/** Items of both editions by key, remembering which editions have them. */
function byKey<T>(items14: readonly T[], items21: readonly T[], key: (x: T) => string) {
  const out = new Map<string, { latest: T; in14?: T; in21: boolean }>();
  for (const x of items14) out.set(key(x), { latest: x, in14: x, in21: false });
  for (const x of items21) {
    const prev = out.get(key(x));
    out.set(key(x), { latest: x, ...(prev?.in14 ? { in14: prev.in14 } : {}), in21: true });
  }
  return out;
}

const firstVersion = (x: { versions: readonly KmipVersion[] }): number => order(x.versions[0]!);

export function buildModel(input: RegistryInput): Registry {
  const { v14, v21 } = input;
  const versions = new Versions(input.facts);
  const key = (kind: ItemKind, e: string, value: number | undefined, specName: string) =>
    itemKey(kind, e, value, specName === '-' ? '-' : normalizeName(specName));

  const enums: EnumDef[] = [];
  const enums14 = new Map(v14.enums.map((e) => [normalizeName(e.specName), e]));
  const enums21 = new Map(v21.enums.map((e) => [normalizeName(e.specName), e]));
  for (const name of [...new Set([...enums14.keys(), ...enums21.keys()])].sort()) {
    const e14 = enums14.get(name);
    const e21 = enums21.get(name);
    const latest = (e21 ?? e14)!;
    if (e14 && e21 && e14.kind !== e21.kind) throw new Error(`${name}: enumeration in one edition, mask in the other`);
    const values: EnumValueDef[] = [];
    for (const [k, v] of byKey(e14?.values ?? [], e21?.values ?? [], (x) => key('value', name, x.value, x.specName))) {
      const deprecatedIn = versions.deprecatedIn(k, v.in14?.deprecated);
      const valueName = normalizeName(v.latest.specName);
      const printed = [...(v.in14?.printedAs ?? []), ...(v.in21 ? v.latest.printedAs ?? [] : [])];
      const aliases = [...new Set(printed.map(normalizeName))].filter((a) => a !== valueName).sort();
      values.push({
        value: v.latest.value,
        name: valueName,
        specName: v.latest.specName,
        versions: versions.of(k, v.in14 !== undefined, v.in21),
        ...(deprecatedIn ? { deprecatedIn } : {}),
        ...(aliases.length > 0 ? { aliases } : {}),
      });
    }
    const enumVersions = versions.of(key('enum', name, undefined, '-'), e14 !== undefined, e21 !== undefined);
    const external = input.externalValues.get(name);
    if (external !== undefined) {
      if (values.length > 0) throw new Error(`${name}: the spec text lists values; drop the external table or reconcile them`);
      checkUnique(external.map((x) => String(x.value)), `${name} value`);
      for (const x of external) values.push({ value: x.value, name: x.name, specName: x.specName, versions: enumVersions });
    }
    values.sort((a, b) => a.value - b.value || firstVersion(a) - firstVersion(b));
    const names = new Map<string, number>();
    for (const v of values) {
      if (names.has(v.name) && names.get(v.name) !== v.value) throw new Error(`${name}.${v.name}: two values`);
      names.set(v.name, v.value);
    }
    // An input alias (a misprinted name, spec-errata.tsv) must not be, or read as, another value's name.
    for (const v of values) {
      for (const a of v.aliases ?? []) {
        if (names.has(a)) throw new Error(`${name}: the misprint '${a}' of ${v.name} is the name of value ${names.get(a)}`);
      }
    }
    enums.push({
      name,
      specName: latest.specName,
      kind: latest.kind,
      versions: enumVersions,
      values,
    });
  }

  for (const name of input.externalValues.keys()) {
    if (!enums.some((e) => e.name === name)) throw new Error(`external values for ${name}, which the spec texts lack`);
  }

  const enumNames = new Set(enums.map((e) => e.name));
  const tags: TagDef[] = [];
  for (const [k, t] of byKey(v14.tags, v21.tags, (x) => key('tag', '-', x.value, x.specName))) {
    const name = normalizeName(t.latest.specName);
    const deprecatedIn = versions.deprecatedIn(k, t.in14?.deprecated);
    const enumeration = linkedEnumeration(name, [...v14.links, ...v21.links], enumNames, input.tagEnumerations);
    tags.push({
      value: t.latest.value,
      name,
      specName: t.latest.specName,
      versions: versions.of(k, t.in14 !== undefined, t.in21),
      ...(deprecatedIn ? { deprecatedIn } : {}),
      ...(enumeration ? { enumeration } : {}),
    });
  }
  tags.sort((a, b) => a.value - b.value || firstVersion(a) - firstVersion(b));
  checkUnique(tags.map((t) => t.name), 'tag name');
  checkUnique(tags.map((t) => String(t.value)), 'tag value');
  for (const tag of input.tagEnumerations.keys()) {
    if (!tags.some((t) => t.name === tag)) throw new Error(`tag-enumerations.tsv: no tag named ${tag}`);
  }

  const itemTypes: ItemTypeDef[] = [];
  for (const [k, t] of byKey(v14.itemTypes, v21.itemTypes, (x) => key('itemType', '-', x.value, x.specName))) {
    itemTypes.push({
      value: t.latest.value,
      name: normalizeName(t.latest.specName),
      specName: t.latest.specName,
      versions: versions.of(k, t.in14 !== undefined, t.in21),
    });
  }
  itemTypes.sort((a, b) => a.value - b.value);

  versions.checkAllUsed();
  return { tags, enums, itemTypes };
}

function checkUnique(values: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) throw new Error(`duplicate ${what}: ${v}`);
    seen.add(v);
  }
}

/**
 * The enumeration naming a tag's values: the hand table if it has the tag;
 * else what the spec's tables say (they must agree); else the enumeration or
 * mask of the same name (the spec's convention: Object Type → Object Type
 * Enumeration, Cryptographic Usage Mask → the mask).
 */
function linkedEnumeration(
  tag: string,
  evidence: readonly LinkEvidence[],
  enumNames: ReadonlySet<string>,
  hand: ReadonlyMap<string, string | null>,
): string | undefined {
  const known = (e: string): boolean => enumNames.has(e) || DERIVED_ENUMERATIONS.has(e);
  if (hand.has(tag)) {
    const e = hand.get(tag);
    if (e === null) return undefined;
    if (!known(e!)) throw new Error(`tag-enumerations.tsv: ${tag} → unknown enumeration ${e}`);
    return e!;
  }
  const rows = evidence.filter((x) => x.tag === tag);
  const said = new Set(rows.flatMap((x) => (x.enumeration !== undefined ? [x.enumeration] : [])));
  if (said.size > 1) throw new Error(`${tag}: the spec's tables name several enumerations (${[...said].join(', ')}); settle it in tag-enumerations.tsv`);
  const linked = said.size === 1 ? [...said][0]! : enumNames.has(tag) ? tag : undefined;
  if (linked !== undefined && !known(linked)) throw new Error(`${tag}: the spec names enumeration ${linked}, which the registry lacks`);
  if (linked === undefined && rows.length > 0) {
    throw new Error(`${tag}: encoded as an Enumeration (${rows[0]!.cell}) but no enumeration found; settle it in tag-enumerations.tsv`);
  }
  return linked;
}
