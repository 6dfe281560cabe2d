// The audit log's retention and its anchors (main/audit): pruning by age and
// by count keeps the chain verifiable and is itself recorded; rows removed
// without a proper anchor, edited anchors and forged ones fail verify; the
// head outside the database (DIR/audit.head) catches removed newest records,
// tolerates lagging one batch and warns when absent; `keyhold log verify`
// says it in one line and exits 1.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import {
  AUDIT_FILE,
  AUDIT_GENESIS,
  AUDIT_HEAD_FILE,
  AuditLog,
  anchorDigest,
  formatAuditHead,
  queryAudit,
  verifyAudit,
  type AuditLogOptions,
  type AuditRecord,
  type VerifyResult,
} from '../main/audit/audit-log.js';
import { REPO_ROOT } from './support/reference.js';

const BIN = join(REPO_ROOT, 'bin', 'keyhold.mjs');
const cli = (...args: string[]) => promisify(execFile)(process.execPath, [BIN, ...args], { timeout: 60_000 });

const root = mkdtempSync(join(tmpdir(), 'keyhold-audit-retention-'));
/** Every log opened, closed at the end even when a test failed half-way (an open writer keeps the process alive). */
const opened: AuditLog[] = [];
after(async () => {
  await Promise.all(opened.map((l) => l.close()));
  rmSync(root, { recursive: true, force: true });
});
let dirs = 0;
/** A fresh data dir (startServer creates it; AuditLog.open expects it). */
function newDir(): string {
  const d = join(root, `d${++dirs}`);
  mkdirSync(d);
  return d;
}

/** A log whose writer prunes only when asked (and at open); errors and warnings are collected. */
async function open(dir: string, options: AuditLogOptions = {}): Promise<{ log: AuditLog; errors: string[] }> {
  const errors: string[] = [];
  const log = await AuditLog.open(dir, (m) => errors.push(m), { pruneEveryMs: 0, ...options });
  opened.push(log);
  return { log, errors };
}

/** Appends one batch of n Get records at the given time (undefined: now). */
function batch(log: AuditLog, n: number, at?: string): void {
  for (let i = 0; i < n; i++) {
    log.record({ ...(at === undefined ? {} : { at }), kind: 'request', client: 'app', address: '127.0.0.1', operation: 'Get', objects: [`key-${i}`], result: 'Success', reason: null, message: null });
  }
  log.flush();
}

/** A closed log of `batches` batches of `size` records at now. */
async function filled(batches: number, size: number): Promise<string> {
  const dir = newDir();
  const { log } = await open(dir);
  for (let b = 0; b < batches; b++) batch(log, size);
  await log.close();
  return dir;
}

function copyOf(dir: string): string {
  const d = join(root, `d${++dirs}`);
  cpSync(dir, d, { recursive: true });
  return d;
}

function sql(dir: string, text: string): void {
  const db = new Database(join(dir, AUDIT_FILE));
  try {
    db.exec(text);
  } finally {
    db.close();
  }
}

function failure(r: VerifyResult): string {
  assert.equal(r.ok, false, 'verify should fail');
  return r.ok ? '' : r.problem;
}

async function until<T>(what: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = what();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('audit retention', { timeout: 60_000 }, () => {
  it('prunes whole batches by age: the rest verifies, the prune is an audit record and reported', async () => {
    const dir = newDir();
    const { log, errors } = await open(dir, { retention: { maxAgeDays: 30 } });
    const live: AuditRecord[] = [];
    log.subscribe((r) => live.push(r));
    batch(log, 5, '2020-01-01T00:00:00.000Z');
    batch(log, 5, '2020-06-01T00:00:00.000Z');
    batch(log, 5);
    const p = await log.prune();
    assert.ok(p);
    assert.deepEqual({ ...p, at: '', rule: '' }, { anchor: 1, at: '', rule: '', prunedBatches: 2, prunedRecords: 10, firstRecord: 11, oldestAt: '2020-01-01T00:00:00.000Z', newestAt: '2020-06-01T00:00:00.000Z', record: 16 });
    assert.match(p.rule, /^older than 30 days \(before \d{4}-/);
    assert.equal(await log.prune(), null, 'nothing more is due');
    await log.close();
    assert.deepEqual(errors, []);

    const v = verifyAudit(dir);
    assert.equal(v.ok, true, JSON.stringify(v));
    assert.equal(v.records, 6);
    assert.deepEqual(v.warnings, []);
    assert.deepEqual({ ...v.pruned, lastAt: '' }, { through: 10, oldestAt: '2020-01-01T00:00:00.000Z', newestAt: '2020-06-01T00:00:00.000Z', prunes: 1, lastAt: '' });

    const rows = queryAudit(dir);
    assert.deepEqual(rows.map((r) => r.seq), [11, 12, 13, 14, 15, 16]);
    assert.deepEqual(queryAudit(dir, { until: '2021-01-01' }), []);
    const pruned = rows.at(-1)!;
    assert.equal(pruned.kind, 'admin');
    assert.equal(pruned.operation, 'audit pruned');
    assert.equal(pruned.result, 'applied');
    assert.match(pruned.message ?? '', /^records 1 to 10 removed \(10 in 2 batches, 2020-01-01T00:00:00\.000Z to 2020-06-01T00:00:00\.000Z\): older than 30 days .*; anchor 1 [0-9a-f]{64}$/);
    // Subscribers see it too (the engine forwards them as `audit` events).
    assert.equal(live.filter((r) => r.operation === 'audit pruned').length, 1);
    assert.equal(live.length, 16);

    const out = (await cli('log', 'verify', '--data-dir', dir)).stdout;
    assert.match(out, /^audit log intact: 6 records; records 1 to 10 \(2020-01-01T00:00:00\.000Z to 2020-06-01T00:00:00\.000Z\) were removed by retention in 1 prune, the last at \d{4}-\S+\n$/);
  });

  it('prunes by count, twice across a reopen: anchors chain, the count stays within the limit', async () => {
    const dir = newDir();
    let { log } = await open(dir, { retention: { maxRecords: 8 } });
    for (let i = 0; i < 4; i++) batch(log, 3); // records 1-12
    const first = await log.prune();
    assert.deepEqual([first?.anchor, first?.prunedRecords, first?.firstRecord, first?.rule], [1, 6, 7, 'more than 8 records']);
    await log.close();
    ({ log } = await open(dir, { retention: { maxRecords: 8 } }));
    batch(log, 3);
    batch(log, 3); // records 14-19 after the prune's 13
    const second = await log.prune();
    assert.deepEqual([second?.anchor, second?.prunedRecords, second?.firstRecord, second?.record], [2, 6, 13, 20]);
    await log.close();
    const v = verifyAudit(dir);
    assert.equal(v.ok, true, JSON.stringify(v));
    assert.equal(v.records, 8);
    assert.equal(v.pruned?.through, 12);
    assert.equal(v.pruned?.prunes, 2);
    assert.deepEqual(queryAudit(dir).map((r) => r.seq), [13, 14, 15, 16, 17, 18, 19, 20]);
    assert.deepEqual(queryAudit(dir).filter((r) => r.operation === 'audit pruned').map((r) => r.seq), [13, 20]);
  });

  it('applies the retention on its own when the log opens', async () => {
    const dir = newDir();
    let { log } = await open(dir, { retention: { maxAgeDays: Infinity } });
    batch(log, 4, '2001-01-01T00:00:00.000Z');
    batch(log, 4);
    await log.close();
    assert.equal(queryAudit(dir).length, 8, 'nothing pruned without an age limit');
    ({ log } = await open(dir, { retention: { maxAgeDays: 365 } }));
    // Before open() resolves.
    const rec = queryAudit(dir).find((r) => r.operation === 'audit pruned');
    assert.equal(rec?.seq, 9);
    assert.match(rec?.message ?? '', /^records 1 to 4 removed/);
    assert.equal(await log.prune(), null);
    await log.close();
    assert.equal(verifyAudit(dir).ok, true);
  });

  it('rejects retention settings that make no sense', async () => {
    await assert.rejects(AuditLog.open(newDir(), () => {}, { retention: { maxAgeDays: 0 } }), /maxAgeDays/);
    await assert.rejects(AuditLog.open(newDir(), () => {}, { retention: { maxRecords: 2.5 } }), /maxRecords/);
  });

  it('upgrades a log written before anchors (unconditional DELETE trigger) and prunes it', async () => {
    const dir = await filled(2, 3);
    // The schema as the first version wrote it.
    sql(dir, `DROP TABLE audit_anchors; DROP TRIGGER audit_no_delete;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_batches BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;`);
    rmSync(join(dir, AUDIT_HEAD_FILE));
    const old = verifyAudit(dir);
    assert.equal(old.ok, true);
    assert.match(old.warnings.join(), /no audit\.head/);
    const { log, errors } = await open(dir, { retention: { maxRecords: 4 } });
    await log.close();
    assert.deepEqual(errors, []);
    assert.deepEqual(queryAudit(dir).map((r) => r.seq), [4, 5, 6, 7]);
    const v = verifyAudit(dir);
    assert.equal(v.ok, true, JSON.stringify(v));
    assert.deepEqual(v.warnings, []);
  });
});

describe('audit anchors: forged and tampered prunes fail', { timeout: 60_000 }, () => {
  // Three batches of five (records 1-15), then a copy pruned by count to batch 3 plus its prune record (11-16).
  let plain = '';
  let pruned = '';
  it('setup', async () => {
    plain = await filled(3, 5);
    pruned = copyOf(plain);
    const { log } = await open(pruned, { retention: { maxRecords: 6 } });
    await log.close();
    assert.deepEqual(queryAudit(pruned).map((r) => r.seq), [11, 12, 13, 14, 15, 16]);
    assert.equal(verifyAudit(pruned).ok, true);
  });

  it('the trigger lets through only what an anchor covers', () => {
    const d = copyOf(plain);
    assert.throws(() => sql(d, 'DELETE FROM audit_batches WHERE batch = 1'), /append-only/);
    const db = new Database(join(d, AUDIT_FILE));
    try {
      db.prepare('INSERT INTO audit_anchors VALUES (1, ?, ?, 2, 6, 1, 5, ?, ?, 15, ?, ?, ?)').run('2026-01-01', 'forged', 'x', 'y', Buffer.alloc(32), AUDIT_GENESIS, Buffer.alloc(32));
      assert.throws(() => db.exec('DELETE FROM audit_batches WHERE batch = 2'), /append-only/);
      db.exec('DELETE FROM audit_batches WHERE batch = 1');
    } finally {
      db.close();
    }
    assert.match(failure(verifyAudit(d)), /^anchor 1 \(the prune of records 1 to 5\) was altered$/);
  });

  /** `keyhold log verify` exits 1 with exactly one line on stderr. */
  async function cliFails(d: string, expect: RegExp): Promise<void> {
    await assert.rejects(cli('log', 'verify', '--data-dir', d), (e: { code: number; stdout: string; stderr: string }) => {
      assert.equal(e.code, 1);
      assert.equal(e.stdout, '');
      assert.match(e.stderr, /^keyhold: the audit log is not intact: [^\n]+\n$/);
      assert.match(e.stderr, expect);
      return true;
    });
  }

  it('old rows deleted without an anchor', async () => {
    const d = copyOf(plain);
    sql(d, 'DROP TRIGGER audit_no_delete; DELETE FROM audit_batches WHERE batch < 3');
    assert.match(failure(verifyAudit(d)), /^records 1 to 10 are missing$/);
    await cliFails(d, /: records 1 to 10 are missing \(0 records before it verify\)\n$/);
  });

  it('an anchor with the right hash but no prune record in the chain', async () => {
    for (const [record, expect] of [
      [15, /is not confirmed by the chain: record 15 is not its 'audit pruned' record/],
      [16, /is not confirmed by the chain: record 16 is missing/],
    ] as const) {
      const d = copyOf(plain);
      const db = new Database(join(d, AUDIT_FILE));
      try {
        const gone = db.prepare('SELECT * FROM audit_batches WHERE batch = 1').get() as { hash: Buffer; first_at: string; last_at: string };
        const a = { anchor: 1, at: '2026-11-28T00:00:00.000Z', rule: 'forged', firstBatch: 2, firstRecord: 6, prunedBatches: 1, prunedRecords: 5, oldestAt: gone.first_at, newestAt: gone.last_at, record, head: gone.hash };
        db.prepare('INSERT INTO audit_anchors VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .run(a.anchor, a.at, a.rule, a.firstBatch, a.firstRecord, a.prunedBatches, a.prunedRecords, a.oldestAt, a.newestAt, a.record, a.head, AUDIT_GENESIS, anchorDigest(AUDIT_GENESIS, a));
        db.exec('DELETE FROM audit_batches WHERE batch = 1');
      } finally {
        db.close();
      }
      assert.match(failure(verifyAudit(d)), expect);
      // Without audit.head too: still the one line (the warning is left out of a failure).
      rmSync(join(d, AUDIT_HEAD_FILE));
      await cliFails(d, expect);
    }
  });

  it('after a real prune: an edited or removed anchor, a batch removed at the start or in the middle, an inserted row', async () => {
    for (const [name, tamper, expect] of [
      ['edited anchor', "DROP TRIGGER audit_anchors_no_update; UPDATE audit_anchors SET rule = 'older than 1 day'", /^anchor 1 \(the prune of records 1 to 10\) was altered$/],
      ['removed anchor', 'DROP TRIGGER audit_anchors_no_delete; DELETE FROM audit_anchors', /^records 1 to 10 are missing$/],
      ['first batch kept removed', 'DROP TRIGGER audit_no_delete; DELETE FROM audit_batches WHERE batch = 3', /^records 11 to 15 are missing$/],
      ['row inserted where the pruned ones were', "INSERT INTO audit_batches SELECT 2, 10, 1, first_at, last_at, 'x', prev, hash FROM audit_batches WHERE batch = 3", /^record 10 is out of order$/],
    ] as const) {
      const d = copyOf(pruned);
      sql(d, tamper);
      assert.match(failure(verifyAudit(d)), expect, name);
    }
    // Two more batches so there is a middle: 17-19 and 20-22.
    const middle = copyOf(pruned);
    const { log } = await open(middle, { retention: { maxRecords: 100 } });
    batch(log, 3);
    batch(log, 3);
    await log.close();
    assert.equal(verifyAudit(middle).ok, true);
    sql(middle, 'DROP TRIGGER audit_no_delete; DELETE FROM audit_batches WHERE first = 17');
    assert.match(failure(verifyAudit(middle)), /^records 17 to 19 are missing$/);
  });
});

describe('audit.head: the newest records cannot be removed unnoticed', { timeout: 60_000 }, () => {
  let dir = '';
  it('setup: the writer keeps DIR/audit.head at the head, mode 0600', async () => {
    dir = await filled(3, 5);
    const head = JSON.parse(readFileSync(join(dir, AUDIT_HEAD_FILE), 'utf8')) as { record: number; batch: number; hash: string };
    assert.equal(head.record, 15);
    assert.equal(head.batch, 3);
    assert.match(head.hash, /^[0-9a-f]{64}$/);
    assert.equal(statSync(join(dir, AUDIT_HEAD_FILE)).mode & 0o777, 0o600);
    assert.ok(!existsSync(join(dir, `${AUDIT_HEAD_FILE}.tmp`)));
    const v = verifyAudit(dir);
    assert.equal(v.ok, true);
    assert.deepEqual(v.warnings, []);
  });

  const batchHash = (d: string, b: number) => {
    const db = new Database(join(d, AUDIT_FILE), { readonly: true });
    try {
      return (db.prepare('SELECT hash FROM audit_batches WHERE batch = ?').pluck().get(b) as Buffer);
    } finally {
      db.close();
    }
  };

  it('the last batch deleted in SQLite: verify fails naming it', async () => {
    const d = copyOf(dir);
    sql(d, 'DROP TRIGGER audit_no_delete; DELETE FROM audit_batches WHERE batch = 3');
    assert.equal(failure(verifyAudit(d)), 'the last 5 records were removed: the anchor in audit.head says 15, the log ends at 10');
    await assert.rejects(cli('log', 'verify', '--data-dir', d), (e: { code: number; stderr: string }) => {
      assert.equal(e.code, 1);
      assert.equal(e.stderr, 'keyhold: the audit log is not intact: the last 5 records were removed: the anchor in audit.head says 15, the log ends at 10 (10 records before it verify)\n');
      return true;
    });
  });

  it('audit.head one batch behind (a crash between commit and rename) is no tampering', () => {
    const d = copyOf(dir);
    writeFileSync(join(d, AUDIT_HEAD_FILE), formatAuditHead({ record: 10, batch: 2, hash: batchHash(d, 2) }));
    const v = verifyAudit(d);
    assert.equal(v.ok, true, JSON.stringify(v));
    assert.deepEqual(v.warnings, []);
  });

  it('audit.head missing: intact with a warning', async () => {
    const d = copyOf(dir);
    rmSync(join(d, AUDIT_HEAD_FILE));
    const v = verifyAudit(d);
    assert.equal(v.ok, true);
    assert.equal(v.warnings.length, 1);
    assert.match(v.warnings[0]!, /^there is no audit\.head/);
    const r = await cli('log', 'verify', '--data-dir', d);
    assert.equal(r.stdout, 'audit log intact: 15 records\n');
    assert.match(r.stderr, /^keyhold: warning: there is no audit\.head[^\n]*\n$/);
  });

  it('audit.head ahead of the log, holding another hash, or unreadable: failures', async () => {
    for (const [name, text, expect] of [
      ['ahead', formatAuditHead({ record: 20, batch: 4, hash: Buffer.alloc(32, 1) }), /^the last 5 records were removed: the anchor in audit\.head says 20, the log ends at 15$/],
      ['other hash', formatAuditHead({ record: 15, batch: 3, hash: Buffer.alloc(32, 1) }), /^records up to 15 are not those audit\.head recorded: the log was rewritten$/],
      ['mid-batch', formatAuditHead({ record: 12, batch: 3, hash: Buffer.alloc(32, 1) }), /^audit\.head says a batch ends at record 12, but none of the log does/],
      ['unreadable', 'garbage', /^audit\.head is not a head record/],
    ] as const) {
      const d = copyOf(dir);
      writeFileSync(join(d, AUDIT_HEAD_FILE), text);
      assert.match(failure(verifyAudit(d)), expect, name);
      await assert.rejects(cli('log', 'verify', '--data-dir', d), (e: { code: number; stderr: string }) => {
        assert.equal(e.code, 1, name);
        assert.match(e.stderr, /^keyhold: the audit log is not intact: [^\n]+\n$/, name);
        return true;
      });
    }
  });

  it('a log truncated while the server was stopped: reported at open, audit.head kept as evidence until moved aside', async () => {
    const d = copyOf(dir);
    sql(d, 'DROP TRIGGER audit_no_delete; DELETE FROM audit_batches WHERE batch = 3');
    const { log, errors } = await open(d);
    batch(log, 5); // records 11-15 again, other ones
    // The warning comes as a message from the writer thread: it needs a turn of the event loop.
    await until(() => (queryAudit(d).length === 15 && errors.length > 0 ? true : undefined));
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0]!, /^audit log: the last 5 records were removed: the anchor in audit\.head says 15, the log ends at 10\. audit\.head is kept/);
    assert.equal(JSON.parse(readFileSync(join(d, AUDIT_HEAD_FILE), 'utf8')).hash, batchHash(dir, 3).toString('hex'), 'not overwritten');
    assert.match(failure(verifyAudit(d)), /^records up to 15 are not those audit\.head recorded/);
    // Moved aside by the operator: the writer keeps it from the next batch on.
    renameSync(join(d, AUDIT_HEAD_FILE), join(d, 'audit.head.evidence'));
    batch(log, 1);
    await log.close();
    assert.equal(JSON.parse(readFileSync(join(d, AUDIT_HEAD_FILE), 'utf8')).record, 16);
    assert.equal(verifyAudit(d).ok, true);
  });
});
