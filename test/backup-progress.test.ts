// Progress of long operations (shared/ipc/calls/progress.ts): runBackup's
// stages and chunk counts with a small chunk size, verify and restore of a
// file, the admin hub's throttle, and through the admin contract against a
// real engine worker: a backup, a verify and a key generation each report
// under their own progressId only (the worker's `progress` events reach the
// request they belong to), and a call without an id reports nothing.
import assert from 'node:assert/strict';
import { createSecretKey, hkdfSync } from 'node:crypto';
import fs, { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runBackup, type BackupSource, type Unlock } from '../main/backup/backup.js';
import { verifyBackupFile } from '../main/backup/operator.js';
import { restoreBackup } from '../main/backup/restore.js';
import { DEFAULT_BACKUP_SETTINGS } from '../main/backup/settings.js';
import { DB_FILE } from '../main/store/sqlite-store.js';
import { createWorkerEngine, type WorkerEngine } from '../main/admin/engine.js';
import { createAdminService, type AdminService } from '../main/admin/handlers.js';
import { dispatchCall } from '../main/admin/dispatch.js';
import { ProgressHub } from '../main/admin/progress.js';
import { EngineHost } from '../main/engine/host.js';
import type { ProgressPayload, ProgressStep } from '../shared/ipc/calls/progress.js';
import { recordingLogger } from './support/admin.js';

const T = { timeout: 180_000 };
const MASTER = Buffer.alloc(32, 7);
const derive = (info: string) => ({ key: createSecretKey(Buffer.from(hkdfSync('sha256', MASTER, Buffer.alloc(0), info, 32))), version: 1 });

/** A data dir whose keyhold.db holds `objects` rows of ~1 KiB random-ish text (so chunks compress nothing away). */
function dataDirWith(objects: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-progress-'));
  const db = new Database(join(dir, DB_FILE));
  db.exec('CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version VALUES (1); CREATE TABLE objects (seq INTEGER PRIMARY KEY, body BLOB)');
  const insert = db.prepare('INSERT INTO objects (body) VALUES (?)');
  for (let i = 0; i < objects; i++) insert.run(Buffer.from(hkdfSync('sha256', MASTER, Buffer.alloc(0), `object ${i}`, 255)).toString('hex').repeat(2));
  db.close();
  return dir;
}

function source(dataDir: string): BackupSource {
  return {
    dataDir,
    snapshot: async (file) => {
      const db = new Database(join(dataDir, DB_FILE), { readonly: true });
      try {
        await db.backup(file);
      } finally {
        db.close();
      }
    },
    deriveSubkey: derive,
    now: () => new Date(),
  };
}

/** The stages in the order they first appear, and per stage the done counts. */
function byStage(steps: ProgressStep[]): { order: string[]; counts: Map<string, { done: number; total: number | null }[]> } {
  const order: string[] = [];
  const counts = new Map<string, { done: number; total: number | null }[]>();
  for (const s of steps) {
    if (!counts.has(s.stage)) {
      order.push(s.stage);
      counts.set(s.stage, []);
    }
    counts.get(s.stage)!.push({ done: s.done, total: s.total });
  }
  return { order, counts };
}

/** done rises by one from 1 to total, the same total throughout (0 first, as the stage opens). */
function assertCounted(name: string, counts: { done: number; total: number | null }[], minTotal: number): number {
  const total = counts[0]!.total;
  assert.ok(total !== null && total >= minTotal, `${name}: total ${total} >= ${minTotal}`);
  for (const c of counts) assert.equal(c.total, total, `${name}: one total`);
  const dones = counts.map((c) => c.done).filter((d) => d > 0);
  assert.deepEqual(dones, Array.from({ length: total }, (_, i) => i + 1), `${name}: done 1..total, each once, in order`);
  return total;
}

describe('progress of backup, verify and restore (main/backup)', T, () => {
  const dir = dataDirWith(400);
  const folder = mkdtempSync(join(tmpdir(), 'keyhold-progress-out-'));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(folder, { recursive: true, force: true });
    for (const n of fs.readdirSync(tmpdir())) if (n.startsWith(`${dir.split('/').pop()}.`)) rmSync(join(tmpdir(), n), { recursive: true, force: true });
  });
  let file = '';
  const unlock: Unlock = { masterKeys: (info) => [derive(info).key] };

  it('a backup reports snapshot, then encrypt and verify chunk by chunk up to their total, then done', T, async () => {
    const steps: ProgressStep[] = [];
    const r = await runBackup(source(dir), { ...DEFAULT_BACKUP_SETTINGS, folder, protection: 'master-key', includeAudit: false }, { chunkBytes: 4096, onProgress: (s) => steps.push(s) });
    file = r.file;
    const { order, counts } = byStage(steps);
    assert.deepEqual(order, ['snapshot', 'encrypt', 'verify', 'done']);
    assert.deepEqual(counts.get('snapshot'), [{ done: 0, total: null }]);
    const written = assertCounted('encrypt', counts.get('encrypt')!, 50);
    assert.deepEqual(counts.get('encrypt')![0], { done: 0, total: written }, 'the total is known before the first chunk');
    const read = assertCounted('verify', counts.get('verify')!, written);
    assert.equal(read, written, 'as many chunks read back as written');
    assert.deepEqual(steps.at(-1), { stage: 'done', done: 1, total: 1 });
    // Counts and stages only.
    assert.ok(steps.every((s) => Object.keys(s).sort().join() === 'done,stage,total'));
  });

  it('verify of a file: checking, decrypt chunk by chunk, integrity, done', T, async () => {
    const steps: ProgressStep[] = [];
    await verifyBackupFile(file, unlock, (s) => steps.push(s));
    const { order, counts } = byStage(steps);
    assert.deepEqual(order, ['checking', 'decrypt', 'integrity', 'done']);
    assertCounted('decrypt', counts.get('decrypt')!, 50);
  });

  it('restore: checking, decrypt, integrity, swap, done', T, async () => {
    const steps: ProgressStep[] = [];
    // A master-key backup gets the key that opened it copied in; any file stands in for it here.
    await restoreBackup(file, dir, unlock, { onProgress: (s) => steps.push(s), masterKeyFile: { from: join(dir, DB_FILE), name: 'master.key' } });
    const { order, counts } = byStage(steps);
    assert.deepEqual(order, ['checking', 'decrypt', 'integrity', 'swap', 'done']);
    assertCounted('decrypt', counts.get('decrypt')!, 50);
  });
});

describe('the admin progress hub', () => {
  it('sends a new stage and the last step of a stage at once, other steps at most every interval, each under its own id', () => {
    let now = 0;
    const hub = new ProgressHub({ intervalMs: 100, now: () => now });
    const got: ProgressPayload[] = [];
    const off = hub.subscribe((p) => got.push(p));
    const a = hub.reporter('aaaaaaaa', 'backup')!;
    const b = hub.reporter('bbbbbbbb', 'verify')!;
    assert.equal(hub.reporter(undefined, 'backup'), undefined, 'no id: no reporter');
    a({ stage: 'encrypt', done: 0, total: 10 });
    for (let i = 1; i <= 10; i++) {
      now += 30;
      a({ stage: 'encrypt', done: i, total: 10 });
      b({ stage: 'decrypt', done: i, total: 20 });
    }
    off();
    a({ stage: 'done', done: 1, total: 1 });
    const ofA = got.filter((p) => p.id === 'aaaaaaaa');
    assert.ok(ofA.every((p) => p.operation === 'backup'));
    assert.ok(got.filter((p) => p.id === 'bbbbbbbb').every((p) => p.operation === 'verify'));
    assert.deepEqual(ofA.map((p) => p.done), [0, 4, 8, 10], 'throttled, but the first and the last step go out');
    assert.ok(!got.some((p) => p.stage === 'done'), 'nothing after unsubscribe');
  });
});

describe('progress through the admin contract, real engine worker', T, () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-progress-engine-'));
  const folder = mkdtempSync(join(tmpdir(), 'keyhold-progress-engine-out-'));
  const log = recordingLogger();
  let host: EngineHost;
  let engine: WorkerEngine;
  let service: AdminService;
  const events: ProgressPayload[] = [];
  let off = () => {};
  const call = async (name: string, args: unknown = {}) => {
    const r = await dispatchCall(service.handlers, name, args, log);
    assert.equal(r.ok, true, `${name}: ${JSON.stringify(r)}`);
    return (r as { value: unknown }).value as Record<string, unknown>;
  };

  before(async () => {
    host = new EngineHost({ log });
    await host.start();
    engine = createWorkerEngine(host, { params: () => ({ dataDir: dir, host: '127.0.0.1', port: 0, minVersion: 'TLSv1.2' }), graceMs: 500, log });
    service = createAdminService({ appInfo: { name: 'Keyhold', id: 'keyhold', version: '0', mode: 'headless' }, engine, log, dataDir: dir, host });
    off = service.subscribe((e) => {
      if (e.name === 'progress.update') events.push(e.payload);
    });
    await call('backups.configure', { folder, protection: 'master-key' });
    await call('engine.start');
  });
  after(async () => {
    off();
    await engine.stop().catch(() => {});
    engine.dispose();
    await host.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(folder, { recursive: true, force: true });
  });

  it('a backup and a verify running together report under their own ids, in stage order, ending in done', T, async () => {
    const first = await call('backups.run', {});
    assert.equal(events.length, 0, 'a call without a progressId reports nothing');
    const [run, verify] = await Promise.all([
      call('backups.run', { progressId: 'run-1234' }),
      call('backups.verify', { file: first.name, progressId: 'verify-5678' }),
    ]);
    assert.ok(run.name && verify.name);
    assert.deepEqual([...new Set(events.map((e) => e.id))].sort(), ['run-1234', 'verify-5678']);
    const ofRun = events.filter((e) => e.id === 'run-1234');
    const ofVerify = events.filter((e) => e.id === 'verify-5678');
    assert.ok(ofRun.every((e) => e.operation === 'backup') && ofVerify.every((e) => e.operation === 'verify'), 'no step under the other call\'s id');
    assert.deepEqual(byStage(ofRun).order, ['snapshot', 'encrypt', 'verify', 'done']);
    assert.deepEqual(byStage(ofVerify).order, ['checking', 'decrypt', 'integrity', 'done']);
    for (const e of [...ofRun, ...ofVerify]) if (e.total !== null) assert.ok(e.done <= e.total, JSON.stringify(e));
    // The last step of each counted stage reaches its total.
    for (const stage of ['encrypt', 'verify'] as const) {
      const last = ofRun.filter((e) => e.stage === stage).at(-1)!;
      assert.equal(last.done, last.total, `${stage} reaches its total`);
    }
    assert.deepEqual(ofRun.at(-1), { id: 'run-1234', operation: 'backup', stage: 'done', done: 1, total: 1 });
    assert.equal(ofVerify.at(-1)!.stage, 'done');
    // Nothing in a step but the id, operation, stage and counts: no paths, no names.
    for (const e of events) assert.deepEqual(Object.keys(e).sort(), ['done', 'id', 'operation', 'stage', 'total']);
  });

  it('a new server key reports generate-key, sign, save, done with no fraction', T, async () => {
    events.length = 0;
    await call('certs.selfSigned', { dns: ['kms.example.com'], ip: [], key: 'ec-p256', days: 30, progressId: 'keygen-0001' });
    assert.deepEqual(events.map((e) => [e.operation, e.stage, e.total]), [
      ['keygen', 'generate-key', null],
      ['keygen', 'sign', null],
      ['keygen', 'save', null],
      ['keygen', 'done', 1],
    ]);
  });

  it('a progressId that is not a plain token is refused before anything runs', T, async () => {
    const r = await dispatchCall(service.handlers, 'backups.run', { progressId: '../x y' }, log);
    assert.equal(r.ok, false);
    assert.equal((r as { error: { code: string } }).error.code, 'invalid_args');
  });
});
