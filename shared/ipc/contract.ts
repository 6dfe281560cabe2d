// The admin IPC contract: the single source from which the Electron channels,
// the preload bridge, the HTTP routes, the main-side handler types and the
// renderer client are all derived. Adding a call here (and its handler) is
// all it takes; nothing else lists calls by hand.
//
// Types only live in the `calls`/`events` specs as phantom parameters; the
// runtime part of a call spec is its argument validator.

import type { CallResult } from './errors.js';
import type { CallSpec, EventSpec } from './spec.js';
import type { Validator } from './validate.js';
import { appCalls, appEvents } from './calls/app.js';
import { clientsCalls, clientsEvents } from './calls/clients.js';
import { settingsCalls, settingsEvents } from './calls/settings.js';
import { backupsCalls, backupsEvents } from './calls/backups.js';
import { certsCalls, certsEvents } from './calls/certs.js';
import { policyCalls, policyEvents } from './calls/policy.js';
import { auditCalls, auditEvents } from './calls/audit.js';
import { engineCalls, engineEvents } from './calls/engine.js';
import { dashboardCalls, dashboardEvents } from './calls/dashboard.js';
import { keysCalls, keysEvents } from './calls/keys.js';
import { logsCalls, logsEvents } from './calls/logs.js';
import { setupCalls, setupEvents } from './calls/setup.js';
import { progressCalls, progressEvents } from './calls/progress.js';

export type { AppInfo } from './calls/app.js';
export type { EngineState, EngineStatus } from './calls/engine.js';
export type { AuditEventPayload, AuditEventRecord } from './calls/audit.js';

export const contract = {
  calls: { ...appCalls, ...clientsCalls, ...settingsCalls, ...backupsCalls, ...certsCalls, ...policyCalls, ...engineCalls, ...auditCalls, ...setupCalls, ...keysCalls, ...logsCalls, ...dashboardCalls, ...progressCalls },
  events: { ...appEvents, ...clientsEvents, ...settingsEvents, ...backupsEvents, ...certsEvents, ...policyEvents, ...engineEvents, ...auditEvents, ...setupEvents, ...keysEvents, ...logsEvents, ...dashboardEvents, ...progressEvents },
} as const;

type Calls = typeof contract.calls;
type Events = typeof contract.events;

export type CallName = keyof Calls;
export type EventName = keyof Events;
export type ArgsOf<N extends CallName> = Calls[N] extends CallSpec<infer A, unknown> ? A : never;
export type ResultOf<N extends CallName> = Calls[N] extends CallSpec<unknown, infer R> ? R : never;
export type PayloadOf<E extends EventName> = Events[E] extends EventSpec<infer P> ? P : never;

/** One event as delivered to a subscriber, discriminated by name. */
export type AnyEvent = { [E in EventName]: { name: E; payload: PayloadOf<E> } }[EventName];

export const callNames = Object.freeze(Object.keys(contract.calls) as CallName[]);
export const eventNames = Object.freeze(Object.keys(contract.events) as EventName[]);

// `in` and plain indexing would accept "constructor" or "__proto__"; only own keys count.
export const isCallName = (name: unknown): name is CallName =>
  typeof name === 'string' && Object.prototype.hasOwnProperty.call(contract.calls, name);
export const isEventName = (name: unknown): name is EventName =>
  typeof name === 'string' && Object.prototype.hasOwnProperty.call(contract.events, name);

export function validateArgs<N extends CallName>(name: N, args: unknown) {
  return (contract.calls[name].args as Validator<ArgsOf<N>>)(args, 'args');
}

// Channel names, derived from the keys.
export const callChannel = <N extends CallName>(name: N) => `keyhold:call:${name}` as const;
export const eventChannel = <E extends EventName>(name: E) => `keyhold:event:${name}` as const;
export const httpCallPath = <N extends CallName>(name: N) => `/api/${name}` as const;
/** The headless transport's events: a WebSocket (shared/ipc/ws-protocol.ts). */
export const HTTP_EVENTS_PATH = '/api/events';
/** Outside the contract, answered without a token: how a browser gets a session with the admin password (main/admin/admin-auth.ts). */
export const HTTP_AUTH_METHODS_PATH = '/api/auth-methods';
export const HTTP_LOGIN_PATH = '/api/login';
export const HTTP_LOGOUT_PATH = '/api/logout';

/** What the Electron preload exposes as `window.keyhold`: raw envelopes, never throws for call failures. */
export interface KeyholdBridge {
  call: { readonly [N in CallName]: (args: ArgsOf<N>) => Promise<CallResult<ResultOf<N>>> };
  /** Returns an unsubscribe function. */
  on<E extends EventName>(name: E, listener: (payload: PayloadOf<E>) => void): () => void;
}
