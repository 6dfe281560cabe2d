// The Logs screen's filters, shared by the admin handler (main/admin/calls/logs.ts,
// which hands them to the audit log's query) and the renderer, which applies
// the same filters to the live records. Pure TypeScript: no Node, no DOM.
import { problem, type FieldProblem } from './fields.js';

export interface LogFilter {
  /** Exact client name. */
  client?: string;
  /** Exact operation (KMIP operation name such as Get, or an admin action such as "object revoked"). */
  operation?: string;
  /** success: Success, accepted and applied; failure: everything else. */
  result?: 'success' | 'failure';
  /** ISO 8601 times (UTC), inclusive. */
  since?: string;
  until?: string;
}

/** What `keyhold log query --since/--until` accept: a UTC date, or a date and time. */
export const LOG_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z?)?$/;

export type LogFilterProblem = FieldProblem & { key: 'forms.logTime.invalid' | 'forms.logTime.order' };

/** The first problem of a filter's times, or null: its key (forms.logTime.*) and the English sentence the handler throws. */
export function logFilterProblem(f: LogFilter): LogFilterProblem | null {
  for (const t of [f.since, f.until]) {
    if (t !== undefined && !LOG_TIME_PATTERN.test(t)) return problem('forms.logTime.invalid') as LogFilterProblem;
  }
  if (f.since !== undefined && f.until !== undefined && f.since > f.until) return problem('forms.logTime.order') as LogFilterProblem;
  return null;
}

export const isSuccessResult = (result: string): boolean => result === 'Success' || result === 'accepted' || result === 'applied';

/** The same rule as the audit log's query (main/audit/audit-log.ts), for live records. */
export function matchesLogFilter(r: { at: string; client: string | null; operation: string | null; result: string }, f: LogFilter): boolean {
  if (f.since !== undefined && r.at < f.since) return false;
  if (f.until !== undefined && r.at > f.until) return false;
  if (f.client !== undefined && r.client !== f.client) return false;
  if (f.operation !== undefined && r.operation !== f.operation) return false;
  if (f.result === 'success' && !isSuccessResult(r.result)) return false;
  if (f.result === 'failure' && isSuccessResult(r.result)) return false;
  return true;
}
