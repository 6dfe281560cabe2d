// The default data directory: the folder Electron's app.getPath('userData')
// gives for productName "Keyhold", so the desktop app and `keyhold serve`
// share one CA, one client list and one database.
import os from 'node:os';
import path from 'node:path';

export const PRODUCT_NAME = 'Keyhold';

export function defaultDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  if (platform === 'win32') return p.join(env.APPDATA ?? p.join(home, 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return p.join(home, 'Library', 'Application Support', PRODUCT_NAME);
  const xdg = env.XDG_CONFIG_HOME;
  return p.join(xdg !== undefined && p.isAbsolute(xdg) ? xdg : p.join(home, '.config'), PRODUCT_NAME);
}
