// Replays of real client sequences (issue 3, point 8, third bullet): the request
// messages in test/fixtures/clients/*.xml — reconstructed from public
// descriptions of what vSphere, Synology DSM, MongoDB and the Percona MySQL
// keyring send; sources in each file — are sent in order to a real
// `keyhold serve` over mutual TLS. $UNIQUE_IDENTIFIER_n is bound from our own
// Create/Register responses. Synology DSM opens a new connection per request;
// the others keep one connection.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { parseResponseMessage, type ResponseBatchItem, type ResponseMessage } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { parseKmipXml } from '../shared/kmip/xml/index.js';
import { REPO_ROOT } from './support/reference.js';
import { type Creds, call, connect, enrolCreds, startServe, type ServeProcess } from './support/kmip-tls.js';

const BIN = join(REPO_ROOT, 'bin', 'keyhold.mjs');
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'clients');
const PER_CLIENT_MS = 15_000;





// ---------------------------------------------------------------------------
// Tree helpers

const PLACEHOLDER = /^\$UNIQUE_IDENTIFIER_(\d+)$/;

/** A copy of `it` with every $UNIQUE_IDENTIFIER_n text replaced by its bound id. */
function bind(it: TtlvItem, ids: readonly string[]): TtlvItem {
  if (it.type === 'Structure') return { ...it, value: it.value.map((c) => bind(c, ids)) };
  if (it.type === 'TextString') {
    const m = PLACEHOLDER.exec(it.value);
    if (m) {
      const v = ids[Number(m[1])];
      assert.ok(v !== undefined, `${it.value} is not bound yet`);
      return { ...it, value: v };
    }
  }
  return it;
}

/** All items with this tag anywhere under `it` (depth first). */
function findAll(it: TtlvItem | undefined, tag: number, out: TtlvItem[] = []): TtlvItem[] {
  if (!it) return out;
  if (it.tag === tag) out.push(it);
  if (it.type === 'Structure') for (const c of it.value) findAll(c, tag, out);
  return out;
}

function texts(it: TtlvItem | undefined, tag: number): string[] {
  return findAll(it, tag).flatMap((x) => (x.type === 'TextString' ? [x.value] : []));
}

function bytesHex(it: TtlvItem | undefined, tag: number): string | undefined {
  const b = findAll(it, tag).find((x) => x.type === 'ByteString');
  return b && b.type === 'ByteString' ? Buffer.from(b.value).toString('hex') : undefined;
}

/** The attribute names in the payload's Attribute structures (1.x form). */
function attributeNames(payload: TtlvItem | undefined): string[] {
  return findAll(payload, Tag.Attribute).flatMap((a) => texts(a, Tag.AttributeName));
}

// ---------------------------------------------------------------------------
// Replay

interface Step {
  /** The request as read from the fixture (placeholders unbound). */
  request: TtlvItem;
  /** The request as sent. */
  sent: TtlvItem;
  response: ResponseMessage;
}

interface Replay {
  steps: Step[];
  ids: string[];
  connections: number;
  ms: number;
}

function loadFixture(name: string): TtlvItem[] {
  const items = parseKmipXml(readFileSync(join(FIXTURES, `${name}.xml`), 'utf8'));
  assert.ok(items.length > 0, `${name}: no messages`);
  for (const m of items) assert.equal(m.tag, Tag.RequestMessage, `${name}: only request messages expected`);
  return items;
}

function requestVersion(req: TtlvItem): { major: number; minor: number } {
  const major = findAll(req, Tag.ProtocolVersionMajor)[0];
  const minor = findAll(req, Tag.ProtocolVersionMinor)[0];
  return { major: major?.value as number, minor: minor?.value as number };
}

async function replay(name: string, port: number, creds: Creds, connectionPerRequest: boolean): Promise<Replay> {
  const started = Date.now();
  const ids: string[] = [];
  const steps: Step[] = [];
  let connections = 0;
  let sock: tls.TLSSocket | undefined;
  try {
    for (const request of loadFixture(name)) {
      if (!sock) {
        sock = await connect(port, creds);
        connections++;
      }
      const sent = bind(request, ids);
      const response = parseResponseMessage(decodeTtlv(await call(sock, encodeTtlv(sent), 5000)));
      // The server answers in the version the client speaks.
      assert.deepEqual(response.header.protocolVersion, requestVersion(request), `${name} #${steps.length + 1}: response version`);
      // Bind new ids in the order objects are created.
      for (const bi of response.batchItems) {
        if (bi.resultStatus !== Enum.ResultStatus.Success) continue;
        if (bi.operation === Enum.Operation.Create || bi.operation === Enum.Operation.Register) {
          const [u] = texts(bi.responsePayload, Tag.UniqueIdentifier);
          assert.ok(u, `${name} #${steps.length + 1}: no Unique Identifier in the response`);
          ids.push(u);
        }
      }
      steps.push({ request, sent, response });
      if (connectionPerRequest) {
        sock.end();
        sock.destroy();
        sock = undefined;
      }
    }
  } finally {
    sock?.destroy();
  }
  return { steps, ids, connections, ms: Date.now() - started };
}

function describeItem(bi: ResponseBatchItem): string {
  return `status ${bi.resultStatus} reason ${bi.resultReason ?? '-'} ${bi.resultMessage ?? ''}`;
}

/** Every batch item of every step succeeded, with the operation echoed. */
function assertAllSuccess(name: string, r: Replay): void {
  r.steps.forEach((s, i) => {
    const reqItems = findAll(s.request, Tag.BatchItem);
    assert.equal(s.response.batchItems.length, reqItems.length, `${name} #${i + 1}: batch count (${s.response.batchItems.map(describeItem).join('; ')})`);
    s.response.batchItems.forEach((bi, j) => {
      const op = findAll(reqItems[j], Tag.Operation)[0]?.value;
      assert.equal(bi.operation, op, `${name} #${i + 1}.${j + 1}: operation echoed`);
      assert.equal(bi.resultStatus, Enum.ResultStatus.Success, `${name} #${i + 1}.${j + 1}: ${describeItem(bi)}`);
    });
  });
}

function item(r: Replay, step: number, j = 0): ResponseBatchItem {
  const bi = r.steps[step - 1]?.response.batchItems[j];
  assert.ok(bi, `step ${step} item ${j + 1} missing`);
  return bi;
}

function summary(name: string, r: Replay, extra: string): void {
  const items = r.steps.reduce((n, s) => n + s.response.batchItems.length, 0);
  console.log(`client replay ${name}: ${r.steps.length} requests, ${items} batch items, all as expected, ${r.connections} TLS connection(s), ${r.ms} ms${extra ? `; ${extra}` : ''}`);
}

describe('client replays against keyhold serve', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-replay-'));
  const dir = join(root, 'data');
  const out = join(root, 'client');
  let server: ChildProcess;
  let serve: ServeProcess | undefined;
  let port = 0;
  let creds: Creds;

  before(async () => {
    serve = await startServe(BIN, dir);
    server = serve.child;
    port = serve.port;
    creds = await enrolCreds(BIN, dir, 'replayer', out);
    // The running server picks up the new client asynchronously: wait until it is accepted.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const s = await connect(port, creds);
        const probe = loadFixture('mongodb')[0]!; // Discover Versions
        await call(s, encodeTtlv(probe), 5000);
        s.destroy();
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  after(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
    if (process.env.KEYHOLD_REPLAY_VERBOSE && serve?.stderr) console.log(serve.stderr);
  });

  test('vSphere (KMIP 1.1, one connection)', { timeout: PER_CLIENT_MS }, async () => {
    const r = await replay('vsphere', port, creds, false);
    assertAllSuccess('vsphere', r);
    assert.equal(r.connections, 1);
    assert.equal(r.ids.length, 1);
    const [key] = r.ids;
    // 1, 2: Discover Versions health checks list 1.1 first.
    for (const step of [1, 2]) {
      const majors = findAll(item(r, step).responsePayload, Tag.ProtocolVersionMajor);
      assert.ok(majors.length > 0, `health check ${step}: versions listed`);
    }
    const first = findAll(item(r, 1).responsePayload, Tag.ProtocolVersion)[0];
    assert.deepEqual([findAll(first, Tag.ProtocolVersionMajor)[0]?.value, findAll(first, Tag.ProtocolVersionMinor)[0]?.value], [1, 1]);
    // 3: Query lists Create, Get Attributes and Add Attribute (what PyKMIP lacked for vSphere).
    const ops = findAll(item(r, 3).responsePayload, Tag.Operation).map((x) => x.value);
    for (const op of [Enum.Operation.Create, Enum.Operation.Get, Enum.Operation.GetAttributes, Enum.Operation.AddAttribute, Enum.Operation.Activate]) {
      assert.ok(ops.includes(op), `Query lists operation ${op}`);
    }
    // 5: x-Product_Version absent: Success with the id and State only.
    const ga = item(r, 5).responsePayload;
    assert.deepEqual(texts(ga, Tag.UniqueIdentifier), [key]);
    assert.deepEqual(attributeNames(ga), ['State']);
    // 6: one batch, three Add Attribute successes, each echoing its attribute.
    const batch = r.steps[5]!.response.batchItems;
    assert.equal(batch.length, 3);
    assert.deepEqual(batch.map((b) => b.operation), [Enum.Operation.AddAttribute, Enum.Operation.AddAttribute, Enum.Operation.AddAttribute]);
    assert.deepEqual(batch.map((b) => Buffer.from(b.uniqueBatchItemId ?? []).toString('hex')), ['01', '02', '03']);
    assert.deepEqual(batch.map((b) => attributeNames(b.responsePayload)), [['x-Vendor'], ['x-Product'], ['x-Product_Version']]);
    assert.deepEqual(batch.map((b) => texts(b.responsePayload, Tag.AttributeValue)), [['VMware, Inc.'], ['VMware vSphere'], ['8.0.2']]);
    // 7: Get returns a 256-bit AES key.
    const get = item(r, 7).responsePayload;
    assert.deepEqual(texts(get, Tag.UniqueIdentifier), [key]);
    assert.equal(bytesHex(get, Tag.KeyMaterial)?.length, 64);
    summary('vSphere', r, 'x-Product_Version absent → Success without it; 3/3 Add Attribute in one batch');
  });

  test('Synology DSM (KMIP 1.2, a new connection per request)', { timeout: PER_CLIENT_MS }, async () => {
    const fixture = loadFixture('synology-dsm');
    const r = await replay('synology-dsm', port, creds, true);
    assertAllSuccess('synology-dsm', r);
    assert.equal(r.connections, fixture.length);
    assert.equal(r.ids.length, 1);
    const [key] = r.ids;
    // 2: Locate by Name before the key exists: Success, no ids.
    assert.deepEqual(texts(item(r, 2).responsePayload, Tag.UniqueIdentifier), []);
    // 4: Modify Attribute echoes the new Name.
    const mod = item(r, 4).responsePayload;
    assert.deepEqual(texts(mod, Tag.UniqueIdentifier), [key]);
    assert.deepEqual(attributeNames(mod), ['Name']);
    const newName = 'synology-dsm-0011323abcde-volume1-deprecated-1732800000';
    assert.deepEqual(texts(mod, Tag.NameValue), [newName]);
    // 6: Get Attribute List names the attributes DSM set.
    const list = texts(item(r, 6).responsePayload, Tag.AttributeName);
    for (const a of ['Name', 'State', 'Object Type', 'Operation Policy Name']) assert.ok(list.includes(a), `attribute list has ${a}: ${list.join(', ')}`);
    // 7: Get Attributes: Active, the renamed Name, and Operation Policy Name "default".
    const ga = item(r, 7).responsePayload;
    const byName = new Map<string, TtlvItem>();
    for (const a of findAll(ga, Tag.Attribute)) byName.set(texts(a, Tag.AttributeName)[0]!, a);
    assert.equal(findAll(byName.get('State'), Tag.AttributeValue)[0]?.value, Enum.State.Active);
    assert.deepEqual(texts(byName.get('Name'), Tag.NameValue), [newName]);
    assert.deepEqual(texts(byName.get('Operation Policy Name'), Tag.AttributeValue), ['default']);
    // 8: Get returns the registered secret.
    const sent = bytesHex(r.steps[2]!.request, Tag.KeyMaterial);
    assert.equal(bytesHex(item(r, 8).responsePayload, Tag.KeyMaterial), sent);
    assert.ok(findAll(item(r, 8).responsePayload, Tag.SecretData).length === 1, 'Get returns Secret Data');
    summary('Synology DSM', r, 'Modify Attribute echoed the new Name; Operation Policy Name kept');
  });

  test('MongoDB legacy protocol (KMIP 1.1, one connection)', { timeout: PER_CLIENT_MS }, async () => {
    const r = await replay('mongodb', port, creds, false);
    assertAllSuccess('mongodb', r);
    assert.equal(r.connections, 1);
    assert.equal(r.ids.length, 1);
    const [key] = r.ids;
    // 1: both offered versions are supported, 1.1 first.
    const versions = findAll(item(r, 1).responsePayload, Tag.ProtocolVersion).map((v) => findAll(v, Tag.ProtocolVersionMinor)[0]?.value);
    assert.deepEqual(versions, [1, 0]);
    assert.deepEqual(texts(item(r, 3).responsePayload, Tag.UniqueIdentifier), [key]);
    const get = item(r, 4).responsePayload;
    assert.deepEqual(texts(get, Tag.UniqueIdentifier), [key]);
    assert.equal(bytesHex(get, Tag.KeyMaterial), bytesHex(r.steps[1]!.request, Tag.KeyMaterial));
    summary('MongoDB', r, 'master key returned intact');
  });

  test('MySQL/Percona keyring_kmip (KMIP 1.4, one connection)', { timeout: PER_CLIENT_MS }, async () => {
    const r = await replay('percona-keyring', port, creds, false);
    assertAllSuccess('percona-keyring', r);
    assert.equal(r.connections, 1);
    assert.equal(r.ids.length, 2);
    const [created, registered] = r.ids as [string, string];
    // 3: Locate by Name finds exactly the registered key.
    assert.deepEqual(texts(item(r, 3).responsePayload, Tag.UniqueIdentifier), [registered]);
    // 4: Locate by Object Group finds both (and nothing from the other clients).
    assert.deepEqual(texts(item(r, 4).responsePayload, Tag.UniqueIdentifier).sort(), [created, registered].sort());
    // 5: the registered key comes back as sent.
    assert.equal(bytesHex(item(r, 5).responsePayload, Tag.KeyMaterial), bytesHex(r.steps[1]!.request, Tag.KeyMaterial));
    // 6: the created key is 256 bits.
    assert.equal(bytesHex(item(r, 6).responsePayload, Tag.KeyMaterial)?.length, 64);
    summary('Percona keyring', r, 'Locate by Name → 1 id, by Object Group → 2 ids');
  });
});
