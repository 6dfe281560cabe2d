// Lookups over the generated registry, names ↔ values both ways.
// Everything here is derived from registry.generated.ts at module load; nothing
// is hand-maintained.

import { ENUMS, ITEM_TYPES, TAGS } from './registry.generated.js';
import type { EnumDef, EnumValueDef, ItemTypeDef, KmipVersion, TagDef } from './types.js';

export { Tag, Enum, TAGS, ENUMS, ITEM_TYPES } from './registry.generated.js';
export { KMIP_VERSIONS } from './types.js';
export { normalizeName } from './normalize.js';
export type { EnumDef, EnumValueDef, ItemTypeDef, KmipVersion, TagDef } from './types.js';

const tagsByValue = new Map<number, TagDef>();
const tagsByName = new Map<string, TagDef>();
for (const t of TAGS) {
  tagsByValue.set(t.value, t);
  tagsByName.set(t.name, t);
}

/**
 * The Tag Enumeration (KMIP 2.x §11.56) is the tag table itself: an
 * Enumeration item such as Attribute Reference carries a tag value, named
 * like the tag. Built here from TAGS rather than generated twice.
 */
export const TAG_ENUMERATION: EnumDef = {
  name: 'Tag',
  specName: 'Tag',
  kind: 'enumeration',
  versions: ['2.0', '2.1'],
  values: TAGS.map((t) => ({ value: t.value, name: t.name, specName: t.specName, versions: t.versions })),
};

const enumsByName = new Map<string, EnumDef>();
const enumValueByValue = new Map<EnumDef, Map<number, EnumValueDef[]>>();
const enumValueByName = new Map<EnumDef, Map<string, EnumValueDef>>();
for (const e of [...ENUMS, TAG_ENUMERATION]) {
  enumsByName.set(e.name, e);
  const byValue = new Map<number, EnumValueDef[]>();
  const byName = new Map<string, EnumValueDef>();
  for (const v of e.values) {
    // A value renamed between versions has one entry per name, oldest first.
    const same = byValue.get(v.value);
    if (same === undefined) byValue.set(v.value, [v]);
    else same.push(v);
    byName.set(v.name, v);
  }
  // Misprinted names (input only); the generator checks that none is another value's name.
  for (const v of e.values) for (const a of v.aliases ?? []) if (!byName.has(a)) byName.set(a, v);
  enumValueByValue.set(e, byValue);
  enumValueByName.set(e, byName);
}

const itemTypesByValue = new Map<number, ItemTypeDef>(ITEM_TYPES.map((t) => [t.value, t]));

export function tagByValue(value: number): TagDef | undefined {
  return tagsByValue.get(value);
}

export function tagByName(name: string): TagDef | undefined {
  return tagsByName.get(name);
}

/** Normalized name of a tag, or undefined when the registry does not know it. */
export function tagName(value: number): string | undefined {
  return tagsByValue.get(value)?.name;
}

export function tagValue(name: string): number | undefined {
  return tagsByName.get(name)?.value;
}

export function enumeration(name: string): EnumDef | undefined {
  return enumsByName.get(name);
}

/** The enumeration or mask that names the values of items with this tag. */
export function enumForTag(tag: number): EnumDef | undefined {
  const e = tagsByValue.get(tag)?.enumeration;
  return e === undefined ? undefined : enumsByName.get(e);
}

/**
 * The name of an enumeration value (or mask bit). Where versions name one
 * value differently (e.g. Digital Signature Algorithm 1: 'MD2WithRSAEncryptionPKCS_1V1_5'
 * in 1.x, 'MD2WithRSAEncryption' in 2.x), `version` picks that version's name.
 * With a `version`, a value that version does not define has no name
 * (undefined: print it as a number), e.g. Cryptographic Usage Mask 0x100000
 * Authenticate is 2.x only. Without one, the newest name wins.
 */
export function enumValueName(def: EnumDef, value: number, version?: KmipVersion): string | undefined {
  const named = enumValueByValue.get(def)?.get(value);
  if (named === undefined) return undefined;
  if (version === undefined) return named[named.length - 1]!.name;
  return named.find((v) => v.versions.includes(version))?.name;
}

/**
 * The value of an enumeration value name; every name any version used parses,
 * and so do the names a spec edition misprints (EnumValueDef.aliases, e.g.
 * 'MFG1' for MGF1), which are never printed.
 */
export function enumValueByNameOf(def: EnumDef, name: string): number | undefined {
  return enumValueByName.get(def)?.get(name)?.value;
}

export function isTagInVersion(tag: TagDef, version: KmipVersion): boolean {
  return tag.versions.includes(version);
}

export function itemTypeByValue(value: number): ItemTypeDef | undefined {
  return itemTypesByValue.get(value);
}
