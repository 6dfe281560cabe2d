// The Logs screen's state: the newest records of the audit log (logs.query,
// paged further back on demand) with the live tail (audit.records) put on
// top, both under the same filters (shared/forms/log-filters.ts, as the
// engine's query applies them); pause/resume holds live records back without
// losing them; export and the audit chain status.
import type { AuditEventPayload, AuditEventRecord } from '../../../../shared/ipc/contract.js';
import type { AuditChainStatus } from '../../../../shared/ipc/calls/logs.js';
import type { IpcError } from '../../../../shared/ipc/errors.js';
import { logFilterProblem, matchesLogFilter, type LogFilter, type LogFilterProblem } from '../../../../shared/forms/log-filters.js';
import type { KeyholdClient } from '../../api.js';
import { runAction, toIpcError } from '../action.js';
import { download } from '../setup/download.js';
import { localToIso } from './rules.js';

export const LOG_PAGE = 100;
/** Rows kept on screen; older ones are still in the log (load them with a filter or export). */
export const LOG_MAX_ROWS = 2000;
/** Live records held back while paused, at most (the rest are counted as missed). */
export const LOG_MAX_HELD = 5000;

export interface ShownRecord extends AuditEventRecord {
  /** Stable key for {#each}: the stored number, or a local one for live records. */
  key: string;
  seq: number | null;
}

const sameRecord = (a: AuditEventRecord, b: AuditEventRecord) =>
  a.at === b.at && a.kind === b.kind && a.client === b.client && a.operation === b.operation && a.result === b.result && a.objects.join() === b.objects.join() && a.address === b.address;

export class LogsState {
  /** Newest first. */
  rows = $state.raw<ShownRecord[]>([]);
  hasMore = $state(false);
  error = $state.raw<IpcError | null>(null);
  loading = $state(false);
  exporting = $state(false);
  paused = $state(false);
  /** Live records held back while paused. */
  held = $state.raw<ShownRecord[]>([]);
  /** Records the live view did not show (engine backlog, or too many held while paused); the log has them. */
  missed = $state(0);
  chain = $state.raw<AuditChainStatus | null>(null);
  checking = $state(false);
  exported = $state.raw<{ count: number; truncated: boolean; filename: string } | null>(null);

  // Filter inputs as typed (times as datetime-local values).
  client = $state('');
  operation = $state('');
  result = $state<'' | 'success' | 'failure'>('');
  since = $state('');
  until = $state('');

  readonly filter: LogFilter = $derived({
    ...(this.client.trim() === '' ? {} : { client: this.client.trim() }),
    ...(this.operation.trim() === '' ? {} : { operation: this.operation.trim() }),
    ...(this.result === '' ? {} : { result: this.result }),
    ...(localToIso(this.since) === undefined ? {} : { since: localToIso(this.since) }),
    ...(localToIso(this.until) === undefined ? {} : { until: localToIso(this.until) }),
  });
  readonly problem: LogFilterProblem | null = $derived(logFilterProblem(this.filter));

  readonly #client: KeyholdClient;
  #local = 0;
  #seq = 0;

  constructor(client: KeyholdClient) {
    this.#client = client;
  }

  /** Follows the live tail; returns the stop function. */
  connect(): () => void {
    return this.#client.on('audit.records', (p) => this.onRecords(p));
  }

  onRecords(p: AuditEventPayload): void {
    this.missed += p.dropped;
    if (this.problem !== null) return;
    const fresh: ShownRecord[] = [];
    for (const r of p.records) if (matchesLogFilter(r, this.filter)) fresh.push({ ...r, seq: null, key: `live-${++this.#local}` });
    if (fresh.length === 0) return;
    fresh.reverse();
    if (this.paused) {
      const held = [...fresh, ...this.held];
      this.missed += Math.max(0, held.length - LOG_MAX_HELD);
      this.held = held.slice(0, LOG_MAX_HELD);
    } else {
      this.rows = this.#dedupe(fresh).concat(this.rows).slice(0, LOG_MAX_ROWS);
    }
  }

  /** Live records already shown by the query just before (the two overlap by a moment) are left out. */
  #dedupe(fresh: ShownRecord[]): ShownRecord[] {
    const top = this.rows.slice(0, 50);
    return fresh.filter((r) => !top.some((s) => sameRecord(r, s)));
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.rows = this.#dedupe(this.held).concat(this.rows).slice(0, LOG_MAX_ROWS);
    this.held = [];
  }

  /** The newest page under the current filters (again from the top). */
  async load(): Promise<void> {
    if (this.problem !== null) return;
    const seq = ++this.#seq;
    this.loading = true;
    try {
      const page = await this.#client.call('logs.query', { ...this.filter, limit: LOG_PAGE });
      if (seq !== this.#seq) return;
      this.rows = page.rows.map((r) => ({ ...r, key: `s${r.seq}` }));
      this.hasMore = page.hasMore;
      this.held = [];
      this.error = null;
    } catch (err) {
      if (seq === this.#seq) this.error = toIpcError(err);
    } finally {
      if (seq === this.#seq) this.loading = false;
    }
  }

  /** The next older page, appended below. */
  async older(): Promise<void> {
    const stored = this.rows.filter((r) => r.seq !== null).length;
    await runAction(this, (on) => (this.loading = on), async () => {
      const page = await this.#client.call('logs.query', { ...this.filter, limit: LOG_PAGE, offset: stored });
      const known = new Set(this.rows.map((r) => r.key));
      this.rows = this.rows.concat(page.rows.map((r) => ({ ...r, key: `s${r.seq}` })).filter((r) => !known.has(r.key)));
      this.hasMore = page.hasMore;
    });
  }

  async exportAs(format: 'csv' | 'jsonl'): Promise<void> {
    if (this.problem !== null) return;
    await runAction(this, (on) => (this.exporting = on), async () => {
      const file = await this.#client.call('logs.export', { ...this.filter, format });
      download(file.filename, file.content, file.mimeType);
      this.exported = { count: file.count, truncated: file.truncated, filename: file.filename };
    });
  }

  async verify(): Promise<void> {
    await runAction(this, (on) => (this.checking = on), async () => {
      this.chain = await this.#client.call('logs.verify');
    });
  }
}
