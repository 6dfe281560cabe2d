// What `keyhold backup configure|verify|restore` and the admin UI's Backups
// screen both do with backup settings and backup files, in one place:
// changing the settings (checked as backup.json is read), what the operator
// must keep safe, finding the key that opens a backup (the backup passphrase,
// or the master key among DIR's key files), and the .verified mark.
// Failures are one line; `usage` marks the ones caused by what was asked
// (the CLI exits 2 for them).
import { existsSync } from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { backupProblem, readBackup, sameDevice, sameDeviceWarning, VERIFIED_SUFFIX, type OnProgress, type Unlock, type VerifiedRecord } from './backup.js';
import { openBackupFile } from './format.js';
import { masterWrapKey, matchingMasterKey, newPassphraseKey, passphraseProblem } from './keys.js';
import { MAX_KEEP, parseSchedule, readBackupSettings, settingsChanges, writeBackupSettings, type BackupSettings, type Protection } from './settings.js';
import { isWrappedFile, LOCKED_FILE, MASTER_KEY_FILE, protectionOf, readRawKey, retiredFile, retiredVersions, unlockKeyFiles, loadRetiredKey } from '../store/master-key.js';

export class BackupOperatorError extends Error {
  override readonly name = 'BackupOperatorError';
  /** Caused by what was asked (a bad value, a missing passphrase), not by the files. */
  readonly usage: boolean;
  constructor(message: string, usage = false) {
    super(message);
    this.usage = usage;
  }
}

/** What the operator must keep safe for these settings, in one line. */
export function keepSafe(s: BackupSettings, dataDir: string): string {
  if (s.protection === 'passphrase') {
    return 'keep the backup passphrase safe and apart from the backups: a backup file and the passphrase restore everything (keys, master key, certificates, settings); without the passphrase a backup cannot be read';
  }
  const locked = protectionOf(dataDir) === 'passphrase';
  return `keep a copy of ${path.join(dataDir, locked ? LOCKED_FILE : MASTER_KEY_FILE)} (and any master.key.v*.retired)${locked ? ' and the master key passphrase' : ''} stored away from the backups: the backups do not contain the master key and cannot be read without it`;
}

/** A change of the backup settings; absent fields stay as they are. */
export interface BackupSettingsChange {
  /** A folder path (made absolute); it must not be inside the data dir. */
  folder?: string;
  /** off, "daily at HH:MM", "weekly on DAY at HH:MM", "every N hours". */
  schedule?: string;
  keep?: number;
  protection?: Protection;
  /** A new backup passphrase (protection passphrase); at least 12 characters. */
  passphrase?: string;
  refuseUnbackedKeys?: boolean;
  includeAudit?: boolean;
}

/** Why a change is refused, for callers that word it their own way (the CLI names its flags). */
export type ConfigureRefusal = 'folder-empty' | 'folder-inside' | 'schedule' | 'keep' | 'passphrase-without-protection' | 'passphrase-weak' | 'protection-needs-passphrase' | 'schedule-needs-folder';

export class BackupConfigureError extends BackupOperatorError {
  readonly refusal: ConfigureRefusal;
  constructor(refusal: ConfigureRefusal, message: string) {
    super(message, true);
    this.refusal = refusal;
  }
}

export interface BackupConfigured {
  before: BackupSettings;
  settings: BackupSettings;
  /** Readable differences; empty: nothing changed and nothing was written. */
  changes: string[];
  /** The folder is on the data dir's device (a failed disk takes both), or null. */
  sameDeviceWarning: string | null;
  keepSafe: string;
}

/**
 * Applies a change to DIR/backup.json: each field checked, the result checked
 * as the server reads the file, written when it differs. A running server
 * applies it within a second.
 */
export async function configureBackups(dataDir: string, change: BackupSettingsChange): Promise<BackupConfigured> {
  const before = await readBackupSettings(dataDir);
  const next: BackupSettings = { ...before };
  if (change.folder !== undefined) {
    if (change.folder.trim() === '') throw new BackupConfigureError('folder-empty', 'give the folder the backups go to');
    next.folder = path.resolve(change.folder);
    const dir = path.resolve(dataDir);
    if (next.folder === dir || next.folder.startsWith(`${dir}${path.sep}`)) throw new BackupConfigureError('folder-inside', `the backup folder must not be inside the data dir ${dir} (a restore sets the data dir aside); choose a folder on another volume`);
  }
  if (change.schedule !== undefined) {
    try {
      next.schedule = parseSchedule(change.schedule);
    } catch (e) {
      throw new BackupConfigureError('schedule', (e as Error).message);
    }
  }
  if (change.keep !== undefined) {
    if (!Number.isSafeInteger(change.keep) || change.keep < 1 || change.keep > MAX_KEEP) throw new BackupConfigureError('keep', `keep must be a whole number from 1 to ${MAX_KEEP}`);
    next.keep = change.keep;
  }
  if (change.protection !== undefined) next.protection = change.protection;
  if (change.refuseUnbackedKeys !== undefined) next.refuseUnbackedKeys = change.refuseUnbackedKeys;
  if (change.includeAudit !== undefined) next.includeAudit = change.includeAudit;
  if (change.passphrase !== undefined) {
    if (next.protection !== 'passphrase') throw new BackupConfigureError('passphrase-without-protection', 'a backup passphrase goes with passphrase protection');
    const problem = passphraseProblem(change.passphrase);
    if (problem !== undefined) throw new BackupConfigureError('passphrase-weak', problem);
    next.passphraseKey = newPassphraseKey(change.passphrase);
  } else if (next.protection === 'passphrase' && next.passphraseKey === null) {
    throw new BackupConfigureError('protection-needs-passphrase', 'passphrase protection needs the backup passphrase');
  }
  if (next.protection === 'master-key') next.passphraseKey = null;
  if (next.schedule.kind !== 'off' && next.folder === null) throw new BackupConfigureError('schedule-needs-folder', 'a schedule needs a folder for the backups');
  const changes = settingsChanges(before, next);
  if (changes.length > 0) await writeBackupSettings(dataDir, next);
  return {
    before,
    settings: next,
    changes,
    sameDeviceWarning: next.folder !== null && sameDevice(dataDir, next.folder) ? sameDeviceWarning(dataDir, next.folder) : null,
    keepSafe: keepSafe(next, dataDir),
  };
}

/**
 * The master keys at hand for a master-key backup: `keyFile`, else DIR's key
 * file(s) (current, next of an unfinished rotation, retired versions),
 * unlocked with `passphrase` when DIR's master key has one. Each with the
 * file a restore copies in as the restored master key.
 */
export async function masterCandidates(dataDir: string, keyFile: string | undefined, passphrase: string | undefined): Promise<{ key: KeyObject; from: string; name: string }[]> {
  const out: { key: KeyObject; from: string; name: string }[] = [];
  const raw = (file: string) => {
    try {
      return readRawKey(file);
    } catch (e) {
      throw new BackupOperatorError((e as Error).message);
    }
  };
  if (keyFile !== undefined) {
    out.push({ key: raw(path.resolve(keyFile)), from: path.resolve(keyFile), name: MASTER_KEY_FILE });
    return out;
  }
  if (protectionOf(dataDir) === 'passphrase') {
    if (passphrase === undefined) throw new BackupOperatorError(`the master key of ${dataDir} is protected by a passphrase: give it with --passphrase-stdin, or give a plain key file with --master-key FILE`, true);
    try {
      const keys = await unlockKeyFiles(dataDir, passphrase);
      out.push({ key: keys.current, from: path.join(dataDir, LOCKED_FILE), name: LOCKED_FILE });
      for (const v of retiredVersions(dataDir)) out.push({ key: await loadRetiredKey(dataDir, v, passphrase), from: path.join(dataDir, retiredFile(v)), name: isWrappedFile(path.join(dataDir, retiredFile(v))) ? LOCKED_FILE : MASTER_KEY_FILE });
    } catch (e) {
      throw new BackupOperatorError((e as Error).message);
    }
    return out;
  }
  const current = path.join(dataDir, MASTER_KEY_FILE);
  if (existsSync(current)) out.push({ key: raw(current), from: current, name: MASTER_KEY_FILE });
  const next = `${current}.next`;
  if (existsSync(next)) out.push({ key: raw(next), from: next, name: MASTER_KEY_FILE });
  for (const v of retiredVersions(dataDir)) {
    const f = path.join(dataDir, retiredFile(v));
    if (!isWrappedFile(f)) out.push({ key: raw(f), from: f, name: MASTER_KEY_FILE });
  }
  if (out.length === 0) throw new BackupOperatorError(`no master key in ${dataDir}: give the master key file this backup was made with (--master-key FILE)`, true);
  return out;
}

/** The protection a backup file's header names (undefined when it cannot be read: unlockBackup says why). */
export async function protectionOfFile(file: string): Promise<string | undefined> {
  try {
    const b = await openBackupFile(file);
    await b.close();
    return b.core.protection;
  } catch {
    return undefined;
  }
}

/** The wrap key for an info string made by keys.ts wrapInfo (the salt is its tail). */
function masterWrapKeyFromInfo(master: KeyObject, info: string): KeyObject {
  return masterWrapKey(master, Buffer.from(info.slice(info.indexOf('\0') + 1), 'base64'));
}

/**
 * How to open `file`: with the backup passphrase (a passphrase backup), or
 * with the matching master key (a master-key backup: `masterKeyFile`, else
 * DIR's, with `passphrase` as DIR's master key passphrase when it has one);
 * keyFile is what a restore copies in as the master key.
 */
export async function unlockBackup(file: string, dataDir: string, opts: { passphrase?: string; masterKeyFile?: string }): Promise<{ unlock: Unlock; keyFile?: { from: string; name: string }; protection: string }> {
  let b;
  try {
    b = await openBackupFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new BackupOperatorError(`${file} does not exist`);
    throw new BackupOperatorError(backupProblem(e));
  }
  await b.close();
  if (b.key.kind === 'passphrase') {
    if (opts.masterKeyFile !== undefined) throw new BackupOperatorError('this backup is protected by the backup passphrase, not by a master key: give the passphrase with --passphrase-stdin', true);
    if (opts.passphrase === undefined) throw new BackupOperatorError('this backup is protected by the backup passphrase: give it on standard input with --passphrase-stdin', true);
    return { unlock: { passphrase: opts.passphrase }, protection: 'passphrase' };
  }
  const candidates = await masterCandidates(dataDir, opts.masterKeyFile, opts.passphrase);
  const i = matchingMasterKey(b.key, candidates.map((c) => c.key));
  if (i < 0) throw new BackupOperatorError(`the master key ${opts.masterKeyFile === undefined ? `of ${dataDir}` : opts.masterKeyFile} does not match the one this backup was made with (master key version ${b.key.masterKeyVersion})`);
  const key = candidates[i]!.key;
  return { unlock: { masterKeys: (info) => [masterWrapKeyFromInfo(key, info)] }, keyFile: { from: candidates[i]!.from, name: candidates[i]!.name }, protection: 'master-key' };
}

/** Writes the .verified mark beside a backup; false when it cannot. */
export async function writeVerified(file: string, rec: VerifiedRecord): Promise<boolean> {
  try {
    await fsp.writeFile(`${file}${VERIFIED_SUFFIX}`, `${JSON.stringify(rec)}\n`, { mode: 0o600 });
    return true;
  } catch {
    return false;
  }
}

export interface VerifiedBackup {
  objects: number;
  created: string;
  files: number;
  /** The .verified mark was written beside the file. */
  marked: boolean;
}

/** Reads a backup back in full (decrypt, integrity_check, object count) and marks it verified. */
export async function verifyBackupFile(file: string, unlock: Unlock, onProgress?: OnProgress): Promise<VerifiedBackup> {
  let r;
  try {
    r = await readBackup(file, unlock, undefined, onProgress && { onProgress, as: 'decrypt' });
  } catch (e) {
    throw new BackupOperatorError(`${path.basename(file)} is not usable: ${backupProblem(e)}`);
  }
  const bytes = (await fsp.stat(file)).size;
  const marked = await writeVerified(file, { verifiedAt: new Date().toISOString(), created: r.core.created, objects: r.objects, maxSeq: r.maxSeq, bytes, protection: r.core.protection });
  onProgress?.({ stage: 'done', done: 1, total: 1 });
  return { objects: r.objects, created: r.core.created, files: r.entries.length, marked };
}
