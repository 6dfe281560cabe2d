// The audit writer thread (see audit-log.ts): owns DIR/audit.db, chains each
// batch the engine hands it onto the previous one and inserts it as one row.
// Messages in: {type: 'append', batch} and {type: 'close'}; out: 'ready' once
// the database is open, {type: 'error', message} when a batch cannot be
// written (the engine logs it; later batches are still tried).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { AUDIT_GENESIS, AUDIT_SCHEMA, auditDigest, type AuditBatch } from './audit-log.js';

if (!parentPort) throw new Error('the audit writer must run in a worker thread');
const port = parentPort;
const { file } = workerData as { file: string };

function openDb(): Database.Database {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(AUDIT_SCHEMA);
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
  port.postMessage({ type: 'error', message: (e as Error).message });
  process.exit(1);
}

const last = db.prepare('SELECT batch, first, count, hash FROM audit_batches ORDER BY batch DESC LIMIT 1').get() as { batch: number; first: number; count: number; hash: Buffer } | undefined;
let head: Buffer = last?.hash ?? AUDIT_GENESIS;
let nextBatch = (last?.batch ?? 0) + 1;
let nextRecord = last === undefined ? 1 : last.first + last.count;
const insert = db.prepare('INSERT INTO audit_batches (batch, first, count, first_at, last_at, lines, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
port.postMessage({ type: 'ready' });

port.on('message', (m: { type: 'append'; batch: AuditBatch } | { type: 'close' }) => {
  if (m.type === 'close') {
    db.close();
    port.close();
    return;
  }
  const { lines, firstAt, lastAt } = m.batch;
  const text = lines.join('\n');
  const hash = auditDigest(head, nextRecord, text);
  try {
    insert.run(nextBatch, nextRecord, lines.length, firstAt, lastAt, text, head, hash);
  } catch (e) {
    port.postMessage({ type: 'error', message: `${lines.length} records not written: ${(e as Error).message}` });
    return;
  }
  // The chain moves on only once the row is in.
  head = hash;
  nextBatch++;
  nextRecord += lines.length;
});
