// Group commit (main/store/durability.ts): the barrier fsyncs the log only
// when something was committed, concurrent requests share fsyncs, a response
// leaves only after its fsync, a failed fsync is never acknowledged (and stays
// failed), and a SIGKILLed `keyhold serve` loses no acknowledged Create.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { buildRequestMessage, parseResponseMessage } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, item, struct } from '../shared/kmip/ttlv/index.js';
import { createRouter, storeObjectsPort } from '../main/kmip/index.js';
import { createCa, issueClientCert, issueServerCert, type IssuedCert } from '../main/pki/index.js';
import { startKmipTlsServer, type KmipTlsServer } from '../main/server/tls-listener.js';
import { enrolClient } from '../main/server/serve.js';
import { fsyncFile, type FsyncFile } from '../main/store/durability.js';
import { ObjectState, openStore } from '../main/store/index.js';
import { call, connect, firstLine, soleClient, type Creds } from './support/kmip-tls.js';
import { REPO_ROOT } from './support/reference.js';
import { ALL_GRANTS } from '../main/access/policy.js';

const root = mkdtempSync(join(tmpdir(), 'keyhold-durability-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${n++}`);

const CREATE = encodeTtlv(
  buildRequestMessage({
    header: { protocolVersion: { major: 2, minor: 1 } },
    batchItems: [
      {
        operation: Enum.Operation.Create,
        requestPayload: struct(Tag.RequestPayload, [
          item(Tag.ObjectType, 'Enumeration', Enum.ObjectType.SymmetricKey),
          struct(Tag.Attributes, [item(Tag.CryptographicAlgorithm, 'Enumeration', Enum.CryptographicAlgorithm.AES), item(Tag.CryptographicLength, 'Integer', 256)]),
        ]),
      },
    ],
  }),
);

/** The Unique Identifier of a successful Create response. */
function createdId(bytes: Uint8Array): string {
  const bi = parseResponseMessage(decodeTtlv(bytes)).batchItems[0]!;
  assert.equal(bi.resultStatus, Enum.ResultStatus.Success, bi.resultMessage);
  const id = bi.responsePayload!.value.find((c) => c.tag === Tag.UniqueIdentifier);
  assert.ok(id?.type === 'TextString');
  return id.value;
}

/** A real fsync that records the files it was asked to flush, optionally held up by `gate`. */
function recordingFsync(): { fsync: FsyncFile; files: string[]; gate: { hold?: Promise<void> }; failNext: { error?: NodeJS.ErrnoException } } {
  const files: string[] = [];
  const gate: { hold?: Promise<void> } = {};
  const failNext: { error?: NodeJS.ErrnoException } = {};
  return {
    files,
    gate,
    failNext,
    fsync: async (path) => {
      files.push(path);
      if (gate.hold !== undefined) await gate.hold;
      const e = failNext.error;
      if (e !== undefined) {
        failNext.error = undefined;
        throw e;
      }
      await fsyncFile(path);
    },
  };
}

const obj = { objectType: Enum.ObjectType.SymmetricKey, state: ObjectState.Active, material: Buffer.alloc(32, 7) };

describe('the durability barrier', () => {
  test('fsyncs the -wal file only when something was committed since the last sync', async () => {
    const rec = recordingFsync();
    const store = openStore(freshDir(), { durability: 'group', fsync: rec.fsync });
    try {
      assert.equal(store.connection.pragma('synchronous', { simple: true }), 1, 'NORMAL: the barrier, not each commit, fsyncs');
      await store.sync(); // opening wrote the schema and key check
      assert.equal(store.durabilityStats.syncs, 1);
      assert.ok(rec.files.at(-1)!.endsWith('keyhold.db-wal'), rec.files.at(-1));
      await store.sync();
      assert.equal(store.durabilityStats.syncs, 1, 'nothing committed: no fsync');

      const id = store.createObject(obj);
      await store.sync();
      assert.equal(store.durabilityStats.syncs, 2);

      // Reads, and a write transaction that changed no row, cost nothing.
      store.getObject(id);
      store.locate({});
      store.transaction(() => store.getMaterial(id));
      await store.sync();
      assert.equal(store.durabilityStats.syncs, 2);

      // A failed write rolled back: at most a spare fsync, and the next sync is again free.
      assert.throws(() => store.createObject({ ...obj, id }));
      await store.sync();
      await store.sync();
      assert.ok(store.durabilityStats.syncs <= 3);
    } finally {
      store.close();
    }
  });

  test('many waiting syncs share one fsync; a commit made during an fsync gets the next one', async () => {
    const rec = recordingFsync();
    const store = openStore(freshDir(), { durability: 'group', fsync: rec.fsync });
    try {
      await store.sync();
      const base = store.durabilityStats.syncs;
      for (let i = 0; i < 10; i++) store.createObject(obj);
      await Promise.all(Array.from({ length: 10 }, () => store.sync()));
      assert.equal(store.durabilityStats.syncs, base + 1);

      // Hold the next fsync, commit while it runs: that commit must not ride on it.
      let release!: () => void;
      rec.gate.hold = new Promise<void>((r) => (release = r));
      store.createObject(obj);
      let firstDone = false;
      const first = store.sync().then(() => (firstDone = true));
      await new Promise((r) => setImmediate(r));
      store.createObject(obj);
      let secondDone = false;
      const second = store.sync().then(() => (secondDone = true));
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(firstDone, false, 'the held fsync has not finished');
      rec.gate.hold = undefined;
      release();
      await first;
      await second;
      assert.ok(secondDone);
      assert.equal(store.durabilityStats.syncs, base + 3, 'the second commit needed a second fsync');
    } finally {
      store.close();
    }
  });

  test('a failed fsync is reported and stays failed: nothing is acknowledged afterwards', async () => {
    const rec = recordingFsync();
    const store = openStore(freshDir(), { durability: 'group', fsync: rec.fsync });
    try {
      await store.sync();
      store.createObject(obj);
      rec.failNext.error = Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
      await assert.rejects(store.sync(), (e: Error) => {
        assert.match(e.message, /could not be flushed to disk \(EIO\)/);
        assert.doesNotMatch(e.message, /\//, 'no path in the message');
        return true;
      });
      // The next fsync would succeed, but the pages it lost may never reach the disk.
      store.createObject(obj);
      await assert.rejects(store.sync(), /could not be flushed/);
    } finally {
      store.close();
    }
  });

  test('commit mode (the default) is synchronous=FULL and its barrier never fsyncs', async () => {
    const store = openStore(freshDir());
    try {
      assert.equal(store.connection.pragma('synchronous', { simple: true }), 2);
      store.createObject(obj);
      await store.sync();
      assert.equal(store.durabilityStats.syncs, 0);
    } finally {
      store.close();
    }
  });
});

describe('group commit over TLS', () => {
  let ca: Awaited<ReturnType<typeof createCa>>;
  let serverCert: IssuedCert;
  let client: IssuedCert;
  before(async () => {
    ca = await createCa({ commonName: 'Durability Test CA', validityDays: 30 });
    serverCert = await issueServerCert(ca, { hostName: 'localhost', interfaces: {} });
    client = await issueClientCert(ca, { name: 'c1' });
  });

  async function listener(fsync: FsyncFile) {
    const store = openStore(freshDir(), { durability: 'group', fsync });
    const server: KmipTlsServer = await startKmipTlsServer({
      host: '127.0.0.1',
      port: 0,
      certPem: serverCert.certPem,
      keyPem: serverCert.keyPem,
      caCertPem: ca.certPem,
      clients: soleClient(client.fingerprint),
      context: { router: createRouter(), objects: storeObjectsPort(store), clock: () => new Date(), server: { vendorIdentification: 'Keyhold' } },
      durable: store,
    });
    const creds: Creds = { cert: client.certPem, key: client.keyPem, ca: ca.certPem };
    const open = () => connect(server.address.port, creds, { servername: 'localhost' });
    return {
      store,
      open,
      async close() {
        await server.close(100);
        store.close();
      },
    };
  }

  test('concurrent Creates on 4 connections share fsyncs', async (t) => {
    // A slow disk (each fsync 20 ms longer) makes requests overlap an fsync,
    // as they do under load. The commits made while one fsync runs share the
    // next, so 4 closed-loop connections settle into at most two alternating
    // groups: at most ~2 fsyncs per 4 Creates (plus stragglers under CI load),
    // where commit-per-fsync would need 4.
    const rec = recordingFsync();
    const slow: FsyncFile = async (p) => {
      await new Promise((r) => setTimeout(r, 20));
      await rec.fsync(p);
    };
    const s = await listener(slow);
    try {
      await s.store.sync();
      const before = { ...s.store.durabilityStats };
      const perConnection = 25;
      const sockets = await Promise.all(Array.from({ length: 4 }, () => s.open()));
      const ids = (
        await Promise.all(
          sockets.map(async (sock) => {
            const got: string[] = [];
            for (let i = 0; i < perConnection; i++) got.push(createdId(await call(sock, CREATE)));
            sock.destroy();
            return got;
          }),
        )
      ).flat();
      assert.equal(new Set(ids).size, 4 * perConnection);
      const commits = s.store.durabilityStats.commits - before.commits;
      const syncs = s.store.durabilityStats.syncs - before.syncs;
      assert.equal(commits, 4 * perConnection);
      assert.ok(syncs <= commits * 0.75, `${syncs} fsyncs for ${commits} Creates`);
      t.diagnostic(`${syncs} fsyncs for ${commits} Creates`);
      for (const id of ids) assert.ok(s.store.getMaterial(id));
    } finally {
      await s.close();
    }
  });

  test('a response waits for its fsync; a failed fsync closes the connection without one', async () => {
    const rec = recordingFsync();
    const s = await listener(rec.fsync);
    try {
      await s.store.sync();
      let release!: () => void;
      rec.gate.hold = new Promise<void>((r) => (release = r));
      const sock = await s.open();
      let answered = false;
      const response = call(sock, CREATE, 5000).then((r) => ((answered = true), r));
      // The Create has committed (it is in the store) but its fsync is held: no answer yet.
      for (let i = 0; i < 100 && s.store.durabilityStats.syncs === 1; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(s.store.durabilityStats.syncs, 2, 'the Create committed and its fsync started');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(answered, false);
      rec.gate.hold = undefined;
      release();
      createdId(await response);

      rec.failNext.error = Object.assign(new Error('EIO'), { code: 'EIO' });
      await assert.rejects(call(sock, CREATE, 5000), /closed without a response/);
      // And from then on nothing is acknowledged, on any connection.
      const other = await s.open();
      await assert.rejects(call(other, CREATE, 5000), /closed without a response/);
    } finally {
      await s.close();
    }
  });
});

describe('crash safety of keyhold serve', () => {
  test('SIGKILL at a random moment loses no acknowledged Create', { timeout: 180_000 }, async () => {
    const dir = freshDir();
    const enrolled = await enrolClient(dir, 'crash', join(root, 'crash-client'), { grants: ALL_GRANTS });
    const creds: Creds = { cert: readFileSync(enrolled.files.cert, 'utf8'), key: readFileSync(enrolled.files.key, 'utf8'), ca: readFileSync(enrolled.files.ca, 'utf8') };
    const acknowledged: string[] = [];
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'keyhold.mjs'), 'serve', '--data-dir', dir, '--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
      const line = await firstLine(child, 60_000);
      const port = Number(/:(\d+)$/.exec(line)?.[1]);
      assert.ok(port > 0, line);
      const sockets: tls.TLSSocket[] = await Promise.all(Array.from({ length: 4 }, () => connect(port, creds)));
      const before = acknowledged.length;
      let killed = false;
      const load = sockets.map(async (sock) => {
        while (!killed) {
          let r: Uint8Array;
          try {
            r = await call(sock, CREATE, 10_000);
          } catch {
            return; // the kill cut this request: it was never acknowledged
          }
          acknowledged.push(createdId(r));
        }
      });
      await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 700)));
      killed = true;
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL', stderr);
      await Promise.all(load);
      for (const s of sockets) s.destroy();
      assert.ok(acknowledged.length > before, `round ${round}: the server acknowledged Creates before the kill`);

      const store = openStore(dir);
      try {
        assert.equal(store.connection.pragma('integrity_check', { simple: true }), 'ok');
        for (const id of acknowledged) {
          assert.ok(store.getMaterial(id), `acknowledged ${id} survived`);
          assert.equal(store.getObject(id).objectType, Enum.ObjectType.SymmetricKey);
        }
      } finally {
        store.close();
      }
    }
  });
});
