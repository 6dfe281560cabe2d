// A small ordered-structure schema engine. One field list drives both parsing
// and building, so the field order used to build is, by construction, the
// order the parser demands (KMIP 1.4 §7 / 2.1 §8: "All fields SHALL appear in
// the order specified").
//
// Parsing is strict: a child whose tag is not in the list, a child that comes
// out of order or twice, a child of the wrong item type, a tag that the
// message's KMIP version does not define, or a missing required field is a
// MessageError 'INVALID_MESSAGE'. A `check` failure is 'INVALID_FIELD'.
import { KMIP_VERSIONS, tagByValue, tagName, type KmipVersion } from '../registry/index.js';
import { item, tagHex, type ItemTypeName, type StructureItem, type TtlvItem } from '../ttlv/types.js';
import { MessageError, type MessageErrorCode } from './errors.js';
import type { ProtocolVersion } from './types.js';

/** Parse / build context: the message's protocol version (once known) and the path so far. */
export interface Ctx {
  version?: ProtocolVersion;
  path: string;
  /** True while parsing / building a request message (some rules differ for responses). */
  request?: boolean;
}

export interface Field {
  key: string;
  tag: number;
  /** Expected item type; 'Any' accepts every type. A function when it depends on the version. */
  type: ItemTypeName | 'Any' | ((ctx: Ctx) => ItemTypeName);
  required?: boolean;
  /** The object holds an array; the item MAY be repeated (at most max(ctx) times). */
  repeated?: boolean;
  max?: (ctx: Ctx) => number;
  /** Item → typed value. Default: the item's value; for a Structure, the raw item. */
  decode?: (it: TtlvItem, ctx: Ctx) => unknown;
  /** Typed value → item (tag and type are given). Default: item(tag, type, value). */
  encode?: (value: unknown, tag: number, ctx: Ctx) => TtlvItem;
  /** Semantic check of the decoded value: an error text makes it 'INVALID_FIELD'. */
  check?: (value: unknown, ctx: Ctx) => string | undefined;
}

export function versionKey(v: ProtocolVersion): string {
  return `${v.major}.${v.minor}`;
}

/** major → minor → version: found without building a string (this is asked once per field of every message). */
const KNOWN_VERSIONS = new Map<number, Map<number, KmipVersion>>();
for (const k of KMIP_VERSIONS) {
  const [major, minor] = k.split('.').map(Number) as [number, number];
  let minors = KNOWN_VERSIONS.get(major);
  if (minors === undefined) KNOWN_VERSIONS.set(major, (minors = new Map()));
  minors.set(minor, k);
}

/** The KMIP version, when it is one the registry knows (1.0 … 2.1). */
export function kmipVersion(v: ProtocolVersion | undefined): KmipVersion | undefined {
  if (v === undefined) return undefined;
  return KNOWN_VERSIONS.get(v.major)?.get(v.minor);
}

export function nameOf(tag: number): string {
  return tagName(tag) ?? tagHex(tag);
}

/**
 * A child context. The path is only needed for an error message, and a
 * message has dozens of fields: it is joined when first read, not here.
 */
class ChildCtx implements Ctx {
  readonly version?: ProtocolVersion;
  readonly request?: boolean;
  #path: string | undefined;
  readonly #parent: Ctx;
  readonly #segment: string;
  constructor(parent: Ctx, segment: string) {
    if (parent.version !== undefined) this.version = parent.version;
    if (parent.request !== undefined) this.request = parent.request;
    this.#parent = parent;
    this.#segment = segment;
  }
  get path(): string {
    return (this.#path ??= this.#parent.path === '' ? this.#segment : `${this.#parent.path}/${this.#segment}`);
  }
}

export function childPath(ctx: Ctx, segment: string): Ctx {
  return new ChildCtx(ctx, segment);
}

export function fail(code: MessageErrorCode, detail: string, ctx: Ctx): never {
  throw new MessageError(code, detail, ctx.path, ctx.version);
}

/**
 * Whether the registry defines `tag` in the context's version. Unknown tags
 * (not in the registry) and unknown versions are not judged here.
 */
export function tagInVersion(tag: number, ctx: Ctx): boolean {
  const v = kmipVersion(ctx.version);
  const def = tagByValue(tag);
  if (v === undefined || def === undefined) return true;
  return def.versions.includes(v);
}

function expectedType(f: Field, ctx: Ctx): ItemTypeName | 'Any' {
  return typeof f.type === 'function' ? f.type(ctx) : f.type;
}

/** Check that `it` is a Structure with `tag`. */
export function expectStructure(it: TtlvItem, tag: number, ctx: Ctx): StructureItem {
  if (it.tag !== tag) fail('INVALID_MESSAGE', `expected ${nameOf(tag)}, found ${nameOf(it.tag)}`, ctx);
  if (it.type !== 'Structure') fail('INVALID_MESSAGE', `${nameOf(tag)} must be a Structure, not ${it.type}`, ctx);
  return it;
}

/** Parse the children of `s` (already checked to be a Structure) against `fields`. `ctx.path` is the path of `s`. */
export function parseFields<T>(s: StructureItem, fields: readonly Field[], ctx: Ctx): T {
  const out: Record<string, unknown> = {};
  const counts = new Map<Field, number>();
  let next = 0;
  for (const child of s.value) {
    let j = -1;
    for (let k = next; k < fields.length; k++) {
      if (fields[k]!.tag === child.tag) {
        j = k;
        break;
      }
    }
    if (j < 0) {
      const known = fields.find((f) => f.tag === child.tag);
      const where = ctx.path === '' ? '' : ` in ${ctx.path.split('/').pop()}`;
      if (known === undefined) fail('INVALID_MESSAGE', `unexpected field ${nameOf(child.tag)}${where}`, childPath(ctx, nameOf(child.tag)));
      fail('INVALID_MESSAGE', `${nameOf(child.tag)} is repeated or out of order${where}`, childPath(ctx, nameOf(child.tag)));
    }
    const f = fields[j]!;
    const n = counts.get(f) ?? 0;
    counts.set(f, n + 1);
    const cctx = childPath(ctx, f.repeated ? `${nameOf(f.tag)}[${n}]` : nameOf(f.tag));
    if (!tagInVersion(f.tag, ctx)) {
      fail('INVALID_MESSAGE', `${nameOf(f.tag)} is not defined in KMIP ${versionKey(ctx.version!)}`, cctx);
    }
    const type = expectedType(f, ctx);
    if (type !== 'Any' && child.type !== type) fail('INVALID_MESSAGE', `${nameOf(f.tag)} must be ${type}, not ${child.type}`, cctx);
    const value = f.decode ? f.decode(child, cctx) : child.type === 'Structure' ? child : child.value;
    const problem = f.check?.(value, cctx);
    if (problem !== undefined) fail('INVALID_FIELD', problem, cctx);
    if (f.repeated) {
      const max = f.max?.(ctx) ?? Infinity;
      if (n + 1 > max) fail('INVALID_MESSAGE', `${nameOf(f.tag)} may appear at most ${max} time${max === 1 ? '' : 's'} here`, cctx);
      ((out[f.key] ??= []) as unknown[]).push(value);
      next = j;
    } else {
      out[f.key] = value;
      next = j + 1;
    }
  }
  for (const f of fields) {
    if (f.required && out[f.key] === undefined) {
      fail('INVALID_MESSAGE', `missing required ${nameOf(f.tag)}`, childPath(ctx, nameOf(f.tag)));
    }
  }
  return out as T;
}

/** Build a Structure with `tag` from `obj` in field order. Rejects what parseFields would reject. */
export function buildFields(tag: number, obj: object, fields: readonly Field[], ctx: Ctx): StructureItem {
  const rec = obj as Record<string, unknown>;
  const children: TtlvItem[] = [];
  for (const f of fields) {
    const v = rec[f.key];
    const present = f.repeated ? Array.isArray(v) && v.length > 0 : v !== undefined;
    if (!present) {
      if (f.required) fail('INVALID_FIELD', `missing required ${nameOf(f.tag)}`, childPath(ctx, nameOf(f.tag)));
      continue;
    }
    const fctx = childPath(ctx, nameOf(f.tag));
    if (!tagInVersion(f.tag, ctx)) fail('INVALID_FIELD', `${nameOf(f.tag)} is not defined in KMIP ${versionKey(ctx.version!)}`, fctx);
    const values = f.repeated ? (v as unknown[]) : [v];
    if (f.repeated) {
      const max = f.max?.(ctx) ?? Infinity;
      if (values.length > max) fail('INVALID_FIELD', `${nameOf(f.tag)} may appear at most ${max} time${max === 1 ? '' : 's'} here`, fctx);
    }
    values.forEach((value, i) => {
      const ictx = f.repeated ? childPath(ctx, `${nameOf(f.tag)}[${i}]`) : fctx;
      const problem = f.check?.(value, ictx);
      if (problem !== undefined) fail('INVALID_FIELD', problem, ictx);
      if (f.encode) {
        children.push(f.encode(value, f.tag, ictx));
        return;
      }
      const type = expectedType(f, ctx);
      if (type === 'Any' || type === 'Structure') {
        // A raw item: keep its type and value, force the tag.
        const raw = value as TtlvItem;
        children.push({ ...raw, tag: f.tag } as TtlvItem);
        return;
      }
      if (!jsValueFits(type, value)) fail('INVALID_FIELD', `${nameOf(f.tag)} needs a ${type} value`, ictx);
      children.push(item(f.tag, type, value as never));
    });
  }
  return { tag, type: 'Structure', value: children };
}

/** Whether a JS value has the representation TtlvItem uses for the item type. */
export function jsValueFits(type: ItemTypeName, value: unknown): boolean {
  switch (type) {
    case 'Integer':
    case 'Enumeration':
    case 'Interval':
      return typeof value === 'number' && Number.isInteger(value);
    case 'LongInteger':
    case 'DateTime':
    case 'DateTimeExtended':
      return typeof value === 'bigint';
    case 'Boolean':
      return typeof value === 'boolean';
    case 'TextString':
      return typeof value === 'string';
    case 'ByteString':
    case 'BigInteger':
      return value instanceof Uint8Array;
    case 'Structure':
      return Array.isArray(value);
  }
}

// Common checks.
export const nonNegative = (v: unknown): string | undefined =>
  typeof v === 'number' && v < 0 ? `must not be negative (got ${v})` : undefined;
export const positive = (v: unknown): string | undefined =>
  typeof v === 'number' && v < 1 ? `must be at least 1 (got ${v})` : undefined;
