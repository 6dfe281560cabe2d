// Live audit records through the engine's event channel: the server running in
// a real engine worker (EngineHost) sends an `audit` event for a KMIP request
// made over mutual TLS; the event is validated on the main side with bounded
// strings and record counts, and the worker cuts what would not fit.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildRequestMessage, parseResponseMessage } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, item, struct } from '../shared/kmip/ttlv/index.js';
import { AUDIT_EVENT_LIMITS, AUDIT_EVENT_MAX_RECORDS, clipAuditRecord, parseWorkerMessage, type AuditEventRecord } from '../shared/engine/protocol.js';
import { EngineHost } from '../main/engine/host.js';
import { ALL_GRANTS } from '../main/access/policy.js';
import { queryAudit } from '../main/audit/audit-log.js';
import { call, connect, enrolHere } from './support/kmip-tls.js';

const root = mkdtempSync(join(tmpdir(), 'keyhold-audit-live-'));
after(() => rmSync(root, { recursive: true, force: true }));

const record = (over: Partial<AuditEventRecord> = {}): AuditEventRecord => ({
  at: '2026-11-28T17:00:00.000Z',
  kind: 'request',
  client: 'app',
  address: '127.0.0.1',
  operation: 'Get',
  objects: ['5b0b3d1c-0a8e-4c4c-9a47-8c2e3f0d9a11'],
  result: 'Success',
  reason: null,
  message: null,
  ...over,
});
const event = (records: unknown[], dropped = 0) => parseWorkerMessage({ kind: 'event', name: 'audit', payload: { records, dropped } });

describe('the audit event', () => {
  it('is validated like the other events: bounded strings, objects and records', () => {
    const ok = event([record(), record({ kind: 'admin', client: null, address: null, operation: 'audit pruned', objects: [], result: 'applied', message: 'records 1 to 10 removed' })], 3);
    assert.equal(ok.ok, true, ok.ok ? '' : ok.message);
    for (const [name, bad, expect] of [
      ['too many records', Array.from({ length: AUDIT_EVENT_MAX_RECORDS + 1 }, () => record()), /records: more than 500 items/],
      ['a long message', [record({ message: 'x'.repeat(AUDIT_EVENT_LIMITS.message + 1) })], /records\[0\]\.message: longer than 1000/],
      ['a long client name', [record({ client: 'c'.repeat(AUDIT_EVENT_LIMITS.client + 1) })], /records\[0\]\.client: longer than/],
      ['too many objects', [record({ objects: Array.from({ length: AUDIT_EVENT_LIMITS.objects + 1 }, (_, i) => `id-${i}`) })], /records\[0\]\.objects: more than 16/],
      ['an unknown kind', [record({ kind: 'secret' as never })], /records\[0\]\.kind: expected one of/],
      ['an extra field', [{ ...record(), keyMaterial: 'aa' }], /unknown field "keyMaterial"/],
    ] as const) {
      const r = event([...bad]);
      assert.equal(r.ok, false, name);
      assert.match(r.ok ? '' : r.message, expect, name);
    }
    assert.equal(event([record()], -1).ok, false);
  });

  it('clipAuditRecord cuts what would not fit, and leaves a record that fits as it is', () => {
    const fits = record();
    assert.equal(clipAuditRecord(fits), fits);
    const long = record({ message: 'm'.repeat(5000), objects: Array.from({ length: 20 }, () => 'o'.repeat(400)) });
    const cut = clipAuditRecord(long);
    assert.equal(cut.message!.length, AUDIT_EVENT_LIMITS.message);
    assert.ok(cut.message!.endsWith('…'));
    assert.equal(cut.objects.length, AUDIT_EVENT_LIMITS.objects);
    assert.ok(cut.objects.every((o) => o.length === AUDIT_EVENT_LIMITS.object));
    assert.equal(event([cut]).ok, true);
  });

  it('arrives on the main thread for a KMIP request to the server in the engine worker', { timeout: 120_000 }, async () => {
    const dir = join(root, 'data');
    const host = new EngineHost({ stopGraceMs: 10_000 });
    const seen: AuditEventRecord[] = [];
    const events: number[] = [];
    const off = host.on('audit', ({ records, dropped }) => {
      events.push(records.length);
      assert.equal(dropped, 0);
      seen.push(...records);
    });
    await host.start();
    try {
      // null only when the master key is protected by a passphrase (not here).
      const { port } = (await host.request('startServer', { dataDir: dir, host: '127.0.0.1', port: 0, minVersion: 'TLSv1.2' }, { timeoutMs: 120_000 }))!;
      const creds = await enrolHere(dir, join(root, 'app'), 'app', { grants: ALL_GRANTS });
      // The server picks up clients.json within a second; its 'client added' record comes as an event too.
      const until = async (what: () => boolean, ms: number) => {
        const end = Date.now() + ms;
        while (!what()) {
          if (Date.now() > end) throw new Error(`not seen in time; records: ${JSON.stringify(seen)}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await until(() => seen.some((r) => r.kind === 'admin' && r.client === 'app'), 10_000);
      const s = await connect(port, creds);
      try {
        const req = encodeTtlv(buildRequestMessage({ header: { protocolVersion: { major: 2, minor: 1 } }, batchItems: [{ operation: Enum.Operation.Create, requestPayload: struct(Tag.RequestPayload, [
          item(Tag.ObjectType, 'Enumeration', Enum.ObjectType.SymmetricKey),
          struct(Tag.Attributes, [item(Tag.CryptographicAlgorithm, 'Enumeration', Enum.CryptographicAlgorithm.AES), item(Tag.CryptographicLength, 'Integer', 256)]),
        ]) }] }));
        const res = parseResponseMessage(decodeTtlv(await call(s, req))).batchItems[0]!;
        assert.equal(res.resultStatus, Enum.ResultStatus.Success);
      } finally {
        s.destroy();
      }
      await until(() => seen.some((r) => r.kind === 'request' && r.operation === 'Create'), 5_000);
      const create = seen.find((r) => r.kind === 'request' && r.operation === 'Create')!;
      assert.equal(create.client, 'app');
      assert.equal(create.address, '127.0.0.1');
      assert.equal(create.result, 'Success');
      assert.equal(create.objects.length, 1);
      assert.ok(seen.some((r) => r.kind === 'connection' && r.client === 'app' && r.result === 'accepted'));
      // The same records as the log stores them (the log has its seq numbers besides).
      await host.request('stopServer', { graceMs: 1_000 }, { timeoutMs: 20_000 });
      const stored = queryAudit(dir).find((r) => r.kind === 'request' && r.operation === 'Create');
      assert.deepEqual({ ...stored, seq: undefined }, { ...create, seq: undefined });
      assert.ok(events.every((n) => n >= 1 && n <= AUDIT_EVENT_MAX_RECORDS));
    } finally {
      off();
      await host.stop();
    }
  });
});
