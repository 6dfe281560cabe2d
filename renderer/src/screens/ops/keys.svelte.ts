// The Keys screen's state: the table (search, filters, paging), one object's
// detail, and the lifecycle actions. IPC results are replaced whole
// ($state.raw); the engine decides every action and its refusal is shown as
// it comes (it says what to do).
import type { KeyActionResult, KeyDetail, KeyList, KeyObjectType, KeyState, RevocationReason } from '../../../../shared/ipc/calls/keys.js';
import type { IpcError } from '../../../../shared/ipc/errors.js';
import type { KeyholdClient } from '../../api.js';
import { runAction, toIpcError } from '../action.js';
import type { KeyAction } from './rules.js';

export const PAGE_SIZE = 25;
const SEARCH_DELAY_MS = 250;

export class KeysState {
  list = $state.raw<KeyList | null>(null);
  detail = $state.raw<KeyDetail | null>(null);
  error = $state.raw<IpcError | null>(null);
  /** The outcome of the last action: which one, on what, and the state it left. */
  done = $state.raw<{ action: KeyAction; result: KeyActionResult } | null>(null);
  loading = $state(false);
  busy = $state(false);

  search = $state('');
  objectType = $state<KeyObjectType | ''>('');
  stateFilter = $state<KeyState | ''>('');
  owner = $state('');
  page = $state(0);

  readonly pages = $derived(this.list === null ? 0 : Math.max(1, Math.ceil(this.list.total / PAGE_SIZE)));

  readonly #client: KeyholdClient;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #seq = 0;

  constructor(client: KeyholdClient) {
    this.#client = client;
  }

  async load(): Promise<void> {
    const seq = ++this.#seq;
    this.loading = true;
    try {
      const list = await this.#client.call('keys.list', {
        ...(this.search.trim() === '' ? {} : { search: this.search.trim() }),
        ...(this.objectType === '' ? {} : { objectType: this.objectType }),
        ...(this.stateFilter === '' ? {} : { state: this.stateFilter }),
        ...(this.owner.trim() === '' ? {} : { owner: this.owner.trim() }),
        limit: PAGE_SIZE,
        offset: this.page * PAGE_SIZE,
      });
      // A slower earlier answer must not replace a newer one.
      if (seq !== this.#seq) return;
      this.list = list;
      this.error = null;
    } catch (err) {
      if (seq === this.#seq) this.error = toIpcError(err);
    } finally {
      if (seq === this.#seq) this.loading = false;
    }
  }

  /** A changed search or filter: back to the first page, after a short pause while typing. */
  filtersChanged(immediate = false): void {
    this.page = 0;
    clearTimeout(this.#timer);
    if (immediate) void this.load();
    else this.#timer = setTimeout(() => void this.load(), SEARCH_DELAY_MS);
  }

  goTo(page: number): void {
    this.page = Math.min(Math.max(0, page), Math.max(0, this.pages - 1));
    void this.load();
  }

  async loadDetail(id: string): Promise<void> {
    this.loading = true;
    try {
      this.detail = await this.#client.call('keys.get', { id });
      this.error = null;
    } catch (err) {
      this.detail = null;
      this.error = toIpcError(err);
    } finally {
      this.loading = false;
    }
  }

  /** Runs an action; true when it succeeded. The detail is reloaded either way (the state may have moved meanwhile). */
  async act(action: KeyAction, id: string, reason?: RevocationReason, message?: string): Promise<boolean> {
    this.done = null;
    const ok = await runAction(this, (on) => (this.busy = on), async () => {
      const result =
        action === 'activate' ? await this.#client.call('keys.activate', { id })
        : action === 'revoke' ? await this.#client.call('keys.revoke', { id, reason: reason ?? 'Unspecified', ...(message ? { message } : {}) })
        : action === 'destroy' ? await this.#client.call('keys.destroy', { id })
        : await this.#client.call('keys.restore', { id });
      this.done = { action, result };
    });
    if (this.detail?.id === id) {
      try {
        this.detail = await this.#client.call('keys.get', { id });
      } catch {
        /* the error above already says what happened */
      }
    }
    return ok;
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }
}
