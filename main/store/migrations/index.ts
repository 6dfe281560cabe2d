// Numbered schema migrations. Each runs once, in order, inside one IMMEDIATE
// transaction together with its schema_version row, so a crash mid-migration
// leaves the previous version intact and two processes opening a fresh
// database at once cannot both apply it. A database whose version is newer
// than the last migration here was written by a newer Keyhold: refuse it
// rather than guess at a schema we do not know.
import type Database from 'better-sqlite3';
import { StoreError } from '../errors.js';
import * as m001 from './001_initial.js';
import * as m002 from './002_selective_indexes.js';
import * as m003 from './003_object_shares.js';
import * as m004 from './004_retained_material.js';
import * as m005 from './005_object_origin.js';

interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}

export const MIGRATIONS: readonly Migration[] = [m001, m002, m003, m004, m005];
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

function currentVersion(db: Database.Database): number {
  const v = db.prepare('SELECT max(version) FROM schema_version').pluck().get() as number | null;
  return v ?? 0;
}

/** Bring the schema up to date; returns the versions applied (empty when already current). */
export function migrate(db: Database.Database): number[] {
  const applied: number[] = [];
  const run = db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    const have = currentVersion(db);
    if (have > SCHEMA_VERSION) {
      throw new StoreError('INCOMPATIBLE', `the database has schema version ${have}, newer than this Keyhold supports (${SCHEMA_VERSION}); upgrade Keyhold`);
    }
    const add = db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)');
    for (const m of MIGRATIONS) {
      if (m.version <= have) continue;
      m.up(db);
      add.run(m.version, m.description, Date.now());
      applied.push(m.version);
    }
  });
  run.immediate();
  return applied;
}
