// Headless admin transport: the same contract as the Electron IPC, over HTTP on
// loopback, for `keyhold serve` and a local browser.
//
//   GET  /, /assets/*      the built renderer (no token: the page must load
//                          first to read the token from the URL fragment)
//   POST /api/<call>       JSON args in, CallResult envelope out
//   GET  /api/events       a WebSocket carrying every contract event
//                          (event-socket.ts, shared/ipc/ws-protocol.ts)
//   GET  /api/auth-methods whether a password login is possible (no token)
//   POST /api/login        {password} → a session token (no token)
//   POST /api/logout       ends the session whose token is sent
//
// Defences, in order: Host must be a loopback literal with our port (DNS
// rebinding; or one of the names given with a non-loopback `--admin-host`),
// Origin if present must be our own (and is required on the WebSocket
// upgrade: cross-site WebSocket hijacking), /api/* needs `Authorization:
// Bearer <token>` where the token is the admin token handed to the user in
// the URL fragment (fragments never reach servers, logs or Referer) or a
// session token from a password login (admin-auth.ts). A custom header also
// means a cross-site page cannot send it without a CORS preflight, which we
// never approve; the WebSocket, which cannot carry that header, sends the
// token as its first message instead.

import { randomBytes } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { HTTP_AUTH_METHODS_PATH, HTTP_EVENTS_PATH, HTTP_LOGIN_PATH, HTTP_LOGOUT_PATH } from '../../shared/ipc/contract.js';
import { ipcError, type CallResult, type IpcErrorCode } from '../../shared/ipc/errors.js';
import { AdminAuth, type Credential } from './admin-auth.js';
import { dispatchCall } from './dispatch.js';
import { createEventSockets, type EventSocketOptions } from './event-socket.js';
import type { AdminService } from './handlers.js';
import { HTTP_CSP, isAllowedHost, isSameOrigin } from './security.js';
import { loadStaticFile } from './static-files.js';

export interface AdminHttpOptions {
  service: AdminService;
  /** Folder of the built renderer (renderer/dist). */
  staticDir: string;
  /**
   * 127.0.0.1 by default. Anything else exposes the admin UI (over plain HTTP)
   * to a network: only when the operator asked for it (`keyhold serve
   * --admin-host`), and then with allowedHosts.
   */
  host?: string;
  /** Host names and address literals (IPv6 in brackets) accepted besides the loopback ones: how browsers on the network name this machine. */
  allowedHosts?: readonly string[];
  /** The host part of the printed URL (default: the bound address). */
  urlHost?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Tests pass a fixed one; otherwise 256 random bits. */
  token?: string;
  /** The data dir whose admin-password.json allows password logins; absent: token only. */
  dataDir?: string;
  /** Sessions end after this long without a request (default 12 h). */
  sessionIdleMs?: number;
  /** Tests: the clock of sessions and login throttling (ms). */
  now?: () => number;
  /** Tests: the event WebSocket's limits and timers. */
  events?: Omit<EventSocketOptions, 'service' | 'auth'>;
}

export interface AdminHttpServer {
  /** Open this in a browser; it carries the token in its fragment. Treat it as a secret. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  /** Open event WebSockets. */
  readonly eventSockets: number;
  /** Token and password checks, sessions. */
  readonly auth: AdminAuth;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;
const MAX_LOGIN_BODY_BYTES = 4 * 1024;

const STATUS: Readonly<Record<IpcErrorCode, number>> = {
  unknown_call: 404,
  invalid_args: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  unsupported_media_type: 415,
  payload_too_large: 413,
  rate_limited: 429,
  bad_request: 400,
  not_implemented: 501,
  unavailable: 503,
  internal: 500,
};

const SECURITY_HEADERS: OutgoingHttpHeaders = {
  'content-security-policy': HTTP_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

function sendJson(res: ServerResponse, status: number, body: CallResult<unknown>, extra: OutgoingHttpHeaders = {}): void {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...extra,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(data),
  });
  res.end(data);
}

function sendError(res: ServerResponse, code: IpcErrorCode, message: string, extra?: OutgoingHttpHeaders): void {
  sendJson(res, STATUS[code], { ok: false, error: ipcError(code, message) }, extra);
}

/** An upgrade refused before it happens: a plain HTTP answer on the raw socket. */
function refuseUpgrade(socket: Duplex, code: IpcErrorCode, message: string): void {
  const status = STATUS[code];
  const body = JSON.stringify({ ok: false, error: ipcError(code, message) });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function readBody(req: IncomingMessage, max = MAX_BODY_BYTES): Promise<Buffer | 'too_large'> {
  return new Promise((resolveBody, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) return resolveBody('too_large');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume();
        resolveBody('too_large');
      } else chunks.push(chunk);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startAdminHttp(opts: AdminHttpOptions): Promise<AdminHttpServer> {
  const { service, staticDir } = opts;
  const host = opts.host ?? '127.0.0.1';
  const allowedHosts = opts.allowedHosts ?? [];
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const auth = new AdminAuth({
    token,
    log: service.log,
    ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
    ...(opts.sessionIdleMs === undefined ? {} : { sessionIdleMs: opts.sessionIdleMs }),
    ...(opts.now === undefined ? {} : { now: opts.now }),
  });
  const events = createEventSockets({ ...opts.events, service, auth });
  let port = 0;

  function authorize(req: IncomingMessage, res: ServerResponse): Credential | null {
    const header = req.headers.authorization;
    if (!header) {
      const how = auth.passwordConfigured() ? ', or log in with the admin password' : '';
      sendError(res, 'unauthorized', `Missing token: open the admin URL the server printed at start (it carries the token)${how}`, {
        'www-authenticate': 'Bearer',
      });
      return null;
    }
    const m = /^Bearer (\S+)$/.exec(header);
    const cred = m?.[1] ? auth.check(m[1]) : null;
    if (cred === null) sendError(res, 'forbidden', 'Wrong or expired token: open the admin URL the server printed at start, or log in again');
    return cred;
  }

  /** A POSTed JSON body, or null after answering why not. */
  async function jsonBody(req: IncomingMessage, res: ServerResponse, max = MAX_BODY_BYTES): Promise<{ value: unknown } | null> {
    if (req.method !== 'POST') {
      sendError(res, 'method_not_allowed', 'Use POST', { allow: 'POST' });
      return null;
    }
    const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      sendError(res, 'unsupported_media_type', 'Content-Type must be application/json');
      return null;
    }
    const body = await readBody(req, max);
    if (body === 'too_large') {
      sendError(res, 'payload_too_large', `Body over ${max} bytes`, { connection: 'close' });
      return null;
    }
    try {
      return { value: JSON.parse(body.toString('utf8')) as unknown };
    } catch {
      sendError(res, 'bad_request', 'Body is not valid JSON');
      return null;
    }
  }

  async function handleCall(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const body = await jsonBody(req, res);
    if (body === null) return;
    const args = body.value;
    const result = await dispatchCall(service.handlers, name, args, service.log);
    if (result.ok) sendJson(res, 200, result);
    else sendJson(res, STATUS[result.error.code], result);
  }

  async function handleLogin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await jsonBody(req, res, MAX_LOGIN_BODY_BYTES);
    if (body === null) return;
    const v = body.value as Record<string, unknown> | null;
    if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.keys(v).length !== 1 || typeof v.password !== 'string' || v.password === '') {
      return sendError(res, 'invalid_args', 'Send {"password": "…"} with the admin password');
    }
    const r = await auth.login(v.password, req.socket.remoteAddress ?? 'unknown');
    if (r.ok) return sendJson(res, 200, { ok: true, value: { token: r.token } });
    sendJson(res, r.status, { ok: false, error: ipcError(r.code, r.message) }, r.retryAfterS === undefined ? {} : { 'retry-after': String(r.retryAfterS) });
  }

  async function handleStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendError(res, 'method_not_allowed', 'Use GET', { allow: 'GET, HEAD' });
    }
    const file = await loadStaticFile(staticDir, pathname);
    if (!file) {
      const hint = pathname === '/' ? 'Admin UI not built: run `npm run build:renderer`' : 'Not found';
      res.writeHead(404, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
      res.end(hint);
      return;
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': file.contentType, 'content-length': file.body.length });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const hostHeader = req.headers.host;
    if (!isAllowedHost(hostHeader, port, allowedHosts) || !hostHeader) return sendError(res, 'forbidden', 'Host not allowed: open the admin URL the server printed');
    if (!isSameOrigin(req.headers.origin, hostHeader)) return sendError(res, 'forbidden', 'Cross-origin request refused');
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (pathname !== '/api' && !pathname.startsWith('/api/')) return handleStatic(req, res, pathname);
    if (pathname === HTTP_EVENTS_PATH) {
      return sendJson(res, 426, { ok: false, error: ipcError('bad_request', 'Events come over a WebSocket: connect with one') }, { upgrade: 'websocket', connection: 'Upgrade' });
    }
    if (pathname === HTTP_AUTH_METHODS_PATH) {
      if (req.method !== 'GET') return sendError(res, 'method_not_allowed', 'Use GET', { allow: 'GET' });
      return sendJson(res, 200, { ok: true, value: { password: auth.passwordConfigured() } });
    }
    if (pathname === HTTP_LOGIN_PATH) return handleLogin(req, res);
    const cred = authorize(req, res);
    if (cred === null) return;
    if (pathname === HTTP_LOGOUT_PATH) {
      if (req.method !== 'POST') return sendError(res, 'method_not_allowed', 'Use POST', { allow: 'POST' });
      if (cred.kind !== 'session') return sendError(res, 'bad_request', 'The admin token is not a session: to stop it working, restart keyhold serve with --rotate-admin-token');
      auth.logout(cred);
      return sendJson(res, 200, { ok: true, value: null });
    }
    return handleCall(req, res, pathname.slice('/api/'.length));
  }

  /** The event WebSocket: the same Host and Origin checks, and an Origin is required (browsers always send one). */
  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const hostHeader = req.headers.host;
    if (!isAllowedHost(hostHeader, port, allowedHosts) || !hostHeader) return refuseUpgrade(socket, 'forbidden', 'Host not allowed: open the admin URL the server printed');
    if (req.headers.origin === undefined) return refuseUpgrade(socket, 'forbidden', 'The event WebSocket needs an Origin header: open the admin UI in a browser');
    if (!isSameOrigin(req.headers.origin, hostHeader)) return refuseUpgrade(socket, 'forbidden', 'Cross-origin WebSocket refused');
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (pathname !== HTTP_EVENTS_PATH) return refuseUpgrade(socket, 'not_found', `No WebSocket here: events are at ${HTTP_EVENTS_PATH}`);
    if (req.method !== 'GET' || req.headers.upgrade?.toLowerCase() !== 'websocket') return refuseUpgrade(socket, 'bad_request', 'Only a WebSocket upgrade is accepted here');
    events.handleUpgrade(req, socket, head);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      service.log.error('admin http request failed:', err);
      if (!res.headersSent) sendError(res, 'internal', 'Internal error');
      else res.destroy();
    });
  });

  server.on('upgrade', handleUpgrade);

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  port = (server.address() as AddressInfo).port;
  const urlHost = opts.urlHost ?? host;
  const origin = `http://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${port}`;

  return {
    url: `${origin}/#token=${token}`,
    origin,
    port,
    token,
    auth,
    get eventSockets() {
      return events.count;
    },
    close: async () => {
      const closing = new Promise<void>((resolveClose, reject) => {
        server.close((err) => (err ? reject(err) : resolveClose()));
        server.closeAllConnections();
      });
      await events.close();
      await closing;
    },
  };
}
