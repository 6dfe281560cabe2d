// The admin IPC contract: the single source from which the Electron channels,
// the preload bridge, the HTTP routes, the main-side handler types and the
// renderer client are all derived. Adding a call here (and its handler) is
// all it takes; nothing else lists calls by hand.
//
// Types only live in the `calls`/`events` specs as phantom parameters; the
// runtime part of a call spec is its argument validator.

import { noArgs, type NoArgs, type Validator } from './validate.js';
import type { CallResult } from './errors.js';

/** locked: started, but the master key is protected by a passphrase nobody has given yet; nothing is served. */
export type EngineState = 'stopped' | 'starting' | 'running' | 'stopping' | 'locked';

/** Facts about the app that mean the same in Electron and in a browser (no OS details). */
export interface AppInfo {
  /** Display name, e.g. "Keyhold". */
  name: string;
  /** Package name, e.g. "keyhold". */
  id: string;
  version: string;
  /** Which shell hosts the admin UI. */
  mode: 'desktop' | 'headless';
}

export interface EngineStatus {
  state: EngineState;
  /** ISO-8601 time of the last state change. */
  since: string;
  /** Where the KMIP server listens, e.g. "0.0.0.0:5696"; null while not running. */
  endpoint: string | null;
  /** Why the last start or stop failed, if it did. */
  lastError: { code: string; message: string } | null;
  /**
   * The key expiry job while the server runs (main/server/key-expiry.ts): keys
   * whose Deactivation Date is within warningDays, and keys it deactivated
   * since the server started. Absent while stopped or locked.
   */
  keys?: { expiringSoon: number; warningDays: number; deactivated: number };
}

declare const phantom: unique symbol;
interface CallSpec<A, R> {
  readonly args: Validator<A>;
  readonly [phantom]?: R;
}
interface EventSpec<P> {
  readonly [phantom]?: P;
}

const call = <A, R>(args: Validator<A>): CallSpec<A, R> => ({ args });
const event = <P>(): EventSpec<P> => ({});

export const contract = {
  calls: {
    'app.info': call<NoArgs, AppInfo>(noArgs),
    'engine.status': call<NoArgs, EngineStatus>(noArgs),
  },
  events: {
    'engine.statusChanged': event<EngineStatus>(),
  },
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
export const HTTP_EVENTS_PATH = '/api/events';

/** What the Electron preload exposes as `window.keyhold`: raw envelopes, never throws for call failures. */
export interface KeyholdBridge {
  call: { readonly [N in CallName]: (args: ArgsOf<N>) => Promise<CallResult<ResultOf<N>>> };
  /** Returns an unsubscribe function. */
  on<E extends EventName>(name: E, listener: (payload: PayloadOf<E>) => void): () => void;
}
