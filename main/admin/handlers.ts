// The admin service: handler implementations for every call in the contract,
// plus the event stream. No Electron here: the IPC binding (main/electron/ipc.ts)
// and the headless HTTP transport (http-transport.ts) both wrap this object.
// Each area of the contract is served by main/admin/calls/<area>.ts.

import type { AnyEvent } from '../../shared/ipc/contract.js';
import type { Handlers } from './dispatch.js';
import type { Logger } from './log.js';
import { appHandlers } from './calls/app.js';
import { clientsHandlers } from './calls/clients.js';
import { settingsHandlers } from './calls/settings.js';
import { backupsHandlers } from './calls/backups.js';
import { certsHandlers } from './calls/certs.js';
import { policyHandlers } from './calls/policy.js';
import { auditEventSource } from './calls/audit.js';
import { engineEventSource, engineHandlers } from './calls/engine.js';
import { dashboardHandlers } from './calls/dashboard.js';
import { keysHandlers } from './calls/keys.js';
import { logsHandlers } from './calls/logs.js';
import { setupHandlers } from './calls/setup.js';
import type { AdminDeps, EventSource } from './calls/types.js';
import { ProgressHub, progressEventSource } from './progress.js';

export type { AdminDeps } from './calls/types.js';

export interface AdminService {
  readonly handlers: Handlers;
  readonly log: Logger;
  /** Returns an unsubscribe function. */
  subscribe(listener: (event: AnyEvent) => void): () => void;
}

const EVENT_SOURCES: readonly EventSource[] = [engineEventSource, auditEventSource, progressEventSource];

export function createAdminService(given: AdminDeps): AdminService {
  const deps: AdminDeps = given.progress ? given : { ...given, progress: new ProgressHub() };
  const handlers: Handlers = {
    ...appHandlers(deps),
    ...clientsHandlers(deps),
    ...settingsHandlers(deps),
    ...backupsHandlers(deps),
    ...certsHandlers(deps),
    ...policyHandlers(deps),
    ...engineHandlers(deps),
    ...keysHandlers(deps),
    ...logsHandlers(deps),
    ...dashboardHandlers(deps),
    ...setupHandlers(deps),
  };
  return {
    handlers,
    log: deps.log,
    subscribe(listener) {
      const emit = (event: AnyEvent) => {
        // One bad subscriber (a closed socket, say) must not stop the others.
        try {
          listener(event);
        } catch (err) {
          deps.log.warn('event listener failed:', err);
        }
      };
      const stops = EVENT_SOURCES.map((source) => source(deps, emit));
      return () => {
        for (const stop of stops) stop();
      };
    },
  };
}
