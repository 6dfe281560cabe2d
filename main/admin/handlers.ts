// The admin service: handler implementations for every call in the contract,
// plus the event stream. No Electron here: the IPC binding (main/electron/ipc.ts)
// and the headless HTTP transport (http-transport.ts) both wrap this object.

import type { AnyEvent, AppInfo } from '../../shared/ipc/contract.js';
import type { Handlers } from './dispatch.js';
import type { EngineController } from './engine.js';
import type { Logger } from './log.js';

export interface AdminDeps {
  appInfo: AppInfo;
  engine: EngineController;
  log: Logger;
}

export interface AdminService {
  readonly handlers: Handlers;
  readonly log: Logger;
  /** Returns an unsubscribe function. */
  subscribe(listener: (event: AnyEvent) => void): () => void;
}

export function createAdminService(deps: AdminDeps): AdminService {
  const appInfo: AppInfo = { ...deps.appInfo };
  const handlers: Handlers = {
    'app.info': () => ({ ...appInfo }),
    'engine.status': () => deps.engine.status(),
  };
  return {
    handlers,
    log: deps.log,
    subscribe(listener) {
      return deps.engine.onStatusChanged((payload) => {
        // One bad subscriber (a closed socket, say) must not stop the others.
        try {
          listener({ name: 'engine.statusChanged', payload });
        } catch (err) {
          deps.log.warn('event listener failed:', err);
        }
      });
    },
  };
}
