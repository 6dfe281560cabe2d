// Soft delete (issue 6 point 3, and the `keyhold objects` commands of point
// 7):
//  - the store: Destroy with retainUntil keeps the sealed material row aside,
//    getMaterial/hasMaterial see a destroyed object, restore gives it back,
//    purge and purgeExpired erase it;
//  - KMIP: the same requests against a server with soft delete on and one
//    with it off (same fixed clock, same registered key) answer byte for byte
//    alike, ids aside, at KMIP 1.2, 1.4 and 2.1; restore brings the same bytes
//    back; with soft delete off nothing is kept;
//  - the purge job, with an injected clock: nothing before the retention
//    ends; at start after it, and by its timer when the retention ends while
//    the server runs; afterwards neither keyhold.db nor keyhold.db-wal holds
//    the key or its ciphertext (which keyhold.db held before);
//  - the CLI through a running `keyhold serve` (control socket) and with the
//    server stopped (store opened by the CLI), PyKMIP destroying and getting
//    the key around the operator's restore, and the refusals.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type tls from 'node:tls';
import Database from 'better-sqlite3';
import { buildAttributes, buildRequestMessage, buildTemplateAttribute, parseResponseMessage, type Attribute, type ProtocolVersion, type ResponseBatchItem } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, item, struct, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { parseGrants } from '../main/access/policy.js';
import { silentLogger } from '../main/admin/log.js';
import { queryAudit, type AuditRecord } from '../main/audit/audit-log.js';
import { symmetricKey } from '../main/kmip/objects/material.js';
import { startServer, type RunningServer } from '../main/server/serve.js';
import { ObjectState, openStore, StoreError, type SqliteKeyStore } from '../main/store/index.js';
import { call, connect, enrolHere, findBytes, startServe, stopChild, type Creds, type ServeProcess } from './support/kmip-tls.js';
import { PYTHON, pykmipProblem } from './support/pykmip.js';
import { REPO_ROOT } from './support/reference.js';
import { policySet } from './support/cli.js';

const BIN = join(REPO_ROOT, 'bin', 'keyhold.mjs');
const DRIVER = join(REPO_ROOT, 'test', 'interop', 'pykmip_softdelete.py');
const DAY = 86_400_000;
const V12: ProtocolVersion = { major: 1, minor: 2 };
const V14: ProtocolVersion = { major: 1, minor: 4 };
const V21: ProtocolVersion = { major: 2, minor: 1 };
const AES = Enum.CryptographicAlgorithm.AES;

const name = (n: string): Attribute => ({
  name: 'Name',
  value: { type: 'Structure', value: [item(Tag.NameValue, 'TextString', n), item(Tag.NameType, 'Enumeration', Enum.NameType.UninterpretedTextString)] },
});

function request(version: ProtocolVersion, operation: number, payload: TtlvItem[]): Uint8Array {
  return encodeTtlv(buildRequestMessage({ header: { protocolVersion: version }, batchItems: [{ operation, requestPayload: struct(Tag.RequestPayload, payload) }] }));
}
const attrs = (version: ProtocolVersion, list: Attribute[]) => (version.major < 2 ? buildTemplateAttribute({ attributes: list }) : buildAttributes(list));
const uid = (id: string) => item(Tag.UniqueIdentifier, 'TextString', id);
const registerAes = (version: ProtocolVersion, key: Uint8Array, n: string) =>
  request(version, Enum.Operation.Register, [
    item(Tag.ObjectType, 'Enumeration', Enum.ObjectType.SymmetricKey),
    attrs(version, [{ name: 'CryptographicUsageMask', value: { type: 'Integer', value: Enum.CryptographicUsageMask.Encrypt | Enum.CryptographicUsageMask.Decrypt } }, name(n)]),
    symmetricKey(key, AES, key.length * 8),
  ]);
const createAes = (version: ProtocolVersion, n: string) =>
  request(version, Enum.Operation.Create, [
    item(Tag.ObjectType, 'Enumeration', Enum.ObjectType.SymmetricKey),
    attrs(version, [{ name: 'CryptographicAlgorithm', value: { type: 'Enumeration', value: AES } }, { name: 'CryptographicLength', value: { type: 'Integer', value: 256 } }, name(n)]),
  ]);
const byId = (version: ProtocolVersion, op: number, id: string) => request(version, op, [uid(id)]);
const idOf = (r: ResponseBatchItem) => (r.responsePayload as { value: TtlvItem[] }).value.find((c) => c.tag === Tag.UniqueIdentifier)!.value as string;
const keyOf = (r: ResponseBatchItem) => Buffer.from(findBytes(r.responsePayload!, Tag.KeyMaterial) ?? []).toString('hex');

function ok(r: ResponseBatchItem, what: string): ResponseBatchItem {
  assert.equal(r.resultStatus, Enum.ResultStatus.Success, `${what}: ${r.resultMessage}`);
  return r;
}

/** A client with every permission on an in-process server (enrolled before it starts). */
class Client {
  private socket: tls.TLSSocket | undefined;
  constructor(
    private readonly creds: Creds,
    private readonly port: () => number,
  ) {}
  async raw(bytes: Uint8Array): Promise<Uint8Array> {
    if (this.socket === undefined || this.socket.destroyed) this.socket = await connect(this.port(), this.creds);
    return call(this.socket, bytes);
  }
  async ask(bytes: Uint8Array): Promise<ResponseBatchItem> {
    return parseResponseMessage(decodeTtlv(await this.raw(bytes))).batchItems[0]!;
  }
  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

function cli(args: string[], input?: string): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1 });
    });
    child.stdin!.end(input ?? '');
  });
}

describe('store: soft delete keeps the sealed material aside', () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-softdel-store-'));
  let t = 1_000_000;
  let store: SqliteKeyStore;
  before(() => (store = openStore(join(root, 'd'), { now: () => t })));
  after(() => {
    store.close();
    rmSync(root, { recursive: true, force: true });
  });
  const material = () => new Uint8Array(randomBytes(40));

  it('destroy with retainUntil: destroyed for every other method; restore gives the same material and the state before', () => {
    const m = material();
    const id = store.createObject({ objectType: Enum.ObjectType.SymmetricKey, state: ObjectState.Deactivated, material: m, attributes: [{ name: 'DestroyDate', value: { type: 'DateTime', value: 5n } }] });
    const sealed = store.connection.prepare('SELECT key_version, nonce, ciphertext FROM object_material').get();
    store.destroy(id, { retainUntil: t + DAY });
    assert.equal(store.getMaterial(id), null);
    assert.equal(store.getObject(id).hasMaterial, false);
    assert.equal(store.getObject(id).state, ObjectState.Destroyed);
    assert.deepEqual(store.retained(id), { id, destroyedAt: t, purgeAfter: t + DAY, stateBefore: ObjectState.Deactivated });
    // Moved unchanged: restore needs no decryption.
    assert.deepEqual(store.connection.prepare('SELECT key_version, nonce, ciphertext FROM retained_material').get(), sealed);
    assert.deepEqual(store.getRetainedMaterial(id), Buffer.from(m));
    assert.deepEqual(store.listRetained().map((r) => r.id), [id]);
    assert.equal(store.nextPurgeAfter(), t + DAY);
    t += 5000;
    assert.equal(store.restore(id), ObjectState.Deactivated);
    assert.deepEqual(store.getMaterial(id), Buffer.from(m));
    assert.equal(store.retained(id), null);
    const o = store.getObject(id);
    assert.equal(o.attributes.some((a) => a.name === 'DestroyDate'), false);
    assert.deepEqual(o.attributes.find((a) => a.name === 'LastChangeDate')?.value, { type: 'DateTime', value: BigInt(Math.floor(t / 1000)) });
    assert.equal(store.nextPurgeAfter(), null);
  });

  it('a compromised object revoked while soft-deleted comes back Compromised', () => {
    const id = store.createObject({ objectType: Enum.ObjectType.SymmetricKey, state: ObjectState.PreActive, material: material() });
    store.destroy(id, { retainUntil: t + DAY });
    store.setState(id, ObjectState.DestroyedCompromised);
    assert.equal(store.restore(id), ObjectState.Compromised);
  });

  it('hard destroy keeps nothing; restore and purge refuse what is not kept; purge is all or none', () => {
    const hard = store.createObject({ objectType: Enum.ObjectType.SymmetricKey, state: ObjectState.PreActive, material: material() });
    store.destroy(hard);
    assert.equal(store.retained(hard), null);
    assert.equal(store.getRetainedMaterial(hard), null);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof StoreError ? e.code : String(e);
      }
      return 'no error';
    };
    assert.equal(code(() => store.restore(hard)), 'INVALID');
    assert.equal(code(() => store.restore('nope')), 'NOT_FOUND');
    const soft = store.createObject({ objectType: Enum.ObjectType.SymmetricKey, state: ObjectState.PreActive, material: material() });
    store.destroy(soft, { retainUntil: t + DAY });
    assert.equal(code(() => store.purge([soft, hard])), 'INVALID');
    assert.notEqual(store.retained(soft), null, 'nothing purged when one of them cannot be');
    assert.equal(store.purge([soft]), 1);
    assert.equal(store.retained(soft), null);
    assert.equal(code(() => store.restore(soft)), 'INVALID');
  });

  it('purgeExpired erases exactly what is due', () => {
    const a = store.createObject({ objectType: Enum.ObjectType.SymmetricKey, state: ObjectState.PreActive, material: material() });
    const b = store.createObject({ objectType: Enum.ObjectType.SymmetricKey, state: ObjectState.PreActive, material: material() });
    store.destroy(a, { retainUntil: t + 1000 });
    store.destroy(b, { retainUntil: t + 2000 });
    assert.deepEqual(store.purgeExpired(t + 999), []);
    assert.deepEqual(store.purgeExpired(t + 1000).map((r) => r.id), [a]);
    assert.deepEqual(store.listRetained().map((r) => r.id), [b]);
    assert.deepEqual(store.purgeExpired(t + 5000).map((r) => r.id), [b]);
  });
});

describe('KMIP answers the same with soft delete on and off', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-softdel-kmip-'));
  const T = Date.parse('2026-03-01T12:00:00Z');
  const clock = () => new Date(T);
  const servers: Record<'soft' | 'hard', { dir: string; server?: RunningServer; client?: Client; ids: string[] }> = {
    soft: { dir: join(root, 'soft'), ids: [] },
    hard: { dir: join(root, 'hard'), ids: [] },
  };
  const key = new Uint8Array(randomBytes(32));

  before(async () => {
    for (const [kind, s] of Object.entries(servers)) {
      const creds = await enrolHere(s.dir, join(root, `${kind}-client`), 'app', { grants: parseGrants('all') });
      if (kind === 'hard') await policySet(s.dir, '--soft-delete', 'off');
      s.server = await startServer({ dataDir: s.dir, host: '127.0.0.1', port: 0, log: silentLogger, clock });
      s.client = new Client(creds, () => s.server!.address.port);
    }
  });
  after(async () => {
    for (const s of Object.values(servers)) {
      s.client?.close();
      await s.server?.stop();
    }
    rmSync(root, { recursive: true, force: true });
  });

  /**
   * The response with every identifier this server made replaced by its
   * position (UUIDs all have the same length), and so its Short Unique
   * Identifier (SHA-256 of the identifier).
   */
  function normalised(kind: 'soft' | 'hard', bytes: Uint8Array): string {
    let hex = Buffer.from(bytes).toString('hex');
    servers[kind].ids.forEach((id, i) => {
      const placeholder = `object-${String(i).padStart(29, '0')}`;
      hex = hex.split(Buffer.from(id).toString('hex')).join(Buffer.from(placeholder).toString('hex'));
      hex = hex.split(createHash('sha256').update(id).digest('hex')).join(createHash('sha256').update(placeholder).digest('hex'));
    });
    return hex;
  }

  for (const version of [V12, V14, V21]) {
    const v = `${version.major}.${version.minor}`;
    it(`KMIP ${v}: Destroy, then Get, Get Attributes, Get Attribute List, Locate, Activate, Destroy, Revoke and Check answer byte for byte alike`, async () => {
      const made: Record<string, string> = {};
      for (const kind of ['soft', 'hard'] as const) {
        const r = ok(await servers[kind].client!.ask(registerAes(version, key, `eq-${v}`)), `${kind} Register`);
        made[kind] = idOf(r);
        servers[kind].ids.push(made[kind]!);
      }
      const steps: [string, (id: string) => Uint8Array][] = [
        ['Get', (id) => byId(version, Enum.Operation.Get, id)],
        ['Destroy', (id) => byId(version, Enum.Operation.Destroy, id)],
        ['Get', (id) => byId(version, Enum.Operation.Get, id)],
        ['Get Attributes', (id) => byId(version, Enum.Operation.GetAttributes, id)],
        ['Get Attribute List', (id) => byId(version, Enum.Operation.GetAttributeList, id)],
        ['Locate by Name', () => request(version, Enum.Operation.Locate, version.major < 2 ? [buildTemplateAttribute({ attributes: [name(`eq-${v}`)] }).value[0]!] : [buildAttributes([name(`eq-${v}`)])])],
        ['Locate', () => request(version, Enum.Operation.Locate, [])],
        ['Locate destroyed', () => request(version, Enum.Operation.Locate, version.major < 2 ? [] : [item(Tag.StorageStatusMask, 'Integer', Enum.StorageStatusMask.DestroyedStorage)])],
        ['Activate', (id) => byId(version, Enum.Operation.Activate, id)],
        ['Destroy again', (id) => byId(version, Enum.Operation.Destroy, id)],
        ['Check', (id) => byId(version, Enum.Operation.Check, id)],
        [
          'Revoke (compromise)',
          (id) =>
            request(version, Enum.Operation.Revoke, [
              uid(id),
              struct(Tag.RevocationReason, [item(Tag.RevocationReasonCode, 'Enumeration', Enum.RevocationReasonCode.KeyCompromise)]),
            ]),
        ],
        ['Get Attributes after Revoke', (id) => byId(version, Enum.Operation.GetAttributes, id)],
        ['Get after Revoke', (id) => byId(version, Enum.Operation.Get, id)],
      ];
      let failures = 0;
      for (const [what, build] of steps) {
        const soft = await servers.soft.client!.raw(build(made.soft!));
        const hard = await servers.hard.client!.raw(build(made.hard!));
        assert.equal(normalised('soft', soft), normalised('hard', hard), `${v} ${what}: the answers differ`);
        const item0 = parseResponseMessage(decodeTtlv(soft)).batchItems[0]!;
        if (item0.resultStatus !== Enum.ResultStatus.Success) failures++;
      }
      // The sequence exercised the failure paths too (Get, Activate and Destroy of a destroyed object…).
      assert.ok(failures >= 3, `only ${failures} failures`);
      // Behind the identical answers: the soft server kept the material, the hard one did not.
      assert.equal((await servers.soft.server!.softDelete.show(made.soft!)).material, 'retained');
      assert.equal((await servers.hard.server!.softDelete.show(made.hard!)).material, 'erased');
    });
  }

  it('restore on the soft server: Get returns the registered bytes again, in its state before Destroy, without Destroy Date', async () => {
    const c = servers.soft.client!;
    const id = idOf(ok(await c.ask(registerAes(V21, key, 'restore-me')), 'Register'));
    ok(await c.ask(byId(V21, Enum.Operation.Destroy, id)), 'Destroy');
    assert.notEqual((await c.ask(byId(V21, Enum.Operation.Get, id))).resultStatus, Enum.ResultStatus.Success);
    assert.deepEqual(await servers.soft.server!.softDelete.restore([id]), { restored: [{ id, state: 'PreActive' }] });
    const got = ok(await c.ask(byId(V21, Enum.Operation.Get, id)), 'Get after restore');
    assert.equal(keyOf(got), Buffer.from(key).toString('hex'));
    const attrs = ok(await c.ask(byId(V21, Enum.Operation.GetAttributes, id)), 'Get Attributes after restore').responsePayload!;
    const state = JSON.stringify(attrs, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    assert.equal(findItem(attrs, Tag.DestroyDate), undefined, 'Destroy Date removed');
    assert.ok(findItem(attrs, Tag.LastChangeDate), state);
    assert.equal((findItem(attrs, Tag.State) as { value: number }).value, Enum.State.PreActive);
    // Restored twice: refused, the object is no longer soft-deleted.
    await assert.rejects(servers.soft.server!.softDelete.restore([id]), /not soft-deleted/);
  });

  it('soft delete off: Destroy keeps nothing, restore is refused', async () => {
    const c = servers.hard.client!;
    const id = idOf(ok(await c.ask(registerAes(V21, key, 'gone-for-good')), 'Register'));
    ok(await c.ask(byId(V21, Enum.Operation.Destroy, id)), 'Destroy');
    assert.deepEqual(await servers.hard.server!.softDelete.listDeleted(), []);
    await assert.rejects(servers.hard.server!.softDelete.restore([id]), /is not soft-deleted/);
  });
});

function findItem(it: TtlvItem, tag: number): TtlvItem | undefined {
  if (it.tag === tag) return it;
  if (it.type !== 'Structure') return undefined;
  for (const c of it.value) {
    const f = findItem(c, tag);
    if (f) return f;
  }
  return undefined;
}

describe('the purge job erases kept material when the retention ends', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-softdel-purge-'));
  const dir = join(root, 'd');
  let now = Date.parse('2026-05-01T08:00:00Z');
  const clock = () => new Date(now);
  let server: RunningServer | undefined;
  let client: Client;
  const audit: AuditRecord[] = [];
  const start = async () => (server = await startServer({ dataDir: dir, host: '127.0.0.1', port: 0, log: silentLogger, clock, onAuditRecord: (r) => audit.push(r) }));
  const stop = async () => {
    client.close();
    await server?.stop();
    server = undefined;
  };
  const files = () => [join(dir, 'keyhold.db'), join(dir, 'keyhold.db-wal')].filter(existsSync).map((f) => ({ f, bytes: readFileSync(f) }));
  const purged = (id: string) => audit.filter((r) => r.operation === 'object purged' && r.objects.includes(id));
  /** The sealed row kept for `id` (read with the server stopped: the store is exclusive while it runs). */
  function keptCiphertext(id: string): Buffer {
    const db = new Database(join(dir, 'keyhold.db'), { readonly: true });
    try {
      return db.prepare('SELECT r.ciphertext FROM retained_material r JOIN objects o ON o.seq = r.object_seq WHERE o.uid = ?').pluck().get(id) as Buffer;
    } finally {
      db.close();
    }
  }
  let idStart = '';
  let idTimer = '';
  const keys: Record<string, Buffer> = {};
  const ciphertexts: Record<string, Buffer> = {};

  before(async () => {
    const creds = await enrolHere(dir, join(root, 'app'), 'app', { grants: parseGrants('all') });
    await policySet(dir, '--retention-days', '30');
    await start();
    client = new Client(creds, () => server!.address.port);
    for (const n of ['purged-at-start', 'purged-by-timer']) {
      const id = idOf(ok(await client.ask(createAes(V21, n)), 'Create'));
      keys[id] = Buffer.from(keyOf(ok(await client.ask(byId(V21, Enum.Operation.Get, id)), 'Get')), 'hex');
      assert.equal(keys[id]!.length, 32);
      ok(await client.ask(byId(V21, Enum.Operation.Destroy, id)), 'Destroy');
      if (idStart === '') idStart = id;
      else idTimer = id;
      now += 60_000;
    }
    await stop();
    for (const id of [idStart, idTimer]) ciphertexts[id] = keptCiphertext(id);
  });
  after(async () => {
    await stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('P01 before the retention ends nothing is purged; the ciphertext is in keyhold.db (the search below can find it)', async () => {
    assert.ok(files().some(({ bytes }) => bytes.includes(ciphertexts[idStart]!)), 'the kept ciphertext is in the database file');
    now += 29 * DAY;
    await start();
    assert.deepEqual((await server!.softDelete.listDeleted()).map((o) => o.id), [idStart, idTimer]);
    assert.deepEqual(purged(idStart), []);
    await stop();
  });

  it('P02 at start after the retention: purged, audited, and gone from keyhold.db and keyhold.db-wal', async () => {
    // idStart's retention ended a minute ago; idTimer's ends in 1.5 s.
    now = Date.parse('2026-05-01T08:00:00Z') + 30 * DAY + 60_000 - 1_500;
    await start();
    const deleted = await server!.softDelete.listDeleted();
    assert.deepEqual(deleted.map((o) => o.id), [idTimer]);
    assert.equal(purged(idStart).length, 1);
    assert.match(purged(idStart)[0]!.message ?? '', /^material of object \S+ erased: destroyed 2026-05-01T08:00:00\.000Z, retention ended 2026-05-31T08:00:00\.000Z$/);
    await assert.rejects(server!.softDelete.restore([idStart]), /not soft-deleted/);
    for (const { f, bytes } of files()) {
      assert.equal(bytes.includes(keys[idStart]!), false, `the key is in ${f}`);
      assert.equal(bytes.includes(ciphertexts[idStart]!), false, `the kept ciphertext is still in ${f}`);
    }
  });

  it('P03 while running: the job wakes when the next retention ends, without a restart', async () => {
    const until = Date.now() + 10_000;
    // The mutable clock moves with real time, as the job's timer does.
    const base = now;
    const t0 = Date.now();
    while (purged(idTimer).length === 0 && Date.now() < until) {
      now = base + (Date.now() - t0);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(purged(idTimer).length, 1, 'purged by the timer');
    assert.deepEqual(await server!.softDelete.listDeleted(), []);
    for (const { f, bytes } of files()) assert.equal(bytes.includes(ciphertexts[idTimer]!), false, `the kept ciphertext is still in ${f}`);
    // Get answers as for any destroyed object.
    const r = await client.ask(byId(V21, Enum.Operation.Get, idTimer));
    assert.notEqual(r.resultStatus, Enum.ResultStatus.Success);
  });
});

describe('keyhold objects: online through keyhold serve, offline on the store, and PyKMIP', { timeout: 240_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-softdel-cli-'));
  const dir = join(root, 'd');
  const out = join(root, 'client');
  let serve: ServeProcess | undefined;
  const run = (args: string[], input?: string) => cli([...args, '--data-dir', dir], input);
  const okCli = async (args: string[], input?: string) => {
    const r = await run(args, input);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const refusedCli = async (args: string[], why: RegExp, input?: string, status = 1) => {
    const r = await run(args, input);
    assert.equal(r.code, status, `${args.join(' ')} exit ${r.code}: ${r.stdout} ${r.stderr}`);
    assert.match(r.stderr, why);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stdout, /KeyMaterial/);
  };
  let pyProblem: string | undefined;
  const driver = (args: string[]) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      execFile(PYTHON, [DRIVER, ...args, '--port', String(serve!.port), '--ca', join(out, 'ca.crt'), '--cert', join(out, 'py.crt'), '--key', join(out, 'py.key')], { timeout: 60_000 }, (err, stdout, stderr) => {
        try {
          const r = JSON.parse(String(stdout).trim().split('\n').pop() ?? '') as Record<string, unknown>;
          if (err !== null || 'error' in r) reject(new Error(`driver: ${String(r.error ?? err)} ${stderr}`));
          else resolve(r);
        } catch {
          reject(new Error(`driver output: ${stdout} ${stderr}`));
        }
      });
    });
  let pyId = '';
  let pyKey = '';
  let hardAfter: unknown;
  let softAfter: unknown;

  before(async () => {
    pyProblem = pykmipProblem();
    const add = spawn(process.execPath, [BIN, 'client', 'add', 'py', '--data-dir', dir, '--out', out, '--permissions', 'all'], { stdio: 'ignore' });
    await new Promise((resolve) => add.once('exit', resolve));
    serve = await startServe(BIN, dir);
  });
  after(async () => {
    if (serve) await stopChild(serve.child);
    rmSync(root, { recursive: true, force: true });
  });

  it('C01 PyKMIP destroys a key; Get answers exactly as for a hard-deleted key; the operator restores it; PyKMIP gets the same bytes', async () => {
    assert.equal(pyProblem, undefined, pyProblem);
    // Hard delete first, for the comparison.
    await okCli(['policy', 'set', '--soft-delete', 'off']);
    await new Promise((r) => setTimeout(r, 1200)); // the server reloads policy.json within a second
    const hard = await driver(['destroy', '--name', 'py-hard']);
    hardAfter = hard.after;
    await okCli(['policy', 'set', '--soft-delete', 'on']);
    await new Promise((r) => setTimeout(r, 1200));
    const soft = await driver(['destroy', '--name', 'py-soft']);
    softAfter = soft.after;
    pyId = soft.id as string;
    pyKey = soft.key as string;
    assert.equal(pyKey.length, 64);
    const norm = (a: unknown, id: unknown) => JSON.stringify(a).split(String(id)).join('ID');
    assert.equal(norm(softAfter, soft.id), norm(hardAfter, hard.id));
    assert.match(JSON.stringify(softAfter), /ResultStatus|OPERATION_FAILED/i);
    // The operator sees it among the soft-deleted objects (not the hard-deleted one), restores it.
    const listed = await okCli(['objects', 'list', '--deleted']);
    assert.match(listed, new RegExp(`^${pyId}\\tSymmetricKey\\tAES-256\\tnames py-soft\\towner py\\tdestroyed \\S+Z\\tpurged after \\S+Z$`, 'm'));
    assert.doesNotMatch(listed, new RegExp(String(hard.id)));
    assert.equal(await okCli(['objects', 'restore', pyId]), `restored ${pyId} (PreActive)\n`);
    const again = await driver(['get', '--id', pyId]);
    assert.equal(again.key, pyKey);
  });

  it('C02 objects show: attributes, state, owner, material status; never the key without --reveal', async () => {
    const shown = await okCli(['objects', 'show', pyId]);
    assert.match(shown, new RegExp(`^identifier +${pyId}$`, 'm'));
    assert.match(shown, /^state +PreActive$/m);
    assert.match(shown, /^owner +py$/m);
    assert.match(shown, /^material +present$/m);
    assert.match(shown, /^attribute +Name: \{ NameValue: py-soft, NameType: UninterpretedTextString \}$/m);
    assert.equal(shown.includes(pyKey), false);
    // `object` is the same command group.
    assert.equal(await okCli(['object', 'show', pyId]), shown);
  });

  it('C03 reveal needs the identifier as confirmation (stdin or --confirm), prints the key as hex and is audited', async () => {
    await refusedCli(['objects', 'show', pyId, '--reveal'], /key material not revealed: no confirmation/);
    await refusedCli(['objects', 'show', pyId, '--reveal'], /key material not revealed: the confirmation does not match/, 'something else\n');
    await refusedCli(['objects', 'show', pyId, '--reveal', '--confirm', 'x'], /does not match/);
    await refusedCli(['objects', 'show', pyId, '--confirm', pyId], /--confirm goes with --reveal/, undefined, 2);
    const typed = await okCli(['objects', 'show', pyId, '--reveal'], `${pyId}\n`);
    assert.match(typed, new RegExp(`^KeyMaterial +${pyKey}$`, 'm'));
    assert.match(typed, /^key format +Raw$/m);
    const flagged = await okCli(['objects', 'show', pyId, '--reveal', '--confirm', pyId]);
    assert.match(flagged, new RegExp(`^KeyMaterial +${pyKey}$`, 'm'));
    const until = Date.now() + 3000;
    const reveals = () => queryAudit(dir).filter((r) => r.operation === 'material revealed' && r.objects.includes(pyId));
    while (reveals().length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.equal(reveals().length, 2);
    // No audit record or log line carries the key.
    assert.equal(JSON.stringify(queryAudit(dir)).includes(pyKey), false);
    assert.equal(serve!.stderr.includes(pyKey), false);
  });

  it('C04 purge asks for confirmation, refuses unknown, live and purged ids, and is audited', async () => {
    const soft = await driver(['destroy', '--name', 'py-purge']);
    const id = soft.id as string;
    await refusedCli(['objects', 'purge', id], /nothing purged: no confirmation/);
    await refusedCli(['objects', 'purge', id], /nothing purged: the confirmation does not match/, 'nope\n');
    assert.match(await okCli(['objects', 'list', '--deleted']), new RegExp(`^${id}\\t`, 'm'));
    await refusedCli(['objects', 'purge', '00000000-0000-4000-8000-000000000000', '--yes'], /cannot purge: no object with identifier 00000000-0000-4000-8000-000000000000/);
    await refusedCli(['objects', 'purge', pyId, '--yes'], /cannot purge: object \S+ is not soft-deleted/);
    await refusedCli(['objects', 'purge'], /missing ID…/, undefined, 2);
    assert.equal(await okCli(['objects', 'purge', id], `${id}\n`), '1 object purged: key material erased for good\n');
    assert.equal(await okCli(['objects', 'list', '--deleted']), 'no soft-deleted objects\n');
    await refusedCli(['objects', 'restore', id], /cannot restore: object \S+ is not soft-deleted/);
    await refusedCli(['objects', 'restore', '00000000-0000-4000-8000-000000000000'], /cannot restore: no object with identifier/);
    assert.match(await okCli(['objects', 'show', id]), /^material +erased \(destroyed\)$/m);
    await refusedCli(['objects', 'show', id, '--reveal', '--confirm', id], /cannot reveal the key material: object \S+ has no key material \(destroyed and erased\)/);
    const until = Date.now() + 3000;
    const rec = () => queryAudit(dir).filter((r) => r.objects.includes(id) && r.operation === 'object purged');
    while (rec().length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.match(rec()[0]?.message ?? '', /erased by the operator before its retention ended/);
  });

  it('C05 a restore refuses an object whose Name a live object took meanwhile', async () => {
    const first = await driver(['destroy', '--name', 'py-reused']);
    // A destroyed object's Name may be reused: a new live key takes it.
    await driver(['create', '--name', 'py-reused']);
    await refusedCli(['objects', 'restore', first.id as string], /^keyhold: cannot restore: the Name "py-reused" of object \S+ is now used by another object; rename or destroy that one first\n$/);
    assert.match(await okCli(['objects', 'list', '--deleted']), new RegExp(`^${String(first.id)}\\t`, 'm'));
  });

  it('C06 with the server stopped the same commands open the store themselves, and are audited', async () => {
    const soft = await driver(['destroy', '--name', 'py-offline']);
    const id = soft.id as string;
    await stopChild(serve!.child);
    serve = undefined;
    assert.match(await okCli(['objects', 'list', '--deleted']), new RegExp(`^${id}\\t`, 'm'));
    assert.match(await okCli(['objects', 'show', id]), /^material +kept after soft delete on \S+, purged after \S+ \(restore gives back PreActive\)$/m);
    const revealed = await okCli(['objects', 'show', id, '--reveal'], `${id}\n`);
    assert.match(revealed, new RegExp(`^KeyMaterial +${String(soft.key)}$`, 'm'));
    assert.equal(await okCli(['objects', 'restore', id]), `restored ${id} (PreActive)\n`);
    assert.match(await okCli(['object', 'list']), new RegExp(`^${id}\\tSymmetricKey\\tPreActive\\towner py\\tnames py-offline`, 'm'));
    const audited = queryAudit(dir).filter((r) => r.objects.includes(id)).map((r) => r.operation);
    assert.ok(audited.includes('object restored') && audited.includes('material revealed'), audited.join(', '));
    // Back online: the restored key is served.
    serve = await startServe(BIN, dir);
    const got = await driver(['get', '--id', id]);
    assert.equal(got.key, soft.key);
  });
});
