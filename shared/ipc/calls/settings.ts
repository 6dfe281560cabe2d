// Server settings (DIR/settings.json, main/server/settings-file.ts): the
// server's name, KMIP port, minimum TLS version and TLS profile, which the
// next start uses (`keyhold serve` flags win), and the desktop app's options.
import { call } from '../spec.js';
import { boolean, integer, noArgs, object, oneOf, optional, string, type NoArgs } from '../validate.js';
import { SERVER_NAME_PATTERN } from '../../forms/fields.js';

export interface SettingsView {
  serverName: string;
  kmipPort: number;
  tlsMin: '1.2' | '1.3';
  /** modern: forward-secret AEAD suites only; compatible: also the KMIP 1.x suites old clients need. */
  tlsProfile: 'modern' | 'compatible';
  app: { startServerAtLaunch: boolean; openAtLogin: boolean };
}

export interface SettingsArgs {
  serverName?: string;
  kmipPort?: number;
  tlsMin?: '1.2' | '1.3';
  tlsProfile?: 'modern' | 'compatible';
  app?: { startServerAtLaunch?: boolean; openAtLogin?: boolean };
}

export interface SettingsResult {
  settings: SettingsView;
  changes: string[];
  /** The running server uses the old port or TLS settings until it is stopped and started again. */
  restartNeeded: boolean;
}

export interface PortCheck {
  port: number;
  /** Free, or the port this Keyhold server already listens on. */
  ok: boolean;
  /** Why not (in use, needs administrator rights …), with what to do: the English sentence. */
  message: string;
  /** When not ok: the message key (errors.port.*) and its params, for the UI's language. */
  key?: string;
  params?: Record<string, string | number>;
  /** A free port near it when it is taken; null when none was found or it is free. */
  suggested: number | null;
}

export const settingsCalls = {
  'settings.get': call<NoArgs, SettingsView>(noArgs),
  /** The fields given replace the saved ones. A KMIP port another program holds is refused, naming a free one. */
  'settings.set': call<SettingsArgs, SettingsResult>(
    object({
      serverName: optional(string({ minLength: 1, maxLength: 64, pattern: SERVER_NAME_PATTERN })),
      kmipPort: optional(integer({ min: 1, max: 65535 })),
      tlsMin: optional(oneOf('1.2', '1.3')),
      tlsProfile: optional(oneOf('modern', 'compatible')),
      app: optional(object({ startServerAtLaunch: optional(boolean), openAtLogin: optional(boolean) })),
    }),
  ),
  /** Whether a KMIP port is free (as you type), and a free one near it when not. */
  'settings.checkPort': call<{ port: number }, PortCheck>(object({ port: integer({ min: 1, max: 65535 }) })),
} as const;

export const settingsEvents = {} as const;
