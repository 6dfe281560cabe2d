// The key policy's rules as clients meet them on a live server (startServer
// over mutual TLS): who may generate keys (Create, Create Key Pair, Re-key,
// Re-key Key Pair, with the per-client exception), and every rule again
// through PyKMIP, the independent client, with the Result Reason and the
// message PyKMIP hands its user. test/key-policy.test.ts has the decisions
// case by case and the other live cases.
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
import { silentLogger } from '../main/admin/log.js';
import { startServer, type RunningServer } from '../main/server/serve.js';
import { call, enrolAndConnect, enrolHere } from './support/kmip-tls.js';
import { byId, createAes, request } from './support/kmip-requests.js';
import { driverConnection, runStepDriver } from './support/pykmip.js';
import { REPO_ROOT } from './support/reference.js';
import { policySet } from './support/cli.js';

const DRIVER = join(REPO_ROOT, 'test', 'interop', 'pykmip_policy.py');
const CA = Enum.CryptographicAlgorithm;
const UM = Enum.CryptographicUsageMask;

const name = (n: string) => struct(Tag.Name, [item(Tag.NameValue, 'TextString', n), item(Tag.NameType, 'Enumeration', Enum.NameType.UninterpretedTextString)]);
const createEcPair = (n: string) =>
  request(Enum.Operation.CreateKeyPair, [
    struct(Tag.CommonAttributes, [item(Tag.CryptographicAlgorithm, 'Enumeration', CA.EC), item(Tag.CryptographicLength, 'Integer', 256)]),
    struct(Tag.PrivateKeyAttributes, [name(`${n}-priv`), item(Tag.CryptographicUsageMask, 'Integer', UM.Sign)]),
    struct(Tag.PublicKeyAttributes, [name(`${n}-pub`), item(Tag.CryptographicUsageMask, 'Integer', UM.Verify)]),
  ]);
const idOf = (r: ResponseBatchItem, tag: number = Tag.UniqueIdentifier) => (r.responsePayload as { value: TtlvItem[] }).value.find((c) => c.tag === tag)!.value as string;

describe('key policy: generating keys, and every rule through PyKMIP', { timeout: 180_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-policy-peers-'));
  const dir = join(root, 'data');
  let server: RunningServer;
  const conns = new Map<string, tls.TLSSocket>();

  async function enrol(who: string): Promise<void> {
    conns.set(who, await enrolAndConnect(server.address.port, dir, join(root, who), who, { grants: parseGrants('all') }));
  }
  const ask = async (who: string, bytes: Uint8Array) => parseResponseMessage(decodeTtlv(await call(conns.get(who)!, bytes, 20_000))).batchItems[0]!;
  const ok = (r: ResponseBatchItem, what: string) => assert.equal(r.resultStatus, Enum.ResultStatus.Success, `${what}: ${r.resultMessage}`);
  const count = async () => {
    const r = await ask('admin', request(Enum.Operation.Locate, []));
    ok(r, 'Locate');
    return (r.responsePayload as { value: TtlvItem[] }).value.filter((c) => c.tag === Tag.UniqueIdentifier).length;
  };
  /** Asks until `done` holds or a second has passed (policy changes apply within a second). */
  async function withinASecond(who: string, bytes: Uint8Array, done: (r: ResponseBatchItem) => boolean): Promise<ResponseBatchItem> {
    const until = Date.now() + 1000;
    for (;;) {
      const r = await ask(who, bytes);
      if (done(r) || Date.now() > until) return r;
      await new Promise((res) => setTimeout(res, 50));
    }
  }
  const denied = (r: ResponseBatchItem, what: string) => {
    assert.equal(r.resultStatus, Enum.ResultStatus.OperationFailed, `${what}: succeeded`);
    assert.equal(r.resultReason, Enum.ResultReason.PermissionDenied, `${what}: ${r.resultMessage}`);
    assert.equal(r.resultMessage, 'key policy: clients may not generate keys (policy.json clientsMayCreate) (client "admin")', what);
  };

  /** Runs the PyKMIP driver for a phase as client "py"; every reported step must be ok and every expected one reported. */
  async function pykmip(phase: string, steps: string[], extra: string[] = []): Promise<Map<string, unknown>> {
    const r = await runStepDriver(DRIVER, [...driverConnection(server.address.port, join(root, 'py')), '--phase', phase, ...extra]);
    assert.deepEqual(r.steps.map((l) => l.step).filter((s) => s !== 'created id'), steps, r.context);
    return r.byName;
  }

  before(async () => {
    server = await startServer({ dataDir: dir, host: '127.0.0.1', port: 0, log: silentLogger });
    await enrol('admin');
    await enrol('builder');
    await enrolHere(dir, join(root, 'py'), 'py', { grants: parseGrants('all') });
  });

  after(async () => {
    for (const s of conns.values()) s.destroy();
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('G01 with generating off, Create, Create Key Pair, Re-key and Re-key Key Pair are refused (Permission Denied, nothing stored); the listed client may', async () => {
    const key = idOf(await ask('admin', createAes('to-rekey')));
    const pair = await ask('admin', createEcPair('to-rekey'));
    ok(pair, 'Create Key Pair while allowed');
    const priv = idOf(pair, Tag.PrivateKeyUniqueIdentifier);
    const out = await policySet(dir, '--clients-create', 'off', '--allow-create', 'builder,nobody-yet');
    assert.match(out, /^key policy changed: clientsMayCreate true → false; allowCreate none → builder,nobody-yet\nnote: allowCreate names nobody-yet, not a registered client \(keyhold client list\)\n$/);
    const before = await count();
    denied(await withinASecond('admin', createAes('refused'), (r) => r.resultStatus !== Enum.ResultStatus.Success), 'Create');
    denied(await ask('admin', createEcPair('refused')), 'Create Key Pair');
    denied(await ask('admin', byId(Enum.Operation.ReKey, key)), 'Re-key');
    denied(await ask('admin', request(Enum.Operation.ReKeyKeyPair, [item(Tag.PrivateKeyUniqueIdentifier, 'TextString', priv)])), 'Re-key Key Pair');
    assert.equal(await count(), before, 'a refused request stores nothing');
    // Registering is a separate switch.
    ok(await ask('builder', createAes('builder-key')), 'Create by the listed client');
    ok(await ask('builder', createEcPair('builder-pair')), 'Create Key Pair by the listed client');
    await policySet(dir, '--clients-create', 'on', '--allow-create', 'none');
    ok(await withinASecond('admin', createAes('allowed-again'), (r) => r.resultStatus === Enum.ResultStatus.Success), 'Create after turning it on');
  });

  it('G02 PyKMIP: legacy keys refused under the default policy (Invalid Field, naming the rule); AES-256 served', async () => {
    await pykmip('defaults', ['triple des create refused', 'rsa-1024 key pair refused', 'aes-256 create served']);
  });

  it('G03 PyKMIP: algorithms not listed (Invalid Field), registering off (Permission Denied), a required Name (Missing Data)', async () => {
    await policySet(dir, '--algorithms', 'AES-256,RSA-2048', '--clients-register', 'off', '--require-name', 'on');
    // The CLI returns once the file is written; the server applies it within a second.
    await new Promise((r) => setTimeout(r, 1100));
    const got = await pykmip('restricted', ['aes-128 create refused', 'register refused', 'create without a name refused', 'named aes-256 create served']);
    const id = got.get('created id');
    assert.equal(typeof id, 'string');
    await policySet(dir, '--clients-create', 'off');
    await new Promise((r) => setTimeout(r, 1100));
    await pykmip('closed', ['create refused', 'create key pair refused', 'rekey refused'], ['--rekey-id', id as string]);
  });
});
