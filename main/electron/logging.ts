// Log files of the desktop app (electron-log): main.log (the main process),
// worker.log (the engine worker: the KMIP server's diagnostics) and
// renderer.log (the window's console), in Electron's logs folder, each rotated
// at 5 MB with the last five kept (main.1.log is the newest old one).

import { join } from 'node:path';
import log from 'electron-log/main';
import { rotate } from './log-rotate.js';
import type { Logger } from '../admin/log.js';

const MAX_BYTES = 5 * 1024 * 1024;

export interface AppLogs {
  main: Logger;
  worker: Logger;
}

export function setUpLogging(): AppLogs {
  // The window's console arrives here too (spyRendererConsole), marked as renderer messages.
  log.initialize({ preload: false, spyRendererConsole: true });
  const configure = (logger: typeof log, name: 'main' | 'worker') => {
    logger.transports.file.maxSize = MAX_BYTES;
    logger.transports.file.archiveLogFn = (old) => rotate(old.path);
    logger.transports.file.resolvePathFn = (vars, message) => {
      const dir = vars.electronDefaultDir ?? vars.libraryDefaultDir;
      const renderer = message?.variables?.processType === 'renderer';
      return join(dir, `${renderer ? 'renderer' : name}.log`);
    };
  };
  configure(log, 'main');
  const worker = log.create({ logId: 'worker' });
  configure(worker, 'worker');
  // The worker's lines already say what they are about ("kmip: …"); no console echo twice.
  worker.transports.console.level = false;
  return { main: log, worker };
}
