// The headless admin's access token: DIR/admin.token, 256 random bits,
// readable by the owner only (0600), kept across restarts so an open browser
// tab keeps working after `keyhold serve` restarts. To rotate it: delete the
// file (or start with --rotate-admin-token) and restart; every tab holding
// the old one is refused from then on.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { join } from 'node:path';

export const ADMIN_TOKEN_FILE = 'admin.token';

/** 32 bytes as base64url: 43 characters. A file holding anything else is replaced. */
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

export interface AdminTokenResult {
  token: string;
  file: string;
  /** created: no usable file was there (or rotate); reused: read back; repaired: was readable by others, now 0600. */
  how: 'created' | 'reused' | 'repaired';
}

export async function adminToken(dataDir: string, opts: { rotate?: boolean } = {}): Promise<AdminTokenResult> {
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  if (!opts.rotate) {
    try {
      const st = await fs.stat(file);
      const text = (await fs.readFile(file, 'utf8')).trim();
      if (st.isFile() && TOKEN_FORMAT.test(text)) {
        // Windows has no mode bits to speak of (the profile folder is the owner's).
        if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
          // Someone else may have read it: a new one is the only safe answer.
          return { token: await write(file), file, how: 'repaired' };
        }
        return { token: text, file, how: 'reused' };
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return { token: await write(file), file, how: 'created' };
}

async function write(file: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  // A fresh file created 0600 and renamed over: never a moment with a readable token.
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.rm(tmp, { force: true });
  await fs.writeFile(tmp, `${token}\n`, { mode: 0o600, flag: 'wx' });
  await fs.rename(tmp, file);
  return token;
}
