// Electron main entry. Thin glue only: window, session hardening, app://
// protocol, IPC binding, tray, log files and login item. Everything with logic
// lives in main/admin/ and main/server/ (no Electron imports, tested in plain
// Node); the engine runs as under `keyhold serve`: an EngineHost whose worker
// runs the KMIP server on the data dir, here app.getPath('userData') (the same
// folder `keyhold serve` uses by default: main/server/data-dir.ts).

import { BrowserWindow, app, dialog, ipcMain, session, type Session, type WebContents } from 'electron';
import { unwatchFile, watchFile } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findAppRoot, readAppInfo, rendererDistDir } from '../admin/app-info.js';
import { createWorkerEngine } from '../admin/engine.js';
import { createAdminService } from '../admin/handlers.js';
import { APP_ENTRY_URL, ELECTRON_CSP } from '../admin/security.js';
import { EngineHost } from '../engine/host.js';
import { startControlSocket, type ControlServer } from '../server/control-socket.js';
import { acquireLock } from '../server/lock.js';
import { CONTROL_TIMEOUT_MS } from '../server/serve.js';
import { readSettings, settingsFile } from '../server/settings-file.js';
import { bindIpc, forwardEvents } from './ipc.js';
import { setUpLogging } from './logging.js';
import { handleAppScheme, registerAppScheme } from './protocol.js';
import { createTray, type AppTray } from './tray.js';

const appRoot = findAppRoot(import.meta.url);
// Built next to this file by build/vite.preload.config.ts.
const preloadPath = fileURLToPath(new URL('./preload.cjs', import.meta.url));
const logs = setUpLogging();
const log = logs.main;
const dataDir = app.getPath('userData');
const GRACE_MS = 5_000;

// The engine (the KMIP server and its store) lives in a worker thread so a
// busy or crashing engine never freezes the window; the host restarts it.
// Its own database is an in-memory one that only answers ping, as in serve.
const engineHost = new EngineHost({ log, stopGraceMs: GRACE_MS + 5_000 });
engineHost.on('log', ({ level, message }) => logs.worker[level](message));
/** Every start reads the saved settings (the Settings screen writes them). */
const engine = createWorkerEngine(engineHost, {
  params: async () => {
    const s = await readSettings(dataDir);
    return { dataDir, host: null, port: s.kmipPort, minVersion: s.tlsMin === '1.3' ? 'TLSv1.3' : 'TLSv1.2', tlsProfile: s.tlsProfile };
  },
  graceMs: GRACE_MS,
  log,
});
const service = createAdminService({ appInfo: readAppInfo(appRoot, 'desktop'), engine, log, dataDir, host: engineHost });

let mainWindow: BrowserWindow | null = null;
let appTray: AppTray | null = null;

function hardenSession(ses: Session): void {
  // The admin UI needs no camera, notifications, clipboard, USB, ...: deny all.
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers = Object.fromEntries(
      Object.entries(details.responseHeaders ?? {}).filter(([k]) => k.toLowerCase() !== 'content-security-policy'),
    );
    callback({ responseHeaders: { ...headers, 'Content-Security-Policy': [ELECTRON_CSP] } });
  });
}

function hardenContents(contents: WebContents): void {
  // A single-page app never navigates or opens windows; anything that tries is hostile.
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-frame-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

function showWindow(): void {
  if (mainWindow && !mainWindow.isDestroyed()) {
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
    return;
  }
  const win = new BrowserWindow({
    width: 1024,
    height: 720,
    show: false,
    title: 'Keyhold',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  mainWindow = win;
  win.loadURL(APP_ENTRY_URL).catch((err: unknown) => log.error('loading the UI failed:', err));
}

/** The desktop options of DIR/settings.json that the OS holds: open at login. */
async function applyLoginItem(): Promise<void> {
  try {
    const s = await readSettings(dataDir);
    if (app.getLoginItemSettings().openAtLogin !== s.app.openAtLogin) app.setLoginItemSettings({ openAtLogin: s.app.openAtLogin });
  } catch (err) {
    log.warn('settings: open at login not applied:', err instanceof Error ? err.message : err);
  }
}

registerAppScheme();

let releaseLock: (() => void) | null = null;
let control: ControlServer | undefined;

if (!app.requestSingleInstanceLock()) {
  // A second instance would fight the first over the KMIP port and the database.
  app.quit();
} else {
  app.on('second-instance', showWindow);
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));
  // Closing the window leaves the app, and the KMIP server, running in the tray.
  app.on('window-all-closed', () => {});
  app.on('activate', showWindow);
  let engineStopped = false;
  app.on('will-quit', (event) => {
    appTray?.dispose();
    appTray = null;
    if (engineStopped) return;
    // Let the server finish its requests and the worker close the store before exiting.
    event.preventDefault();
    unwatchFile(settingsFile(dataDir));
    engine
      .stop('app')
      .catch((err: unknown) => log.error('stopping the KMIP server failed:', err))
      .then(() => control?.close())
      .then(() => engineHost.stop())
      .catch((err: unknown) => log.error('stopping the engine failed:', err))
      .finally(() => {
        engine.dispose();
        releaseLock?.();
        engineStopped = true;
        app.quit();
      });
  });

  app
    .whenReady()
    .then(async () => {
      try {
        // The data dir is one server's: not while `keyhold serve` runs on it.
        releaseLock = acquireLock(dataDir);
      } catch (err) {
        dialog.showErrorBox('Keyhold cannot start', `${err instanceof Error ? err.message : String(err)}\n\nStop the other Keyhold server using ${dataDir} (keyhold serve?), then open Keyhold again.`);
        app.exit(1);
        return;
      }
      hardenSession(session.defaultSession);
      handleAppScheme(rendererDistDir(appRoot));
      bindIpc(ipcMain, service);
      forwardEvents(service, () => (mainWindow && !mainWindow.isDestroyed() ? mainWindow.webContents : null));
      appTray = createTray(join(appRoot, 'resources', 'tray'), engine, { showWindow, quit: () => app.quit() }, log);
      showWindow();
      try {
        await engineHost.start();
        // `keyhold object …`, `keyhold backup now` … reach the server as they do under keyhold serve.
        control = await startControlSocket(dataDir, (method, params) => engineHost.request(method, params as never, { timeoutMs: CONTROL_TIMEOUT_MS[method] ?? 10_000 }), log);
      } catch (err: unknown) {
        // The window still opens: it shows the engine as stopped, with the reason.
        log.error('the engine did not start:', err);
        return;
      }
      await applyLoginItem();
      // The Settings screen writes the file; the login item follows within seconds.
      watchFile(settingsFile(dataDir), { interval: 2_000 }, () => void applyLoginItem());
      const settings = await readSettings(dataDir).catch(() => null);
      if (settings?.app.startServerAtLaunch ?? true) {
        // A failure shows in the tray and the window (lastError), with the reason.
        await engine.start('app').catch((err: unknown) => log.error('the KMIP server did not start:', err instanceof Error ? err.message : err));
      }
    })
    .catch((err: unknown) => {
      log.error('startup failed:', err);
      app.exit(1);
    });
}
