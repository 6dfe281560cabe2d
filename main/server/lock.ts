// One server per data directory: DIR/serve.lock, created with O_EXCL and
// holding the owner's pid. A lock whose pid no longer runs (the server was
// killed) is stale and taken over; a live one refuses the second server.
import fs from 'node:fs';
import path from 'node:path';

export const LOCK_FILE = 'serve.lock';

export class LockedError extends Error {
  override readonly name = 'LockedError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else; still a live owner.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock or throws LockedError; returns the release function (idempotent). */
export function acquireLock(dataDir: string): () => void {
  const file = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      try { fs.writeSync(fd, `${process.pid}\n`); } finally { fs.closeSync(fd); }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          // Only our own lock: never remove one a later server took over.
          if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
        } catch { /* already gone */ }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let text = '';
    try { text = fs.readFileSync(file, 'utf8').trim(); } catch { continue; } // removed meanwhile: retry
    const pid = Number(text);
    // An empty file is a lock being written right now (open and write are two steps).
    if (text === '' && attempt === 0) { sleep(50); continue; }
    if (Number.isSafeInteger(pid) && pid > 0 && alive(pid)) {
      throw new LockedError(`another Keyhold server (pid ${pid}) is already using ${dataDir}; stop it first (lock: ${file})`);
    }
    // Stale: its owner is gone. Remove and retry the exclusive create, which
    // settles a race between two servers taking over the same stale lock.
    try { fs.unlinkSync(file); } catch { /* someone else removed it */ }
  }
  throw new LockedError(`cannot take the lock ${file}; another server may be starting`);
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
