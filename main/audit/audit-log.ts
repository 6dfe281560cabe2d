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
//
// Retention (AuditRetention, default: 365 days and 10,000,000 records): the
// writer thread prunes whole oldest batches when it opens the log and then
// every hour (and early when a busy log overshoots the count), never on the
// engine's thread. A prune is one transaction that
// (1) appends a row to audit_anchors saying which batches and records went,
// when, under which rule, and the hash of the last one removed (the `prev`
// of the first batch that stays), itself chained over the previous anchor;
// (2) deletes the batches, which the DELETE trigger allows only below the
// newest anchor's first batch; (3) appends an 'audit pruned' admin record to
// the main chain whose message names the anchor and its hash. verifyAudit
// checks the anchor chain, starts the batch chain from the newest anchor
// instead of from genesis, and requires that confirming record: rows deleted
// without an anchor, an anchor that was edited, or one written by hand with
// no confirming record in the chain all fail.
//
// The tail: removing the newest rows leaves a valid shorter chain, so after
// each committed batch the writer writes the head (last record number and
// its hash) to DIR/audit.head, outside the database. verifyAudit fails when
// the database ends before that record or holds another hash there; the file
// may lag (it is written after the commit) but never lead. See writer.ts for
// what is and is not durable.
//
// Neither catches someone who can write DIR and recomputes every hash (there
// is no secret in any of this): for that, copy `log export` or audit.head
// off the machine.
//
// Live view: subscribe() sees every record as it is queued, and the writer's
// own 'audit pruned' records; the engine worker forwards them to the main
// thread as `audit` events (main/engine/worker.ts).
//
// Never key material, passwords or private keys: records carry names,
// addresses, operation names, identifiers, result codes and Result Messages,
// which Keyhold writes without secrets (kmip/errors.ts).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { AuditEventRecord } from '../../shared/engine/protocol.js';

export const AUDIT_FILE = 'audit.db';
/** The chain head outside the database: `{"record":N,"batch":B,"hash":"hex"}`, written by the writer after each batch. */
export const AUDIT_HEAD_FILE = 'audit.head';
const FLUSH_MS = 100;
const FLUSH_COUNT = 2000;
export const AUDIT_GENESIS = Buffer.alloc(32);
export const MAX_OBJECTS = 16;

const span = (from: number, to: number) => (from === to ? `record ${from}` : `records ${from} to ${to}`);

export interface AuditRetention {
  /** Batches whose newest record is older than this many days go (default 365; Infinity: no age limit). */
  maxAgeDays?: number;
  /** At most this many records stay, the oldest batches go first (default 10,000,000; Infinity: no limit). */
  maxRecords?: number;
}

/**
 * A year: the usual minimum for audit trails (PCI DSS asks for one). Ten
 * million records (~200 bytes each as stored, so about 2 GB) bound the disk
 * when the server is busy: at 7,000 requests/s that is under half an hour of
 * records, and the count, not the age, decides.
 */
export const DEFAULT_RETENTION: Readonly<Required<AuditRetention>> = { maxAgeDays: 365, maxRecords: 10_000_000 };
/** The writer applies the retention when it opens the log and then this often. */
export const PRUNE_EVERY_MS = 3_600_000;

export interface AuditLogOptions {
  retention?: AuditRetention;
  /** How often the retention is applied after the prune at open (default PRUNE_EVERY_MS; 0: only at open and by prune()). */
  pruneEveryMs?: number;
}

/** One record (the engine protocol's type: the live audit event carries records as they are stored). */
export type AuditRecord = AuditEventRecord;

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

/** What one prune removed (the row it added to audit_anchors). */
export interface AuditPrune {
  /** The anchor's number, from 1. */
  anchor: number;
  /** When the prune ran. */
  at: string;
  /** The retention rule(s) that asked for it, in words. */
  rule: string;
  prunedBatches: number;
  prunedRecords: number;
  /** The first record that stays: records before it are gone. */
  firstRecord: number;
  /** Times of the oldest and the newest record removed. */
  oldestAt: string;
  newestAt: string;
  /** The number of the 'audit pruned' record written with it. */
  record: number;
}

/** The writer's thread data. */
export interface AuditWriterData {
  file: string;
  headFile: string;
  retention: Required<AuditRetention>;
  pruneEveryMs: number;
}

/** Messages from the writer thread. */
export type AuditWriterMessage =
  | { type: 'ready' }
  /** A batch or a prune failed (reported once). */
  | { type: 'error'; message: string }
  /** Something the operator should know that is not a write failure (audit.head disagreeing at open). */
  | { type: 'warning'; message: string }
  /** A record the writer wrote itself (a prune's), for the live listeners. */
  | { type: 'record'; record: AuditRecord }
  | { type: 'pruned'; id: number; result: AuditPrune | null; error?: string };

// The DELETE trigger refuses to delete any batch at or after the newest
// anchor's first batch: a prune writes its anchor first, in the same
// transaction, and so may delete exactly what the anchor says it removed.
// Logs written before anchors existed have an unconditional trigger; the
// writer replaces it (writer.ts).
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
  CREATE TABLE IF NOT EXISTS audit_anchors (
    anchor         INTEGER PRIMARY KEY,
    at             TEXT NOT NULL,
    rule           TEXT NOT NULL,
    first_batch    INTEGER NOT NULL,
    first_record   INTEGER NOT NULL,
    pruned_batches INTEGER NOT NULL,
    pruned_records INTEGER NOT NULL,
    oldest_at      TEXT NOT NULL,
    newest_at      TEXT NOT NULL,
    record         INTEGER NOT NULL,
    head           BLOB NOT NULL,
    prev           BLOB NOT NULL,
    hash           BLOB NOT NULL
  );
  CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit_batches BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit_batches
    WHEN OLD.batch >= coalesce((SELECT first_batch FROM audit_anchors ORDER BY anchor DESC LIMIT 1), 0)
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only (only a recorded prune removes its oldest batches)'); END;
  CREATE TRIGGER IF NOT EXISTS audit_anchors_no_update BEFORE UPDATE ON audit_anchors BEGIN SELECT RAISE(ABORT, 'the audit anchors are append-only'); END;
  CREATE TRIGGER IF NOT EXISTS audit_anchors_no_delete BEFORE DELETE ON audit_anchors BEGIN SELECT RAISE(ABORT, 'the audit anchors are append-only'); END;
`;

/** The chain step: SHA-256 over the previous hash, the first record number and the lines. */
export function auditDigest(prev: Uint8Array, first: number, lines: string): Buffer {
  return createHash('sha256').update(prev).update(`${first}\n`).update(lines).digest();
}

/** An audit_anchors row as a prune writes it (hash and prev apart). */
export interface AuditAnchor extends AuditPrune {
  firstBatch: number;
  /** The hash of the last batch removed: the `prev` of the first batch that stays. */
  head: Uint8Array;
}

/** The anchors' own chain step: SHA-256 over the previous anchor's hash (32 zero bytes for the first) and every field. */
export function anchorDigest(prev: Uint8Array, a: AuditAnchor): Buffer {
  const fields = [a.anchor, a.at, a.rule, a.firstBatch, a.firstRecord, a.prunedBatches, a.prunedRecords, a.oldestAt, a.newestAt, a.record];
  return createHash('sha256').update(prev).update(`anchor\n${fields.join('\n')}\n`).update(a.head).digest();
}

/** The message of the 'audit pruned' record: verifyAudit finds the anchor's number and hash at its end. */
export function pruneMessage(a: AuditAnchor, hash: Uint8Array): string {
  const from = a.firstRecord - a.prunedRecords;
  return `${span(from, a.firstRecord - 1)} removed (${a.prunedRecords} in ${a.prunedBatches} batch${a.prunedBatches === 1 ? '' : 'es'}, ${a.oldestAt} to ${a.newestAt}): ${a.rule}; anchor ${a.anchor} ${Buffer.from(hash).toString('hex')}`;
}

function serialise(r: AuditRecord): string {
  return JSON.stringify(r);
}

// --- audit.head -------------------------------------------------------------------

export interface AuditHead {
  /** The last record number the log had reached. */
  record: number;
  batch: number;
  /** The hash of the batch ending at `record`. */
  hash: Buffer;
}

export function formatAuditHead(h: AuditHead): string {
  return `${JSON.stringify({ record: h.record, batch: h.batch, hash: h.hash.toString('hex') })}\n`;
}

export type AuditHeadFile = { state: 'missing' } | { state: 'bad'; problem: string } | { state: 'ok'; head: AuditHead };

export function readAuditHeadFile(file: string): AuditHeadFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    return { state: 'bad', problem: `audit.head cannot be read: ${(e as Error).message}` };
  }
  try {
    const v = JSON.parse(text) as { record?: unknown; batch?: unknown; hash?: unknown };
    if (Number.isSafeInteger(v.record) && (v.record as number) >= 1 && Number.isSafeInteger(v.batch) && (v.batch as number) >= 1 && typeof v.hash === 'string' && /^[0-9a-f]{64}$/.test(v.hash)) {
      return { state: 'ok', head: { record: v.record as number, batch: v.batch as number, hash: Buffer.from(v.hash, 'hex') } };
    }
  } catch {
    // reported below
  }
  return { state: 'bad', problem: 'audit.head is not a head record ({"record":N,"batch":B,"hash":"…"})' };
}

/**
 * audit.head against the log, which ends at record `last` and whose first
 * remaining record is `firstKept`; `hashAt` is the hash of the batch ending at
 * head.record (the newest anchor's head when that batch was pruned last).
 * The file may lag the database, never lead it. Null when they agree.
 */
export function headProblem(head: AuditHead, last: number, firstKept: number, hashAt: Buffer | undefined): string | null {
  if (head.record > last) {
    const k = head.record - last;
    return `the last ${k} record${k === 1 ? ' was' : 's were'} removed: the anchor in audit.head says ${head.record}, the log ends at ${last}`;
  }
  // Pruned since audit.head was written: nothing left to compare, nor any need.
  if (head.record < firstKept - 1) return null;
  if (hashAt === undefined) return `audit.head says a batch ends at record ${head.record}, but none of the log does: the log was rewritten`;
  if (!hashAt.equals(head.hash)) return `records up to ${head.record} are not those audit.head recorded: the log was rewritten`;
  return null;
}

// --- the log ------------------------------------------------------------------------

const WRITER_ENTRY = import.meta.url.endsWith('.ts') ? new URL('./writer-shim.mjs', import.meta.url) : new URL('./writer.js', import.meta.url);

function retentionOf(r: AuditRetention = {}): Required<AuditRetention> {
  const out = { ...DEFAULT_RETENTION, ...Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) };
  if (!(out.maxAgeDays > 0)) throw new RangeError(`audit retention: maxAgeDays must be a positive number of days, not ${out.maxAgeDays}`);
  if (!(out.maxRecords === Infinity || (Number.isSafeInteger(out.maxRecords) && out.maxRecords >= 1))) {
    throw new RangeError(`audit retention: maxRecords must be a whole number from 1, not ${out.maxRecords}`);
  }
  return out;
}

export class AuditLog {
  private pending: string[] = [];
  private firstAt = '';
  private lastAt = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(r: AuditRecord) => void>();
  private readonly prunes = new Map<number, { resolve(r: AuditPrune | null): void; reject(e: Error): void }>();
  private nextPrune = 1;
  private failure: string | undefined;
  private closed = false;

  private constructor(
    private readonly writer: Worker,
    private readonly onError: (message: string) => void,
  ) {
    writer.on('message', (m: AuditWriterMessage) => {
      switch (m.type) {
        case 'error':
          return this.fail(m.message);
        case 'warning':
          return this.onError(`audit log: ${m.message}`);
        case 'record':
          return this.emit(m.record);
        case 'pruned': {
          const p = this.prunes.get(m.id);
          this.prunes.delete(m.id);
          if (m.error !== undefined) p?.reject(new Error(`audit prune failed: ${m.error}`));
          else p?.resolve(m.result);
          return;
        }
      }
    });
    writer.on('error', (e) => this.fail(e.message));
    writer.on('exit', (code) => {
      if (!this.closed) this.fail(`the audit writer stopped (exit ${code})`);
      for (const p of this.prunes.values()) p.reject(new Error('the audit writer stopped'));
      this.prunes.clear();
    });
  }

  private fail(message: string): void {
    // Reported once; records keep being handed over (a later batch may succeed, e.g. once a full disk has room).
    if (this.failure !== undefined) return;
    this.failure = message;
    this.onError(`audit log: ${message}`);
  }

  /**
   * Starts the writer thread on DIR/audit.db (created when missing); rejects
   * when the database cannot be opened or the options are invalid. The writer
   * applies the retention (DEFAULT_RETENTION unless given) before this
   * resolves, then every pruneEveryMs.
   */
  static async open(dataDir: string, onError: (message: string) => void = () => {}, options: AuditLogOptions = {}): Promise<AuditLog> {
    const pruneEveryMs = options.pruneEveryMs ?? PRUNE_EVERY_MS;
    if (!(Number.isSafeInteger(pruneEveryMs) && pruneEveryMs >= 0)) throw new RangeError(`audit log: pruneEveryMs must be a whole number of milliseconds, not ${pruneEveryMs}`);
    const workerData: AuditWriterData = { file: join(dataDir, AUDIT_FILE), headFile: join(dataDir, AUDIT_HEAD_FILE), retention: retentionOf(options.retention), pruneEveryMs };
    const writer = new Worker(WRITER_ENTRY, { workerData, name: 'keyhold-audit', execArgv: [] });
    // Warnings the writer sends right after 'ready', before the instance listens.
    const early: string[] = [];
    const onEarly = (m: AuditWriterMessage) => {
      if (m.type === 'warning') early.push(m.message);
    };
    writer.on('message', onEarly);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: AuditWriterMessage) => {
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
    const log = new AuditLog(writer, onError);
    writer.off('message', onEarly);
    for (const message of early) onError(`audit log: ${message}`);
    return log;
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
    this.emit(rec);
    if (this.pending.length >= FLUSH_COUNT) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS).unref();
  }

  private emit(rec: AuditRecord): void {
    for (const l of this.listeners) l(rec);
  }

  /** Live records as they are logged (the GUI's live view), prunes included; returns the unsubscribe function. */
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

  /**
   * Applies the retention now (after the records queued so far are written),
   * as the writer does on its own at open and every pruneEveryMs. Resolves
   * with what was removed, or null when nothing was due.
   */
  prune(): Promise<AuditPrune | null> {
    if (this.closed) return Promise.reject(new Error('the audit log is closed'));
    this.flush();
    const id = this.nextPrune++;
    return new Promise((resolve, reject) => {
      this.prunes.set(id, { resolve, reject });
      this.writer.postMessage({ type: 'prune', id });
    });
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

// --- reading and verifying ------------------------------------------------------------

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

export interface AnchorRow {
  anchor: number;
  at: string;
  rule: string;
  first_batch: number;
  first_record: number;
  pruned_batches: number;
  pruned_records: number;
  oldest_at: string;
  newest_at: string;
  record: number;
  head: Buffer;
  prev: Buffer;
  hash: Buffer;
}

export const anchorOfRow = (r: AnchorRow): AuditAnchor => ({
  anchor: r.anchor,
  at: r.at,
  rule: r.rule,
  firstBatch: r.first_batch,
  firstRecord: r.first_record,
  prunedBatches: r.pruned_batches,
  prunedRecords: r.pruned_records,
  oldestAt: r.oldest_at,
  newestAt: r.newest_at,
  record: r.record,
  head: r.head,
});

function openForReading(dataDir: string): Database.Database {
  return new Database(join(dataDir, AUDIT_FILE), { readonly: true, fileMustExist: true });
}

/** The anchors in order; none in a log written before they existed (no table). */
export function readAnchors(db: Database.Database): AnchorRow[] {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_anchors'").get() !== undefined;
  return exists ? (db.prepare('SELECT * FROM audit_anchors ORDER BY anchor').all() as AnchorRow[]) : [];
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

/** What retention removed, as the anchors tell it. */
export interface AuditPruned {
  /** Records 1 to `through` are gone. */
  through: number;
  /** Times of the oldest and the newest record removed. */
  oldestAt: string;
  newestAt: string;
  /** How many prunes, and when the last one ran. */
  prunes: number;
  lastAt: string;
}

interface Verified {
  /** Records checked: before the problem when there is one. */
  records: number;
  pruned: AuditPruned | null;
  /** Things that are not tampering but limit what could be checked (no audit.head). */
  warnings: string[];
}

export type VerifyResult = (Verified & { ok: true }) | (Verified & { ok: false; problem: string });

/**
 * Checks the anchors of past prunes, then walks the chain from the newest
 * one (or from genesis), then holds the end against audit.head: the first
 * problem, or the number of records and what was pruned.
 */
export function verifyAudit(dataDir: string): VerifyResult {
  // Read before the database: the writer replaces it after each commit, so
  // the snapshot taken next is at least as new as the file, never older.
  const headFile = readAuditHeadFile(join(dataDir, AUDIT_HEAD_FILE));
  const db = openForReading(dataDir);
  try {
    // One read transaction: anchors and batches from the same snapshot, even while the writer prunes.
    db.exec('BEGIN');
    try {
      return verifyIn(db, headFile);
    } finally {
      db.exec('COMMIT');
    }
  } finally {
    db.close();
  }
}

function verifyIn(db: Database.Database, headFile: AuditHeadFile): VerifyResult {
  const warnings: string[] = [];
  let pruned: AuditPruned | null = null;
  let records = 0;
  const failed = (problem: string): VerifyResult => ({ ok: false, records, pruned, warnings, problem });

  // The anchors: their own chain, and each one taking over where the previous one stopped.
  const anchors = readAnchors(db);
  let prevAnchor: Buffer = AUDIT_GENESIS;
  let prevFirstBatch = 1;
  let prevFirstRecord = 1;
  for (const [i, a] of anchors.entries()) {
    const n = i + 1;
    const what = `anchor ${n} (the prune of ${span(prevFirstRecord, a.first_record - 1)})`;
    if (a.anchor !== n) return failed(`anchor ${n}${a.anchor > n ? ` to ${a.anchor - 1}` : ''} of the audit prunes ${a.anchor > n + 1 ? 'are' : 'is'} missing`);
    if (!Buffer.from(a.prev).equals(prevAnchor)) return failed(`${what} does not follow anchor ${n - 1}`);
    if (!anchorDigest(prevAnchor, anchorOfRow(a)).equals(Buffer.from(a.hash))) return failed(`${what} was altered`);
    if (a.first_record <= prevFirstRecord || a.first_batch <= prevFirstBatch || a.pruned_records !== a.first_record - prevFirstRecord || a.pruned_batches !== a.first_batch - prevFirstBatch) {
      return failed(`anchor ${n} does not continue from anchor ${n - 1}`);
    }
    prevAnchor = Buffer.from(a.hash);
    prevFirstBatch = a.first_batch;
    prevFirstRecord = a.first_record;
  }
  const newest = anchors.at(-1);
  if (newest !== undefined) {
    pruned = { through: newest.first_record - 1, oldestAt: anchors[0]!.oldest_at, newestAt: newest.newest_at, prunes: anchors.length, lastAt: newest.at };
  }

  // The batches, from the newest anchor's head. The 'audit pruned' record written with that anchor must be among them.
  const head = headFile.state === 'ok' ? headFile.head : undefined;
  let chain: Buffer = newest === undefined ? AUDIT_GENESIS : Buffer.from(newest.head);
  const firstKept = newest === undefined ? 1 : newest.first_record;
  let next = firstKept;
  let batchNo = newest === undefined ? 1 : newest.first_batch;
  let hashAtHead = head?.record === next - 1 ? chain : undefined;
  let confirmed: string | null = newest === undefined ? null : `record ${newest.record} is missing`;
  for (const b of db.prepare('SELECT * FROM audit_batches ORDER BY batch').iterate() as IterableIterator<BatchRow>) {
    const lines = b.lines === '' ? 0 : b.lines.split('\n').length;
    if (b.batch !== batchNo || b.first !== next) {
      const problem = b.first > next ? `${span(next, b.first - 1)} ${b.first - next > 1 ? 'are' : 'is'} missing` : `${span(b.first, b.first + b.count - 1)} ${b.count === 1 ? 'is' : 'are'} out of order`;
      return failed(problem);
    }
    if (!Buffer.from(b.prev).equals(chain)) return failed(`${span(b.first, b.first + b.count - 1)} do${b.count === 1 ? 'es' : ''} not follow record ${next - 1}`);
    if (lines !== b.count || !auditDigest(chain, b.first, b.lines).equals(Buffer.from(b.hash))) {
      return failed(`${span(b.first, b.first + b.count - 1)}: altered (one of them or more)`);
    }
    if (newest !== undefined && newest.record >= b.first && newest.record < b.first + b.count) {
      const r = parseLines(b)[newest.record - b.first]!;
      const ok = r.kind === 'admin' && r.operation === 'audit pruned' && (r.message ?? '').endsWith(` anchor ${newest.anchor} ${Buffer.from(newest.hash).toString('hex')}`);
      confirmed = ok ? null : `record ${newest.record} is not its 'audit pruned' record`;
    }
    chain = Buffer.from(b.hash);
    next += b.count;
    batchNo++;
    records += b.count;
    if (head?.record === next - 1) hashAtHead = chain;
  }

  const last = next - 1;
  if (head !== undefined) {
    const problem = headProblem(head, last, firstKept, hashAtHead);
    if (problem !== null) return failed(problem);
  } else if (headFile.state === 'bad') {
    return failed(headFile.problem);
  } else if (last >= firstKept) {
    warnings.push('there is no audit.head, so removing the newest records would go unnoticed (a log last written by an older Keyhold has none; the server writes it with its next batch)');
  }
  if (newest !== undefined && confirmed !== null) {
    return failed(`the prune of ${span(1, newest.first_record - 1)} (anchor ${newest.anchor}) is not confirmed by the chain: ${confirmed}`);
  }
  return { ok: true, records, pruned, warnings };
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
