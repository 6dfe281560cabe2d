// The check at every start (issue 6, point 5). A database that is damaged,
// from a newer Keyhold or not opened by the master key is never served and
// never written to, not even by a migration: the server refuses to start
// with one sentence that names the problem and the newest verified backup
// to restore.
//
// precheckDatabase, before the store is opened (so before migrate), through
// one read-only connection: the file's header, PRAGMA quick_check, the
// schema version, the key check row opened with the master key files (the
// current key, or the next one of an unfinished rotation), then stored
// material decrypted: all of it up to ALL_UP_TO rows, else the newest and a
// random sample, bounded in time. The connection writes nothing to
// keyhold.db or its -wal; an empty -wal or a -shm it creates is removed
// again. A passphrase-protected master key not yet given stops after the
// file checks; unlock runs the whole check with the keys.
//
// What quick_check cannot see: it checks the b-tree structure, page and cell
// format, record headers and NOT NULL/CHECK constraints, not the content of
// a value. A flipped byte inside an attribute value (a Name, a date) or in
// an index's copy of it passes; a flipped byte in key material fails the
// material's GCM tag (the check finds it when it samples that row, a Get
// always does).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MaterialCipher } from '../store/crypto.js';
import { loadKeyFiles, protectionOf, type MasterKeys } from '../store/master-key.js';
import { SCHEMA_VERSION } from '../store/migrations/index.js';
import { DB_FILE } from '../store/sqlite-store.js';
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
 * The whole check (see the top), through one read-only connection opened
 * before the store: nothing here writes to keyhold.db or its -wal, and a
 * -wal or -shm file the connection creates is removed again. `keys`: the
 * unlocked master keys (passphrase protection); absent, key-file protection
 * reads DIR/master.key.
 */
export async function precheckDatabase(dataDir: string, keys?: MasterKeys): Promise<{ ms: number; checked: number; total: number; all: boolean }> {
  const t0 = performance.now();
  const none = { ms: 0, checked: 0, total: 0, all: true };
  const file = path.join(dataDir, DB_FILE);
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    return none; // no database yet: created at first start
  }
  if (size === 0) return none;
  const head = Buffer.alloc(16);
  const fd = fs.openSync(file, 'r');
  try { fs.readSync(fd, head, 0, 16, 0); } finally { fs.closeSync(fd); }
  if (!head.equals(SQLITE_HEADER)) await refuse(dataDir, `the key store ${file} is not a readable SQLite database (its header is damaged)`);
  const had = { wal: fs.existsSync(`${file}-wal`), shm: fs.existsSync(`${file}-shm`) };
  let db: Database.Database | undefined;
  try {
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
      problem = code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' ? `the key store ${file} is damaged (it cannot be read: ${code})` : `the key store ${file} cannot be read (${code})`;
    }
    if (problem !== undefined) await refuse(dataDir, problem);
    if (keyCheck === undefined) return { ...none, ms: Math.round(performance.now() - t0) };
    let k = keys;
    if (k === undefined && protectionOf(dataDir) === 'key-file') {
      try {
        k = loadKeyFiles(dataDir, false);
      } catch (e) {
        await refuse(dataDir, (e as Error).message);
      }
    }
    // Locked (passphrase, not given): the key check waits for unlock, which runs this again with the keys.
    if (k === undefined) return { ...none, ms: Math.round(performance.now() - t0) };
    const cipher = keyCheckCipher(keyCheck, k);
    if (cipher === undefined) {
      await refuse(dataDir, `the master key ${k.protection === 'passphrase' ? '(unlocked with the passphrase)' : `file ${path.join(dataDir, 'master.key')}`} does not open the key store ${file}`);
    }
    const m = sampleMaterial(db!, cipher!);
    if (m.bad !== undefined) await refuse(dataDir, `the key store's material does not open with the master key (stored material of object ${m.bad} failed authentication)`);
    return { ms: Math.round(performance.now() - t0), checked: m.checked, total: m.total, all: m.all };
  } finally {
    db?.close();
    for (const ext of ['wal', 'shm'] as const) {
      const f = `${file}-${ext}`;
      try {
        if (!had[ext] && fs.statSync(f).size === 0) fs.rmSync(f, { force: true });
        else if (!had[ext] && ext === 'shm') fs.rmSync(f, { force: true });
      } catch {
        /* not there */
      }
    }
  }
}

/** A cipher of the key (current, or next of an unfinished rotation) that opens the key check, or undefined. */
function keyCheckCipher(row: Buffer, keys: MasterKeys): MaterialCipher | undefined {
  if (row.length < 1 + 12 + 16) return undefined;
  const version = row[0]!;
  for (const key of [keys.current, keys.next]) {
    if (key === null) continue;
    const cipher = new MaterialCipher(new Map([[version, key]]), version);
    try {
      cipher.open('key-check', 'meta', version, { nonce: row.subarray(1, 13), ciphertext: row.subarray(13) }).fill(0);
      return cipher;
    } catch {
      /* the other key */
    }
  }
  return undefined;
}

type MaterialRow = { uid: string; key_version: number; nonce: Buffer; ciphertext: Buffer };

/**
 * Decrypts stored material: every row when there are at most ALL_UP_TO,
 * else the newest SAMPLE.newest and SAMPLE.random more at random, stopping
 * after SAMPLE.budgetMs. Plaintext is zeroed at once.
 */
function sampleMaterial(db: Database.Database, cipher: MaterialCipher): { checked: number; total: number; all: boolean; bad?: string } {
  const deadline = performance.now() + SAMPLE.budgetMs;
  const total = db.prepare('SELECT count(*) FROM object_material').pluck().get() as number;
  let checked = 0;
  const opens = (r: MaterialRow): boolean => {
    checked++;
    try {
      cipher.open('material', r.uid, r.key_version, { nonce: r.nonce, ciphertext: r.ciphertext }).fill(0);
      return true;
    } catch {
      return false;
    }
  };
  const cols = 'o.uid, m.key_version, m.nonce, m.ciphertext FROM object_material m JOIN objects o ON o.seq = m.object_seq';
  if (total <= ALL_UP_TO) {
    for (const r of db.prepare(`SELECT ${cols}`).iterate() as Iterable<MaterialRow>) {
      if (!opens(r)) return { checked, total, all: false, bad: r.uid };
      if ((checked & 255) === 0 && performance.now() > deadline) return { checked, total, all: false };
    }
    return { checked, total, all: true };
  }
  for (const r of db.prepare(`SELECT ${cols} ORDER BY m.object_seq DESC LIMIT ?`).all(SAMPLE.newest) as MaterialRow[]) {
    if (!opens(r)) return { checked, total, all: false, bad: r.uid };
    if (performance.now() > deadline) return { checked, total, all: false };
  }
  const max = db.prepare('SELECT coalesce(max(object_seq), 0) FROM object_material').pluck().get() as number;
  const at = db.prepare(`SELECT ${cols} WHERE m.object_seq >= ? ORDER BY m.object_seq LIMIT 1`);
  for (let i = 0; i < SAMPLE.random && performance.now() <= deadline; i++) {
    const r = at.get(1 + Math.floor(Math.random() * max)) as MaterialRow | undefined;
    if (r !== undefined && !opens(r)) return { checked, total, all: false, bad: r.uid };
  }
  return { checked, total, all: false };
}

/** Maps a store error of openStore to the start refusal when it means the database must not be served. */
export async function refusalOf(dataDir: string, e: unknown): Promise<unknown> {
  if (e instanceof StoreError && (e.code === 'CORRUPT' || e.code === 'INCOMPATIBLE')) {
    try { await refuse(dataDir, e.message); } catch (r) { return r; }
  }
  return e;
}
