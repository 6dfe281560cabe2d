// The headless admin's event WebSocket (shared/ipc/ws-protocol.ts): after
// the HTTP transport has checked Host and Origin on the upgrade request, a
// socket must authenticate with its first message (the admin token or a
// session token) within a few seconds; then it receives every contract event
// until it closes. It may send nothing else. Sockets are limited in number,
// in incoming message size and in unsent backlog, and a peer that stops
// answering pings is dropped.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { WS_CLOSE, type WsServerMessage } from '../../shared/ipc/ws-protocol.js';
import type { AdminAuth, Credential } from './admin-auth.js';
import type { AdminService } from './handlers.js';

export interface EventSocketOptions {
  service: AdminService;
  auth: AdminAuth;
  /** Open sockets at once, authenticated or not (default 32). */
  maxSockets?: number;
  /** Time for the auth message (default 5 s). */
  authTimeoutMs?: number;
  /** Ping period; a socket that did not answer the previous ping is dropped (default 25 s). */
  pingIntervalMs?: number;
  /** Largest incoming message (default 4 KiB: an auth message is far smaller). */
  maxPayload?: number;
  /** Unsent bytes after which a socket that does not read is dropped (default 4 MiB). */
  maxBufferedBytes?: number;
}

export interface EventSockets {
  /** Takes over an upgrade request whose Host and Origin were checked. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Open sockets (authenticated or still waiting for their auth message). */
  readonly count: number;
  close(): Promise<void>;
}

interface SocketState {
  cred: Credential | null;
  alive: boolean;
  unsubscribe: (() => void) | null;
}

const MAX_TOKEN_CHARS = 256;

function authToken(data: RawData): string | null {
  let msg: unknown;
  try {
    msg = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8'));
  } catch {
    return null;
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return null;
  const m = msg as Record<string, unknown>;
  const keys = Object.keys(m);
  if (keys.length !== 2 || m.type !== 'auth' || typeof m.token !== 'string' || m.token.length === 0 || m.token.length > MAX_TOKEN_CHARS) return null;
  return m.token;
}

export function createEventSockets(opts: EventSocketOptions): EventSockets {
  const { service, auth } = opts;
  const maxSockets = opts.maxSockets ?? 32;
  const authTimeoutMs = opts.authTimeoutMs ?? 5_000;
  const maxBuffered = opts.maxBufferedBytes ?? 4 * 1024 * 1024;
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload ?? 4096, perMessageDeflate: false, clientTracking: false });
  const sockets = new Map<WebSocket, SocketState>();

  const send = (ws: WebSocket, msg: WsServerMessage) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    // A tab that stopped reading must not make the server hold its backlog forever.
    if (ws.bufferedAmount > maxBuffered) return ws.terminate();
    ws.send(JSON.stringify(msg));
  };

  function accept(ws: WebSocket): void {
    const state: SocketState = { cred: null, alive: true, unsubscribe: null };
    sockets.set(ws, state);
    let authTimer: ReturnType<typeof setTimeout> | undefined;
    // ws answers an oversize message with 1009 by itself; the error event must still be handled.
    ws.on('error', () => {});
    ws.on('close', () => {
      clearTimeout(authTimer);
      state.unsubscribe?.();
      state.unsubscribe = null;
      sockets.delete(ws);
    });
    if (sockets.size > maxSockets) {
      ws.close(WS_CLOSE.tryAgainLater, `Too many event sockets (${maxSockets}): close other Keyhold tabs`);
      return;
    }
    authTimer = setTimeout(() => ws.close(WS_CLOSE.unauthorized, `Authenticate first: send {"type":"auth","token":"…"} within ${Math.ceil(authTimeoutMs / 1000)} s`), authTimeoutMs);
    ws.on('pong', () => {
      state.alive = true;
    });
    ws.on('message', (data, isBinary) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (isBinary) return ws.close(WS_CLOSE.unsupportedData, 'Only JSON text messages are accepted');
      if (state.cred !== null) return ws.close(WS_CLOSE.policy, 'This socket only sends events: nothing is accepted after auth');
      const token = authToken(data);
      clearTimeout(authTimer);
      if (token === null) return ws.close(WS_CLOSE.policy, 'The first message must be {"type":"auth","token":"…"}');
      const cred = auth.check(token);
      if (cred === null) return ws.close(WS_CLOSE.forbidden, 'Wrong or expired token: open the admin URL the server printed, or log in again');
      state.cred = cred;
      send(ws, { type: 'ready' });
      state.unsubscribe = service.subscribe((ev) => send(ws, { type: 'event', ...ev } as WsServerMessage));
    });
  }

  const pinger = setInterval(() => {
    for (const [ws, state] of sockets) {
      if (!state.alive) {
        ws.terminate();
        continue;
      }
      if (state.cred?.kind === 'session' && !auth.stillValid(state.cred.id)) continue; // closed by the session-end listener
      state.alive = false;
      if (ws.readyState === WebSocket.OPEN) ws.ping();
    }
  }, opts.pingIntervalMs ?? 25_000);
  pinger.unref();

  const offSessionEnd = auth.onSessionEnd((id) => {
    for (const [ws, state] of sockets) {
      if (state.cred?.kind === 'session' && state.cred.id === id) ws.close(WS_CLOSE.unauthorized, 'Your session ended: log in again');
    }
  });

  return {
    handleUpgrade(req, socket, head) {
      wss.handleUpgrade(req, socket, head, accept);
    },
    get count() {
      return sockets.size;
    },
    async close() {
      clearInterval(pinger);
      offSessionEnd();
      const closed = [...sockets.keys()].map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            ws.once('close', () => resolve());
            ws.close(WS_CLOSE.goingAway, 'Keyhold is shutting down');
          }),
      );
      // A peer that does not answer the close handshake is cut off.
      const timer = setTimeout(() => {
        for (const ws of sockets.keys()) ws.terminate();
      }, 1000);
      await Promise.all(closed);
      clearTimeout(timer);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
