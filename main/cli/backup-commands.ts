// `keyhold backup configure|now|list|verify|restore`: backups of the data dir
// (main/backup). `now` goes to the running server through its control socket
// (the store is exclusive to it) or, with no server, takes the data dir's lock
// and backs up itself. `verify` and `restore` read a backup file without a
// server: a passphrase backup needs the backup passphrase (standard input), a
// master-key backup the master key (DIR's key files, or --master-key FILE).
// Passphrases are never arguments and never printed.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { AuditLog } from '../audit/audit-log.js';
import { backupProblem, listBackups, runBackup, sameDevice, sameDeviceWarning, type Unlock } from '../backup/backup.js';
import { BackupConfigureError, BackupOperatorError, configureBackups, keepSafe, protectionOfFile, unlockBackup, verifyBackupFile, type BackupSettingsChange, type ConfigureRefusal } from '../backup/operator.js';
import { restoreBackup, undoRestore } from '../backup/restore.js';
import { backupSettingsFile, formatSchedule, MAX_KEEP, readBackupSettings, type BackupSettings } from '../backup/settings.js';
import { precheckDatabase } from '../backup/start-check.js';
import { controlRequest } from '../server/control-socket.js';
import { acquireLock, LockedError } from '../server/lock.js';
import { recordVerified } from '../server/backup-service.js';
import { DB_FILE, openStore } from '../store/index.js';
import { protectionOf } from '../store/master-key.js';
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

const mb = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${(n / 1024).toFixed(1)} kB`);

/** A failure of main/backup/operator.ts as the CLI reports it (exit 2 when caused by what was asked). */
function cliError(e: unknown): CliError {
  if (e instanceof CliError) return e;
  return new CliError((e as Error).message, e instanceof BackupOperatorError && e.usage ? 2 : 1);
}

/** How to open `file`: --passphrase-stdin and --master-key FILE, through unlockBackup (as the admin UI). */
async function unlockFor(file: string, flags: Flags, input: () => Promise<Uint8Array>, dataDir: string): Promise<{ unlock: Unlock; keyFile?: { from: string; name: string }; protection: string }> {
  const keyFlag = flags.get('--master-key');
  if (keyFlag === true) throw new CliError('--master-key needs a file', 2);
  const passphrase = flags.has('--passphrase-stdin') ? await readPassphrase(input) : undefined;
  try {
    return await unlockBackup(file, dataDir, { ...(passphrase === undefined ? {} : { passphrase }), ...(keyFlag === undefined ? {} : { masterKeyFile: keyFlag }) });
  } catch (e) {
    throw cliError(e);
  }
}

function fileArg(args: string[]): string {
  const f = args[0];
  if (f === undefined || f === '') throw new CliError('name the backup file', 2);
  return path.resolve(f);
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

/** How `backup configure` words each refusal of configureBackups: in terms of its flags. */
const CONFIGURE_WORDING: Record<ConfigureRefusal, string | ((message: string) => string)> = {
  'folder-empty': '--folder needs a folder',
  'folder-inside': '--folder must not be inside the data dir (a restore sets the data dir aside)',
  schedule: (m) => `--schedule: ${m}`,
  keep: `--keep must be a whole number from 1 to ${MAX_KEEP}`,
  'passphrase-without-protection': '--passphrase-stdin sets the backup passphrase, which goes with --protection passphrase',
  'passphrase-weak': (m) => `--passphrase-stdin: ${m}`,
  'protection-needs-passphrase': '--protection passphrase needs the backup passphrase on standard input (--passphrase-stdin)',
  'schedule-needs-folder': 'a schedule needs a folder (--folder DIR)',
};

const word = (r: ConfigureRefusal, message = ''): string => {
  const w = CONFIGURE_WORDING[r];
  return typeof w === 'function' ? w(message) : w;
};

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
      const change: BackupSettingsChange = {};
      const folder = flags.get('--folder');
      if (folder !== undefined) change.folder = folder === true ? '' : folder;
      const schedule = flags.get('--schedule');
      if (schedule !== undefined) change.schedule = String(schedule);
      const keep = flags.get('--keep');
      if (keep !== undefined) {
        if (!/^\d{1,5}$/.test(String(keep))) throw new CliError(word('keep'), 2);
        change.keep = Number(keep);
      }
      const protection = flags.get('--protection');
      if (protection !== undefined) {
        if (protection !== 'passphrase' && protection !== 'master-key') throw new CliError('--protection must be passphrase or master-key', 2);
        change.protection = protection;
      }
      const refuse = onOff(flags, '--refuse-unbacked');
      if (refuse !== undefined) change.refuseUnbackedKeys = refuse;
      const audit = onOff(flags, '--include-audit');
      if (audit !== undefined) change.includeAudit = audit;
      if (flags.has('--passphrase-stdin')) {
        if ((change.protection ?? before.protection) !== 'passphrase') throw new CliError(word('passphrase-without-protection'), 2);
        change.passphrase = await readPassphrase(input);
      }
      // The same function as the admin UI's backups.configure; only the wording of a refusal names the flags.
      let r;
      try {
        r = await configureBackups(dataDir, change);
      } catch (e) {
        if (e instanceof BackupConfigureError) {
          throw new CliError(word(e.refusal, e.message), 2);
        }
        throw cliError(e);
      }
      if (r.changes.length === 0) return write('backup settings unchanged\n');
      write(`backup settings changed: ${r.changes.join('; ')}\n`);
      if (r.sameDeviceWarning !== null) io.stderr.write(`keyhold: warning: ${r.sameDeviceWarning}\n`);
      write(`${r.keepSafe}\n`);
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
        r = await verifyBackupFile(file, unlock);
      } catch (e) {
        throw cliError(e);
      }
      write(`${path.basename(file)} verified: ${r.objects} objects, taken ${r.created}, ${r.files} files, integrity_check ok${r.marked ? '' : ' (could not write the .verified mark beside it)'}\n`);
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
