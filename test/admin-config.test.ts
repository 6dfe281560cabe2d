// The configuration areas of the admin contract (clients, certs, policy,
// backups, settings) through dispatchCall, as both transports reach them,
// against a real data dir and, where the call needs one, a real engine worker
// running the KMIP server: every call's success path, the refusals with their
// messages, hostile arguments, and a client added here connecting over mutual
// TLS with its bundle until it is disabled.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createWorkerEngine, type WorkerEngine } from '../main/admin/engine.js';
import { dispatchCall } from '../main/admin/dispatch.js';
import { createAdminService, type AdminService } from '../main/admin/handlers.js';
import { EngineHost } from '../main/engine/host.js';
import { createCa, createCsr, issueClientCert, issueServerCert } from '../main/pki/index.js';
import type { ArgsOf, CallName, ResultOf } from '../shared/ipc/contract.js';
import type { IpcErrorCode } from '../shared/ipc/errors.js';
import { recordingLogger } from './support/admin.js';
import { discover, type Creds } from './support/kmip-tls.js';

const LONG = { timeout: 180_000 };
const PASSPHRASE = 'correct horse battery staple';

let root: string;
let dataDir: string;
let host: EngineHost;
let engine: WorkerEngine;
let service: AdminService;
const log = recordingLogger();

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'keyhold-admin-config-'));
  dataDir = join(root, 'data');
  host = new EngineHost({ stopGraceMs: 10_000 });
  await host.start();
  engine = createWorkerEngine(host, { params: () => ({ dataDir, host: '127.0.0.1', port: 0, minVersion: 'TLSv1.2' }) });
  service = createAdminService({ appInfo: { name: 'Keyhold', id: 'keyhold', version: '0.0.0', mode: 'headless' }, engine, log, dataDir, host });
});
after(async () => {
  await engine.stop().catch(() => {});
  engine.dispose();
  await host.stop();
  rmSync(root, { recursive: true, force: true });
});

async function ok<N extends CallName>(name: N, args: ArgsOf<N> | Record<string, unknown> = {}): Promise<ResultOf<N>> {
  const r = await dispatchCall(service.handlers, name, args, log);
  if (!r.ok) assert.fail(`${name} failed: ${r.error.code}: ${r.error.message}`);
  return r.value as ResultOf<N>;
}

async function refused(name: string, args: unknown, code: IpcErrorCode, message: RegExp): Promise<string> {
  const r = await dispatchCall(service.handlers, name, args, log);
  assert.equal(r.ok, false, `${name} should be refused`);
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.error.code, code, r.error.message);
  assert.match(r.error.message, message);
  return r.error.message;
}

async function until<T>(what: () => Promise<T | undefined>, ms: number, why: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`not in time: ${why}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const fileOf = (bundle: { files: { name: string; contentBase64: string }[] }, name: string) => {
  const f = bundle.files.find((x) => x.name === name);
  assert.ok(f, `bundle has ${name}: ${bundle.files.map((x) => x.name).join(', ')}`);
  return Buffer.from(f.contentBase64, 'base64').toString('utf8');
};

async function kmipPort(): Promise<number> {
  const s = await engine.status();
  assert.equal(s.state, 'running', JSON.stringify(s));
  return Number(/:(\d+)$/.exec(s.endpoint!)![1]);
}


describe('clients', () => {
  it('lists none, adds with an issued certificate and bundle (with PKCS#12), changes, reissues and removes', LONG, async () => {
    assert.deepEqual((await ok('clients.list')).clients, []);
    const added = await ok('clients.add', { name: 'vcenter', description: 'vCenter prod', addresses: ['10.0.0.5', '10.1.0.0/24'], permissions: 'query:all,get:own,use:own,create:own', certificate: { kind: 'issue' }, p12Passphrase: 'p12-secret-1' });
    assert.deepEqual(added.bundle!.files.map((f) => f.name).sort(), ['ca.crt', 'vcenter.crt', 'vcenter.key', 'vcenter.p12']);
    assert.match(fileOf(added.bundle!, 'vcenter.key'), /BEGIN PRIVATE KEY/);
    assert.match(fileOf(added.bundle!, 'vcenter.crt'), /BEGIN CERTIFICATE/);
    assert.deepEqual(added.warnings, []);
    const c = added.client;
    assert.equal(c.name, 'vcenter');
    assert.equal(c.description, 'vCenter prod');
    assert.deepEqual(c.addresses, ['10.0.0.5', '10.1.0.0/24']);
    assert.equal(c.permissions, 'query:all,get:own,use:own,create:own');
    assert.equal(c.enabled, true);
    assert.match(c.certificate!.fingerprint, /^[0-9a-f]{64}$/);
    assert.ok(Date.parse(c.certificate!.notAfter!) > Date.now());
    assert.equal(c.lastSeen, null);
    // clients.json is the one `keyhold client list` reads.
    assert.match(readFileSync(join(dataDir, 'clients.json'), 'utf8'), /"vcenter"/);
    const listed = (await ok('clients.list')).clients;
    assert.deepEqual(listed, [c]);

    const changed = await ok('clients.update', { name: 'vcenter', addresses: ['10.0.0.0/8'], permissions: 'query', description: 'vCenter' });
    assert.equal(changed.client.permissions, 'query:all');
    assert.deepEqual(changed.client.addresses, ['10.0.0.0/8']);
    assert.match(changed.warnings[0]!, /10\.0\.0\.0\/8 is a wide range/);

    const again = await ok('clients.bundle', { name: 'vcenter' });
    assert.notEqual(again.client.certificate!.fingerprint, c.certificate!.fingerprint);
    assert.deepEqual(again.bundle.files.map((f) => f.name).sort(), ['ca.crt', 'vcenter.crt', 'vcenter.key']);

    assert.deepEqual(await ok('clients.remove', { name: 'vcenter' }), { name: 'vcenter' });
    assert.deepEqual((await ok('clients.list')).clients, []);
    await refused('clients.add', { name: 'vcenter', addresses: [], permissions: 'query', certificate: { kind: 'issue' } }, 'bad_request', /belonged to a removed client/);
  });

  it('signs a client CSR (no key in the bundle) and pins a certificate made elsewhere', LONG, async () => {
    const { csrPem } = await createCsr({ commonName: 'nas01', key: { type: 'ec', curve: 'P-256' } });
    const signed = await ok('clients.add', { name: 'nas01', addresses: [], permissions: 'query,get:own', certificate: { kind: 'csr', csrPem } });
    assert.deepEqual(signed.bundle!.files.map((f) => f.name).sort(), ['ca.crt', 'nas01.crt']);
    const other = await createCa({ commonName: 'Other CA' });
    const ext = await issueClientCert(other, { name: 'ext', key: { type: 'ec', curve: 'P-256' } });
    const pinned = await ok('clients.add', { name: 'ext', addresses: [], permissions: 'query', certificate: { kind: 'import', certPem: ext.certPem } });
    assert.equal(pinned.bundle, undefined);
    assert.equal(pinned.client.certificate!.imported, true);
    assert.equal(pinned.client.certificate!.fingerprint, ext.fingerprint);
    await refused('clients.add', { name: 'ext2', addresses: [], permissions: 'query', certificate: { kind: 'import', certPem: ext.certPem } }, 'bad_request', /already belongs to client "ext"/);
  });

  it('refuses bad fields with a sentence saying what to do, and changes nothing', async () => {
    const base = { addresses: [], permissions: 'query', certificate: { kind: 'issue' } };
    await refused('clients.add', { ...base, name: 'a', permissions: 'query,steal:all' }, 'bad_request', /^permissions: permission "steal:all": unknown group "steal" \(one of/);
    await refused('clients.add', { ...base, name: 'a', addresses: ['10.0.0.300'] }, 'bad_request', /"10\.0\.0\.300" is not an IP address or CIDR range/);
    await refused('clients.add', { ...base, name: 'a', addresses: ['10.0.0.0/33'] }, 'bad_request', /prefix length must be 0 to 32/);
    await refused('clients.add', { ...base, name: 'a', description: 'two\nlines' }, 'bad_request', /one line of at most 200 characters/);
    await refused('clients.add', { ...base, name: 'a', certificate: { kind: 'csr', csrPem: '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----' } }, 'bad_request', /./);
    await refused('clients.add', { ...base, name: 'a', certificate: { kind: 'import', certPem: 'not a certificate' } }, 'bad_request', /not a readable PEM certificate/);
    await refused('clients.add', { ...base, name: 'a', certificate: { kind: 'csr', csrPem: 'x' }, p12Passphrase: 'long enough' }, 'bad_request', /PKCS#12 file can only be made for a certificate Keyhold issues/);
    await refused('clients.update', { name: 'nobody', enabled: false }, 'not_found', /no client named "nobody" is registered/);
    await refused('clients.update', { name: 'nas01' }, 'bad_request', /Nothing to change/);
    await refused('clients.bundle', { name: 'nobody' }, 'not_found', /no client named "nobody"/);
    await refused('clients.remove', { name: 'nobody' }, 'not_found', /no client named "nobody"/);
    assert.deepEqual((await ok('clients.list')).clients.map((c) => c.name), ['nas01', 'ext']);
  });

  it('refuses hostile arguments before any handler runs', async () => {
    const base = { addresses: [], permissions: 'query', certificate: { kind: 'issue' } };
    await refused('clients.add', { ...base, name: '../../etc/passwd' }, 'invalid_args', /args\.name: has an invalid format/);
    await refused('clients.add', { ...base, name: 'x'.repeat(65) }, 'invalid_args', /args\.name: longer than 64/);
    await refused('clients.add', { ...base, name: 'a', admin: true }, 'invalid_args', /unknown field "admin"/);
    await refused('clients.add', JSON.parse('{"name":"a","addresses":[],"permissions":"query","certificate":{"kind":"issue"},"__proto__":{"polluted":1}}'), 'invalid_args', /unknown field "__proto__"/);
    await refused('clients.add', { ...base, name: 'a', certificate: { kind: 'issue', csrPem: 'x' } }, 'invalid_args', /unknown field "csrPem"/);
    await refused('clients.add', { ...base, name: 'a', certificate: { kind: 'steal' } }, 'invalid_args', /kind: expected one of "issue", "csr", "import"/);
    await refused('clients.add', { ...base, name: 'a', addresses: Array(1001).fill('10.0.0.1') }, 'invalid_args', /more than 1000 items/);
    await refused('clients.add', { ...base, name: 'a', p12Passphrase: 'short' }, 'invalid_args', /p12Passphrase: shorter than 8/);
    await refused('clients.update', { name: 'nas01', enabled: 'no' }, 'invalid_args', /enabled: expected boolean/);
    await refused('clients.list', { all: true }, 'invalid_args', /unknown field "all"/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('policy', () => {
  it('gets the defaults, sets fields, and refuses a policy the server would not read', async () => {
    const p = await ok('policy.get');
    assert.equal(p.defaultSymmetric, 'AES-256');
    assert.equal(p.softDelete, true);
    const r = await ok('policy.set', { softDeleteRetentionDays: 7, clientsMayCreate: false, allowCreate: ['nas01', 'ghost'] });
    assert.equal(r.policy.softDeleteRetentionDays, 7);
    assert.equal(r.policy.clientsMayCreate, false);
    assert.ok(r.changes.length >= 3, r.changes.join('; '));
    assert.deepEqual(r.unknownNames, [{ field: 'allowCreate', names: ['ghost'] }]);
    assert.equal((await ok('policy.get')).softDeleteRetentionDays, 7);
    // A whole KeyPolicy (as policy.get returns it) is accepted too, and changes nothing.
    assert.deepEqual((await ok('policy.set', await ok('policy.get'))).changes, []);
    await refused('policy.set', { defaultSymmetric: 'FOO-1' }, 'bad_request', /^not changed: .*defaultSymmetric/);
    await refused('policy.set', { defaultLifetimeDays: 36_501 }, 'invalid_args', /out of range 0\.\.36500/);
    await refused('policy.set', { algorithms: 'AES-256' }, 'invalid_args', /expected array/);
    await refused('policy.set', { lifetimeByClient: { 'bad name': 3 } }, 'invalid_args', /has an invalid format/);
    const own = await ok('policy.set', JSON.parse('{"lifetimeByClient":{"__proto__":5}}'));
    assert.equal(Object.hasOwn(own.policy.lifetimeByClient, '__proto__'), true);
    assert.equal(({} as Record<string, unknown>).constructor, Object);
    assert.equal((await ok('policy.get')).softDeleteRetentionDays, 7);
  });
});

describe('settings', () => {
  it('keeps server name, port and TLS in settings.json, refusing a port another program holds with a free one', async () => {
    const s = await ok('settings.get');
    assert.deepEqual(s, { serverName: 'Keyhold', kmipPort: 5696, tlsMin: '1.2', tlsProfile: 'modern', app: { startServerAtLaunch: true, openAtLogin: false } });
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen({ port: 0 }, () => r()));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const msg = await refused('settings.set', { kmipPort: taken }, 'bad_request', new RegExp(`^Port ${taken} is in use by another program: stop that program, or use port (\\d+) \\(free\\)`));
      const suggested = Number(/use port (\d+)/.exec(msg)![1]);
      const check = await ok('settings.checkPort', { port: taken });
      assert.equal(check.ok, false);
      assert.equal(check.suggested, suggested);
      const r = await ok('settings.set', { serverName: 'Vault_01', kmipPort: suggested, tlsMin: '1.3', app: { openAtLogin: true } });
      assert.equal(r.restartNeeded, false);
      assert.ok(r.changes.some((c) => c.includes(`KMIP port 5696 → ${suggested}`)), r.changes.join('; '));
      const saved = JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8'));
      assert.deepEqual(saved, { serverName: 'Vault_01', kmipPort: suggested, tlsMin: '1.3', tlsProfile: 'modern', app: { startServerAtLaunch: true, openAtLogin: true } });
    } finally {
      blocker.close();
    }
    await refused('settings.set', { serverName: 'my vault' }, 'invalid_args', /serverName: has an invalid format/);
    await refused('settings.set', { kmipPort: 70000 }, 'invalid_args', /out of range 1\.\.65535/);
    await refused('settings.set', { tlsMin: '1.0' }, 'invalid_args', /expected one of "1\.2", "1\.3"/);
    await refused('settings.set', { app: { openAtLogin: true, autoUpdate: true } }, 'invalid_args', /unknown field "autoUpdate"/);
    // Back to the defaults the engine of this test starts with (its params ignore settings.json).
    await ok('settings.set', { serverName: 'Keyhold', kmipPort: 5696, tlsMin: '1.2', app: { openAtLogin: false } });
  });
});

describe('certificates', () => {
  it('reports every check, issues a server certificate, makes a CSR, imports one made elsewhere, exports the CA', LONG, async () => {
    const report = await ok('certs.report');
    assert.ok(report.checks.length >= 5);
    assert.ok(report.checks.every((c) => typeof c.ok === 'boolean' && (c.severity === 'error' || c.severity === 'warning') && c.message.length > 0));
    const issued = await ok('certs.selfSigned', { dns: ['kmip.example.com'], ip: ['127.0.0.1'], key: 'ec-p256', days: 90 });
    assert.deepEqual(issued.report.server.dnsNames, ['kmip.example.com']);
    assert.deepEqual(issued.report.server.ipAddresses, ['127.0.0.1']);
    assert.ok(issued.report.checks.every((c) => c.ok || c.severity === 'warning'), JSON.stringify(issued.report.checks));
    const { csrPem } = await ok('certs.csr', { dns: ['kmip.corp.example'], ip: [], key: 'ec-p256' });
    assert.match(csrPem, /^-----BEGIN CERTIFICATE REQUEST-----/);
    assert.equal((await ok('certs.report')).pendingCsr, true);
    const corp = await createCa({ commonName: 'Corp Root CA' });
    const made = await issueServerCert(corp, { includeMachineNames: false, dnsNames: ['kmip.corp.example'], ipAddresses: ['127.0.0.1'], key: { type: 'ec', curve: 'P-256' } });
    const imported = await ok('certs.import', { certPem: made.certPem, keyPem: made.keyPem, chainPem: corp.certPem });
    assert.deepEqual(imported.report.server.dnsNames, ['kmip.corp.example']);
    assert.equal(imported.report.serverCa.subject.includes('Corp Root CA'), true);
    assert.equal((await ok('certs.exportCa')).pem.trim(), corp.certPem.trim());
    // Back to a certificate from Keyhold's CA for the TLS test below.
    await ok('certs.selfSigned', { dns: ['localhost'], ip: ['127.0.0.1'], key: 'ec-p256', days: 30 });
    assert.match((await ok('certs.exportCa')).pem, /^-----BEGIN CERTIFICATE-----/);
  });

  it('refuses what cannot be a server certificate', LONG, async () => {
    await refused('certs.selfSigned', { dns: [], ip: [], key: 'ec-p256', days: 30 }, 'bad_request', /Give the host names and\/or IP addresses/);
    await refused('certs.selfSigned', { dns: ['bad_host name'], ip: [], key: 'ec-p256', days: 30 }, 'bad_request', /^Host names: "bad_host name" is not a host name/);
    await refused('certs.selfSigned', { dns: [], ip: ['10.0.0.0/24'], key: 'ec-p256', days: 30 }, 'bad_request', /is a range; give single addresses/);
    await refused('certs.selfSigned', { dns: ['a.example'], ip: [], key: 'rsa-1024', days: 30 }, 'invalid_args', /key: expected one of/);
    await refused('certs.selfSigned', { dns: ['a.example'], ip: [], key: 'ec-p256', days: 5000 }, 'invalid_args', /out of range 1\.\.825/);
    await refused('certs.import', { certPem: 'nothing here' }, 'bad_request', /holds no PEM certificate/);
    await refused('certs.import', { pkcs12Base64: 'not base64!', passphrase: 'x' }, 'invalid_args', /pkcs12Base64: has an invalid format/);
    await refused('certs.import', { pkcs12Base64: 'AAAA', passphrase: 'x' }, 'bad_request', /./);
    await refused('certs.import', { certPem: 'x', pkcs12Base64: 'AAAA' }, 'invalid_args', /unknown field "certPem"/);
    const other = await createCa({ commonName: 'Elsewhere' });
    const leaf = await issueServerCert(other, { includeMachineNames: false, dnsNames: ['x.example'], key: { type: 'ec', curve: 'P-256' } });
    await refused('certs.import', { certPem: leaf.certPem, keyPem: leaf.keyPem }, 'bad_request', /chain does not reach a root CA/);
  });
});

describe('a client added here, over mutual TLS', () => {
  it('connects with its bundle, is seen, and is refused once disabled', LONG, async () => {
    await engine.start();
    const port = await kmipPort();
    const added = await ok('clients.add', { name: 'app1', addresses: ['127.0.0.1'], permissions: 'query', certificate: { kind: 'issue' } });
    const creds: Creds = { cert: fileOf(added.bundle!, 'app1.crt'), key: fileOf(added.bundle!, 'app1.key'), ca: fileOf(added.bundle!, 'ca.crt') };
    // The server picks clients.json up within a second.
    await until(async () => ((await discover(port, creds)) === 'ok' ? true : undefined), 5_000, 'the new client connects');
    const seen = await until(async () => (await ok('clients.list')).clients.find((c) => c.name === 'app1')?.lastSeen ?? undefined, 5_000, 'lastSeen from the audit log');
    assert.ok(Date.now() - Date.parse(seen) < 60_000);
    assert.equal((await ok('clients.update', { name: 'app1', enabled: false })).client.enabled, false);
    const why = await until(async () => {
      const r = await discover(port, creds);
      return r === 'ok' ? undefined : r;
    }, 5_000, 'the disabled client is refused');
    assert.match(why, /^refused/);
    await ok('clients.update', { name: 'app1', enabled: true });
    await until(async () => ((await discover(port, creds)) === 'ok' ? true : undefined), 5_000, 'enabled again');
  });
});

describe('backups', () => {
  it('configures, runs through the engine, lists, verifies and restores with the server stopped', LONG, async () => {
    const folder = join(root, 'backups');
    mkdirSync(folder);
    const d = await ok('backups.settings');
    assert.equal(d.folder, null);
    assert.equal(d.schedule, 'off');
    assert.equal(d.passphraseSet, false);
    await refused('backups.run', {}, 'bad_request', /No backup folder is configured/);
    await refused('backups.configure', { folder: join(dataDir, 'bk') }, 'bad_request', /must not be inside the data dir/);
    await refused('backups.configure', { folder: 'backups' }, 'bad_request', /Give the full path of the backup folder/);
    await refused('backups.configure', { folder: '/tmp/x\u0000y' }, 'invalid_args', /folder: has an invalid format/);
    await refused('backups.configure', { folder, protection: 'passphrase' }, 'bad_request', /passphrase protection needs the backup passphrase/);
    await refused('backups.configure', { folder, protection: 'passphrase', passphrase: 'short' }, 'bad_request', /at least 12 characters/);
    await refused('backups.configure', { schedule: 'daily at 02:00' }, 'bad_request', /a schedule needs a folder/);
    await refused('backups.configure', { folder, schedule: 'hourly' }, 'bad_request', /"hourly" is not a schedule/);
    await refused('backups.configure', { folder, passphrase: PASSPHRASE }, 'bad_request', /goes with passphrase protection/);
    const c = await ok('backups.configure', { folder, protection: 'passphrase', passphrase: PASSPHRASE, keep: 3, schedule: 'daily at 02:30' });
    assert.equal(c.settings.passphraseSet, true);
    assert.equal(c.settings.schedule, 'daily at 02:30');
    assert.match(c.settings.keepSafe, /keep the backup passphrase safe/);
    assert.equal(c.settings.sameDeviceWarning !== null, true); // a temp folder beside the data dir
    assert.ok(c.changes.length >= 3);
    assert.doesNotMatch(JSON.stringify(c), new RegExp(PASSPHRASE));

    assert.equal((await engine.status()).state, 'running');
    const run = await ok('backups.run');
    assert.match(run.name, /^keyhold-\d{8}-\d{6}(-\d+)?\.khbak$/);
    const list = await ok('backups.list');
    assert.equal(list.folder, folder);
    assert.equal(list.backups[0]!.name, run.name);
    assert.equal(list.backups[0]!.protection, 'passphrase');
    assert.notEqual(list.backups[0]!.verifiedAt, null);

    await refused('backups.verify', { file: run.name }, 'bad_request', /protected by the backup passphrase: enter it/);
    await refused('backups.verify', { file: run.name, passphrase: 'wrong passphrase!' }, 'bad_request', /is not usable/);
    const v = await ok('backups.verify', { file: run.name, passphrase: PASSPHRASE });
    assert.equal(v.by, 'file');
    assert.equal(v.objects, run.objects);
    await refused('backups.verify', { file: 'keyhold-20990101-000000.khbak' }, 'not_found', /not in the backup folder/);
    await refused('backups.verify', { file: '../data/keys.db' }, 'invalid_args', /file: has an invalid format/);
    await refused('backups.restore', { file: run.name, passphrase: PASSPHRASE, confirm: 'yes' }, 'bad_request', /Type the backup's file name .* exactly to confirm/);
    await refused('backups.restore', { file: run.name, passphrase: PASSPHRASE, confirm: run.name }, 'bad_request', /Stop the KMIP server first/);

    // A client added after the backup is gone after the restore.
    await ok('clients.add', { name: 'after-backup', addresses: [], permissions: 'query', certificate: { kind: 'issue' } });
    await engine.stop();
    await refused('backups.run', {}, 'bad_request', /The KMIP server is not running/);
    await refused('backups.restore', { file: run.name, confirm: run.name }, 'bad_request', /protected by the backup passphrase: enter it/);
    const r = await ok('backups.restore', { file: run.name, passphrase: PASSPHRASE, confirm: run.name });
    assert.equal(r.objects, run.objects);
    assert.ok(r.setAside !== null && r.setAside.startsWith(`${dataDir}.before-restore`), String(r.setAside));
    const names = (await ok('clients.list')).clients.map((x) => x.name);
    assert.equal(names.includes('app1'), true);
    assert.equal(names.includes('after-backup'), false);
    await engine.start();
    assert.equal((await engine.status()).state, 'running');
  });
});
