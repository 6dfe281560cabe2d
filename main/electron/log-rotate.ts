// Log rotation for the desktop app's files (logging.ts): no Electron import,
// so it is tested in plain Node.
import { renameSync, rmSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

export const KEEP_LOGS = 5;

/** main.log -> main.1.log -> … -> main.KEEP.log (the oldest is dropped); main.log is then free for new lines. */
export function rotate(file: string, keep = KEEP_LOGS): void {
  const ext = extname(file);
  const stem = join(dirname(file), basename(file, ext));
  rmSync(`${stem}.${keep}${ext}`, { force: true });
  for (let i = keep - 1; i >= 1; i--) {
    try {
      renameSync(`${stem}.${i}${ext}`, `${stem}.${i + 1}${ext}`);
    } catch {
      // not there yet
    }
  }
  renameSync(file, `${stem}.1${ext}`);
}
