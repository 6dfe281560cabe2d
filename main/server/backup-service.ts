// Backups inside the running server: DIR/backup.json kept current (like
// policy.json), the schedule, `keyhold backup now|verify` through the
// control socket, the record of the newest verified backup in the store's
// meta table, and the GKLM-style rule that keeps key material out of Get
// until a verified backup holds it.
//
// The schedule is checked every checkMs against the injected clock (real
// timers, injected time): due = nextDue(schedule, last attempt, since), where
// `since` is when the server started or the schedule last changed. One
// backup runs at a time; a request during one runs after it.
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../admin/log.js';
import type { AuditRecord } from '../audit/audit-log.js';
import type { BatchGate } from '../kmip/batch-gate.js';
import type { SqliteKeyStore } from '../store/sqlite-store.js';
import type { StoredObject } from '../store/types.js';
import { backupProblem, readBackup, runBackup, sameDevice, sameDeviceWarning, type BackupResult, type OnProgress } from '../backup/backup.js';
import { BACKUP_SETTINGS_FILE, DEFAULT_BACKUP_SETTINGS, formatSchedule, nextDue, readBackupSettings, settingsChanges, type BackupSettings } from '../backup/settings.js';
import { watchFile } from './watch-file.js';

const META_KEY = 'backup/verified';

/** The newest verified backup as the store records it. */
export interface VerifiedMeta {
  /** ISO time of the snapshot. */
  created: string;
  file: string;
  objects: number;
  /** Highest object sequence in the backup: objects above it are not in any verified backup. */
  maxSeq: number;
}

export interface BackupStatus {
  settings: BackupSettings;
  next: string | null;
  newest: VerifiedMeta | null;
  running: boolean;
  lastError: string | null;
}

export interface BackupService {
  /** One backup now (after any running one). Throws one line when it fails (also logged and audited). onProgress: its stages (backup.ts runBackup). */
  runNow(why: 'operator' | 'scheduled', onProgress?: OnProgress): Promise<BackupResult>;
  /** Reads a backup file back fully with the store's master key (master-key backups only). onProgress: checking, decrypt, integrity, done. */
  verify(file: string, onProgress?: OnProgress): Promise<{ objects: number; maxSeq: number; created: string }>;
  status(): BackupStatus;
  /** refuseUnbackedKeys: whether Get must not serve this object's material yet. */
  notBackedUp(obj: StoredObject): boolean;
  close(): Promise<void>;
}

export interface BackupServiceDeps {
  dataDir: string;
  store: Pick<SqliteKeyStore, 'backupTo' | 'deriveSubkey' | 'getMeta' | 'setMeta'>;
  /** The KMIP batch gate: the snapshot waits for Undo batches (their open transaction must not reach the copy). */
  gate: BatchGate;
  audit: (r: Omit<AuditRecord, 'at'>) => void;
  log: Logger;
  clock: () => Date;
  /** How often the schedule is checked (default 30 s). */
  checkMs?: number;
  /** How often backup.json is polled besides fs.watch (default 250 ms). */
  pollMs?: number;
}

/** Notes a verified backup in the store's meta table: objects above its maxSeq are the ones no backup holds. */
export function recordVerified(store: Pick<SqliteKeyStore, 'setMeta'>, r: BackupResult): VerifiedMeta {
  const m: VerifiedMeta = { created: r.created.toISOString(), file: r.file, objects: r.objects, maxSeq: r.maxSeq };
  store.setMeta(META_KEY, Buffer.from(JSON.stringify(m)));
  return m;
}

function readMeta(store: BackupServiceDeps['store']): VerifiedMeta | null {
  const raw = store.getMeta(META_KEY);
  if (raw === undefined) return null;
  try {
    const m = JSON.parse(Buffer.from(raw).toString('utf8')) as VerifiedMeta;
    return Number.isSafeInteger(m.maxSeq) && typeof m.created === 'string' ? m : null;
  } catch {
    return null;
  }
}

export async function startBackupService(deps: BackupServiceDeps): Promise<BackupService> {
  const { dataDir, store, log, clock } = deps;
  const admin = (operation: string, result: string, message: string, objects: string[] = []) =>
    deps.audit({ kind: 'admin', client: null, address: null, operation, objects, result, reason: null, message });
  let settings: BackupSettings;
  try {
    settings = await readBackupSettings(dataDir);
  } catch (e) {
    // A broken backup.json must not keep keys from being served: no backups until it is fixed, loudly.
    settings = DEFAULT_BACKUP_SETTINGS;
    const message = `backups are off until ${BACKUP_SETTINGS_FILE} is fixed: ${(e as Error).message}`;
    log.error(`keyhold: ${message}`);
    admin('backup settings unreadable', 'warning', message);
  }
  let newest = readMeta(store);
  let since = clock();
  let lastAttempt: Date | null = newest === null ? null : new Date(newest.created);
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  let lastError: string | null = null;
  let closed = false;

  const warnDevice = (s: BackupSettings) => {
    if (s.folder !== null && sameDevice(dataDir, s.folder)) {
      const message = sameDeviceWarning(dataDir, s.folder);
      log.warn(`keyhold: ${message}`);
      admin('backup folder on the data device', 'warning', message);
    }
  };
  warnDevice(settings);
  if (settings.schedule.kind !== 'off') log.info(`keyhold: backups ${formatSchedule(settings.schedule)} to ${settings.folder}`);

  /**
   * The online copy, in steps of 1 MiB so KMIP requests go on between them.
   * Should an Undo batch (a transaction open across awaits) have run during
   * it, the copy is made again, whole, with the batch gate held: rare, and
   * then KMIP waits for that one step.
   */
  const snapshot = async (file: string): Promise<void> => {
    const runs = deps.gate.exclusiveRuns;
    if (!deps.gate.exclusiveHeld) {
      await store.backupTo(file, 256);
      if (deps.gate.exclusiveRuns === runs && !deps.gate.exclusiveHeld) return;
      await fsp.rm(file, { force: true });
    }
    await deps.gate.exclusive(() => store.backupTo(file));
  };

  const once = async (why: 'operator' | 'scheduled', onProgress?: OnProgress): Promise<BackupResult> => {
    const s = settings;
    lastAttempt = clock();
    busy = true;
    try {
      const r = await runBackup(
        {
          dataDir,
          snapshot: (file) => snapshot(file),
          deriveSubkey: (info) => store.deriveSubkey(info),
          now: clock,
        },
        s,
        onProgress === undefined ? {} : { onProgress },
      );
      newest = recordVerified(store, r);
      lastError = null;
      const name = path.basename(r.file);
      const message = `${name}: ${r.objects} objects, ${r.bytes} bytes, verified (${why}; snapshot ${r.ms.snapshot} ms, write ${r.ms.write} ms, verify ${r.ms.verify} ms)${r.deleted.length > 0 ? `; retention deleted ${r.deleted.join(', ')}` : ''}`;
      log.info(`keyhold: backup written: ${message}`);
      admin('backup written', 'applied', message);
      return r;
    } catch (e) {
      const message = `${why} backup to ${s.folder ?? '(no folder)'} failed: ${backupProblem(e)}`;
      lastError = message;
      log.error(`keyhold: ${message}`);
      admin('backup failed', 'failed', message);
      throw new Error(message);
    } finally {
      busy = false;
    }
  };

  const runNow = (why: 'operator' | 'scheduled', onProgress?: OnProgress): Promise<BackupResult> => {
    if (closed) return Promise.reject(new Error('the server is stopping'));
    const p = running.then(() => once(why, onProgress));
    running = p.catch(() => {});
    return p;
  };

  const tick = () => {
    if (closed || busy) return;
    const due = nextDue(settings.schedule, lastAttempt, since);
    if (due !== null && clock().getTime() >= due.getTime()) void runNow('scheduled').catch(() => {});
  };
  const timer = setInterval(tick, deps.checkMs ?? 30_000);
  timer.unref();

  let lastProblem: string | undefined;
  const watch = watchFile(dataDir, BACKUP_SETTINGS_FILE, async () => {
    try {
      const next = await readBackupSettings(dataDir);
      lastProblem = undefined;
      const changes = settingsChanges(settings, next);
      const scheduleChanged = formatSchedule(settings.schedule) !== formatSchedule(next.schedule);
      const folderChanged = settings.folder !== next.folder;
      settings = next;
      if (scheduleChanged) since = clock();
      if (changes.length > 0) {
        log.info(`keyhold: backup settings changed: ${changes.join('; ')}`);
        admin('backup settings changed', 'applied', changes.join('; '));
      }
      if (folderChanged) warnDevice(next);
    } catch (e) {
      const message = (e as Error).message;
      if (message !== lastProblem) {
        log.warn(`keyhold: the changed backup settings are not used (the last good ones stay): ${message}`);
        admin('backup settings unreadable', 'warning', message);
      }
      lastProblem = message;
    }
  }, deps.pollMs);

  return {
    runNow,
    async verify(file, onProgress) {
      const abs = path.resolve(file);
      await fsp.access(abs);
      const r = await readBackup(abs, { masterKeys: (info) => [store.deriveSubkey(info).key] }, undefined, onProgress && { onProgress, as: 'decrypt' });
      onProgress?.({ stage: 'done', done: 1, total: 1 });
      return { objects: r.objects, maxSeq: r.maxSeq, created: r.core.created };
    },
    status() {
      const next = nextDue(settings.schedule, lastAttempt, since);
      return { settings, next: next === null ? null : next.toISOString(), newest, running: busy, lastError };
    },
    notBackedUp(obj) {
      if (!settings.refuseUnbackedKeys) return false;
      if (newest === null) return true;
      return obj.seq === undefined || obj.seq > newest.maxSeq;
    },
    async close() {
      closed = true;
      clearInterval(timer);
      watch.close();
      await running;
    },
  };
}
