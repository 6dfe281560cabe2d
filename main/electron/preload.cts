// Sandboxed preload: CommonJS, and bundled (build/vite.preload.config.ts) into
// one file because a sandboxed preload cannot require our other modules.
//
// The bridge is generated from the contract: one function per call name, and
// `on` for contract events only. The renderer never gets ipcRenderer itself nor
// the IpcRendererEvent (whose `sender` would be ipcRenderer).

// `import x = require()` is how a .cts file says "CommonJS" under verbatimModuleSyntax.
import electron = require('electron');
import contract = require('../../shared/ipc/contract.js');
import type { IpcRendererEvent } from 'electron';
import type { CallName, KeyholdBridge } from '../../shared/ipc/contract.js';

const { contextBridge, ipcRenderer } = electron;
const { callChannel, callNames, eventChannel, isEventName } = contract;

const call = Object.freeze(
  Object.fromEntries(
    callNames.map((name: CallName) => [name, (args: unknown) => ipcRenderer.invoke(callChannel(name), args)]),
  ),
) as KeyholdBridge['call'];

const bridge: KeyholdBridge = {
  call,
  on(name, listener) {
    if (!isEventName(name)) throw new Error(`Unknown event: ${String(name)}`);
    const channel = eventChannel(name);
    const relay = (_event: IpcRendererEvent, payload: unknown) => listener(payload as Parameters<typeof listener>[0]);
    ipcRenderer.on(channel, relay);
    return () => {
      ipcRenderer.removeListener(channel, relay);
    };
  },
};

contextBridge.exposeInMainWorld('keyhold', bridge);
