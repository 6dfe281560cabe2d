// How an area of the admin contract (shared/ipc/calls/<area>.ts) is served:
// its handlers, and optionally the events it pushes. handlers.ts merges the
// areas; the type below makes a missing or misnamed handler a compile error.
import type { AnyEvent, ArgsOf, CallName, ResultOf } from '../../../shared/ipc/contract.js';
import type { AppInfo } from '../../../shared/ipc/calls/app.js';
import type { EngineHost } from '../../engine/host.js';
import type { EngineController } from '../engine.js';
import type { Logger } from '../log.js';
import type { ProgressHub } from '../progress.js';

export interface AdminDeps {
  appInfo: AppInfo;
  engine: EngineController;
  log: Logger;
  /** The data dir the engine serves (clients.json, policy.json, pki/ …). Absent in shells that have none (transport tests). */
  dataDir?: string;
  /** The engine worker (its methods: shared/engine/protocol.ts). Absent in shells that run none (transport tests). */
  host?: EngineHost;
  /** Where long calls report their progress (`progress.update`); createAdminService makes one when absent. */
  progress?: ProgressHub;
}

/** Handlers for exactly the calls of one area (pass `typeof xCalls`). */
export type AreaHandlers<Calls> = {
  readonly [N in keyof Calls & CallName]: (args: ArgsOf<N>) => Promise<ResultOf<N>> | ResultOf<N>;
};

/** Starts pushing an area's events to `emit`; returns the stop function. */
export type EventSource = (deps: AdminDeps, emit: (event: AnyEvent) => void) => () => void;
