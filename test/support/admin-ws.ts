// A test client for the admin event WebSocket (shared/ipc/ws-protocol.ts):
// opens it with any Host and Origin, and tells how it was refused (the HTTP
// status of a refused upgrade) or closed (code and reason), and what came.
import WebSocket from 'ws';

export interface WsSession {
  ws: WebSocket;
  /** Every message so far, parsed. */
  readonly messages: unknown[];
  /** The next message not yet taken by next() (waits up to ms). */
  next(ms?: number): Promise<unknown>;
  /** Resolves with the close code and reason (waits up to ms). */
  closed(ms?: number): Promise<{ code: number; reason: string }>;
  auth(token: string): void;
}

export type WsOpen = { refused: false; session: WsSession } | { refused: true; status: number; body: string };

export function openWs(port: number, opts: { host?: string; origin?: string | null; path?: string; autoPong?: boolean } = {}): Promise<WsOpen> {
  const host = opts.host ?? `127.0.0.1:${port}`;
  const origin = opts.origin === undefined ? `http://${host}` : opts.origin;
  const ws = new WebSocket(`ws://127.0.0.1:${port}${opts.path ?? '/api/events'}`, {
    headers: { host },
    ...(origin === null ? {} : { origin }),
    autoPong: opts.autoPong ?? true,
    perMessageDeflate: false,
  });
  const messages: unknown[] = [];
  let taken = 0;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };
  let closeInfo: { code: number; reason: string } | null = null;
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    wake();
  });
  ws.on('close', (code, reason) => {
    closeInfo = { code, reason: reason.toString() };
    wake();
  });
  const wait = <T>(get: () => T | undefined, ms: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const v = get();
        if (v === undefined) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(v);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no ${what} within ${ms} ms (messages: ${JSON.stringify(messages)}, close: ${JSON.stringify(closeInfo)})`));
      }, ms);
      waiters.add(check);
      check();
    });
  const session: WsSession = {
    ws,
    messages,
    next: (ms = 2000) => wait(() => (taken < messages.length ? messages[taken++] : undefined), ms, 'message'),
    closed: (ms = 2000) => wait(() => closeInfo ?? undefined, ms, 'close'),
    auth: (token) => ws.send(JSON.stringify({ type: 'auth', token })),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ refused: false, session }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ refused: true, status: res.statusCode ?? 0, body }));
    });
    ws.once('error', (e) => {
      if (ws.readyState !== WebSocket.OPEN) reject(e);
    });
  });
}

/** Opens and expects the upgrade to be accepted. */
export async function mustOpen(port: number, opts?: Parameters<typeof openWs>[1]): Promise<WsSession> {
  const r = await openWs(port, opts);
  if (r.refused) throw new Error(`WebSocket refused: ${r.status} ${r.body}`);
  return r.session;
}
