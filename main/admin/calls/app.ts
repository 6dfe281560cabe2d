import type { appCalls } from '../../../shared/ipc/calls/app.js';
import type { AdminDeps, AreaHandlers } from './types.js';

export function appHandlers(deps: AdminDeps): AreaHandlers<typeof appCalls> {
  const appInfo = { ...deps.appInfo };
  return { 'app.info': () => ({ ...appInfo }) };
}
