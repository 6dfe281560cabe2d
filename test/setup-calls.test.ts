// The setup wizard's calls (setup.*) through the admin dispatcher, against a
// real data dir: step 1's environment checks (a port another program holds,
// the running server's own port, low space, a wrong clock), the wizard's
// progress kept in DIR/setup.json across service instances, and step 6's
// connection test against a real `keyhold serve`.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CallName } from '../shared/ipc/contract.js';
import type { SetupEnvironment, SetupState, SetupTestResult } from '../shared/ipc/calls/setup.js';
import type { CallResult } from '../shared/ipc/errors.js';
import { dispatchCall, type Handlers } from '../main/admin/dispatch.js';
import { clockCheck, LOW_SPACE_WARNING, setupHandlers, spaceCheck } from '../main/admin/calls/setup.js';
import { createCa, issueClientCert } from '../main/pki/index.js';
import { fakeEngine, recordingLogger, type FakeEngine } from './support/admin.js';
import { enrolHere, startServe, stopChild, type ServeProcess } from './support/kmip-tls.js';
import { REPO_ROOT } from './support/reference.js';

const APP = { name: 'Keyhold', id: 'keyhold', version: '0.0.0', mode: 'headless' } as const;
const BIN = join(REPO_ROOT, 'bin', 'keyhold.mjs');

function service(dataDir: string, engine: FakeEngine = fakeEngine()): (name: CallName, args?: unknown) => Promise<CallResult<unknown>> {
  const log = recordingLogger();
  // Only the setup area: the dispatcher validates args against the whole contract as in the app.
  const handlers = setupHandlers({ appInfo: APP, engine, log, dataDir }) as unknown as Handlers;
  return (name, args = {}) => dispatchCall(handlers, name, args, log);
}

function value<T>(r: CallResult<unknown>): T {
  if (!r.ok) assert.fail(`call failed: ${r.error.code}: ${r.error.message}`);
  return r.value as T;
}

/** Holds a port the way another program would; resolves with it. */
function holdPort(port = 0): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ port }, () => resolve(s));
  });
}
const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;
const close = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));

describe('setup.state, setup.progress, setup.complete', () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-setup-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('start at step 1, keep the step reached across service instances, and mark setup done', async () => {
    const dir = join(root, 'a');
    const call = service(dir);
    assert.deepEqual(value<SetupState>(await call('setup.state')), { complete: false, step: 1, completedAt: null, existing: false });
    assert.equal(value<SetupState>(await call('setup.progress', { step: 4 })).step, 4);
    // Another process (a restart) reads the same file.
    const again = service(dir);
    assert.deepEqual(value<SetupState>(await again('setup.state')), { complete: false, step: 4, completedAt: null, existing: false });
    const done = value<SetupState>(await again('setup.complete'));
    assert.equal(done.complete, true);
    assert.match(done.completedAt ?? '', /^\d{4}-\d\d-\d\dT/);
    assert.equal(done.step, 4);
    const file = JSON.parse(readFileSync(join(dir, 'setup.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(file.complete, true);
    assert.equal(value<SetupState>(await service(dir)('setup.state')).complete, true);
  });

  it('refuses a step outside 1..6 and unknown fields', async () => {
    const call = service(join(root, 'b'));
    for (const args of [{ step: 0 }, { step: 7 }, { step: 2.5 }, { step: '3' }, { step: 2, extra: 1 }]) {
      const r = await call('setup.progress', args);
      assert.equal(r.ok, false, JSON.stringify(args));
      if (!r.ok) assert.equal(r.error.code, 'invalid_args');
    }
  });

  it('says how to fix a damaged setup.json', async () => {
    const dir = join(root, 'c');
    const call = service(dir);
    value(await call('setup.progress', { step: 2 }));
    writeFileSync(join(dir, 'setup.json'), '{ not json');
    const r = await call('setup.state');
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.code, 'bad_request');
      assert.match(r.error.message, /setup\.json is not valid JSON: fix it, or delete it/);
    }
  });

  it('without a data dir says where setup runs', async () => {
    const log = recordingLogger();
    const handlers = setupHandlers({ appInfo: APP, engine: fakeEngine(), log }) as unknown as Handlers;
    const r = await dispatchCall(handlers, 'setup.state', {}, log);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, 'not_implemented');
  });
});

describe('setup.environment', () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-setup-env-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('a free port, free space, host names and addresses, a sane clock', async () => {
    const probe = await holdPort();
    const port = portOf(probe);
    await close(probe);
    const env = value<SetupEnvironment>(await service(join(root, 'd'))('setup.environment', { port }));
    assert.deepEqual(env.checks.map((c) => c.id), ['space', 'port', 'hosts', 'clock']);
    const byId = Object.fromEntries(env.checks.map((c) => [c.id, c]));
    assert.equal(byId.port!.ok, true);
    assert.equal(byId.port!.code, 'port.free');
    assert.equal(env.port, port);
    assert.equal(env.suggestedPort, null);
    assert.ok(env.freeBytes !== null && env.freeBytes > 0);
    assert.equal(byId.space!.ok, env.freeBytes >= LOW_SPACE_WARNING);
    assert.ok(env.hostNames.includes('localhost'));
    assert.ok(env.addresses.includes('127.0.0.1'));
    assert.equal(byId.clock!.ok, true, byId.clock!.message);
    for (const c of env.checks) assert.ok(c.message.length > 10 && typeof c.params === 'object');
  });

  it('a port another program holds is an error that names a free port', async () => {
    const held = await holdPort();
    try {
      const port = portOf(held);
      const env = value<SetupEnvironment>(await service(join(root, 'e'))('setup.environment', { port }));
      const c = env.checks.find((x) => x.id === 'port')!;
      assert.equal(c.ok, false);
      assert.equal(c.severity, 'error');
      assert.equal(c.code, 'port.inUse');
      assert.ok(env.suggestedPort !== null && env.suggestedPort > port);
      assert.equal(c.params.suggested, env.suggestedPort);
      assert.match(c.message, new RegExp(`Port ${port} is in use by another program: stop that program, or use port ${env.suggestedPort} \\(free\\) in step 3`));
      // The suggested port really is free.
      await close(await holdPort(env.suggestedPort));
    } finally {
      await close(held);
    }
  });

  it("the running server's own port counts as ok", async () => {
    const held = await holdPort();
    try {
      const port = portOf(held);
      const engine = fakeEngine({ state: 'running', endpoint: `0.0.0.0:${port}` });
      const env = value<SetupEnvironment>(await service(join(root, 'f'), engine)('setup.environment', { port }));
      const c = env.checks.find((x) => x.id === 'port')!;
      assert.equal(c.ok, true);
      assert.equal(c.code, 'port.ours');
      // The same port while that server is stopped: someone else holds it.
      engine.emit({ ...engine.status(), state: 'stopped', endpoint: null });
      const env2 = value<SetupEnvironment>(await service(join(root, 'f'), engine)('setup.environment', { port }));
      assert.equal(env2.checks.find((x) => x.id === 'port')!.ok, false);
    } finally {
      await close(held);
    }
  });

  it('a clock that cannot be right, or before the build, is an error; the host check with loopback only warns', async () => {
    const log = recordingLogger();
    const dir = join(root, 'g');
    const handlers = setupHandlers(
      { appInfo: APP, engine: fakeEngine(), log, dataDir: dir },
      { now: () => new Date('2019-06-01T00:00:00Z'), buildTime: null, hostname: () => 'vault01', interfaces: () => ({ lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }] }) },
    );
    const env = await (handlers as unknown as Handlers)['setup.environment']({});
    const byId = Object.fromEntries(env.checks.map((c) => [c.id, c]));
    assert.equal(byId.clock!.code, 'clock.year');
    assert.equal(byId.clock!.severity, 'error');
    assert.equal(byId.hosts!.code, 'hosts.loopbackOnly');
    assert.equal(byId.hosts!.severity, 'warning');
    assert.deepEqual(env.hostNames, ['vault01', 'localhost']);
    assert.deepEqual(env.addresses, ['127.0.0.1']);

    const built = new Date('2026-11-01T00:00:00Z');
    assert.equal(clockCheck(new Date('2026-10-01T00:00:00Z'), built).code, 'clock.beforeBuild');
    assert.equal(clockCheck(new Date('2026-12-01T00:00:00Z'), built).code, 'clock.ok');
  });

  it('space: a warning under 1 GB, an error when almost none is left', () => {
    assert.equal(spaceCheck('/d', 5 * 1024 ** 3).severity, 'info');
    const low = spaceCheck('/d', 500 * 1024 ** 2);
    assert.equal(low.severity, 'warning');
    assert.match(low.message, /less than 1 GB\): free up space or move the data folder/);
    assert.equal(spaceCheck('/d', 10 * 1024 ** 2).severity, 'error');
    assert.equal(spaceCheck('/d', null).code, 'space.unknown');
  });
});

describe('setup.testConnection against keyhold serve', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-setup-conn-'));
  const dir = join(root, 'data');
  let serve: ServeProcess;
  let engine: FakeEngine;
  let call: ReturnType<typeof service>;

  before(async () => {
    serve = await startServe(BIN, dir);
    engine = fakeEngine({ state: 'running', endpoint: `127.0.0.1:${serve.port}` });
    call = service(dir, engine);
  });
  after(async () => {
    await stopChild(serve.child);
    rmSync(root, { recursive: true, force: true });
  });

  it('as the first client, with the certificate and key of its bundle: every step passes', async () => {
    const creds = await enrolHere(dir, join(root, 'alice'), 'alice', {});
    const r = value<SetupTestResult>(await call('setup.testConnection', { client: 'alice', certPem: creds.cert, keyPem: creds.key }));
    assert.equal(r.ok, true, JSON.stringify(r.steps));
    assert.deepEqual(r.steps.map((s) => [s.step, s.status === 'fail' || s.status === 'skipped' ? s.status : 'pass']), [
      ['TCP', 'pass'], ['TLS handshake', 'pass'], ['server certificate', 'pass'], ['client certificate', 'pass'], ['KMIP', 'pass'],
    ]);
    assert.equal(r.client, 'alice');
    assert.equal(r.selftest, false);
    assert.equal(r.target, `127.0.0.1:${serve.port}`);
    assert.ok(r.kmip && r.kmip.operations > 0);
    // Nothing secret comes back.
    assert.doesNotMatch(JSON.stringify(r), /PRIVATE KEY/);
  });

  it('a data dir with a server certificate and a client counts as already set up (the wizard may be skipped)', async () => {
    // The self-test client alone does not count; alice (enrolled above) does.
    const st = value<SetupState>(await call('setup.state'));
    assert.equal(st.existing, true);
    assert.equal(st.complete, false);
  });

  it('without credentials, as the built-in Query-only client', async () => {
    const r = value<SetupTestResult>(await call('setup.testConnection', {}));
    assert.equal(r.ok, true, JSON.stringify(r.steps));
    assert.equal(r.selftest, true);
    assert.match(r.client, /^keyhold-selftest/);
  });

  it('a certificate the server does not know fails at its step, the rest skipped', async () => {
    const other = await createCa({ commonName: 'Elsewhere CA' });
    const issued = await issueClientCert(other, { name: 'mallory' });
    const r = value<SetupTestResult>(await call('setup.testConnection', { client: 'mallory', certPem: issued.certPem, keyPem: issued.keyPem }));
    assert.equal(r.ok, false);
    const failed = r.steps.find((s) => s.status === 'fail')!;
    assert.ok(['TLS handshake', 'client certificate'].includes(failed.step), JSON.stringify(r.steps));
    assert.ok(failed.hint !== undefined && failed.hint.length > 0);
    assert.equal(r.steps.at(-1)!.status, 'skipped');
  });

  it('refuses a key that does not go with the certificate, half the credentials, and a stopped server', async () => {
    const a = await issueClientCert(await createCa({ commonName: 'A' }), { name: 'a' });
    const b = await issueClientCert(await createCa({ commonName: 'B' }), { name: 'b' });
    let r = await call('setup.testConnection', { certPem: a.certPem, keyPem: b.keyPem });
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error.message, /cannot be used together .*: give the files of the client's bundle/);
    r = await call('setup.testConnection', { certPem: a.certPem });
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error.message, /Give both the client certificate and its key, or neither/);
    const stopped = service(dir, fakeEngine());
    r = await stopped('setup.testConnection', {});
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error.message, /The KMIP server is not running: start it, then run the test again/);
  });
});
