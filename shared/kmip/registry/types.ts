// Shapes of the KMIP registry: tags, enumerations and bit masks as data.
// The data itself is generated (registry.generated.ts) from the spec texts by
// build/gen-registry.ts; index.ts derives the lookups both ways from it.

export const KMIP_VERSIONS = ['1.0', '1.1', '1.2', '1.3', '1.4', '2.0', '2.1'] as const;
export type KmipVersion = (typeof KMIP_VERSIONS)[number];

export interface TagDef {
  /** 24-bit tag value, e.g. 0x420001. */
  readonly value: number;
  /** Normalized CamelCase name (Additional Message Encodings §4.1.3), e.g. 'ActivationDate'. */
  readonly name: string;
  /** Name as the spec prints it, e.g. 'Activation Date'. */
  readonly specName: string;
  /** KMIP versions that define this tag. */
  readonly versions: readonly KmipVersion[];
  /** First version that marks the tag deprecated, if any. */
  readonly deprecatedIn?: KmipVersion;
  /** Name of the EnumDef (enumeration or mask) that gives this tag's values names. */
  readonly enumeration?: string;
}

export interface EnumValueDef {
  readonly value: number;
  /** Normalized CamelCase name, e.g. 'SymmetricKey'. */
  readonly name: string;
  /** Name as the spec prints it, e.g. 'Symmetric Key'. */
  readonly specName: string;
  readonly versions: readonly KmipVersion[];
  /** First version that marks the value deprecated, if any. */
  readonly deprecatedIn?: KmipVersion;
  /**
   * Input-only names: what a spec edition misprints for this value (e.g.
   * 'MFG1', printed by 2.0/2.1 for MGF1), normalized. They parse to the value,
   * since a peer may follow the printed text; they are never printed. From
   * build/registry/spec-errata.tsv.
   */
  readonly aliases?: readonly string[];
}

export interface EnumDef {
  /** Normalized name, e.g. 'ObjectType', 'CryptographicUsageMask'. */
  readonly name: string;
  readonly specName: string;
  /** 'enumeration': one value of the list (Enumeration item); 'mask': bits OR-ed into an Integer. */
  readonly kind: 'enumeration' | 'mask';
  readonly versions: readonly KmipVersion[];
  readonly values: readonly EnumValueDef[];
}

/** An Item Type: the byte after the tag in TTLV (1.4 §9.1.1.2, 2.1 §11.23). */
export interface ItemTypeDef {
  readonly value: number;
  /** Normalized name, e.g. 'DateTimeExtended'; matches ItemType in shared/kmip/ttlv/types.ts. */
  readonly name: string;
  readonly specName: string;
  readonly versions: readonly KmipVersion[];
}
