// Binds the contract to ipcMain. Only types come from 'electron' here (erased at
// runtime), so this file also loads in plain Node for tests with a fake ipcMain.

import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { callChannel, callNames, eventChannel } from '../../shared/ipc/contract.js';
import { ipcError, type CallResult } from '../../shared/ipc/errors.js';
import { dispatchCall } from '../admin/dispatch.js';
import type { AdminService } from '../admin/handlers.js';
import { isAppOriginUrl } from '../admin/security.js';

/**
 * Only the app's own top-level page may call. Any other frame (a navigated-away
 * window, an injected iframe, a devtools extension) is refused before its
 * arguments are even looked at.
 */
export function isTrustedSender(event: Pick<IpcMainInvokeEvent, 'senderFrame'>): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame.parent === null && isAppOriginUrl(frame.url);
}

/** Registers one ipcMain.handle per contract call; returns a function removing them all. */
export function bindIpc(ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>, service: AdminService): () => void {
  for (const name of callNames) {
    ipcMain.handle(callChannel(name), async (event: IpcMainInvokeEvent, args: unknown): Promise<CallResult<unknown>> => {
      if (!isTrustedSender(event)) {
        service.log.warn(`refused ${name} from untrusted frame`);
        return { ok: false, error: ipcError('forbidden', 'Untrusted sender') };
      }
      return dispatchCall(service.handlers, name, args, service.log);
    });
  }
  return () => {
    for (const name of callNames) ipcMain.removeHandler(callChannel(name));
  };
}

/** Pushes contract events to the window, but only while it still shows our own page. */
export function forwardEvents(service: AdminService, target: () => WebContents | null): () => void {
  return service.subscribe((ev) => {
    const wc = target();
    if (wc && !wc.isDestroyed() && isAppOriginUrl(wc.getURL())) wc.send(eventChannel(ev.name), ev.payload);
  });
}
