// The Keys, Logs and Dashboard areas of the admin contract against a real data
// dir and a real engine worker: an EngineHost running startServer (as
// `keyhold serve` does), keys created over KMIP by an enrolled client, and
// every call made through dispatchCall, so argument validation is exercised
// exactly as the transports do it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type tls from 'node:tls';
import { buildAttributes, buildRequestMessage, parseResponseMessage, type Attribute, type ResponseBatchItem } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, item, struct, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import type { CallResult } from '../shared/ipc/errors.js';
import type { ArgsOf, CallName, ResultOf } from '../shared/ipc/contract.js';
import { parseGrants } from '../main/access/policy.js';
import { dispatchCall } from '../main/admin/dispatch.js';
import { createWorkerEngine } from '../main/admin/engine.js';
import { createAdminService, type AdminService } from '../main/admin/handlers.js';
import { EngineHost } from '../main/engine/host.js';
import { matchesLogFilter } from '../shared/forms/log-filters.js';
import { call, connect, enrolHere, type Creds } from './support/kmip-tls.js';
import { recordingLogger } from './support/admin.js';

const T = { timeout: 60_000 };
const V21 = { major: 2, minor: 1 };

const nameAttr = (n: string): Attribute => ({
  name: 'Name',
  value: { type: 'Structure', value: [item(Tag.NameValue, 'TextString', n), item(Tag.NameType, 'Enumeration', Enum.NameType.UninterpretedTextString)] },
});
function request(operation: number, payload: TtlvItem[]): Uint8Array {
  return encodeTtlv(buildRequestMessage({ header: { protocolVersion: V21 }, batchItems: [{ operation, requestPayload: struct(Tag.RequestPayload, payload) }] }));
}
const createAes = (n: string) =>
  request(Enum.Operation.Create, [
    item(Tag.ObjectType, 'Enumeration', Enum.ObjectType.SymmetricKey),
    buildAttributes([
      { name: 'CryptographicAlgorithm', value: { type: 'Enumeration', value: Enum.CryptographicAlgorithm.AES } },
      { name: 'CryptographicLength', value: { type: 'Integer', value: 256 } },
      { name: 'CryptographicUsageMask', value: { type: 'Integer', value: Enum.CryptographicUsageMask.Encrypt | Enum.CryptographicUsageMask.Decrypt } },
      nameAttr(n),
    ]),
  ]);
const idOf = (r: ResponseBatchItem) => (r.responsePayload as { value: TtlvItem[] }).value.find((c) => c.tag === Tag.UniqueIdentifier)!.value as string;

describe('admin keys, logs and dashboard against a running engine', () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-admin-keys-'));
  const dir = join(root, 'data');
  const log = recordingLogger();
  let host: EngineHost;
  let service: AdminService;
  let socket: tls.TLSSocket;
  let creds: Creds;
  const ids: Record<string, string> = {};

  const raw = (name: string, args: unknown): Promise<CallResult<unknown>> => dispatchCall(service.handlers, name, args, log);
  async function ok<N extends CallName>(name: N, args: ArgsOf<N>): Promise<ResultOf<N>> {
    const r = await raw(name, args);
    if (!r.ok) assert.fail(`${name}: ${r.error.code} ${r.error.message}`);
    return r.value as ResultOf<N>;
  }
  async function refused(name: CallName, args: unknown, code: string, message: RegExp): Promise<void> {
    const r = await raw(name, args);
    assert.equal(r.ok, false, `${name} should be refused`);
    if (!r.ok) {
      assert.equal(r.error.code, code, r.error.message);
      assert.match(r.error.message, message);
    }
  }
  async function eventually<V>(get: () => Promise<V>, done: (v: V) => boolean, ms = 5_000): Promise<V> {
    const t0 = Date.now();
    for (;;) {
      const v = await get();
      if (done(v) || Date.now() - t0 > ms) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  async function kmip(bytes: Uint8Array): Promise<ResponseBatchItem> {
    const r = parseResponseMessage(decodeTtlv(await call(socket, bytes))).batchItems[0]!;
    assert.equal(r.resultStatus, Enum.ResultStatus.Success, r.resultMessage);
    return r;
  }

  before(async () => {
    creds = await enrolHere(dir, join(root, 'app'), 'app', { grants: parseGrants('all') });
    host = new EngineHost({ log });
    await host.start();
    const a = await host.request('startServer', { dataDir: dir, host: '127.0.0.1', port: 0, minVersion: 'TLSv1.2' }, { timeoutMs: 120_000 });
    assert.ok(a !== null);
    service = createAdminService({ appInfo: { name: 'Keyhold', id: 'keyhold', version: '0.0.0', mode: 'headless' }, engine: createWorkerEngine(host), log, dataDir: dir, host });
    socket = await connect(a.port, creds);
    for (const n of ['alpha-1', 'alpha-2', 'beta']) ids[n] = idOf(await kmip(createAes(n)));
  });
  after(async () => {
    socket?.destroy();
    await host?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('lists newest first with name, type, algorithm, state, owner and dates, and the total', T, async () => {
    const all = await ok('keys.list', {});
    assert.equal(all.total, 3);
    assert.deepEqual(all.rows.map((r) => r.names[0]), ['beta', 'alpha-2', 'alpha-1']);
    const beta = all.rows[0]!;
    assert.equal(beta.id, ids.beta);
    assert.equal(beta.objectType, 'SymmetricKey');
    assert.equal(beta.algorithm, 'AES-256');
    assert.equal(beta.state, 'PreActive');
    assert.equal(beta.owner, 'app');
    assert.match(beta.createdAt, /^\d{4}-\d{2}-\d{2}T/);
    assert.equal(beta.activationDate, null);
    assert.equal(beta.restorable, false);
  });

  it('searches by name or identifier, filters by type, state and owner, and pages', T, async () => {
    assert.deepEqual((await ok('keys.list', { search: 'ALPHA' })).rows.map((r) => r.names[0]), ['alpha-2', 'alpha-1']);
    const byId = await ok('keys.list', { search: ids['alpha-1']!.slice(0, 12) });
    assert.deepEqual(byId.rows.map((r) => r.id), [ids['alpha-1']]);
    assert.equal((await ok('keys.list', { objectType: 'PublicKey' })).total, 0);
    assert.equal((await ok('keys.list', { objectType: 'SymmetricKey' })).total, 3);
    assert.equal((await ok('keys.list', { state: 'Active' })).total, 0);
    assert.equal((await ok('keys.list', { state: 'PreActive' })).total, 3);
    assert.equal((await ok('keys.list', { owner: 'app' })).total, 3);
    assert.equal((await ok('keys.list', { owner: 'someone-else' })).total, 0);
    const page2 = await ok('keys.list', { limit: 2, offset: 2 });
    assert.equal(page2.total, 3);
    assert.deepEqual(page2.rows.map((r) => r.names[0]), ['alpha-1']);
    const searchPage = await ok('keys.list', { search: 'alpha', limit: 1, offset: 1 });
    assert.deepEqual([searchPage.total, searchPage.rows.map((r) => r.names[0])], [2, ['alpha-1']]);
  });

  it('shows one object with every attribute as text and no key material', T, async () => {
    const d = await ok('keys.get', { id: ids['alpha-1']! });
    assert.equal(d.state, 'PreActive');
    assert.equal(d.material, 'present');
    const names = d.attributes.map((a) => a.name);
    for (const n of ['Name', 'CryptographicAlgorithm', 'CryptographicLength', 'CryptographicUsageMask', 'InitialDate']) assert.ok(names.includes(n), `${n} in ${names.join(',')}`);
    assert.match(d.attributes.find((a) => a.name === 'Name')!.value, /alpha-1/);
    assert.doesNotMatch(JSON.stringify(d), /KeyMaterial|KeyValue/);
    await refused('keys.get', { id: 'no-such-object' }, 'not_found', /^No object with identifier no-such-object/);
  });

  it('Activate, Revoke, Destroy and Restore follow the KMIP state rules and refuse what KMIP refuses, saying what to do', T, async () => {
    const id = ids['alpha-1']!;
    await refused('keys.restore', { id }, 'bad_request', /not soft-deleted/);
    assert.deepEqual(await ok('keys.activate', { id }), { id, state: 'Active' });
    await refused('keys.activate', { id }, 'bad_request', /is not Pre-Active, so it cannot be activated/);
    await refused('keys.destroy', { id }, 'bad_request', /is Active; revoke it before destroying it/);
    // A reason other than a compromise: Active -> Deactivated, and only Active objects.
    await refused('keys.revoke', { id: ids.beta!, reason: 'Superseded' }, 'bad_request', /not Active; only a compromise can revoke it now/);
    assert.deepEqual(await ok('keys.revoke', { id, reason: 'Superseded', message: 'rotated' }), { id, state: 'Deactivated' });
    const row = (await ok('keys.list', { search: id })).rows[0]!;
    assert.ok(row.deactivationDate !== null && row.activationDate !== null);
    // Destroy with the default policy keeps the material (soft delete): restorable.
    assert.deepEqual(await ok('keys.destroy', { id }), { id, state: 'Destroyed' });
    await refused('keys.destroy', { id }, 'bad_request', /already destroyed/);
    assert.equal((await ok('keys.list', { state: 'Destroyed' })).rows[0]?.restorable, true);
    assert.equal((await ok('keys.get', { id })).material, 'retained');
    assert.deepEqual(await ok('keys.restore', { id }), { id, state: 'Deactivated' });
    assert.equal((await ok('keys.get', { id })).material, 'present');
    // A compromise: any live state -> Compromised.
    assert.deepEqual(await ok('keys.revoke', { id: ids.beta!, reason: 'KeyCompromise' }), { id: ids.beta, state: 'Compromised' });
    await refused('keys.revoke', { id: ids.beta!, reason: 'CACompromise' }, 'bad_request', /already compromised/);
    await refused('keys.activate', { id: 'gone' }, 'not_found', /No object with identifier gone.*refresh the list/);
    // Every action is an admin record in the audit log, naming the object.
    // The audit writer commits in batches: wait for the records to reach the file.
    const page = await eventually(() => ok('logs.query', { operation: 'object revoked' }), (p) => p.rows.length === 2);
    assert.deepEqual(page.rows.map((r) => [r.kind, r.objects[0], r.reason]), [['admin', ids.beta, 'KeyCompromise'], ['admin', id, 'Superseded']]);
    for (const op of ['object activated', 'object destroyed', 'object restored']) assert.equal((await ok('logs.query', { operation: op })).rows.length, 1, op);
  });

  it('logs: newest first and paged, filtered, exported as CSV and JSON Lines, chain intact', T, async () => {
    const first = await ok('logs.query', { limit: 3 });
    assert.equal(first.rows.length, 3);
    assert.equal(first.hasMore, true);
    const seqs = first.rows.map((r) => r.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a), 'newest first');
    const second = await ok('logs.query', { limit: 3, offset: 3 });
    assert.equal(second.rows[0]!.seq, seqs[2]! - 1, 'the next page continues where the first ended');
    const app = await ok('logs.query', { client: 'app', limit: 500 });
    assert.ok(app.rows.length >= 4 && app.rows.every((r) => r.client === 'app'));
    assert.ok(app.rows.some((r) => r.operation === 'Create' && r.result === 'Success'));
    const failures = await ok('logs.query', { result: 'failure', limit: 500 });
    assert.ok(failures.rows.every((r) => !['Success', 'accepted', 'applied'].includes(r.result)));
    const future = await ok('logs.query', { since: '2999-01-01' });
    assert.deepEqual(future, { rows: [], hasMore: false });
    // The live filter (renderer) agrees with the query on the same records.
    const everything = (await ok('logs.query', { limit: 500 })).rows;
    for (const f of [{ client: 'app' }, { result: 'failure' as const }, { operation: 'Create' }, { since: everything[2]!.at }]) {
      assert.deepEqual(everything.filter((r) => matchesLogFilter(r, f)).map((r) => r.seq), (await ok('logs.query', { ...f, limit: 500 })).rows.map((r) => r.seq), JSON.stringify(f));
    }

    const csv = await ok('logs.export', { format: 'csv', client: 'app' });
    assert.equal(csv.mimeType, 'text/csv');
    assert.match(csv.filename, /^keyhold-audit-.*\.csv$/);
    const lines = csv.content.trim().split('\n');
    assert.equal(lines[0], 'seq,at,kind,client,address,operation,objects,result,reason,message');
    assert.equal(lines.length - 1, csv.count);
    assert.equal(csv.count, app.rows.length);
    assert.equal(csv.truncated, false);
    const jsonl = await ok('logs.export', { format: 'jsonl', operation: 'object revoked' });
    const parsed = jsonl.content.trim().split('\n').map((l) => JSON.parse(l) as { operation: string; seq: number });
    assert.equal(jsonl.count, 2);
    assert.ok(parsed.every((p) => p.operation === 'object revoked'));
    assert.ok(parsed[0]!.seq < parsed[1]!.seq, 'exports are in time order, as keyhold log export');

    const chain = await ok('logs.verify', {});
    assert.equal(chain.state, 'intact');
    assert.ok(chain.records >= everything.length - 1, `${chain.records} records`);
    await refused('logs.query', { since: 'yesterday!' }, 'bad_request', /UTC date or date and time/);
    await refused('logs.query', { since: '2026-12-01', until: '2026-11-01' }, 'bad_request', /after its end/);
  });

  it('dashboard.summary: certificate, connections, objects by state, backup and warnings', T, async () => {
    const s = await ok('dashboard.summary', {});
    assert.ok(s.certificate !== null && s.certificate.daysLeft > 300, JSON.stringify(s.certificate));
    assert.ok(s.connections !== null && s.connections >= 1, `connections ${s.connections}`);
    const byState = Object.fromEntries((s.objectsByState ?? []).map((o) => [o.state, o.count]));
    assert.deepEqual(byState, { PreActive: 1, Active: 0, Deactivated: 1, Compromised: 1, Destroyed: 0, DestroyedCompromised: 0 });
    assert.deepEqual(s.backup, { configured: false, schedule: null, newest: null });
    assert.deepEqual(s.warnings.map((w) => w.kind), ['backup']);
  });

  it('refuses hostile arguments before any handler runs', T, async () => {
    await refused('keys.list', { limit: 10_000 }, 'invalid_args', /limit: out of range/);
    await refused('keys.list', { search: 'x'.repeat(201) }, 'invalid_args', /search: longer than 200/);
    await refused('keys.list', { state: 'Active; DROP TABLE objects' }, 'invalid_args', /state: expected one of/);
    await refused('keys.list', { objectType: 'Template' }, 'invalid_args', /objectType/);
    await refused('keys.list', JSON.parse('{"__proto__": {"limit": 1}}'), 'invalid_args', /unknown field "__proto__"/);
    await refused('keys.list', { offset: -1 }, 'invalid_args', /offset/);
    await refused('keys.get', { id: '' }, 'invalid_args', /id: shorter than 1/);
    await refused('keys.get', { id: 'x'.repeat(1001) }, 'invalid_args', /id: longer than 1000/);
    await refused('keys.get', { id: ids.beta, material: true }, 'invalid_args', /unknown field "material"/);
    await refused('keys.revoke', { id: ids.beta, reason: 'Bogus' }, 'invalid_args', /reason: expected one of/);
    await refused('keys.revoke', { id: ids.beta }, 'invalid_args', /reason/);
    await refused('keys.revoke', { id: ids.beta, reason: 'Unspecified', message: 'm'.repeat(501) }, 'invalid_args', /message: longer than 500/);
    await refused('keys.destroy', [ids.beta], 'invalid_args', /expected object, got array/);
    await refused('logs.query', { limit: 501 }, 'invalid_args', /limit/);
    await refused('logs.query', { result: 'maybe' }, 'invalid_args', /result: expected one of/);
    await refused('logs.query', { client: 'c'.repeat(201) }, 'invalid_args', /client: longer than 200/);
    await refused('logs.export', { format: 'xml' }, 'invalid_args', /format: expected one of/);
    await refused('logs.export', {}, 'invalid_args', /format/);
    await refused('logs.verify', { deep: true }, 'invalid_args', /unknown field "deep"/);
    await refused('dashboard.summary', { x: 1 }, 'invalid_args', /unknown field "x"/);
  });

  it('says to start the server when it is not running', T, async () => {
    await host.request('stopServer', { graceMs: 1000 }, { timeoutMs: 10_000 });
    await refused('keys.list', {}, 'bad_request', /The KMIP server is not running: start it on the Dashboard/);
    await refused('keys.activate', { id: ids.beta }, 'bad_request', /not running/);
    const s = await ok('dashboard.summary', {});
    assert.equal(s.connections, null);
    assert.equal(s.objectsByState, null);
    // The audit log is a file: the Logs screen still reads it.
    assert.ok((await ok('logs.query', { limit: 1 })).rows.length === 1);
  });
});

describe('admin keys without an engine host', () => {
  it('says the shell runs no engine', async () => {
    const { fakeEngine } = await import('./support/admin.js');
    const service = createAdminService({ appInfo: { name: 'Keyhold', id: 'keyhold', version: '0.0.0', mode: 'headless' }, engine: fakeEngine(), log: recordingLogger() });
    const r = await dispatchCall(service.handlers, 'keys.list', {}, recordingLogger());
    assert.deepEqual(r, { ok: false, error: { code: 'not_implemented', message: 'This shell runs no KMIP engine; use keyhold serve or the desktop app', key: 'errors.engine.noEngine' } });
  });
});
