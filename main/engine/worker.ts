// The engine worker: the entry point of the worker thread that will host the
// KMIP engine (TLS listener and key store). It answers the protocol in
// shared/engine/protocol.ts; startServer opens the data dir's store and the
// KMIP listener (main/server/serve.ts), stopServer closes them. The SQLite
// connection opened here (workerData.dbPath) only answers ping.
//
// Write serialisation: the database has one connection, and every method that
// touches it runs through one SerialQueue. better-sqlite3 is synchronous, so a
// single statement cannot interleave with another anyway; the queue is for the
// handlers to come that await between statements (key generation, say) while
// holding a transaction open: without it a second request could run inside, or
// commit, the first one's transaction on the shared connection. Methods that
// only read worker memory (status) skip the queue so they stay answerable
// while a long write runs.
//
// Failure policy: a bad message gets a bad_request reply and a throwing handler
// an internal reply (message only, never a stack); neither ends the thread.
// What does end it (a bug outside a handler) is the host's to notice and
// restart, see host.ts.

import Database from 'better-sqlite3';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineStatus } from '../../shared/ipc/contract.js';
import {
  AUDIT_EVENT_MAX_RECORDS,
  clipAuditRecord,
  engineWorkerData,
  type AuditEventRecord,
  parseRequest,
  type EngineErrorData,
  type EngineEvent,
  type EngineInfo,
  type MethodName,
  type ParamsOf,
  type ResponseMessage,
  type ResultOf,
  type ServerCause,
} from '../../shared/engine/protocol.js';
import type { ProgressStep } from '../../shared/ipc/calls/progress.js';
import { SerialQueue } from './serial-queue.js';
import { startServer, type RunningServer } from '../server/serve.js';
import type { Logger } from '../admin/log.js';

// Uptime counts from here: performance.now() in a worker counts from the process's start.
const loadedAt = performance.now();

if (!parentPort) throw new Error('the engine worker must run in a worker thread');
const port = parentPort;

const config = engineWorkerData(workerData, 'workerData');
// Thrown at load time, this ends the thread and start() in the host rejects with it.
if (!config.ok) throw new Error(`invalid ${config.message}`);
const { dbPath, allowCrashForTests } = config.value;

const db = new Database(dbPath);
const sqliteVersion = db.prepare('select sqlite_version()').pluck().get() as string;
const status: EngineStatus = { state: 'stopped', since: new Date().toISOString(), endpoint: null, lastError: null };
const queue = new SerialQueue();

let server: RunningServer | null = null;

function setStatus(change: Partial<EngineStatus>): void {
  Object.assign(status, change, { since: new Date().toISOString() });
  post({ kind: 'event', name: 'statusChanged', payload: { ...status } });
}

// The server's diagnostics travel to the main thread as events; it decides where they go.
const text = (args: unknown[]) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ').slice(0, 1000);
const log: Logger = {
  info: (...a) => post({ kind: 'event', name: 'log', payload: { level: 'info', message: text(a) } }),
  warn: (...a) => post({ kind: 'event', name: 'log', payload: { level: 'warn', message: text(a) } }),
  error: (...a) => post({ kind: 'event', name: 'log', payload: { level: 'error', message: text(a) } }),
};

// Live audit records: the `audit` event. Every record the server's audit log
// takes is forwarded, whether or not anybody on the main side listens: the
// worker cannot know, and subscribe/unsubscribe methods would need counting
// on the main side and a new subscription after every restart of this
// thread. What that saves is small: cloning costs this thread about 1.2 µs a
// record (under 1% of a core at 7,000 requests/s), and receiving and
// validating costs the main thread about as much; the benchmark does not
// tell the difference (README, audit log). Records are gathered for
// AUDIT_EVENT_MS and sent as events of at most AUDIT_EVENT_MAX_RECORDS, so a
// busy server posts ~20 messages a second, not one per request. More than
// AUDIT_EVENT_BACKLOG in one interval (over 40,000 records/s) would only pile
// up in the main thread's queue: those are not sent but counted in the
// event's `dropped`. audit.db has them all.
const AUDIT_EVENT_MS = 50;
const AUDIT_EVENT_BACKLOG = 4 * AUDIT_EVENT_MAX_RECORDS;
let auditOut: AuditEventRecord[] = [];
let auditDropped = 0;
let auditTimer: NodeJS.Timeout | undefined;

function onAuditRecord(r: AuditEventRecord): void {
  if (auditOut.length < AUDIT_EVENT_BACKLOG) auditOut.push(r);
  else auditDropped++;
  // Unref'd: records still waiting when the thread ends are not sent (they are in the log).
  auditTimer ??= setTimeout(sendAudit, AUDIT_EVENT_MS).unref();
}

function sendAudit(): void {
  auditTimer = undefined;
  const records = auditOut;
  const dropped = auditDropped;
  auditOut = [];
  auditDropped = 0;
  for (let i = 0; i < records.length; i += AUDIT_EVENT_MAX_RECORDS) {
    const last = i + AUDIT_EVENT_MAX_RECORDS >= records.length;
    post({ kind: 'event', name: 'audit', payload: { records: records.slice(i, i + AUDIT_EVENT_MAX_RECORDS).map(clipAuditRecord), dropped: last ? dropped : 0 } });
  }
}

async function stopServer(graceMs: number, cause?: ServerCause): Promise<void> {
  const s = server;
  if (s === null) return;
  server = null;
  setStatus({ state: 'stopping' });
  await s.stop(graceMs, cause);
  setStatus({ state: 'stopped', endpoint: null });
}

/** The listener is bound: status running, and the `listening` event. */
function listening(a: { host: string; port: number }): { host: string; port: number } {
  setStatus({ state: 'running', endpoint: `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}` });
  post({ kind: 'event', name: 'listening', payload: a });
  return a;
}

/** The started server, locked or not (master key actions). */
function started(): RunningServer {
  if (server === null) throw new Error('the KMIP server is not running');
  return server;
}

/** The key expiry job's counts for `status` (keyhold status), while the server runs unlocked. */
function keyCounts(): Pick<EngineStatus, 'keys'> {
  if (server === null || server.locked) return {};
  const c = server.keyExpiry.counts();
  return { keys: { expiringSoon: c.expiringSoon, warningDays: c.warningDays, deactivated: c.deactivated } };
}

function running(): RunningServer {
  if (server === null) throw new Error('the KMIP server is not running');
  return server;
}

const info = (): EngineInfo => ({ uptimeMs: Math.floor(performance.now() - loadedAt), sqliteVersion });

/** What a handler may do besides answering: report the progress of a long request (a `progress` event carrying its seq). */
interface RequestContext {
  progress(step: ProgressStep): void;
}

type Handler<M extends MethodName> = {
  /** Runs through the write queue (see the top of this file). */
  queued: boolean;
  run(params: ParamsOf<M>, ctx: RequestContext): ResultOf<M> | Promise<ResultOf<M>>;
};

const handlers: { [M in MethodName]: Handler<M> } = {
  ping: {
    queued: true,
    run: () => {
      // A real round trip through the connection, not the cached version.
      db.prepare('select 1').pluck().get();
      return info();
    },
  },
  status: { queued: false, run: () => ({ ...status, ...keyCounts() }) },
  startServer: {
    queued: true,
    run: async ({ dataDir, host, port, minVersion, tlsProfile, maxConnections, maxConnectionsPerClient, cause }) => {
      if (server !== null) throw new Error(`the server is already running on ${status.endpoint ?? '?'}`);
      setStatus({ state: 'starting', lastError: null });
      try {
        server = await startServer({
          dataDir,
          ...(host === null ? {} : { host }),
          port,
          minVersion,
          ...(tlsProfile === undefined ? {} : { tlsProfile }),
          ...(maxConnections === undefined ? {} : { maxConnections }),
          ...(maxConnectionsPerClient === undefined ? {} : { maxConnectionsPerClient }),
          ...(cause === undefined ? {} : { cause }),
          log,
          onAuditRecord,
        });
      } catch (e) {
        setStatus({ state: 'stopped', endpoint: null, lastError: { code: 'start_failed', message: messageOf(e) } });
        throw e;
      }
      if (server.locked) {
        setStatus({ state: 'locked', endpoint: null });
        return null;
      }
      return listening(server.address);
    },
  },
  stopServer: { queued: true, run: async ({ graceMs, cause }) => (await stopServer(graceMs, cause), null) },
  // Operator actions on the running server's objects (they write to its store, so queued).
  listObjects: { queued: true, run: (p) => running().objects.list(p) },
  objectOwners: { queued: true, run: () => running().objects.owners() },
  transferObjects: { queued: true, run: (p) => running().objects.transfer(p) },
  shareObjects: { queued: true, run: (p) => running().objects.share(p) },
  // Soft delete (main/server/soft-delete.ts): restore, purge and reveal are audited there.
  listDeletedObjects: { queued: true, run: (p) => running().softDelete.listDeleted(p) },
  showObject: { queued: true, run: ({ id }) => running().softDelete.show(id) },
  restoreObjects: { queued: true, run: ({ ids }) => running().softDelete.restore(ids) },
  purgeObjects: { queued: true, run: ({ ids }) => running().softDelete.purge(ids) },
  revealMaterial: { queued: true, run: ({ id, confirm }) => running().softDelete.reveal(id, confirm) },
  // The admin UI's Keys screen and dashboard (main/server/key-operator.ts): actions audited there as 'admin'.
  searchObjects: { queued: true, run: (p) => running().operator.search(p) },
  activateObject: { queued: true, run: ({ id }) => running().operator.activate(id) },
  revokeObject: { queued: true, run: ({ id, reason, message }) => running().operator.revoke(id, reason, message) },
  destroyObject: { queued: true, run: ({ id }) => running().operator.destroy(id) },
  serverSummary: { queued: true, run: () => running().operator.summary() },
  // The master key (main/server/master-key-admin.ts). Status skips the queue so it answers during a long rotation.
  masterKeyStatus: { queued: false, run: () => started().masterKey.status() },
  unlockMasterKey: {
    queued: true,
    run: async ({ passphrase }) => {
      const s = started();
      const a = await s.unlock(passphrase);
      return server === s ? listening(a) : a;
    },
  },
  protectMasterKey: { queued: true, run: ({ to, passphrase }) => started().masterKey.protect(to, passphrase) },
  rotateMasterKey: { queued: true, run: ({ passphrase }) => started().masterKey.rotate(passphrase) },
  // Backups (main/server/backup-service.ts): queued, like every method that reads the store.
  backupNow: {
    queued: true,
    run: async (_params, ctx) => {
      const r = await started().backups.runNow('operator', ctx.progress);
      return { file: r.file, bytes: r.bytes, objects: r.objects, ms: r.ms.snapshot + r.ms.write + r.ms.verify, deleted: r.deleted };
    },
  },
  verifyBackup: { queued: true, run: ({ file }, ctx) => started().backups.verify(file, ctx.progress) },
  shutdown: {
    // Queued, so work already accepted finishes before the database closes.
    queued: true,
    run: async () => {
      await stopServer(5_000, 'shutdown');
      db.close();
      return null;
    },
  },
  crashForTests: {
    queued: false,
    run: ({ how }) => {
      switch (how) {
        case 'exit':
          return process.exit(3); // ends only this thread, with code 3
        case 'throw':
          // An exception no handler catches, as a bug outside a handler would be.
          setImmediate(() => {
            throw new Error('crash requested by test');
          });
          return new Promise<never>(() => {});
        case 'hang':
          return new Promise<never>(() => {});
        case 'reject':
          throw new Error('handler failure requested by test');
      }
    },
  },
};

const allowed = (m: MethodName) => m !== 'crashForTests' || allowCrashForTests;

function post(msg: ResponseMessage | EngineEvent): void {
  try {
    port.postMessage(msg);
  } catch (err) {
    // A value that cannot be cloned: still answer, so the caller does not wait for a timeout.
    if (msg.kind === 'response') port.postMessage(failure(msg.seq, 'internal', `reply not cloneable: ${messageOf(err)}`));
  }
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 500);
const failure = (seq: number | null, code: EngineErrorData['code'], message: string): ResponseMessage => ({
  kind: 'response',
  seq,
  ok: false,
  error: { code, message },
});

async function handle(raw: unknown): Promise<void> {
  const req = parseRequest(raw, allowed);
  if (!req.ok) return post({ kind: 'response', seq: req.seq, ok: false, error: req.error });
  if (req.method === 'shutdown') {
    // Accept nothing more; the thread ends once the queue has drained and the
    // reply is out, since nothing else keeps it alive.
    port.off('message', onMessage);
  }
  // The params were validated for this method by parseRequest.
  const handler = handlers[req.method] as Handler<MethodName>;
  const seq = req.seq;
  const ctx: RequestContext = { progress: (step) => post({ kind: 'event', name: 'progress', payload: { seq, ...step } }) };
  const call = () => handler.run(req.params as never, ctx);
  try {
    const value = await (handler.queued ? queue.run(call) : call());
    post({ kind: 'response', seq: req.seq, ok: true, value });
  } catch (err) {
    post(failure(req.seq, 'internal', messageOf(err)));
  }
}

function onMessage(raw: unknown): void {
  void handle(raw);
}

port.on('message', onMessage);
post({ kind: 'event', name: 'ready', payload: info() });
