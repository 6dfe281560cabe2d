// The Dashboard's state: dashboard.summary (refreshed every few seconds while
// shown), and the requests/s series counted from the live audit records
// (each `request` record is one KMIP batch item), one bucket per second.
import type { AuditEventPayload } from '../../../../shared/ipc/contract.js';
import type { DashboardSummary } from '../../../../shared/ipc/calls/dashboard.js';
import type { IpcError } from '../../../../shared/ipc/errors.js';
import type { KeyholdClient } from '../../api.js';
import { runAction } from '../action.js';
import { pruneCounts, rateSeries } from './rules.js';

/** Seconds the sparkline covers. */
export const RATE_WINDOW_S = 60;
const SUMMARY_EVERY_MS = 10_000;

export class DashboardState {
  summary = $state.raw<DashboardSummary | null>(null);
  error = $state.raw<IpcError | null>(null);
  loading = $state(false);
  /** Requests per second, oldest first, the last RATE_WINDOW_S seconds. */
  rate = $state.raw<number[]>(new Array<number>(RATE_WINDOW_S).fill(0));
  /** The clock the uptime is shown against (ticks every second). */
  now = $state(Date.now());

  readonly current = $derived(this.rate[this.rate.length - 1] ?? 0);
  readonly peak = $derived(Math.max(0, ...this.rate));

  readonly #client: KeyholdClient;
  readonly #counts = new Map<number, number>();

  constructor(client: KeyholdClient) {
    this.#client = client;
  }

  async refresh(): Promise<void> {
    await runAction(this, (on) => (this.loading = on), async () => {
      this.summary = await this.#client.call('dashboard.summary');
    });
  }

  onRecords(p: AuditEventPayload): void {
    for (const r of p.records) {
      if (r.kind !== 'request') continue;
      const t = Date.parse(r.at);
      if (Number.isNaN(t)) continue;
      const s = Math.floor(t / 1000);
      this.#counts.set(s, (this.#counts.get(s) ?? 0) + 1);
    }
    this.#tick();
  }

  #tick(): void {
    this.now = Date.now();
    const nowSec = Math.floor(this.now / 1000);
    pruneCounts(this.#counts, nowSec, RATE_WINDOW_S);
    this.rate = rateSeries(this.#counts, nowSec, RATE_WINDOW_S);
  }

  /** Live records, the one-second clock and the periodic summary; returns the stop function. */
  connect(): () => void {
    const off = this.#client.on('audit.records', (p) => this.onRecords(p));
    const tick = setInterval(() => this.#tick(), 1000);
    const summary = setInterval(() => void this.refresh(), SUMMARY_EVERY_MS);
    return () => {
      off();
      clearInterval(tick);
      clearInterval(summary);
    };
  }
}
