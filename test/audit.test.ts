// The audit log on the live server (main/audit): connection attempts and
// request items are recorded with client, address, operation, objects and
// result; `keyhold log verify` passes on the untouched log and names the
// record when one is edited or deleted directly in SQLite; query and export
// filter as asked; and no key bytes reach the log or its exports.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { buildRequestMessage, parseResponseMessage, type ResponseBatchItem } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, item, struct, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { AUDIT_FILE, queryAudit, verifyAudit } from '../main/audit/audit-log.js';
import { ALL_GRANTS, DEFAULT_GRANTS, parseGrants } from '../main/access/policy.js';
import { updateClient } from '../main/server/clients.js';
import { enrolClient, startServer, type RunningServer } from '../main/server/serve.js';
import { silentLogger } from '../main/admin/log.js';
import { REPO_ROOT } from './support/reference.js';
import { call, connect, enrolHere, findBytes, type Creds } from './support/kmip-tls.js';

const BIN = join(REPO_ROOT, 'bin', 'keyhold.mjs');
const cli = (...args: string[]) => promisify(execFile)(process.execPath, [BIN, ...args], { timeout: 60_000 });
const V21 = { major: 2, minor: 1 };
const req = (operation: number, payload: TtlvItem[]) => encodeTtlv(buildRequestMessage({ header: { protocolVersion: V21 }, batchItems: [{ operation, requestPayload: struct(Tag.RequestPayload, payload) }] }));

describe('audit log', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-audit-'));
  const dir = join(root, 'data');
  let server: RunningServer | undefined;
  const creds: Record<string, Creds> = {};
  let keyId = '';
  let keyBytes: Uint8Array = new Uint8Array();

  async function enrol(name: string, all: boolean): Promise<void> {
    creds[name] = await enrolHere(dir, join(root, name), name, { grants: all ? ALL_GRANTS : DEFAULT_GRANTS });
  }
  async function ask(name: string, bytes: Uint8Array): Promise<ResponseBatchItem> {
    const s = await connect(server!.address.port, creds[name]!);
    try {
      return parseResponseMessage(decodeTtlv(await call(s, bytes))).batchItems[0]!;
    } finally {
      s.destroy();
    }
  }

  before(async () => {
    server = await startServer({ dataDir: dir, host: '127.0.0.1', port: 0, log: silentLogger });
    await enrol('admin', true);
    await enrol('bob', false);
    await new Promise((r) => setTimeout(r, 600)); // clients.json reload
    const created = await ask('admin', req(Enum.Operation.Create, [
      item(Tag.ObjectType, 'Enumeration', Enum.ObjectType.SymmetricKey),
      struct(Tag.Attributes, [item(Tag.CryptographicAlgorithm, 'Enumeration', Enum.CryptographicAlgorithm.AES), item(Tag.CryptographicLength, 'Integer', 256)]),
    ]));
    keyId = (created.responsePayload as { value: TtlvItem[] }).value.find((c) => c.tag === Tag.UniqueIdentifier)!.value as string;
    // Past a flush (every 100 ms): the records below go into a second batch, which the tampering test needs.
    await new Promise((r) => setTimeout(r, 250));
    const got = await ask('admin', req(Enum.Operation.Get, [item(Tag.UniqueIdentifier, 'TextString', keyId)]));
    keyBytes = findBytes(got.responsePayload as TtlvItem, Tag.KeyMaterial)!;
    assert.equal(keyBytes.length, 32);
    await ask('bob', req(Enum.Operation.Get, [item(Tag.UniqueIdentifier, 'TextString', keyId)]));
    // A certificate the server does not know: refused at the TLS layer.
    const stranger = join(root, 'stranger');
    await enrolClient(join(root, 'other-ca'), 'stranger', stranger);
    await connect(server.address.port, { cert: readFileSync(join(stranger, 'stranger.crt'), 'utf8'), key: readFileSync(join(stranger, 'stranger.key'), 'utf8'), ca: creds.admin!.ca })
      .then((s) => new Promise((r) => s.once('close', r).once('error', r)))
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300)); // the log flushes every 100 ms
  });
  after(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('records requests with client, operation, objects and result, allowed and denied', () => {
    const rows = queryAudit(dir);
    const create = rows.find((r) => r.kind === 'request' && r.operation === 'Create');
    assert.deepEqual({ ...create, seq: 0, at: '' }, { seq: 0, at: '', kind: 'request', client: 'admin', address: '127.0.0.1', operation: 'Create', objects: [keyId], result: 'Success', reason: null, message: null });
    const denied = rows.find((r) => r.client === 'bob' && r.operation === 'Get');
    assert.equal(denied?.result, 'OperationFailed');
    assert.equal(denied?.reason, 'PermissionDenied');
    assert.deepEqual(denied?.objects, [keyId]);
    assert.match(denied?.message ?? '', /client "bob" has no get permission/);
    assert.ok(rows.some((r) => r.kind === 'connection' && r.client === 'bob' && r.result === 'accepted'));
    assert.ok(rows.some((r) => r.kind === 'connection' && r.client === null && r.result === 'refused' && /not registered|not trusted/.test(r.reason ?? '')), JSON.stringify(rows.filter((r) => r.kind === 'connection')));
    for (const r of rows) assert.ok(!Number.isNaN(Date.parse(r.at)), r.at);
  });

  it('records administrative changes made through clients.json (client add, client set)', async () => {
    const added = queryAudit(dir).filter((r) => r.kind === 'admin' && r.operation === 'client added').map((r) => r.client);
    assert.deepEqual(added, ['admin', 'bob']);
    await updateClient(dir, 'bob', { grants: parseGrants('query'), ips: ['127.0.0.1'] });
    const until = Date.now() + 2000;
    let changed;
    while ((changed = queryAudit(dir).find((r) => r.operation === 'client changed')) === undefined && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.equal(changed?.client, 'bob');
    assert.equal(changed?.result, 'applied');
    assert.equal(changed?.message, 'permissions query:all,get:own,use:own → query:all; addresses any → 127.0.0.1');
  });

  it('query filters by client, operation, result and time', () => {
    assert.ok(queryAudit(dir, { client: 'bob' }).every((r) => r.client === 'bob'));
    assert.deepEqual(queryAudit(dir, { operation: 'Get', outcome: 'failure' }).map((r) => r.client), ['bob']);
    assert.equal(queryAudit(dir, { since: '2999-01-01' }).length, 0);
    assert.equal(queryAudit(dir, { limit: 2 }).length, 2);
  });

  it('the CLI reads it beside the running server: tail, query, export, verify', async () => {
    const tail = (await cli('log', 'tail', '--data-dir', dir, '--count', '50')).stdout;
    assert.match(tail, / bob 127\.0\.0\.1 Get OperationFailed PermissionDenied \[/);
    const csv = (await cli('log', 'export', '--format', 'csv', '--data-dir', dir, '--client', 'admin')).stdout;
    assert.match(csv, /^seq,at,kind,client,address,operation,objects,result,reason,message\n/);
    assert.match(csv, new RegExp(`,request,admin,127\\.0\\.0\\.1,Create,${keyId},Success,,\\n`));
    const jsonl = (await cli('log', 'export', '--format', 'jsonl', '--data-dir', dir, '--operation', 'Get')).stdout.trim().split('\n').map((l) => JSON.parse(l) as { client: string });
    assert.deepEqual(jsonl.map((r) => r.client).sort(), ['admin', 'bob']);
    assert.match((await cli('log', 'verify', '--data-dir', dir)).stdout, /^audit log intact: \d+ records\n$/);
  });

  it('no key bytes in the log file or its exports', async () => {
    await server!.stop();
    server = undefined;
    const hex = Buffer.from(keyBytes).toString('hex');
    const b64 = Buffer.from(keyBytes).toString('base64');
    for (const f of [AUDIT_FILE, `${AUDIT_FILE}-wal`]) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(dir, f));
      } catch {
        continue;
      }
      assert.equal(bytes.indexOf(Buffer.from(keyBytes)), -1, f);
      assert.equal(bytes.indexOf(hex), -1, f);
    }
    for (const format of ['csv', 'jsonl']) {
      const out = (await cli('log', 'export', '--format', format, '--data-dir', dir)).stdout;
      assert.ok(!out.includes(hex) && !out.includes(b64), format);
    }
  });

  it('an edited record and a deleted one are caught, by number', async () => {
    assert.equal(verifyAudit(dir).ok, true);
    for (const [name, tamper, expect] of [
      ['edited', `DROP TRIGGER audit_no_update; UPDATE audit_batches SET lines = replace(lines, '"client":"bob"', '"client":"nobody"')`, /records? \d+( to \d+)?: altered/],
      ['deleted', 'DROP TRIGGER audit_no_delete; DELETE FROM audit_batches WHERE batch = 1', /records? 1( to \d+)? (is|are) missing/],
    ] as const) {
      // Each tampering on its own copy of the (closed) log.
      const d = join(root, name);
      mkdirSync(d, { recursive: true });
      copyFileSync(join(dir, AUDIT_FILE), join(d, AUDIT_FILE));
      const db = new Database(join(d, AUDIT_FILE));
      // Triggers keep Keyhold itself from changing a record.
      assert.throws(() => db.exec("UPDATE audit_batches SET lines = '' WHERE batch = 1"), /append-only/);
      assert.throws(() => db.exec('DELETE FROM audit_batches'), /append-only/);
      db.exec(tamper);
      db.close();
      await assert.rejects(cli('log', 'verify', '--data-dir', d), (e: { code: number; stderr: string }) => {
        assert.equal(e.code, 1);
        assert.match(e.stderr, expect);
        assert.match(e.stderr, /^keyhold: the audit log is not intact: /);
        return true;
      });
    }
  });
});
