// Access control on the live server: real mutual TLS, the real SQLite store
// and the real clients.json registry (startServer, as the engine worker runs
// it). Clients with different grants create, read and find keys; each allowed
// case succeeds and each denied one gets Permission Denied, and a denial never
// tells a restricted client whether the object exists.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type tls from 'node:tls';
import { parseResponseMessage, type ResponseBatchItem } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, item, struct, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { parseGrants } from '../main/access/policy.js';
import { startServer, type RunningServer } from '../main/server/serve.js';
import { updateClient } from '../main/server/clients.js';
import { silentLogger } from '../main/admin/log.js';
import { call, enrolAndConnect } from './support/kmip-tls.js';
import { byId, createAes, request } from './support/kmip-requests.js';

const V14 = { major: 1, minor: 4 };
const MISSING = '00000000-0000-4000-8000-00000000dead';

const locateAll = () => request(Enum.Operation.Locate, []);

describe('access control over TLS', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-access-'));
  const dir = join(root, 'data');
  let server: RunningServer;
  const conns = new Map<string, tls.TLSSocket>();
  const ids: Record<string, string> = {};

  async function enrol(name: string, permissions: string, groups: string[] = []): Promise<void> {
    conns.set(name, await enrolAndConnect(server.address.port, dir, join(root, name), name, { grants: parseGrants(permissions), groups }));
  }

  async function ask(who: string, bytes: Uint8Array): Promise<ResponseBatchItem> {
    const r = parseResponseMessage(decodeTtlv(await call(conns.get(who)!, bytes)));
    return r.batchItems[0]!;
  }
  const ok = (r: ResponseBatchItem, what: string) => assert.equal(r.resultStatus, Enum.ResultStatus.Success, `${what}: ${r.resultMessage}`);
  const denied = (r: ResponseBatchItem, what: string) => {
    assert.equal(r.resultStatus, Enum.ResultStatus.OperationFailed, what);
    assert.equal(r.resultReason, Enum.ResultReason.PermissionDenied, `${what}: ${r.resultMessage}`);
  };
  const idOf = (r: ResponseBatchItem) => {
    const uid = (r.responsePayload as { value: TtlvItem[] }).value.find((c) => c.tag === Tag.UniqueIdentifier);
    return uid!.value as string;
  };
  const located = (r: ResponseBatchItem) => (r.responsePayload as { value: TtlvItem[] }).value.filter((c) => c.tag === Tag.UniqueIdentifier).map((c) => c.value as string).sort();

  before(async () => {
    server = await startServer({ dataDir: dir, host: '127.0.0.1', port: 0, log: silentLogger });
    await enrol('admin', 'all');
    await enrol('alice', 'query,get:own,use:own,create:own,destroy:own');
    await enrol('bob', 'query,get:own,create:own', ['team']);
    await enrol('carol', 'query,get:shared', ['team']);
    await enrol('mallory', 'query,get:own,use:own'); // the defaults
    await enrol('typed', 'query,create:own:SecretData,get:own');
  });

  after(async () => {
    for (const s of conns.values()) s.destroy();
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('A01 a client without create permission cannot create, and nothing is created', async () => {
    const r = await ask('mallory', createAes('mallory-key'));
    denied(r, 'mallory Create');
    assert.match(r.resultMessage ?? '', /client "mallory" has no create permission \(needed for Create\)/);
    const all = await ask('admin', request(Enum.Operation.Locate, [struct(Tag.Attributes, [struct(Tag.Name, [item(Tag.NameValue, 'TextString', 'mallory-key'), item(Tag.NameType, 'Enumeration', 1)])])]));
    assert.deepEqual(located(all), []);
  });

  it('A02 clients with create permission create keys they own and can read back', async () => {
    for (const who of ['alice', 'bob', 'admin']) {
      const r = await ask(who, createAes(`${who}-key`));
      ok(r, `${who} Create`);
      ids[who] = idOf(r);
      ok(await ask(who === 'bob' ? 'bob' : who, byId(Enum.Operation.Get, ids[who]!)), `${who} Get own`);
    }
  });

  it('A03 another client\'s key and a missing key are denied alike (nothing reveals existence)', async () => {
    const other = await ask('bob', byId(Enum.Operation.Get, ids.alice!));
    const missing = await ask('bob', byId(Enum.Operation.Get, MISSING));
    denied(other, 'bob Get alice-key');
    denied(missing, 'bob Get missing');
    assert.equal(other.resultMessage!.replace(ids.alice!, 'ID'), missing.resultMessage!.replace(MISSING, 'ID'));
    assert.match(other.resultMessage!, /client "bob" has no get permission on object/);
    // Also for the attribute reads, and in KMIP 1.4.
    denied(await ask('bob', byId(Enum.Operation.GetAttributes, ids.alice!)), 'bob Get Attributes alice-key');
    denied(await ask('bob', byId(Enum.Operation.GetAttributes, MISSING)), 'bob Get Attributes missing');
    denied(await ask('bob', byId(Enum.Operation.Get, ids.alice!, V14)), 'bob Get alice-key 1.4');
    denied(await ask('bob', byId(Enum.Operation.Get, MISSING, V14)), 'bob Get missing 1.4');
  });

  it('A04 with scope all, a missing key is Object Not Found as before, and others\' keys are readable', async () => {
    const r = await ask('admin', byId(Enum.Operation.Get, MISSING));
    assert.equal(r.resultReason, Enum.ResultReason.ObjectNotFound, r.resultMessage);
    ok(await ask('admin', byId(Enum.Operation.Get, ids.alice!)), 'admin Get alice-key');
  });

  it('A05 Locate finds only what the grant reaches', async () => {
    assert.deepEqual(located(await ask('alice', locateAll())), [ids.alice]);
    assert.deepEqual(located(await ask('bob', locateAll())), [ids.bob]);
    assert.deepEqual(located(await ask('carol', locateAll())), [ids.bob]); // shared with bob through "team"
    assert.deepEqual(located(await ask('mallory', locateAll())), []);
    assert.deepEqual(located(await ask('admin', locateAll())), [ids.admin, ids.alice, ids.bob].sort());
  });

  it('A06 shared scope reaches the group\'s objects and no others', async () => {
    ok(await ask('carol', byId(Enum.Operation.Get, ids.bob!)), 'carol Get bob-key');
    denied(await ask('carol', byId(Enum.Operation.Get, ids.alice!)), 'carol Get alice-key');
    denied(await ask('carol', createAes('carol-key')), 'carol Create');
  });

  it('A07 lifecycle permissions are separate: destroy needs destroy, activate needs activate', async () => {
    denied(await ask('bob', byId(Enum.Operation.Destroy, ids.bob!)), 'bob Destroy own (no destroy grant)');
    denied(await ask('alice', byId(Enum.Operation.Activate, ids.alice!)), 'alice Activate own (no activate grant)');
    denied(await ask('alice', byId(Enum.Operation.Destroy, ids.bob!)), 'alice Destroy bob-key');
    ok(await ask('alice', byId(Enum.Operation.Destroy, ids.alice!)), 'alice Destroy own');
    ok(await ask('admin', byId(Enum.Operation.Get, ids.bob!)), 'bob-key still there');
  });

  it('A08 an Object Type restriction holds for Create', async () => {
    const r = await ask('typed', createAes('typed-key'));
    denied(r, 'typed Create Symmetric Key');
    assert.match(r.resultMessage ?? '', /may not create objects of this Object Type/);
    const secret = await ask('typed', request(Enum.Operation.Register, [
      item(Tag.ObjectType, 'Enumeration', Enum.ObjectType.SecretData),
      struct(Tag.Attributes, []),
      struct(Tag.SecretData, [
        item(Tag.SecretDataType, 'Enumeration', Enum.SecretDataType.Password),
        struct(Tag.KeyBlock, [item(Tag.KeyFormatType, 'Enumeration', Enum.KeyFormatType.Opaque), struct(Tag.KeyValue, [item(Tag.KeyMaterial, 'ByteString', new Uint8Array([1, 2, 3, 4]))])]),
      ]),
    ]));
    ok(secret, 'typed Register Secret Data');
    ok(await ask('typed', byId(Enum.Operation.Get, idOf(secret))), 'typed Get own Secret Data');
  });

  it('A09 a permission change applies within a second, on the open connection', async () => {
    denied(await ask('mallory', createAes('mallory-late')), 'mallory Create before');
    const changed = Date.now();
    await updateClient(dir, 'mallory', { grants: parseGrants('query,get:own,create:own') });
    let r: ResponseBatchItem;
    for (;;) {
      r = await ask('mallory', createAes(`mallory-late-${Date.now()}`));
      if (r.resultStatus === Enum.ResultStatus.Success || Date.now() - changed > 1000) break;
      await new Promise((res) => setTimeout(res, 25));
    }
    ok(r, 'mallory Create after the change');
    assert.ok(Date.now() - changed <= 1000, `applied after ${Date.now() - changed} ms`);
    // And taken away again.
    await updateClient(dir, 'mallory', { grants: parseGrants('query') });
    const until = Date.now() + 1000;
    let g: ResponseBatchItem;
    do g = await ask('mallory', byId(Enum.Operation.Get, idOf(r)));
    while (g.resultStatus === Enum.ResultStatus.Success && Date.now() < until);
    denied(g, 'mallory Get own after losing get');
  });
});
