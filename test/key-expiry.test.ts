// Key expiry (issue 6, point 2) through a live server over mutual TLS
// (startServer as the engine worker runs it) with an injected clock: the
// policy's default lifetime sets the Deactivation Date of new keys (per
// client too), an explicit date stands, the expiry job deactivates keys whose
// date has passed (on a sweep, on its timer, and at start after a restart),
// audits it, and warns once ahead. A PyKMIP client sees the date and the
// Deactivated state.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { parseResponseMessage, type ResponseBatchItem } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, item, struct, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { parseGrants } from '../main/access/policy.js';
import { startServer, type RunningServer } from '../main/server/serve.js';
import { silentLogger } from '../main/admin/log.js';
import { ensurePki } from '../main/pki/index.js';
import type { AuditRecord } from '../main/audit/audit-log.js';
import { call, connect, enrolHere, startServe, stopChild, type ServeProcess } from './support/kmip-tls.js';
import { byId, request } from './support/kmip-requests.js';
import { driverConnection, runStepDriver } from './support/pykmip.js';
import { REPO_ROOT } from './support/reference.js';
import { runCli } from './support/cli.js';

const CA = Enum.CryptographicAlgorithm;
const OT = Enum.ObjectType;
const S = Enum.State;
const DAY = 86_400;
const DRIVER = join(REPO_ROOT, 'test', 'interop', 'pykmip_expiry.py');

const name = (n: string) => struct(Tag.Name, [item(Tag.NameValue, 'TextString', n), item(Tag.NameType, 'Enumeration', Enum.NameType.UninterpretedTextString)]);
const date = (seconds: number) => item(Tag.DeactivationDate, 'DateTime', BigInt(seconds));
const createAes = (n: string, extra: TtlvItem[] = []) =>
  request(Enum.Operation.Create, [
    item(Tag.ObjectType, 'Enumeration', OT.SymmetricKey),
    struct(Tag.Attributes, [item(Tag.CryptographicAlgorithm, 'Enumeration', CA.AES), item(Tag.CryptographicLength, 'Integer', 256), name(n), ...extra]),
  ]);
const idOf = (r: ResponseBatchItem, tag: number = Tag.UniqueIdentifier) => (r.responsePayload as { value: TtlvItem[] }).value.find((c) => c.tag === tag)!.value as string;

describe('key expiry on a live server', { timeout: 180_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-expiry-'));
  const dir = join(root, 'data');
  // The injected clock: real time plus a shift the tests move forward.
  let shift = 0;
  const clock = () => new Date(Date.now() + shift * 1000);
  const nowS = () => Math.floor(clock().getTime() / 1000);
  let server: RunningServer;
  const conns = new Map<string, tls.TLSSocket>();
  const creds = new Map<string, Awaited<ReturnType<typeof enrolHere>>>();
  const audit: AuditRecord[] = [];

  const start = async (keyExpiryIntervalMs = 3_600_000) => {
    server = await startServer({ dataDir: dir, host: '127.0.0.1', port: 0, log: silentLogger, clock, keyExpiryIntervalMs, onAuditRecord: (r) => audit.push(r) });
    for (const s of conns.values()) s.destroy();
    conns.clear();
    for (const [who, c] of creds) conns.set(who, await connect(server.address.port, c));
  };
  async function ask(who: string, bytes: Uint8Array): Promise<ResponseBatchItem> {
    return parseResponseMessage(decodeTtlv(await call(conns.get(who)!, bytes, 20_000))).batchItems[0]!;
  }
  const ok = (r: ResponseBatchItem, what: string) => assert.equal(r.resultStatus, Enum.ResultStatus.Success, `${what}: ${r.resultMessage}`);
  async function made(who: string, bytes: Uint8Array, what: string, tag?: number): Promise<string> {
    const r = await ask(who, bytes);
    ok(r, what);
    return idOf(r, tag);
  }
  /** The object's attributes by tag (first instance). */
  async function attrs(id: string): Promise<Map<number, TtlvItem>> {
    const r = await ask('admin', byId(Enum.Operation.GetAttributes, id));
    ok(r, `Get Attributes ${id}`);
    const list = (r.responsePayload as { value: TtlvItem[] }).value.find((c) => c.tag === Tag.Attributes) as { value: TtlvItem[] };
    const m = new Map<number, TtlvItem>();
    for (const c of list.value) if (!m.has(c.tag)) m.set(c.tag, c);
    return m;
  }
  const deactivation = async (id: string) => {
    const v = (await attrs(id)).get(Tag.DeactivationDate)?.value;
    return v === undefined ? undefined : Number(v as bigint);
  };
  const state = async (id: string) => (await attrs(id)).get(Tag.State)?.value;
  /** How many Deactivation Date instances the object has (a single-instance attribute: at most one). */
  async function dates(id: string): Promise<number> {
    const r = await ask('admin', request(Enum.Operation.GetAttributes, [item(Tag.UniqueIdentifier, 'TextString', id), item(Tag.AttributeReference, 'Enumeration', Tag.DeactivationDate)]));
    ok(r, `Get Attributes ${id}`);
    return ((r.responsePayload as { value: TtlvItem[] }).value.find((c) => c.tag === Tag.Attributes) as { value: TtlvItem[] }).value.filter((c) => c.tag === Tag.DeactivationDate).length;
  }
  const records = (operation: string, id: string) => audit.filter((a) => a.operation === operation && a.objects.includes(id));

  before(async () => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ defaultLifetimeDays: 365, lifetimeByClient: { nolife: 0, short: 90 }, expiryWarningDays: 30 }));
    for (const who of ['admin', 'nolife', 'short', 'py']) creds.set(who, await enrolHere(dir, join(root, who), who, { grants: parseGrants('all') }));
    await start();
  });

  after(async () => {
    for (const s of conns.values()) s.destroy();
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('E01 Create gets Deactivation Date = now + the default lifetime (365 days)', async () => {
    const t0 = nowS();
    const id = await made('admin', createAes('default'), 'Create');
    const d = await deactivation(id);
    assert.ok(d !== undefined, 'a Deactivation Date was set');
    const t1 = nowS();
    assert.ok(d >= t0 + 365 * DAY && d <= t1 + 365 * DAY, `${d} is now + 365 days (${t0 + 365 * DAY}…${t1 + 365 * DAY})`);
    assert.equal(await state(id), S.PreActive);
  });

  it('E02 per client: a client listed with 0 gets no date, one listed with 90 gets 90 days', async () => {
    const none = await made('nolife', createAes('nolife'), 'Create by nolife');
    assert.equal(await deactivation(none), undefined);
    const t0 = nowS();
    const short = await made('short', createAes('short'), 'Create by short');
    const d = await deactivation(short);
    assert.ok(d !== undefined && d >= t0 + 90 * DAY && d <= nowS() + 90 * DAY, `90 days: ${d}`);
  });

  it('E03 an explicit Deactivation Date stands, sooner or later than the lifetime (the lifetime is no maximum)', async () => {
    const soon = nowS() + 3 * DAY;
    const a = await made('admin', createAes('explicit-soon', [date(soon)]), 'Create with date');
    assert.equal(await deactivation(a), soon);
    const late = nowS() + 1000 * DAY;
    const b = await made('admin', createAes('explicit-late', [date(late)]), 'Create with late date');
    assert.equal(await deactivation(b), late);
    assert.deepEqual([await dates(a), await dates(b)], [1, 1], 'the date is not added a second time');
  });

  it('E04 Create Key Pair (both keys), Register of a key and of Secret Data get the date; a Certificate and an Opaque Object do not', async () => {
    const pair = await ask('admin', request(Enum.Operation.CreateKeyPair, [
      struct(Tag.CommonAttributes, [item(Tag.CryptographicAlgorithm, 'Enumeration', CA.EC), item(Tag.CryptographicLength, 'Integer', 256)]),
      struct(Tag.PrivateKeyAttributes, [item(Tag.CryptographicUsageMask, 'Integer', Enum.CryptographicUsageMask.Sign)]),
      struct(Tag.PublicKeyAttributes, [item(Tag.CryptographicUsageMask, 'Integer', Enum.CryptographicUsageMask.Verify)]),
    ]));
    ok(pair, 'Create Key Pair');
    const expected = nowS() + 365 * DAY;
    for (const id of [idOf(pair, Tag.PrivateKeyUniqueIdentifier), idOf(pair, Tag.PublicKeyUniqueIdentifier)]) {
      const d = await deactivation(id);
      assert.ok(d !== undefined && Math.abs(d - expected) <= 2, `key pair half ${id}: ${d}`);
    }
    const block = (format: number, bytes: Uint8Array, extra: TtlvItem[] = []) =>
      struct(Tag.KeyBlock, [item(Tag.KeyFormatType, 'Enumeration', format), struct(Tag.KeyValue, [item(Tag.KeyMaterial, 'ByteString', bytes)]), ...extra]);
    const register = (type: number, obj: TtlvItem, extra: TtlvItem[] = []) => request(Enum.Operation.Register, [item(Tag.ObjectType, 'Enumeration', type), struct(Tag.Attributes, extra), obj]);
    const aes = await made('admin', register(OT.SymmetricKey, struct(Tag.SymmetricKey, [block(Enum.KeyFormatType.Raw, new Uint8Array(32).fill(7), [item(Tag.CryptographicAlgorithm, 'Enumeration', CA.AES), item(Tag.CryptographicLength, 'Integer', 256)])])), 'Register AES');
    const secret = await made('admin', register(OT.SecretData, struct(Tag.SecretData, [item(Tag.SecretDataType, 'Enumeration', Enum.SecretDataType.Password), block(Enum.KeyFormatType.Opaque, Buffer.from('hunter2'))])), 'Register Secret Data');
    for (const id of [aes, secret]) {
      const d = await deactivation(id);
      assert.ok(d !== undefined && Math.abs(d - expected) <= 2, `${id}: ${d}`);
    }
    const der = new X509Certificate((await ensurePki(dir)).ca.certPem).raw;
    const cert = await made('admin', register(OT.Certificate, struct(Tag.Certificate, [item(Tag.CertificateType, 'Enumeration', Enum.CertificateType.X_509), item(Tag.CertificateValue, 'ByteString', new Uint8Array(der))])), 'Register Certificate');
    const opaque = await made('admin', register(OT.OpaqueObject, struct(Tag.OpaqueObject, [item(Tag.OpaqueDataType, 'Enumeration', 0x80000001), item(Tag.OpaqueDataValue, 'ByteString', Buffer.from('opaque'))])), 'Register Opaque Object');
    assert.equal(await deactivation(cert), undefined, 'certificate');
    assert.equal(await deactivation(opaque), undefined, 'opaque object');
  });

  it('E05 Re-key: the replacement keeps the old key\'s date (copied, or moved by the Offset); the default only where it would have none', async () => {
    const dated = await made('admin', createAes('rekey-dated'), 'Create');
    const old = (await deactivation(dated))!;
    const copied = await made('admin', byId(Enum.Operation.ReKey, dated), 'Re-key');
    assert.equal(await deactivation(copied), old, 'no Offset: copied');
    // With an Offset the dates keep their distance to the (new) Activation Date.
    const act = nowS();
    const withAct = await made('admin', createAes('rekey-offset', [item(Tag.ActivationDate, 'DateTime', BigInt(act)), date(act + 10 * DAY)]), 'Create with dates');
    const moved = await made('admin', request(Enum.Operation.ReKey, [item(Tag.UniqueIdentifier, 'TextString', withAct), item(Tag.Offset, 'Interval', DAY)]), 'Re-key with Offset');
    const a2 = Number((await attrs(moved)).get(Tag.ActivationDate)!.value as bigint);
    assert.equal(await deactivation(moved), a2 + 10 * DAY, 'Offset: the distance is kept');
    // A key without a date (made by "nolife"), re-keyed by admin: the admin's lifetime applies.
    const undated = await made('nolife', createAes('rekey-undated'), 'Create by nolife');
    const t0 = nowS();
    const fresh = await made('admin', byId(Enum.Operation.ReKey, undated), 'Re-key of an undated key');
    const d = await deactivation(fresh);
    assert.ok(d !== undefined && d >= t0 + 365 * DAY && d <= nowS() + 365 * DAY, `default: ${d}`);
  });

  let warned: string;
  let expiring: string;
  let never: string;

  it('E06 a key whose date is within expiryWarningDays is warned about once (logged and audited), not at every sweep', async () => {
    warned = await made('admin', createAes('warn-me', [date(nowS() + 20 * DAY)]), 'Create expiring in 20 days');
    const far = await made('admin', createAes('far'), 'Create');
    const first = await server.keyExpiry.sweepNow();
    assert.ok(first.warned.includes(warned), JSON.stringify(first));
    assert.ok(!first.warned.includes(far));
    const r = records('key expires soon', warned);
    assert.equal(r.length, 1);
    assert.equal(r[0]!.result, 'warning');
    assert.match(r[0]!.message ?? '', /its Deactivation Date .* is in 20 days/);
    const second = await server.keyExpiry.sweepNow();
    assert.ok(!second.warned.includes(warned), 'not again');
    assert.equal(records('key expires soon', warned).length, 1);
    assert.ok(server.keyExpiry.counts().expiringSoon >= 1);
  });

  it('E07 with the clock past the date, an Active key becomes Deactivated in one sweep, audited; Get still serves it', async () => {
    expiring = await made('admin', createAes('expiring', [date(nowS() + 2 * DAY)]), 'Create expiring in 2 days');
    ok(await ask('admin', byId(Enum.Operation.Activate, expiring)), 'Activate');
    never = await made('admin', createAes('never-activated', [date(nowS() + 2 * DAY)]), 'Create, not activated');
    // Pre-Active with an Activation Date that comes before the Deactivation Date: transitions 4 and 6, both by date.
    const planned = await made('admin', createAes('planned', [item(Tag.ActivationDate, 'DateTime', BigInt(nowS() + DAY)), date(nowS() + 2 * DAY)]), 'Create with future dates');
    assert.equal(await state(planned), S.PreActive);
    const before = server.keyExpiry.counts().deactivated;
    assert.equal((await server.keyExpiry.sweepNow()).deactivated.length, 0, 'nothing is due yet');
    shift += 3 * DAY;
    const r = await server.keyExpiry.sweepNow();
    assert.deepEqual(r.deactivated.filter((id) => id === expiring), [expiring]);
    assert.equal(await state(expiring), S.Deactivated);
    const a = records('key deactivated', expiring);
    assert.equal(a.length, 1);
    assert.equal(a[0]!.kind, 'admin');
    assert.match(a[0]!.message ?? '', /its Deactivation Date \S+ has passed: Active → Deactivated/);
    assert.equal(server.keyExpiry.counts().deactivated, before + r.deactivated.length);
    assert.equal(await state(planned), S.Deactivated);
    assert.match(records('key deactivated', planned)[0]?.message ?? '', /its Activation Date \S+ and its Deactivation Date \S+ have passed: Pre-Active → Deactivated/);
    const get = await ask('admin', byId(Enum.Operation.Get, expiring));
    ok(get, 'Get of a Deactivated key');
    // Never activated: the state model has no Pre-Active → Deactivated step; it stays Pre-Active (unusable) ...
    assert.equal(await state(never), S.PreActive);
    // ... and activating it now goes straight on to Deactivated (transitions 4 and 6).
    ok(await ask('admin', byId(Enum.Operation.Activate, never)), 'Activate after the date');
    assert.equal(await state(never), S.Deactivated);
  });

  it('E08 across a restart: a key whose date passed while the server was down is Deactivated at start and audited; warnings are not repeated', async () => {
    const down = await made('admin', createAes('down', [date(nowS() + DAY)]), 'Create expiring in a day');
    ok(await ask('admin', byId(Enum.Operation.Activate, down)), 'Activate');
    const soon = await made('admin', createAes('soon', [date(nowS() + 25 * DAY)]), 'Create expiring in 25 days');
    await server.keyExpiry.sweepNow();
    assert.equal(records('key expires soon', soon).length, 1);
    await server.stop();
    shift += 2 * DAY;
    const seen = audit.length;
    // A short interval this time: the timer path is checked below.
    await start(200);
    const atStart = audit.slice(seen);
    assert.equal(atStart.filter((a) => a.operation === 'key deactivated' && a.objects.includes(down)).length, 1, 'audited at start');
    assert.equal(await state(down), S.Deactivated, 'Deactivated before the listener took requests');
    assert.equal(atStart.filter((a) => a.operation === 'key expires soon' && a.objects.includes(soon)).length, 0, 'no second warning after the restart');
    assert.equal(records('key expires soon', warned).length, 1, 'nor for the first one');
  });

  it('E09 the timer: without sweepNow, a key is deactivated by the next timed sweep once the clock passes its date', async () => {
    const timed = await made('admin', createAes('timed', [date(nowS() + 60)]), 'Create expiring in a minute');
    ok(await ask('admin', byId(Enum.Operation.Activate, timed)), 'Activate');
    shift += 120;
    const until = Date.now() + 5_000;
    while ((await state(timed)) !== S.Deactivated && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await state(timed), S.Deactivated);
    assert.equal(records('key deactivated', timed).length, 1);
  });

  it('E10 PyKMIP: a created key carries the Deactivation Date in get_attributes and reads DEACTIVATED after the sweep', async () => {
    const py = async (...extra: string[]) => (await runStepDriver(DRIVER, [...driverConnection(server.address.port, join(root, 'py')), ...extra])).byName;
    const t0 = nowS();
    const created = await py('--phase', 'create');
    const id = created.get('create') as string;
    const d = created.get('deactivation date') as number;
    assert.ok(d >= t0 + 365 * DAY && d <= nowS() + 365 * DAY, `PyKMIP sees now + 365 days: ${d}`);
    shift += 366 * DAY;
    // The timer (200 ms since E08) may get there first: either way, one sweep deactivates it, once.
    await server.keyExpiry.sweepNow();
    assert.equal(records('key deactivated', id).length, 1);
    const checked = await py('--phase', 'check', '--id', id);
    assert.equal(checked.get('state'), 'State.DEACTIVATED');
  });
});

describe('keyhold status with a running keyhold serve', { timeout: 180_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-expiry-status-'));
  const dir = join(root, 'data');
  const BIN = join(REPO_ROOT, 'bin', 'keyhold.mjs');
  let serve: ServeProcess | undefined;

  after(async () => {
    if (serve) await stopChild(serve.child);
    rmSync(root, { recursive: true, force: true });
  });

  async function status(): Promise<string> {
    const r = await runCli(['status', '--data-dir', dir]);
    assert.equal(r.status, 0, r.err);
    return r.out;
  }

  it('E11 shows how many keys expire soon and how many the expiry job deactivated (after a restart past a date)', async () => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ defaultLifetimeDays: 10, expiryWarningDays: 30 }));
    const creds = await enrolHere(dir, join(root, 'admin'), 'admin', { grants: parseGrants('all') });
    serve = await startServe(BIN, dir);
    assert.match(await status(), /^keys: 0 reach their Deactivation Date within 30 days; 0 deactivated by the expiry job since the server started$/m);
    const s = await connect(serve.port, creds);
    const ask = async (bytes: Uint8Array) => parseResponseMessage(decodeTtlv(await call(s, bytes, 20_000))).batchItems[0]!;
    const soon = await ask(createAes('ten-days'));
    assert.equal(soon.resultStatus, Enum.ResultStatus.Success, soon.resultMessage);
    const due = Math.floor(Date.now() / 1000) + 1;
    const short = await ask(createAes('one-second', [date(due)]));
    assert.equal(short.resultStatus, Enum.ResultStatus.Success, short.resultMessage);
    const act = await ask(byId(Enum.Operation.Activate, idOf(short)));
    assert.equal(act.resultStatus, Enum.ResultStatus.Success, act.resultMessage);
    s.destroy();
    await stopChild(serve.child);
    while (Date.now() <= due * 1000) await new Promise((r) => setTimeout(r, 100));
    serve = await startServe(BIN, dir);
    assert.match(await status(), /^keys: 1 reach their Deactivation Date within 30 days; 1 deactivated by the expiry job since the server started$/m);
  });
});
