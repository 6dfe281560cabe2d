// Main-thread side of the engine worker: spawns it, matches replies to
// requests by seq, enforces per-request time limits, forwards events, and
// restarts the worker (with backoff, a bounded number of times) when it dies
// on its own. No Electron here: the desktop app and `keyhold serve` share it.

import { Worker } from 'node:worker_threads';
import {
  checkResult,
  parseWorkerMessage,
  type EngineErrorCode,
  type EngineErrorData,
  type EngineInfo,
  type EngineWorkerData,
  type EventName,
  type MethodName,
  type ParamsOf,
  type PayloadOf,
  type RequestMessage,
  type ResultOf,
} from '../../shared/engine/protocol.js';
import type { ProgressStep } from '../../shared/ipc/calls/progress.js';
import { silentLogger, type Logger } from '../admin/log.js';

// From .ts sources (tsx: tests, bin/keyhold.mjs) this module's URL ends in .ts,
// and Node 20 cannot start a .ts worker, so the tsx shim starts it. Compiled
// (out/, the packaged app) worker.js sits next to host.js and needs no tsx.
export const WORKER_ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./worker-shim.mjs', import.meta.url)
  : new URL('./worker.js', import.meta.url);

/** How a request fails: a plain {code, message} (plus a stack for our own logs). */
export class EngineError extends Error implements EngineErrorData {
  readonly code: EngineErrorCode;
  constructor(code: EngineErrorCode, message: string) {
    super(message);
    this.name = 'EngineError';
    this.code = code;
  }
}

export interface RestartPolicy {
  /** At most this many restarts within windowMs; one more crash and the host gives up. */
  maxRestarts: number;
  windowMs: number;
  /** Delay before the first restart in the window, doubled for each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface EngineHostOptions {
  /** SQLite file, or ':memory:' (the default). */
  dbPath?: string;
  requestTimeoutMs?: number;
  /** Time for the worker to load and open its database. */
  startTimeoutMs?: number;
  /** How long stop() waits for a clean exit before terminating the thread. */
  stopGraceMs?: number;
  restart?: Partial<RestartPolicy>;
  /** Tests only: lets the worker answer crashForTests. */
  allowCrashForTests?: boolean;
  log?: Logger;
}

/** Why the worker died, and what the host does about it. */
export interface CrashReport {
  reason: string;
  /** The thread's exit code (1 after an uncaught exception). */
  exitCode: number;
  /** Milliseconds until the restart, or null when the host gave up (see RestartPolicy). */
  restartInMs: number | null;
}

export type HostState = 'stopped' | 'starting' | 'running' | 'restarting' | 'stopping' | 'failed';

interface Pending {
  method: MethodName;
  params: unknown;
  /** The request's `progress` events (long requests: backupNow, verifyBackup). */
  onProgress: ((step: ProgressStep) => void) | undefined;
  /** False while it waits for a (re)started worker: a crash does not fail it then. */
  sent: boolean;
  timer: NodeJS.Timeout;
  resolve(value: unknown): void;
  reject(err: EngineError): void;
}

const DEFAULT_RESTART: RestartPolicy = { maxRestarts: 5, windowMs: 60_000, baseDelayMs: 250, maxDelayMs: 5_000 };

export class EngineHost {
  private readonly opts: Required<Omit<EngineHostOptions, 'restart'>> & { restart: RestartPolicy };
  private worker: Worker | null = null;
  private hostState: HostState = 'stopped';
  private nextSeq = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(name: EventName, payload: unknown) => void>();
  private readonly crashListeners = new Set<(report: CrashReport) => void>();
  private restartTimes: number[] = [];
  private restartTimer: NodeJS.Timeout | null = null;
  private lastCrash = '';
  private stopping: Promise<void> | null = null;

  constructor(options: EngineHostOptions = {}) {
    this.opts = {
      dbPath: options.dbPath ?? ':memory:',
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      startTimeoutMs: options.startTimeoutMs ?? 15_000,
      stopGraceMs: options.stopGraceMs ?? 3_000,
      allowCrashForTests: options.allowCrashForTests ?? false,
      log: options.log ?? silentLogger,
      restart: { ...DEFAULT_RESTART, ...options.restart },
    };
  }

  get state(): HostState {
    return this.hostState;
  }

  /** Spawns the worker; resolves once its database is open. A failed first start is not retried. */
  async start(): Promise<EngineInfo> {
    if (this.hostState !== 'stopped' && this.hostState !== 'failed') {
      throw new Error(`EngineHost.start() while ${this.hostState}`);
    }
    this.restartTimes = [];
    this.hostState = 'starting';
    return this.spawn();
  }

  /** opts.onProgress: told the worker's `progress` events for this request (and no other's). */
  request<M extends MethodName>(method: M, params: ParamsOf<M>, opts: { timeoutMs?: number; onProgress?: (step: ProgressStep) => void } = {}): Promise<ResultOf<M>> {
    const s = this.hostState;
    if (s === 'stopped' || s === 'stopping' || s === 'failed') {
      const why = s === 'failed' ? `the engine crashed too often and was not restarted (last: ${this.lastCrash})` : `the engine is ${s}`;
      return Promise.reject(new EngineError('not_running', why));
    }
    return this.enqueue(method, params, opts.timeoutMs ?? this.opts.requestTimeoutMs, opts.onProgress) as Promise<ResultOf<M>>;
  }

  /** Worker events (statusChanged, ready after every (re)start). Returns an unsubscribe function. */
  on<E extends EventName>(name: E, listener: (payload: PayloadOf<E>) => void): () => void {
    const l = (n: EventName, payload: unknown) => {
      if (n === name) listener(payload as PayloadOf<E>);
    };
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Called whenever the worker dies on its own. Returns an unsubscribe function. */
  onCrash(listener: (report: CrashReport) => void): () => void {
    this.crashListeners.add(listener);
    return () => this.crashListeners.delete(listener);
  }

  /** Asks the worker to shut down cleanly, terminates it after the grace period. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop().finally(() => (this.stopping = null));
    return this.stopping;
  }

  // --- internals ------------------------------------------------------------------

  private enqueue(method: MethodName, params: unknown, timeoutMs: number, onProgress?: (step: ProgressStep) => void): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const seq = this.nextSeq++;
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new EngineError('timeout', `${method}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(seq, { method, params, onProgress, sent: false, timer, resolve, reject });
      // Otherwise it goes out when the worker reports ready.
      if (this.hostState === 'running' || this.hostState === 'stopping') this.send(seq);
    });
  }

  private send(seq: number): void {
    const p = this.pending.get(seq);
    if (!p || !this.worker) return;
    const msg: RequestMessage = { kind: 'request', seq, method: p.method, params: p.params };
    try {
      this.worker.postMessage(msg);
      p.sent = true;
    } catch (err) {
      this.settle(seq, new EngineError('bad_request', `params not cloneable: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  private settle(seq: number, outcome: EngineError | { value: unknown }): void {
    const p = this.pending.get(seq);
    if (!p) return; // timed out already
    this.pending.delete(seq);
    clearTimeout(p.timer);
    if (outcome instanceof EngineError) p.reject(outcome);
    else p.resolve(outcome.value);
  }

  private failPending(code: EngineErrorCode, message: string, onlySent: boolean): void {
    for (const [seq, p] of [...this.pending]) {
      if (!onlySent || p.sent) this.settle(seq, new EngineError(code, message));
    }
  }

  private spawn(): Promise<EngineInfo> {
    const data: EngineWorkerData = { dbPath: this.opts.dbPath, allowCrashForTests: this.opts.allowCrashForTests };
    // No inherited execArgv: flags meant for the main script (--input-type,
    // --test, a second --import tsx) break or confuse the worker, which needs none.
    const worker = new Worker(WORKER_ENTRY, { workerData: data, name: 'keyhold-engine', execArgv: [] });
    this.worker = worker;
    let ready = false;
    let failure: string | null = null;
    return new Promise<EngineInfo>((resolve, reject) => {
      const startTimer = setTimeout(() => {
        failure = `the worker was not ready within ${this.opts.startTimeoutMs} ms`;
        void worker.terminate();
      }, this.opts.startTimeoutMs);
      worker.on('message', (raw: unknown) => {
        const info = this.onMessage(raw);
        if (info && !ready) {
          ready = true;
          clearTimeout(startTimer);
          this.hostState = 'running';
          for (const seq of this.pending.keys()) this.send(seq);
          resolve(info);
        }
      });
      worker.on('messageerror', (err) => this.opts.log.warn('engine: undecodable message from the worker:', err.message));
      // Always followed by 'exit'; keep the message as the reason.
      worker.on('error', (err) => (failure ??= err.message));
      worker.on('exit', (code) => {
        clearTimeout(startTimer);
        this.worker = null;
        const reason = failure ?? `the worker exited with code ${code}`;
        if (!ready) reject(new EngineError('start_failed', reason));
        this.onExit(code, reason);
      });
    });
  }

  /** Returns the payload of a 'ready' event, for spawn(). */
  private onMessage(raw: unknown): EngineInfo | null {
    const parsed = parseWorkerMessage(raw);
    if (!parsed.ok) {
      this.opts.log.warn('engine: malformed message from the worker:', parsed.message);
      return null;
    }
    const msg = parsed.value;
    if (msg.kind === 'event' && msg.name === 'progress') {
      // To the request it belongs to; one that timed out meanwhile has none.
      const { seq, ...step } = msg.payload;
      try {
        this.pending.get(seq)?.onProgress?.(step);
      } catch (err) {
        this.opts.log.warn('engine: progress listener failed:', err);
      }
      return null;
    }
    if (msg.kind === 'event') {
      for (const l of this.listeners) {
        try {
          l(msg.name, msg.payload);
        } catch (err) {
          this.opts.log.warn('engine: event listener failed:', err);
        }
      }
      return msg.name === 'ready' ? msg.payload : null;
    }
    if (msg.seq === null) {
      this.opts.log.warn('engine: the worker refused a message:', msg.ok ? 'no seq' : msg.error.message);
      return null;
    }
    const p = this.pending.get(msg.seq);
    if (!p) return null;
    if (!msg.ok) {
      this.settle(msg.seq, new EngineError(msg.error.code, msg.error.message));
      return null;
    }
    const result = checkResult(p.method, msg.value);
    this.settle(msg.seq, result.ok ? { value: result.value } : new EngineError('bad_response', result.message));
    return null;
  }

  private onExit(exitCode: number, reason: string): void {
    if (this.hostState === 'stopping') return; // doStop() settles what is left
    if (this.hostState === 'starting') {
      // The first start failed: start() rejects, and there is nothing to restart.
      this.hostState = 'stopped';
      this.failPending('start_failed', reason, false);
      return;
    }
    // Running, or a restart attempt that failed to come up: a crash.
    this.lastCrash = reason;
    this.opts.log.error(`engine: the worker died: ${reason}`);
    this.failPending('engine_crashed', reason, true);
    const { maxRestarts, windowMs, baseDelayMs, maxDelayMs } = this.opts.restart;
    const now = Date.now();
    this.restartTimes = this.restartTimes.filter((t) => now - t < windowMs);
    let restartInMs: number | null = null;
    if (this.restartTimes.length >= maxRestarts) {
      this.hostState = 'failed';
      this.failPending('engine_crashed', `${reason}; not restarted: ${maxRestarts} restarts within ${windowMs} ms`, false);
    } else {
      restartInMs = Math.min(baseDelayMs * 2 ** this.restartTimes.length, maxDelayMs);
      this.restartTimes.push(now);
      this.hostState = 'restarting';
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        // A failed restart shows up as another exit, handled right here.
        this.spawn().catch(() => {});
      }, restartInMs);
    }
    for (const l of this.crashListeners) {
      try {
        l({ reason, exitCode, restartInMs });
      } catch (err) {
        this.opts.log.warn('engine: crash listener failed:', err);
      }
    }
  }

  private async doStop(): Promise<void> {
    const wasRunning = this.hostState === 'running';
    this.hostState = 'stopping';
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const worker = this.worker;
    if (worker) {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      const grace = this.opts.stopGraceMs;
      let graceTimer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'late'>((resolve) => (graceTimer = setTimeout(() => resolve('late'), grace)));
      // A running worker drains its queue, closes the database, and its thread
      // ends by itself; one still loading has nothing to save.
      if (wasRunning) await Promise.race([this.enqueue('shutdown', {}, grace).catch(() => {}), graceOver]);
      else await worker.terminate();
      if ((await Promise.race([exited, graceOver])) === 'late') {
        this.opts.log.warn(`engine: the worker did not exit within ${grace} ms; terminating it`);
        await worker.terminate();
      }
      clearTimeout(graceTimer);
      await exited;
    }
    this.failPending('not_running', 'the engine was stopped', false);
    this.hostState = 'stopped';
  }
}
