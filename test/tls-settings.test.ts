// TLS settings of the KMIP listener (issue 5 points 5 and 6): the cipher
// suites each profile offers, TLS 1.1 refused, session resumption with a
// client certificate, and replacing the server certificate while a
// connection stays open. Checked with openssl s_client and node:tls.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { buildRequestMessage, parseResponseMessage } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, struct } from '../shared/kmip/ttlv/index.js';
import { createRouter } from '../main/kmip/index.js';
import { createCa, issueClientCert, issueServerCert, type IssuedCert } from '../main/pki/index.js';
import { startKmipTlsServer, type KmipTlsServer } from '../main/server/tls-listener.js';
import type { TlsProfile } from '../main/server/tls-profile.js';
import { call, capturingLogger, enrolCreds, firstLine, soleClient, stopChild } from './support/kmip-tls.js';
import { REPO_ROOT } from './support/reference.js';

const DISCOVER = encodeTtlv(
  buildRequestMessage({ header: { protocolVersion: { major: 1, minor: 4 } }, batchItems: [{ operation: Enum.Operation.DiscoverVersions, requestPayload: struct(Tag.RequestPayload, []) }] }),
);
const served = (bytes: Uint8Array) => assert.equal(parseResponseMessage(decodeTtlv(bytes)).batchItems[0]!.resultStatus, Enum.ResultStatus.Success);

describe('TLS settings', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-tls-'));
  const f = (name: string, text: string) => {
    const p = join(root, name);
    writeFileSync(p, text);
    return p;
  };
  let caPem = '';
  let server1: IssuedCert;
  let server2: IssuedCert;
  let client: IssuedCert;
  const servers: KmipTlsServer[] = [];
  const captured = capturingLogger();

  async function start(profile?: TlsProfile, cert = server1, minVersion?: 'TLSv1.3'): Promise<KmipTlsServer> {
    const s = await startKmipTlsServer({
      host: '127.0.0.1',
      port: 0,
      certPem: cert.certPem,
      keyPem: cert.keyPem,
      caCertPem: caPem,
      clients: soleClient(client.fingerprint),
      context: { router: createRouter(), clock: () => new Date(), server: { vendorIdentification: 'Keyhold' } },
      log: captured.log,
      ...(profile === undefined ? {} : { tlsProfile: profile }),
      ...(minVersion === undefined ? {} : { minVersion }),
    });
    servers.push(s);
    return s;
  }

  /** openssl s_client with the client certificate; returns its combined output. Async: the server runs in this process. */
  function sClient(port: number, ...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-cert', join(root, 'c.crt'), '-key', join(root, 'c.key'), '-CAfile', join(root, 'ca.crt'), ...args], { timeout: 15_000 }, (err, stdout, stderr) => {
        if (err !== null && (err as { killed?: boolean }).killed) return reject(new Error(`openssl timed out: ${stdout}${stderr}`));
        resolve(stdout + stderr);
      });
      child.stdin!.end();
    });
  }
  const cipherOf = (text: string) => /Cipher is (\S+)/.exec(text)?.[1] ?? /Cipher\s*:\s*(\S+)/.exec(text)?.[1];

  before(async () => {
    const ca = await createCa({ commonName: 'TLS Settings Test CA', validityDays: 30 });
    caPem = ca.certPem;
    server1 = await issueServerCert(ca, { hostName: 'localhost', interfaces: {} });
    server2 = await issueServerCert(ca, { hostName: 'kms-renewed.example', interfaces: {} });
    client = await issueClientCert(ca, { name: 'c1' });
    f('ca.crt', caPem);
    f('c.crt', client.certPem);
    f('c.key', client.keyPem);
  });
  after(async () => {
    for (const s of servers) await s.close(100);
    rmSync(root, { recursive: true, force: true });
  });

  it('T01 modern (default): forward-secret AEAD suites only; the KMIP 1.x RSA/CBC suites are refused', async () => {
    const s = await start();
    const good = await sClient(s.address.port, '-tls1_2', '-verify_return_error');
    assert.match(good, /Verify return code: 0 \(ok\)/);
    assert.match(cipherOf(good) ?? '', /^ECDHE-RSA-(AES256-GCM-SHA384|CHACHA20-POLY1305|AES128-GCM-SHA256)$/, good);
    for (const old of ['AES256-SHA256', 'AES128-SHA', 'ECDHE-RSA-AES256-SHA384']) {
      const bad = await sClient(s.address.port, '-tls1_2', '-cipher', old);
      assert.doesNotMatch(bad, new RegExp(`Cipher is ${old}`), bad);
      assert.match(bad, /handshake failure|no cipher|alert/i, bad);
    }
    const t13 = await sClient(s.address.port, '-tls1_3', '-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256');
    assert.match(t13, /TLSv1\.3/);
    assert.equal(cipherOf(t13), 'TLS_CHACHA20_POLY1305_SHA256');
  });

  it('T02 compatible: the KMIP profile suite TLS_RSA_WITH_AES_256_CBC_SHA256 is accepted when a client offers only it', async () => {
    const s = await start('compatible');
    const text = await sClient(s.address.port, '-tls1_2', '-cipher', 'AES256-SHA256', '-verify_return_error');
    assert.equal(cipherOf(text), 'AES256-SHA256', text);
    assert.match(text, /Verify return code: 0 \(ok\)/);
    // Clients that offer modern suites still get them first.
    assert.match(cipherOf(await sClient(s.address.port, '-tls1_2')) ?? '', /^ECDHE-/);
  });

  it('T03 TLS 1.1 is refused whatever the profile', async () => {
    const s = await start('compatible');
    const text = await sClient(s.address.port, '-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0');
    assert.match(text, /Cipher is \(NONE\)/, text);
    assert.match(text, /alert protocol version|no protocols available|unsupported protocol/i, text);
  });

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`T04 ${version} sessions resume, and the resumed connection is still the registered client`, async () => {
      const s = await start();
      const opts = { host: '127.0.0.1', port: s.address.port, ca: caPem, cert: client.certPem, key: client.keyPem, servername: 'localhost', minVersion: version, maxVersion: version };
      // TLS 1.2 hands out the session during the handshake, TLS 1.3 sends its tickets after it (while the first request runs).
      let session!: Promise<Buffer>;
      const socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
        const sock = tls.connect(opts);
        session = new Promise<Buffer>((res) => sock.once('session', res));
        sock.once('secureConnect', () => resolve(sock));
        sock.once('error', reject);
      });
      served(await call(socket, DISCOVER));
      const first = { session: await session };
      socket.destroy();
      const again = await new Promise<tls.TLSSocket>((resolve, reject) => {
        const sock = tls.connect({ ...opts, session: first.session });
        sock.once('secureConnect', () => resolve(sock));
        sock.once('error', reject);
      });
      assert.equal(again.isSessionReused(), true, 'the session was not resumed');
      served(await call(again, DISCOVER).catch((e: unknown) => assert.fail(`${(e as Error).message}; server log: ${captured.lines.join(' | ')}`)));
      again.destroy();
    });
  }

  it('T06 keyhold serve --tls-profile compatible reaches the listener; the default serve refuses the same client; both refuse TLS 1.1 (openssl s_client)', async () => {
    const bin = join(REPO_ROOT, 'bin', 'keyhold.mjs');
    for (const profile of ['compatible', undefined] as const) {
      const dir = join(root, `serve-${profile ?? 'default'}`);
      const child = spawn(process.execPath, [bin, 'serve', '--data-dir', dir, '--host', '127.0.0.1', '--port', '0', ...(profile ? ['--tls-profile', profile] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(await firstLine(child, 60_000));
        assert.ok(m);
        const creds = await enrolCreds(join(REPO_ROOT, 'bin', 'keyhold.mjs'), dir, 'old-tape', join(dir, 'out'));
        f('c.crt', creds.cert!);
        f('c.key', creds.key!);
        f('ca.crt', creds.ca);
        const text = await sClient(Number(m[1]), '-tls1_2', '-cipher', 'AES256-SHA256');
        if (profile === 'compatible') assert.equal(cipherOf(text), 'AES256-SHA256', text);
        else assert.match(text, /Cipher is \(NONE\)/, text);
        // And TLS 1.1 is refused by the running server, whatever the profile.
        const old = await sClient(Number(m[1]), '-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0');
        assert.match(old, /Cipher is \(NONE\)/, old);
        assert.match(old, /alert protocol version|no protocols available|unsupported protocol/i, old);
      } finally {
        await stopChild(child);
      }
    }
  });

  it('T07 a TLS 1.3-only server stays TLS 1.3-only after its certificate is replaced', async () => {
    const s = await start(undefined, server1, 'TLSv1.3');
    const before = await sClient(s.address.port, '-tls1_2');
    assert.match(before, /Cipher is \(NONE\)/, before);
    s.replaceCredentials({ certPem: server2.certPem, keyPem: server2.keyPem, caCertPem: caPem });
    const after = await sClient(s.address.port, '-tls1_2');
    assert.match(after, /Cipher is \(NONE\)/, after);
    assert.match(await sClient(s.address.port, '-tls1_3'), /TLSv1\.3/);
  });

  it('T05 a replaced server certificate serves new connections at once; an open connection keeps working', async () => {
    const s = await start();
    const open = tls.connect({ host: '127.0.0.1', port: s.address.port, ca: caPem, cert: client.certPem, key: client.keyPem, servername: 'localhost' });
    await new Promise((r) => open.once('secureConnect', r));
    served(await call(open, DISCOVER));
    // A key that does not match is refused and changes nothing.
    assert.throws(() => s.replaceCredentials({ certPem: server2.certPem, keyPem: server1.keyPem, caCertPem: caPem }), /key values mismatch|does not match|KEY_VALUES_MISMATCH/i);
    s.replaceCredentials({ certPem: server2.certPem, keyPem: server2.keyPem, caCertPem: caPem });
    const fresh = tls.connect({ host: '127.0.0.1', port: s.address.port, ca: caPem, cert: client.certPem, key: client.keyPem, servername: 'kms-renewed.example' });
    await new Promise((r, j) => (fresh.once('secureConnect', r), fresh.once('error', j)));
    assert.equal(fresh.getPeerCertificate().subject.CN, 'kms-renewed.example');
    served(await call(fresh, DISCOVER));
    served(await call(open, DISCOVER)); // not dropped
    assert.equal(open.getPeerCertificate().subject.CN, 'localhost');
    fresh.destroy();
    open.destroy();
  });
});
