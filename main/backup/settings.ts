// DIR/backup.json: when backups run, where they go, how many are kept, how
// their data key is protected, and the GKLM-style "serve only backed-up keys"
// switch. Parsed and checked here (no I/O besides read/write of the file);
// the running server keeps it current like policy.json (watch-file.ts).
//
// The schedule is text an operator can read and type:
//   off | daily at HH:MM | weekly on DAY at HH:MM | every N hours
// Times are the server's local time.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../pki/index.js';
import { checkSchedule, formatSchedule, type Schedule } from '../../shared/forms/schedule.js';

export { formatSchedule, type Schedule };

export const BACKUP_SETTINGS_FILE = 'backup.json';

export type Protection = 'passphrase' | 'master-key';

/** The X25519 key pair of passphrase protection: the private key sealed under scrypt(passphrase). */
export interface PassphraseKey {
  /** Raw X25519 public key, base64. */
  publicKey: string;
  /** The PKCS#8 private key, AES-256-GCM under scrypt(passphrase, salt). */
  sealedPrivateKey: { kdf: 'scrypt'; N: number; r: number; p: number; salt: string; nonce: string; ciphertext: string };
}

export interface BackupSettings {
  schedule: Schedule;
  /** Absolute path of the folder the backup files go to (ideally another volume). */
  folder: string | null;
  /** Verified backups kept (the oldest beyond this are deleted; never the newest verified one). */
  keep: number;
  protection: Protection;
  /** Include audit.db in each backup. */
  includeAudit: boolean;
  /** GKLM-style: key material created after the newest verified backup is not served until the next one. */
  refuseUnbackedKeys: boolean;
  /** With passphrase protection: the key pair each backup's data key is wrapped to. */
  passphraseKey: PassphraseKey | null;
}

export const DEFAULT_BACKUP_SETTINGS: BackupSettings = Object.freeze({
  schedule: { kind: 'off' } as Schedule,
  folder: null,
  keep: 14,
  protection: 'master-key',
  includeAudit: true,
  refuseUnbackedKeys: false,
  passphraseKey: null,
});

export const MAX_KEEP = 10_000;
/** "daily at 02:30", "weekly on sunday at 03:00", "every 6 hours", "off". Throws one line (shared/forms/schedule.ts checks it). */
export function parseSchedule(text: string): Schedule {
  const r = checkSchedule(text);
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

/**
 * When the next backup is due. `last`: the last backup attempt (null: none
 * yet). Every N hours: N hours after the last one, at once when there was
 * none. Daily and weekly: the first slot after the last attempt (a slot missed
 * while the server was down is caught up once, at start), or the first slot
 * after `now` when there was none. null: never (off).
 */
export function nextDue(s: Schedule, last: Date | null, now: Date): Date | null {
  switch (s.kind) {
    case 'off':
      return null;
    case 'hours':
      return last === null ? now : new Date(last.getTime() + s.every * 3_600_000);
    case 'daily':
    case 'weekly': {
      const from = last ?? now;
      const d = new Date(from.getTime());
      d.setHours(s.hour, s.minute, 0, 0);
      if (s.kind === 'weekly') d.setDate(d.getDate() + ((s.day - d.getDay() + 7) % 7));
      // Strictly after `from`; setDate keeps the local time across DST changes.
      while (d.getTime() <= from.getTime()) d.setDate(d.getDate() + (s.kind === 'weekly' ? 7 : 1));
      return d;
    }
  }
}

const isB64 = (v: unknown, min: number, max: number) => typeof v === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.length >= min && v.length <= max;

function parsePassphraseKey(v: unknown, file: string): PassphraseKey {
  const bad = (what: string): never => { throw new Error(`${file}: passphraseKey: ${what} (run keyhold backup configure --protection passphrase again)`); };
  if (typeof v !== 'object' || v === null) return bad('expected an object');
  const k = v as Record<string, unknown>;
  if (!isB64(k.publicKey, 40, 48)) bad('publicKey is not a base64 X25519 key');
  const s = k.sealedPrivateKey as Record<string, unknown> | undefined;
  if (typeof s !== 'object' || s === null) return bad('sealedPrivateKey is missing');
  if (s.kdf !== 'scrypt') bad('sealedPrivateKey.kdf must be "scrypt"');
  for (const f of ['N', 'r', 'p'] as const) if (!Number.isSafeInteger(s[f]) || (s[f] as number) < 1) bad(`sealedPrivateKey.${f} must be a positive integer`);
  if ((s.N as number) > 2 ** 20 || ((s.N as number) & ((s.N as number) - 1)) !== 0) bad('sealedPrivateKey.N must be a power of two up to 2^20');
  if ((s.r as number) > 32 || (s.p as number) > 16) bad('sealedPrivateKey.r or p is too large');
  if (!isB64(s.salt, 20, 100) || !isB64(s.nonce, 16, 16) || !isB64(s.ciphertext, 40, 400)) bad('sealedPrivateKey salt, nonce or ciphertext is malformed');
  return {
    publicKey: k.publicKey as string,
    sealedPrivateKey: { kdf: 'scrypt', N: s.N as number, r: s.r as number, p: s.p as number, salt: s.salt as string, nonce: s.nonce as string, ciphertext: s.ciphertext as string },
  };
}

const FIELDS = ['schedule', 'folder', 'keep', 'protection', 'includeAudit', 'refuseUnbackedKeys', 'passphraseKey'] as const;

/** Parses backup.json text; every problem is one line naming the file and the field. */
export function parseBackupSettings(text: string, file: string): BackupSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${file}: expected an object of backup settings`);
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!(FIELDS as readonly string[]).includes(k)) throw new Error(`${file}: unknown field "${k}" (one of ${FIELDS.join(', ')})`);
  const out: BackupSettings = { ...DEFAULT_BACKUP_SETTINGS };
  if (r.schedule !== undefined) {
    if (typeof r.schedule !== 'string') throw new Error(`${file}: schedule must be a string like "daily at 02:00"`);
    try { out.schedule = parseSchedule(r.schedule); } catch (e) { throw new Error(`${file}: schedule: ${(e as Error).message}`); }
  }
  if (r.folder !== undefined && r.folder !== null) {
    if (typeof r.folder !== 'string' || !path.isAbsolute(r.folder) || r.folder.length > 4096 || /[\0\n]/.test(r.folder)) throw new Error(`${file}: folder must be an absolute path`);
    out.folder = path.normalize(r.folder);
  }
  if (r.keep !== undefined) {
    if (!Number.isSafeInteger(r.keep) || (r.keep as number) < 1 || (r.keep as number) > MAX_KEEP) throw new Error(`${file}: keep must be a whole number from 1 to ${MAX_KEEP}`);
    out.keep = r.keep as number;
  }
  if (r.protection !== undefined) {
    if (r.protection !== 'passphrase' && r.protection !== 'master-key') throw new Error(`${file}: protection must be "passphrase" or "master-key"`);
    out.protection = r.protection;
  }
  for (const f of ['includeAudit', 'refuseUnbackedKeys'] as const) {
    if (r[f] !== undefined) {
      if (typeof r[f] !== 'boolean') throw new Error(`${file}: ${f} must be true or false`);
      out[f] = r[f] as boolean;
    }
  }
  if (r.passphraseKey !== undefined && r.passphraseKey !== null) out.passphraseKey = parsePassphraseKey(r.passphraseKey, file);
  if (out.protection === 'passphrase' && out.passphraseKey === null) throw new Error(`${file}: protection "passphrase" needs a passphraseKey (set it with keyhold backup configure --protection passphrase --passphrase-stdin)`);
  if (out.schedule.kind !== 'off' && out.folder === null) throw new Error(`${file}: a schedule needs a folder`);
  return out;
}

export function formatBackupSettings(s: BackupSettings): string {
  return `${JSON.stringify({ ...s, schedule: formatSchedule(s.schedule) }, null, 2)}\n`;
}

/** The readable differences between two settings (for the log and the audit). */
export function settingsChanges(a: BackupSettings, b: BackupSettings): string[] {
  const out: string[] = [];
  if (formatSchedule(a.schedule) !== formatSchedule(b.schedule)) out.push(`schedule ${formatSchedule(a.schedule)} → ${formatSchedule(b.schedule)}`);
  if (a.folder !== b.folder) out.push(`folder ${a.folder ?? 'none'} → ${b.folder ?? 'none'}`);
  if (a.keep !== b.keep) out.push(`keep ${a.keep} → ${b.keep}`);
  if (a.protection !== b.protection) out.push(`protection ${a.protection} → ${b.protection}`);
  else if (a.passphraseKey?.publicKey !== b.passphraseKey?.publicKey) out.push('backup passphrase changed');
  if (a.includeAudit !== b.includeAudit) out.push(`include audit log ${a.includeAudit} → ${b.includeAudit}`);
  if (a.refuseUnbackedKeys !== b.refuseUnbackedKeys) out.push(`refuse keys not yet backed up ${a.refuseUnbackedKeys} → ${b.refuseUnbackedKeys}`);
  return out;
}

export function backupSettingsFile(dataDir: string): string {
  return path.join(dataDir, BACKUP_SETTINGS_FILE);
}

/** DIR/backup.json; absent: the defaults (no folder, schedule off). */
export async function readBackupSettings(dataDir: string): Promise<BackupSettings> {
  const file = backupSettingsFile(dataDir);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_BACKUP_SETTINGS;
    throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseBackupSettings(text, file);
}

export async function writeBackupSettings(dataDir: string, s: BackupSettings): Promise<void> {
  await fsp.mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(backupSettingsFile(dataDir), formatBackupSettings(s), 0o600);
}
