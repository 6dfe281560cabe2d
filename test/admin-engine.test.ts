// The admin's engine controls against a real engine worker and data dir
// (main/admin/engine.ts): engine.start/stop/unlock through the contract's
// handlers, the statusChanged pushes, the same port after a stop and start,
// the server brought back after a worker crash only if it was wanted, and a
// passphrase-protected master key unlocked from the UI.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createWorkerEngine, type WorkerEngine } from '../main/admin/engine.js';
import { createAdminService, type AdminService } from '../main/admin/handlers.js';
import { EngineHost } from '../main/engine/host.js';
import { ipcError } from '../shared/ipc/errors.js';
import type { EngineStatus } from '../shared/ipc/contract.js';
import { dispatchCall } from '../main/admin/dispatch.js';
import { recordingLogger } from './support/admin.js';
import { queryAudit } from '../main/audit/audit-log.js';
import type { AuditEventRecord } from '../shared/ipc/contract.js';

const T = { timeout: 120_000 };

function until<T>(pred: () => T | undefined, ms = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const end = Date.now() + ms;
    const tick = () => {
      const v = pred();
      if (v !== undefined) return resolve(v);
      if (Date.now() > end) return reject(new Error('timed out'));
      setTimeout(tick, 25);
    };
    tick();
  });
}

describe('engine controls against a real worker', T, () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-admin-engine-'));
  const log = recordingLogger();
  let host: EngineHost;
  let engine: WorkerEngine;
  let service: AdminService;
  const pushed: EngineStatus[] = [];
  let stopPushes = () => {};

  const call = async (name: string, args: unknown = {}) => dispatchCall(service.handlers, name, args, log);
  const state = async () => ((await call('engine.status')) as { value: EngineStatus }).value;

  before(async () => {
    host = new EngineHost({ log, allowCrashForTests: true, restart: { baseDelayMs: 20, maxDelayMs: 50 } });
    await host.start();
    engine = createWorkerEngine(host, { params: () => ({ dataDir: dir, host: '127.0.0.1', port: 0, minVersion: 'TLSv1.2' }), graceMs: 500, log });
    service = createAdminService({ appInfo: { name: 'Keyhold', id: 'keyhold', version: '0', mode: 'headless' }, engine, log, dataDir: dir, host });
    stopPushes = service.subscribe((e) => {
      if (e.name === 'engine.statusChanged') pushed.push(e.payload);
    });
  });
  after(async () => {
    stopPushes();
    engine.dispose();
    await host.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('start, stop and start again: the status answers and pushes follow, on the same port', T, async () => {
    const started = await call('engine.start');
    assert.equal(started.ok, true, JSON.stringify(started));
    const first = (started as { value: EngineStatus }).value;
    assert.equal(first.state, 'running');
    assert.match(first.endpoint!, /^127\.0\.0\.1:\d+$/);
    assert.ok(pushed.some((s) => s.state === 'starting') && pushed.at(-1)!.state === 'running');
    // A second start changes nothing.
    assert.equal(((await call('engine.start')) as { value: EngineStatus }).value.endpoint, first.endpoint);

    const stopped = (await call('engine.stop')) as { value: EngineStatus };
    assert.equal(stopped.value.state, 'stopped');
    assert.equal(pushed.at(-1)!.state, 'stopped');
    assert.equal(engine.wanted, false);
    const again = (await call('engine.start')) as { value: EngineStatus };
    assert.equal(again.value.endpoint, first.endpoint, 'a server asked for port 0 keeps the port it had');
  });

  it("start and stop from the UI each leave one audit record 'server started' / 'server stopped', with the endpoint and the cause, live too", T, async () => {
    const live: AuditEventRecord[] = [];
    const off = service.subscribe((e) => {
      if (e.name === 'audit.records') live.push(...e.payload.records);
    });
    try {
      const ours = () => queryAudit(dir).filter((r) => r.operation === 'server started' || r.operation === 'server stopped');
      const before = ours().length;
      const endpoint = ((await call('engine.start')) as { value: EngineStatus }).value.endpoint!;
      // A second start while running changes nothing, and records nothing.
      await call('engine.start');
      await call('engine.stop');
      // A stop while stopped: nothing either.
      await call('engine.stop');
      const added = ours().slice(before);
      assert.deepEqual(added.map((r) => [r.kind, r.operation, r.result, r.reason]), [
        ['admin', 'server started', 'applied', 'ui'],
        ['admin', 'server stopped', 'applied', 'ui'],
      ]);
      assert.equal(added[0]!.message, `KMIP server listening on ${endpoint}; started by an operator in the admin UI`);
      assert.equal(added[1]!.message, `KMIP server stopped (it listened on ${endpoint}); stopped by an operator in the admin UI`);
      // The Logs screen's live tail gets them as they are logged.
      await until(() => (live.some((r) => r.operation === 'server started') ? true : undefined));
      assert.equal(live.filter((r) => r.operation === 'server started').length, 1);
    } finally {
      off();
    }
    await call('engine.start');
  });

  it('after a worker crash the server comes back if it was running, and stays stopped if it was stopped', T, async () => {
    await host.request('crashForTests', { how: 'throw' }).catch(() => {});
    await until(() => (pushed.at(-1)?.state === 'running' ? true : undefined));
    assert.ok(pushed.some((s) => s.lastError?.code === 'engine_crashed'), 'the crash was pushed with its reason');
    assert.equal((await state()).state, 'running');

    await call('engine.stop');
    const mark = pushed.length;
    await host.request('crashForTests', { how: 'exit' }).catch(() => {});
    await until(() => (host.state === 'running' ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await state()).state, 'stopped');
    assert.ok(!pushed.slice(mark).some((s) => s.state === 'running' || s.state === 'starting'));
  });

  it('unlock: refused while not locked; a passphrase-protected key starts locked and is unlocked from the UI', T, async () => {
    await call('engine.start');
    assert.deepEqual(await call('engine.unlock', { passphrase: 'whatever' }), { ok: false, error: ipcError('bad_request', 'The server is not locked: there is nothing to unlock.', 'errors.engine.notLocked') });
    await host.request('protectMasterKey', { to: 'passphrase', passphrase: 'correct horse battery' }, { timeoutMs: 60_000 });
    await call('engine.stop');
    const locked = (await call('engine.start')) as { value: EngineStatus };
    assert.equal(locked.value.state, 'locked');
    const wrong = await call('engine.unlock', { passphrase: 'wrong passphrase!' });
    assert.equal(wrong.ok, false);
    assert.equal((wrong as { error: { code: string } }).error.code, 'forbidden');
    assert.match((wrong as { error: { message: string } }).error.message, /^Not unlocked: .*wrong passphrase.*Check the passphrase and try again\.$/);
    // The throttle makes the next attempt wait a moment after a wrong one.
    let ok: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 20; i++) {
      ok = await call('engine.unlock', { passphrase: 'correct horse battery' });
      if (ok.ok || !/try again in|next attempt/.test((ok as { error: { message: string } }).error.message)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(ok!.ok, true, JSON.stringify(ok));
    assert.equal((ok as { value: EngineStatus }).value.state, 'running');
  });
});

describe('keyhold serve records its start and its stop by a signal', T, () => {
  it("'server started' by keyhold serve, 'server stopped' by a signal, once each", T, async () => {
    const { serve } = await import('../main/server/serve.js');
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-serve-audit-'));
    try {
      let stop!: () => void;
      const stopSignal = new Promise<void>((r) => (stop = r));
      let endpoint = '';
      const served = serve({ dataDir: dir, host: '127.0.0.1', port: 0, log: recordingLogger(), stopSignal, onListening: (a) => ((endpoint = `${a.host}:${a.port}`), stop()) });
      await served;
      const rows = queryAudit(dir).filter((r) => r.operation === 'server started' || r.operation === 'server stopped');
      assert.deepEqual(rows.map((r) => [r.operation, r.reason]), [
        ['server started', 'cli'],
        ['server stopped', 'signal'],
      ]);
      assert.match(rows[0]!.message!, new RegExp(`listening on ${endpoint.replace(/\./g, '\\.')}; started by keyhold serve$`));
      assert.match(rows[1]!.message!, /stopped by a signal to the process \(SIGINT or SIGTERM\)$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
