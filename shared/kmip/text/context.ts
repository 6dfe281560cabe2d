// Which names an item's value takes. Mostly the tag says it (Object Type →
// the Object Type enumeration, Cryptographic Usage Mask → its mask), but two
// items get their names from context:
//  - KMIP 1.x Attribute Value: the type of the value depends on the sibling
//    Attribute Name ("Cryptographic Algorithm" → AES, "Cryptographic Usage
//    Mask" → Encrypt Decrypt). The name is normalized (§4.1.3) and looked up
//    as a tag, so spec names and CamelCase names both resolve; vendor names
//    ("x-…") resolve to nothing and their values stay numeric.
// (KMIP 2.x Enumeration (Tag) items such as Attribute Reference need no rule
// here: the registry's Tag enumeration is the tag table.)
import { enumForTag, normalizeName, tagValue } from '../registry/index.js';
import type { ItemTypeName, TtlvItem } from '../ttlv/types.js';
import type { ValueNames } from './values.js';

/** Tag values fixed by the spec (1.4 and 2.1 §9.1.3.1 / §11): the context rules need them even without a registry. */
export const ATTRIBUTE_NAME = 0x42000a;
export const ATTRIBUTE_VALUE = 0x42000b;

function namesOfTag(tag: number, type: ItemTypeName): ValueNames | undefined {
  const def = enumForTag(tag);
  if (def === undefined) return undefined;
  if (type === 'Enumeration' && def.kind === 'enumeration') return { kind: 'enumeration', def };
  if (type === 'Integer' && def.kind === 'mask') return { kind: 'mask', def };
  return undefined;
}

/**
 * Names for an item with this tag and type; `siblings[0..before)` are the
 * items that precede it in its structure (the Attribute Name comes before the
 * Attribute Value).
 */
export function valueNames(tag: number, type: ItemTypeName, siblings: readonly TtlvItem[], before: number): ValueNames | undefined {
  if (type !== 'Enumeration' && type !== 'Integer') return undefined;
  if (tag === ATTRIBUTE_VALUE) {
    for (let i = Math.min(before, siblings.length) - 1; i >= 0; i--) {
      const s = siblings[i]!;
      if (s.tag === ATTRIBUTE_NAME && s.type === 'TextString') {
        const attrTag = tagValue(normalizeName(s.value));
        return attrTag === undefined ? undefined : namesOfTag(attrTag, type);
      }
    }
    return undefined;
  }
  return namesOfTag(tag, type);
}
