// Locate filter → one parameterised SELECT.
//
// Each attribute criterion becomes `o.seq IN (SELECT object_seq FROM attributes
// WHERE name = ? AND <key column> …)`, which SQLite answers from the partial
// index on (name, key column, object_seq) without reading the attribute rows,
// let alone key material (a separate table Locate never joins). Several
// criteria intersect (AND), as KMIP Locate requires. Results are ordered by
// seq, the creation order, so Offset Items pages are stable.
//
// Flag and constant-valued attributes (Sensitive, Fresh, …; migration 2) are
// not in those indexes: a criterion on one is checked per candidate object,
// `EXISTS (… WHERE object_seq = o.seq AND name = ? …)` on the primary key. On
// its own such a criterion reads every object row; with any indexed one it
// only checks the objects that one found.
//
// Storage (the Storage Status Mask): archived means an Archive Date row, so
// the archived set is one range of the attributes_date index (name prefix);
// destroyed is a state. No schema change was needed for either.
//
// A partial structure criterion (hasFields) is compared by kmip_has_fields,
// a deterministic SQL function registered on the connection (see
// registerLocateFunctions): it decodes only the attribute's own `raw` bytes.
import type Database from 'better-sqlite3';
import { Tag } from '../../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, struct } from '../../shared/kmip/ttlv/index.js';
import type { TtlvItem } from '../../shared/kmip/ttlv/types.js';
import { encodeValue, keyColumns, nameColumns } from './attribute-codec.js';
import { StoreError } from './errors.js';
import { indexedName, UNINDEXED_ATTRIBUTES } from './migrations/002_selective_indexes.js';
import { DESTROYED_STATES, type AttributeFilter, type LocateFilter, type StorageClass } from './types.js';

const HAS_FIELDS = 'kmip_has_fields';
const UNINDEXED: ReadonlySet<string> = new Set(UNINDEXED_ATTRIBUTES);
const DESTROYED = DESTROYED_STATES.join(', ');

function fieldBytes(items: readonly TtlvItem[]): Buffer[] {
  return items.map((c) => Buffer.from(encodeTtlv(c)));
}

/**
 * kmip_has_fields(raw, wanted): 1 when the stored structure value `raw` has,
 * for every child of the structure `wanted`, a child with the same encoding.
 * A value that is not a structure, or that does not decode, matches nothing.
 */
function hasFields(raw: unknown, wanted: unknown): number {
  if (!(raw instanceof Uint8Array) || !(wanted instanceof Uint8Array)) return 0;
  try {
    const stored = decodeTtlv(raw);
    const want = decodeTtlv(wanted);
    if (stored.type !== 'Structure' || want.type !== 'Structure') return 0;
    const have = fieldBytes(stored.value);
    return fieldBytes(want.value).every((w) => have.some((h) => h.equals(w))) ? 1 : 0;
  } catch {
    return 0;
  }
}

/** Adds the SQL functions Locate queries use; once per connection, before the first Locate. */
export function registerLocateFunctions(db: Database.Database): void {
  db.function(HAS_FIELDS, { deterministic: true, directOnly: true }, hasFields);
}

export interface BuiltQuery {
  sql: string;
  params: unknown[];
}

function intParam(v: number | bigint, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isSafeInteger(v)) throw new StoreError('INVALID', `${what} must be an integer`);
  return BigInt(v);
}

function attributeClause(f: AttributeFilter, params: unknown[]): string {
  const { name } = nameColumns(f.name);
  const terms = ['a.name = ?'];
  params.push(name);
  // Before 'text': a hasFields criterion may carry a text key too.
  if ('hasFields' in f) {
    if (f.hasFields.length === 0) throw new StoreError('INVALID', 'a structure criterion needs at least one field');
    if (f.text !== undefined) {
      terms.push('a.text_value = ?');
      params.push(f.text);
    } else {
      // A stored structure can only match if it has a field of the criterion's
      // kind, so its key column is set: that makes a name-led index usable.
      const k = keyColumns({ type: 'Structure', value: [...f.hasFields] });
      // (Only nested structures: no key column applies, and rows of that name are compared one by one.)
      if (k.text !== null) terms.push('a.text_value IS NOT NULL');
      else if (k.int !== null) terms.push('a.int_value IS NOT NULL');
      else if (k.date !== null) terms.push('a.date_value IS NOT NULL');
    }
    terms.push(`${HAS_FIELDS}(a.raw, ?) = 1`);
    params.push(Buffer.from(encodeTtlv(struct(Tag.AttributeValue, [...f.hasFields]))));
  } else if ('equals' in f) {
    const k = keyColumns(f.equals);
    // Narrow on a key column (indexed), then compare the exact bytes.
    if (k.text !== null) {
      terms.push('a.text_value = ?');
      params.push(k.text);
    } else if (k.int !== null) {
      terms.push('a.int_value = ?');
      params.push(k.int);
    } else if (k.date !== null) {
      terms.push('a.date_value = ?');
      params.push(k.date);
    }
    terms.push('a.raw = ?');
    params.push(encodeValue(f.equals));
  } else if ('text' in f) {
    terms.push('a.text_value = ?');
    params.push(f.text);
  } else if ('int' in f) {
    terms.push('a.int_value = ?');
    params.push(intParam(f.int, 'int'));
  } else if ('allBits' in f) {
    // IS NOT NULL lets the name-led partial index attributes_int serve the lookup.
    const bits = intParam(f.allBits, 'allBits');
    terms.push('a.int_value IS NOT NULL', '(a.int_value & ?) = ?');
    params.push(bits, bits);
  } else {
    terms.push('a.date_value IS NOT NULL');
    if (f.from !== undefined) {
      terms.push('a.date_value >= ?');
      params.push(intParam(f.from, 'from'));
    }
    if (f.to !== undefined) {
      terms.push('a.date_value <= ?');
      params.push(intParam(f.to, 'to'));
    }
  }
  if (UNINDEXED.has(name)) return `EXISTS (SELECT 1 FROM attributes a WHERE a.object_seq = o.seq AND ${terms.join(' AND ')})`;
  // The indexes' own condition, so the planner may use them (see migration 2).
  terms.push(indexedName('a.name'));
  return `o.seq IN (SELECT a.object_seq FROM attributes a WHERE ${terms.join(' AND ')})`;
}

function count(v: number | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isSafeInteger(v) || v < 0) throw new StoreError('INVALID', `${what} must be a non-negative integer`);
  return v;
}

const STORAGE_CLASSES: readonly StorageClass[] = ['online', 'archived', 'destroyed'];

/** The storage condition (see StorageClass), undefined when every class is searched. */
function storageClause(storage: readonly StorageClass[], state: string, params: unknown[]): string | undefined {
  const want = new Set(storage);
  for (const c of want) if (!STORAGE_CLASSES.includes(c)) throw new StoreError('INVALID', `unknown storage class ${String(c)}`);
  if (want.size === 0) throw new StoreError('INVALID', 'storage filter lists no storage');
  if (want.size === STORAGE_CLASSES.length) return undefined;
  const archived = () => {
    params.push('ArchiveDate');
    return `o.seq IN (SELECT x.object_seq FROM attributes x WHERE x.name = ? AND x.date_value IS NOT NULL AND ${indexedName('x.name')})`;
  };
  const parts: string[] = [];
  // Placeholders are pushed in the order the SQL text uses them.
  if (want.has('online')) parts.push(`(${state} NOT IN (${DESTROYED}) AND NOT ${archived()})`);
  if (want.has('archived')) parts.push(`(${state} NOT IN (${DESTROYED}) AND ${archived()})`);
  if (want.has('destroyed')) parts.push(`${state} IN (${DESTROYED})`);
  return parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`;
}

export function buildLocateQuery(filter: LocateFilter): BuiltQuery {
  const where: string[] = [];
  const params: unknown[] = [];
  // With attribute criteria, the attribute indexes are far more selective than
  // Object Type or State (a million AES keys share one Object Type): the unary
  // '+' stops SQLite from driving the query from the objects indexes instead.
  const col = (c: string) => ((filter.attributes?.length ?? 0) > 0 ? `+o.${c}` : `o.${c}`);
  if (filter.objectType !== undefined) {
    where.push(`${col('object_type')} = ?`);
    params.push(filter.objectType);
  }
  if (filter.state !== undefined) {
    const states = typeof filter.state === 'number' ? [filter.state] : filter.state;
    if (states.length === 0) throw new StoreError('INVALID', 'state filter lists no states');
    where.push(`${col('state')} IN (${states.map(() => '?').join(', ')})`);
    params.push(...states);
  }
  if (filter.owner !== undefined) {
    where.push(`${col('owner')} = ?`);
    params.push(filter.owner);
  }
  if (filter.owners !== undefined) {
    const owned = `${col('owner')} IN (${filter.owners.map(() => '?').join(', ')})`;
    params.push(...filter.owners);
    const shared = filter.sharedWith ?? [];
    if (shared.length === 0) where.push(owned);
    else {
      where.push(`(${owned} OR EXISTS (SELECT 1 FROM object_shares s WHERE s.object_seq = o.seq AND s.grantee IN (${shared.map(() => '?').join(', ')})))`);
      params.push(...shared);
    }
  }
  if (filter.objectTypes !== undefined) {
    where.push(`${col('object_type')} IN (${filter.objectTypes.map(() => '?').join(', ')})`);
    params.push(...filter.objectTypes);
  }
  if (filter.storage !== undefined) {
    const clause = storageClause(filter.storage, col('state'), params);
    if (clause !== undefined) where.push(clause);
  }
  for (const f of filter.attributes ?? []) where.push(attributeClause(f, params));
  const max = count(filter.maxItems, 'maxItems');
  const offset = count(filter.offset, 'offset');
  const sql =
    'SELECT o.uid FROM objects o' +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY o.seq${filter.newestFirst === true ? ' DESC' : ''} LIMIT ? OFFSET ?`;
  params.push(max ?? -1, offset ?? 0);
  return { sql, params };
}

/** The query plan, for tests and diagnostics. */
export function explainLocate(db: Database.Database, filter: LocateFilter): string[] {
  const q = buildLocateQuery(filter);
  return (db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params) as { detail: string }[]).map((r) => r.detail);
}
