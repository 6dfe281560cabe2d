// Object attributes, modelled once (KMIP 2.x shape) and converted at the edge.
//
// Internal model: an Attribute has
//   - name: the normalized tag name of a standard attribute ('CryptographicAlgorithm'),
//     or a vendor name { vendorIdentification, attributeName } (2.x Vendor
//     Attribute; a 1.x Custom Attribute 'x-Foo' is { 'x', 'Foo' }, 2.1 §4.60),
//   - index: the 1.x Attribute Index when one was given (2.x has none),
//   - value: the value as an untagged TTLV item ({ type, value }; a structure
//     keeps its tagged children).
//
// Edges:
//   1.x  Attribute {Attribute Name, Attribute Index?, Attribute Value}; Template-Attribute
//        and Common / Private Key / Public Key Template-Attribute {Name*, Attribute*}
//   2.x  Attributes (and Common / Private Key / Public Key Attributes) holding tagged
//        items or vendor Attribute {Vendor Identification, Attribute Name, Attribute Value};
//        Attribute Reference (Enumeration whose value is the tag, or a structure
//        {Vendor Identification, Attribute Name}); New Attribute / Current Attribute.
//
// Which tags are attributes in which version is data (attribute-table.ts + registry).
import { KMIP_VERSIONS, normalizeName, Tag, tagByName, type KmipVersion } from '../registry/index.js';
import type { ItemTypeName, StructureItem, TtlvItem } from '../ttlv/types.js';
import { ATTRIBUTE_SPECS, CUSTOM_PREFIXES } from './attribute-table.js';
import { MessageError } from './errors.js';
import { buildFields, childPath, expectStructure, fail, nameOf, nonNegative, parseFields, type Ctx, type Field } from './schema.js';

export interface VendorAttributeName {
  vendorIdentification: string;
  attributeName: string;
}

/** Normalized tag name of a standard attribute, or a vendor attribute name. */
export type AttributeName = string | VendorAttributeName;

type Untagged<T> = T extends TtlvItem ? Omit<T, 'tag'> : never;
/** An attribute value: a TTLV item without its tag. */
export type AttributeValue = Untagged<TtlvItem>;

export interface Attribute {
  name: AttributeName;
  /** 1.x Attribute Index, when present in the input. Not representable in 2.x (dropped there). */
  index?: number;
  value: AttributeValue;
}

/** A standard attribute, as the registry and attribute-table.ts describe it. */
export interface AttributeDef {
  /** Normalized tag name; the internal attribute name. */
  readonly name: string;
  readonly tag: number;
  /** Spec spelling; the 1.x Attribute Name text. */
  readonly specName: string;
  /** KMIP 1.x versions that have it as an attribute (empty: none). */
  readonly v1Versions: readonly KmipVersion[];
  /** KMIP 2.x versions that have it as an attribute (empty: none). */
  readonly v2Versions: readonly KmipVersion[];
  /** Item type(s) the value may have. */
  readonly types: readonly ItemTypeName[];
  readonly note?: string;
}

export interface AttributeOptions {
  /** The message's KMIP version: when given, attributes that version does not define are rejected. */
  version?: KmipVersion;
  /** Path of the item, for error messages. */
  path?: string;
}

export interface BuildAttributesOptions extends AttributeOptions {
  /** What to do with an attribute the target form cannot carry: throw (default) or leave it out. */
  unrepresentable?: 'throw' | 'skip';
  /** Called for each attribute left out under unrepresentable: 'skip'. */
  onSkip?: (attribute: Attribute, error: MessageError) => void;
}

// ---------------------------------------------------------------------------
// The attribute index (from attribute-table.ts + registry)

const V1 = KMIP_VERSIONS.filter((v) => v.startsWith('1.'));
const V2 = KMIP_VERSIONS.filter((v) => v.startsWith('2.'));

const defs: AttributeDef[] = [];
/** Table entries whose normalized name the registry does not know (should be empty). */
export const UNRESOLVED_ATTRIBUTE_NAMES: string[] = [];
for (const spec of ATTRIBUTE_SPECS) {
  const name = normalizeName(spec.specName);
  const tag = tagByName(name);
  if (tag === undefined) {
    UNRESOLVED_ATTRIBUTE_NAMES.push(spec.specName);
    continue;
  }
  defs.push({
    name,
    tag: tag.value,
    specName: spec.specName,
    v1Versions: spec.v1 ? V1.filter((v) => tag.versions.includes(v)) : [],
    v2Versions: spec.v2 ? V2.filter((v) => tag.versions.includes(v)) : [],
    types: spec.types,
    ...(spec.note === undefined ? {} : { note: spec.note }),
  });
}
const byName = new Map(defs.map((d) => [d.name, d]));
const byTag = new Map(defs.map((d) => [d.tag, d]));
const byV1Name = new Map(defs.filter((d) => d.v1Versions.length > 0).map((d) => [d.specName, d]));

export const ATTRIBUTE_DEFS: readonly AttributeDef[] = defs;

export function attributeDef(name: string): AttributeDef | undefined {
  return byName.get(name);
}

export function attributeDefByTag(tag: number): AttributeDef | undefined {
  return byTag.get(tag);
}

export function isVendorName(name: AttributeName): name is VendorAttributeName {
  return typeof name !== 'string';
}

/** A string key for an attribute name (for maps): 'CryptographicAlgorithm' or 'x/ID'. */
export function attributeKey(name: AttributeName): string {
  return isVendorName(name) ? `${name.vendorIdentification}/${name.attributeName}` : name;
}

export function sameAttributeName(a: AttributeName, b: AttributeName): boolean {
  return attributeKey(a) === attributeKey(b);
}

// ---------------------------------------------------------------------------
// Helpers

function ctxOf(opts: AttributeOptions | undefined, fallback: string): Ctx {
  const ctx: Ctx = { path: opts?.path ?? fallback };
  if (opts?.version !== undefined) {
    const [major, minor] = opts.version.split('.').map(Number) as [number, number];
    ctx.version = { major, minor };
  }
  return ctx;
}

function untag(it: TtlvItem): AttributeValue {
  const { tag: _tag, ...rest } = it;
  return rest as AttributeValue;
}

function tagged(tag: number, v: AttributeValue): TtlvItem {
  return { ...v, tag } as TtlvItem;
}

/** The value of a standard attribute must have one of its item types (attribute-table.ts). */
function checkValueType(def: AttributeDef, value: AttributeValue, ctx: Ctx): void {
  if (!def.types.includes(value.type)) fail('INVALID_ATTRIBUTE_VALUE', `${def.specName} must be ${def.types.join(' or ')}, not ${value.type}`, ctx);
}

function requireVersion(def: AttributeDef, major: 1 | 2, opts: AttributeOptions | undefined, ctx: Ctx, code: 'INVALID_ATTRIBUTE' | 'UNSUPPORTED_ATTRIBUTE'): void {
  const versions = major === 1 ? def.v1Versions : def.v2Versions;
  if (versions.length === 0) {
    fail(code, `${def.specName} is not a KMIP ${major}.x attribute${def.note === undefined ? '' : ` (${def.note})`}`, ctx);
  }
  if (opts?.version !== undefined && opts.version.startsWith(`${major}.`) && !versions.includes(opts.version)) {
    fail(code, `${def.specName} is not an attribute in KMIP ${opts.version}`, ctx);
  }
}

// ---------------------------------------------------------------------------
// KMIP 1.x names and Attribute structures

/** 1.x Attribute Name text → internal name. 'x-Foo' / 'y-Foo' are Custom Attributes. */
export function attributeNameFromV1(text: string, opts?: AttributeOptions): AttributeName {
  const ctx = ctxOf(opts, 'AttributeName');
  const m = /^([a-z])-(.+)$/su.exec(text);
  if (m !== null && CUSTOM_PREFIXES.includes(m[1]!)) return { vendorIdentification: m[1]!, attributeName: m[2]! };
  const def = byV1Name.get(text);
  if (def === undefined) return fail('INVALID_ATTRIBUTE', `unknown attribute name '${text}'`, ctx);
  requireVersion(def, 1, opts, ctx, 'INVALID_ATTRIBUTE');
  return def.name;
}

/** Internal name → 1.x Attribute Name text. */
export function attributeNameToV1(name: AttributeName, opts?: AttributeOptions): string {
  const ctx = ctxOf(opts, 'AttributeName');
  if (isVendorName(name)) {
    if (!CUSTOM_PREFIXES.includes(name.vendorIdentification)) {
      fail('UNSUPPORTED_ATTRIBUTE', `vendor attribute ${attributeKey(name)} has no KMIP 1.x form (only vendors ${CUSTOM_PREFIXES.join(', ')} map to Custom Attributes)`, ctx);
    }
    return `${name.vendorIdentification}-${name.attributeName}`;
  }
  const def = byName.get(name);
  if (def === undefined) return fail('INVALID_ATTRIBUTE', `unknown attribute ${name}`, ctx);
  requireVersion(def, 1, opts, ctx, 'UNSUPPORTED_ATTRIBUTE');
  return def.specName;
}

const v1AttributeFields: readonly Field[] = [
  { key: 'name', tag: Tag.AttributeName, type: 'TextString', required: true },
  { key: 'index', tag: Tag.AttributeIndex, type: 'Integer', check: nonNegative },
  { key: 'value', tag: Tag.AttributeValue, type: 'Any', required: true, decode: untag, encode: (v, tag) => tagged(tag, v as AttributeValue) },
];

/** 1.x Attribute structure → internal. */
export function parseV1Attribute(it: TtlvItem, opts?: AttributeOptions): Attribute {
  const ctx = ctxOf(opts, 'Attribute');
  const raw = parseFields<{ name: string; index?: number; value: AttributeValue }>(expectStructure(it, Tag.Attribute, ctx), v1AttributeFields, ctx);
  const name = attributeNameFromV1(raw.name, { ...opts, path: childPath(ctx, 'AttributeName').path });
  if (!isVendorName(name)) checkValueType(byName.get(name)!, raw.value, childPath(ctx, 'AttributeValue'));
  return { name, ...(raw.index === undefined ? {} : { index: raw.index }), value: raw.value };
}

/** Internal → 1.x Attribute structure. */
export function buildV1Attribute(a: Attribute, opts?: AttributeOptions): StructureItem {
  const ctx = ctxOf(opts, 'Attribute');
  const name = attributeNameToV1(a.name, { ...opts, path: childPath(ctx, 'AttributeName').path });
  if (!isVendorName(a.name)) checkValueType(byName.get(a.name)!, a.value, childPath(ctx, 'AttributeValue'));
  return buildFields(Tag.Attribute, { name, index: a.index, value: a.value }, v1AttributeFields, ctx);
}

// ---------------------------------------------------------------------------
// KMIP 1.x Template-Attribute structures

export interface TemplateAttribute {
  /** Names of Template objects (raw Name structures; deprecated in 1.3, gone in 2.x). */
  names?: StructureItem[];
  attributes: Attribute[];
}

/** The four 1.x containers and their 2.x counterparts (tag names). */
export const CONTAINERS: readonly { readonly v1: number; readonly v2: number }[] = [
  { v1: Tag.TemplateAttribute, v2: Tag.Attributes },
  { v1: Tag.CommonTemplateAttribute, v2: Tag.CommonAttributes },
  { v1: Tag.PrivateKeyTemplateAttribute, v2: Tag.PrivateKeyAttributes },
  { v1: Tag.PublicKeyTemplateAttribute, v2: Tag.PublicKeyAttributes },
];

/** 1.x container tag → 2.x container tag (Template-Attribute → Attributes, …). */
export function v2ContainerTag(v1Tag: number): number | undefined {
  return CONTAINERS.find((c) => c.v1 === v1Tag)?.v2;
}

/** 2.x container tag → 1.x container tag. */
export function v1ContainerTag(v2Tag: number): number | undefined {
  return CONTAINERS.find((c) => c.v2 === v2Tag)?.v1;
}

function templateFields(opts: AttributeOptions | undefined): readonly Field[] {
  return [
    { key: 'names', tag: Tag.Name, type: 'Structure', repeated: true },
    {
      key: 'attributes',
      tag: Tag.Attribute,
      type: 'Structure',
      repeated: true,
      decode: (it, ctx) => parseV1Attribute(it, { ...opts, path: ctx.path }),
      encode: (v, _t, ctx) => buildV1Attribute(v as Attribute, { ...opts, path: ctx.path }),
    },
  ];
}

/** Any of the four 1.x Template-Attribute structures → internal. */
export function parseTemplateAttribute(it: TtlvItem, opts?: AttributeOptions): TemplateAttribute {
  const ctx = ctxOf(opts, nameOf(it.tag));
  if (v2ContainerTag(it.tag) === undefined) fail('INVALID_MESSAGE', `${nameOf(it.tag)} is not a Template-Attribute structure`, ctx);
  const s = expectStructure(it, it.tag, ctx);
  const out = parseFields<{ names?: StructureItem[]; attributes?: Attribute[] }>(s, templateFields(opts), ctx);
  return { ...(out.names === undefined ? {} : { names: out.names }), attributes: out.attributes ?? [] };
}

/** Internal → a 1.x Template-Attribute structure (default tag: Template-Attribute). */
export function buildTemplateAttribute(ta: TemplateAttribute, tag: number = Tag.TemplateAttribute, opts?: BuildAttributesOptions): StructureItem {
  const ctx = ctxOf(opts, nameOf(tag));
  if (v2ContainerTag(tag) === undefined) fail('INVALID_FIELD', `${nameOf(tag)} is not a Template-Attribute structure`, ctx);
  const attributes = representable(ta.attributes, (a) => buildV1Attribute(a, opts), opts);
  return buildFields(tag, { names: ta.names, attributes }, templateFields(opts), ctx);
}

function representable(attrs: readonly Attribute[], tryBuild: (a: Attribute) => unknown, opts: BuildAttributesOptions | undefined): Attribute[] {
  if (opts?.unrepresentable !== 'skip') return [...attrs];
  return attrs.filter((a) => {
    try {
      tryBuild(a);
      return true;
    } catch (e) {
      if (!(e instanceof MessageError) || e.code !== 'UNSUPPORTED_ATTRIBUTE') throw e;
      opts.onSkip?.(a, e);
      return false;
    }
  });
}

// ---------------------------------------------------------------------------
// KMIP 2.x

const vendorAttributeFields: readonly Field[] = [
  { key: 'vendorIdentification', tag: Tag.VendorIdentification, type: 'TextString', required: true },
  { key: 'attributeName', tag: Tag.AttributeName, type: 'TextString', required: true },
  { key: 'value', tag: Tag.AttributeValue, type: 'Any', required: true, decode: untag, encode: (v, tag) => tagged(tag, v as AttributeValue) },
];

/** One 2.x attribute item (a tagged attribute or a vendor Attribute structure) → internal. */
export function parseV2Attribute(it: TtlvItem, opts?: AttributeOptions): Attribute {
  const ctx = ctxOf(opts, nameOf(it.tag));
  if (it.tag === Tag.Attribute) {
    const v = parseFields<VendorAttributeName & { value: AttributeValue }>(expectStructure(it, Tag.Attribute, ctx), vendorAttributeFields, ctx);
    return { name: { vendorIdentification: v.vendorIdentification, attributeName: v.attributeName }, value: v.value };
  }
  const def = byTag.get(it.tag);
  if (def === undefined) return fail('INVALID_ATTRIBUTE', `${nameOf(it.tag)} is not an attribute`, ctx);
  requireVersion(def, 2, opts, ctx, 'INVALID_ATTRIBUTE');
  const value = untag(it);
  checkValueType(def, value, ctx);
  return { name: def.name, value };
}

/** Internal → one 2.x attribute item. The 1.x Attribute Index, if any, is dropped. */
export function buildV2Attribute(a: Attribute, opts?: AttributeOptions): TtlvItem {
  const ctx = ctxOf(opts, 'Attribute');
  if (isVendorName(a.name)) {
    return buildFields(Tag.Attribute, { ...a.name, value: a.value }, vendorAttributeFields, ctx);
  }
  const def = byName.get(a.name);
  if (def === undefined) return fail('INVALID_ATTRIBUTE', `unknown attribute ${a.name}`, ctx);
  requireVersion(def, 2, opts, ctx, 'UNSUPPORTED_ATTRIBUTE');
  checkValueType(def, a.value, ctx);
  return tagged(def.tag, a.value);
}

/** Attributes / Common / Private Key / Public Key Attributes → internal list. */
export function parseAttributes(it: TtlvItem, opts?: AttributeOptions): Attribute[] {
  const ctx = ctxOf(opts, nameOf(it.tag));
  if (v1ContainerTag(it.tag) === undefined) fail('INVALID_MESSAGE', `${nameOf(it.tag)} is not an Attributes structure`, ctx);
  const s = expectStructure(it, it.tag, ctx);
  const seen = new Map<number, number>();
  return s.value.map((child) => {
    const n = seen.get(child.tag) ?? 0;
    seen.set(child.tag, n + 1);
    return parseV2Attribute(child, { ...opts, path: childPath(ctx, `${nameOf(child.tag)}[${n}]`).path });
  });
}

/** Internal list → an Attributes structure (default tag: Attributes). */
export function buildAttributes(attrs: readonly Attribute[], tag: number = Tag.Attributes, opts?: BuildAttributesOptions): StructureItem {
  const ctx = ctxOf(opts, nameOf(tag));
  if (v1ContainerTag(tag) === undefined) fail('INVALID_FIELD', `${nameOf(tag)} is not an Attributes structure`, ctx);
  const kept = representable(attrs, (a) => buildV2Attribute(a, opts), opts);
  return { tag, type: 'Structure', value: kept.map((a, i) => buildV2Attribute(a, { ...opts, path: childPath(ctx, `Attribute[${i}]`).path })) };
}

const referenceFields: readonly Field[] = [
  { key: 'vendorIdentification', tag: Tag.VendorIdentification, type: 'TextString', required: true },
  { key: 'attributeName', tag: Tag.AttributeName, type: 'TextString', required: true },
];

/** 2.x Attribute Reference (either form) → internal name. */
export function parseAttributeReference(it: TtlvItem, opts?: AttributeOptions): AttributeName {
  const ctx = ctxOf(opts, 'AttributeReference');
  if (it.tag !== Tag.AttributeReference) fail('INVALID_MESSAGE', `expected AttributeReference, found ${nameOf(it.tag)}`, ctx);
  if (it.type === 'Structure') {
    const ref = parseFields<VendorAttributeName>(it, referenceFields, ctx);
    // Interop: some 2.0 clients (PyKMIP 0.10) name a standard attribute by an empty
    // Vendor Identification and its spec name instead of the Enumeration form.
    const standard = ref.vendorIdentification === '' ? [...byName.values()].find((d) => d.specName === ref.attributeName && d.v2Versions.length > 0) : undefined;
    return standard === undefined ? ref : standard.name;
  }
  if (it.type !== 'Enumeration') return fail('INVALID_MESSAGE', `AttributeReference must be an Enumeration (tag) or a Structure, not ${it.type}`, ctx);
  const def = byTag.get(it.value);
  if (def === undefined) return fail('INVALID_ATTRIBUTE', `${nameOf(it.value)} is not an attribute`, ctx);
  requireVersion(def, 2, opts, ctx, 'INVALID_ATTRIBUTE');
  return def.name;
}

/** Internal name → 2.x Attribute Reference (Enumeration form for standard attributes, structure for vendor ones). */
export function buildAttributeReference(name: AttributeName, opts?: AttributeOptions): TtlvItem {
  const ctx = ctxOf(opts, 'AttributeReference');
  if (isVendorName(name)) return buildFields(Tag.AttributeReference, name, referenceFields, ctx);
  const def = byName.get(name);
  if (def === undefined) return fail('INVALID_ATTRIBUTE', `unknown attribute ${name}`, ctx);
  requireVersion(def, 2, opts, ctx, 'UNSUPPORTED_ATTRIBUTE');
  return { tag: Tag.AttributeReference, type: 'Enumeration', value: def.tag };
}

function parseWrapped(it: TtlvItem, tag: number, opts: AttributeOptions | undefined): Attribute {
  const ctx = ctxOf(opts, nameOf(tag));
  const s = expectStructure(it, tag, ctx);
  if (s.value.length !== 1) fail('INVALID_MESSAGE', `${nameOf(tag)} must hold exactly one attribute, not ${s.value.length}`, ctx);
  const child = s.value[0]!;
  return parseV2Attribute(child, { ...opts, path: childPath(ctx, nameOf(child.tag)).path });
}

function buildWrapped(a: Attribute, tag: number, opts: AttributeOptions | undefined): StructureItem {
  const ctx = ctxOf(opts, nameOf(tag));
  return { tag, type: 'Structure', value: [buildV2Attribute(a, { ...opts, path: childPath(ctx, 'Attribute').path })] };
}

/** 2.x New Attribute (Add / Modify / Set Attribute) → internal. */
export function parseNewAttribute(it: TtlvItem, opts?: AttributeOptions): Attribute {
  return parseWrapped(it, Tag.NewAttribute, opts);
}

export function buildNewAttribute(a: Attribute, opts?: AttributeOptions): StructureItem {
  return buildWrapped(a, Tag.NewAttribute, opts);
}

/** 2.x Current Attribute (Modify / Delete Attribute) → internal. */
export function parseCurrentAttribute(it: TtlvItem, opts?: AttributeOptions): Attribute {
  return parseWrapped(it, Tag.CurrentAttribute, opts);
}

export function buildCurrentAttribute(a: Attribute, opts?: AttributeOptions): StructureItem {
  return buildWrapped(a, Tag.CurrentAttribute, opts);
}
