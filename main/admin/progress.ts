// The admin side of `progress.update` (shared/ipc/calls/progress.ts): the
// handlers of long calls get a reporter for the caller's progressId, and
// every subscriber (each window, each browser tab) receives the steps; the
// caller keeps those with its own id. Throttled per call: a new stage and
// the last step of a stage always go out, other steps at most every
// intervalMs, so a 10 GB backup (10,000 chunks) does not flood the UI.
import type { ProgressOperation, ProgressPayload, ProgressStep } from '../../shared/ipc/calls/progress.js';
import type { EventSource } from './calls/types.js';

export type Reporter = (step: ProgressStep) => void;

export class ProgressHub {
  readonly #listeners = new Set<(p: ProgressPayload) => void>();
  readonly #intervalMs: number;
  readonly #now: () => number;

  constructor(opts: { intervalMs?: number; now?: () => number } = {}) {
    this.#intervalMs = opts.intervalMs ?? 100;
    this.#now = opts.now ?? (() => Date.now());
  }

  /** Returns an unsubscribe function. */
  subscribe(listener: (p: ProgressPayload) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The reporter of one call; without an id (the caller asked for none) it reports nothing. */
  reporter(id: string | undefined, operation: ProgressOperation): Reporter | undefined {
    if (id === undefined) return undefined;
    let last: ProgressStep | null = null;
    let lastAt = 0;
    return (step) => {
      const now = this.#now();
      const due = last === null || step.stage !== last.stage || step.done === step.total || now - lastAt >= this.#intervalMs;
      if (!due) return;
      last = step;
      lastAt = now;
      const payload: ProgressPayload = { id, operation, stage: step.stage, done: step.done, total: step.total };
      for (const l of this.#listeners) {
        try {
          l(payload);
        } catch {
          /* one failing subscriber must not stop the others (the admin service logs its own) */
        }
      }
    };
  }
}

/** Forwards the hub's steps as `progress.update` events. */
export const progressEventSource: EventSource = (deps, emit) => deps.progress?.subscribe((payload) => emit({ name: 'progress.update', payload })) ?? (() => {});
