// The audit log as the Logs screen sees it: a query with filters, newest
// first and paged; an export (CSV or JSON Lines, the same files as `keyhold
// log export`) handed to the browser as a download; and the state of the hash
// chain (`keyhold log verify`). The live tail is the `audit.records` event
// (calls/audit.ts). Records hold names, addresses, identifiers and results,
// never key material or passwords.
import type { AuditEventRecord } from '../../engine/protocol.js';
import { call } from '../spec.js';
import { integer, noArgs, object, oneOf, optional, string, type NoArgs, type Validator } from '../validate.js';

export const LOGS_PAGE_MAX = 500;
/** An export holds at most this many records (the newest); `truncated` says when there were more. */
export const LOGS_EXPORT_MAX = 200_000;

/** One stored record and its number in the log. */
export interface LogRow extends AuditEventRecord {
  seq: number;
}

export interface LogPage {
  /** Newest first. */
  rows: LogRow[];
  /** More (older) records match beyond this page. */
  hasMore: boolean;
}

export interface LogExport {
  /** e.g. keyhold-audit-2026-11-28T17-00-00Z.csv */
  filename: string;
  mimeType: 'text/csv' | 'application/x-ndjson';
  content: string;
  count: number;
  truncated: boolean;
}

export interface AuditChainStatus {
  /** intact: every record verifies; broken: `problem` names the first record altered, removed or inserted; missing: no audit log yet. */
  state: 'intact' | 'broken' | 'missing';
  /** Records checked (before the problem when there is one). */
  records: number;
  problem: string | null;
  /** What could not be checked (no audit.head, say); not tampering. */
  warnings: string[];
  /** What retention removed: records 1 to `through`. */
  pruned: { through: number; oldestAt: string; newestAt: string; prunes: number; lastAt: string } | null;
  /** When this check ran (ISO 8601). */
  checkedAt: string;
}

const filterFields = {
  client: optional(string({ minLength: 1, maxLength: 200 })),
  operation: optional(string({ minLength: 1, maxLength: 100 })),
  result: optional(oneOf('success', 'failure')),
  since: optional(string({ minLength: 10, maxLength: 40 })),
  until: optional(string({ minLength: 10, maxLength: 40 })),
};

export const logsQueryArgs = object({
  ...filterFields,
  limit: optional(integer({ min: 1, max: LOGS_PAGE_MAX })),
  offset: optional(integer({ min: 0, max: 1_000_000 })),
});
export type LogsQueryArgs = typeof logsQueryArgs extends Validator<infer V> ? V : never;

export const logsExportArgs = object({ ...filterFields, format: oneOf('csv', 'jsonl') });
export type LogsExportArgs = typeof logsExportArgs extends Validator<infer V> ? V : never;

export const logsCalls = {
  'logs.query': call<LogsQueryArgs, LogPage>(logsQueryArgs),
  'logs.export': call<LogsExportArgs, LogExport>(logsExportArgs),
  'logs.verify': call<NoArgs, AuditChainStatus>(noArgs),
} as const;

export const logsEvents = {} as const;
