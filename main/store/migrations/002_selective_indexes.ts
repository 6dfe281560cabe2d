// Migration 2: the key indexes leave out flag and constant-valued attributes.
//
// Why: a Create stores about fifteen attributes, and each indexed one puts an
// entry in the leaf page of its name's range in attributes_int / _text /
// _date. Those pages are written to the log at every commit: about 29 pages a
// Create, half of them for flags (Sensitive, Fresh, …) whose values are the
// same for nearly every object, so an index on them could never narrow a
// Locate anyway. Leaving them out made a Create in-process a third cheaper.
//
// Their key columns are still filled (nothing about the rows changes), so a
// Locate on them still works: locate-query.ts checks them per candidate object
// through the primary key (object_seq, name, idx) instead of an index range.
//
// The list is part of this migration: changing it needs a new migration that
// rebuilds the indexes, and locate-query.ts must use the same list.
import type Database from 'better-sqlite3';

export const version = 2;
export const description = 'key indexes without flag and constant-valued attributes';

/** Attributes kept out of the key indexes (stored attribute names, as attributeKey gives them). */
export const UNINDEXED_ATTRIBUTES: readonly string[] = [
  'AlwaysSensitive',
  'Extractable',
  'Fresh',
  'KeyFormatType',
  'LeaseTime',
  'NeverExtractable',
  'RandomNumberGenerator',
  'Sensitive',
];

/**
 * The partial-index condition on the name column. A query can use one of
 * these indexes only when its WHERE clause carries this very term (SQLite
 * matches partial-index conditions by expression, not by value), so
 * locate-query.ts adds it, built by this same function.
 */
export function indexedName(column: string): string {
  return `${column} NOT IN (${UNINDEXED_ATTRIBUTES.map((n) => `'${n}'`).join(', ')})`;
}

export function up(db: Database.Database): void {
  db.exec(`
    DROP INDEX attributes_text;
    DROP INDEX attributes_int;
    DROP INDEX attributes_date;
    CREATE INDEX attributes_text ON attributes (name, text_value, object_seq) WHERE text_value IS NOT NULL AND ${indexedName('name')};
    CREATE INDEX attributes_int  ON attributes (name, int_value, object_seq)  WHERE int_value IS NOT NULL AND ${indexedName('name')};
    CREATE INDEX attributes_date ON attributes (name, date_value, object_seq) WHERE date_value IS NOT NULL AND ${indexedName('name')};
  `);
}
