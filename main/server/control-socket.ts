// The running server's control socket: how `keyhold object …` in another
// process reaches the engine of a `keyhold serve` on the same data dir. The
// key store is held with EXCLUSIVE locking by the server, so an operator
// action on objects must run inside the server, not beside it.
//
// Endpoint: DIR/control.sock (a Unix socket, mode 0600, inside the 0700 data
// dir: only the user who owns the data dir can connect), or a named pipe on
// Windows. Messages are the engine protocol's own (shared/engine/protocol.ts),
// one JSON object per line: { kind: 'request', seq, method, params } in, the
// worker's response out, validated on both sides. Only CONTROL_METHODS are
// accepted; starting, stopping or crashing the engine is not something a
// socket peer may ask for.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { checkResult, parseRequest, parseWorkerMessage, type MethodName, type ParamsOf, type ResultOf } from '../../shared/engine/protocol.js';
import type { Logger } from '../admin/log.js';

export const CONTROL_METHODS = [
  'status',
  'backupNow',
  'verifyBackup',
  'listObjects',
  'objectOwners',
  'transferObjects',
  'shareObjects',
  'listDeletedObjects',
  'showObject',
  'restoreObjects',
  'purgeObjects',
  'revealMaterial',
  'masterKeyStatus',
  'unlockMasterKey',
  'protectMasterKey',
  'rotateMasterKey',
] as const satisfies readonly MethodName[];
export type ControlMethod = (typeof CONTROL_METHODS)[number];
const isControl = (m: MethodName): m is ControlMethod => (CONTROL_METHODS as readonly string[]).includes(m);

const MAX_LINE = 4 * 1024 * 1024;
/** Unix socket paths are limited to 108 bytes (104 on macOS) including the terminating NUL. */
const MAX_UNIX_PATH = 103;

/** Where the control socket of DIR's server is, or why there is none. */
export function controlPath(dataDir: string): { path: string } | { unavailable: string } {
  const dir = path.resolve(dataDir);
  if (process.platform === 'win32') return { path: `\\\\.\\pipe\\keyhold-${createHash('sha256').update(dir.toLowerCase()).digest('hex').slice(0, 24)}` };
  const p = path.join(dir, 'control.sock');
  if (Buffer.byteLength(p) > MAX_UNIX_PATH) return { unavailable: `the data dir path is too long for a Unix socket (${Buffer.byteLength(p)} bytes, at most ${MAX_UNIX_PATH})` };
  return { path: p };
}

export interface ControlServer {
  close(): Promise<void>;
}

/**
 * Listens on DIR's control socket and answers each request with `call`. The
 * caller holds DIR's serve.lock, so a socket file left by a server that died
 * is stale and replaced.
 */
export async function startControlSocket(
  dataDir: string,
  call: (method: ControlMethod, params: unknown) => Promise<unknown>,
  log: Logger,
): Promise<ControlServer | undefined> {
  const where = controlPath(dataDir);
  if ('unavailable' in where) {
    log.warn(`keyhold: no control socket (${where.unavailable}); \`keyhold object\` commands will need the server stopped`);
    return undefined;
  }
  if (process.platform !== 'win32') fs.rmSync(where.path, { force: true });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.length > MAX_LINE) {
        socket.destroy();
        return;
      }
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        void answer(line).then((reply) => socket.write(`${JSON.stringify(reply)}\n`));
      }
    });
  });
  async function answer(line: string): Promise<unknown> {
    let msg: unknown;
    try { msg = JSON.parse(line); } catch { return { kind: 'response', seq: null, ok: false, error: { code: 'bad_request', message: 'not JSON' } }; }
    const req = parseRequest(msg, isControl);
    if (!req.ok) return { kind: 'response', seq: req.seq, ok: false, error: req.error };
    try {
      const value = await call(req.method as ControlMethod, req.params);
      return { kind: 'response', seq: req.seq, ok: true, value };
    } catch (e) {
      const code = typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'internal';
      return { kind: 'response', seq: req.seq, ok: false, error: { code, message: (e as Error).message.slice(0, 1000) } };
    }
  }
  // The socket file is created owner-only (umask around the synchronous bind), not chmod'ed after a window.
  const umask = process.platform === 'win32' ? undefined : process.umask(0o177);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    try {
      server.listen(where.path, () => {
        server.off('error', reject);
        server.on('error', (e) => log.error(`keyhold: control socket: ${e.message}`));
        resolve();
      });
    } finally {
      if (umask !== undefined) process.umask(umask);
    }
  });
  // Owner-only even where the umask was not honoured for sockets, and in case the data dir's mode was widened.
  if (process.platform !== 'win32') fs.chmodSync(where.path, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The answer of DIR's running server, or `reached: false` when no server listens there. */
export type ControlReply<M extends ControlMethod> = { reached: true; value: ResultOf<M> } | { reached: false; why: string };

/** Sends one request to DIR's running server. A server that answers with an error makes this throw its message. */
export function controlRequest<M extends ControlMethod>(dataDir: string, method: M, params: ParamsOf<M>, timeoutMs = 30_000): Promise<ControlReply<M>> {
  const where = controlPath(dataDir);
  if ('unavailable' in where) return Promise.resolve({ reached: false, why: where.unavailable });
  return new Promise((resolve, reject) => {
    const socket = net.connect(where.path);
    let buffered = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the running server did not answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const done = (f: () => void) => {
      clearTimeout(timer);
      socket.destroy();
      f();
    };
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') done(() => resolve({ reached: false, why: 'no server is listening' }));
      else done(() => reject(new Error(`cannot reach the running server: ${e.message}`)));
    });
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify({ kind: 'request', seq: 1, method, params })}\n`));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      let parsed;
      try { parsed = parseWorkerMessage(JSON.parse(buffered.slice(0, nl))); } catch { parsed = { ok: false as const, message: 'not JSON' }; }
      if (!parsed.ok || parsed.value.kind !== 'response') return done(() => reject(new Error(`the running server answered something unreadable (${parsed.ok ? 'an event' : parsed.message})`)));
      const r = parsed.value;
      if (!r.ok) return done(() => reject(new Error(r.error.message)));
      const checked = checkResult(method, r.value);
      if (!checked.ok) return done(() => reject(new Error(`the running server's answer does not match the protocol: ${checked.message}`)));
      done(() => resolve({ reached: true, value: checked.value }));
    });
    socket.on('end', () => done(() => reject(new Error('the running server closed the control connection without an answer'))));
  });
}
