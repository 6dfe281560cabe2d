// Who may use the headless admin: the holder of the admin token (admin-token.ts,
// printed at start), or someone who logged in with the admin password
// (admin-password.ts) and got a session token. Session tokens are random,
// kept in memory only (as SHA-256 digests), end after an idle time, on
// logout, and when the password is set anew or cleared. Failed logins are
// throttled per source address and every login is written to the service log,
// never the password.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AdminPasswordError, AdminPasswordSource, verifyAdminPassword } from './admin-password.js';
import type { Logger } from './log.js';

export const DEFAULT_SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** Failed logins from one source before each further one doubles the wait. */
export const FREE_LOGIN_FAILURES = 5;
const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 5 * 60 * 1000;
const MAX_SESSIONS = 64;
const MAX_SOURCES = 1024;

const digest = (s: string) => createHash('sha256').update(s).digest();
// Hashing first makes the comparison constant-time whatever the lengths.
export const tokensEqual = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

export interface AdminAuthOptions {
  /** The admin token: always accepted. */
  token: string;
  /** Where admin-password.json is; absent: no password access at all. */
  dataDir?: string;
  log: Logger;
  /** Tests: a clock (ms). */
  now?: () => number;
  /** Default 12 h. */
  sessionIdleMs?: number;
}

export type Credential = { kind: 'admin' } | { kind: 'session'; id: string };

export type LoginResult =
  | { ok: true; token: string }
  | { ok: false; status: number; code: 'not_found' | 'forbidden' | 'rate_limited' | 'unavailable'; message: string; retryAfterS?: number };

interface Session {
  lastUsed: number;
  /** The salt of the password it was granted with: a new or cleared password ends it. */
  stamp: string;
}

interface Failures {
  count: number;
  /** No attempt is checked before this (ms). */
  until: number;
  last: number;
}

export class AdminAuth {
  readonly #token: string;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #idleMs: number;
  readonly #password: AdminPasswordSource | null;
  /** By the hex SHA-256 of the session token. */
  readonly #sessions = new Map<string, Session>();
  readonly #failures = new Map<string, Failures>();
  readonly #endListeners = new Set<(id: string) => void>();
  #checking = false;

  constructor(opts: AdminAuthOptions) {
    this.#token = opts.token;
    this.#log = opts.log;
    this.#now = opts.now ?? Date.now;
    this.#idleMs = opts.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
    this.#password = opts.dataDir === undefined ? null : new AdminPasswordSource(opts.dataDir);
  }

  /** Whether a login can work at all (a password is set; a damaged file counts, so the login screen can say what is wrong). */
  passwordConfigured(): boolean {
    return this.#password !== null && this.#password.current() !== null;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Told the id of every session that ends (logout, idle, password changed), to close its sockets. */
  onSessionEnd(listener: (id: string) => void): () => void {
    this.#endListeners.add(listener);
    return () => this.#endListeners.delete(listener);
  }

  /** The credential `token` is, or null. A session's use counts as activity. */
  check(token: string): Credential | null {
    if (tokensEqual(token, this.#token)) return { kind: 'admin' };
    const id = digest(token).toString('hex');
    if (!this.stillValid(id)) return null;
    this.#sessions.get(id)!.lastUsed = this.#now();
    return { kind: 'session', id };
  }

  /** Whether a session is still on, without counting as activity (open sockets check it now and then). */
  stillValid(id: string): boolean {
    const s = this.#sessions.get(id);
    if (s === undefined) return false;
    const record = this.#password?.current() ?? null;
    const stamp = record === null || record instanceof AdminPasswordError ? null : record.salt;
    if (this.#now() - s.lastUsed > this.#idleMs) {
      this.#end(id, 'idle for too long');
      return false;
    }
    if (stamp !== s.stamp) {
      this.#end(id, stamp === null ? 'the admin password was cleared' : 'the admin password was changed');
      return false;
    }
    return true;
  }

  logout(cred: Credential | null): boolean {
    if (cred?.kind !== 'session' || !this.#sessions.has(cred.id)) return false;
    this.#end(cred.id, 'logged out');
    return true;
  }

  #end(id: string, why: string): void {
    if (!this.#sessions.delete(id)) return;
    this.#log.info(`keyhold: admin session ${id.slice(0, 8)} ended: ${why}`);
    for (const l of this.#endListeners) l(id);
  }

  async login(password: string, source: string): Promise<LoginResult> {
    const now = this.#now();
    const record = this.#password?.current() ?? null;
    if (record === null) {
      return { ok: false, status: 404, code: 'not_found', message: 'No admin password is set: open the admin URL the server printed at start, or set a password on the server with keyhold admin-password set' };
    }
    if (record instanceof AdminPasswordError) {
      this.#log.warn(`keyhold: admin login from ${source} impossible: ${record.message}`);
      return { ok: false, status: 503, code: 'unavailable', message: 'The admin password file on the server is unusable (see its log): set the password again with keyhold admin-password set' };
    }
    this.#forgetOld(now);
    for (const id of [...this.#sessions.keys()]) this.stillValid(id);
    const f = this.#failures.get(source);
    if (f !== undefined && f.until > now) {
      const retryAfterS = Math.ceil((f.until - now) / 1000);
      return { ok: false, status: 429, code: 'rate_limited', message: `Too many wrong passwords from your address: try again in ${retryAfterS} s`, retryAfterS };
    }
    // One scrypt at a time (128 MiB each): parallel guesses wait their turn by being refused.
    if (this.#checking) return { ok: false, status: 429, code: 'rate_limited', message: 'Another login is being checked: try again in a moment', retryAfterS: 1 };
    this.#checking = true;
    let good: boolean;
    try {
      good = await verifyAdminPassword(record, password);
    } finally {
      this.#checking = false;
    }
    const at = this.#now();
    if (!good) {
      const count = (f?.count ?? 0) + 1;
      const delay = count < FREE_LOGIN_FAILURES ? 0 : Math.min(FIRST_DELAY_MS * 2 ** (count - FREE_LOGIN_FAILURES), MAX_DELAY_MS);
      this.#failures.delete(source);
      this.#failures.set(source, { count, until: at + delay, last: at });
      if (this.#failures.size > MAX_SOURCES) this.#failures.delete(this.#failures.keys().next().value!);
      this.#log.warn(`keyhold: admin login from ${source} refused: wrong password (${count} in a row${delay > 0 ? `; next attempt in ${Math.ceil(delay / 1000)} s` : ''})`);
      return { ok: false, status: 403, code: 'forbidden', message: 'Wrong password' };
    }
    this.#failures.delete(source);
    const token = randomBytes(32).toString('base64url');
    const id = digest(token).toString('hex');
    this.#sessions.set(id, { lastUsed: at, stamp: record.salt });
    if (this.#sessions.size > MAX_SESSIONS) {
      let oldest: [string, Session] | undefined;
      for (const e of this.#sessions) if (oldest === undefined || e[1].lastUsed < oldest[1].lastUsed) oldest = e;
      this.#end(oldest![0], `more than ${MAX_SESSIONS} sessions`);
    }
    this.#log.info(`keyhold: admin login from ${source}: password accepted, session ${id.slice(0, 8)} opened`);
    return { ok: true, token };
  }

  /** Sources quiet for longer than the longest wait start afresh. */
  #forgetOld(now: number): void {
    for (const [source, f] of this.#failures) if (now - f.last > MAX_DELAY_MS * 2 && f.until <= now) this.#failures.delete(source);
  }
}
