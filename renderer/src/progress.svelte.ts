// Following one long call's progress (`progress.update`, shared/ipc/calls/progress.ts):
// run() makes a random progressId, gives it to the call, and keeps `view`
// current from the events carrying that id (other windows' calls have others).
// When the call answers, the view shows done (a fast call may answer before
// its last event arrives); when it fails, the view goes (the error says why).
import type { ProgressOperation, ProgressStage } from '../../shared/ipc/calls/progress.js';
import type { KeyholdClient } from './api.js';

export interface ProgressView {
  operation: ProgressOperation;
  stage: ProgressStage;
  done: number;
  /** null: no measurable fraction (key generation): an indeterminate bar and the seconds elapsed. */
  total: number | null;
  /** Date.now() when the call began, for the seconds elapsed. */
  startedAt: number;
}

const FIRST_STAGE: Readonly<Record<ProgressOperation, ProgressStage>> = {
  backup: 'snapshot',
  verify: 'checking',
  restore: 'checking',
  keygen: 'generate-key',
};

/** 32 random hex digits: what the contract's progressId accepts, and no other window's. */
export function newProgressId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The whole percent a view shows, or null for an indeterminate one. */
export function percentOf(v: Pick<ProgressView, 'done' | 'total'>): number | null {
  if (v.total === null || v.total <= 0) return null;
  return Math.max(0, Math.min(100, Math.floor((v.done / v.total) * 100)));
}

export class ProgressTracker {
  view = $state.raw<ProgressView | null>(null);
  readonly #client: Pick<KeyholdClient, 'on'>;
  readonly #now: () => number;

  constructor(client: Pick<KeyholdClient, 'on'>, now: () => number = () => Date.now()) {
    this.#client = client;
    this.#now = now;
  }

  async run<T>(operation: ProgressOperation, call: (progressId: string) => Promise<T>): Promise<T> {
    const id = newProgressId();
    const startedAt = this.#now();
    this.view = { operation, stage: FIRST_STAGE[operation], done: 0, total: null, startedAt };
    const off = this.#client.on('progress.update', (p) => {
      if (p.id === id) this.view = { operation: p.operation, stage: p.stage, done: p.done, total: p.total, startedAt };
    });
    try {
      const result = await call(id);
      this.view = { operation, stage: 'done', done: 1, total: 1, startedAt };
      return result;
    } catch (e) {
      this.view = null;
      throw e;
    } finally {
      off();
    }
  }

  clear(): void {
    this.view = null;
  }
}
