// What the admin layer (IPC handlers, HTTP transport, tray) needs from the KMIP
// engine. Two implementations: the worker-backed one, whose status comes from
// the engine worker thread (main/engine/), and a stub for shells that run no
// worker. Neither can start a KMIP server yet: that lands with the engine
// itself, so start() refuses rather than pretending to serve.

import type { EngineStatus } from '../../shared/ipc/contract.js';
import { EngineError, type EngineHost } from '../engine/host.js';
import { CallError } from './dispatch.js';

export interface EngineController {
  /** The worker-backed engine asks its thread, hence the promise; a stub may answer at once. */
  status(): EngineStatus | Promise<EngineStatus>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Gives a locked server its master key passphrase; rejects with a CallError saying why when it is wrong. */
  unlock(passphrase: string): Promise<void>;
  /** Returns an unsubscribe function. */
  onStatusChanged(listener: (status: EngineStatus) => void): () => void;
}

const notYet = () => Promise.reject(new CallError('not_implemented', 'The KMIP engine is not available in this build yet'));

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

/**
 * Status comes from the worker. The host's own lifecycle (start, stop, crash
 * restarts) belongs to the app, not to these controls, which will drive the
 * KMIP listener inside the worker.
 */
export function createWorkerEngine(host: EngineHost, now: () => Date = () => new Date()): EngineController {
  const listeners = new Set<(status: EngineStatus) => void>();
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

  host.on('statusChanged', emit);
  host.onCrash((report) => emit(unavailable(new EngineError('engine_crashed', report.reason))));
  // After every (re)start, replace whatever a crash report left on screen.
  host.on('ready', () => void ask().then(emit));

  return {
    status: ask,
    start: notYet,
    stop: () => Promise.resolve(),
    unlock: notYet,
    onStatusChanged(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
