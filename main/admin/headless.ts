// The headless admin of `keyhold serve`: the built renderer and the admin
// contract over HTTP and its events over a WebSocket (http-transport.ts), on
// 127.0.0.1:5697 by default, behind the token kept in DIR/admin.token
// (admin-token.ts) or, once set, the admin password in DIR/admin-password.json
// (admin-password.ts, admin-auth.ts).

import { existsSync } from 'node:fs';
import os from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { EngineHost } from '../engine/host.js';
import { adminToken } from './admin-token.js';
import { findAppRoot, readAppInfo, rendererDistDir } from './app-info.js';
import type { EngineController } from './engine.js';
import { createAdminService } from './handlers.js';
import { startAdminHttp, type AdminHttpServer } from './http-transport.js';
import type { Logger } from './log.js';

export const DEFAULT_ADMIN_PORT = 5697;
export const DEFAULT_ADMIN_HOST = '127.0.0.1';

export interface HeadlessAdminOptions {
  dataDir: string;
  /** Default 127.0.0.1; anything not loopback is the operator's explicit choice (--admin-host) and gets a warning. */
  host?: string;
  /** 0: a free port. */
  port: number;
  /** A new token even if DIR/admin.token holds one. */
  rotateToken?: boolean;
  engine: EngineController;
  engineHost?: EngineHost;
  log: Logger;
  /** Where package.json and renderer/dist are (default: found from this module). */
  appRoot?: string;
}

export interface HeadlessAdmin {
  readonly server: AdminHttpServer;
  readonly tokenFile: string;
  /** Whether DIR/admin-password.json was there at start (it is read again at every login). */
  readonly passwordSet: boolean;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const WILDCARD = new Set(['0.0.0.0', '::']);

export const isLoopbackAddress = (host: string): boolean => LOOPBACK.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);

const bracket = (h: string) => (isIP(h) === 6 ? `[${h}]` : h);

/**
 * The Host names a browser may use for an admin UI bound to `host`: for a
 * wildcard, this machine's interface addresses and its host name; else the
 * address or name given. Never a name the operator did not give or the
 * machine does not have, so DNS rebinding still fails.
 */
export function allowedHostsFor(host: string): string[] {
  if (isLoopbackAddress(host)) return [bracket(host)];
  if (!WILDCARD.has(host)) return [bracket(host)];
  const names = new Set<string>([os.hostname()]);
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) names.add(bracket(a.address.replace(/%.*$/, '')));
  }
  return [...names];
}

/**
 * Starts the admin UI, or answers null (after one line saying why) when the
 * renderer was not built: the KMIP server runs on without it.
 */
export async function startHeadlessAdmin(opts: HeadlessAdminOptions): Promise<HeadlessAdmin | null> {
  const appRoot = opts.appRoot ?? findAppRoot(import.meta.url);
  const staticDir = rendererDistDir(appRoot);
  if (!existsSync(join(staticDir, 'index.html'))) {
    opts.log.warn(`keyhold: admin UI not served: ${staticDir} has no built UI (run npm run build:renderer); the KMIP server runs without it`);
    return null;
  }
  const host = opts.host ?? DEFAULT_ADMIN_HOST;
  if (!isLoopbackAddress(host)) {
    opts.log.warn(
      `keyhold: warning: the admin UI listens on ${host}, reachable from other machines, over plain HTTP: anyone who sees the traffic can take the admin token. ` +
        `Prefer the default 127.0.0.1 and an SSH tunnel (ssh -L ${DEFAULT_ADMIN_PORT}:127.0.0.1:${DEFAULT_ADMIN_PORT} this-host)`,
    );
  }
  const token = await adminToken(opts.dataDir, { rotate: opts.rotateToken === true });
  if (token.how === 'repaired') opts.log.warn(`keyhold: ${token.file} was readable by other users: replaced with a new token (0600)`);
  const service = createAdminService({
    appInfo: readAppInfo(appRoot, 'headless'),
    engine: opts.engine,
    log: opts.log,
    dataDir: opts.dataDir,
    ...(opts.engineHost === undefined ? {} : { host: opts.engineHost }),
  });
  const server = await startAdminHttp({
    service,
    staticDir,
    host,
    port: opts.port,
    token: token.token,
    dataDir: opts.dataDir,
    allowedHosts: allowedHostsFor(host),
    ...(WILDCARD.has(host) ? { urlHost: os.hostname() } : {}),
  });
  return { server, tokenFile: token.file, passwordSet: server.auth.passwordConfigured(), close: () => server.close() };
}
