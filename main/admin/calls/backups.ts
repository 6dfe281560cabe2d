// The Backups area: the settings through configureBackups (main/backup/
// operator.ts, as `keyhold backup configure`), the list of the folder, a
// backup now through the engine worker's backupNow, verify (by the running
// server for a master-key backup, else from the file), and restore with the
// KMIP server stopped (restoreBackup, as `keyhold backup restore`).
import fs from 'node:fs';
import path from 'node:path';
import type { BackupEntry, BackupSettingsView, backupsCalls } from '../../../shared/ipc/calls/backups.js';
import { backupProblem, listBackups, sameDevice, sameDeviceWarning } from '../../backup/backup.js';
import { configureBackups, keepSafe, protectionOfFile, unlockBackup, verifyBackupFile } from '../../backup/operator.js';
import { restoreBackup } from '../../backup/restore.js';
import { formatSchedule, readBackupSettings, type BackupSettings } from '../../backup/settings.js';
import { EngineError } from '../../engine/host.js';
import { acquireLock, LOCK_FILE, LockedError } from '../../server/lock.js';
import { protectionOf } from '../../store/master-key.js';
import { CallError } from '../dispatch.js';
import type { AdminDeps, AreaHandlers } from './types.js';
import { dataDirOf, oneLine } from './util.js';

export function settingsView(s: BackupSettings, dataDir: string): BackupSettingsView {
  return {
    folder: s.folder,
    schedule: formatSchedule(s.schedule),
    keep: s.keep,
    protection: s.protection,
    includeAudit: s.includeAudit,
    refuseUnbackedKeys: s.refuseUnbackedKeys,
    passphraseSet: s.passphraseKey !== null,
    keepSafe: keepSafe(s, dataDir),
    sameDeviceWarning: s.folder !== null && sameDevice(dataDir, s.folder) ? sameDeviceWarning(dataDir, s.folder) : null,
  };
}

async function folderOf(dataDir: string): Promise<string> {
  const s = await oneLine(() => readBackupSettings(dataDir), 'internal');
  if (s.folder === null) throw CallError.of('bad_request', 'errors.backups.noFolder');
  return s.folder;
}

async function backupFile(dataDir: string, name: string): Promise<string> {
  const file = path.join(await folderOf(dataDir), name);
  if (!fs.existsSync(file)) throw CallError.of('not_found', 'errors.backups.missing', { name });
  return file;
}

async function engineState(deps: AdminDeps): Promise<string> {
  return (await deps.engine.status()).state;
}

/** A worker failure as one line; timeouts and crashes say so. */
function engineFailure(e: unknown): CallError {
  if (e instanceof CallError) return e;
  if (e instanceof EngineError && e.code === 'timeout') return CallError.of('internal', 'errors.engine.timeout');
  if (e instanceof EngineError && e.code === 'engine_crashed') return CallError.of('internal', 'errors.engine.crashed');
  if (e instanceof EngineError) return new CallError('bad_request', e.message);
  return new CallError('bad_request', e instanceof Error ? e.message : String(e));
}

/** The key to open a backup, with what to do when the passphrase it needs was not given. */
async function unlockFor(file: string, dataDir: string, passphrase: string | undefined) {
  const protection = await protectionOfFile(file);
  if (protection === 'passphrase' && passphrase === undefined) throw CallError.of('bad_request', 'errors.backups.passphraseNeeded');
  if (protection === 'master-key' && passphrase === undefined && protectionOf(dataDir) === 'passphrase') {
    throw CallError.of('bad_request', 'errors.backups.masterPassphraseNeeded');
  }
  return oneLine(() => unlockBackup(file, dataDir, passphrase === undefined ? {} : { passphrase }));
}

/**
 * The data dir's lock for a restore: this process may hold it already (`keyhold
 * serve` holds it while it runs, its KMIP server stopped); another live
 * process holding it means a server runs there.
 */
function restoreLock(dataDir: string): { ours: boolean; release: () => void } {
  try {
    if (fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8').trim() === String(process.pid)) return { ours: true, release: () => {} };
  } catch {
    /* no lock */
  }
  if (!fs.existsSync(dataDir)) return { ours: false, release: () => {} };
  try {
    return { ours: false, release: acquireLock(dataDir) };
  } catch (e) {
    if (e instanceof LockedError) throw CallError.of('bad_request', 'errors.backups.otherServer', { dir: dataDir });
    throw e;
  }
}

export function backupsHandlers(deps: AdminDeps): AreaHandlers<typeof backupsCalls> {
  return {
    'backups.settings': async () => {
      const dataDir = dataDirOf(deps);
      return settingsView(await oneLine(() => readBackupSettings(dataDir), 'internal'), dataDir);
    },
    'backups.configure': async (args) => {
      const dataDir = dataDirOf(deps);
      // The CLI resolves a relative folder against the shell's directory; a form has none to offer.
      if (args.folder !== undefined && !path.isAbsolute(args.folder)) throw CallError.of('bad_request', 'errors.backups.folderRelative', { folder: args.folder.slice(0, 100) });
      const r = await oneLine(() => configureBackups(dataDir, args));
      return { settings: settingsView(r.settings, dataDir), changes: r.changes };
    },
    'backups.list': async () => {
      const dataDir = dataDirOf(deps);
      const s = await oneLine(() => readBackupSettings(dataDir), 'internal');
      if (s.folder === null) return { folder: null, backups: [] };
      const folder = s.folder;
      const rows = await oneLine(() => listBackups(folder), 'internal');
      const backups: BackupEntry[] = rows.map((b) => ({
        name: b.name,
        bytes: b.bytes,
        created: b.core?.created ?? null,
        objects: b.core?.objects ?? null,
        protection: b.core?.protection ?? null,
        verifiedAt: b.verified?.verifiedAt ?? null,
        problem: b.problem,
      }));
      return { folder, backups };
    },
    'backups.run': async ({ progressId }) => {
      const dataDir = dataDirOf(deps);
      await folderOf(dataDir);
      const host = deps.host;
      if (host === undefined || (await engineState(deps)) !== 'running') throw CallError.of('bad_request', 'errors.backups.notRunning');
      // The worker reports the steps (`progress` events of this request): snapshot, encrypt, verify, done.
      const onProgress = deps.progress?.reporter(progressId, 'backup');
      try {
        const r = await host.request('backupNow', {}, { timeoutMs: 3_600_000, ...(onProgress === undefined ? {} : { onProgress }) });
        return { name: path.basename(r.file), bytes: r.bytes, objects: r.objects, ms: r.ms, deleted: r.deleted.map((f) => path.basename(f)) };
      } catch (e) {
        throw engineFailure(e);
      }
    },
    'backups.verify': async ({ file: name, passphrase, progressId }) => {
      const dataDir = dataDirOf(deps);
      const file = await backupFile(dataDir, name);
      const onProgress = deps.progress?.reporter(progressId, 'verify');
      onProgress?.({ stage: 'checking', done: 0, total: null });
      const protection = await protectionOfFile(file);
      if (protection === 'master-key' && passphrase === undefined && deps.host !== undefined && (await engineState(deps)) === 'running') {
        try {
          const r = await deps.host.request('verifyBackup', { file }, { timeoutMs: 3_600_000, ...(onProgress === undefined ? {} : { onProgress }) });
          return { name, objects: r.objects, created: r.created, by: 'server' as const };
        } catch (e) {
          throw CallError.of('bad_request', 'errors.backups.unusable', { name, reason: engineFailure(e).message });
        }
      }
      const { unlock } = await unlockFor(file, dataDir, passphrase);
      const r = await oneLine(() => verifyBackupFile(file, unlock, onProgress));
      return { name, objects: r.objects, created: r.created, by: 'file' as const };
    },
    'backups.restore': async ({ file: name, passphrase, confirm, progressId }) => {
      if (confirm !== name) throw CallError.of('bad_request', 'errors.backups.confirm', { name });
      const dataDir = dataDirOf(deps);
      const state = await engineState(deps);
      if (state !== 'stopped') throw CallError.of('bad_request', 'errors.backups.stopFirst');
      const file = await backupFile(dataDir, name);
      const lock = restoreLock(dataDir);
      try {
        // checking (the key: scrypt for a passphrase) → decrypt (chunks) → integrity → swap → done.
        const onProgress = deps.progress?.reporter(progressId, 'restore');
        onProgress?.({ stage: 'checking', done: 0, total: null });
        const { unlock, keyFile } = await unlockFor(file, dataDir, passphrase);
        let r;
        try {
          r = await restoreBackup(file, dataDir, unlock, { ...(keyFile === undefined ? {} : { masterKeyFile: keyFile }), ...(onProgress === undefined ? {} : { onProgress }) });
        } catch (e) {
          throw CallError.of('bad_request', 'errors.backups.notRestored', { reason: backupProblem(e) });
        }
        // The lock went aside with the old folder: this process still serves the restored one.
        if (lock.ours) {
          try {
            acquireLock(dataDir);
          } catch {
            /* another server took it meanwhile: it then owns the folder */
          }
        }
        return { name, created: r.created, objects: r.objects, setAside: r.setAside };
      } finally {
        lock.release();
      }
    },
  };
}
