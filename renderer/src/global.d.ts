import type { KeyholdBridge } from '../../shared/ipc/contract.js';

declare global {
  interface Window {
    /** Set by the Electron preload (main/electron/preload.cts); absent in a browser. */
    readonly keyhold?: KeyholdBridge;
  }
}
