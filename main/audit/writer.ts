// The audit writer thread (see audit-log.ts): owns DIR/audit.db, chains each
// batch the engine hands it onto the previous one and inserts it as one row,
// keeps DIR/audit.head at the chain's head, and applies the retention.
// Messages in: {type: 'append', batch}, {type: 'prune', id} and
// {type: 'close'}; out: AuditWriterMessage ('ready' once the database is
// open, 'error' when a batch or a prune cannot be written (the engine logs
// it; later batches are still tried), 'warning', 'record' for the records
// this thread writes itself, 'pruned' answering a prune).
//
// audit.head is written after each commit (temp file + rename, 0600) and not
// fsynced. After a crash of the process it is at most one batch behind the
// database, which verifyAudit accepts. After a power failure or an OS crash
// either file may have lost its last updates: the database runs with
// synchronous=NORMAL, so its last commits (up to the WAL's unsynced tail) can
// be lost while audit.head survives, and verify then reports those records as
// removed, which after such a failure is what happened to them. The opposite
// (audit.head older than that) only narrows what the anchor covers.
//
// At open, a present audit.head that disagrees with the database (the newest
// records were removed while the server was stopped) is reported through the
// error log, and the file is kept as evidence: this thread does not update
// it until someone moves it aside, so `keyhold log verify` keeps failing.
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import {
  AUDIT_GENESIS,
  AUDIT_SCHEMA,
  anchorDigest,
  auditDigest,
  formatAuditHead,
  headProblem,
  pruneMessage,
  readAuditHeadFile,
  type AuditAnchor,
  type AuditBatch,
  type AuditPrune,
  type AuditRecord,
  type AuditWriterData,
  type AuditWriterMessage,
} from './audit-log.js';

if (!parentPort) throw new Error('the audit writer must run in a worker thread');
const port = parentPort;
const { file, headFile, retention, pruneEveryMs } = workerData as AuditWriterData;
const post = (m: AuditWriterMessage) => port.postMessage(m);

const DAY_MS = 86_400_000;
/** Batches one prune removes at most (up to ~2 million records); more wait for the next pass, a second later. */
const MAX_PRUNE_BATCHES = 1000;
/** Past maxRecords by this much, the writer prunes without waiting for the hourly pass (a busy server fills 10 million records in half an hour). */
const countSlack = (max: number) => Math.max(Math.floor(max / 10), 20_000);
/** At most one prune attempt triggered by the count in this time. */
const COUNT_PRUNE_GAP_MS = 60_000;

function openDb(): Database.Database {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.transaction(() => {
      // A log from before anchors existed has an unconditional DELETE trigger: the schema below replaces it.
      const old = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'audit_no_delete'").pluck().get() as string | undefined;
      if (old !== undefined && !old.includes('audit_anchors')) db.exec('DROP TRIGGER audit_no_delete');
      db.exec(AUDIT_SCHEMA);
    })();
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

let db: Database.Database;
try {
  db = openDb();
} catch (e) {
  post({ type: 'error', message: (e as Error).message });
  process.exit(1);
}

const last = db.prepare('SELECT batch, first, count, hash FROM audit_batches ORDER BY batch DESC LIMIT 1').get() as { batch: number; first: number; count: number; hash: Buffer } | undefined;
const newestAnchor = db.prepare('SELECT anchor, first_batch, first_record, head, hash FROM audit_anchors ORDER BY anchor DESC LIMIT 1');
type NewestAnchor = { anchor: number; first_batch: number; first_record: number; head: Buffer; hash: Buffer } | undefined;
const anchor0 = newestAnchor.get() as NewestAnchor;
let head: Buffer = last?.hash ?? anchor0?.head ?? AUDIT_GENESIS;
let nextBatch = last !== undefined ? last.batch + 1 : (anchor0?.first_batch ?? 1);
let nextRecord = last !== undefined ? last.first + last.count : (anchor0?.first_record ?? 1);
/** The first record still in the log (or nextRecord when it is empty). */
let firstKept = (db.prepare('SELECT first FROM audit_batches ORDER BY batch LIMIT 1').pluck().get() as number | undefined) ?? nextRecord;
const insert = db.prepare('INSERT INTO audit_batches (batch, first, count, first_at, last_at, lines, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');

// audit.head against the database as it was left.
const warnings: string[] = [];
let headFrozen = false;
{
  const h = readAuditHeadFile(headFile);
  let problem: string | null = null;
  if (h.state === 'bad') problem = h.problem;
  else if (h.state === 'ok') {
    const end = db.prepare('SELECT first, count, hash FROM audit_batches WHERE first <= ? ORDER BY batch DESC LIMIT 1').get(h.head.record) as { first: number; count: number; hash: Buffer } | undefined;
    const hashAt = h.head.record === firstKept - 1 ? (anchor0?.head ?? AUDIT_GENESIS) : end !== undefined && end.first + end.count - 1 === h.head.record ? end.hash : undefined;
    problem = headProblem(h.head, nextRecord - 1, firstKept, hashAt);
  }
  if (problem !== null) {
    headFrozen = true;
    warnings.push(`${problem}. audit.head is kept as the evidence and not updated until it is moved aside`);
  }
}

function writeHead(): void {
  if (headFrozen) {
    if (existsSync(headFile)) return;
    headFrozen = false;
  }
  const tmp = `${headFile}.tmp`;
  try {
    writeFileSync(tmp, formatAuditHead({ record: nextRecord - 1, batch: nextBatch - 1, hash: head }), { mode: 0o600 });
    renameSync(tmp, headFile);
  } catch (e) {
    post({ type: 'error', message: `audit.head not written: ${(e as Error).message}` });
  }
}

// --- retention ----------------------------------------------------------------------

// Scans in batch order from the oldest (the unary + keeps SQLite off the time index, which would sort every newer batch).
const keepFromAge = db.prepare('SELECT batch FROM audit_batches WHERE +last_at >= ? ORDER BY batch LIMIT 1').pluck();
const keepFromCount = db.prepare('SELECT batch FROM audit_batches WHERE first >= ? ORDER BY batch LIMIT 1').pluck();
const oldestBatch = db.prepare('SELECT batch, first, first_at FROM audit_batches ORDER BY batch LIMIT 1');
const batchAt = db.prepare('SELECT first, count, last_at, hash FROM audit_batches WHERE batch = ?');
const insertAnchor = db.prepare(
  'INSERT INTO audit_anchors (anchor, at, rule, first_batch, first_record, pruned_batches, pruned_records, oldest_at, newest_at, record, head, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
);
const deleteBefore = db.prepare('DELETE FROM audit_batches WHERE batch < ?');

/** One prune pass: removes the oldest batches the retention no longer keeps (at most MAX_PRUNE_BATCHES), with its anchor and record. */
function prune(nowMs = Date.now()): AuditPrune | null {
  const oldest = oldestBatch.get() as { batch: number; first: number; first_at: string } | undefined;
  if (oldest === undefined) return null;
  let keep = oldest.batch;
  const rules: string[] = [];
  if (Number.isFinite(retention.maxAgeDays)) {
    const cutoff = new Date(nowMs - retention.maxAgeDays * DAY_MS).toISOString();
    const k = (keepFromAge.get(cutoff) as number | undefined) ?? nextBatch;
    if (k > keep) rules.push(`older than ${retention.maxAgeDays} days (before ${cutoff})`);
    keep = Math.max(keep, k);
  }
  if (Number.isFinite(retention.maxRecords)) {
    // Room for the record this prune adds.
    const k = (keepFromCount.get(nextRecord + 1 - retention.maxRecords) as number | undefined) ?? nextBatch;
    if (k > oldest.batch) rules.push(`more than ${retention.maxRecords} records`);
    keep = Math.max(keep, k);
  }
  if (keep === oldest.batch) return null;
  const capped = keep > oldest.batch + MAX_PRUNE_BATCHES;
  if (capped) keep = oldest.batch + MAX_PRUNE_BATCHES;
  const lastGone = batchAt.get(keep - 1) as { first: number; count: number; last_at: string; hash: Buffer } | undefined;
  if (lastGone === undefined) throw new Error(`batch ${keep - 1} is missing from the audit log: not pruned (run keyhold log verify)`);
  const prev = newestAnchor.get() as NewestAnchor;
  const at = new Date(nowMs).toISOString();
  const a: AuditAnchor = {
    anchor: (prev?.anchor ?? 0) + 1,
    at,
    rule: rules.join('; '),
    firstBatch: keep,
    firstRecord: lastGone.first + lastGone.count,
    prunedBatches: keep - oldest.batch,
    prunedRecords: lastGone.first + lastGone.count - oldest.first,
    oldestAt: oldest.first_at,
    newestAt: lastGone.last_at,
    record: nextRecord,
    head: lastGone.hash,
  };
  const anchorHash = anchorDigest(prev?.hash ?? AUDIT_GENESIS, a);
  const rec: AuditRecord = { at, kind: 'admin', client: null, address: null, operation: 'audit pruned', objects: [], result: 'applied', reason: a.rule, message: pruneMessage(a, anchorHash) };
  const line = JSON.stringify(rec);
  const hash = auditDigest(head, nextRecord, line);
  db.transaction(() => {
    // The anchor first: the DELETE trigger lets through only batches before the newest anchor's first.
    insertAnchor.run(a.anchor, a.at, a.rule, a.firstBatch, a.firstRecord, a.prunedBatches, a.prunedRecords, a.oldestAt, a.newestAt, a.record, a.head, prev?.hash ?? AUDIT_GENESIS, anchorHash);
    deleteBefore.run(keep);
    insert.run(nextBatch, nextRecord, 1, at, at, line, head, hash);
  })();
  head = hash;
  nextBatch++;
  nextRecord++;
  firstKept = a.firstRecord;
  writeHead();
  post({ type: 'record', record: rec });
  const { firstBatch: _b, head: _h, ...summary } = a;
  // More than one pass's worth: the rest a second later, so appends get their turn.
  if (capped) pruneSoon(1000);
  return summary;
}

function pruneReporting(report: (message: string) => void): void {
  try {
    prune();
  } catch (e) {
    report(`prune failed: ${(e as Error).message}`);
  }
}

let pruneTimer: NodeJS.Timeout | undefined;
let lastCountPrune = 0;

function pruneSoon(delayMs: number): void {
  pruneTimer ??= setTimeout(() => {
    pruneTimer = undefined;
    pruneReporting((message) => post({ type: 'error', message }));
  }, delayMs).unref();
}

// The first pass before 'ready', so that AuditLog.open() resolves with the
// retention applied (one pass: at most MAX_PRUNE_BATCHES, the rest follows
// in the background). A failure there does not keep the log from opening.
pruneReporting((message) => warnings.push(message));
post({ type: 'ready' });
for (const message of warnings) post({ type: 'warning', message });
const pruneInterval = pruneEveryMs > 0 ? setInterval(() => pruneSoon(0), pruneEveryMs).unref() : undefined;

port.on('message', (m: { type: 'append'; batch: AuditBatch } | { type: 'prune'; id: number } | { type: 'close' }) => {
  if (m.type === 'close') {
    if (pruneTimer !== undefined) clearTimeout(pruneTimer);
    if (pruneInterval !== undefined) clearInterval(pruneInterval);
    db.close();
    port.close();
    return;
  }
  if (m.type === 'prune') {
    try {
      post({ type: 'pruned', id: m.id, result: prune() });
    } catch (e) {
      post({ type: 'pruned', id: m.id, result: null, error: (e as Error).message });
    }
    return;
  }
  const { lines, firstAt, lastAt } = m.batch;
  const text = lines.join('\n');
  const hash = auditDigest(head, nextRecord, text);
  try {
    insert.run(nextBatch, nextRecord, lines.length, firstAt, lastAt, text, head, hash);
  } catch (e) {
    post({ type: 'error', message: `${lines.length} records not written: ${(e as Error).message}` });
    return;
  }
  // The chain moves on only once the row is in.
  head = hash;
  nextBatch++;
  nextRecord += lines.length;
  writeHead();
  const now = Date.now();
  if (nextRecord - firstKept > retention.maxRecords + countSlack(retention.maxRecords) && now - lastCountPrune > COUNT_PRUNE_GAP_MS) {
    lastCountPrune = now;
    pruneSoon(0);
  }
});
