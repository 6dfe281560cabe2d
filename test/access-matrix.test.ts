// The access-control matrix (issue 4, point 8): client × operation × object
// owner × source address, against one live server over mutual TLS (startServer,
// as the engine worker runs it, with the real SQLite store, clients.json
// registry and audit log), and a subset through PyKMIP's own client.
//
// What is expected comes from the table MAY below, written from the README's
// rules ("Who may do what") for the permissions each client is enrolled with,
// and never from main/access (a test that asked policy.ts what to expect could
// not fail). For every case:
//   allowed            → Success (sequences are chosen so that allowed cases
//                        can succeed: each client@address gets fresh objects,
//                        and runs Activate before Revoke before Destroy);
//   scope all, missing → Object Not Found (nothing is hidden from it);
//   denied             → Permission Denied, with the same Result Message for
//                        an out-of-reach object as for a missing one, and an
//                        audit record (client, address, operation,
//                        OperationFailed, PermissionDenied);
//   address not allowed, or client disabled → the connection is refused (no
//                        response) and a 'connection' record says 'refused'.
//
// The source address: Linux routes all of 127.0.0.0/8 to loopback, so a
// client binds 127.0.0.1 or 127.0.0.2 (localAddress) to come from two
// addresses. `pinned-address` is tied to 127.0.0.2/32.
//
// `default` is enrolled with the server's least-privilege defaults. To give
// it objects of its own (so that get:own is exercised), it is granted
// create:own for the fixture phase only and then given back exactly the
// permissions it was enrolled with.
//
// Cases are numbered M001… (TLS, KMIP 2.1) and P01… (PyKMIP, KMIP 1.2) in the
// order they run. A missing /usr/bin/python3 or PyKMIP fails the P cases
// (as in pykmip-interop.test.ts): .ci/run installs python3-pykmip.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type tls from 'node:tls';
import { buildRequestMessage, parseResponseMessage, type ResponseBatchItem } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, item, struct, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { formatGrants, parseGrants } from '../main/access/policy.js';
import { queryAudit, type AuditRow } from '../main/audit/audit-log.js';
import { readClients, updateClient } from '../main/server/clients.js';
import { startServer, type RunningServer } from '../main/server/serve.js';
import { silentLogger } from '../main/admin/log.js';
import { REPO_ROOT } from './support/reference.js';
import { en, field, fields, int, uid } from './support/kmip-ops.js';
import { call, connect, enrolHere, type Creds } from './support/kmip-tls.js';
import { PYTHON, pykmipProblem } from './support/pykmip.js';

const OP = Enum.Operation;
const V21 = { major: 2, minor: 1 };
const MISSING = '00000000-0000-4000-8000-00000000d00d';
const PY_DRIVER = join(REPO_ROOT, 'test', 'interop', 'pykmip_matrix.py');

// ---------------------------------------------------------------------------
// The clients, as the server is told about them.

const CLIENTS = ['owner-a', 'owner-b', 'peer', 'reader-all', 'default', 'symmetric-only', 'pinned-address', 'disabled'] as const;
type Client = (typeof CLIENTS)[number];
const SOURCES = ['127.0.0.1', '127.0.0.2'] as const;
type Source = (typeof SOURCES)[number];

const OWNER_PERMISSIONS = 'create,get,use,modify,activate,revoke,destroy'; // scope own by default
const ENROL: Record<Client, { permissions?: string; groups?: string[]; ips?: string[]; disabled?: true }> = {
  'owner-a': { permissions: OWNER_PERMISSIONS, groups: ['team-a'] },
  'owner-b': { permissions: OWNER_PERMISSIONS },
  peer: { permissions: 'get:shared', groups: ['team-a'] },
  'reader-all': { permissions: 'get:all' },
  default: {}, // no permissions given: the server's least-privilege defaults
  'symmetric-only': { permissions: 'create:own:SymmetricKey,get:own:SymmetricKey', groups: ['team-a'] },
  'pinned-address': { permissions: 'all', ips: ['127.0.0.2/32'] },
  disabled: { permissions: 'all', disabled: true },
};

// ---------------------------------------------------------------------------
// The expectation, from the README's rules: what each client may reach per
// permission group, and where it may connect from. Independent of main/access.

type Reach = '-' | 'own' | 'shared' | 'all';
const COLUMNS = ['create', 'get', 'modify', 'activate', 'revoke', 'destroy', 'query'] as const;
type Column = (typeof COLUMNS)[number];

const TABLE: Record<Client, [...Reach[], readonly Source[]]> = {
  //                 create  get       modify activate revoke destroy query  may connect from
  'owner-a':        ['own',  'own',    'own', 'own',   'own', 'own',  '-',   SOURCES],
  'owner-b':        ['own',  'own',    'own', 'own',   'own', 'own',  '-',   SOURCES],
  peer:             ['-',    'shared', '-',   '-',     '-',   '-',    '-',   SOURCES],
  'reader-all':     ['-',    'all',    '-',   '-',     '-',   '-',    '-',   SOURCES],
  default:          ['-',    'own',    '-',   '-',     '-',   '-',    'all', SOURCES],
  'symmetric-only': ['own',  'own',    '-',   '-',     '-',   '-',    '-',   SOURCES],
  'pinned-address': ['all',  'all',    'all', 'all',   'all', 'all',  'all', ['127.0.0.2']],
  disabled:         ['-',    '-',      '-',   '-',     '-',   '-',    '-',   []],
};
/** Clients whose grants hold for Symmetric Keys only. */
const SYMMETRIC_ONLY: readonly Client[] = ['symmetric-only'];
/** Clients sharing the group team-a: `shared` reaches the objects of all of them. */
const TEAM_A: readonly Client[] = ['owner-a', 'peer', 'symmetric-only'];

function reachOf(client: Client, column: Column): Reach {
  return TABLE[client][COLUMNS.indexOf(column)] as Reach;
}
const mayConnect = (client: Client, source: Source) => (TABLE[client][COLUMNS.length] as readonly Source[]).includes(source);

type ObjectTypeName = 'SymmetricKey' | 'SecretData';
/** An object a case names: its owner and type, or missing. */
type Target = { owner: Client; type: ObjectTypeName } | 'missing';
type Outcome = 'success' | 'denied' | 'not-found';

/** Does this reach take in an object of `owner`? */
function reaches(reach: Reach, client: Client, owner: Client): boolean {
  if (reach === 'all') return true;
  if (reach === 'own') return owner === client;
  if (reach === 'shared') return owner === client || (TEAM_A.includes(client) && TEAM_A.includes(owner));
  return false;
}

/** What a client should get for an operation of `column` (null: needs no permission), on `target` or creating `creates`. */
function expected(client: Client, column: Column | null, target?: Target, creates?: ObjectTypeName): Outcome {
  if (column === null) return 'success';
  const reach = reachOf(client, column);
  if (reach === '-') return 'denied';
  const typed = SYMMETRIC_ONLY.includes(client);
  if (creates !== undefined) return typed && creates !== 'SymmetricKey' ? 'denied' : 'success';
  if (target === undefined) return 'success';
  if (target === 'missing') return reach === 'all' && !typed ? 'not-found' : 'denied';
  if (typed && target.type !== 'SymmetricKey') return 'denied';
  return reaches(reach, client, target.owner) ? 'success' : 'denied';
}

// ---------------------------------------------------------------------------
// Requests.

function request(operation: number, payload: TtlvItem[]): Uint8Array {
  return encodeTtlv(buildRequestMessage({ header: { protocolVersion: V21 }, batchItems: [{ operation, requestPayload: struct(Tag.RequestPayload, payload) }] }));
}
const text = (tag: number, v: string) => item(tag, 'TextString', v);
const nameAttr = (v: string) => struct(Tag.Name, [text(Tag.NameValue, v), en(Tag.NameType, Enum.NameType.UninterpretedTextString)]);
const aes = (extra: TtlvItem[] = []) => [
  en(Tag.ObjectType, Enum.ObjectType.SymmetricKey),
  struct(Tag.Attributes, [en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 256), ...extra]),
];
const keyBlock = (format: number, bytes: number, extra: TtlvItem[] = []) =>
  struct(Tag.KeyBlock, [en(Tag.KeyFormatType, format), struct(Tag.KeyValue, [item(Tag.KeyMaterial, 'ByteString', new Uint8Array(bytes).fill(7))]), ...extra]);
const registerSymmetric = () => [
  en(Tag.ObjectType, Enum.ObjectType.SymmetricKey),
  struct(Tag.Attributes, []),
  struct(Tag.SymmetricKey, [keyBlock(Enum.KeyFormatType.Raw, 32, [en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 256)])]),
];
const registerSecret = () => [
  en(Tag.ObjectType, Enum.ObjectType.SecretData),
  struct(Tag.Attributes, []),
  struct(Tag.SecretData, [en(Tag.SecretDataType, Enum.SecretDataType.Password), keyBlock(Enum.KeyFormatType.Opaque, 8)]),
];

/** One operation of the matrix: its permission column and how to build its payload. */
interface MatrixOp {
  label: string;
  /** The audit log's name for it. */
  operation: string;
  code: number;
  column: Column | null;
  kind: 'server' | 'create' | 'locate' | 'object';
  creates?: ObjectTypeName;
  payload(id: string, ctx: string): TtlvItem[];
}
const serverOp = (operation: keyof typeof OP, column: Column | null): MatrixOp => ({ label: operation, operation, code: OP[operation], column, kind: 'server', payload: () => [] });
const objectOp = (operation: keyof typeof OP, column: Column, extra: (id: string, ctx: string) => TtlvItem[] = () => []): MatrixOp => ({
  label: operation,
  operation,
  code: OP[operation],
  column,
  kind: 'object',
  payload: (id, ctx) => [uid(id), ...extra(id, ctx)],
});
/** A Name unique to the object and its context (Names are unique per server). */
const caseName = (id: string, ctx: string, suffix: string) => `mx-${ctx}-${id}-${suffix}`;

// In this order on each object: reads, attribute changes (add, then modify and
// delete what was added), then the lifecycle (Destroy last: the object is gone after it).
const MATRIX_OPS: MatrixOp[] = [
  serverOp('DiscoverVersions', null),
  serverOp('Query', 'query'),
  { label: 'Create SymmetricKey', operation: 'Create', code: OP.Create, column: 'create', kind: 'create', creates: 'SymmetricKey', payload: () => aes() },
  { label: 'Register SymmetricKey', operation: 'Register', code: OP.Register, column: 'create', kind: 'create', creates: 'SymmetricKey', payload: () => registerSymmetric() },
  { label: 'Register SecretData', operation: 'Register', code: OP.Register, column: 'create', kind: 'create', creates: 'SecretData', payload: () => registerSecret() },
  { label: 'Locate', operation: 'Locate', code: OP.Locate, column: 'get', kind: 'locate', payload: (_id, ctx) => [struct(Tag.Attributes, [text(Tag.ObjectGroup, ctx)])] },
  objectOp('Get', 'get'),
  objectOp('GetAttributes', 'get'),
  objectOp('GetAttributeList', 'get'),
  objectOp('Check', 'get'),
  objectOp('AddAttribute', 'modify', (id, ctx) => [struct(Tag.NewAttribute, [nameAttr(caseName(id, ctx, 'a'))])]),
  objectOp('ModifyAttribute', 'modify', (id, ctx) => [struct(Tag.CurrentAttribute, [nameAttr(caseName(id, ctx, 'a'))]), struct(Tag.NewAttribute, [nameAttr(caseName(id, ctx, 'b'))])]),
  objectOp('DeleteAttribute', 'modify', (id, ctx) => [struct(Tag.CurrentAttribute, [nameAttr(caseName(id, ctx, 'b'))])]),
  objectOp('Activate', 'activate'),
  objectOp('Revoke', 'revoke', () => [struct(Tag.RevocationReason, [en(Tag.RevocationReasonCode, Enum.RevocationReasonCode.CessationOfOperation)])]),
  objectOp('Destroy', 'destroy'),
];

/** The owners of the objects every client@address gets a fresh one of (all Symmetric Keys). */
const FIXTURE_OWNERS: readonly Client[] = ['owner-a', 'owner-b', 'symmetric-only', 'default'];

function relation(client: Client, owner: Client): string {
  if (owner === client) return 'own';
  if (TEAM_A.includes(client) && TEAM_A.includes(owner)) return "group peer's";
  return "another's";
}

// ---------------------------------------------------------------------------
// The cases, generated from the tables.

interface ConnCase { no: string; kind: 'connect'; client: Client; source: Source; ctx: string; allowed: boolean }
interface OpCase { no: string; kind: 'op'; client: Client; source: Source; ctx: string; op: MatrixOp; target?: Target; expect: Outcome }
type Case = ConnCase | OpCase;

const cases: Case[] = [];
{
  let n = 0;
  const no = () => `M${String(++n).padStart(3, '0')}`;
  let c = 0;
  for (const client of CLIENTS) {
    for (const source of SOURCES) {
      const ctx = `c${++c}`;
      const allowed = mayConnect(client, source);
      cases.push({ no: no(), kind: 'connect', client, source, ctx, allowed });
      if (!allowed) continue;
      for (const op of MATRIX_OPS) {
        if (op.kind !== 'object') {
          cases.push({ no: no(), kind: 'op', client, source, ctx, op, expect: expected(client, op.column, undefined, op.creates) });
          continue;
        }
        const targets: Target[] = ['missing', ...FIXTURE_OWNERS.map((owner) => ({ owner, type: 'SymmetricKey' as const }))];
        for (const target of targets) cases.push({ no: no(), kind: 'op', client, source, ctx, op, target, expect: expected(client, op.column, target) });
      }
    }
  }
}

function title(k: Case): string {
  const who = `${k.client}@${k.source}`;
  if (k.kind === 'connect') return `${k.no} ${who} connects → ${k.allowed ? 'served' : 'refused'}`;
  const on = k.target === undefined ? '' : k.target === 'missing' ? ' a missing id' : ` ${relation(k.client, k.target.owner)} (${k.target.owner}'s ${k.target.type})`;
  return `${k.no} ${who} ${k.op.label}${on} → ${k.expect}`;
}

// ---------------------------------------------------------------------------

/**
 * Connection options that bind the source address. tls.connect hands its
 * options to net.connect, which honours localAddress, but @types/node leaves
 * it out of tls.ConnectionOptions; the "connects → served" cases check the
 * address actually bound.
 */
const from = (source: Source) => ({ localAddress: source }) as tls.ConnectionOptions;

interface ExpectedRecord { no: string; kind: 'request' | 'connection'; client: Client; address: Source; operation?: string; object?: string; message?: string }

/** Takes, for each expected record, a distinct matching audit record; returns the cases left without one. */
function unmatched(expectedRecords: readonly ExpectedRecord[], rows: readonly AuditRow[]): string[] {
  const used = new Set<number>();
  const missing: string[] = [];
  for (const e of expectedRecords) {
    const hit = rows.find((r) => {
      if (used.has(r.seq) || r.kind !== e.kind || r.client !== e.client || r.address !== e.address) return false;
      if (e.kind === 'connection') return r.result === 'refused';
      return (
        r.operation === e.operation &&
        r.result === 'OperationFailed' &&
        r.reason === 'PermissionDenied' &&
        r.message === e.message &&
        (e.object === undefined || r.objects.includes(e.object))
      );
    });
    if (hit === undefined) missing.push(`${e.no} (${e.kind} ${e.client}@${e.address} ${e.operation ?? ''} ${e.object ?? ''} ${e.message ?? ''})`);
    else used.add(hit.seq);
  }
  return missing;
}

async function waitForAudit(dir: string, ok: (rows: AuditRow[]) => boolean, what: string): Promise<void> {
  const until = Date.now() + 5000;
  for (;;) {
    if (ok(queryAudit(dir))) return;
    if (Date.now() > until) assert.fail(`no audit record for ${what} within 5 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('access-control matrix over TLS', { timeout: 180_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-matrix-'));
  const dir = join(root, 'data');
  let server: RunningServer;
  const creds = {} as Record<Client, Creds>;
  const conns = new Map<string, tls.TLSSocket>();
  /** Per context (client@address): the fresh object of each fixture owner. */
  const fixtures = new Map<string, Map<Client, string>>();
  /** Denied messages with the identifier replaced, per context and operation label, of the missing-id case. */
  const missingMessage = new Map<string, string>();
  const auditWanted: ExpectedRecord[] = [];
  const started = Date.now();

  async function open(client: Client, source: Source): Promise<tls.TLSSocket> {
    const key = `${client}@${source}`;
    let s = conns.get(key);
    if (s === undefined || s.destroyed) {
      s = await connect(server.address.port, creds[client], from(source));
      conns.set(key, s);
    }
    return s;
  }
  async function ask(client: Client, source: Source, bytes: Uint8Array): Promise<ResponseBatchItem> {
    const r = parseResponseMessage(decodeTtlv(await call(await open(client, source), bytes)));
    assert.equal(r.batchItems.length, 1);
    return r.batchItems[0]!;
  }
  const idOf = (r: ResponseBatchItem) => field(r.responsePayload, Tag.UniqueIdentifier)!.value as string;

  before(async () => {
    // Enrolled before the server starts: every client is known from its first connection.
    for (const name of CLIENTS) {
      const e = ENROL[name];
      creds[name] = await enrolHere(dir, join(root, name), name, {
        ...(e.permissions === undefined ? {} : { grants: parseGrants(e.permissions) }),
        ...(e.groups === undefined ? {} : { groups: e.groups }),
        ...(e.ips === undefined ? {} : { ips: e.ips }),
      });
      if (e.disabled) await updateClient(dir, name, { enabled: false });
    }
    server = await startServer({ dataDir: dir, host: '127.0.0.1', port: 0, log: silentLogger });

    // Fixtures: for every client@address that may connect, each fixture owner
    // creates a fresh Symmetric Key in Object Group "cN" (Locate finds them by it).
    const asEnrolled = (await readClients(dir)).find((c) => c.name === 'default')!.grants;
    const changes = () => queryAudit(dir).filter((r) => r.kind === 'admin' && r.operation === 'client changed' && r.client === 'default').length;
    await updateClient(dir, 'default', { grants: parseGrants(`${formatGrants(asEnrolled)},create:own`) });
    await waitForAudit(dir, () => changes() >= 1, 'default gaining create:own');
    for (const k of cases) {
      if (k.kind !== 'connect' || !k.allowed) continue;
      const objs = new Map<Client, string>();
      for (const owner of FIXTURE_OWNERS) {
        const r = await ask(owner, '127.0.0.1', request(OP.Create, aes([text(Tag.ObjectGroup, k.ctx)])));
        assert.equal(r.resultStatus, Enum.ResultStatus.Success, `fixture for ${k.ctx} by ${owner}: ${r.resultMessage}`);
        objs.set(owner, idOf(r));
      }
      fixtures.set(k.ctx, objs);
    }
    await updateClient(dir, 'default', { grants: asEnrolled });
    await waitForAudit(dir, () => changes() >= 2, 'default back to its enrolled permissions');
  });

  after(async () => {
    for (const s of conns.values()) s.destroy();
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('the least-privilege defaults are what the table says default has', async () => {
    assert.equal(formatGrants((await readClients(dir)).find((c) => c.name === 'default')!.grants), 'query:all,get:own,use:own');
  });

  for (const k of cases) {
    it(title(k), async () => {
      if (k.kind === 'connect') {
        if (k.allowed) {
          const s = await open(k.client, k.source);
          assert.equal(s.localAddress, k.source);
          const r = await ask(k.client, k.source, request(OP.DiscoverVersions, []));
          assert.equal(r.resultStatus, Enum.ResultStatus.Success, r.resultMessage);
          return;
        }
        // Refused before any KMIP byte is read: either the handshake fails or the connection closes unanswered.
        let answered = false;
        try {
          const s = await connect(server.address.port, creds[k.client], from(k.source));
          try {
            await call(s, request(OP.DiscoverVersions, []));
            answered = true;
          } finally {
            s.destroy();
          }
        } catch {
          /* refused */
        }
        assert.equal(answered, false, 'the server answered a client it should have refused');
        auditWanted.push({ no: k.no, kind: 'connection', client: k.client, address: k.source });
        return;
      }
      const objs = fixtures.get(k.ctx)!;
      const id = k.target === undefined ? '' : k.target === 'missing' ? MISSING : objs.get(k.target.owner)!;
      const r = await ask(k.client, k.source, request(k.op.code, k.op.payload(id, k.ctx)));
      const got = `${r.resultStatus === Enum.ResultStatus.Success ? 'Success' : `reason ${r.resultReason}`}: ${r.resultMessage ?? ''}`;
      if (k.expect === 'success') {
        assert.equal(r.resultStatus, Enum.ResultStatus.Success, `expected Success, got ${got}`);
        if (k.op.kind === 'locate') {
          const want = FIXTURE_OWNERS.filter((o) => expected(k.client, 'get', { owner: o, type: 'SymmetricKey' }) === 'success').map((o) => objs.get(o)!).sort();
          const found = fields(r.responsePayload, Tag.UniqueIdentifier).map((f) => f.value as string).sort();
          assert.deepEqual(found, want, 'Locate must find exactly the objects within reach');
        }
        return;
      }
      assert.equal(r.resultStatus, Enum.ResultStatus.OperationFailed, `expected a failure, got ${got}`);
      if (k.expect === 'not-found') {
        assert.equal(r.resultReason, Enum.ResultReason.ObjectNotFound, `expected Object Not Found, got ${got}`);
        return;
      }
      assert.equal(r.resultReason, Enum.ResultReason.PermissionDenied, `expected Permission Denied, got ${got}`);
      const message = r.resultMessage ?? '';
      assert.ok(message !== '', 'a denial carries a Result Message');
      if (k.target !== undefined) {
        const normalised = message.split(id).join('ID');
        const key = `${k.ctx} ${k.op.label}`;
        if (k.target === 'missing') missingMessage.set(key, normalised);
        else if (missingMessage.has(key)) assert.equal(normalised, missingMessage.get(key), 'an existing object out of reach must be denied word for word like a missing one');
        // The message must not give the owner away either.
        if (k.target !== 'missing' && k.target.owner !== k.client) assert.ok(!message.includes(`"${k.target.owner}"`), message);
      }
      auditWanted.push({ no: k.no, kind: 'request', client: k.client, address: k.source, operation: k.op.operation, ...(k.target === undefined ? {} : { object: id }), message });
    });
  }

  it('every denied case and every refused connection has its audit record', async () => {
    assert.ok(auditWanted.length > 0);
    await new Promise((r) => setTimeout(r, 300)); // records are flushed every 100 ms
    const missing = unmatched(auditWanted, queryAudit(dir));
    assert.deepEqual(missing, [], `cases without an audit record:\n${missing.join('\n')}`);
  });

  it(`the matrix ran in under 60 s (${cases.length} cases)`, () => {
    const ms = Date.now() - started;
    assert.ok(ms < 60_000, `took ${ms} ms`);
  });

  // -------------------------------------------------------------------------
  // PyKMIP (KMIP 1.2): a subset of the same matrix through a real client.

  describe('through PyKMIP', () => {
    interface PyCase { case: string; client: Client; source: Source; op: 'create' | 'get' | 'destroy'; id?: string | { from: string }; target?: Target }
    interface PyResult { case: string; ok: boolean; id: string | null; reason: string | null; message: string | null; error: string | null }
    const COLUMN_OF = { create: 'create', get: 'get', destroy: 'destroy' } as const;
    const OPERATION_OF = { create: 'Create', get: 'Get', destroy: 'Destroy' } as const;
    const A_KEY = { from: 'P01' };
    const PINNED_KEY = { from: 'P08' };
    const ownerA: Target = { owner: 'owner-a', type: 'SymmetricKey' };
    const pinned: Target = { owner: 'pinned-address', type: 'SymmetricKey' };
    const PLAN: PyCase[] = [
      { case: 'P01', client: 'owner-a', source: '127.0.0.1', op: 'create' },
      { case: 'P02', client: 'owner-a', source: '127.0.0.1', op: 'get', id: A_KEY, target: ownerA },
      { case: 'P03', client: 'peer', source: '127.0.0.1', op: 'get', id: A_KEY, target: ownerA },
      { case: 'P04', client: 'owner-b', source: '127.0.0.1', op: 'get', id: A_KEY, target: ownerA },
      { case: 'P05', client: 'owner-b', source: '127.0.0.1', op: 'get', id: MISSING, target: 'missing' },
      { case: 'P06', client: 'default', source: '127.0.0.1', op: 'create' },
      { case: 'P07', client: 'owner-b', source: '127.0.0.2', op: 'destroy', id: A_KEY, target: ownerA },
      { case: 'P08', client: 'pinned-address', source: '127.0.0.2', op: 'create' },
      { case: 'P09', client: 'pinned-address', source: '127.0.0.2', op: 'get', id: PINNED_KEY, target: pinned },
      { case: 'P10', client: 'pinned-address', source: '127.0.0.1', op: 'get', id: PINNED_KEY, target: pinned },
      { case: 'P11', client: 'disabled', source: '127.0.0.1', op: 'get', id: A_KEY, target: ownerA },
      { case: 'P12', client: 'reader-all', source: '127.0.0.2', op: 'get', id: A_KEY, target: ownerA },
      { case: 'P13', client: 'reader-all', source: '127.0.0.2', op: 'get', id: MISSING, target: 'missing' },
      { case: 'P14', client: 'symmetric-only', source: '127.0.0.1', op: 'get', id: A_KEY, target: ownerA },
      { case: 'P15', client: 'owner-a', source: '127.0.0.2', op: 'destroy', id: A_KEY, target: ownerA },
    ];
    const expectOf = (c: PyCase): Outcome | 'refused' =>
      !mayConnect(c.client, c.source) ? 'refused' : expected(c.client, COLUMN_OF[c.op], c.target, c.op === 'create' ? 'SymmetricKey' : undefined);
    let prereqError: string | undefined;
    const results = new Map<string, PyResult>();
    let driverOutput = '';
    /** The newest audit record before the driver ran: its records come after. */
    let seqBefore = 0;

    before(async () => {
      prereqError = pykmipProblem();
      if (prereqError !== undefined) return;
      seqBefore = queryAudit(dir).at(-1)?.seq ?? 0;
      const planFile = join(root, 'pykmip-plan.json');
      const clients = Object.fromEntries(CLIENTS.map((c) => [c, { cert: join(root, c, `${c}.crt`), key: join(root, c, `${c}.key`) }]));
      writeFileSync(planFile, JSON.stringify({ clients, cases: PLAN.map(({ target: _t, ...c }) => c) }));
      const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
        execFile(PYTHON, [PY_DRIVER, '--port', String(server.address.port), '--ca', join(root, 'owner-a', 'ca.crt'), '--plan', planFile], { timeout: 60_000, killSignal: 'SIGKILL' }, (err, out, errOut) => {
          const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
          resolve({ stdout: String(out), stderr: String(errOut), code: e ? (typeof e.code === 'number' ? e.code : null) : 0 });
        });
      });
      driverOutput = `exit ${code}\nstdout:\n${stdout}\nstderr:\n${stderr.slice(-3000)}`;
      for (const line of stdout.split('\n').filter((l) => l.trim() !== '')) {
        try {
          const r = JSON.parse(line) as PyResult;
          results.set(r.case, r);
        } catch {
          /* reported below through driverOutput */
        }
      }
      if (code !== 0) prereqError = `the PyKMIP driver failed\n${driverOutput}`;
    });

    it('prerequisites: /usr/bin/python3 with PyKMIP, and the driver ran', () => {
      assert.equal(prereqError, undefined, prereqError);
    });

    const pyWanted: ExpectedRecord[] = [];
    for (const c of PLAN) {
      const want = expectOf(c);
      const on = c.target === undefined ? '' : c.target === 'missing' ? ' a missing id' : ` ${relation(c.client, c.target.owner)} (${c.target.owner}'s key)`;
      it(`${c.case} PyKMIP ${c.client}@${c.source} ${c.op}${on} → ${want}`, () => {
        assert.equal(prereqError, undefined, prereqError);
        const r = results.get(c.case);
        assert.ok(r, `case ${c.case} was not reported\n${driverOutput}`);
        const got = JSON.stringify(r);
        if (want === 'refused') {
          assert.equal(r.ok, false, got);
          assert.equal(r.reason, null, `a refused connection answers nothing, not a KMIP failure: ${got}`);
          assert.ok(r.error, got);
          pyWanted.push({ no: c.case, kind: 'connection', client: c.client, address: c.source });
          return;
        }
        assert.equal(r.error, null, got);
        if (want === 'success') return assert.equal(r.ok, true, got);
        assert.equal(r.ok, false, got);
        if (want === 'not-found') return assert.equal(r.reason, 'ITEM_NOT_FOUND', got); // Object Not Found is Item Not Found in KMIP 1.x
        assert.equal(r.reason, 'PERMISSION_DENIED', got);
        const id = c.id === undefined ? undefined : typeof c.id === 'string' ? c.id : results.get(c.id.from)?.id ?? undefined;
        pyWanted.push({ no: c.case, kind: 'request', client: c.client, address: c.source, operation: OPERATION_OF[c.op], ...(id === undefined ? {} : { object: id }), message: r.message ?? '' });
      });
    }

    it("P04/P05 PyKMIP: another client's key and a missing key are denied word for word alike", () => {
      assert.equal(prereqError, undefined, prereqError);
      const other = results.get('P04')!;
      const missing = results.get('P05')!;
      const aKey = results.get('P01')!.id!;
      assert.ok(other.message && missing.message, JSON.stringify([other, missing]));
      assert.equal(other.message.split(aKey).join('ID'), missing.message.split(MISSING).join('ID'));
    });

    it('every PyKMIP denial and refusal has its audit record', async () => {
      assert.equal(prereqError, undefined, prereqError);
      assert.ok(pyWanted.length > 0);
      await new Promise((r) => setTimeout(r, 300));
      const missing = unmatched(pyWanted, queryAudit(dir).filter((r) => r.seq > seqBefore));
      assert.deepEqual(missing, [], `cases without an audit record:\n${missing.join('\n')}`);
    });
  });
});
