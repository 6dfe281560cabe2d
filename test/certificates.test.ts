// Server and client certificates end to end (issue 5): `keyhold serve` in its
// own process, `keyhold cert …` / `keyhold client cert|sign-csr` from another,
// an "enterprise CA" and client requests made with the openssl CLI, and
// openssl s_client / node:tls as the clients.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { buildRequestMessage, parseResponseMessage } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, struct } from '../shared/kmip/ttlv/index.js';
import { queryAudit } from '../main/audit/audit-log.js';
import { call, connect, enrolCreds, readCreds, startServe, stopChild, type Creds, type ServeProcess } from './support/kmip-tls.js';
import { REPO_ROOT } from './support/reference.js';

const BIN = join(REPO_ROOT, 'bin', 'keyhold.mjs');
const DISCOVER = encodeTtlv(
  buildRequestMessage({ header: { protocolVersion: { major: 1, minor: 4 } }, batchItems: [{ operation: Enum.Operation.DiscoverVersions, requestPayload: struct(Tag.RequestPayload, []) }] }),
);
const served = (bytes: Uint8Array) => assert.equal(parseResponseMessage(decodeTtlv(bytes)).batchItems[0]!.resultStatus, Enum.ResultStatus.Success);

function run(cmd: string, args: string[], input = ''): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1 });
    });
    child.stdin!.end(input);
  });
}
const openssl = (...args: string[]) => {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

describe('certificates', { timeout: 240_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-certs-'));
  const dir = join(root, 'data');
  const f = (name: string) => join(root, name);
  let serve: ServeProcess;
  let alice: Creds;
  const keyhold = (...args: string[]) => run(process.execPath, [BIN, ...args, '--data-dir', dir]);
  const keyholdIn = (input: string, ...args: string[]) => run(process.execPath, [BIN, ...args, '--data-dir', dir], input);

  /** The server certificate a new connection sees, with the trust anchor given (retried up to 2 s for a rotation to apply). */
  async function peerSubject(ca: string, servername: string, want?: string): Promise<string> {
    const until = Date.now() + 2000;
    for (;;) {
      const s = await connect(serve.port, { ...alice, ca }, { servername }).catch(() => undefined);
      const cn = String(s?.getPeerCertificate().subject?.CN ?? '');
      if (s) {
        served(await call(s, DISCOVER));
        s.destroy();
      }
      if (want === undefined || cn === want || Date.now() > until) return cn;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  before(async () => {
    serve = await startServe(BIN, dir);
    alice = await enrolCreds(BIN, dir, 'alice', f('alice'));
    // An enterprise CA, made with openssl, not with Keyhold.
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('corp-ca.key'), '-out', f('corp-ca.crt'), '-days', '30', '-subj', '/CN=Corp Root CA/O=Corp',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  });
  after(async () => {
    if (serve) await stopChild(serve.child);
    rmSync(root, { recursive: true, force: true });
  });

  it('C01 cert show: the certificates in use and every check', async () => {
    const r = await keyhold('cert', 'show', '--names', 'localhost,127.0.0.1');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^server certificate:$/m);
    assert.match(r.stdout, /^Keyhold's CA \(signs client certificates\):$/m);
    assert.doesNotMatch(r.stdout, /FAIL/);
    assert.match(r.stdout, /ok {3}The server certificate .* covers localhost, 127\.0\.0\.1|ok {3}.*localhost/);
  });

  it('C02 cert selfsigned: new names and an EC key serve new connections within a second; an open connection stays; audited', async () => {
    const open = await connect(serve.port, alice, { servername: 'localhost' });
    const r = await keyhold('cert', 'selfsigned', '--dns', 'kms.example', '--ip', '127.0.0.1', '--key', 'ec-p256', '--days', '90');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /server certificate replaced: .*kms\.example.*names kms\.example, 127\.0\.0\.1/);
    assert.equal(await peerSubject(alice.ca, 'kms.example', 'kms.example'), 'kms.example');
    const s = await connect(serve.port, alice, { servername: 'kms.example' });
    assert.equal((s.getPeerCertificate() as { asn1Curve?: string }).asn1Curve, 'prime256v1');
    s.destroy();
    served(await call(open, DISCOVER));
    open.destroy();
    const until = Date.now() + 2000;
    while (!queryAudit(dir).some((x) => x.operation === 'certificate replaced') && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
    assert.match(queryAudit(dir).find((x) => x.operation === 'certificate replaced')?.message ?? '', /kms\.example.*SHA-256 [0-9a-f]{64}/);
  });

  it('C03 a certificate that fails a check is refused in one line and changes nothing', async () => {
    openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('web.key'), '-out', f('web.csr'), '-subj', '/CN=web.example');
    writeFileSync(f('web.ext'), 'extendedKeyUsage=clientAuth\nsubjectAltName=DNS:web.example\n');
    openssl('x509', '-req', '-in', f('web.csr'), '-CA', f('corp-ca.crt'), '-CAkey', f('corp-ca.key'), '-CAcreateserial', '-out', f('web.crt'), '-days', '10', '-extfile', f('web.ext'));
    const r = await keyhold('cert', 'import', '--cert', f('web.crt'), '--key', f('web.key'), '--chain', f('corp-ca.crt'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /extended key usage/i);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(await peerSubject(alice.ca, 'kms.example'), 'kms.example');
  });

  it('C04 CSR flow: the key stays in the data dir, the enterprise CA signs, import installs it; openssl s_client verifies with export-ca', async () => {
    const csr = await keyhold('cert', 'csr', '--dns', 'kms.corp.example', '--ip', '127.0.0.1', '--out', f('kms.csr'));
    assert.equal(csr.code, 0, csr.stderr);
    assert.match(readFileSync(join(dir, 'pki', 'pending.key'), 'utf8'), /PRIVATE KEY/);
    writeFileSync(f('kms.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:kms.corp.example,IP:127.0.0.1\n');
    openssl('x509', '-req', '-in', f('kms.csr'), '-CA', f('corp-ca.crt'), '-CAkey', f('corp-ca.key'), '-CAcreateserial', '-out', f('kms.crt'), '-days', '20', '-extfile', f('kms.ext'));
    // Without the root the chain is incomplete: refused, with what to do.
    const partial = await keyhold('cert', 'import', '--cert', f('kms.crt'));
    assert.equal(partial.code, 1);
    assert.match(partial.stderr, /--chain FILE/);
    const r = await keyhold('cert', 'import', '--cert', f('kms.crt'), '--chain', f('corp-ca.crt'), '--names', 'kms.corp.example');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /issued by CN=Corp Root CA, O=Corp/);
    const exported = await keyhold('cert', 'export-ca');
    assert.equal(exported.stdout.trim(), readFileSync(f('corp-ca.crt'), 'utf8').trim());
    writeFileSync(f('trust.crt'), exported.stdout);
    assert.equal(await peerSubject(exported.stdout, 'kms.corp.example', 'kms.corp.example'), 'kms.corp.example');
    const s = await run('openssl', ['s_client', '-connect', `127.0.0.1:${serve.port}`, '-CAfile', f('trust.crt'), '-verify_hostname', 'kms.corp.example', '-cert', join(f('alice'), 'alice.crt'), '-key', join(f('alice'), 'alice.key'), '-verify_return_error']);
    assert.match(s.stdout + s.stderr, /Verify return code: 0 \(ok\)/);
  });

  it('C05 a PKCS#12 file with its passphrase (made by openssl) is imported', async () => {
    openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', f('p12.key'), '-out', f('p12.csr'), '-subj', '/CN=kms-p12.example');
    writeFileSync(f('p12.ext'), 'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:kms-p12.example\n');
    openssl('x509', '-req', '-in', f('p12.csr'), '-CA', f('corp-ca.crt'), '-CAkey', f('corp-ca.key'), '-CAcreateserial', '-out', f('p12.crt'), '-days', '20', '-extfile', f('p12.ext'));
    openssl('pkcs12', '-export', '-inkey', f('p12.key'), '-in', f('p12.crt'), '-certfile', f('corp-ca.crt'), '-out', f('kms.p12'), '-passout', 'pass:p12 secret phrase');
    const wrong = await keyholdIn('not it\n', 'cert', 'import', '--p12', f('kms.p12'), '--passphrase-stdin');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /passphrase is wrong/);
    const r = await keyholdIn('p12 secret phrase\n', 'cert', 'import', '--p12', f('kms.p12'), '--passphrase-stdin');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await peerSubject(readFileSync(f('corp-ca.crt'), 'utf8'), 'kms-p12.example', 'kms-p12.example'), 'kms-p12.example');
  });

  it("C06 client sign-csr: a client's own request (key never leaves it) becomes a registered client", async () => {
    openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('vc.key'), '-out', f('vc.csr'), '-subj', '/CN=vcenter-kms-client');
    const r = await keyhold('client', 'sign-csr', 'vcenter', '--csr', f('vc.csr'), '--out', f('vc'), '--permissions', 'query,get:own,create:own');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /client "vcenter" registered \(permissions query:all,get:own,create:own\)/);
    const vc: Creds = { cert: readFileSync(join(f('vc'), 'vcenter.crt'), 'utf8'), key: readFileSync(f('vc.key'), 'utf8'), ca: readFileSync(f('corp-ca.crt'), 'utf8') };
    const until = Date.now() + 2000;
    for (;;) {
      try {
        const s = await connect(serve.port, vc, { servername: 'kms-p12.example' });
        served(await call(s, DISCOVER));
        s.destroy();
        break;
      } catch (e) {
        if (Date.now() > until) throw e;
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  });

  it('C07 client cert renews a client (PEM and PKCS#12); the old certificate is refused from then on', async () => {
    const r = await keyholdIn('bundle passphrase 1\n', 'client', 'cert', 'alice', '--out', f('alice2'), '--pkcs12', '--passphrase-stdin');
    assert.equal(r.code, 0, r.stderr);
    const info = spawnSync('openssl', ['pkcs12', '-in', join(f('alice2'), 'alice.p12'), '-info', '-nokeys', '-passin', 'pass:bundle passphrase 1'], { encoding: 'utf8' });
    assert.equal(info.status, 0, info.stderr);
    assert.match(info.stdout, /subject=CN ?= ?alice/);
    const renewed = { ...readCreds(f('alice2'), 'alice'), ca: readFileSync(f('corp-ca.crt'), 'utf8') };
    const old = { ...alice, ca: renewed.ca };
    const until = Date.now() + 2000;
    for (;;) {
      const refused = await (async () => {
        try {
          const s = await connect(serve.port, old, { servername: 'kms-p12.example' });
          try { await call(s, DISCOVER, 1000); return false; } finally { s.destroy(); }
        } catch { return true; }
      })();
      if (refused) break;
      if (Date.now() > until) assert.fail('the old certificate is still accepted');
      await new Promise((res) => setTimeout(res, 100));
    }
    const s = await connect(serve.port, renewed, { servername: 'kms-p12.example' });
    served(await call(s, DISCOVER));
    s.destroy();
  });

  it('C10 client add --pkcs12: PEM files and a PKCS#12 bundle of the same certificate, with the KMIP password on the line before the passphrase', async () => {
    const out = f('carol');
    const r = await keyholdIn('carol kmip password\ncarol p12 phrase\n', 'client', 'add', 'carol', '--out', out, '--pkcs12', '--passphrase-stdin', '--password-stdin');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /carol\.p12/);
    const p12 = spawnSync('openssl', ['pkcs12', '-in', join(out, 'carol.p12'), '-clcerts', '-nokeys', '-passin', 'pass:carol p12 phrase'], { encoding: 'utf8' });
    assert.equal(p12.status, 0, p12.stderr);
    const inP12 = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(p12.stdout)?.[0];
    assert.equal(inP12?.replace(/\s/g, ''), readFileSync(join(out, 'carol.crt'), 'utf8').replace(/\s/g, ''));
    const doc = JSON.parse(readFileSync(join(dir, 'clients.json'), 'utf8')) as { clients: { name: string; username?: string }[] };
    assert.equal(doc.clients.find((c) => c.name === 'carol')?.username, 'carol');
    const short = await keyholdIn('short\n', 'client', 'add', 'dave', '--out', f('dave'), '--pkcs12', '--passphrase-stdin');
    assert.equal(short.code, 2);
    assert.match(short.stderr, /at least 8 characters/);
  });

  it('C09 status: where the server listens, and certificates expiring within 30 days; audited at start', async () => {
    const r = await keyhold('status');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^server: running on 127\\.0\\.0\\.1:${serve.port} since `, 'm'));
    // The imported certificate (20 days) and the enterprise root (30 days) are both within the window.
    assert.match(r.stdout, /^warning: the server certificate expires on \d{4}-\d\d-\d\d \(in 1\d days\)$/m);
    assert.match(r.stdout, /^warning: the server certificate's CA expires on /m);
    assert.doesNotMatch(r.stdout, /Keyhold's CA certificate/);
    await stopChild(serve.child);
    const stopped = await keyhold('status');
    assert.match(stopped.stdout, /^server: not running$/m);
    serve = await startServe(BIN, dir);
    const until = Date.now() + 3000;
    const soon = () => queryAudit(dir).filter((x) => x.operation === 'certificate expires soon').map((x) => x.message ?? '');
    while (!soon().some((m) => /the server certificate expires/.test(m)) && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
    assert.ok(soon().some((m) => /^the server certificate expires on /.test(m)), JSON.stringify(soon()));
  });

  it('C08 a server start with an unusable certificate fails with the sentence that says why', async () => {
    await stopChild(serve.child);
    // A certificate from the enterprise CA, but its root removed: the chain cannot be verified.
    rmSync(join(dir, 'pki', 'server-ca.crt'));
    const r = spawnSync(process.execPath, [BIN, 'serve', '--data-dir', dir, '--host', '127.0.0.1', '--port', '0'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /The chain is incomplete/);
    assert.equal(r.stderr.trim().split('\n').filter((l) => !/warning/.test(l)).length, 1, r.stderr);
    void tls;
  });
});
