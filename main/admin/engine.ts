// What the admin layer (IPC handlers, HTTP transport, tray) needs from the KMIP
// engine. The engine itself lands in a later issue; until then the stub below
// reports 'stopped' and refuses to start, rather than pretending to serve.

import type { EngineStatus } from '../../shared/ipc/contract.js';
import { CallError } from './dispatch.js';

export interface EngineController {
  status(): EngineStatus;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Returns an unsubscribe function. */
  onStatusChanged(listener: (status: EngineStatus) => void): () => void;
}

export function createStubEngine(now: () => Date = () => new Date()): EngineController {
  const status: EngineStatus = { state: 'stopped', since: now().toISOString(), endpoint: null, lastError: null };
  return {
    status: () => ({ ...status }),
    start: () => Promise.reject(new CallError('not_implemented', 'The KMIP engine is not available in this build yet')),
    stop: () => Promise.resolve(),
    onStatusChanged: () => () => {},
  };
}
