// `keyhold serve` end to end: a real process on a loopback port in a temp
// data dir, mutual TLS with node:tls and openssl, enrolment while running,
// refusals, bad input isolation, the single-server lock, graceful SIGTERM.
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildRequestMessage, parseResponseMessage } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, struct, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { createCa, ensurePki, issueClientCert } from '../main/pki/index.js';
import { REPO_ROOT } from './support/reference.js';
import { type Creds, call, connect, enrolCreds, findBytes, startServe, type ServeProcess } from './support/kmip-tls.js';

const BIN = join(REPO_ROOT, 'bin', 'keyhold.mjs');

const DISCOVER = encodeTtlv(
  buildRequestMessage({
    header: { protocolVersion: { major: 1, minor: 4 } },
    batchItems: [{ operation: Enum.Operation.DiscoverVersions, requestPayload: struct(Tag.RequestPayload, []) }],
  }),
);




function assertDiscoverOk(bytes: Uint8Array): void {
  const r = parseResponseMessage(decodeTtlv(bytes));
  assert.deepEqual(r.header.protocolVersion, { major: 1, minor: 4 });
  assert.equal(r.batchItems.length, 1);
  assert.equal(r.batchItems[0]!.operation, Enum.Operation.DiscoverVersions);
  assert.equal(r.batchItems[0]!.resultStatus, Enum.ResultStatus.Success);
}


describe('keyhold serve', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-serve-'));
  const dir = join(root, 'data');
  const out = join(root, 'client');
  let server: ChildProcess;
  let serve: ServeProcess | undefined;
  let port = 0;
  let alice: Creds;

  before(async () => {
    serve = await startServe(BIN, dir);
    server = serve.child;
    port = serve.port;
    assert.ok(port > 0);
  });

  after(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  test('a client enrolled while the server runs is served within 1 s', async (t) => {
    alice = await enrolCreds(BIN, dir, 'alice', out);
    const enrolled = Date.now();
    // Retry until accepted: the server picks up clients.json asynchronously.
    for (;;) {
      try {
        const s = await connect(port, alice);
        const r = await call(s, DISCOVER);
        s.destroy();
        assertDiscoverOk(r);
        break;
      } catch (e) {
        if (Date.now() - enrolled > 1000) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    assert.ok(Date.now() - enrolled <= 1000, `accepted after ${Date.now() - enrolled} ms`);
    t.diagnostic(`accepted ${Date.now() - enrolled} ms after enrolment`);
    if (process.platform !== 'win32') assert.equal(spawnSync('stat', ['-c', '%a', join(out, 'alice.key')]).stdout.toString().trim(), '600');
  });

  test('several requests on one connection, TLS 1.2 and 1.3', async () => {
    for (const v of ['TLSv1.2', 'TLSv1.3'] as const) {
      const s = await connect(port, alice, { minVersion: v, maxVersion: v });
      assert.equal(s.getProtocol(), v);
      for (let i = 0; i < 3; i++) assertDiscoverOk(await call(s, DISCOVER));
      s.destroy();
    }
  });

  test('keys are created, stored encrypted and served over TLS: Create AES-256, then Get', async () => {
    const s = await connect(port, alice);
    const v21 = { protocolVersion: { major: 2, minor: 1 } };
    const create = encodeTtlv(
      buildRequestMessage({
        header: v21,
        batchItems: [
          {
            operation: Enum.Operation.Create,
            requestPayload: struct(Tag.RequestPayload, [
              { tag: Tag.ObjectType, type: 'Enumeration', value: Enum.ObjectType.SymmetricKey },
              struct(Tag.Attributes, [
                { tag: Tag.CryptographicAlgorithm, type: 'Enumeration', value: Enum.CryptographicAlgorithm.AES },
                { tag: Tag.CryptographicLength, type: 'Integer', value: 256 },
              ]),
            ]),
          },
        ],
      }),
    );
    const created = parseResponseMessage(decodeTtlv(await call(s, create))).batchItems[0]!;
    assert.equal(created.resultStatus, Enum.ResultStatus.Success, created.resultMessage);
    const id = (created.responsePayload!.value.find((i) => i.tag === Tag.UniqueIdentifier)!.value as string);
    const get = encodeTtlv(
      buildRequestMessage({
        header: v21,
        batchItems: [{ operation: Enum.Operation.Get, requestPayload: struct(Tag.RequestPayload, [{ tag: Tag.UniqueIdentifier, type: 'TextString', value: id }]) }],
      }),
    );
    const got = parseResponseMessage(decodeTtlv(await call(s, get))).batchItems[0]!;
    assert.equal(got.resultStatus, Enum.ResultStatus.Success, got.resultMessage);
    const keyBytes = findBytes(got.responsePayload!, Tag.KeyMaterial);
    assert.equal(keyBytes?.length, 32, 'a 256-bit key came back');
    s.destroy();
    // The key is in the database, but never in plain text.
    const db = readFileSync(join(dir, 'keyhold.db'));
    const wal = existsSync(join(dir, 'keyhold.db-wal')) ? readFileSync(join(dir, 'keyhold.db-wal')) : Buffer.alloc(0);
    assert.equal(db.indexOf(Buffer.from(keyBytes!)), -1, 'key material not in the database file');
    assert.equal(wal.indexOf(Buffer.from(keyBytes!)), -1, 'key material not in the WAL');
  });

  test('a client Log message reaches the server log as one line, control characters escaped', async () => {
    const s = await connect(port, alice);
    const log = encodeTtlv(
      buildRequestMessage({
        header: { protocolVersion: { major: 2, minor: 1 } },
        batchItems: [{ operation: Enum.Operation.Log, requestPayload: struct(Tag.RequestPayload, [{ tag: Tag.LogMessage, type: 'TextString', value: 'rotation done\nFAKE line' }]) }],
      }),
    );
    const r = parseResponseMessage(decodeTtlv(await call(s, log))).batchItems[0]!;
    assert.equal(r.resultStatus, Enum.ResultStatus.Success, r.resultMessage);
    s.destroy();
    const deadline = Date.now() + 5_000;
    while (!/rotation done/.test(serve!.stderr) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    const line = serve!.stderr.split('\n').find((l) => l.includes('rotation done'));
    assert.ok(line, serve!.stderr);
    assert.match(line, /kmip: client log message: "rotation done\\x0aFAKE line"/, 'the newline is escaped, not a second log line');
    assert.ok(!serve!.stderr.split('\n').some((l) => l.startsWith('FAKE line')));
  });

  test('unknown client certificates and no certificate are refused', async () => {
    const pki = await ensurePki(dir); // loads the existing CA, writes nothing
    const unregistered = await issueClientCert(pki.ca, { name: 'mallory' });
    const otherCa = await createCa({ commonName: 'Other CA', validityDays: 30 });
    const foreign = await issueClientCert(otherCa, { name: 'eve' });
    const cases: [string, Creds][] = [
      ['not registered', { cert: unregistered.certPem, key: unregistered.keyPem, ca: alice.ca }],
      ['other CA', { cert: foreign.certPem, key: foreign.keyPem, ca: alice.ca }],
      ['no certificate', { ca: alice.ca }],
    ];
    for (const [what, creds] of cases) {
      await assert.rejects(
        (async () => {
          const s = await connect(port, creds);
          try { await call(s, DISCOVER); } finally { s.destroy(); }
        })(),
        `${what}: expected refusal`,
      );
    }
    // The log lines cross from the worker thread to stderr asynchronously: wait for them (bounded).
    for (const reason of [/refused .*is not registered$/m, /refused .*is not registered and not from a trusted CA/, /refused .*no client certificate/]) {
      const deadline = Date.now() + 3000;
      while (!reason.test(serve!.stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.match(serve!.stderr, reason);
    }
  });

  test('TLS 1.1 is refused by the server', async () => {
    await assert.rejects(
      connect(port, alice, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }),
      /protocol version|unsupported protocol|no protocols/i,
    );
  });

  test('openssl s_client handshakes with TLS 1.2 and 1.3', (t) => {
    if (spawnSync('openssl', ['version']).status !== 0) return t.skip('openssl not installed');
    for (const v of ['-tls1_2', '-tls1_3']) {
      const r = spawnSync(
        'openssl',
        ['s_client', '-connect', `127.0.0.1:${port}`, v, '-cert', join(out, 'alice.crt'), '-key', join(out, 'alice.key'), '-CAfile', join(out, 'ca.crt'), '-verify_return_error'],
        { input: '', timeout: 15_000 },
      );
      const text = r.stdout.toString() + r.stderr.toString();
      assert.match(text, /Verify return code: 0 \(ok\)/, `${v}: ${text}`);
      assert.match(text, v === '-tls1_2' ? /TLSv1\.2/ : /TLSv1\.3/);
    }
  });

  test('garbage closes that connection only', async () => {
    const good = await connect(port, alice);
    const bad = await connect(port, alice);
    await assert.rejects(call(bad, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')), /closed/);
    bad.destroy();
    assertDiscoverOk(await call(good, DISCOVER));
    good.destroy();
  });

  test('a second server on the same data dir exits 1 with one line', () => {
    const r = spawnSync(process.execPath, [BIN, 'serve', '--data-dir', dir, '--host', '127.0.0.1', '--port', '0'], { timeout: 60_000 });
    assert.equal(r.status, 1);
    assert.equal(r.stdout.toString(), '');
    const err = r.stderr.toString();
    assert.match(err, /^keyhold: .*another Keyhold server \(pid \d+\) is already using/);
    assert.equal(err.trimEnd().split('\n').length, 1);
  });

  test('SIGTERM: exit 0 and the lock is gone', async () => {
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'late'>((r) => setTimeout(() => r('late'), 10_000))]);
    assert.equal(code, 0, serve!.stderr);
    assert.equal(existsSync(join(dir, 'serve.lock')), false);
  });
});

test('a stale lock (dead pid) is taken over', async () => {
  const { acquireLock } = await import('../main/server/lock.js');
  const d = mkdtempSync(join(tmpdir(), 'keyhold-lock-'));
  try {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(join(d, 'serve.lock'), `${dead}\n`);
    const release = acquireLock(d);
    assert.equal(readFileSync(join(d, 'serve.lock'), 'utf8').trim(), String(process.pid));
    assert.throws(() => acquireLock(d), /already using/);
    release();
    assert.equal(existsSync(join(d, 'serve.lock')), false);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('default data dir matches Electron userData for productName Keyhold', async () => {
  const { defaultDataDir } = await import('../main/server/data-dir.js');
  assert.equal(defaultDataDir('linux', {}, '/home/u'), '/home/u/.config/Keyhold');
  assert.equal(defaultDataDir('linux', { XDG_CONFIG_HOME: '/x/cfg' }, '/home/u'), '/x/cfg/Keyhold');
  assert.equal(defaultDataDir('darwin', {}, '/Users/u'), '/Users/u/Library/Application Support/Keyhold');
  assert.equal(defaultDataDir('win32', { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'C:\\Users\\u'), 'C:\\Users\\u\\AppData\\Roaming\\Keyhold');
});
