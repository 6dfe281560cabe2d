// `keyhold master-key status|protect|unlock|rotate`: how the master key is
// kept (key file or operator passphrase), unlocking a server that started
// locked, and rotation. With a server running on the data dir the command goes
// to it over its control socket; with none, protect, rotate and status take
// the data dir's lock and work on the files and the store themselves.
// Passphrases come only from standard input (never an argument, which other
// users could read in the process list) and are never printed.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { MasterKeyStatusInfo, ParamsOf, ResultOf } from '../../shared/engine/protocol.js';
import type { Logger } from '../admin/log.js';
import { AuditLog } from '../audit/audit-log.js';
import { controlRequest, type ControlMethod } from '../server/control-socket.js';
import { acquireLock, LockedError } from '../server/lock.js';
import { MasterKeyAdmin, masterKeyStatus, PassphraseThrottle } from '../server/master-key-admin.js';
import { DB_FILE, openStore, type SqliteKeyStore } from '../store/index.js';
import {
  LOCKED_FILE,
  MASTER_KEY_FILE,
  passphraseProblem,
  protectionOf,
  retiredFile,
  settleProtection,
  unlockKeyFiles,
  WrongPassphraseError,
  type MasterKeys,
} from '../store/master-key.js';
import { dataDirOf } from './server-commands.js';
import { CliError } from './errors.js';
import { readPassphrase } from './flags.js';
import type { CliIo, Command } from './main.js';

type MasterKeyMethod = Extract<ControlMethod, 'masterKeyStatus' | 'unlockMasterKey' | 'protectMasterKey' | 'rotateMasterKey'>;

const TIMEOUT_MS: Record<MasterKeyMethod, number> = { masterKeyStatus: 30_000, unlockMasterKey: 600_000, protectMasterKey: 600_000, rotateMasterKey: 3_600_000 };

/** The running server's answer, or null when no server runs on DIR. */
async function online<M extends MasterKeyMethod>(dataDir: string, method: M, params: ParamsOf<M>): Promise<ResultOf<M> | null> {
  let reply;
  try {
    reply = await controlRequest(dataDir, method, params, TIMEOUT_MS[method]);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  return reply.reached ? reply.value : null;
}

/** Warnings and errors to stderr (one line each); info lines are left out: stdout carries the result. */
function quietLogger(io: CliIo): Logger {
  const line = (args: unknown[]) => io.stderr.write(`keyhold: ${args.map(String).join(' ').replace(/^keyhold: /, '').replace(/\s*\n\s*/g, ' ')}\n`);
  return { info: () => {}, warn: (...a) => line(a), error: (...a) => line(a) };
}

/**
 * No server: take DIR's lock, settle an interrupted change of protection,
 * open the store (unwrapping the key with the passphrase under passphrase
 * protection) and run `f`; everything is audited in DIR's audit log.
 */
async function offline<T>(dataDir: string, io: CliIo, passphrase: string | undefined, f: (admin: MasterKeyAdmin, store: SqliteKeyStore) => Promise<T>): Promise<T> {
  if (!existsSync(path.join(dataDir, DB_FILE))) throw new CliError(`no key store in ${dataDir} (it is created when the server first starts)`);
  let release: () => void;
  try {
    release = acquireLock(dataDir);
  } catch (e) {
    if (e instanceof LockedError) throw new CliError(`the server on ${dataDir} is running but its control socket cannot be reached; stop the server and retry`);
    throw e;
  }
  const log = quietLogger(io);
  let audit: AuditLog | undefined;
  let store: SqliteKeyStore | undefined;
  try {
    audit = await AuditLog.open(dataDir);
    const record = audit;
    for (const note of settleProtection(dataDir)) {
      log.warn(note);
      record.record({ kind: 'admin', client: null, address: null, operation: 'master key protection changed', objects: [], result: 'warning', reason: null, message: note });
    }
    let keys: MasterKeys | undefined;
    if (protectionOf(dataDir) === 'passphrase') {
      if (passphrase === undefined) throw new CliError('the master key is protected by a passphrase: give it with --passphrase-stdin', 2);
      try {
        keys = await unlockKeyFiles(dataDir, passphrase);
      } catch (e) {
        if (!(e instanceof WrongPassphraseError)) throw e;
        // Each command is a new process: a fixed pause is the throttle here (the server's grows).
        record.record({ kind: 'admin', client: null, address: null, operation: 'master key unlock', objects: [], result: 'refused', reason: null, message: 'wrong passphrase (keyhold master-key, no server running)' });
        await new Promise((r) => setTimeout(r, 1000));
        throw new CliError('wrong passphrase');
      }
    }
    store = openStore(dataDir, keys === undefined ? {} : { keys });
    for (const note of store.masterKeyNotes) {
      log.warn(note);
      record.record({ kind: 'admin', client: null, address: null, operation: 'master key rotated', objects: [], result: 'warning', reason: null, message: note });
    }
    const open = store;
    const admin = new MasterKeyAdmin({ dataDir, store: () => open, audit: (r) => record.record(r), log, throttle: new PassphraseThrottle() });
    return await f(admin, open);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError((e as Error).message);
  } finally {
    store?.close();
    await audit?.close();
    release();
  }
}

function statusText(dataDir: string, s: MasterKeyStatusInfo, server: 'running' | 'none'): string {
  const where = path.join(dataDir, s.protection === 'passphrase' ? LOCKED_FILE : MASTER_KEY_FILE);
  const serverLine = server === 'none' ? 'not running' : s.locked ? `locked, serving nothing (unlock: keyhold master-key unlock --passphrase-stdin --data-dir ${dataDir})` : 'running, unlocked';
  return [
    `protection:  ${s.protection === 'passphrase' ? `operator passphrase (${where}; the server starts locked)` : `key file (${where}; the server restarts unattended)`}`,
    `key version: ${s.keyVersion ?? '-'}`,
    `server:      ${serverLine}`,
    `retired:     ${s.retired.length > 0 ? s.retired.map((v) => `v${v} (${path.join(dataDir, retiredFile(v))})`).join(', ') : '-'}`,
  ].join('\n') + '\n';
}

const DATA_DIR = ['--data-dir'] as const;

export const MASTER_KEY_COMMANDS: Record<string, Command> = {
  'master-key status': {
    usage: 'keyhold master-key status [--data-dir DIR]',
    summary: 'how the master key is protected (key file or operator passphrase), its version, the retired versions kept, and whether the server is locked; never the key',
    flags: [...DATA_DIR],
    valueFlags: [...DATA_DIR],
    async run(flags, _input, write, { io }) {
      const dataDir = dataDirOf(flags);
      const live = await online(dataDir, 'masterKeyStatus', {});
      if (live !== null) return write(statusText(dataDir, live, 'running'));
      if (!existsSync(path.join(dataDir, DB_FILE))) {
        write(statusText(dataDir, { protection: protectionOf(dataDir), keyVersion: null, locked: false, retired: [] }, 'none'));
        return;
      }
      // Key file: the store tells the version; passphrase: the wrapped file does (no passphrase needed).
      if (protectionOf(dataDir) === 'passphrase') {
        try {
          write(statusText(dataDir, masterKeyStatus(dataDir, null, false), 'none'));
        } catch (e) {
          throw new CliError((e as Error).message);
        }
        return;
      }
      const s = await offline(dataDir, io, undefined, async (admin) => admin.status());
      write(statusText(dataDir, { ...s, locked: false }, 'none'));
    },
  },
  'master-key protect': {
    usage: 'keyhold master-key protect --passphrase-stdin | --key-file --passphrase-stdin [--data-dir DIR]',
    summary: `--passphrase-stdin: protect the master key with an operator passphrase (first line of standard input, at least 12 characters): master.key is replaced by master.key.locked and the server then starts locked until keyhold master-key unlock; --key-file --passphrase-stdin (the current passphrase): back to the key file, for unattended restarts`,
    flags: ['--data-dir', '--passphrase-stdin', '--key-file'],
    valueFlags: [...DATA_DIR],
    async run(flags, input, write, { io }) {
      if (!flags.has('--passphrase-stdin')) throw new CliError('--passphrase-stdin is required: the passphrase comes on the first line of standard input, never as an argument', 2);
      const to = flags.has('--key-file') ? 'key-file' : 'passphrase';
      const dataDir = dataDirOf(flags);
      const passphrase = await readPassphrase(input, to === 'passphrase' ? passphraseProblem : undefined);
      let s: MasterKeyStatusInfo | null = await online(dataDir, 'protectMasterKey', { to, passphrase });
      if (s === null) {
        // Without a server, the new passphrase is not the one that opens the store.
        s = await offline(dataDir, io, to === 'key-file' ? passphrase : undefined, (admin) => admin.protect(to, passphrase));
      }
      write(
        to === 'passphrase'
          ? `master key version ${s.keyVersion ?? '?'} is now protected by your passphrase (${path.join(dataDir, LOCKED_FILE)}; master.key removed): the server starts locked until keyhold master-key unlock --passphrase-stdin; a lost passphrase cannot be recovered\n`
          : `master key version ${s.keyVersion ?? '?'} is now kept in the key file ${path.join(dataDir, MASTER_KEY_FILE)} (mode 0600): the server restarts unattended\n`,
      );
    },
  },
  'master-key unlock': {
    usage: 'keyhold master-key unlock --passphrase-stdin [--data-dir DIR]',
    summary: 'give the running, locked server the master key passphrase (first line of standard input); it then opens the key store and starts serving; wrong passphrases are answered ever more slowly and every attempt is audited',
    flags: ['--data-dir', '--passphrase-stdin'],
    valueFlags: [...DATA_DIR],
    async run(flags, input, write) {
      if (!flags.has('--passphrase-stdin')) throw new CliError('--passphrase-stdin is required: the passphrase comes on the first line of standard input, never as an argument', 2);
      const dataDir = dataDirOf(flags);
      const passphrase = await readPassphrase(input);
      const a = await online(dataDir, 'unlockMasterKey', { passphrase });
      if (a === null) throw new CliError(`no server is running on ${dataDir}: start it with keyhold serve (it starts locked), then unlock it`);
      write(`unlocked: KMIP server listening on ${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}\n`);
    },
  },
  'master-key rotate': {
    usage: 'keyhold master-key rotate [--passphrase-stdin] [--data-dir DIR]',
    summary: 'a new master key version: every key is re-encrypted under it in one transaction (resumable if interrupted); the old key is kept as master.key.v<N>.retired for backups made under it; with passphrase protection give the passphrase (--passphrase-stdin), which also wraps the new key',
    flags: ['--data-dir', '--passphrase-stdin'],
    valueFlags: [...DATA_DIR],
    async run(flags, input, write, { io }) {
      const dataDir = dataDirOf(flags);
      const passphrase = flags.has('--passphrase-stdin') ? await readPassphrase(input) : undefined;
      let r = await online(dataDir, 'rotateMasterKey', passphrase === undefined ? {} : { passphrase });
      r ??= await offline(dataDir, io, passphrase, (admin) => admin.rotate(passphrase));
      const soft = r.retained > 0 ? ` and ${r.retained} soft-deleted` : '';
      write(`master key rotated from version ${r.from} to ${r.to}: ${r.objects} objects${soft} re-encrypted in ${r.ms} ms; version ${r.from} kept as ${path.join(dataDir, retiredFile(r.from))} (keep it with the backups made before this rotation)\n`);
    },
  },
};
