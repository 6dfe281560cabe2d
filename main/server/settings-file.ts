// DIR/settings.json: the server's name, KMIP port and TLS settings the admin
// UI sets (settings.set, the setup wizard's step 3), and the desktop app's own
// options. `keyhold serve` takes its defaults from here; its flags win.
//   {"serverName": "Keyhold", "kmipPort": 5696, "tlsMin": "1.2",
//    "tlsProfile": "modern", "app": {"startServerAtLaunch": true, "openAtLogin": false}}
// Every field is optional in the file (absent: the default); a field that is
// present and wrong is an error naming the file and the field.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { checkPort, checkServerName } from '../../shared/forms/fields.js';
import { writeFileAtomic } from '../pki/index.js';

export const SETTINGS_FILE = 'settings.json';

export interface AppOptions {
  /** The desktop app starts the KMIP server when it opens. */
  startServerAtLaunch: boolean;
  /** The desktop app opens when the user logs in. */
  openAtLogin: boolean;
}

export interface ServerSettings {
  /** Letters, digits and underscore (shared/forms/fields.ts checkServerName). */
  serverName: string;
  kmipPort: number;
  tlsMin: '1.2' | '1.3';
  tlsProfile: 'modern' | 'compatible';
  app: AppOptions;
}

export const DEFAULT_SETTINGS: Readonly<ServerSettings> = Object.freeze({
  serverName: 'Keyhold',
  kmipPort: 5696,
  tlsMin: '1.2',
  tlsProfile: 'modern',
  app: Object.freeze({ startServerAtLaunch: true, openAtLogin: false }),
});

export function settingsFile(dataDir: string): string {
  return path.join(dataDir, SETTINGS_FILE);
}

const FIELDS = ['serverName', 'kmipPort', 'tlsMin', 'tlsProfile', 'app'];
const APP_FIELDS = ['startServerAtLaunch', 'openAtLogin'];

export function parseSettings(text: string, file: string): ServerSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${file}: expected an object of settings`);
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!FIELDS.includes(k)) throw new Error(`${file}: unknown field "${k}" (one of ${FIELDS.join(', ')})`);
  const out: ServerSettings = { ...DEFAULT_SETTINGS, app: { ...DEFAULT_SETTINGS.app } };
  if (r.serverName !== undefined) {
    const n = checkServerName(String(r.serverName));
    if (typeof r.serverName !== 'string' || !n.ok) throw new Error(`${file}: serverName: ${n.ok ? 'must be a string' : n.message}`);
    out.serverName = n.value;
  }
  if (r.kmipPort !== undefined) {
    const p = typeof r.kmipPort === 'number' ? checkPort(r.kmipPort) : undefined;
    if (p === undefined || !p.ok || !Number.isInteger(r.kmipPort)) throw new Error(`${file}: kmipPort must be a whole number from 1 to 65535`);
    out.kmipPort = p.value;
  }
  if (r.tlsMin !== undefined) {
    if (r.tlsMin !== '1.2' && r.tlsMin !== '1.3') throw new Error(`${file}: tlsMin must be "1.2" or "1.3"`);
    out.tlsMin = r.tlsMin;
  }
  if (r.tlsProfile !== undefined) {
    if (r.tlsProfile !== 'modern' && r.tlsProfile !== 'compatible') throw new Error(`${file}: tlsProfile must be "modern" or "compatible"`);
    out.tlsProfile = r.tlsProfile;
  }
  if (r.app !== undefined) {
    if (typeof r.app !== 'object' || r.app === null || Array.isArray(r.app)) throw new Error(`${file}: app must be an object`);
    const a = r.app as Record<string, unknown>;
    for (const k of Object.keys(a)) if (!APP_FIELDS.includes(k)) throw new Error(`${file}: app: unknown field "${k}" (one of ${APP_FIELDS.join(', ')})`);
    for (const k of APP_FIELDS as (keyof AppOptions)[]) {
      if (a[k] === undefined) continue;
      if (typeof a[k] !== 'boolean') throw new Error(`${file}: app.${k} must be true or false`);
      out.app[k] = a[k];
    }
  }
  return out;
}

/** DIR/settings.json; absent: the defaults. Throws one line naming the file and the field. */
export async function readSettings(dataDir: string): Promise<ServerSettings> {
  const file = settingsFile(dataDir);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ...DEFAULT_SETTINGS, app: { ...DEFAULT_SETTINGS.app } };
    throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseSettings(text, file);
}

export async function writeSettings(dataDir: string, s: ServerSettings): Promise<void> {
  await fsp.mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(settingsFile(dataDir), `${JSON.stringify(s, null, 2)}\n`, 0o600);
}

/** The readable differences between two settings. */
export function settingsDiff(a: ServerSettings, b: ServerSettings): string[] {
  const out: string[] = [];
  if (a.serverName !== b.serverName) out.push(`server name ${a.serverName} → ${b.serverName}`);
  if (a.kmipPort !== b.kmipPort) out.push(`KMIP port ${a.kmipPort} → ${b.kmipPort}`);
  if (a.tlsMin !== b.tlsMin) out.push(`minimum TLS version ${a.tlsMin} → ${b.tlsMin}`);
  if (a.tlsProfile !== b.tlsProfile) out.push(`TLS profile ${a.tlsProfile} → ${b.tlsProfile}`);
  if (a.app.startServerAtLaunch !== b.app.startServerAtLaunch) out.push(`start the server at launch ${a.app.startServerAtLaunch} → ${b.app.startServerAtLaunch}`);
  if (a.app.openAtLogin !== b.app.openAtLogin) out.push(`open at login ${a.app.openAtLogin} → ${b.app.openAtLogin}`);
  return out;
}
