// `keyhold backup configure|now|list|verify|restore`: backups of the data dir
// (main/backup). `now` goes to the running server through its control socket
// (the store is exclusive to it) or, with no server, takes the data dir's lock
// and backs up itself. `verify` and `restore` read a backup file without a
// server: a passphrase backup needs the backup passphrase (standard input), a
// master-key backup the master key (DIR's key files, or --master-key FILE).
// Passphrases are never arguments and never printed.
import { existsSync } from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { AuditLog } from '../audit/audit-log.js';
import { backupProblem, listBackups, readBackup, runBackup, sameDevice, sameDeviceWarning, VERIFIED_SUFFIX, type Unlock, type VerifiedRecord } from '../backup/backup.js';
import { openBackupFile } from '../backup/format.js';
import { masterWrapKey, matchingMasterKey, newPassphraseKey, passphraseProblem } from '../backup/keys.js';
import { restoreBackup, undoRestore } from '../backup/restore.js';
import { backupSettingsFile, formatSchedule, parseSchedule, readBackupSettings, settingsChanges, writeBackupSettings, type BackupSettings } from '../backup/settings.js';
import { precheckDatabase } from '../backup/start-check.js';
import { controlRequest } from '../server/control-socket.js';
import { acquireLock, LockedError } from '../server/lock.js';
import { recordVerified } from '../server/backup-service.js';
import { DB_FILE, openStore } from '../store/index.js';
import { isWrappedFile, LOCKED_FILE, MASTER_KEY_FILE, protectionOf, readRawKey, retiredFile, retiredVersions, unlockKeyFiles, loadRetiredKey } from '../store/master-key.js';
import { CliError } from './errors.js';
import { onOff, readPassphrase, type Flags } from './flags.js';
import type { Command } from './main.js';
import { dataDirOf } from './server-commands.js';

async function settingsOf(dataDir: string): Promise<BackupSettings> {
  try {
    return await readBackupSettings(dataDir);
  } catch (e) {
    throw new CliError((e as Error).message);
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

const mb = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${(n / 1024).toFixed(1)} kB`);

/**
 * The master keys at hand for a master-key backup: --master-key FILE, else
 * DIR's key file(s) (current, next of an unfinished rotation, retired
 * versions), unlocked with the passphrase when DIR's master key has one.
 * Each with the file a restore copies in as the restored master key.
 */
async function masterCandidates(dataDir: string, keyFile: string | undefined, passphrase: string | undefined): Promise<{ key: KeyObject; from: string; name: string }[]> {
  const out: { key: KeyObject; from: string; name: string }[] = [];
  const raw = (file: string) => {
    try {
      return readRawKey(file);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
  };
  if (keyFile !== undefined) {
    out.push({ key: raw(path.resolve(keyFile)), from: path.resolve(keyFile), name: MASTER_KEY_FILE });
    return out;
  }
  if (protectionOf(dataDir) === 'passphrase') {
    if (passphrase === undefined) throw new CliError(`the master key of ${dataDir} is protected by a passphrase: give it with --passphrase-stdin, or give a plain key file with --master-key FILE`, 2);
    try {
      const keys = await unlockKeyFiles(dataDir, passphrase);
      out.push({ key: keys.current, from: path.join(dataDir, LOCKED_FILE), name: LOCKED_FILE });
      for (const v of retiredVersions(dataDir)) out.push({ key: await loadRetiredKey(dataDir, v, passphrase), from: path.join(dataDir, retiredFile(v)), name: isWrappedFile(path.join(dataDir, retiredFile(v))) ? LOCKED_FILE : MASTER_KEY_FILE });
    } catch (e) {
      throw new CliError((e as Error).message);
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
  if (out.length === 0) throw new CliError(`no master key in ${dataDir}: give the master key file this backup was made with (--master-key FILE)`, 2);
  return out;
}

/** How to open `file`: the passphrase, or the matching master key (and its file, for restore). */
async function unlockFor(file: string, flags: Flags, input: () => Promise<Uint8Array>, dataDir: string): Promise<{ unlock: Unlock; keyFile?: { from: string; name: string }; protection: string }> {
  let b;
  try {
    b = await openBackupFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`${file} does not exist`);
    throw new CliError(backupProblem(e));
  }
  await b.close();
  const keyFlag = flags.get('--master-key');
  if (keyFlag === true) throw new CliError('--master-key needs a file', 2);
  const passphrase = flags.has('--passphrase-stdin') ? await readPassphrase(input) : undefined;
  if (b.key.kind === 'passphrase') {
    if (keyFlag !== undefined) throw new CliError('this backup is protected by the backup passphrase, not by a master key: give the passphrase with --passphrase-stdin', 2);
    if (passphrase === undefined) throw new CliError('this backup is protected by the backup passphrase: give it on standard input with --passphrase-stdin', 2);
    return { unlock: { passphrase }, protection: 'passphrase' };
  }
  const candidates = await masterCandidates(dataDir, keyFlag, passphrase);
  const i = matchingMasterKey(b.key, candidates.map((c) => c.key));
  if (i < 0) throw new CliError(`the master key ${keyFlag === undefined ? `of ${dataDir}` : keyFlag} does not match the one this backup was made with (master key version ${b.key.masterKeyVersion})`);
  const key = candidates[i]!.key;
  return { unlock: { masterKeys: (info) => [masterWrapKeyFromInfo(key, info)] }, keyFile: { from: candidates[i]!.from, name: candidates[i]!.name }, protection: 'master-key' };
}

/** The wrap key for an info string made by keys.ts wrapInfo (the salt is its tail). */
function masterWrapKeyFromInfo(master: KeyObject, info: string): KeyObject {
  return masterWrapKey(master, Buffer.from(info.slice(info.indexOf('\0') + 1), 'base64'));
}

/** The protection a backup file's header names (undefined when it cannot be read: unlockFor says why). */
async function protectionOfFile(file: string): Promise<string | undefined> {
  try {
    const b = await openBackupFile(file);
    await b.close();
    return b.core.protection;
  } catch {
    return undefined;
  }
}

function fileArg(args: string[]): string {
  const f = args[0];
  if (f === undefined || f === '') throw new CliError('name the backup file', 2);
  return path.resolve(f);
}

async function writeVerified(file: string, rec: VerifiedRecord): Promise<boolean> {
  try {
    await fsp.writeFile(`${file}${VERIFIED_SUFFIX}`, `${JSON.stringify(rec)}\n`, { mode: 0o600 });
    return true;
  } catch {
    return false;
  }
}

/** `backup now` without a server: the lock, the start check, the store, one backup, its audit record. */
async function backupOffline(dataDir: string, settings: BackupSettings, why: string): Promise<{ file: string; bytes: number; objects: number; ms: number; deleted: string[] }> {
  if (!existsSync(path.join(dataDir, DB_FILE))) throw new CliError(`no key store in ${dataDir} (it is created when the server first starts)`);
  let release: () => void;
  try {
    release = acquireLock(dataDir);
  } catch (e) {
    if (e instanceof LockedError) throw new CliError(`the server on ${dataDir} is running but its control socket cannot be reached (${why}); stop the server and retry`);
    throw e;
  }
  try {
    if (protectionOf(dataDir) === 'passphrase') throw new CliError('the master key is protected by a passphrase: start the server, unlock it (keyhold master-key unlock) and run keyhold backup now again');
    try {
      await precheckDatabase(dataDir);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    const store = openStore(dataDir);
    let audit: AuditLog | undefined;
    try {
      audit = await AuditLog.open(dataDir);
      const log = audit;
      try {
        const r = await runBackup({ dataDir, snapshot: (f) => store.backupTo(f), deriveSubkey: (info) => store.deriveSubkey(info), now: () => new Date() }, settings);
        recordVerified(store, r);
        log.record({ kind: 'admin', client: null, address: null, operation: 'backup written', objects: [], result: 'applied', reason: null, message: `${path.basename(r.file)}: ${r.objects} objects, ${r.bytes} bytes, verified (operator, no server running)` });
        return { file: r.file, bytes: r.bytes, objects: r.objects, ms: r.ms.snapshot + r.ms.write + r.ms.verify, deleted: r.deleted };
      } catch (e) {
        const message = `operator backup to ${settings.folder ?? '(no folder)'} failed: ${backupProblem(e)}`;
        log.record({ kind: 'admin', client: null, address: null, operation: 'backup failed', objects: [], result: 'failed', reason: null, message });
        throw new CliError(message);
      }
    } finally {
      await audit?.close();
      store.close();
    }
  } finally {
    release();
  }
}

const CONFIGURE_FLAGS = ['--folder', '--schedule', '--keep', '--protection', '--refuse-unbacked', '--include-audit'];

export const BACKUP_COMMANDS: Record<string, Command> = {
  'backup configure': {
    usage: 'keyhold backup configure [--data-dir DIR] [--folder DIR] [--schedule "daily at HH:MM"|"weekly on DAY at HH:MM"|"every N hours"|off] [--keep N] [--protection passphrase|master-key] [--passphrase-stdin] [--refuse-unbacked on|off] [--include-audit on|off]',
    summary: 'backup settings (DIR/backup.json): folder (best on another volume), schedule, how many verified backups to keep, protection by a backup passphrase (first line of standard input) or by the master key, and whether keys not yet in a verified backup are served; a running server applies them within a second',
    flags: ['--data-dir', ...CONFIGURE_FLAGS, '--passphrase-stdin'],
    valueFlags: ['--data-dir', ...CONFIGURE_FLAGS],
    async run(flags, input, write, { io }) {
      const dataDir = dataDirOf(flags);
      const before = await settingsOf(dataDir);
      if (!CONFIGURE_FLAGS.some((f) => flags.has(f)) && !flags.has('--passphrase-stdin')) {
        // Nothing to change: show the settings.
        write(`folder:           ${before.folder ?? 'none'}\nschedule:         ${formatSchedule(before.schedule)}\nkeep:             ${before.keep} verified backups\nprotection:       ${before.protection}\ninclude audit:    ${before.includeAudit ? 'yes' : 'no'}\nrefuse unbacked:  ${before.refuseUnbackedKeys ? 'yes: keys are served only once a verified backup holds them' : 'no'}\nfile:             ${backupSettingsFile(dataDir)}${existsSync(backupSettingsFile(dataDir)) ? '' : ' (absent: defaults)'}\n`);
        return;
      }
      const next: BackupSettings = { ...before };
      const folder = flags.get('--folder');
      if (folder !== undefined) {
        if (folder === true || folder === '') throw new CliError('--folder needs a folder', 2);
        next.folder = path.resolve(folder);
        if (next.folder === path.resolve(dataDir) || next.folder.startsWith(`${path.resolve(dataDir)}${path.sep}`)) throw new CliError('--folder must not be inside the data dir (a restore sets the data dir aside)', 2);
      }
      const schedule = flags.get('--schedule');
      if (schedule !== undefined) {
        try { next.schedule = parseSchedule(String(schedule)); } catch (e) { throw new CliError(`--schedule: ${(e as Error).message}`, 2); }
      }
      const keep = flags.get('--keep');
      if (keep !== undefined) {
        if (!/^\d{1,5}$/.test(String(keep)) || Number(keep) < 1 || Number(keep) > 10_000) throw new CliError('--keep must be a whole number from 1 to 10000', 2);
        next.keep = Number(keep);
      }
      const protection = flags.get('--protection');
      if (protection !== undefined) {
        if (protection !== 'passphrase' && protection !== 'master-key') throw new CliError('--protection must be passphrase or master-key', 2);
        next.protection = protection;
      }
      const refuse = onOff(flags, '--refuse-unbacked');
      if (refuse !== undefined) next.refuseUnbackedKeys = refuse;
      const audit = onOff(flags, '--include-audit');
      if (audit !== undefined) next.includeAudit = audit;
      if (flags.has('--passphrase-stdin')) {
        if (next.protection !== 'passphrase') throw new CliError('--passphrase-stdin sets the backup passphrase, which goes with --protection passphrase', 2);
        const p = await readPassphrase(input, passphraseProblem);
        next.passphraseKey = newPassphraseKey(p);
      } else if (next.protection === 'passphrase' && next.passphraseKey === null) {
        throw new CliError('--protection passphrase needs the backup passphrase on standard input (--passphrase-stdin)', 2);
      }
      if (next.protection === 'master-key') next.passphraseKey = null;
      if (next.schedule.kind !== 'off' && next.folder === null) throw new CliError('a schedule needs a folder (--folder DIR)', 2);
      const changes = settingsChanges(before, next);
      if (changes.length === 0) return write('backup settings unchanged\n');
      await writeBackupSettings(dataDir, next);
      write(`backup settings changed: ${changes.join('; ')}\n`);
      if (next.folder !== null && sameDevice(dataDir, next.folder)) io.stderr.write(`keyhold: warning: ${sameDeviceWarning(dataDir, next.folder)}\n`);
      write(`${keepSafe(next, dataDir)}\n`);
    },
  },
  'backup now': {
    usage: 'keyhold backup now [--data-dir DIR]',
    summary: 'write one backup to the configured folder now (through the running server, or offline when none runs), read it back and check it, apply retention',
    flags: ['--data-dir'],
    valueFlags: ['--data-dir'],
    async run(flags, _input, write, { io }) {
      const dataDir = dataDirOf(flags);
      const settings = await settingsOf(dataDir);
      if (settings.folder === null) throw new CliError(`no backup folder is configured: keyhold backup configure --folder DIR --protection passphrase|master-key${flags.has('--data-dir') ? ` --data-dir ${dataDir}` : ''}`);
      let reply;
      try {
        reply = await controlRequest(dataDir, 'backupNow', {}, 3_600_000);
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      const r = reply.reached ? reply.value : await backupOffline(dataDir, settings, reply.why);
      if (sameDevice(dataDir, settings.folder)) io.stderr.write(`keyhold: warning: ${sameDeviceWarning(dataDir, settings.folder)}\n`);
      write(`backup written and verified: ${r.file} (${r.objects} objects, ${mb(r.bytes)}, ${r.ms} ms)${r.deleted.length > 0 ? `; retention deleted ${r.deleted.join(', ')}` : ''}\n`);
      write(`${keepSafe(settings, dataDir)}\n`);
    },
  },
  'backup list': {
    usage: 'keyhold backup list [--data-dir DIR] [--folder DIR]',
    summary: 'the backups in the configured folder (or --folder), newest first: time, size, objects, verified, protection',
    flags: ['--data-dir', '--folder'],
    valueFlags: ['--data-dir', '--folder'],
    async run(flags, _input, write) {
      const given = flags.get('--folder');
      const folder = typeof given === 'string' ? path.resolve(given) : (await settingsOf(dataDirOf(flags))).folder;
      if (folder === null) throw new CliError('no backup folder is configured (keyhold backup configure --folder DIR), and no --folder was given');
      const rows = await listBackups(folder);
      if (rows.length === 0) return write(`no backups in ${folder}\n`);
      for (const b of rows) {
        if (b.core === null) {
          write(`${b.name}\t${mb(b.bytes)}\tunreadable: ${b.problem}\n`);
          continue;
        }
        write(`${b.name}\t${b.core.created}\t${mb(b.bytes)}\t${b.core.objects} objects\t${b.verified ? `verified ${b.verified.verifiedAt}` : 'NOT verified'}\t${b.core.protection}\n`);
      }
    },
  },
  'backup verify': {
    usage: 'keyhold backup verify FILE [--data-dir DIR] [--passphrase-stdin] [--master-key FILE]',
    summary: 'read a backup back in full (decrypt, integrity_check, object count) and mark it verified; a passphrase backup needs the backup passphrase on standard input, a master-key backup the master key (DIR\'s, or --master-key FILE; --passphrase-stdin when DIR\'s master key has a passphrase)',
    flags: ['--data-dir', '--passphrase-stdin', '--master-key'],
    valueFlags: ['--data-dir', '--master-key'],
    args: ['FILE'],
    async run(flags, input, write, { args }) {
      const file = fileArg(args);
      const dataDir = dataDirOf(flags);
      // A master-key backup, DIR's master key under a passphrase not given here: the running (unlocked) server can verify it.
      if (!flags.has('--passphrase-stdin') && !flags.has('--master-key') && protectionOf(dataDir) === 'passphrase' && (await protectionOfFile(file)) === 'master-key') {
        let reply;
        try {
          reply = await controlRequest(dataDir, 'verifyBackup', { file }, 3_600_000);
        } catch (e) {
          throw new CliError(`${path.basename(file)} is not usable: ${(e as Error).message}`);
        }
        if (reply.reached) {
          write(`${path.basename(file)} verified by the running server: ${reply.value.objects} objects, taken ${reply.value.created}, integrity_check ok\n`);
          return;
        }
      }
      const { unlock } = await unlockFor(file, flags, input, dataDir);
      let r;
      try {
        r = await readBackup(file, unlock);
      } catch (e) {
        throw new CliError(`${path.basename(file)} is not usable: ${backupProblem(e)}`);
      }
      const bytes = (await fsp.stat(file)).size;
      const marked = await writeVerified(file, { verifiedAt: new Date().toISOString(), created: r.core.created, objects: r.objects, maxSeq: r.maxSeq, bytes, protection: r.core.protection });
      write(`${path.basename(file)} verified: ${r.objects} objects, taken ${r.core.created}, ${r.entries.length} files, integrity_check ok${marked ? '' : ' (could not write the .verified mark beside it)'}\n`);
    },
  },
  'backup restore': {
    usage: 'keyhold backup restore FILE [--data-dir DIR] [--passphrase-stdin] [--master-key FILE] | keyhold backup restore --undo [--data-dir DIR]',
    summary: 'with the server stopped: check FILE in full, set the data dir aside as DIR.before-restore-TIME (never deleted) and unpack the backup into DIR; --undo puts the set-aside data dir back and keeps the restored one as DIR.restored-TIME',
    flags: ['--data-dir', '--passphrase-stdin', '--master-key', '--undo'],
    valueFlags: ['--data-dir', '--master-key'],
    args: ['FILE'],
    optionalArgs: 1,
    async run(flags, input, write, { args }) {
      const dataDir = dataDirOf(flags);
      if (flags.has('--undo')) {
        if (args.length > 0 || flags.has('--passphrase-stdin') || flags.has('--master-key')) throw new CliError('--undo takes no FILE, --passphrase-stdin or --master-key', 2);
        const release = takeLock(dataDir);
        let r;
        try {
          r = await undoRestore(dataDir);
        } catch (e) {
          release();
          throw new CliError(`cannot undo the restore: ${(e as Error).message}`);
        }
        // The lock file went with the restored folder; release() finds none in DIR, so remove ours there.
        release();
        write(`restore undone: ${dataDir} is the data dir from before the restore again; the restored one (from ${path.basename(r.backup)}) is kept as ${r.keptRestored}\n`);
        return;
      }
      if (args.length === 0) throw new CliError('missing FILE (usage: keyhold backup restore FILE [--data-dir DIR] | --undo)', 2);
      const file = fileArg(args);
      const release = existsSync(dataDir) ? takeLock(dataDir) : () => {};
      try {
        const { unlock, keyFile } = await unlockFor(file, flags, input, dataDir);
        let r;
        try {
          r = await restoreBackup(file, dataDir, unlock, keyFile === undefined ? {} : { masterKeyFile: keyFile });
        } catch (e) {
          throw new CliError(`not restored (the data dir is unchanged): ${backupProblem(e)}`);
        }
        write(`restored ${path.basename(file)} (taken ${r.created}, ${r.objects} objects, ${r.entries.length} files) into ${dataDir}\n`);
        write(r.setAside === null ? 'there was no data dir before\n' : `the data dir from before is kept as ${r.setAside}; undo with: keyhold backup restore --undo --data-dir ${dataDir}\n`);
      } finally {
        release();
      }
    },
  },
};

function takeLock(dataDir: string): () => void {
  try {
    return acquireLock(dataDir);
  } catch (e) {
    if (e instanceof LockedError) throw new CliError(`a Keyhold server is running on ${dataDir}: stop it before a restore`);
    throw e;
  }
}
