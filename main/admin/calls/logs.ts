// The Logs screen: the audit log of the data dir, read here in the main
// thread exactly as `keyhold log query|export|verify` read it
// (main/audit/audit-log.ts; the database is not held exclusively, so this
// works with the server running or not). The live tail is the audit.records
// event (calls/audit.ts).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { logFilterProblem, type LogFilter } from '../../../shared/forms/log-filters.js';
import { LOGS_EXPORT_MAX, type logsCalls } from '../../../shared/ipc/calls/logs.js';
import { AUDIT_FILE, queryAudit, toCsv, toJsonLines, verifyAudit, type AuditQuery } from '../../audit/audit-log.js';
import { CallError } from '../dispatch.js';
import { dataDirOf } from './util.js';
import type { AdminDeps, AreaHandlers } from './types.js';

function queryOf(f: LogFilter): AuditQuery {
  const problem = logFilterProblem(f);
  if (problem !== null) throw new CallError('bad_request', problem.message, { key: problem.key, params: problem.params });
  return {
    ...(f.client === undefined ? {} : { client: f.client }),
    ...(f.operation === undefined ? {} : { operation: f.operation }),
    ...(f.result === undefined ? {} : { outcome: f.result }),
    ...(f.since === undefined ? {} : { since: f.since }),
    ...(f.until === undefined ? {} : { until: f.until }),
  };
}

/** The data dir's audit log file, or null before the server first started. */
function auditDir(deps: AdminDeps): string | null {
  const dir = dataDirOf(deps);
  return existsSync(path.join(dir, AUDIT_FILE)) ? dir : null;
}

function read<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw CallError.of('internal', 'errors.logs.unreadable', { reason: (e as Error).message });
  }
}

export function logsHandlers(deps: AdminDeps): AreaHandlers<typeof logsCalls> {
  return {
    'logs.query': ({ limit = 100, offset = 0, ...filter }) => {
      const q = queryOf(filter);
      const dir = auditDir(deps);
      if (dir === null) return { rows: [], hasMore: false };
      // The newest offset+limit+1 in time order: the page is the newest after the first `offset`.
      const rows = read(() => queryAudit(dir, { ...q, limit: offset + limit + 1 })).reverse();
      return { rows: rows.slice(offset, offset + limit), hasMore: rows.length > offset + limit };
    },
    'logs.export': ({ format, ...filter }) => {
      const q = queryOf(filter);
      const dir = auditDir(deps);
      let rows = dir === null ? [] : read(() => queryAudit(dir, { ...q, limit: LOGS_EXPORT_MAX + 1 }));
      const truncated = rows.length > LOGS_EXPORT_MAX;
      if (truncated) rows = rows.slice(rows.length - LOGS_EXPORT_MAX);
      const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
      return format === 'csv'
        ? { filename: `keyhold-audit-${stamp}.csv`, mimeType: 'text/csv', content: toCsv(rows), count: rows.length, truncated }
        : { filename: `keyhold-audit-${stamp}.jsonl`, mimeType: 'application/x-ndjson', content: toJsonLines(rows), count: rows.length, truncated };
    },
    'logs.verify': () => {
      const checkedAt = new Date().toISOString();
      const dir = auditDir(deps);
      if (dir === null) return { state: 'missing', records: 0, problem: null, warnings: [], pruned: null, checkedAt };
      const r = read(() => verifyAudit(dir));
      return { state: r.ok ? 'intact' : 'broken', records: r.records, problem: r.ok ? null : r.problem, warnings: r.warnings, pruned: r.pruned, checkedAt };
    },
  };
}
