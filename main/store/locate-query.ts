// Locate filter → one parameterised SELECT.
//
// Each attribute criterion becomes `o.seq IN (SELECT object_seq FROM attributes
// WHERE name = ? AND <key column> …)`, which SQLite answers from the partial
// index on (name, key column, object_seq) without reading the attribute rows,
// let alone key material (a separate table Locate never joins). Several
// criteria intersect (AND), as KMIP Locate requires. Results are ordered by
// seq, the creation order, so Offset Items pages are stable.
import type Database from 'better-sqlite3';
import { encodeValue, keyColumns, nameColumns } from './attribute-codec.js';
import { StoreError } from './errors.js';
import type { AttributeFilter, LocateFilter } from './types.js';

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
  if ('equals' in f) {
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
  return `o.seq IN (SELECT a.object_seq FROM attributes a WHERE ${terms.join(' AND ')})`;
}

function count(v: number | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isSafeInteger(v) || v < 0) throw new StoreError('INVALID', `${what} must be a non-negative integer`);
  return v;
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
  for (const f of filter.attributes ?? []) where.push(attributeClause(f, params));
  const max = count(filter.maxItems, 'maxItems');
  const offset = count(filter.offset, 'offset');
  const sql =
    'SELECT o.uid FROM objects o' +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ' ORDER BY o.seq LIMIT ? OFFSET ?';
  params.push(max ?? -1, offset ?? 0);
  return { sql, params };
}

/** The query plan, for tests and diagnostics. */
export function explainLocate(db: Database.Database, filter: LocateFilter): string[] {
  const q = buildLocateQuery(filter);
  return (db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params) as { detail: string }[]).map((r) => r.detail);
}
