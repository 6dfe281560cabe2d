// The headless admin's events over a WebSocket (shared/ipc/ws-protocol.ts).
// A browser cannot put an Authorization header on a WebSocket, and a token in
// the URL would leak into history and logs, so the token goes in the first
// message; the server answers {type:'ready'} and then sends every event.

import { isRefusal, type WsServerMessage } from '../../shared/ipc/ws-protocol.js';

export type WsEventHandler = (name: string, payload: unknown) => void;

/** Backoff after a drop: 1 s, 2 s, 4 s, then every 5 s. A refused token retries more slowly (up to 30 s): a login replaces the socket anyway. */
const RETRY_MS = { first: 1000, max: 5000, maxRefused: 30_000 };

export interface EventSocketDeps {
  /** Tests: a stand-in for the browser's WebSocket. */
  WebSocket?: new (url: string) => WebSocket;
  /** Tests: shorter delays. */
  retry?: Partial<typeof RETRY_MS>;
}

/** ws:// or wss:// for `path` on the page's own origin. */
export function socketUrl(path: string, base: string): string {
  const u = new URL(path, base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.hash = '';
  return u.toString();
}

function parse(data: unknown): WsServerMessage | null {
  if (typeof data !== 'string') return null;
  try {
    const m = JSON.parse(data) as unknown;
    if (typeof m !== 'object' || m === null) return null;
    const t = (m as { type?: unknown }).type;
    if (t === 'ready') return m as WsServerMessage;
    if (t === 'event' && typeof (m as { name?: unknown }).name === 'string') return m as WsServerMessage;
    return null;
  } catch {
    return null;
  }
}

/**
 * Keeps a socket open (reconnecting after drops, with backoff) until the
 * returned function is called. `onState(true)` on every (re)connection that
 * the server accepted, `onState(false)` when it drops or cannot be reached:
 * events sent meanwhile are lost, so a listener re-fetches what it shows. A
 * refused token is not a lost connection (the calls say what is wrong) and
 * reports nothing, unless an accepted socket is closed that way (the
 * session ended): that is a drop.
 */
export function openEventSocket(
  url: string,
  token: () => string | null,
  onEvent: WsEventHandler,
  onState: (open: boolean) => void = () => {},
  deps: EventSocketDeps = {},
): () => void {
  const Impl = deps.WebSocket ?? WebSocket;
  const retry = { ...RETRY_MS, ...deps.retry };
  let ws: WebSocket | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let failures = 0;

  const later = (refused: boolean) => {
    if (stopped) return;
    const delay = Math.min(retry.first * 2 ** failures, refused ? retry.maxRefused : retry.max);
    failures++;
    timer = setTimeout(connect, delay);
  };

  function connect(): void {
    if (stopped) return;
    const t = token();
    // No token yet (the page waits for a login): nothing to connect with.
    if (t === null) return later(true);
    let ready = false;
    const socket = new Impl(url);
    ws = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', token: t }));
    socket.onmessage = (e: MessageEvent) => {
      const msg = parse(e.data);
      if (msg === null) return;
      if (msg.type === 'ready') {
        ready = true;
        failures = 0;
        onState(true);
      } else onEvent(msg.name, msg.payload);
    };
    socket.onclose = (e: CloseEvent) => {
      if (ws === socket) ws = null;
      if (stopped) return;
      const refused = isRefusal(e.code);
      if (ready || !refused) onState(false);
      later(refused);
    };
  }

  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (ws !== null) {
      ws.onclose = null;
      ws.onmessage = null;
      ws.close(1000, 'Closed by the page');
      ws = null;
    }
  };
}
