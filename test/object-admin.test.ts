// Ownership transfer and sharing by the operator (issue 4 point 4), end to
// end: `keyhold serve` in its own process, clients over mutual TLS, and
// `keyhold object …` in another process reaching the running server through
// its control socket; then the same commands with the server stopped, on the
// store directly.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type tls from 'node:tls';
import { parseResponseMessage, type ResponseBatchItem } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { parseGrants } from '../main/access/policy.js';
import { queryAudit } from '../main/audit/audit-log.js';
import { call, connect, enrolHere, startServe, stopChild, type Creds, type ServeProcess } from './support/kmip-tls.js';
import { REPO_ROOT } from './support/reference.js';
import { byId, createAes, request } from './support/kmip-requests.js';
import { openStore } from '../main/store/index.js';
import { BatchGate } from '../main/kmip/batch-gate.js';
import { ObjectAdmin } from '../main/server/object-admin.js';
import type { ClientsDoc } from '../main/server/clients.js';

const BIN = join(REPO_ROOT, 'bin', 'keyhold.mjs');

const get = (id: string) => byId(Enum.Operation.Get, id);
const locate = () => request(Enum.Operation.Locate, []);

function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1 });
    });
  });
}

describe('operator transfer and share of objects', { timeout: 180_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-objadm-'));
  const dir = join(root, 'd');
  let serve: ServeProcess;
  const creds = new Map<string, Creds>();
  const conns = new Map<string, tls.TLSSocket>();
  let k1 = '';
  let k2 = '';

  async function ask(who: string, bytes: Uint8Array): Promise<ResponseBatchItem> {
    let s = conns.get(who);
    if (s === undefined || s.destroyed) {
      s = await connect(serve.port, creds.get(who)!);
      conns.set(who, s);
    }
    return parseResponseMessage(decodeTtlv(await call(s, bytes))).batchItems[0]!;
  }
  const okGet = async (who: string, id: string) => {
    const r = await ask(who, get(id));
    assert.equal(r.resultStatus, Enum.ResultStatus.Success, `${who} Get ${id}: ${r.resultMessage}`);
  };
  const deniedGet = async (who: string, id: string) => {
    const r = await ask(who, get(id));
    assert.equal(r.resultReason, Enum.ResultReason.PermissionDenied, `${who} Get ${id}: ${r.resultStatus} ${r.resultMessage}`);
  };
  const located = async (who: string) =>
    ((await ask(who, locate())).responsePayload as { value: TtlvItem[] }).value.filter((c) => c.tag === Tag.UniqueIdentifier).map((c) => c.value as string).sort();
  const idOf = (r: ResponseBatchItem) => (r.responsePayload as { value: TtlvItem[] }).value.find((c) => c.tag === Tag.UniqueIdentifier)!.value as string;
  const ok = async (...args: string[]) => {
    const r = await cli(...args, '--data-dir', dir);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    const enrol = async (name: string, permissions: string, groups: string[] = []) =>
      creds.set(name, await enrolHere(dir, join(root, name), name, { grants: parseGrants(permissions), groups }));
    await enrol('alice', 'query,create:own,get:own');
    await enrol('bob', 'query,get:own');
    await enrol('carol', 'query,get:shared', ['ops']);
    await enrol('erin', 'query,get:shared', ['audit']);
    await enrol('gone', 'query');
    assert.equal((await cli('client', 'remove', 'gone', '--data-dir', dir)).code, 0);
    serve = await startServe(BIN, dir);
    k1 = idOf(await ask('alice', createAes('k1')));
    k2 = idOf(await ask('alice', createAes('k2')));
  });

  after(async () => {
    for (const s of conns.values()) s.destroy();
    if (serve) await stopChild(serve.child);
    rmSync(root, { recursive: true, force: true });
  });

  it('O01 transfer: the new owner reaches the object, the old one no longer does', async () => {
    await deniedGet('bob', k1);
    assert.match(await ok('object', 'transfer', '--id', k1, '--to', 'bob'), /^1 object now owned by "bob"$/m);
    await okGet('bob', k1);
    await deniedGet('alice', k1);
  });

  it('O02 share with a client, then with a group: shared-scope grants reach the object; unshare takes it back', async () => {
    await deniedGet('carol', k2);
    assert.match(await ok('object', 'share', '--id', k2, '--client', 'carol'), /1 object shared with client carol \(1 new shares\)/);
    await okGet('carol', k2);
    assert.deepEqual(await located('carol'), [k2]);
    await deniedGet('erin', k2);
    await ok('object', 'share', '--id', k2, '--group', 'audit');
    await okGet('erin', k2);
    // A share does not widen own-scope grants: bob (get:own) still cannot.
    await deniedGet('bob', k2);
    await ok('object', 'unshare', '--id', k2, '--client', 'carol');
    await deniedGet('carol', k2);
    assert.deepEqual(await located('carol'), []);
    await okGet('erin', k2);
    await okGet('alice', k2); // the owner is unaffected throughout
  });

  it('O03 object list and owners show owners and shares, never material', async () => {
    const out = await ok('object', 'list');
    assert.match(out, new RegExp(`^${k1}\\tSymmetricKey\\tPreActive\\towner bob\\tnames k1\\tshared -$`, 'm'));
    assert.match(out, new RegExp(`^${k2}\\tSymmetricKey\\tPreActive\\towner alice\\tnames k2\\tshared group:audit$`, 'm'));
    assert.match(await ok('object', 'list', '--owner', 'bob'), new RegExp(`^${k1}\\t`));
    assert.equal((await ok('object', 'list', '--owner', 'bob')).trim().split('\n').length, 1);
    assert.equal(await ok('object', 'owners'), 'alice\t1\nbob\t1\n');
  });

  it('O04 bad names are one-line errors and change nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['object', 'transfer', '--id', k2, '--to', 'nobody'], /no client named "nobody" is registered/],
      [['object', 'transfer', '--id', k2, '--to', 'gone'], /"gone" is a removed client/],
      [['object', 'transfer', '--id', '00000000-0000-4000-8000-000000000000', '--to', 'bob'], /no object with identifier/],
      [['object', 'share', '--id', k2, '--group', 'nogroup'], /no client is in group "nogroup"/],
      [['object', 'transfer', '--to', 'bob'], /give either --id/],
    ];
    for (const [args, why] of cases) {
      const r = await cli(...args, '--data-dir', dir);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, why);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    await okGet('alice', k2);
  });

  it('O05 every change is an admin record in the audit log (clients enrolled before the first start too)', async () => {
    const added = queryAudit(dir).filter((r) => r.operation === 'client added');
    assert.deepEqual(added.map((r) => r.client).sort(), ['alice', 'bob', 'carol', 'erin']);
    assert.match(added[0]!.message ?? '', /; made while no server was running$/);
    const until = Date.now() + 3000;
    const admin = () => queryAudit(dir).filter((r) => r.kind === 'admin' && r.operation !== null && /^(objects|shares)/.test(r.operation));
    while (admin().length < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const ops = admin().map((r) => `${r.operation}: ${r.message}`);
    assert.deepEqual(ops, [
      'objects transferred: 1 object to "bob"',
      'objects shared: 1 object shared with client:carol (1 new)',
      'objects shared: 1 object shared with group:audit (1 new)',
      'shares withdrawn: 1 object no longer shared with client:carol (1 removed)',
    ]);
    assert.deepEqual(admin()[0]!.objects, [k1]);
  });

  it('O06 the control socket is owner-only and answers nothing but the object methods', async () => {
    const sock = join(dir, 'control.sock');
    assert.equal(statSync(sock).mode & 0o777, 0o600);
    const exchange = (line: string) =>
      new Promise<{ ok: boolean; seq: number | null; error?: { code: string; message: string } }>((resolve, reject) => {
        const c = net.connect(sock);
        let buf = '';
        c.setEncoding('utf8');
        c.on('data', (d: string) => {
          buf += d;
          if (buf.includes('\n')) {
            c.destroy();
            resolve(JSON.parse(buf.slice(0, buf.indexOf('\n'))));
          }
        });
        c.on('error', reject);
        c.write(`${line}\n`);
      });
    for (const method of ['stopServer', 'shutdown', 'crashForTests', 'startServer']) {
      const r = await exchange(JSON.stringify({ kind: 'request', seq: 7, method, params: {} }));
      assert.equal(r.ok, false);
      assert.equal(r.seq, 7);
      assert.match(r.error!.message, /unknown method/);
    }
    assert.equal((await exchange('{not json')).error!.code, 'bad_request');
    assert.match((await exchange(JSON.stringify({ kind: 'request', seq: 8, method: 'transferObjects', params: { to: 5 } }))).error!.message, /params\.to: expected string/);
    await okGet('alice', k2); // still serving
  });

  it('O07 with the server stopped, the same commands work on the store directly (and are audited)', async () => {
    for (const s of conns.values()) s.destroy();
    conns.clear();
    await stopChild(serve.child);
    assert.match(await ok('object', 'transfer', '--from', 'alice', '--to', 'bob'), /^1 object now owned by "bob"$/m);
    assert.equal(await ok('object', 'owners'), 'bob\t2\n');
    assert.ok(queryAudit(dir).some((r) => r.operation === 'objects transferred' && r.message === 'every object of "alice" (1) to "bob"'));
    // A client change while no server runs is recorded when the next one starts.
    assert.equal((await cli('client', 'set', 'erin', '--description', 'auditor', '--data-dir', dir)).code, 0);
    serve = await startServe(BIN, dir);
    const until = Date.now() + 3000;
    const late = () => queryAudit(dir).find((r) => r.operation === 'client changed' && r.client === 'erin');
    while (late() === undefined && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.equal(late()?.message, 'description - → auditor; made while no server was running');
    await okGet('bob', k2);
    await deniedGet('alice', k2);
  });
});

describe('operator writes and KMIP batches with the Undo option', () => {
  it('a transfer made while an Undo batch holds its transaction open waits for it, and survives the batch rolling back', async () => {
    const root = mkdtempSync(join(tmpdir(), 'keyhold-objadm-gate-'));
    const store = openStore(join(root, 'd'));
    try {
      const id = store.createObject({ objectType: Enum.ObjectType.SecretData, state: 1, owner: 'a' });
      const gate = new BatchGate();
      const doc = { clients: [{ name: 'b' }], allow: [], retired: [] } as unknown as ClientsDoc;
      const admin = new ObjectAdmin({ store, clients: () => doc, serialize: (fn) => gate.shared(fn) });
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      // An Undo batch: its transaction stays open across an await (key generation, say), then fails and rolls back.
      const batch = gate.exclusive(async () => {
        const tx = store.beginBatch();
        store.addAttribute(id, 'ObjectGroup', { type: 'TextString', value: 'in the batch' });
        await held;
        tx.rollback();
      });
      const transfer = admin.transfer({ ids: [id], to: 'b' });
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(store.getObject(id).owner, 'a', 'the transfer waited for the batch');
      release();
      await batch;
      assert.deepEqual(await transfer, { count: 1 });
      assert.equal(store.getObject(id).owner, 'b', 'not rolled back with the batch');
      assert.deepEqual(store.getAttributes(id, ['ObjectGroup']), [], 'the batch itself was rolled back');
    } finally {
      store.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
