// `keyhold log tail|query|export|verify`: the audit log (main/audit), read
// beside a running server (the audit database is not held exclusively).
import path from 'node:path';
import { existsSync } from 'node:fs';
import { AUDIT_FILE, queryAudit, toCsv, toJsonLines, verifyAudit, type AuditQuery, type AuditRow } from '../audit/audit-log.js';
import { dataDirOf } from './server-commands.js';
import { CliError } from './errors.js';
import type { Command } from './main.js';

/** The data dir (as the server commands resolve it), which must hold an audit log. */
function auditDirOf(flags: Map<string, string | true>): string {
  const dir = dataDirOf(flags);
  if (!existsSync(path.join(dir, AUDIT_FILE))) throw new CliError(`no audit log in ${dir} (it is created when the server first starts)`);
  return dir;
}

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z?)?$/;

function queryOf(flags: Map<string, string | true>): AuditQuery {
  const q: AuditQuery = {};
  for (const [flag, key] of [['--since', 'since'], ['--until', 'until']] as const) {
    const v = flags.get(flag);
    if (v === undefined) continue;
    if (typeof v !== 'string' || !ISO.test(v)) throw new CliError(`${flag} takes a UTC date or time like 2026-11-28 or 2026-11-28T17:00:00Z, not "${String(v)}"`, 2);
    q[key] = v;
  }
  const client = flags.get('--client');
  if (typeof client === 'string') q.client = client;
  const operation = flags.get('--operation');
  if (typeof operation === 'string') q.operation = operation;
  const outcome = flags.get('--result');
  if (outcome !== undefined) {
    if (outcome !== 'success' && outcome !== 'failure') throw new CliError('--result takes success or failure', 2);
    q.outcome = outcome;
  }
  return q;
}

function line(r: AuditRow): string {
  const what = r.kind === 'connection' ? `connection ${r.result}` : r.kind === 'admin' ? `admin: ${r.operation ?? '?'}` : `${r.operation ?? '?'} ${r.result}`;
  const why = r.reason === null ? '' : ` ${r.reason}`;
  const objects = r.objects.length > 0 ? ` [${r.objects.join(' ')}]` : '';
  return `${r.at} #${r.seq} ${r.client ?? '-'} ${r.address ?? '-'} ${what}${why}${objects}${r.message ? ` "${r.message}"` : ''}\n`;
}

const QUERY_FLAGS = ['--data-dir', '--since', '--until', '--client', '--operation', '--result'] as const;

export const LOG_COMMANDS: Record<string, Command> = {
  'log tail': {
    usage: 'keyhold log tail [--data-dir DIR] [--count N]',
    summary: 'the newest audit records (default 20), one line each',
    flags: ['--data-dir', '--count'],
    valueFlags: ['--data-dir', '--count'],
    async run(flags, _input, write) {
      const n = flags.get('--count') ?? '20';
      if (typeof n !== 'string' || !/^\d{1,6}$/.test(n)) throw new CliError('--count takes a number', 2);
      for (const r of queryAudit(auditDirOf(flags), { limit: Number(n) })) write(line(r));
    },
  },
  'log query': {
    usage: 'keyhold log query [--data-dir DIR] [--since T] [--until T] [--client NAME] [--operation OP] [--result success|failure]',
    summary: 'audit records by time range (UTC), client, operation (e.g. Get) and result',
    flags: QUERY_FLAGS,
    valueFlags: QUERY_FLAGS,
    async run(flags, _input, write) {
      for (const r of queryAudit(auditDirOf(flags), queryOf(flags))) write(line(r));
    },
  },
  'log export': {
    usage: 'keyhold log export --format csv|jsonl [--data-dir DIR] [--since T] [--until T] [--client NAME] [--operation OP] [--result success|failure]',
    summary: 'audit records as CSV or JSON Lines on standard output',
    flags: [...QUERY_FLAGS, '--format'],
    valueFlags: [...QUERY_FLAGS, '--format'],
    async run(flags, _input, write) {
      const format = flags.get('--format');
      if (format !== 'csv' && format !== 'jsonl') throw new CliError('--format csv or --format jsonl is required', 2);
      const rows = queryAudit(auditDirOf(flags), queryOf(flags));
      write(format === 'csv' ? toCsv(rows) : toJsonLines(rows));
    },
  },
  'log verify': {
    usage: 'keyhold log verify [--data-dir DIR]',
    summary: 'check the audit log\'s hash chain: exit 0 when intact, 1 naming the first record that was altered, removed or inserted',
    flags: ['--data-dir'],
    valueFlags: ['--data-dir'],
    async run(flags, _input, write, { io }) {
      const r = verifyAudit(auditDirOf(flags));
      // A failure is one line; otherwise warnings (no audit.head) say what could not be checked.
      if (!r.ok) throw new CliError(`the audit log is not intact: ${r.problem} (${r.records} records before it verify)`);
      for (const w of r.warnings) io.stderr.write(`keyhold: warning: ${w}\n`);
      const p = r.pruned;
      const pruned = p === null ? '' : `; records 1 to ${p.through} (${p.oldestAt} to ${p.newestAt}) were removed by retention in ${p.prunes} prune${p.prunes === 1 ? '' : 's'}, the last at ${p.lastAt}`;
      write(`audit log intact: ${r.records} records${pruned}\n`);
    },
  },
};
