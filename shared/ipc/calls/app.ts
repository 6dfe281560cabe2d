// The app itself: what the shell is (desktop or headless) and its version.
import { call } from '../spec.js';
import { noArgs, type NoArgs } from '../validate.js';

/** Facts about the app that mean the same in Electron and in a browser (no OS details). */
export interface AppInfo {
  /** Display name, e.g. "Keyhold". */
  name: string;
  /** Package name, e.g. "keyhold". */
  id: string;
  version: string;
  /** Which shell hosts the admin UI. */
  mode: 'desktop' | 'headless';
}

export const appCalls = {
  'app.info': call<NoArgs, AppInfo>(noArgs),
} as const;

export const appEvents = {} as const;
