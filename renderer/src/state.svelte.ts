// UI state for the admin screen. IPC results are replaced wholesale, never
// mutated in place, so $state.raw (no deep proxy) is the right fit.

import type { AppInfo, EngineStatus } from '../../shared/ipc/contract.js';
import type { IpcError } from '../../shared/ipc/errors.js';
import { KeyholdError, type KeyholdClient } from './api.js';

function toIpcError(err: unknown): IpcError {
  if (err instanceof KeyholdError) return err.toJSON();
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

export class AdminState {
  info = $state.raw<AppInfo | null>(null);
  status = $state.raw<EngineStatus | null>(null);
  error = $state.raw<IpcError | null>(null);
  loading = $state(false);

  readonly #client: KeyholdClient;

  constructor(client: KeyholdClient) {
    this.#client = client;
  }

  get transport(): KeyholdClient['transport'] {
    return this.#client.transport;
  }

  async refresh(): Promise<void> {
    this.loading = true;
    try {
      const [info, status] = await Promise.all([this.#client.call('app.info'), this.#client.call('engine.status')]);
      this.info = info;
      this.status = status;
      this.error = null;
    } catch (err) {
      this.error = toIpcError(err);
    } finally {
      this.loading = false;
    }
  }

  /**
   * Follows engine status pushes; returns the stop function (an $effect
   * cleanup). Over HTTP the event socket can drop (the server restarted, or
   * the login session ended): that shows as unavailable while a call finds
   * out which (a refused token shows as such), and every (re)connection
   * fetches the state afresh, since pushes sent in between were lost.
   */
  connect(): () => void {
    const offStatus = this.#client.on('engine.statusChanged', (status) => {
      this.status = status;
    });
    const offConnection = this.#client.onConnection?.((open) => {
      if (open) void this.refresh();
      else {
        this.error = { code: 'unavailable', message: 'Keyhold is not reachable' };
        void this.refresh();
      }
    });
    return () => {
      offStatus();
      offConnection?.();
    };
  }
}
