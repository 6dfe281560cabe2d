// The renderer's one way to reach main. Picks the Electron preload bridge when
// present, else the HTTP transport; both are typed from shared/ipc/contract.ts,
// and both hand back the same CallResult envelopes, unwrapped here into values
// or a thrown KeyholdError.

import type { ArgsOf, CallName, KeyholdBridge, ResultOf } from '../../shared/ipc/contract.js';
import { isCallResult, type IpcError, type IpcErrorCode } from '../../shared/ipc/errors.js';
import { createHttpBridge, storedToken, takeToken, type HttpBridge } from './http-bridge.js';

export class KeyholdError extends Error {
  readonly code: IpcErrorCode;
  /** The message key and params main sent (shared/ipc/error-messages.ts), for the UI's language. */
  readonly key: string | undefined;
  readonly params: Readonly<Record<string, string | number>> | undefined;
  constructor(error: IpcError) {
    super(error.message);
    this.name = 'KeyholdError';
    this.code = error.code;
    this.key = error.key;
    this.params = error.params;
  }
  toJSON(): IpcError {
    return { code: this.code, message: this.message, ...(this.key === undefined ? {} : { key: this.key }), ...(this.params === undefined ? {} : { params: this.params }) };
  }
}

/** Calls whose args are all optional may omit them. */
type ArgsParam<N extends CallName> = Record<string, never> extends ArgsOf<N> ? [args?: ArgsOf<N>] : [args: ArgsOf<N>];

export interface KeyholdClient {
  readonly transport: 'electron' | 'http';
  call<N extends CallName>(name: N, ...args: ArgsParam<N>): Promise<ResultOf<N>>;
  on: KeyholdBridge['on'];
  /**
   * The HTTP transport's event socket dropped (false) or is (back) up (true):
   * events in between are lost, so re-fetch. Electron's IPC never drops.
   */
  onConnection?(listener: (open: boolean) => void): () => void;
}

export function clientFromBridge(bridge: KeyholdBridge & Partial<Pick<HttpBridge, 'onConnection'>>, transport: KeyholdClient['transport']): KeyholdClient {
  return {
    ...(bridge.onConnection ? { onConnection: (listener: (open: boolean) => void) => bridge.onConnection!(listener) } : {}),
    transport,
    async call<N extends CallName>(name: N, ...rest: ArgsParam<N>): Promise<ResultOf<N>> {
      const fn = bridge.call[name] as (args: unknown) => Promise<unknown>;
      const result = await fn(rest[0] ?? {});
      if (!isCallResult(result)) throw new KeyholdError({ code: 'internal', message: `Malformed reply to ${name}` });
      if (!result.ok) throw new KeyholdError(result.error);
      return result.value as ResultOf<N>;
    },
    on: (name, listener) => bridge.on(name, listener),
  };
}

export function createClient(): KeyholdClient {
  return window.keyhold
    ? clientFromBridge(window.keyhold, 'electron')
    : (takeToken(), clientFromBridge(createHttpBridge(storedToken), 'http'));
}
