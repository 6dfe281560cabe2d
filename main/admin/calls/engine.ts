// Engine controls: status, start, stop, unlock. Each answers with the status
// after the action, so the UI shows the result without a second call.
import type { engineCalls } from '../../../shared/ipc/calls/engine.js';
import type { AdminDeps, AreaHandlers, EventSource } from './types.js';

export function engineHandlers(deps: AdminDeps): AreaHandlers<typeof engineCalls> {
  return {
    'engine.status': () => deps.engine.status(),
    'engine.start': async () => {
      await deps.engine.start('ui');
      return deps.engine.status();
    },
    'engine.stop': async () => {
      await deps.engine.stop('ui');
      return deps.engine.status();
    },
    'engine.unlock': async ({ passphrase }) => {
      await deps.engine.unlock(passphrase);
      return deps.engine.status();
    },
  };
}

export const engineEventSource: EventSource = (deps, emit) => deps.engine.onStatusChanged((payload) => emit({ name: 'engine.statusChanged', payload }));
