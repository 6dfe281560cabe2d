// Tray icon with the server controls (menu from tray-model.ts). Talks to the
// engine only through EngineController, the interface the admin handlers use;
// closing the window leaves the app, and the KMIP server, running here.

import { Menu, Tray, nativeImage, type MenuItemConstructorOptions, type NativeImage } from 'electron';
import type { EngineStatus } from '../../shared/ipc/contract.js';
import type { EngineController } from '../admin/engine.js';
import type { Logger } from '../admin/log.js';
import { TRAY_ICONS, trayIconFile, trayModel, type TrayIcon, type TrayItem } from './tray-model.js';

export interface TrayActions {
  showWindow(): void;
  quit(): void;
}

export interface AppTray {
  readonly tray: Tray;
  dispose(): void;
}

/** `iconDir`: resources/tray, with one icon per state (tray-model.ts TRAY_ICONS). */
export function createTray(iconDir: string, engine: EngineController, actions: TrayActions, log: Logger): AppTray {
  const images = Object.fromEntries(TRAY_ICONS.map((icon) => [icon, nativeImage.createFromPath(trayIconFile(iconDir, icon))])) as Record<TrayIcon, NativeImage>;
  for (const icon of TRAY_ICONS) if (images[icon].isEmpty()) log.warn(`tray: icon ${trayIconFile(iconDir, icon)} is missing or unreadable`);
  let shown: TrayIcon = 'stopped';
  const tray = new Tray(images[shown]);
  tray.setToolTip('Keyhold');

  const run = (what: string, op: () => Promise<void>) => () => {
    // A failed start shows in the state line (lastError) too; the log keeps the detail.
    op().catch((err: unknown) => log.warn(`tray: ${what} failed:`, err instanceof Error ? err.message : err));
  };
  const click: Partial<Record<TrayItem['id'], () => void>> = {
    start: run('start', () => engine.start('tray')),
    stop: run('stop', () => engine.stop('tray')),
    open: () => actions.showWindow(),
    quit: () => actions.quit(),
  };

  const render = (status: EngineStatus | null) => {
    const model = trayModel(status);
    if (model.icon !== shown) {
      shown = model.icon;
      tray.setImage(images[shown]);
    }
    tray.setToolTip(model.tooltip);
    // macOS shows text beside the icon: the state at a glance.
    if (process.platform === 'darwin') tray.setTitle(model.state === 'running' ? '' : model.state);
    const template: MenuItemConstructorOptions[] = model.items.map((item) =>
      item.id === 'separator' ? { type: 'separator' } : { label: item.label, enabled: item.enabled, ...(click[item.id] ? { click: click[item.id] } : {}) },
    );
    tray.setContextMenu(Menu.buildFromTemplate(template));
  };

  render(null);
  void Promise.resolve(engine.status()).then(render, (err: unknown) => log.warn('tray: engine status failed:', err));
  const unsubscribe = engine.onStatusChanged(render);
  // A click on the icon itself (Windows, most Linux trays) opens the window.
  tray.on('click', () => actions.showWindow());
  return {
    tray,
    dispose() {
      unsubscribe();
      tray.destroy();
    },
  };
}
