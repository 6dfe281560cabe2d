// The master key file: 32 random bytes in DIR/master.key, mode 0600.
//
// The key is read straight into a KeyObject (native memory, not a JS string or
// a long-lived Buffer) and the temporary Buffer is zeroed, so the only copy the
// process keeps is the one the cipher needs. Nothing here logs or embeds key
// bytes in error messages.
import { randomBytes, createSecretKey, type KeyObject } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, linkSync, openSync, readSync, unlinkSync, writeSync, constants } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from './errors.js';

export const MASTER_KEY_FILE = 'master.key';
export const MASTER_KEY_BYTES = 32;

function fail(message: string): never {
  throw new StoreError('MASTER_KEY', message);
}

/** Create the key file if absent (create=true), then load it. */
export function loadMasterKey(dir: string, create: boolean): KeyObject {
  const path = join(dir, MASTER_KEY_FILE);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && create) return createMasterKey(dir, path);
    if (code === 'ENOENT') fail(`master key file ${path} is missing, but the database already holds encrypted data; restore the file from backup`);
    if (code === 'ELOOP') fail(`master key file ${path} is a symbolic link; it must be a regular file`);
    fail(`cannot read master key file ${path} (${code ?? 'error'})`);
  }
  const buf = Buffer.alloc(MASTER_KEY_BYTES + 1);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) fail(`master key file ${path} is not a regular file`);
    // Group or other access to the key defeats encryption at rest.
    if ((st.mode & 0o077) !== 0) {
      fail(`master key file ${path} has permissions ${(st.mode & 0o777).toString(8).padStart(4, '0')}; it must be 0600 (run: chmod 600 ${path})`);
    }
    if (st.size !== MASTER_KEY_BYTES) fail(`master key file ${path} must be exactly ${MASTER_KEY_BYTES} bytes, not ${st.size}`);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n !== MASTER_KEY_BYTES) fail(`master key file ${path} must be exactly ${MASTER_KEY_BYTES} bytes`);
    return createSecretKey(buf.subarray(0, MASTER_KEY_BYTES));
  } finally {
    buf.fill(0);
    closeSync(fd);
  }
}

function createMasterKey(dir: string, path: string): KeyObject {
  // Write a temp file, fsync, then link it into place: a crash never leaves a
  // short key file, and link (unlike rename) fails if another process created
  // the key first, in which case theirs is the one to use.
  const tmp = join(dir, `.${MASTER_KEY_FILE}.${process.pid}.${Date.now()}.tmp`);
  const key = randomBytes(MASTER_KEY_BYTES);
  try {
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      writeSync(fd, key);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      return loadMasterKey(dir, false);
    }
    syncDir(dir);
    return createSecretKey(key);
  } catch (e) {
    if (e instanceof StoreError) throw e;
    return fail(`cannot create master key file ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    key.fill(0);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
  }
}

/** fsync the directory so the new file's name survives a power loss. */
function syncDir(dir: string): void {
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
