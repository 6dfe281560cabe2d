// Headless admin transport: the same contract as the Electron IPC, over HTTP on
// loopback, for `keyhold serve` and a local browser.
//
//   GET  /, /assets/*   the built renderer (no token: the page must load first
//                       to read the token from the URL fragment)
//   POST /api/<call>    JSON args in, CallResult envelope out
//   GET  /api/events    Server-Sent Events, one `event:` per contract event
//
// Defences, in order: Host must be a loopback literal with our port (DNS
// rebinding; or one of the names given with a non-loopback `--admin-host`), Origin if present must be our own, /api/* needs
// `Authorization: Bearer <token>` where the token is random per process and
// handed to the user in the URL fragment (fragments never reach servers, logs
// or Referer). A custom header also means a cross-site page cannot send it
// without a CORS preflight, which we never approve.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTP_EVENTS_PATH } from '../../shared/ipc/contract.js';
import { ipcError, type CallResult, type IpcErrorCode } from '../../shared/ipc/errors.js';
import { dispatchCall } from './dispatch.js';
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
}

export interface AdminHttpServer {
  /** Open this in a browser; it carries the token in its fragment. Treat it as a secret. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;
const MAX_EVENT_STREAMS = 32;
const SSE_PING_MS = 25_000;

const STATUS: Readonly<Record<IpcErrorCode, number>> = {
  unknown_call: 404,
  invalid_args: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  unsupported_media_type: 415,
  payload_too_large: 413,
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

// Hashing first makes the comparison constant-time whatever the lengths.
const digest = (s: string) => createHash('sha256').update(s).digest();
const tokensEqual = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  return new Promise((resolveBody, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) return resolveBody('too_large');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
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
  const streams = new Set<ServerResponse>();
  let port = 0;

  function authorize(req: IncomingMessage, res: ServerResponse): boolean {
    const header = req.headers.authorization;
    if (!header) {
      sendError(res, 'unauthorized', 'Missing token: open the admin URL the server printed at start (it carries the token)', {
        'www-authenticate': 'Bearer',
      });
      return false;
    }
    const m = /^Bearer (\S+)$/.exec(header);
    if (!m?.[1] || !tokensEqual(m[1], token)) {
      sendError(res, 'forbidden', 'Wrong token');
      return false;
    }
    return true;
  }

  async function handleCall(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    if (req.method !== 'POST') return sendError(res, 'method_not_allowed', 'Use POST', { allow: 'POST' });
    const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') return sendError(res, 'unsupported_media_type', 'Content-Type must be application/json');
    const body = await readBody(req);
    if (body === 'too_large') {
      return sendError(res, 'payload_too_large', `Body over ${MAX_BODY_BYTES} bytes`, { connection: 'close' });
    }
    let args: unknown;
    try {
      args = JSON.parse(body.toString('utf8'));
    } catch {
      return sendError(res, 'bad_request', 'Body is not valid JSON');
    }
    const result = await dispatchCall(service.handlers, name, args, service.log);
    if (result.ok) sendJson(res, 200, result);
    else sendJson(res, STATUS[result.error.code], result);
  }

  function handleEvents(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET') return sendError(res, 'method_not_allowed', 'Use GET', { allow: 'GET' });
    if (streams.size >= MAX_EVENT_STREAMS) return sendError(res, 'forbidden', 'Too many event streams');
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8' });
    res.write(': connected\n\n');
    streams.add(res);
    const unsubscribe = service.subscribe((ev) => {
      res.write(`event: ${ev.name}\ndata: ${JSON.stringify(ev.payload)}\n\n`);
    });
    // Comments keep idle proxies and the browser from timing the stream out.
    const ping = setInterval(() => res.write(': ping\n\n'), SSE_PING_MS);
    ping.unref();
    res.on('close', () => {
      unsubscribe();
      clearInterval(ping);
      streams.delete(res);
    });
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
    if (!authorize(req, res)) return;
    if (pathname === HTTP_EVENTS_PATH) return handleEvents(req, res);
    return handleCall(req, res, pathname.slice('/api/'.length));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      service.log.error('admin http request failed:', err);
      if (!res.headersSent) sendError(res, 'internal', 'Internal error');
      else res.destroy();
    });
  });

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
    close: () =>
      new Promise<void>((resolveClose, reject) => {
        for (const res of streams) res.end();
        server.close((err) => (err ? reject(err) : resolveClose()));
        server.closeAllConnections();
      }),
  };
}
