// The check at every start (issue 6, point 5). A database that is damaged,
// from a newer Keyhold or not opened by the master key is never served and
// never written to, not even by a migration: the server refuses to start
// with one sentence that names the problem and the newest verified backup
// to restore.
//
// 1. precheckDatabase, before the store is opened (so before migrate): the
//    file's header, PRAGMA quick_check and the schema version through a
//    read-only connection, and the key check row opened with the master key
//    files (the current key, or the next one of an unfinished rotation).
//    The read-only connection writes nothing to keyhold.db or its -wal; it
//    may create a -shm file, which is removed again.
// 2. checkStoreMaterial, right after openStore and before anything else uses
//    the store: decrypts stored material (all of it up to ALL_UP_TO rows,
//    else the newest and a random sample), bounded in time.
//
// What quick_check cannot see: it checks the b-tree structure, page and cell
// format, record headers and NOT NULL/CHECK constraints, not the content of
// a value. A flipped byte inside an attribute value (a Name, a date) or in
// an index's copy of it passes; a flipped byte in key material fails the
// material's GCM tag (step 2 finds it when sampled, a Get always does).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MaterialCipher } from '../store/crypto.js';
import { loadKeyFiles, protectionOf, type MasterKeys } from '../store/master-key.js';
import { SCHEMA_VERSION } from '../store/migrations/index.js';
import { DB_FILE, type SqliteKeyStore } from '../store/sqlite-store.js';
import { StoreError } from '../store/errors.js';
import { newestVerified } from './backup.js';
import { readBackupSettings } from './settings.js';

/** Thrown when the store must not be served; the message is the one sentence the operator sees. */
export class StartRefused extends Error {
  override readonly name = 'StartRefused';
}

export const ALL_UP_TO = 100_000;
export const SAMPLE = { newest: 500, random: 500, budgetMs: 2_000 };

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** "restore … with: keyhold backup restore FILE --data-dir DIR", or why there is nothing to restore. */
export async function restoreHint(dataDir: string): Promise<string> {
  let folder: string | null = null;
  try {
    folder = (await readBackupSettings(dataDir)).folder;
  } catch {
    /* unreadable settings: no folder known */
  }
  if (folder === null) return 'no backup folder is configured, so no verified backup is known';
  const newest = newestVerified(folder);
  if (newest === null) return `no verified backup exists in ${folder}`;
  return `restore the newest verified backup (${newest.record.created}, ${newest.record.objects} objects) with: keyhold backup restore ${newest.file} --data-dir ${dataDir}`;
}

async function refuse(dataDir: string, problem: string): Promise<never> {
  throw new StartRefused(`${problem}; it was not served or changed; ${await restoreHint(dataDir)}`);
}

/**
 * Step 1 (see the top). `keys`: the unlocked master keys (passphrase
 * protection); absent, key-file protection reads DIR/master.key.
 */
export async function precheckDatabase(dataDir: string, keys?: MasterKeys): Promise<{ ms: number }> {
  const t0 = performance.now();
  const file = path.join(dataDir, DB_FILE);
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    return { ms: 0 }; // no database yet: created at first start
  }
  if (size === 0) return { ms: 0 };
  const head = Buffer.alloc(16);
  const fd = fs.openSync(file, 'r');
  try { fs.readSync(fd, head, 0, 16, 0); } finally { fs.closeSync(fd); }
  if (!head.equals(SQLITE_HEADER)) await refuse(dataDir, `the key store ${file} is not a readable SQLite database (its header is damaged)`);
  const shm = `${file}-shm`;
  const hadShm = fs.existsSync(shm);
  let db: Database.Database | undefined;
  let problem: string | undefined;
  let keyCheck: Buffer | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const rows = db.pragma('quick_check', { simple: false }) as { quick_check: string }[];
    if (rows.length !== 1 || rows[0]!.quick_check !== 'ok') {
      problem = `the key store ${file} is damaged (quick_check: ${(rows[0]?.quick_check ?? 'no answer').split('\n')[0]!.slice(0, 200)}${rows.length > 1 ? ` and ${rows.length - 1} more problems` : ''})`;
    } else {
      const hasVersions = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get() !== undefined;
      const version = hasVersions ? ((db.prepare('SELECT max(version) FROM schema_version').pluck().get() as number | null) ?? 0) : 0;
      if (version > SCHEMA_VERSION) problem = `the key store ${file} has schema version ${version}, newer than this Keyhold supports (${SCHEMA_VERSION}): upgrade Keyhold`;
      const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
      if (problem === undefined && hasMeta) keyCheck = db.prepare("SELECT value FROM meta WHERE key = 'key-check'").pluck().get() as Buffer | undefined;
    }
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'error';
    problem = `the key store ${file} cannot be read (${code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' ? 'damaged' : code})`;
  } finally {
    db?.close();
    if (!hadShm) fs.rmSync(shm, { force: true });
  }
  if (problem !== undefined) await refuse(dataDir, problem);
  if (keyCheck !== undefined) {
    let k = keys;
    if (k === undefined && protectionOf(dataDir) === 'key-file') {
      try {
        k = loadKeyFiles(dataDir, false);
      } catch (e) {
        await refuse(dataDir, (e as Error).message);
      }
    }
    if (k !== undefined && !opensKeyCheck(keyCheck, k)) {
      await refuse(dataDir, `the master key ${k.protection === 'passphrase' ? '(unlocked with the passphrase)' : `file ${path.join(dataDir, 'master.key')}`} does not open the key store ${file}`);
    }
  }
  return { ms: Math.round(performance.now() - t0) };
}

function opensKeyCheck(row: Buffer, keys: MasterKeys): boolean {
  if (row.length < 1 + 12 + 16) return false;
  const version = row[0]!;
  return [keys.current, keys.next].some((key) => {
    if (key === null) return false;
    try {
      new MaterialCipher(new Map([[version, key]]), version).open('key-check', 'meta', version, { nonce: row.subarray(1, 13), ciphertext: row.subarray(13) }).fill(0);
      return true;
    } catch {
      return false;
    }
  });
}

/** Step 2 (see the top). Throws StartRefused; the caller closes the store. */
export async function checkStoreMaterial(dataDir: string, store: Pick<SqliteKeyStore, 'checkMaterial'>): Promise<{ checked: number; total: number; all: boolean; ms: number }> {
  const t0 = performance.now();
  let r;
  try {
    r = store.checkMaterial({ allUpTo: ALL_UP_TO, ...SAMPLE });
  } catch (e) {
    if (e instanceof StoreError && e.code === 'CORRUPT') return refuse(dataDir, `the key store's material does not open with the master key (${e.message})`);
    throw e;
  }
  return { ...r, ms: Math.round(performance.now() - t0) };
}

/** Maps a store error of openStore to the start refusal when it means the database must not be served. */
export async function refusalOf(dataDir: string, e: unknown): Promise<unknown> {
  if (e instanceof StoreError && (e.code === 'CORRUPT' || e.code === 'INCOMPATIBLE')) {
    try { await refuse(dataDir, e.message); } catch (r) { return r; }
  }
  return e;
}
