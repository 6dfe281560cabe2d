// The engine worker thread, for real: a Worker running main/engine/worker.ts
// with better-sqlite3 on a temp-dir file, driven through EngineHost and, for
// messages the host would never send, through a bare Worker.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { createWorkerEngine } from '../main/admin/engine.js';
import { createAdminService } from '../main/admin/handlers.js';
import { EngineError, EngineHost, WORKER_ENTRY, type CrashReport, type EngineHostOptions } from '../main/engine/host.js';
import type { EngineStatus } from '../shared/ipc/contract.js';
import { recordingLogger } from './support/admin.js';
import { REPO_ROOT } from './support/reference.js';

const T = { timeout: 10_000 };
const SQLITE_VERSION = /^3\.\d+\.\d+$/;

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'keyhold-engine-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A started host that the test must stop; short restart delays keep crash tests fast. */
async function started(opts: EngineHostOptions = {}): Promise<EngineHost> {
  const host = new EngineHost({ restart: { baseDelayMs: 20 }, ...opts });
  await host.start();
  return host;
}

const isEngineError = (code: string, message?: RegExp) => (e: unknown) =>
  e instanceof EngineError && e.code === code && (!message || message.test(e.message));

function until<T>(pred: () => T | undefined, ms = 5_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      const v = pred();
      if (v !== undefined) return resolve(v);
      if (Date.now() - t0 > ms) return reject(new Error('condition not met in time'));
      setTimeout(tick, 10);
    };
    tick();
  });
}

describe('engine worker via EngineHost', () => {
  it('pings with the SQLite version of a real database file, which exists afterwards', T, async () => {
    const dbPath = join(dir, 'keys.db');
    const host = new EngineHost({ dbPath });
    const ready = await host.start();
    assert.match(ready.sqliteVersion, SQLITE_VERSION);
    const info = await host.request('ping', {});
    assert.match(info.sqliteVersion, SQLITE_VERSION);
    assert.ok(info.uptimeMs >= ready.uptimeMs);
    assert.equal(host.state, 'running');
    await host.stop();
    assert.equal(host.state, 'stopped');
    assert.ok(existsSync(dbPath));
    // Closed cleanly and a valid SQLite database: it opens and answers here too.
    const db = new Database(dbPath, { fileMustExist: true });
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();
  });

  it('matches 50 concurrent replies to their requests', T, async () => {
    const host = await started();
    try {
      // Alternating methods: a reply delivered to the wrong request fails its result check.
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? host.request('status', {}) : host.request('ping', {}))),
      );
      results.forEach((r, i) => {
        if (i % 2) assert.equal((r as EngineStatus).state, 'stopped');
        else assert.match((r as { sqliteVersion: string }).sqliteVersion, SQLITE_VERSION);
      });
    } finally {
      await host.stop();
    }
  });

  it('reports status as the admin contract shapes it: stopped, no endpoint', T, async () => {
    const host = await started();
    try {
      const status = await host.request('status', {});
      assert.deepEqual({ ...status, since: 'x' }, { state: 'stopped', since: 'x', endpoint: null, lastError: null });
      assert.ok(!Number.isNaN(Date.parse(status.since)));
    } finally {
      await host.stop();
    }
  });

  it('answers an unknown method with bad_request and keeps serving', T, async () => {
    const host = await started();
    try {
      await assert.rejects(host.request('nope' as never, {} as never), isEngineError('bad_request', /unknown method "nope"/));
      // Invalid params for a known method, too.
      await assert.rejects(host.request('ping', { x: 1 } as never), isEngineError('bad_request', /params: unknown field "x"/));
      // The test-only method does not exist unless the worker was started for tests.
      await assert.rejects(host.request('crashForTests', { how: 'exit' }), isEngineError('bad_request', /unknown method/));
      assert.match((await host.request('ping', {})).sqliteVersion, SQLITE_VERSION);
    } finally {
      await host.stop();
    }
  });

  it('turns a throwing handler into an internal reply without a stack', T, async () => {
    const host = await started({ allowCrashForTests: true });
    try {
      await assert.rejects(host.request('crashForTests', { how: 'reject' }), (e: unknown) => {
        assert.ok(e instanceof EngineError);
        assert.equal(e.code, 'internal');
        assert.equal(e.message, 'handler failure requested by test');
        return true;
      });
      assert.equal(host.state, 'running');
    } finally {
      await host.stop();
    }
  });

  it('times out a request that gets no reply, and later ones still work', T, async () => {
    const host = await started({ allowCrashForTests: true });
    try {
      const t0 = Date.now();
      await assert.rejects(host.request('crashForTests', { how: 'hang' }, { timeoutMs: 150 }), isEngineError('timeout'));
      assert.ok(Date.now() - t0 < 2_000);
      assert.match((await host.request('ping', {})).sqliteVersion, SQLITE_VERSION);
    } finally {
      await host.stop();
    }
  });

  for (const [how, reason, exitCode] of [
    ['throw', /crash requested by test/, 1],
    ['exit', /exited with code 3/, 3],
  ] as const) {
    it(`recovers from a worker that dies (${how}): pending requests fail, the host says why and restarts`, T, async () => {
      const host = await started({ allowCrashForTests: true });
      const crashes: CrashReport[] = [];
      host.onCrash((r) => crashes.push(r));
      const readies: number[] = [];
      host.on('ready', (info) => readies.push(info.uptimeMs));
      try {
        const outstanding = host.request('status', {});
        await assert.rejects(host.request('crashForTests', { how }), isEngineError('engine_crashed', reason));
        // The other request outstanding at the crash either got its answer in time or failed the same way.
        await outstanding.catch((e: unknown) => assert.ok(isEngineError('engine_crashed')(e)));
        assert.equal(crashes.length, 1);
        assert.match(crashes[0]!.reason, reason);
        assert.equal(crashes[0]!.exitCode, exitCode);
        assert.equal(crashes[0]!.restartInMs, 20);
        // Sent while the host restarts: held, then answered by the new worker.
        const after = await host.request('ping', {});
        assert.match(after.sqliteVersion, SQLITE_VERSION);
        assert.equal(readies.length, 1);
        assert.equal(host.state, 'running');
      } finally {
        await host.stop();
      }
    });
  }

  it('gives up after too many restarts in the window, with backoff between them', T, async () => {
    const host = await started({ allowCrashForTests: true, restart: { maxRestarts: 2, baseDelayMs: 20, windowMs: 60_000 } });
    const crashes: CrashReport[] = [];
    host.onCrash((r) => crashes.push(r));
    try {
      for (let i = 0; i < 3; i++) {
        await assert.rejects(host.request('crashForTests', { how: 'exit' }), isEngineError('engine_crashed'));
      }
      assert.deepEqual(crashes.map((c) => c.restartInMs), [20, 40, null]);
      assert.equal(host.state, 'failed');
      await assert.rejects(host.request('ping', {}), isEngineError('not_running', /crashed too often.*exited with code 3/));
      // start() begins afresh.
      await host.start();
      assert.match((await host.request('ping', {})).sqliteVersion, SQLITE_VERSION);
    } finally {
      await host.stop();
    }
  });

  it('stop() during a restart cancels it and fails held requests', T, async () => {
    const host = await started({ allowCrashForTests: true, restart: { baseDelayMs: 5_000 } });
    await assert.rejects(host.request('crashForTests', { how: 'exit' }), isEngineError('engine_crashed'));
    assert.equal(host.state, 'restarting');
    const held = host.request('ping', {});
    await host.stop();
    await assert.rejects(held, isEngineError('not_running'));
    assert.equal(host.state, 'stopped');
  });

  it('a database that cannot be opened fails start() and is not retried', T, async () => {
    const host = new EngineHost({ dbPath: join(dir, 'no-such-dir', 'keys.db') });
    await assert.rejects(host.start(), isEngineError('start_failed', /directory does not exist/));
    assert.equal(host.state, 'stopped');
    await assert.rejects(host.request('ping', {}), isEngineError('not_running'));
  });

  it('stop() ends the thread and leaves nothing that keeps a process alive', T, () => {
    // In a fresh process that never calls process.exit: it must end by itself.
    const script = `
      import { EngineHost } from ${JSON.stringify(fileURLToPath(new URL('../main/engine/host.ts', import.meta.url)))};
      void process.stdout, process.stderr; // its own stdio pipes are no leak of ours
      const before = process.getActiveResourcesInfo();
      const host = new EngineHost();
      await host.start();
      const info = await host.request('ping', {});
      await host.stop();
      console.log(JSON.stringify({ info, before, handles: process.getActiveResourcesInfo() }));
    `;
    const t0 = Date.now();
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 8_000,
    });
    assert.equal(child.signal, null, `killed after ${Date.now() - t0} ms: the process did not exit by itself`);
    assert.equal(child.status, 0, child.stderr);
    const out = JSON.parse(child.stdout) as { info: { sqliteVersion: string }; before: string[]; handles: string[] };
    assert.match(out.info.sqliteVersion, SQLITE_VERSION);
    assert.deepEqual(out.handles, out.before);
  });
});

describe('engine worker, raw messages', () => {
  type Reply = { kind: string; seq: number | null; ok: boolean; value?: unknown; error?: { code: string; message: string } };

  it('answers malformed requests with bad_request (seq echoed when usable) and keeps running', T, async () => {
    const worker = new Worker(WORKER_ENTRY, { workerData: { dbPath: ':memory:', allowCrashForTests: false }, execArgv: [] });
    const replies: Reply[] = [];
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    worker.on('message', (m: Reply) => replies.push(m));
    await until(() => (replies.length > 0 ? true : undefined));
    assert.equal(replies.shift()!.kind, 'event'); // ready

    const sent: unknown[] = [
      'garbage',
      null,
      { kind: 'request', seq: -1, method: 'ping', params: {} },
      { kind: 'request', seq: 1, method: 'ping', params: { extra: 1 } },
      { kind: 'request', seq: 2, method: 'nope', params: {} },
      { kind: 'request', seq: 3, method: '__proto__', params: {} },
      { kind: 'request', seq: 4, method: 'ping', params: {}, extra: true },
      { kind: 'request', seq: 5, method: 'crashForTests', params: { how: 'throw' } },
      { kind: 'request', seq: 6, method: 'ping' },
      { kind: 'request', seq: 7, method: 'ping', params: {} },
    ];
    for (const m of sent) worker.postMessage(m);
    await until(() => (replies.length === sent.length ? true : undefined));
    const bad = replies.slice(0, -1);
    assert.deepEqual(bad.map((r) => r.seq), [null, null, null, 1, 2, 3, 4, 5, 6]);
    for (const r of bad) {
      assert.equal(r.ok, false);
      assert.equal(r.error?.code, 'bad_request');
      assert.doesNotMatch(r.error?.message ?? '', /\n\s+at /); // no stack
    }
    assert.match(bad[4]!.error!.message, /unknown method "nope"/);
    assert.match(bad[7]!.error!.message, /unknown method "crashForTests"/);
    const last = replies.at(-1)!;
    assert.equal(last.seq, 7);
    assert.ok(last.ok);

    worker.postMessage({ kind: 'request', seq: 8, method: 'shutdown', params: {} });
    assert.equal(await exited, 0); // ends by itself once the database is closed
    assert.deepEqual(replies.at(-1), { kind: 'response', seq: 8, ok: true, value: null });
  });

  it('refuses invalid workerData at load', T, async () => {
    const worker = new Worker(WORKER_ENTRY, { workerData: { dbPath: ':memory:', allowCrashForTests: 'yes' }, execArgv: [] });
    const err = await new Promise<Error>((resolve) => worker.once('error', resolve));
    assert.match(err.message, /invalid workerData\.allowCrashForTests: expected boolean/);
  });
});

describe('admin engine controller backed by the worker', () => {
  it('engine.status comes from the worker; a crash is pushed with its reason, then the fresh status', T, async () => {
    const host = await started({ allowCrashForTests: true });
    const engine = createWorkerEngine(host);
    const service = createAdminService({ appInfo: { name: 'Keyhold', id: 'keyhold', version: '0.0.0', mode: 'headless' }, engine, log: recordingLogger() });
    const pushed: EngineStatus[] = [];
    service.subscribe((e) => {
      if (e.name === 'engine.statusChanged') pushed.push(e.payload);
    });
    try {
      const fromWorker = await host.request('status', {});
      assert.deepEqual(await service.handlers['engine.status']({}), fromWorker);

      await assert.rejects(host.request('crashForTests', { how: 'throw' }));
      await until(() => (pushed.length >= 2 ? true : undefined));
      assert.deepEqual(pushed[0]!.lastError, { code: 'engine_crashed', message: 'crash requested by test' });
      assert.equal(pushed[1]!.lastError, null);
      assert.deepEqual(await service.handlers['engine.status']({}), pushed[1]);

      await host.stop();
      const down = await service.handlers['engine.status']({});
      assert.equal(down.state, 'stopped');
      assert.equal(down.lastError?.code, 'not_running');
      await assert.rejects(engine.start(), { code: 'not_implemented' });
    } finally {
      await host.stop();
    }
  });
});
