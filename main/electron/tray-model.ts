// What the tray shows for an engine status: pure data, no Electron import,
// so it is unit-tested in plain Node (test/electron-glue.test.ts); tray.ts
// turns it into a Tray and a Menu.
import { join } from 'node:path';
import type { EngineStatus } from '../../shared/ipc/contract.js';

/** The four states the tray tells apart (plus the moments in between). */
export type TrayState = 'running' | 'stopped' | 'error' | 'locked' | 'starting' | 'stopping';

export function trayState(status: EngineStatus | null): TrayState {
  // Not known yet (the first status is on its way).
  if (status === null) return 'starting';
  if (status.state === 'stopped') return status.lastError === null ? 'stopped' : 'error';
  return status.state;
}

const LABEL: Readonly<Record<TrayState, string>> = {
  running: 'KMIP server: running',
  stopped: 'KMIP server: stopped',
  error: 'KMIP server: stopped after an error',
  locked: 'KMIP server: locked (open Keyhold to give the master key passphrase)',
  starting: 'KMIP server: starting…',
  stopping: 'KMIP server: stopping…',
};

/** The tray icons (resources/tray/<icon>.png and <icon>@2x.png, made by build/gen-tray-icons.mjs): green, grey, red, amber. */
export const TRAY_ICONS = ['running', 'stopped', 'error', 'locked'] as const;
export type TrayIcon = (typeof TRAY_ICONS)[number];

/** The icon for a state: the moments in between show grey, as stopped (the menu's first line says which). */
export function trayIcon(state: TrayState): TrayIcon {
  switch (state) {
    case 'running':
    case 'error':
    case 'locked':
    case 'stopped':
      return state;
    case 'starting':
    case 'stopping':
      return 'stopped';
  }
}

/** The icon's file in `dir` (resources/tray): Electron's nativeImage also loads the @2x file beside it on HiDPI screens. */
export function trayIconFile(dir: string, icon: TrayIcon): string {
  return join(dir, `${icon}.png`);
}

export interface TrayItem {
  id: 'state' | 'detail' | 'start' | 'stop' | 'open' | 'quit' | 'separator';
  label: string;
  enabled: boolean;
}

export interface TrayModel {
  state: TrayState;
  icon: TrayIcon;
  /** Hover text: the state and where it listens, or why it stopped. */
  tooltip: string;
  items: TrayItem[];
}

export function trayModel(status: EngineStatus | null): TrayModel {
  const state = trayState(status);
  const where = status?.endpoint ? ` on ${status.endpoint}` : '';
  const why = state === 'error' && status?.lastError ? status.lastError.message : null;
  const items: TrayItem[] = [{ id: 'state', label: `${LABEL[state]}${where}`, enabled: false }];
  if (why !== null) items.push({ id: 'detail', label: why.length > 120 ? `${why.slice(0, 119)}…` : why, enabled: false });
  items.push(
    { id: 'start', label: 'Start server', enabled: state === 'stopped' || state === 'error' },
    { id: 'stop', label: 'Stop server', enabled: state === 'running' || state === 'locked' },
    { id: 'separator', label: '', enabled: false },
    { id: 'open', label: 'Open Keyhold', enabled: true },
    { id: 'quit', label: 'Quit Keyhold (stops the server)', enabled: true },
  );
  return { state, icon: trayIcon(state), tooltip: `Keyhold: ${LABEL[state].replace(/^KMIP server: /, 'KMIP server ')}${where}${why === null ? '' : ` (${why.slice(0, 100)})`}`, items };
}
