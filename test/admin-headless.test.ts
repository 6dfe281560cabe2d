// The headless admin of `keyhold serve` without a browser: the token file
// (0600, reused, rotated, replaced when others could read it), the Host
// names accepted when the operator binds beyond loopback, the serve flags,
// the UI missing, and the audit.records forwarding from the engine host.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ADMIN_TOKEN_FILE, adminToken } from '../main/admin/admin-token.js';
import { createStubEngine } from '../main/admin/engine.js';
import { createAdminService } from '../main/admin/handlers.js';
import { allowedHostsFor, startHeadlessAdmin } from '../main/admin/headless.js';
import { isAllowedHost } from '../main/admin/security.js';
import type { EngineHost } from '../main/engine/host.js';
import type { AnyEvent } from '../shared/ipc/contract.js';
import type { AuditEventPayload } from '../shared/engine/protocol.js';
import { httpRequest, recordingLogger } from './support/admin.js';
import { REPO_ROOT } from './support/reference.js';

const root = mkdtempSync(join(tmpdir(), 'keyhold-headless-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => {
  const d = join(root, `d${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

describe('admin token file', () => {
  it('is created 0600, reused across restarts, replaced by rotate', async () => {
    const dir = freshDir();
    const a = await adminToken(dir);
    assert.equal(a.how, 'created');
    assert.match(a.token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(a.file, join(dir, ADMIN_TOKEN_FILE));
    if (process.platform !== 'win32') assert.equal(statSync(a.file).mode & 0o777, 0o600);
    const b = await adminToken(dir);
    assert.deepEqual([b.how, b.token], ['reused', a.token]);
    const c = await adminToken(dir, { rotate: true });
    assert.equal(c.how, 'created');
    assert.notEqual(c.token, a.token);
    assert.equal(readFileSync(c.file, 'utf8').trim(), c.token);
  });

  it('a token others could read is replaced, a damaged file too', { skip: process.platform === 'win32' }, async () => {
    const dir = freshDir();
    const a = await adminToken(dir);
    chmodSync(a.file, 0o644);
    const b = await adminToken(dir);
    assert.equal(b.how, 'repaired');
    assert.notEqual(b.token, a.token);
    assert.equal(statSync(b.file).mode & 0o777, 0o600);
    writeFileSync(b.file, 'short\n', { mode: 0o600 });
    const c = await adminToken(dir);
    assert.equal(c.how, 'created');
    assert.notEqual(c.token, 'short');
  });
});

describe('Host names beyond loopback', () => {
  it('loopback binds accept only loopback names', () => {
    assert.equal(isAllowedHost('127.0.0.1:5697', 5697, allowedHostsFor('127.0.0.1')), true);
    assert.equal(isAllowedHost('192.0.2.10:5697', 5697, allowedHostsFor('127.0.0.1')), false);
    assert.equal(isAllowedHost('evil.example:5697', 5697, allowedHostsFor('127.0.0.1')), false);
  });

  it('a given address or name is accepted as given, on our port only', () => {
    assert.equal(isAllowedHost('192.0.2.10:5697', 5697, allowedHostsFor('192.0.2.10')), true);
    assert.equal(isAllowedHost('192.0.2.10:80', 5697, allowedHostsFor('192.0.2.10')), false);
    assert.equal(isAllowedHost('[2001:db8::1]:5697', 5697, allowedHostsFor('2001:db8::1')), true);
    assert.equal(isAllowedHost('Kms.Corp.Example:5697', 5697, allowedHostsFor('kms.corp.example')), true);
    assert.equal(isAllowedHost('rebind.attacker.example:5697', 5697, allowedHostsFor('kms.corp.example')), false);
  });

  it('a wildcard accepts this machine\'s addresses and host name, not any name', () => {
    const names = allowedHostsFor('0.0.0.0');
    assert.ok(names.includes(os.hostname()));
    assert.ok(names.includes('127.0.0.1'));
    assert.equal(isAllowedHost('rebind.attacker.example:5697', 5697, names), false);
  });
});

describe('startHeadlessAdmin', () => {
  it('without a built UI: one line saying so and no server', async () => {
    const fakeRoot = freshDir();
    writeFileSync(join(fakeRoot, 'package.json'), JSON.stringify({ name: 'keyhold', version: '0.0.0' }));
    const log = recordingLogger();
    const admin = await startHeadlessAdmin({ dataDir: freshDir(), port: 0, engine: createStubEngine(), log, appRoot: fakeRoot });
    assert.equal(admin, null);
    assert.equal(log.lines.length, 1);
    assert.match(log.lines[0]!, /^warn keyhold: admin UI not served: .*npm run build:renderer.*the KMIP server runs without it$/);
  });

  it('beyond loopback: a warning, the URL names the host, and its Host header is accepted', async () => {
    const fakeRoot = freshDir();
    writeFileSync(join(fakeRoot, 'package.json'), JSON.stringify({ name: 'keyhold', version: '0.0.0' }));
    mkdirSync(join(fakeRoot, 'renderer', 'dist'), { recursive: true });
    writeFileSync(join(fakeRoot, 'renderer', 'dist', 'index.html'), '<!doctype html><title>Keyhold</title>');
    const log = recordingLogger();
    const dataDir = freshDir();
    const admin = await startHeadlessAdmin({ dataDir, host: '0.0.0.0', port: 0, engine: createStubEngine(), log, appRoot: fakeRoot });
    assert.ok(admin);
    try {
      assert.equal(log.lines.length, 1);
      assert.match(log.lines[0]!, /^warn keyhold: warning: the admin UI listens on 0\.0\.0\.0.*plain HTTP.*SSH tunnel/);
      const token = readFileSync(join(dataDir, ADMIN_TOKEN_FILE), 'utf8').trim();
      assert.equal(admin.server.url, `http://${os.hostname()}:${admin.server.port}/#token=${token}`);
      const ok = await httpRequest(admin.server.port, { path: '/', headers: { host: `${os.hostname()}:${admin.server.port}` } });
      assert.equal(ok.status, 200);
      const rebound = await httpRequest(admin.server.port, { path: '/', headers: { host: `rebind.attacker.example:${admin.server.port}` } });
      assert.equal(rebound.status, 403);
    } finally {
      await admin.close();
    }
  });
});

describe('audit.records', () => {
  it('forwards the engine worker\'s audit batches as they come, and stops with the subscription', () => {
    const listeners = new Set<(p: AuditEventPayload) => void>();
    const host = {
      on(name: string, l: (p: AuditEventPayload) => void) {
        assert.equal(name === 'audit' || name === 'statusChanged' || name === 'listening' || name === 'ready', true);
        if (name !== 'audit') return () => {};
        listeners.add(l);
        return () => listeners.delete(l);
      },
      onCrash: () => () => {},
    } as unknown as EngineHost;
    const service = createAdminService({ appInfo: { name: 'Keyhold', id: 'keyhold', version: '0', mode: 'headless' }, engine: createStubEngine(), log: recordingLogger(), host });
    const got: AnyEvent[] = [];
    const stop = service.subscribe((e) => got.push(e));
    const record: AuditEventPayload['records'][number] = { at: '2026-01-01T00:00:00.000Z', kind: 'request', client: 'c1', address: '127.0.0.1', operation: 'Create', objects: ['1'], result: 'Success', reason: null, message: null };
    for (const l of listeners) l({ records: [record], dropped: 3 });
    assert.deepEqual(got, [{ name: 'audit.records', payload: { records: [record], dropped: 3 } }]);
    stop();
    assert.equal(listeners.size, 0);
  });
});

describe('keyhold serve admin flags', () => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'keyhold.mjs'), 'serve', '--data-dir', freshDir(), '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('exit', (code) => resolve({ code, stderr }));
    });

  it('refuses contradictions and bad values with what to give instead', async () => {
    const [a, b, c] = await Promise.all([run(['--no-admin', '--admin-port', '1']), run(['--admin-port', '70000']), run(['--admin-host', 'a b'])]);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /--no-admin and --admin-port contradict each other/);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /--admin-port must be a number from 0 to 65535, not "70000"/);
    assert.equal(c.code, 2);
    assert.match(c.stderr, /--admin-host needs an address or a host name/);
  });
});
