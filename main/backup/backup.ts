// Writing, verifying, listing and pruning backup files (format.ts), outside
// any server: the running server drives runBackup through backup-service.ts,
// the CLI calls verify/list/retention directly.
import { randomBytes, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AUDIT_FILE, AUDIT_HEAD_FILE } from '../audit/audit-log.js';
import { SCHEMA_VERSION } from '../store/migrations/index.js';
import { DB_FILE } from '../store/sqlite-store.js';
import { BACKUP_NAME, BackupFormatError, BackupWriter, CHUNK_BYTES, FORMAT_VERSION, backupFileName, openBackupFile, type BackupCore, type EntrySink, type OpenedBackup } from './format.js';
import { BackupKeyError, unwrapWithMasterKey, unwrapWithPassphrase, wrapToPassphraseKey, wrapWithMasterKey } from './keys.js';
import { BACKUP_SETTINGS_FILE, type BackupSettings } from './settings.js';
import type { ProgressStep } from '../../shared/ipc/calls/progress.js';

/** Told each step of a long backup operation (stages and chunk counts; never data). */
export type OnProgress = (step: ProgressStep) => void;

/** How readBackup reports: as the read-back of a backup just written (verify), or as a verify/restore of a file (checking, decrypt, integrity). */
export interface ReadProgress {
  onProgress: OnProgress;
  as: 'verify' | 'decrypt';
}

export const KEYHOLD_VERSION = '0.1.0';
export const VERIFIED_SUFFIX = '.verified';
/** Setting files of the data dir that go into every backup. */
const SETTING_FILES = ['clients.json', 'policy.json', BACKUP_SETTINGS_FILE, 'clients.audited.json', 'policy.audited.json'];
const WORK_DIR = '.backup-work';

/** What the running server lends a backup. */
export interface BackupSource {
  dataDir: string;
  /** Copies keyhold.db to `file` (store.backupTo, under the KMIP batch gate). */
  snapshot(file: string): Promise<void>;
  /** store.deriveSubkey: the current master key's subkey for `info`, and its version. */
  deriveSubkey(info: string): { key: KeyObject; version: number };
  now(): Date;
}

export interface BackupResult {
  file: string;
  bytes: number;
  objects: number;
  /** The highest object sequence number in the backup (0: none). */
  maxSeq: number;
  created: Date;
  /** Milliseconds: snapshot, write, verify. */
  ms: { snapshot: number; write: number; verify: number };
  /** Older backups deleted by retention. */
  deleted: string[];
}

/** The sidecar `FILE.verified`: written once the backup was read back and checked. */
export interface VerifiedRecord {
  verifiedAt: string;
  created: string;
  objects: number;
  maxSeq: number;
  bytes: number;
  protection: string;
}

/** How to get a backup's data key. */
export type Unlock =
  | { dataKey: Buffer }
  | { passphrase: string }
  /** Wrap-key candidates for a master-key backup (keys.ts unwrapWithMasterKey). */
  | { masterKeys: (info: string, version: number) => KeyObject[] };

export class BackupError extends Error {
  override readonly name = 'BackupError';
}

function dataKeyOf(b: OpenedBackup, unlock: Unlock): Buffer {
  if ('dataKey' in unlock) return unlock.dataKey;
  if (b.key.kind === 'passphrase') {
    if (!('passphrase' in unlock)) throw new BackupError('this backup is protected by the backup passphrase: give it on standard input (--passphrase-stdin)');
    return unwrapWithPassphrase(b.key, unlock.passphrase, b.wrapAad);
  }
  if (!('masterKeys' in unlock)) throw new BackupError('this backup is protected by the master key, not by a passphrase');
  return unwrapWithMasterKey(b.key, unlock.masterKeys, b.wrapAad);
}

/** The database's object count and highest sequence, after integrity_check; throws when the copy is damaged. */
export function checkDatabaseCopy(file: string): { objects: number; maxSeq: number; schemaVersion: number } {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const ic = db.pragma('integrity_check', { simple: false }) as { integrity_check: string }[];
    if (ic.length !== 1 || ic[0]!.integrity_check !== 'ok') throw new BackupError(`the database in the backup fails integrity_check (${ic[0]?.integrity_check ?? 'no answer'})`);
    const r = db.prepare('SELECT count(*) AS objects, coalesce(max(seq), 0) AS maxSeq FROM objects').get() as { objects: number; maxSeq: number };
    const schemaVersion = (db.prepare('SELECT max(version) FROM schema_version').pluck().get() as number | null) ?? 0;
    return { ...r, schemaVersion };
  } catch (e) {
    if (e instanceof BackupError) throw e;
    throw new BackupError(`the database in the backup cannot be read (${(e as { code?: string }).code ?? (e as Error).message})`);
  } finally {
    db?.close();
  }
}

/** A sink writing an entry to `file` (created exclusively, 0600). */
function fileSink(file: string): EntrySink {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const fd = fs.openSync(file, 'wx', 0o600);
  return {
    write: (data) => { fs.writeSync(fd, data); },
    end: () => { fs.fsyncSync(fd); fs.closeSync(fd); },
  };
}

export interface ReadResult {
  core: BackupCore;
  objects: number;
  maxSeq: number;
  entries: string[];
}

/**
 * Decrypts the whole backup. With `into`, every entry is written below that
 * folder (restore); without, only keyhold.db is, to a private temp folder
 * removed afterwards (verify). Then the database must pass integrity_check and
 * hold as many objects as the header says. Throws one line on any failure.
 */
export async function readBackup(file: string, unlock: Unlock, into?: string, progress?: ReadProgress): Promise<ReadResult> {
  const report = progress?.onProgress;
  if (progress?.as === 'decrypt') report?.({ stage: 'checking', done: 0, total: null });
  let b: OpenedBackup;
  try {
    b = await openBackupFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new BackupError(`${file} does not exist`);
    throw e;
  }
  const temp = into === undefined ? await fsp.mkdtemp(path.join(os.tmpdir(), 'keyhold-verify-')) : undefined;
  try {
    if (b.core.schemaVersion > SCHEMA_VERSION) throw new BackupError(`the backup holds schema version ${b.core.schemaVersion}, newer than this Keyhold (${SCHEMA_VERSION}); restore it with a newer Keyhold`);
    const key = dataKeyOf(b, unlock);
    const entries: string[] = [];
    const open = new Set<EntrySink>();
    try {
      await b.read(key, (name) => {
        if (entries.includes(name)) throw new BackupFormatError(`the backup holds ${name} twice`);
        entries.push(name);
        const target = into !== undefined ? path.join(into, name) : name === DB_FILE ? path.join(temp!, DB_FILE) : undefined;
        if (target === undefined) return undefined;
        const s = fileSink(target);
        open.add(s);
        return { write: s.write, end: () => { open.delete(s); return s.end(); } };
      }, report && ((done, total) => report({ stage: progress!.as, done, total })));
    } finally {
      if (!('dataKey' in unlock)) key.fill(0);
    }
    if (!entries.includes(DB_FILE)) throw new BackupError('the backup holds no keyhold.db');
    if (progress?.as === 'decrypt') report?.({ stage: 'integrity', done: 0, total: null });
    const db = checkDatabaseCopy(path.join(into ?? temp!, DB_FILE));
    if (db.objects !== b.core.objects) throw new BackupError(`the backup's database holds ${db.objects} objects, its header says ${b.core.objects}`);
    return { core: b.core, objects: db.objects, maxSeq: db.maxSeq, entries };
  } finally {
    await b.close();
    if (temp !== undefined) await fsp.rm(temp, { recursive: true, force: true });
  }
}

/** One line for a failed read/verify: the key and format errors say what happened; anything else is named. */
export function backupProblem(e: unknown): string {
  if (e instanceof BackupKeyError || e instanceof BackupFormatError || e instanceof BackupError) return e.message;
  const code = (e as NodeJS.ErrnoException).code;
  return code !== undefined ? `${(e as Error).message}` : `unexpected error: ${(e as Error).message}`;
}

async function filesUnder(dir: string, rel: string): Promise<string[]> {
  let ents: fs.Dirent[];
  try {
    ents = await fsp.readdir(path.join(dir, rel), { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: string[] = [];
  for (const e of ents.sort((a, b) => a.name.localeCompare(b.name))) {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...(await filesUnder(dir, r)));
    else if (e.isFile() && !e.name.endsWith('.tmp') && /^[A-Za-z0-9._-]+$/.test(e.name)) out.push(r);
  }
  return out;
}

/** The master key files of DIR (master.key, master.key.locked, retired versions …). */
export function masterKeyFiles(dataDir: string): string[] {
  try {
    return fs.readdirSync(dataDir).filter((n) => /^master\.key(\.[A-Za-z0-9.]+)?$/.test(n) && !n.endsWith('.tmp')).sort();
  } catch {
    return [];
  }
}

/** Copies audit.db consistently (it has normal locking: a read connection beside the writer is fine). */
async function snapshotAudit(dataDir: string, to: string): Promise<boolean> {
  const src = path.join(dataDir, AUDIT_FILE);
  if (!fs.existsSync(src)) return false;
  const db = new Database(src, { readonly: true, fileMustExist: true });
  try {
    await db.backup(to);
    return true;
  } finally {
    db.close();
  }
}

/** Whether two paths are on the same device (st_dev), the folder's nearest existing ancestor counting. */
export function sameDevice(dataDir: string, folder: string): boolean {
  let f = path.resolve(folder);
  for (;;) {
    try {
      return fs.statSync(f).dev === fs.statSync(dataDir).dev;
    } catch {
      const up = path.dirname(f);
      if (up === f) return false;
      f = up;
    }
  }
}

export function sameDeviceWarning(dataDir: string, folder: string): string {
  return `the backup folder ${folder} is on the same device as the data dir ${dataDir}: a failed disk would take both; put backups on another volume`;
}

/**
 * Writes one backup into settings.folder: snapshot, archive, encrypt,
 * read back and check (verify), then the `.verified` sidecar, then
 * retention. A backup that fails its check is deleted and the error thrown.
 */
export interface RunBackupOptions {
  /** Told the stages as they go: snapshot, encrypt (chunks done/total), verify (chunks done/total), done. */
  onProgress?: OnProgress;
  /** Plaintext bytes per encrypted chunk (default CHUNK_BYTES, 1 MiB; at least 1024). Tests make it small to get many chunks. */
  chunkBytes?: number;
}

/** The size of the archive (format.ts) holding these entries: per entry u16 + name + u64 + bytes, then u16 0. */
function archiveBytes(entries: readonly { name: string; source: string }[]): number {
  let n = 2;
  for (const e of entries) n += 2 + Buffer.byteLength(e.name, 'utf8') + 8 + fs.statSync(e.source).size;
  return n;
}

export async function runBackup(src: BackupSource, settings: BackupSettings, opts: RunBackupOptions = {}): Promise<BackupResult> {
  const report = opts.onProgress;
  const chunkBytes = opts.chunkBytes ?? CHUNK_BYTES;
  const folder = settings.folder;
  if (folder === null) throw new BackupError('no backup folder is configured (keyhold backup configure --folder DIR)');
  if (settings.protection === 'passphrase' && settings.passphraseKey === null) throw new BackupError('passphrase protection is configured without its key (run keyhold backup configure --protection passphrase --passphrase-stdin)');
  await fsp.mkdir(folder, { recursive: true, mode: 0o700 });
  const work = path.join(src.dataDir, WORK_DIR);
  await fsp.rm(work, { recursive: true, force: true });
  await fsp.mkdir(work, { mode: 0o700 });
  const t0 = performance.now();
  const created = src.now();
  let partial: string | undefined;
  try {
    const snap = path.join(work, DB_FILE);
    report?.({ stage: 'snapshot', done: 0, total: null });
    await src.snapshot(snap);
    const db = checkDatabaseCopy(snap);
    const hasAudit = settings.includeAudit && (await snapshotAudit(src.dataDir, path.join(work, AUDIT_FILE)));
    const t1 = performance.now();
    let name = backupFileName(created);
    for (let i = 1; fs.existsSync(path.join(folder, name)); i++) name = backupFileName(created, `-${i}`);
    const file = path.join(folder, name);
    partial = `${file}.partial`;
    const core: BackupCore = { format: FORMAT_VERSION, created: created.toISOString(), keyholdVersion: KEYHOLD_VERSION, protection: settings.protection, objects: db.objects, schemaVersion: db.schemaVersion, chunkBytes };
    const dataKey = randomBytes(32);
    try {
      // Listed first so that the number of chunks is known before the first one is sealed.
      const entries: { name: string; source: string }[] = [{ name: DB_FILE, source: snap }];
      if (hasAudit) {
        entries.push({ name: AUDIT_FILE, source: path.join(work, AUDIT_FILE) });
        if (fs.existsSync(path.join(src.dataDir, AUDIT_HEAD_FILE))) entries.push({ name: AUDIT_HEAD_FILE, source: path.join(src.dataDir, AUDIT_HEAD_FILE) });
      }
      for (const rel of await filesUnder(src.dataDir, 'pki')) entries.push({ name: rel, source: path.join(src.dataDir, rel) });
      for (const f of SETTING_FILES) if (fs.existsSync(path.join(src.dataDir, f))) entries.push({ name: f, source: path.join(src.dataDir, f) });
      if (settings.protection === 'passphrase') for (const f of masterKeyFiles(src.dataDir)) entries.push({ name: f, source: path.join(src.dataDir, f) });
      // A setting file rewritten meanwhile may change the count a little: never report done past total.
      let chunks = Math.max(1, Math.ceil(archiveBytes(entries) / chunkBytes));
      report?.({ stage: 'encrypt', done: 0, total: chunks });
      const w = await BackupWriter.create(
        partial,
        core,
        dataKey,
        (aad) => (settings.protection === 'passphrase' ? wrapToPassphraseKey(dataKey, settings.passphraseKey!, aad) : wrapWithMasterKey(dataKey, (info) => src.deriveSubkey(info), aad)),
        report && ((sealed) => report({ stage: 'encrypt', done: sealed, total: (chunks = Math.max(chunks, sealed)) })),
      );
      let bytes: number;
      try {
        for (const e of entries) await w.addFile(e.name, e.source);
        bytes = await w.finish();
      } catch (e) {
        await w.abort();
        throw e;
      }
      const t2 = performance.now();
      // Read back through the same path a restore takes: the master key wrap is unwrapped (master-key), the
      // passphrase one cannot be without the passphrase, so the data key in hand is used.
      const unlock: Unlock = settings.protection === 'master-key' ? { masterKeys: (info) => [src.deriveSubkey(info).key] } : { dataKey };
      const read = await readBackup(partial, unlock, undefined, report && { onProgress: report, as: 'verify' });
      if (read.objects !== db.objects || read.maxSeq !== db.maxSeq) throw new BackupError(`the backup read back holds ${read.objects} objects, the snapshot ${db.objects}`);
      await fsp.rename(partial, file);
      partial = undefined;
      const record: VerifiedRecord = { verifiedAt: src.now().toISOString(), created: core.created, objects: db.objects, maxSeq: db.maxSeq, bytes, protection: settings.protection };
      await fsp.writeFile(`${file}${VERIFIED_SUFFIX}`, `${JSON.stringify(record)}\n`, { mode: 0o600 });
      const t3 = performance.now();
      const deleted = await applyRetention(folder, settings.keep);
      report?.({ stage: 'done', done: 1, total: 1 });
      return { file, bytes, objects: db.objects, maxSeq: db.maxSeq, created, ms: { snapshot: Math.round(t1 - t0), write: Math.round(t2 - t1), verify: Math.round(t3 - t2) }, deleted };
    } finally {
      dataKey.fill(0);
    }
  } finally {
    if (partial !== undefined) await fsp.rm(partial, { force: true });
    await fsp.rm(work, { recursive: true, force: true });
  }
}

export interface ListedBackup {
  file: string;
  name: string;
  bytes: number;
  /** From the header; null when the header cannot be read. */
  core: BackupCore | null;
  problem: string | null;
  verified: VerifiedRecord | null;
}

function readVerified(file: string): VerifiedRecord | null {
  try {
    const r = JSON.parse(fs.readFileSync(`${file}${VERIFIED_SUFFIX}`, 'utf8')) as VerifiedRecord;
    return typeof r.verifiedAt === 'string' && Number.isSafeInteger(r.objects) && Number.isSafeInteger(r.maxSeq) ? r : null;
  } catch {
    return null;
  }
}

/** The backup files of a folder, newest first (by name: the UTC time of the snapshot). */
export async function listBackups(folder: string): Promise<ListedBackup[]> {
  let names: string[];
  try {
    names = (await fsp.readdir(folder)).filter((n) => BACKUP_NAME.test(n));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  names.sort(compareNames).reverse();
  const out: ListedBackup[] = [];
  for (const name of names) {
    const file = path.join(folder, name);
    let core: BackupCore | null = null;
    let problem: string | null = null;
    try {
      const b = await openBackupFile(file);
      core = b.core;
      await b.close();
    } catch (e) {
      problem = backupProblem(e);
    }
    let bytes = 0;
    try { bytes = fs.statSync(file).size; } catch { /* removed meanwhile */ }
    out.push({ file, name, bytes, core, problem, verified: readVerified(file) });
  }
  return out;
}

/** Names sort by time; a -N suffix (two backups in one second) after the plain one. */
function compareNames(a: string, b: string): number {
  const ma = BACKUP_NAME.exec(a)!;
  const mb = BACKUP_NAME.exec(b)!;
  const ka = `${ma[1]}${ma[2]}`;
  const kb = `${mb[1]}${mb[2]}`;
  if (ka !== kb) return ka < kb ? -1 : 1;
  return Number((ma[3] ?? '-0').slice(1)) - Number((mb[3] ?? '-0').slice(1));
}

/** The newest verified backup of a folder, or null. Reads no header: usable when the store is broken. */
export function newestVerified(folder: string | null): { file: string; record: VerifiedRecord } | null {
  if (folder === null) return null;
  let names: string[];
  try {
    names = fs.readdirSync(folder).filter((n) => BACKUP_NAME.test(n));
  } catch {
    return null;
  }
  for (const name of names.sort(compareNames).reverse()) {
    const file = path.join(folder, name);
    const record = readVerified(file);
    if (record !== null) return { file, record };
  }
  return null;
}

/** Deletes the oldest verified backups beyond `keep` (never the newest verified one); returns the names deleted. */
export async function applyRetention(folder: string, keep: number): Promise<string[]> {
  const names = (await fsp.readdir(folder)).filter((n) => BACKUP_NAME.test(n) && readVerified(path.join(folder, n)) !== null);
  names.sort(compareNames).reverse();
  const deleted: string[] = [];
  for (const name of names.slice(Math.max(1, keep))) {
    await fsp.rm(path.join(folder, name), { force: true });
    await fsp.rm(path.join(folder, `${name}${VERIFIED_SUFFIX}`), { force: true });
    deleted.push(name);
  }
  return deleted;
}
