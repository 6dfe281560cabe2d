// The master key: 32 random bytes, kept in one of two ways (its protection).
//
// - key file (default): DIR/master.key holds the raw bytes, mode 0600, so the
//   server restarts unattended.
// - passphrase: DIR/master.key.locked holds the key wrapped (AES-256-GCM)
//   under a key derived with scrypt from the operator's passphrase; there is
//   no plain master.key, and the server starts locked until it is given the
//   passphrase (main/server/master-key-admin.ts).
//
// Keys are read straight into KeyObjects (native memory, not a JS string or a
// long-lived Buffer) and temporary Buffers are zeroed. Nothing here logs or
// embeds key bytes or passphrases in error messages.
//
// Files beside the key (all 0600, written to a temp file, fsynced, renamed):
// - master.key.next / master.key.locked.next: the next key of a rotation in
//   progress; start-up finishes or discards it from what the database's meta
//   table says (sqlite-store.ts settleRotation).
// - master.key.v<N>.retired: key version N after a rotation, in the form the
//   key had then (raw, or wrapped under the passphrase), so backups made
//   under it stay restorable.
// - master.key.locked.unprotecting: the wrapped key while a conversion back
//   to a key file is in progress (settleProtection).
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes, scrypt as scryptCb, type KeyObject } from 'node:crypto';
import { closeSync, existsSync, fstatSync, fsyncSync, linkSync, openSync, readdirSync, readSync, renameSync, unlinkSync, writeSync, constants } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from './errors.js';

export const MASTER_KEY_FILE = 'master.key';
export const LOCKED_FILE = 'master.key.locked';
export const UNPROTECTING_FILE = 'master.key.locked.unprotecting';
export const NEXT_SUFFIX = '.next';
export const MASTER_KEY_BYTES = 32;
/** How the master key is kept (see the top of this file). */
export type Protection = 'key-file' | 'passphrase';

export const retiredFile = (version: number): string => `master.key.v${version}.retired`;
const RETIRED = /^master\.key\.v(\d{1,6})\.retired$/;
/** The file that holds the current key under a protection. */
export const keyFileOf = (p: Protection): string => (p === 'passphrase' ? LOCKED_FILE : MASTER_KEY_FILE);

function fail(message: string): never {
  throw new StoreError('MASTER_KEY', message);
}

/** A wrong passphrase (or a wrapped file that is not this passphrase's): one line, nothing about the key. */
export class WrongPassphraseError extends StoreError {
  readonly wrongPassphrase = true;
  constructor() {
    super('MASTER_KEY', 'wrong passphrase');
  }
}

/**
 * Reads a key-bearing file: a regular file (not a symlink), owner-only, at
 * most maxBytes. The caller zeroes the returned buffer.
 */
function readSecureFile(path: string, maxBytes: number, what: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') fail(`${what} ${path} is a symbolic link; it must be a regular file`);
    if (code === 'ENOENT') fail(`${what} ${path} is missing`);
    fail(`cannot read ${what} ${path} (${code ?? 'error'})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) fail(`${what} ${path} is not a regular file`);
    // Group or other access to the key defeats encryption at rest.
    if ((st.mode & 0o077) !== 0) {
      fail(`${what} ${path} has permissions ${(st.mode & 0o777).toString(8).padStart(4, '0')}; it must be 0600 (run: chmod 600 ${path})`);
    }
    if (st.size > maxBytes) fail(`${what} ${path} is too large (${st.size} bytes)`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** A raw 32-byte key file (master.key, master.key.next, a raw retired key). */
export function readRawKey(path: string, what = 'master key file'): KeyObject {
  const buf = readSecureFile(path, MASTER_KEY_BYTES + 1, what);
  try {
    if (buf.length !== MASTER_KEY_BYTES) fail(`${what} ${path} must be exactly ${MASTER_KEY_BYTES} bytes, not ${buf.length}`);
    return createSecretKey(buf);
  } finally {
    buf.fill(0);
  }
}

/** Create the key file if absent (create=true), then load it. */
export function loadMasterKey(dir: string, create: boolean): KeyObject {
  const path = join(dir, MASTER_KEY_FILE);
  if (!existsSync(path)) {
    if (existsSync(join(dir, LOCKED_FILE))) fail(`the master key is protected by a passphrase (${join(dir, LOCKED_FILE)}); unlock it with keyhold master-key unlock --passphrase-stdin`);
    if (create) return createMasterKey(dir, path);
    fail(`master key file ${path} is missing, but the database already holds encrypted data; restore the file from backup`);
  }
  return readRawKey(path);
}

function createMasterKey(dir: string, path: string): KeyObject {
  // Write a temp file, fsync, then link it into place: a crash never leaves a
  // short key file, and link (unlike rename) fails if another process created
  // the key first, in which case theirs is the one to use.
  const key = randomBytes(MASTER_KEY_BYTES);
  try {
    if (!writeKeyFile(dir, MASTER_KEY_FILE, key, false)) return loadMasterKey(dir, false);
    return createSecretKey(key);
  } catch (e) {
    if (e instanceof StoreError) throw e;
    return fail(`cannot create master key file ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    key.fill(0);
  }
}

/**
 * Writes DIR/name durably, mode 0600: a temp file, fsync, then rename (replace)
 * or link (no replace: false when the name already exists), then fsync of the
 * directory. A crash leaves the old file or the complete new one, never a short one.
 */
export function writeKeyFile(dir: string, name: string, bytes: Uint8Array, replace: boolean): boolean {
  const tmp = join(dir, `.${name}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (replace) renameSync(tmp, join(dir, name));
    else {
      try {
        linkSync(tmp, join(dir, name));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw e;
      }
    }
    syncDir(dir);
    return true;
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* renamed, or already gone */
    }
  }
}

/** Renames (replacing) and makes the change durable. */
export function renameDurable(dir: string, from: string, to: string): void {
  renameSync(join(dir, from), join(dir, to));
  syncDir(dir);
}

/** Removes a file if present and makes that durable. */
export function removeDurable(dir: string, name: string): void {
  try {
    unlinkSync(join(dir, name));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  syncDir(dir);
}

/** fsync the directory so the new file's name survives a power loss. */
export function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, constants.O_RDONLY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not supported on every platform */
  }
}

// -- passphrase protection ----------------------------------------------------

/**
 * scrypt cost for new wrapped files: N = 2^17, r = 8, p = 1 (128 MiB, about
 * 1 s here). A wrapped file records its own parameters; reading accepts
 * N from 2^14 to 2^20 so a crafted file cannot make an unlock take gigabytes.
 */
export const SCRYPT_PARAMS = { N: 2 ** 17, r: 8, p: 1 } as const;
const SCRYPT_MAX = { N: 2 ** 20, r: 16, p: 4 };
const WRAP_FORMAT = 'keyhold-master-key';
/** Shortest accepted passphrase. */
export const MIN_PASSPHRASE = 12;

/** DIR/master.key.locked and its siblings: JSON, every binary field base64. */
export interface WrappedKey {
  format: typeof WRAP_FORMAT;
  /** Format version of this file. */
  version: 1;
  /** The master key version it holds (the meta table's master-key-version). */
  keyVersion: number;
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  cipher: 'aes-256-gcm';
  nonce: string;
  ciphertext: string;
  tag: string;
  /** keyCheckValue of the wrapped key: compares it with a raw key file without the passphrase. */
  check: string;
}

/** A one-way fingerprint of a key (HMAC-SHA256 of a fixed label, 16 bytes hex): tells two keys apart, reveals nothing of either. */
export function keyCheckValue(key: KeyObject): string {
  return createHmac('sha256', key).update('keyhold/master-key/check/v1').digest('hex').slice(0, 32);
}

export function passphraseProblem(passphrase: string): string | undefined {
  if ([...passphrase].length < MIN_PASSPHRASE) return `the passphrase must have at least ${MIN_PASSPHRASE} characters`;
  if (passphrase.length > 1024) return 'the passphrase must have at most 1024 characters';
  if (/[\u0000-\u001f]/.test(passphrase)) return 'the passphrase must be one line without control characters';
  return undefined;
}

function deriveWrappingKey(passphrase: string, salt: Buffer, N: number, r: number, p: number): Promise<KeyObject> {
  return new Promise((resolve, reject) => {
    // Async: runs on the thread pool, so the KMIP listener in the same thread keeps answering.
    scryptCb(Buffer.from(passphrase.normalize('NFC'), 'utf8'), salt, 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, out) => {
      if (err) return reject(new StoreError('INTERNAL', `scrypt failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`));
      try {
        resolve(createSecretKey(out));
      } finally {
        out.fill(0);
      }
    });
  });
}

const wrapAad = (keyVersion: number) => Buffer.from(`keyhold/master-key/v1\0${keyVersion}`, 'utf8');

/** The key wrapped under the passphrase, as the JSON text of a .locked file. */
export async function wrapKey(key: KeyObject, keyVersion: number, passphrase: string): Promise<Buffer> {
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const { N, r, p } = SCRYPT_PARAMS;
  const kek = await deriveWrappingKey(passphrase, salt, N, r, p);
  const raw = key.export();
  try {
    const c = createCipheriv('aes-256-gcm', kek, nonce, { authTagLength: 16 });
    c.setAAD(wrapAad(keyVersion));
    const ciphertext = Buffer.concat([c.update(raw), c.final()]);
    const doc: WrappedKey = {
      format: WRAP_FORMAT, version: 1, keyVersion, kdf: 'scrypt', N, r, p,
      salt: salt.toString('base64'), cipher: 'aes-256-gcm', nonce: nonce.toString('base64'),
      ciphertext: ciphertext.toString('base64'), tag: c.getAuthTag().toString('base64'), check: keyCheckValue(key),
    };
    return Buffer.from(`${JSON.stringify(doc, null, 2)}\n`, 'utf8');
  } finally {
    raw.fill(0);
  }
}

/** Parses and checks a wrapped key file (not the passphrase). */
export function readWrapped(path: string, what = 'wrapped master key file'): WrappedKey {
  const buf = readSecureFile(path, 64 * 1024, what);
  let doc: Partial<WrappedKey>;
  try {
    doc = JSON.parse(buf.toString('utf8')) as Partial<WrappedKey>;
  } catch {
    fail(`${what} ${path} is not valid JSON`);
  }
  const b64 = (v: unknown, len?: number) => typeof v === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(v) && (len === undefined || Buffer.from(v, 'base64').length === len);
  const pow2 = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 2 ** 14 && n <= SCRYPT_MAX.N && (n & (n - 1)) === 0;
  const ok =
    typeof doc === 'object' && doc !== null && doc.format === WRAP_FORMAT && doc.version === 1 && doc.kdf === 'scrypt' && doc.cipher === 'aes-256-gcm' &&
    typeof doc.keyVersion === 'number' && Number.isInteger(doc.keyVersion) && doc.keyVersion >= 1 && doc.keyVersion <= 255 &&
    pow2(doc.N) && Number.isInteger(doc.r) && doc.r! >= 1 && doc.r! <= SCRYPT_MAX.r && Number.isInteger(doc.p) && doc.p! >= 1 && doc.p! <= SCRYPT_MAX.p &&
    b64(doc.salt) && Buffer.from(doc.salt!, 'base64').length >= 16 && b64(doc.nonce, 12) && b64(doc.ciphertext, MASTER_KEY_BYTES) && b64(doc.tag, 16) &&
    typeof doc.check === 'string' && /^[0-9a-f]{32}$/.test(doc.check);
  if (!ok) fail(`${what} ${path} is not a Keyhold wrapped master key (damaged, or written by a newer Keyhold)`);
  return doc as WrappedKey;
}

/** The key inside a wrapped file; WrongPassphraseError when the passphrase does not open it. */
export async function unwrapKey(w: WrappedKey, passphrase: string): Promise<KeyObject> {
  const kek = await deriveWrappingKey(passphrase, Buffer.from(w.salt, 'base64'), w.N, w.r, w.p);
  let raw: Buffer | undefined;
  try {
    const d = createDecipheriv('aes-256-gcm', kek, Buffer.from(w.nonce, 'base64'), { authTagLength: 16 });
    d.setAAD(wrapAad(w.keyVersion));
    d.setAuthTag(Buffer.from(w.tag, 'base64'));
    raw = Buffer.concat([d.update(Buffer.from(w.ciphertext, 'base64')), d.final()]);
  } catch {
    throw new WrongPassphraseError();
  }
  try {
    const key = createSecretKey(raw);
    if (keyCheckValue(key) !== w.check) fail('the wrapped master key does not match its own check value (damaged file)');
    return key;
  } finally {
    raw.fill(0);
  }
}

// -- what is on disk ---------------------------------------------------------

const has = (dir: string, name: string) => existsSync(join(dir, name));

/** The protection DIR's files show (after settleProtection). A new data dir has a key file. */
export function protectionOf(dir: string): Protection {
  return has(dir, LOCKED_FILE) || has(dir, UNPROTECTING_FILE) ? 'passphrase' : 'key-file';
}

/** Versions of the retired keys in DIR, ascending. */
export function retiredVersions(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const m = RETIRED.exec(n);
    return m ? [Number(m[1])] : [];
  }).sort((a, b) => a - b);
}

/** Whether a key-bearing file holds a wrapped key (JSON) rather than 32 raw bytes. */
export function isWrappedFile(path: string): boolean {
  const buf = readSecureFile(path, 64 * 1024, 'master key file');
  try {
    return buf.length !== MASTER_KEY_BYTES && buf[0] === 0x7b; // '{'
  } finally {
    buf.fill(0);
  }
}

/**
 * Finishes or undoes a change of protection that a crash interrupted; the
 * caller holds DIR's lock. Returns what it did, one sentence each (for the log).
 *
 * - to passphrase: master.key.locked is complete (written and fsynced) before
 *   master.key is removed, so both present with the same key means the
 *   conversion got that far: remove master.key.
 * - to key file: master.key.locked is first renamed to .unprotecting, then
 *   master.key is written, then .unprotecting removed. .unprotecting with
 *   master.key: finish; .unprotecting alone: undo (rename it back).
 * Two files holding different keys are never resolved by guessing.
 */
export function settleProtection(dir: string): string[] {
  const notes: string[] = [];
  const raw = () => readRawKey(join(dir, MASTER_KEY_FILE));
  if (has(dir, UNPROTECTING_FILE)) {
    const w = readWrapped(join(dir, UNPROTECTING_FILE));
    if (has(dir, MASTER_KEY_FILE)) {
      if (keyCheckValue(raw()) !== w.check) fail(`${join(dir, MASTER_KEY_FILE)} and ${join(dir, UNPROTECTING_FILE)} hold different keys; keep the one that opens the database and move the other away`);
      removeDurable(dir, UNPROTECTING_FILE);
      notes.push('finished an interrupted change of the master key protection to a key file');
    } else if (has(dir, LOCKED_FILE)) {
      fail(`both ${LOCKED_FILE} and ${UNPROTECTING_FILE} exist in ${dir}; keep the one that opens the database and move the other away`);
    } else {
      renameDurable(dir, UNPROTECTING_FILE, LOCKED_FILE);
      notes.push('undid an interrupted change of the master key protection to a key file (the passphrase still protects it)');
    }
  }
  if (has(dir, LOCKED_FILE) && has(dir, MASTER_KEY_FILE)) {
    const w = readWrapped(join(dir, LOCKED_FILE));
    if (keyCheckValue(raw()) !== w.check) fail(`${join(dir, MASTER_KEY_FILE)} and ${join(dir, LOCKED_FILE)} hold different keys; keep the one that opens the database and move the other away`);
    removeDurable(dir, MASTER_KEY_FILE);
    notes.push('finished an interrupted change of the master key protection to a passphrase (removed the plain master.key)');
  }
  return notes;
}

/** The key files a store opens with: the current key and, while a rotation is unfinished, the next one. */
export interface MasterKeys {
  protection: Protection;
  current: KeyObject;
  next: KeyObject | null;
}

/** Key-file protection: reads DIR/master.key (created when `create`) and master.key.next if present. */
export function loadKeyFiles(dir: string, create: boolean): MasterKeys {
  const current = loadMasterKey(dir, create);
  const nextPath = join(dir, MASTER_KEY_FILE + NEXT_SUFFIX);
  return { protection: 'key-file', current, next: existsSync(nextPath) ? readRawKey(nextPath, 'next master key file') : null };
}

/** Passphrase protection: unwraps DIR/master.key.locked (and .next if present); WrongPassphraseError when it does not open. */
export async function unlockKeyFiles(dir: string, passphrase: string): Promise<MasterKeys> {
  const w = readWrapped(join(dir, LOCKED_FILE));
  const current = await unwrapKey(w, passphrase);
  const nextPath = join(dir, LOCKED_FILE + NEXT_SUFFIX);
  const next = existsSync(nextPath) ? await unwrapKey(readWrapped(nextPath, 'next wrapped master key file'), passphrase) : null;
  return { protection: 'passphrase', current, next };
}

/** Key version N after its rotation (raw, or wrapped: then the passphrase is needed). */
export async function loadRetiredKey(dir: string, version: number, passphrase?: string): Promise<KeyObject> {
  const path = join(dir, retiredFile(version));
  if (!existsSync(path)) fail(`there is no retired master key version ${version} (${path})`);
  if (!isWrappedFile(path)) return readRawKey(path, 'retired master key file');
  if (passphrase === undefined) fail(`retired master key version ${version} is protected by a passphrase`);
  return unwrapKey(readWrapped(path, 'retired master key file'), passphrase);
}

/**
 * Tests only: KEYHOLD_TEST_CRASH_AT=<point> kills the whole process (SIGKILL,
 * no cleanup) when a master key change reaches that point, to prove the
 * change can be finished or undone at the next start.
 */
export function crashPoint(point: string): void {
  if (process.env.KEYHOLD_TEST_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
}

/**
 * The last steps of a rotation from version `from`, once the database is
 * re-encrypted under the next key: the current key file is copied to
 * master.key.v<from>.retired, then the .next file renamed over it. Both steps
 * can be repeated after a crash (settleRotation in sqlite-store.ts).
 */
export function finishRotationFiles(dir: string, protection: Protection, from: number): void {
  const name = keyFileOf(protection);
  const buf = readSecureFile(join(dir, name), 64 * 1024, 'master key file');
  try {
    writeKeyFile(dir, retiredFile(from), buf, true);
  } finally {
    buf.fill(0);
  }
  renameDurable(dir, name + NEXT_SUFFIX, name);
}

/** An unfinished rotation whose transaction never committed: its next key is of no use. */
export function discardNextKey(dir: string, protection: Protection): void {
  removeDurable(dir, keyFileOf(protection) + NEXT_SUFFIX);
}
