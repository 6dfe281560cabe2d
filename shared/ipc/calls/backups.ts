// Backups (DIR/backup.json and the backup folder): the settings of `keyhold
// backup configure`, the list, a backup now (the running server writes it),
// verify, and restore with the server stopped behind a typed confirmation.
// Passphrases go in, never out.
import { call } from '../spec.js';
import { boolean, integer, noArgs, object, oneOf, optional, string, type NoArgs } from '../validate.js';
import { progressId } from './progress.js';

/** Asks for `progress.update` events with this id while the call runs (shared/ipc/calls/progress.ts). */
export interface WithProgress {
  progressId?: string;
}

export interface BackupSettingsView {
  /** Absolute path, or null: none configured. */
  folder: string | null;
  /** off, "daily at 02:00", "weekly on sunday at 03:00", "every 6 hours". */
  schedule: string;
  keep: number;
  protection: 'passphrase' | 'master-key';
  includeAudit: boolean;
  /** Keys not yet in a verified backup are refused until the next one. */
  refuseUnbackedKeys: boolean;
  /** A backup passphrase is set (never the passphrase). */
  passphraseSet: boolean;
  /** What to keep safe, and away from the backups, to be able to restore. */
  keepSafe: string;
  /** The folder is on the data folder's device: a failed disk takes both. */
  sameDeviceWarning: string | null;
}

export interface BackupConfigureArgs {
  folder?: string;
  schedule?: string;
  keep?: number;
  protection?: 'passphrase' | 'master-key';
  /** A new backup passphrase (with protection passphrase), at least 12 characters. */
  passphrase?: string;
  refuseUnbackedKeys?: boolean;
  includeAudit?: boolean;
}

export interface BackupEntry {
  /** The file name in the folder (keyhold-YYYYMMDD-HHMMSS.khbak): what verify and restore take. */
  name: string;
  bytes: number;
  /** From the header; null when it cannot be read (see problem). */
  created: string | null;
  objects: number | null;
  protection: string | null;
  /** When it was read back in full; null: not verified. */
  verifiedAt: string | null;
  problem: string | null;
}

/** A backup file of the configured folder, by name: no paths, so nothing outside the folder can be named. */
const fileName = string({ minLength: 1, maxLength: 100, pattern: /^keyhold-\d{8}-\d{6}(-\d+)?\.khbak$/ });
const passphrase = string({ minLength: 1, maxLength: 1024 });

export const backupsCalls = {
  'backups.settings': call<NoArgs, BackupSettingsView>(noArgs),
  /** Changes the given fields (as `keyhold backup configure`); refused with one line, nothing written then. */
  'backups.configure': call<BackupConfigureArgs, { settings: BackupSettingsView; changes: string[] }>(
    object({
      folder: optional(string({ minLength: 1, maxLength: 4096, pattern: /^[^\0\n\r]+$/ })),
      schedule: optional(string({ minLength: 1, maxLength: 100 })),
      keep: optional(integer({ min: 1, max: 10_000 })),
      protection: optional(oneOf('passphrase', 'master-key')),
      passphrase: optional(passphrase),
      refuseUnbackedKeys: optional(boolean),
      includeAudit: optional(boolean),
    }),
  ),
  'backups.list': call<NoArgs, { folder: string | null; backups: BackupEntry[] }>(noArgs),
  /** One backup now, by the running server: written, read back, checked, retention applied. Takes as long as the store is big (progress: snapshot, encrypt, verify). */
  'backups.run': call<WithProgress, { name: string; bytes: number; objects: number; ms: number; deleted: string[] }>(object({ progressId: optional(progressId) })),
  /**
   * Reads a backup back in full and marks it verified. passphrase: the backup
   * passphrase of a passphrase backup, or the master key passphrase when the
   * data folder's master key has one and the server does not run.
   */
  'backups.verify': call<{ file: string; passphrase?: string } & WithProgress, { name: string; objects: number; created: string; by: 'server' | 'file' }>(
    object({ file: fileName, passphrase: optional(passphrase), progressId: optional(progressId) }),
  ),
  /**
   * With the KMIP server stopped: checks the backup in full, sets the data
   * folder aside (never deleted) and unpacks the backup in its place.
   * confirm must repeat the file name.
   */
  'backups.restore': call<{ file: string; passphrase?: string; confirm: string } & WithProgress, { name: string; created: string; objects: number; setAside: string | null }>(
    object({ file: fileName, passphrase: optional(passphrase), confirm: string({ maxLength: 100 }), progressId: optional(progressId) }),
  ),
} as const;

export const backupsEvents = {} as const;
