// Electron main entry. Thin glue only: window, session hardening, app://
// protocol, IPC binding and tray. Everything with logic lives in main/admin/
// (no Electron imports, unit-tested in plain Node).

import { BrowserWindow, app, ipcMain, session, type Session, type WebContents } from 'electron';
import log from 'electron-log/main';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findAppRoot, readAppInfo, rendererDistDir } from '../admin/app-info.js';
import { createWorkerEngine } from '../admin/engine.js';
import { createAdminService } from '../admin/handlers.js';
import { APP_ENTRY_URL, ELECTRON_CSP } from '../admin/security.js';
import { EngineHost } from '../engine/host.js';
import { bindIpc, forwardEvents } from './ipc.js';
import { handleAppScheme, registerAppScheme } from './protocol.js';
import { createTray, type AppTray } from './tray.js';

const appRoot = findAppRoot(import.meta.url);
// Built next to this file by build/vite.preload.config.ts.
const preloadPath = fileURLToPath(new URL('./preload.cjs', import.meta.url));

// The engine (database now, KMIP server later) lives in a worker thread so a
// busy or crashing engine never freezes the window; the host restarts it.
const engineHost = new EngineHost({ dbPath: join(app.getPath('userData'), 'keyhold.db'), log });
const engine = createWorkerEngine(engineHost);
const service = createAdminService({ appInfo: readAppInfo(appRoot, 'desktop'), engine, log });

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

registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  // A second instance would fight the first over the KMIP port and the database.
  app.quit();
} else {
  app.on('second-instance', showWindow);
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));
  // Closing the window leaves the app (and later the KMIP server) running in the tray.
  app.on('window-all-closed', () => {});
  app.on('activate', showWindow);
  let engineStopped = false;
  app.on('will-quit', (event) => {
    appTray?.dispose();
    appTray = null;
    if (engineStopped) return;
    // Let the worker finish its writes and close the database before exiting.
    event.preventDefault();
    engineHost
      .stop()
      .catch((err: unknown) => log.error('stopping the engine failed:', err))
      .finally(() => {
        engineStopped = true;
        app.quit();
      });
  });

  app
    .whenReady()
    .then(async () => {
      try {
        await engineHost.start();
      } catch (err: unknown) {
        // The window still opens: it shows the engine as stopped, with the reason.
        log.error('the engine did not start:', err);
      }
      hardenSession(session.defaultSession);
      handleAppScheme(rendererDistDir(appRoot));
      bindIpc(ipcMain, service);
      forwardEvents(service, () => (mainWindow && !mainWindow.isDestroyed() ? mainWindow.webContents : null));
      appTray = createTray(join(appRoot, 'resources', 'tray.png'), engine, { showWindow, quit: () => app.quit() }, log);
      showWindow();
    })
    .catch((err: unknown) => {
      log.error('startup failed:', err);
      app.exit(1);
    });
}
