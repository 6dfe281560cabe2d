// `keyhold backup restore FILE` and `keyhold backup restore --undo`.
//
// Restore never deletes anything:
// 1. The backup is decrypted and checked in full (integrity_check, object
//    count) into a new folder beside the data dir (DIR.restoring-<time>),
//    before the data dir is touched. A master-key backup gets the master key
//    file that opened it copied in (the archive holds none).
// 2. The data dir is renamed to DIR.before-restore-<time> and the checked
//    folder renamed to DIR: two renames in one file system. The new DIR
//    carries restored-from.json naming the set-aside folder.
// 3. `--undo` swaps back: the restored DIR becomes DIR.restored-<time>
//    (kept too), the set-aside folder becomes DIR again. Keys created on the
//    restored data dir in between are then in that kept folder, not lost.
// The caller holds the data dir's lock (no server runs); the folder being
// swapped in carries a lock of this process too, so a server started
// during the swap is refused.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { LOCK_FILE } from '../server/lock.js';
import Database from 'better-sqlite3';
import { DB_FILE } from '../store/sqlite-store.js';
import { readBackup, type OnProgress, type ReadResult, type Unlock } from './backup.js';

/**
 * The restored database is exactly what the backup held: every object in it
 * is in a verified backup (this one). Noted in its meta table as the server
 * notes a backup it wrote (backup-service.ts), so refuseUnbackedKeys serves
 * them at once instead of after the next backup.
 */
function noteRestoredBackup(dbFile: string, backup: string, read: ReadResult): void {
  const db = new Database(dbFile, { fileMustExist: true });
  try {
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
    if (!hasMeta) return;
    const note = { created: read.core.created, file: path.resolve(backup), objects: read.objects, maxSeq: read.maxSeq };
    db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('backup/verified', Buffer.from(JSON.stringify(note)));
  } finally {
    db.close();
  }
}

export const RESTORED_NOTE = 'restored-from.json';

export interface RestoreNote {
  backup: string;
  restoredAt: string;
  /** The data dir as it was before, or null when the restore went into a new data dir. */
  setAside: string | null;
}

export interface RestoreResult {
  objects: number;
  created: string;
  setAside: string | null;
  entries: string[];
}

function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** A sibling path that does not exist yet. */
function freshSibling(dir: string, label: string, now: Date): string {
  const base = `${dir}.${label}-${stamp(now)}`;
  let p = base;
  for (let i = 1; fs.existsSync(p); i++) p = `${base}-${i}`;
  return p;
}

function writeLock(dir: string): void {
  fs.writeFileSync(path.join(dir, LOCK_FILE), `${process.pid}\n`, { mode: 0o600 });
}

function removeOwnLock(dir: string): void {
  const f = path.join(dir, LOCK_FILE);
  try {
    if (fs.readFileSync(f, 'utf8').trim() === String(process.pid)) fs.unlinkSync(f);
  } catch {
    /* none */
  }
}

/**
 * Restores `file` into dataDir (see the top). `masterKey`: for a master-key
 * backup, the raw bytes' source to copy in as master.key (the key that
 * opened the backup), chosen by the unlock.
 */
export async function restoreBackup(file: string, dataDir: string, unlock: Unlock, opts: { now?: Date; masterKeyFile?: { from: string; name: string }; onProgress?: OnProgress } = {}): Promise<RestoreResult> {
  const now = opts.now ?? new Date();
  const dir = path.resolve(dataDir);
  await fsp.mkdir(path.dirname(dir), { recursive: true });
  const staging = freshSibling(dir, 'restoring', now);
  await fsp.mkdir(staging, { mode: 0o700 });
  let swapped = false;
  try {
    const read = await readBackup(file, unlock, staging, opts.onProgress && { onProgress: opts.onProgress, as: 'decrypt' });
    noteRestoredBackup(path.join(staging, DB_FILE), file, read);
    const keyFile = opts.masterKeyFile;
    if (read.core.protection === 'master-key') {
      if (keyFile === undefined) throw new Error('no master key file to put beside the restored database');
      await fsp.copyFile(keyFile.from, path.join(staging, keyFile.name));
      await fsp.chmod(path.join(staging, keyFile.name), 0o600);
    }
    writeLock(staging);
    const exists = fs.existsSync(dir);
    const setAside = exists ? freshSibling(dir, 'before-restore', now) : null;
    const note: RestoreNote = { backup: path.resolve(file), restoredAt: now.toISOString(), setAside };
    await fsp.writeFile(path.join(staging, RESTORED_NOTE), `${JSON.stringify(note, null, 2)}\n`, { mode: 0o600 });
    opts.onProgress?.({ stage: 'swap', done: 0, total: null });
    if (setAside !== null) await fsp.rename(dir, setAside);
    try {
      await fsp.rename(staging, dir);
    } catch (e) {
      // Something took DIR's place between the renames: put the old one back.
      if (setAside !== null) await fsp.rename(setAside, dir).catch(() => {});
      throw new Error(`could not move the restored data into ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); nothing was changed`);
    }
    swapped = true;
    if (setAside !== null) removeOwnLock(setAside);
    removeOwnLock(dir);
    opts.onProgress?.({ stage: 'done', done: 1, total: 1 });
    return { objects: read.objects, created: read.core.created, setAside, entries: read.entries };
  } finally {
    if (!swapped) await fsp.rm(staging, { recursive: true, force: true });
  }
}

/** Undoes the last restore into dataDir (see the top); returns where each folder went. */
export async function undoRestore(dataDir: string, now = new Date()): Promise<{ reinstated: string; keptRestored: string; backup: string }> {
  const dir = path.resolve(dataDir);
  let note: RestoreNote;
  try {
    note = JSON.parse(await fsp.readFile(path.join(dir, RESTORED_NOTE), 'utf8')) as RestoreNote;
  } catch {
    throw new Error(`${dir} was not made by keyhold backup restore (no ${RESTORED_NOTE}), so there is nothing to undo`);
  }
  if (note.setAside === null) throw new Error(`the restore into ${dir} went into a new data dir: there is no earlier data dir to put back`);
  if (typeof note.setAside !== 'string' || path.dirname(note.setAside) !== path.dirname(dir) || !path.basename(note.setAside).startsWith(`${path.basename(dir)}.before-restore-`)) {
    throw new Error(`${RESTORED_NOTE} names an unexpected folder (${String(note.setAside).slice(0, 200)}); nothing was changed`);
  }
  if (!fs.existsSync(note.setAside)) throw new Error(`the data dir set aside by the restore, ${note.setAside}, is gone; nothing was changed`);
  const kept = freshSibling(dir, 'restored', now);
  await fsp.rename(dir, kept);
  try {
    await fsp.rename(note.setAside, dir);
  } catch (e) {
    await fsp.rename(kept, dir).catch(() => {});
    throw new Error(`could not put ${note.setAside} back (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); nothing was changed`);
  }
  removeOwnLock(kept);
  return { reinstated: note.setAside, keptRestored: kept, backup: note.backup };
}

