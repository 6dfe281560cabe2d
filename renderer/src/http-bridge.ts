// The browser-side twin of the Electron preload: the same KeyholdBridge shape,
// generated from the same contract, over the headless HTTP transport
// (main/admin/http-transport.ts): calls are POSTs, events come over a
// WebSocket (ws.ts). Also the password login, which is outside the contract.

import {
  HTTP_AUTH_METHODS_PATH,
  HTTP_EVENTS_PATH,
  HTTP_LOGIN_PATH,
  HTTP_LOGOUT_PATH,
  callNames,
  httpCallPath,
  isEventName,
  type CallName,
  type EventName,
  type KeyholdBridge,
} from '../../shared/ipc/contract.js';
import { ipcError, isCallResult, type CallResult } from '../../shared/ipc/errors.js';
import { openEventSocket, socketUrl } from './ws.js';

const TOKEN_KEY = 'keyhold.token';
/** Set when the token came from a password login (a session the page can end). */
const SESSION_KEY = 'keyhold.session';

/**
 * The token arrives in the URL fragment (`#token=...`). Keep it for this tab
 * only (sessionStorage survives reloads, not the tab) and wipe it from the
 * address bar so it does not linger in history or get copied along.
 */
export function takeToken(): string | null {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    sessionStorage.removeItem(SESSION_KEY);
    history.replaceState(null, '', location.pathname + location.search);
    return fromHash;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/** The token this tab holds now (from the URL, or from a login). */
export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** The bridge, plus word of the event socket dropping and coming back (see openEventSocket). */
export interface HttpBridge extends KeyholdBridge {
  onConnection(listener: (open: boolean) => void): () => void;
}

const authHeader = (token: string | null): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/** `token` is read at every call and connection, so a login takes effect at once. */
export function createHttpBridge(token: string | null | (() => string | null)): HttpBridge {
  const current = typeof token === 'function' ? token : () => token;

  async function post(name: CallName, args: unknown): Promise<CallResult<unknown>> {
    let res: Response;
    try {
      res = await fetch(httpCallPath(name), {
        method: 'POST',
        // Without a token we still call, and let the server explain what to do (401).
        headers: { ...authHeader(current()), 'content-type': 'application/json' },
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

  // One shared socket for all listeners, open only while someone listens.
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  let close: (() => void) | null = null;
  const connectionListeners = new Set<(open: boolean) => void>();
  const onState = (open: boolean) => {
    for (const l of connectionListeners) l(open);
  };

  const dispatch = (name: string, payload: unknown) => {
    if (!isEventName(name)) return;
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
      close ??= openEventSocket(socketUrl(HTTP_EVENTS_PATH, location.href), current, dispatch, onState);
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

// --- password login (outside the contract) ------------------------------------

export type LoginReply = { ok: true } | { ok: false; message: string };

/** How the page can get in without the token, and the session it then holds. */
export interface AuthApi {
  /** Whether the server accepts an admin password; null when it cannot be asked. */
  passwordLogin(): Promise<boolean | null>;
  /** On success the session token is this tab's token from then on. */
  login(password: string): Promise<LoginReply>;
  /** Whether the current token came from a login (and can be ended by logout). */
  isSession(): boolean;
  /** Ends the session on the server and forgets its token. */
  logout(): Promise<void>;
}

async function envelope(res: Response): Promise<CallResult<unknown> | null> {
  const body: unknown = await res.json().catch(() => null);
  return isCallResult(body) ? body : null;
}

export function httpAuthApi(): AuthApi {
  return {
    async passwordLogin() {
      try {
        const r = await envelope(await fetch(HTTP_AUTH_METHODS_PATH, { cache: 'no-store' }));
        if (r?.ok !== true) return null;
        return (r.value as { password?: unknown }).password === true;
      } catch {
        return null;
      }
    },
    async login(password) {
      let res: Response;
      try {
        res = await fetch(HTTP_LOGIN_PATH, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password }), cache: 'no-store' });
      } catch {
        return { ok: false, message: 'Cannot reach the Keyhold server' };
      }
      const r = await envelope(res);
      if (r === null) return { ok: false, message: `Unexpected response (HTTP ${res.status})` };
      if (!r.ok) return { ok: false, message: r.error.message };
      const token = (r.value as { token?: unknown }).token;
      if (typeof token !== 'string') return { ok: false, message: 'Unexpected response: no session token' };
      sessionStorage.setItem(TOKEN_KEY, token);
      sessionStorage.setItem(SESSION_KEY, '1');
      return { ok: true };
    },
    isSession: () => sessionStorage.getItem(SESSION_KEY) === '1',
    async logout() {
      const token = storedToken();
      sessionStorage.removeItem(TOKEN_KEY);
      sessionStorage.removeItem(SESSION_KEY);
      await fetch(HTTP_LOGOUT_PATH, { method: 'POST', headers: { ...authHeader(token), 'content-type': 'application/json' }, body: '{}', cache: 'no-store' }).catch(() => {});
    },
  };
}
