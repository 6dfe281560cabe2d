// What the admin layer (IPC handlers, HTTP transport, tray) needs from the KMIP
// engine. Two implementations: the worker-backed one, which starts, stops and
// unlocks the KMIP server inside the engine worker thread (main/engine/), and
// a stub for shells that run no worker (transport tests).

import type { EngineStatus } from '../../shared/ipc/contract.js';
import type { ListenAddress, ServerCause, StartServerParams } from '../../shared/engine/protocol.js';
import { EngineError, type EngineHost } from '../engine/host.js';
import { CallError } from './dispatch.js';
import { silentLogger, type Logger } from './log.js';

export interface EngineController {
  /** The worker-backed engine asks its thread, hence the promise; a stub may answer at once. */
  status(): EngineStatus | Promise<EngineStatus>;
  /** Starts the KMIP server; rejects with a CallError saying why when it does not start. `cause`: who asked, for the audit log. */
  start(cause?: ServerCause): Promise<void>;
  /** Stops the KMIP server (in-flight requests finish); the admin UI stays up. `cause`: who asked, for the audit log. */
  stop(cause?: ServerCause): Promise<void>;
  /** Gives a locked server its master key passphrase; rejects with a CallError saying why when it is wrong. */
  unlock(passphrase: string): Promise<void>;
  /** Returns an unsubscribe function. */
  onStatusChanged(listener: (status: EngineStatus) => void): () => void;
}

const notYet = () => Promise.reject(CallError.of('not_implemented', 'errors.engine.notInBuild'));

export function createStubEngine(now: () => Date = () => new Date()): EngineController {
  const status: EngineStatus = { state: 'stopped', since: now().toISOString(), endpoint: null, lastError: null };
  return {
    status: () => ({ ...status }),
    start: notYet,
    stop: () => Promise.resolve(),
    unlock: notYet,
    onStatusChanged: () => () => {},
  };
}

export interface WorkerEngineOptions {
  /**
   * What startServer is given, asked at every start (the saved settings may
   * have changed since the last one). Absent: start() refuses, as the stub does.
   */
  params?: () => StartServerParams | Promise<StartServerParams>;
  /** How long in-flight requests get at stop (default 5 s). */
  graceMs?: number;
  /** How long a start may take: the first start of a data dir generates a CA and a server key (default 120 s). */
  startTimeoutMs?: number;
  log?: Logger;
  now?: () => Date;
}

export interface WorkerEngine extends EngineController {
  /** start() for callers that want the raw failure and the address: null when the server started locked. */
  launch(cause?: ServerCause): Promise<ListenAddress | null>;
  /** True between a start and a stop: a worker restarted after a crash brings the server back only then. */
  readonly wanted: boolean;
  /** Stops following the host (its events); does not stop anything. */
  dispose(): void;
}

const START_TIMEOUT_MS = 120_000;
// scrypt takes about a second a try, and wrong tries are throttled (main/server/master-key-admin.ts).
const UNLOCK_TIMEOUT_MS = 600_000;

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The KMIP server in the engine worker, controlled from the main thread. The
 * status comes from the worker; the host's own lifecycle (its start, stop and
 * crash restarts) belongs to the shell (`keyhold serve`, Electron). After a
 * crash restart the server is started again, on the port it had, if an
 * operator had started it and not stopped it since.
 */
export function createWorkerEngine(host: EngineHost, options: WorkerEngineOptions = {}): WorkerEngine {
  const now = options.now ?? (() => new Date());
  const log = options.log ?? silentLogger;
  const graceMs = options.graceMs ?? 5_000;
  const startTimeoutMs = options.startTimeoutMs ?? START_TIMEOUT_MS;
  const listeners = new Set<(status: EngineStatus) => void>();
  let wanted = false;
  /** The port the listener last had: a server asked for port 0 comes back on the same one after a restart. */
  let lastPort: number | null = null;

  const emit = (status: EngineStatus) => {
    for (const l of listeners) {
      try {
        l(status);
      } catch {
        // One failing subscriber must not starve the others (the admin service logs its own).
      }
    }
  };
  // When the worker cannot answer, say why instead of failing the call: the UI
  // shows this, and "stopped, engine_crashed: ..." is true and useful.
  const unavailable = (err: unknown): EngineStatus => ({
    state: 'stopped',
    since: now().toISOString(),
    endpoint: null,
    lastError: err instanceof EngineError ? { code: err.code, message: err.message } : { code: 'internal', message: 'Internal error' },
  });
  const ask = () => host.request('status', {}, { timeoutMs: 2_000 }).catch(unavailable);

  const paramsFor = async (): Promise<StartServerParams> => {
    if (!options.params) throw CallError.of('not_implemented', 'errors.engine.cannotStart');
    const p = await options.params();
    return p.port === 0 && lastPort !== null ? { ...p, port: lastPort } : p;
  };

  const offs = [
    host.on('statusChanged', emit),
    host.on('listening', (a) => {
      lastPort = a.port;
    }),
    host.onCrash((report) => emit(unavailable(new EngineError('engine_crashed', report.reason)))),
    // After every (re)start, replace whatever a crash report left on screen,
    // and bring the server back if it was running (locked again under a
    // passphrase: the key was in the dead thread).
    host.on('ready', () => {
      void ask().then(emit);
      if (!wanted) return;
      paramsFor()
        .then((p) => host.request('startServer', { ...p, cause: 'restart' }, { timeoutMs: startTimeoutMs }))
        .then((a) =>
          a === null
            ? log.warn('kmip: the engine was restarted; the server is locked again: unlock the master key (keyhold master-key unlock --passphrase-stdin, or the admin UI)')
            : log.warn('kmip: the engine was restarted and is listening again'),
        )
        .catch((e: unknown) => log.error(`kmip: the engine was restarted but the server did not start: ${messageOf(e)}`));
    }),
  ];

  const launch = async (cause?: ServerCause): Promise<ListenAddress | null> => {
    const params = { ...(await paramsFor()), ...(cause === undefined ? {} : { cause }) };
    wanted = true;
    try {
      return await host.request('startServer', params, { timeoutMs: startTimeoutMs });
    } catch (e) {
      // Still running from before (a second start): that is what was wanted.
      const s = await ask();
      if (s.state === 'running' || s.state === 'locked' || s.state === 'starting') return null;
      wanted = false;
      throw e;
    }
  };

  return {
    get wanted() {
      return wanted;
    },
    status: ask,
    launch,
    async start(cause) {
      try {
        await launch(cause);
      } catch (e) {
        if (e instanceof CallError) throw e;
        throw CallError.of('unavailable', 'errors.engine.startFailed', { reason: messageOf(e) });
      }
    },
    async stop(cause) {
      wanted = false;
      try {
        await host.request('stopServer', { graceMs, ...(cause === undefined ? {} : { cause }) }, { timeoutMs: graceMs + 5_000 });
      } catch (e) {
        // A stopped host has nothing running.
        if (e instanceof EngineError && e.code === 'not_running') return;
        throw CallError.of('unavailable', 'errors.engine.stopFailed', { reason: messageOf(e) });
      }
    },
    async unlock(passphrase) {
      try {
        await host.request('unlockMasterKey', { passphrase }, { timeoutMs: UNLOCK_TIMEOUT_MS });
      } catch (e) {
        const why = messageOf(e);
        if (/wrong passphrase|too many wrong/.test(why)) throw CallError.of('forbidden', 'errors.engine.wrongPassphrase', { reason: why });
        if (/not locked/.test(why)) throw CallError.of('bad_request', 'errors.engine.notLocked');
        if (/not running/.test(why)) throw CallError.of('unavailable', 'errors.engine.unlockNotRunning');
        throw CallError.of('unavailable', 'errors.engine.notUnlocked', { reason: why });
      }
    },
    onStatusChanged(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      for (const off of offs) off();
      listeners.clear();
    },
  };
}
