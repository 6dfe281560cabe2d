// Username and Password credentials (KMIP Credential Type 1), for clients
// such as vSphere that send them in the Request Header's Authentication on
// top of their certificate. A client with a password must send it in every
// request; one without may send credentials, which are then ignored.
//
// Stored as a slow salted hash: scrypt with N=2^15, r=8, p=1 (32 MiB, ~50 ms
// here), the parameters written into the record so that they can be raised
// later without breaking stored ones:
//   scrypt$<log2 N>$<r>$<p>$<salt, base64>$<hash, base64>
// A connection remembers the credential that last verified (a digest of it,
// never the password) so that only its first request pays for scrypt.
import { createHash, randomBytes, scrypt, timingSafeEqual, type BinaryLike, type ScryptOptions } from 'node:crypto';
import type { Authentication } from '../../shared/kmip/message/index.js';

export interface PasswordCredential {
  /** The Username the client must send. */
  username: string;
  /** The scrypt record (see above); never the password. */
  hash: string;
}

const LOG_N = 15;
const R = 8;
const P = 1;
const KEY_LEN = 32;
const RECORD = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;
export const MIN_PASSWORD_LENGTH = 12;
/** The KMIP Password is a Text String; nothing legitimate is longer. */
const MAX_PASSWORD_LENGTH = 1024;

/** scrypt on the thread pool (the caller's event loop keeps answering meanwhile). */
export function scryptAsync(password: BinaryLike, salt: Buffer, len: number, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, len, o, (e, key) => (e ? reject(e) : resolve(key))));
}

/** scrypt options for cost 2^logN: maxmem is what that cost needs (128·N·r) with room to spare. */
export const scryptOptions = (logN: number, r: number, p: number): ScryptOptions => ({ N: 2 ** logN, r, p, maxmem: 256 * 2 ** logN * r + 1024 * 1024 });

/** Why this password may not be set, or undefined. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `the password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `the password must have at most ${MAX_PASSWORD_LENGTH} characters`;
  if (/[\r\n]/.test(password)) return 'the password must not contain line breaks';
  return undefined;
}

export async function hashPassword(password: string): Promise<string> {
  const problem = passwordProblem(password);
  if (problem !== undefined) throw new Error(problem);
  const salt = randomBytes(16);
  const hash = await scryptAsync(password.normalize('NFC'), salt, KEY_LEN, scryptOptions(LOG_N, R, P));
  return `scrypt$${LOG_N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Throws when `record` is not a hash this module wrote (clients.json edited by hand). */
export function checkPasswordRecord(record: string): void {
  const m = RECORD.exec(record);
  const logN = Number(m?.[1]);
  if (m === null || logN < 10 || logN > 22 || Number(m[2]) < 1 || Number(m[3]) < 1) {
    throw new Error('password must be a scrypt record written by `keyhold client set NAME --password-stdin` (scrypt$logN$r$p$salt$hash)');
  }
}

export async function verifyPassword(password: string, record: string): Promise<boolean> {
  const m = RECORD.exec(record);
  if (m === null || password.length > MAX_PASSWORD_LENGTH) return false;
  const expected = Buffer.from(m[5]!, 'base64');
  const got = await scryptAsync(password.normalize('NFC'), Buffer.from(m[4]!, 'base64'), expected.length, scryptOptions(Number(m[1]), Number(m[2]), Number(m[3])));
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** The one answer for a wrong username and a wrong password alike: neither is revealed. */
export const WRONG_CREDENTIAL = 'the username or password is not correct';
export const MISSING_CREDENTIAL = 'this client must authenticate with a Username and Password credential in the Request Header';

export const TOO_MANY_FAILURES = 'too many wrong passwords for this client in the last minute; retry later';

/**
 * Wrong passwords per client, over all its connections: after MAX_FAILURES
 * in a minute the client's password checks are refused for that minute
 * without running scrypt, so a stolen certificate cannot be used to guess
 * passwords at the speed of the thread pool (nor to keep it busy).
 */
export class LoginFailures {
  static readonly MAX_FAILURES = 10;
  static readonly WINDOW_MS = 60_000;
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  private recent(client: string): number[] {
    const since = this.now() - LoginFailures.WINDOW_MS;
    const list = (this.failures.get(client) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(client);
    else this.failures.set(client, list);
    return list;
  }

  locked(client: string): boolean {
    return this.recent(client).length >= LoginFailures.MAX_FAILURES;
  }

  note(client: string): void {
    this.failures.set(client, [...this.recent(client), this.now()]);
  }
}

/**
 * One connection's password check. Answers undefined when the request may
 * proceed, or the Result Message for Authentication Not Successful.
 */
export class ConnectionCredentials {
  /** Digest of the (username, password) that last verified, and the record it verified against. */
  private verified: { digest: Buffer; record: string } | undefined;

  constructor(
    private readonly client: string,
    private readonly failures: LoginFailures = new LoginFailures(),
  ) {}

  async check(required: PasswordCredential | undefined, auth: Authentication | undefined): Promise<string | undefined> {
    if (required === undefined) return undefined;
    const cred = auth?.credentials.find((c) => c.type === 'UsernameAndPassword');
    if (cred === undefined || cred.type !== 'UsernameAndPassword') return MISSING_CREDENTIAL;
    const password = cred.password ?? '';
    const digest = createHash('sha256').update(cred.username).update('\0').update(password).digest();
    const v = this.verified;
    if (v !== undefined && v.record === required.hash && timingSafeEqual(v.digest, digest)) return undefined;
    if (this.failures.locked(this.client)) return TOO_MANY_FAILURES;
    // The password is checked even for a wrong username, so that timing does not tell which was wrong.
    const ok = await verifyPassword(password, required.hash);
    if (!ok || cred.username !== required.username) {
      this.failures.note(this.client);
      return WRONG_CREDENTIAL;
    }
    this.verified = { digest, record: required.hash };
    return undefined;
  }
}
