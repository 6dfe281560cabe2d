// The headless admin's optional password: DIR/admin-password.json, an scrypt
// hash with its salt and cost parameters (never the password), mode 0600,
// written atomically by `keyhold admin-password set` and removed by `clear`.
// A running `keyhold serve` reads it when someone logs in (and checks, cheaply,
// that it did not change while a session is in use), so set and clear apply
// without a restart.

import { constants, fstatSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { scryptAsync, scryptOptions } from '../access/credentials.js';
import { join } from 'node:path';
import { writeFileAtomic } from '../pki/store-files.js';

export const ADMIN_PASSWORD_FILE = 'admin-password.json';
export const MIN_ADMIN_PASSWORD = 12;
const MAX_ADMIN_PASSWORD = 1024;
const FORMAT = 'keyhold-admin-password';

/** scrypt cost of new hashes: N = 2^17, r = 8, p = 1 (128 MiB, about a second here). */
export const ADMIN_SCRYPT_PARAMS = { N: 2 ** 17, r: 8, p: 1 } as const;
/** A file may say less (tests, slow machines: down to 2^14) but never more than this: a crafted file must not make a login take gigabytes. */
const SCRYPT_LIMITS = { minN: 2 ** 14, maxN: 2 ** 20, maxR: 16, maxP: 4 };

export interface AdminPasswordRecord {
  format: typeof FORMAT;
  version: 1;
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  /** base64, 16 bytes. */
  salt: string;
  /** base64, 32 bytes. */
  hash: string;
  /** When it was set (ISO 8601). */
  setAt: string;
}

/** A password file that cannot be used; the message says what to do, and never holds the hash. */
export class AdminPasswordError extends Error {
  override readonly name = 'AdminPasswordError';
}

export function adminPasswordFile(dataDir: string): string {
  return join(dataDir, ADMIN_PASSWORD_FILE);
}

/** Why a new password is refused (one sentence), or undefined. */
export function adminPasswordProblem(password: string): string | undefined {
  if ([...password].length < MIN_ADMIN_PASSWORD) return `the admin password must have at least ${MIN_ADMIN_PASSWORD} characters`;
  if (password.length > MAX_ADMIN_PASSWORD) return `the admin password must have at most ${MAX_ADMIN_PASSWORD} characters`;
  if (/[\u0000-\u001f\u007f]/.test(password)) return 'the admin password must be one line without control characters';
  return undefined;
}

async function derive(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  // Async: the thread pool works while the admin server and its sockets keep answering.
  try {
    return await scryptAsync(Buffer.from(password.normalize('NFC'), 'utf8'), salt, 32, scryptOptions(Math.log2(N), r, p));
  } catch (err) {
    throw new AdminPasswordError(`scrypt failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Hashes `password` and writes DIR/admin-password.json (0600, atomically). `params` lowers the cost for tests only. */
export async function setAdminPassword(dataDir: string, password: string, params: { N: number; r: number; p: number } = ADMIN_SCRYPT_PARAMS): Promise<string> {
  const problem = adminPasswordProblem(password);
  if (problem !== undefined) throw new AdminPasswordError(problem);
  const salt = randomBytes(16);
  const hash = await derive(password, salt, params.N, params.r, params.p);
  const record: AdminPasswordRecord = {
    format: FORMAT,
    version: 1,
    kdf: 'scrypt',
    ...params,
    salt: salt.toString('base64'),
    hash: hash.toString('base64'),
    setAt: new Date().toISOString(),
  };
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = adminPasswordFile(dataDir);
  await writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`, 0o600);
  return file;
}

/** Removes the password; false when none was set. */
export async function clearAdminPassword(dataDir: string): Promise<boolean> {
  try {
    await fs.unlink(adminPasswordFile(dataDir));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

const b64 = (v: unknown, bytes: number) => typeof v === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === bytes;

/** Checks a parsed file; throws AdminPasswordError saying how to repair it. */
function checkRecord(doc: unknown, file: string): AdminPasswordRecord {
  const d = doc as Partial<AdminPasswordRecord> | null;
  const pow2 = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= SCRYPT_LIMITS.minN && n <= SCRYPT_LIMITS.maxN && (n & (n - 1)) === 0;
  const int = (n: unknown, max: number) => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= max;
  const ok =
    typeof d === 'object' && d !== null && d.format === FORMAT && d.version === 1 && d.kdf === 'scrypt' &&
    pow2(d.N) && int(d.r, SCRYPT_LIMITS.maxR) && int(d.p, SCRYPT_LIMITS.maxP) && b64(d.salt, 16) && b64(d.hash, 32) && typeof d.setAt === 'string';
  if (!ok) throw new AdminPasswordError(`${file} is not a Keyhold admin password file (damaged, or written by a newer Keyhold): set the password again with keyhold admin-password set`);
  return d as AdminPasswordRecord;
}

/**
 * The password record, or null when none is set. Refuses a file others can
 * read (its hash could be cracked offline) or that is not a regular file.
 */
export function readAdminPassword(dataDir: string): AdminPasswordRecord | null {
  const file = adminPasswordFile(dataDir);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new AdminPasswordError(`${file} is a symbolic link; set the password again with keyhold admin-password set`);
    throw new AdminPasswordError(`cannot read ${file} (${code ?? 'error'})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > 4096) throw new AdminPasswordError(`${file} is not a Keyhold admin password file: set the password again with keyhold admin-password set`);
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw new AdminPasswordError(`${file} can be read by other users (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}), so its hash may have been copied: set the password again with keyhold admin-password set`);
    }
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(buf.subarray(0, off).toString('utf8'));
    } catch {
      doc = null;
    }
    return checkRecord(doc, file);
  } finally {
    closeSync(fd);
  }
}

/** True when `password` is the one `record` was made from (constant-time comparison). */
export async function verifyAdminPassword(record: AdminPasswordRecord, password: string): Promise<boolean> {
  if (password.length > MAX_ADMIN_PASSWORD) return false;
  const expected = Buffer.from(record.hash, 'base64');
  const got = await derive(password, Buffer.from(record.salt, 'base64'), record.N, record.r, record.p);
  return timingSafeEqual(got, expected);
}

/**
 * The password file as a running server sees it: read again only when its
 * stat changes, so checking on every request costs one stat().
 */
export class AdminPasswordSource {
  #key = '';
  #value: AdminPasswordRecord | null | AdminPasswordError = null;

  constructor(readonly dataDir: string) {}

  /** The current record, null when none is set, or the error that makes it unusable. */
  current(): AdminPasswordRecord | null | AdminPasswordError {
    let key: string;
    try {
      const st = statSync(adminPasswordFile(this.dataDir), { bigint: true });
      key = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.mode}`;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return new AdminPasswordError(`cannot read ${adminPasswordFile(this.dataDir)} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      key = 'none';
    }
    if (key !== this.#key) {
      this.#key = key;
      try {
        this.#value = key === 'none' ? null : readAdminPassword(this.dataDir);
      } catch (e) {
        this.#value = e instanceof AdminPasswordError ? e : new AdminPasswordError((e as Error).message);
      }
    }
    return this.#value;
  }
}
