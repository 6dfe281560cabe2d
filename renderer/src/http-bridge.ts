// The browser-side twin of the Electron preload: the same KeyholdBridge shape,
// generated from the same contract, over the headless HTTP transport
// (main/admin/http-transport.ts).

import {
  HTTP_EVENTS_PATH,
  callNames,
  httpCallPath,
  isEventName,
  type CallName,
  type EventName,
  type KeyholdBridge,
} from '../../shared/ipc/contract.js';
import { ipcError, isCallResult, type CallResult } from '../../shared/ipc/errors.js';
import { openEventStream } from './sse.js';

const TOKEN_KEY = 'keyhold.token';

/**
 * The token arrives in the URL fragment (`#token=...`). Keep it for this tab
 * only (sessionStorage survives reloads, not the tab) and wipe it from the
 * address bar so it does not linger in history or get copied along.
 */
export function takeToken(): string | null {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(null, '', location.pathname + location.search);
    return fromHash;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/** The bridge, plus word of the event stream dropping and coming back (see openEventStream). */
export interface HttpBridge extends KeyholdBridge {
  onConnection(listener: (open: boolean) => void): () => void;
}

export function createHttpBridge(token: string | null): HttpBridge {
  // Without a token we still call, and let the server explain what to do (401).
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};

  async function post(name: CallName, args: unknown): Promise<CallResult<unknown>> {
    let res: Response;
    try {
      res = await fetch(httpCallPath(name), {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(args ?? {}),
        cache: 'no-store',
      });
    } catch {
      return { ok: false, error: ipcError('unavailable', 'Cannot reach the Keyhold server') };
    }
    const body: unknown = await res.json().catch(() => null);
    if (isCallResult(body)) return body;
    return { ok: false, error: ipcError('internal', `Unexpected response (HTTP ${res.status})`) };
  }

  const call = Object.freeze(
    Object.fromEntries(callNames.map((name) => [name, (args: unknown) => post(name, args)])),
  ) as KeyholdBridge['call'];

  // One shared stream for all listeners, open only while someone listens.
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  let close: (() => void) | null = null;
  const connectionListeners = new Set<(open: boolean) => void>();
  const onState = (open: boolean) => {
    for (const l of connectionListeners) l(open);
  };

  const dispatch = (name: string, data: string) => {
    if (!isEventName(name)) return;
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      return;
    }
    for (const listener of listeners.get(name) ?? []) listener(payload as never);
  };

  return {
    call,
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    on(name, listener) {
      if (!isEventName(name)) throw new Error(`Unknown event: ${String(name)}`);
      const set = listeners.get(name) ?? new Set();
      listeners.set(name, set);
      set.add(listener);
      close ??= openEventStream(HTTP_EVENTS_PATH, auth, dispatch, onState);
      return () => {
        set.delete(listener);
        if ([...listeners.values()].every((s) => s.size === 0)) {
          close?.();
          close = null;
        }
      };
    },
  };
}
