// The Keys screen: list, detail and the operator's lifecycle actions, each a
// request to the engine worker (main/server/key-operator.ts for the list and
// Activate/Revoke/Destroy, main/server/soft-delete.ts for the detail and
// Restore). The worker audits every action as kind 'admin'.
import type { keysCalls } from '../../../shared/ipc/calls/keys.js';
import { CallError } from '../dispatch.js';
import { ask } from './engine-call.js';
import type { AdminDeps, AreaHandlers } from './types.js';

export function keysHandlers(deps: AdminDeps): AreaHandlers<typeof keysCalls> {
  return {
    'keys.list': (args) => ask(deps, 'searchObjects', args),
    'keys.get': ({ id }) => ask(deps, 'showObject', { id }),
    'keys.activate': ({ id }) => ask(deps, 'activateObject', { id }),
    'keys.revoke': ({ id, reason, message }) => ask(deps, 'revokeObject', { id, reason, ...(message === undefined ? {} : { message }) }),
    'keys.destroy': ({ id }) => ask(deps, 'destroyObject', { id }),
    'keys.restore': async ({ id }) => {
      const r = await ask(deps, 'restoreObjects', { ids: [id] });
      const restored = r.restored[0];
      if (restored === undefined) throw CallError.of('internal', 'errors.keys.notRestored', { id });
      return restored;
    },
  };
}
