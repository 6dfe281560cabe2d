// Tray icon with the server controls. Talks to the engine only through
// EngineController, the same interface the admin handlers use.

import { Menu, Tray, nativeImage } from 'electron';
import type { EngineStatus } from '../../shared/ipc/contract.js';
import type { EngineController } from '../admin/engine.js';
import type { Logger } from '../admin/log.js';

export interface TrayActions {
  showWindow(): void;
  quit(): void;
}

export interface AppTray {
  readonly tray: Tray;
  dispose(): void;
}

export function createTray(iconPath: string, engine: EngineController, actions: TrayActions, log: Logger): AppTray {
  const tray = new Tray(nativeImage.createFromPath(iconPath));
  tray.setToolTip('Keyhold');

  const run = (what: string, op: () => Promise<void>) => () => {
    op().catch((err: unknown) => log.warn(`tray: ${what} failed:`, err instanceof Error ? err.message : err));
  };

  const render = (status: EngineStatus) => {
    tray.setContextMenu(
      Menu.buildFromTemplate([
        // locked: the master key is protected by a passphrase; nothing is served until it is unlocked (keyhold master-key unlock).
        { label: status.state === 'locked' ? 'KMIP server: locked (master key passphrase needed)' : `KMIP server: ${status.state}`, enabled: false },
        { label: 'Start server', enabled: status.state === 'stopped', click: run('start', () => engine.start()) },
        { label: 'Stop server', enabled: status.state === 'running' || status.state === 'locked', click: run('stop', () => engine.stop()) },
        { type: 'separator' },
        { label: 'Open Keyhold', click: () => actions.showWindow() },
        { label: 'Quit', click: () => actions.quit() },
      ]),
    );
  };

  void Promise.resolve(engine.status()).then(render, (err: unknown) => log.warn('tray: engine status failed:', err));
  const unsubscribe = engine.onStatusChanged(render);
  return {
    tray,
    dispose() {
      unsubscribe();
      tray.destroy();
    },
  };
}
