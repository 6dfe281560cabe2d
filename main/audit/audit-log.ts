// The audit log: one record per connection attempt and per request batch
// item, in DIR/audit.db, append-only and hash-chained.
//
// Why a database of its own: the key store is held with EXCLUSIVE locking by
// the running server (main/store/sqlite-store.ts), and the operator must be
// able to read and verify the audit log while the server runs. This file is
// in WAL mode with normal locking: the CLI reads it beside the server.
//
// Layout: records are written in batches, one row per batch holding its
// records as JSON lines, numbered from `first`. Every FLUSH_MS (or
// FLUSH_COUNT records) the engine hands the batch, already serialised, to a
// thread of its own (writer.ts) that chains and inserts it. A row per record
// (an insert and a SHA-256 each) cost ~15 µs a record, and on a 2-core
// machine that took a fifth of the Get throughput; a row per batch costs the
// engine about a microsecond per record. A crash can lose the last FLUSH_MS
// of records; the responses they describe were already sent.
//
// Tamper evidence: each row stores the hash of the previous row and its own,
// SHA-256 over the previous hash and the row's first number and lines (row 1
// chains from 32 zero bytes). Editing, deleting or inserting records breaks
// the chain at that row, and verifyAudit names the records it holds. Triggers
// refuse UPDATE and DELETE so nothing in Keyhold changes a row by mistake;
// someone with the file can drop them, and the chain is what catches that.
// Removing the newest rows leaves a valid shorter chain; catching that needs
// an anchor outside this file (not yet done, see issue 4).
//
// Never key material, passwords or private keys: records carry names,
// addresses, operation names, identifiers, result codes and Result Messages,
// which Keyhold writes without secrets (kmip/errors.ts).
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';

export const AUDIT_FILE = 'audit.db';
const FLUSH_MS = 100;
const FLUSH_COUNT = 2000;
export const AUDIT_GENESIS = Buffer.alloc(32);
export const MAX_OBJECTS = 16;

export interface AuditRecord {
  /** ISO 8601 time. */
  at: string;
  /** connection: a TLS client connected, was refused or closed; request: one batch item; admin: a change to clients or allow-lists. */
  kind: 'connection' | 'request' | 'admin';
  client: string | null;
  address: string | null;
  /** The KMIP operation name (requests). */
  operation: string | null;
  /** Unique Identifiers the item named or returned (at most MAX_OBJECTS). */
  objects: string[];
  /** accepted / refused / closed (connections); Success, OperationFailed, OperationUndone… (requests); applied (admin). */
  result: string;
  /** Result Reason name, or why a connection was refused. */
  reason: string | null;
  /** The Result Message sent to the client. */
  message: string | null;
}

export interface AuditRow extends AuditRecord {
  /** The record's number, from 1. */
  seq: number;
}

/** One batch as the writer thread receives it. */
export interface AuditBatch {
  lines: string[];
  firstAt: string;
  lastAt: string;
}

export const AUDIT_SCHEMA = `
  CREATE TABLE IF NOT EXISTS audit_batches (
    batch     INTEGER PRIMARY KEY,
    first     INTEGER NOT NULL,
    count     INTEGER NOT NULL,
    first_at  TEXT NOT NULL,
    last_at   TEXT NOT NULL,
    lines     TEXT NOT NULL,
    prev      BLOB NOT NULL,
    hash      BLOB NOT NULL
  );
  CREATE INDEX IF NOT EXISTS audit_batches_time ON audit_batches (last_at);
  CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit_batches BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit_batches BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`;

/** The chain step: SHA-256 over the previous hash, the first record number and the lines. */
export function auditDigest(prev: Uint8Array, first: number, lines: string): Buffer {
  return createHash('sha256').update(prev).update(`${first}\n`).update(lines).digest();
}

function serialise(r: AuditRecord): string {
  return JSON.stringify(r);
}

const WRITER_ENTRY = import.meta.url.endsWith('.ts') ? new URL('./writer-shim.mjs', import.meta.url) : new URL('./writer.js', import.meta.url);

export class AuditLog {
  private pending: string[] = [];
  private firstAt = '';
  private lastAt = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(r: AuditRecord) => void>();
  private failure: string | undefined;
  private closed = false;

  private constructor(
    private readonly writer: Worker,
    private readonly onError: (message: string) => void,
  ) {
    writer.on('message', (m: { type: string; message?: string }) => {
      if (m.type === 'error') this.fail(m.message ?? 'unknown error');
    });
    writer.on('error', (e) => this.fail(e.message));
    writer.on('exit', (code) => {
      if (!this.closed) this.fail(`the audit writer stopped (exit ${code})`);
    });
  }

  private fail(message: string): void {
    // Reported once; records keep being handed over (a later batch may succeed, e.g. once a full disk has room).
    if (this.failure !== undefined) return;
    this.failure = message;
    this.onError(`audit log: ${message}`);
  }

  /** Starts the writer thread on DIR/audit.db (created when missing); rejects when the database cannot be opened. */
  static async open(dataDir: string, onError: (message: string) => void = () => {}): Promise<AuditLog> {
    const writer = new Worker(WRITER_ENTRY, { workerData: { file: join(dataDir, AUDIT_FILE) }, name: 'keyhold-audit', execArgv: [] });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: { type: string; message?: string }) => {
        if (m.type === 'ready') done();
        else if (m.type === 'error') done(new Error(`cannot open the audit log: ${m.message}`));
      };
      const onExit = (code: number) => done(new Error(`cannot open the audit log (writer exit ${code})`));
      const done = (e?: Error) => {
        writer.off('message', onMessage).off('exit', onExit).off('error', done);
        if (e) {
          void writer.terminate();
          reject(e);
        } else resolve();
      };
      writer.on('message', onMessage).on('exit', onExit).on('error', done);
    });
    return new AuditLog(writer, onError);
  }

  /** Queues a record (written within FLUSH_MS); `at` defaults to now. */
  record(r: Omit<AuditRecord, 'at'> & { at?: string }): void {
    if (this.closed) return;
    const rec: AuditRecord = {
      at: r.at ?? new Date().toISOString(),
      kind: r.kind,
      client: r.client,
      address: r.address,
      operation: r.operation,
      objects: r.objects.length > MAX_OBJECTS ? r.objects.slice(0, MAX_OBJECTS) : r.objects,
      result: r.result,
      reason: r.reason,
      message: r.message,
    };
    if (this.pending.length === 0) this.firstAt = rec.at;
    this.lastAt = rec.at;
    this.pending.push(serialise(rec));
    for (const l of this.listeners) l(rec);
    if (this.pending.length >= FLUSH_COUNT) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS).unref();
  }

  /** Live records as they are logged (the GUI's live view); returns the unsubscribe function. */
  subscribe(listener: (r: AuditRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hands the queued records to the writer thread. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch: AuditBatch = { lines: this.pending, firstAt: this.firstAt, lastAt: this.lastAt };
    this.pending = [];
    this.writer.postMessage({ type: 'append', batch });
  }

  /** Writes what is queued, waits for the writer to commit it and close (at most timeoutMs). */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        void this.writer.terminate();
        resolve();
      }, timeoutMs);
      this.writer.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.writer.postMessage({ type: 'close' });
    });
  }
}

interface BatchRow {
  batch: number;
  first: number;
  count: number;
  first_at: string;
  last_at: string;
  lines: string;
  prev: Buffer;
  hash: Buffer;
}

function openForReading(dataDir: string): Database.Database {
  return new Database(join(dataDir, AUDIT_FILE), { readonly: true, fileMustExist: true });
}

function parseLines(b: BatchRow): AuditRow[] {
  return b.lines.split('\n').map((l, i) => {
    let r: Partial<AuditRecord> = {};
    try {
      r = JSON.parse(l) as AuditRecord;
    } catch {
      // An unreadable line: verifyAudit reports its batch, whose hash no longer matches.
    }
    return {
      seq: b.first + i,
      at: String(r.at ?? ''),
      kind: r.kind === 'connection' || r.kind === 'admin' ? r.kind : 'request',
      client: r.client ?? null,
      address: r.address ?? null,
      operation: r.operation ?? null,
      objects: Array.isArray(r.objects) ? r.objects.map(String) : [],
      result: String(r.result ?? ''),
      reason: r.reason ?? null,
      message: r.message ?? null,
    };
  });
}

export type VerifyResult = { ok: true; records: number } | { ok: false; records: number; problem: string };

const span = (from: number, to: number) => (from === to ? `record ${from}` : `records ${from} to ${to}`);

/** Walks the chain from the first batch: the first break, or the number of records. */
export function verifyAudit(dataDir: string): VerifyResult {
  const db = openForReading(dataDir);
  try {
    let head: Buffer = AUDIT_GENESIS;
    let next = 1;
    let batchNo = 1;
    for (const b of db.prepare('SELECT * FROM audit_batches ORDER BY batch').iterate() as IterableIterator<BatchRow>) {
      const lines = b.lines === '' ? 0 : b.lines.split('\n').length;
      if (b.batch !== batchNo || b.first !== next) {
        const problem = b.first > next ? `${span(next, b.first - 1)} ${b.first - next > 1 ? 'are' : 'is'} missing` : `${span(b.first, b.first + b.count - 1)} are out of order`;
        return { ok: false, records: next - 1, problem };
      }
      if (!Buffer.from(b.prev).equals(head)) return { ok: false, records: next - 1, problem: `${span(b.first, b.first + b.count - 1)} do not follow record ${next - 1}` };
      if (lines !== b.count || !auditDigest(head, b.first, b.lines).equals(Buffer.from(b.hash))) {
        return { ok: false, records: next - 1, problem: `${span(b.first, b.first + b.count - 1)}: altered (one of them or more)` };
      }
      head = Buffer.from(b.hash);
      next += b.count;
      batchNo++;
    }
    return { ok: true, records: next - 1 };
  } finally {
    db.close();
  }
}

export interface AuditQuery {
  /** ISO times, inclusive. */
  since?: string;
  until?: string;
  client?: string;
  operation?: string;
  /** success: Success, accepted and applied; failure: everything else. */
  outcome?: 'success' | 'failure';
  /** The newest `limit` matching records (in time order). */
  limit?: number;
}

function matches(r: AuditRow, q: AuditQuery): boolean {
  if (q.since !== undefined && r.at < q.since) return false;
  if (q.until !== undefined && r.at > q.until) return false;
  if (q.client !== undefined && r.client !== q.client) return false;
  if (q.operation !== undefined && r.operation !== q.operation) return false;
  const ok = r.result === 'Success' || r.result === 'accepted' || r.result === 'applied';
  if (q.outcome === 'success' && !ok) return false;
  if (q.outcome === 'failure' && ok) return false;
  return true;
}

/** Matching records in time order. Batches outside the time range are skipped by their time columns; the rest are read and filtered. */
export function queryAudit(dataDir: string, q: AuditQuery = {}): AuditRow[] {
  const db = openForReading(dataDir);
  try {
    const where: string[] = [];
    const params: string[] = [];
    if (q.since !== undefined) (where.push('last_at >= ?'), params.push(q.since));
    if (q.until !== undefined) (where.push('first_at <= ?'), params.push(q.until));
    const stmt = db.prepare(`SELECT * FROM audit_batches${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY batch${q.limit !== undefined ? ' DESC' : ''}`);
    const out: AuditRow[] = [];
    for (const b of stmt.iterate(...params) as IterableIterator<BatchRow>) {
      const rows = parseLines(b).filter((r) => matches(r, q));
      if (q.limit === undefined) {
        out.push(...rows);
        continue;
      }
      // Newest first until the limit is reached, then back into time order.
      out.unshift(...rows.slice(Math.max(0, rows.length - (q.limit - out.length))));
      if (out.length >= q.limit) break;
    }
    return out;
  } finally {
    db.close();
  }
}

const CSV_COLUMNS = ['seq', 'at', 'kind', 'client', 'address', 'operation', 'objects', 'result', 'reason', 'message'] as const;

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(' ') : String(v);
  // Quoted when needed; a leading =+-@ is prefixed so a spreadsheet does not run it as a formula.
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(rows: readonly AuditRow[]): string {
  return [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n';
}

export function toJsonLines(rows: readonly AuditRow[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : '');
}
