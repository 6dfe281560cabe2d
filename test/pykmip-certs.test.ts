// PyKMIP with the certificates Keyhold issues (issue 5, point 9, PyKMIP part):
// a `keyhold serve` on a free loopback port in a temp data dir, driven by
// PyKMIP 0.10 (Debian python3-pykmip, /usr/bin/python3) through
// test/interop/pykmip_certs.py:
//  - P01 a client's certificate re-issued as a PKCS#12 bundle (`client cert
//    --pkcs12 --passphrase-stdin`), turned into PEM files with the openssl CLI,
//    creates and gets a key; the certificate it had before is refused.
//  - P02 a client that made its own key and CSR with openssl, signed by
//    `client sign-csr`, creates and gets a key, trusting the CA from
//    `cert export-ca`.
//  - P03 the server certificate is replaced (`cert selfsigned … --key
//    ec-p256`) while PyKMIP holds a connection open between a Create and a
//    Get: once a new node:tls connection sees the new certificate, the Get on
//    the old connection still succeeds (on the connection opened before, which
//    still shows the old certificate), and a new PyKMIP connection is served
//    with the new certificate under the same CA.
// PyKMIP's ProxyKmipClient keeps one socket from open() to close() (the
// driver checks it in its "same connection" step), so KMIPProxy is not needed.
//
// A missing /usr/bin/python3, PyKMIP or openssl is a failure, not a skip:
// .ci/run installs them.
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildRequestMessage, parseResponseMessage } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, struct } from '../shared/kmip/ttlv/index.js';
import { call, connect, enrolCreds, startServe, stopChild, type Creds, type ServeProcess } from './support/kmip-tls.js';
import { REPO_ROOT } from './support/reference.js';
import { PYTHON, pykmipProblem } from './support/pykmip.js';

const BIN = join(REPO_ROOT, 'bin', 'keyhold.mjs');
const DRIVER = join(REPO_ROOT, 'test', 'interop', 'pykmip_certs.py');
const DRIVER_TIMEOUT_MS = 30_000;
const CLI_TIMEOUT_MS = 60_000;
/** How long a change (a re-issued client certificate, a new server certificate) may take to reach new connections. */
const APPLY_MS = 3000;
const P12_PASSPHRASE = 'pykmip p12 passphrase 9';
const ROUNDTRIP = ['connect', 'create', 'get', 'close'];
const HOLD = ['connect', 'create', 'waiting', 'go', 'get', 'same_connection', 'close'];
const DISCOVER = encodeTtlv(
  buildRequestMessage({ header: { protocolVersion: { major: 1, minor: 2 } }, batchItems: [{ operation: Enum.Operation.DiscoverVersions, requestPayload: struct(Tag.RequestPayload, []) }] }),
);

interface StepLine { step: string; ok: boolean; detail: unknown }
interface Run { code: number | null; signal: string | null; stdout: string; stderr: string; lines: StepLine[] }
/** PEM file paths, as the driver takes them. */
interface PemFiles { cert: string; key: string; ca: string }

function parseLines(stdout: string): StepLine[] {
  return stdout.split('\n').filter((l) => l.trim() !== '').map((l) => {
    try {
      return JSON.parse(l) as StepLine;
    } catch {
      return { step: 'unparsable-output', ok: false, detail: l };
    }
  });
}

/** Runs a command to its end; never rejects (the exit code tells). */
function run(cmd: string, args: string[], input = '', timeout = CLI_TIMEOUT_MS): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout, killSignal: 'SIGKILL', encoding: 'utf8', maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: unknown; signal?: string | null }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr, lines: parseLines(stdout) });
    });
    child.stdin!.end(input);
  });
}

const driverArgs = (mode: 'roundtrip' | 'hold', port: number, f: PemFiles) => [DRIVER, mode, '--port', String(port), '--ca', f.ca, '--cert', f.cert, '--key', f.key];

const describeRun = (r: Run) => `exit ${r.code} signal ${r.signal}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr.slice(-3000)}`;

/** Every expected step reported ok, in order, nothing else, exit 0. */
function assertAllOk(r: Run, steps: readonly string[], what: string): void {
  assert.deepEqual(r.lines.map((l) => l.step), steps, `${what}: steps reported\n${describeRun(r)}`);
  for (const l of r.lines) assert.equal(l.ok, true, `${what}: step "${l.step}" failed: ${JSON.stringify(l.detail)}\n${describeRun(r)}`);
  assert.equal(r.code, 0, `${what}\n${describeRun(r)}`);
}

/** SHA-256 of a certificate as the driver prints it (lower-case hex, no colons). */
const fp = (x: X509Certificate) => x.fingerprint256.replace(/:/g, '').toLowerCase();

const connectionFacts = (l: StepLine | undefined) => (l?.detail ?? {}) as { tls?: string; local_port?: number; server_cert_sha256?: string };

describe('PyKMIP with issued certificates and a server certificate rotation', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-pykmip-certs-'));
  const dir = join(root, 'data');
  const f = (name: string) => join(root, name);
  let serve: ServeProcess | undefined;
  let prereqError: string | undefined;
  const children: ChildProcess[] = [];
  const keyhold = (args: string[], input = '') => run(process.execPath, [BIN, ...args, '--data-dir', dir], input);

  /** Whether a new node:tls connection with these PEMs is served a Discover Versions (false: handshake refused or connection closed). */
  async function served(creds: Creds): Promise<boolean> {
    try {
      const s = await connect(serve!.port, creds);
      try {
        const resp = parseResponseMessage(decodeTtlv(await call(s, DISCOVER, 2000)));
        return resp.batchItems[0]?.resultStatus === Enum.ResultStatus.Success;
      } finally {
        s.destroy();
      }
    } catch {
      return false;
    }
  }

  /** Polls served() until it gives `want`, for at most APPLY_MS; returns the last answer. */
  async function untilServed(creds: Creds, want: boolean): Promise<boolean> {
    const until = Date.now() + APPLY_MS;
    for (;;) {
      const now = await served(creds);
      if (now === want || Date.now() > until) return now;
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  /** The certificate a new node:tls connection is served (verified against creds.ca, host name 127.0.0.1 checked). */
  async function serverCert(creds: Creds): Promise<X509Certificate> {
    const s = await connect(serve!.port, creds, { rejectUnauthorized: true });
    try {
      const x = s.getPeerX509Certificate();
      assert.ok(x, 'no server certificate');
      return x;
    } finally {
      s.destroy();
    }
  }

  const readPems = (p: PemFiles): Creds => ({ cert: readFileSync(p.cert, 'utf8'), key: readFileSync(p.key, 'utf8'), ca: readFileSync(p.ca, 'utf8') });
  const ok = () => assert.equal(prereqError, undefined, prereqError);

  before(async () => {
    prereqError = pykmipProblem();
    if (prereqError !== undefined) return;
    const ossl = spawnSync('openssl', ['version'], { encoding: 'utf8', timeout: 30_000 });
    if (ossl.status !== 0) {
      prereqError = `the openssl CLI is missing (apt-get install -y openssl): ${ossl.error?.message ?? ossl.stderr}`;
      return;
    }
    // Enrolled before the server starts, so both are trusted from the first connection.
    await enrolCreds(BIN, dir, 'p12client', f('p12-first'));
    await enrolCreds(BIN, dir, 'holdclient', f('hold'));
    serve = await startServe(BIN, dir);
  });

  after(async () => {
    for (const c of children) await stopChild(c);
    if (serve) await stopChild(serve.child);
    rmSync(root, { recursive: true, force: true });
  });

  test('prerequisites: /usr/bin/python3 with PyKMIP, and openssl', () => ok());

  test('P01 a PKCS#12 bundle from `client cert --pkcs12`, converted to PEM with openssl: PyKMIP creates and gets a key; the certificate from the first enrolment is refused', async () => {
    ok();
    const port = serve!.port;
    const first: PemFiles = { cert: f('p12-first/p12client.crt'), key: f('p12-first/p12client.key'), ca: f('p12-first/ca.crt') };
    // The first certificate works before the re-issue (so its refusal below is the re-issue's doing).
    assertAllOk(await run(PYTHON, driverArgs('roundtrip', port, first), '', DRIVER_TIMEOUT_MS), ROUNDTRIP, 'first certificate, before the re-issue');

    const out = f('p12-out');
    const issued = await keyhold(['client', 'cert', 'p12client', '--out', out, '--pkcs12', '--passphrase-stdin'], `${P12_PASSPHRASE}\n`);
    assert.equal(issued.code, 0, describeRun(issued));
    const p12 = join(out, 'p12client.p12');
    assert.ok(existsSync(p12), `no ${p12}\n${describeRun(issued)}`);

    // The bundle opens only with its passphrase.
    const wrong = spawnSync('openssl', ['pkcs12', '-in', p12, '-nodes', '-nokeys', '-passin', 'pass:not the passphrase'], { encoding: 'utf8', timeout: 30_000 });
    assert.notEqual(wrong.status, 0, 'the bundle opened with a wrong passphrase');
    const pem: PemFiles = { cert: f('p12-cert.pem'), key: f('p12-key.pem'), ca: f('p12-ca.pem') };
    for (const [file, sel] of [[pem.cert, ['-clcerts', '-nokeys']], [pem.key, ['-nocerts']], [pem.ca, ['-cacerts', '-nokeys']]] as const) {
      const r = spawnSync('openssl', ['pkcs12', '-in', p12, '-nodes', '-passin', `pass:${P12_PASSPHRASE}`, ...sel, '-out', file], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, `openssl pkcs12 ${sel.join(' ')}: ${r.stderr}`);
    }

    // What came out of the bundle: the client's new certificate, its key, and a CA that signed it.
    const cert = new X509Certificate(readFileSync(pem.cert));
    const oldCert = new X509Certificate(readFileSync(first.cert));
    const ca = new X509Certificate(readFileSync(pem.ca));
    assert.match(cert.subject, /CN=p12client/);
    assert.notEqual(fp(cert), fp(oldCert), 'the bundle holds the old certificate');
    assert.equal(fp(cert), fp(new X509Certificate(readFileSync(join(out, 'p12client.crt')))), 'the bundle and p12client.crt differ');
    assert.ok(cert.checkPrivateKey(createPrivateKey(readFileSync(pem.key))), 'the key in the bundle does not match its certificate');
    assert.ok(cert.verify(ca.publicKey), 'the CA in the bundle did not sign the certificate');

    // Changes reach a running server within a second; give it a bounded moment, then PyKMIP.
    assert.equal(await untilServed(readPems(pem), true), true, `the re-issued certificate is not served within ${APPLY_MS} ms`);
    assertAllOk(await run(PYTHON, driverArgs('roundtrip', port, pem), '', DRIVER_TIMEOUT_MS), ROUNDTRIP, 'PKCS#12-derived PEMs');

    assert.equal(await untilServed(readPems(first), false), false, `the previous certificate is still served ${APPLY_MS} ms after the re-issue`);
    const refused = await run(PYTHON, driverArgs('roundtrip', port, first), '', DRIVER_TIMEOUT_MS);
    assert.equal(refused.signal, null, `driver killed\n${describeRun(refused)}`);
    assert.notEqual(refused.code, 0, `the previous certificate was served\n${describeRun(refused)}`);
    const byStep = new Map(refused.lines.map((l) => [l.step, l]));
    // Under TLS 1.3 PyKMIP's handshake ends before the server has checked the client certificate, so the refusal may show at the first request.
    assert.ok(byStep.get('connect')?.ok === false || byStep.get('create')?.ok === false, `neither connect nor create failed\n${describeRun(refused)}`);
    assert.ok(!refused.lines.some((l) => (l.step === 'create' || l.step === 'get') && l.ok), `an operation succeeded with the previous certificate\n${describeRun(refused)}`);
  });

  test("P02 a certificate signed from the client's own CSR (`client sign-csr`): PyKMIP with its own key and the exported CA creates and gets a key", async () => {
    ok();
    const csr = f('csr.pem');
    const out = f('csr-out');
    const made = spawnSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('csr-own.key'), '-out', csr, '-subj', '/CN=csrclient/O=PyKMIP interop'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(made.status, 0, `openssl req: ${made.stderr}`);
    const signed = await keyhold(['client', 'sign-csr', 'csrclient', '--csr', csr, '--out', out, '--permissions', 'all']);
    assert.equal(signed.code, 0, describeRun(signed));
    const exported = await keyhold(['cert', 'export-ca']);
    assert.equal(exported.code, 0, describeRun(exported));
    assert.match(exported.stdout, /-----BEGIN CERTIFICATE-----/);
    writeFileSync(f('exported-ca.pem'), exported.stdout);
    const files: PemFiles = { cert: join(out, 'csrclient.crt'), key: f('csr-own.key'), ca: f('exported-ca.pem') };

    // The signed certificate carries the client's own key (which never left it) and its subject.
    const cert = new X509Certificate(readFileSync(files.cert));
    assert.ok(cert.checkPrivateKey(createPrivateKey(readFileSync(files.key))), "the signed certificate is not for the client's own key");
    assert.match(cert.subject, /CN=csrclient/);
    assert.ok(cert.verify(new X509Certificate(readFileSync(join(out, 'ca.crt'))).publicKey), 'ca.crt from sign-csr did not sign the certificate');

    assert.equal(await untilServed(readPems(files), true), true, `the CSR-signed certificate is not served within ${APPLY_MS} ms`);
    assertAllOk(await run(PYTHON, driverArgs('roundtrip', serve!.port, files), '', DRIVER_TIMEOUT_MS), ROUNDTRIP, 'CSR-signed certificate');
  });

  test('P03 the server certificate is replaced while PyKMIP holds a connection open: the Get on that connection succeeds; a new PyKMIP connection is served the new certificate under the same CA', async () => {
    ok();
    const port = serve!.port;
    const files: PemFiles = { cert: f('hold/holdclient.crt'), key: f('hold/holdclient.key'), ca: f('hold/ca.crt') };
    const creds = readPems(files);
    const caBefore = await keyhold(['cert', 'export-ca']);
    assert.equal(caBefore.code, 0, describeRun(caBefore));
    const before = await serverCert(creds);
    assert.notEqual(before.publicKey.asymmetricKeyType, 'ec', 'the server certificate is EC already: the rotation below would not show');

    // The driver in hold mode: connect, create, then wait for "go".
    const child = spawn(PYTHON, driverArgs('hold', port, files), { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const context = () => `stdout:\n${stdout}\nstderr:\n${stderr.slice(-3000)}\nserver stderr:\n${serve?.stderr.slice(-3000) ?? ''}`;
    const waiting = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "waiting" line within ${DRIVER_TIMEOUT_MS} ms\n${context()}`)), DRIVER_TIMEOUT_MS);
      child.stdout!.on('data', (c: Buffer) => {
        stdout += c.toString();
        const lines = parseLines(stdout.slice(0, stdout.lastIndexOf('\n') + 1));
        if (lines.some((l) => l.step === 'waiting') || lines.some((l) => !l.ok)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    try {
      await waiting;
      const early = parseLines(stdout);
      assert.deepEqual(early.map((l) => [l.step, l.ok]), [['connect', true], ['create', true], ['waiting', true]], `the held connection did not get to waiting\n${context()}`);
      const held = connectionFacts(early[0]);
      assert.equal(held.server_cert_sha256, fp(before), `PyKMIP's connection saw another certificate than node:tls\n${context()}`);

      const rotated = await keyhold(['cert', 'selfsigned', '--dns', 'localhost', '--ip', '127.0.0.1', '--key', 'ec-p256']);
      assert.equal(rotated.code, 0, describeRun(rotated));

      // Wait (bounded) until a new connection is served the new certificate.
      const until = Date.now() + APPLY_MS;
      let now = await serverCert(creds);
      while (fp(now) === fp(before) && Date.now() < until) {
        await new Promise((res) => setTimeout(res, 100));
        now = await serverCert(creds);
      }
      assert.notEqual(fp(now), fp(before), `new connections still get the old server certificate ${APPLY_MS} ms after the rotation`);
      assert.equal(now.publicKey.asymmetricKeyType, 'ec', 'the new server certificate is not EC');
      assert.equal(now.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');

      // Now the Get on the connection opened before the rotation.
      child.stdin!.end('go\n');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), DRIVER_TIMEOUT_MS)))]);
      clearTimeout(timer);
      assert.notEqual(code, 'timeout', `the held driver did not finish within ${DRIVER_TIMEOUT_MS} ms\n${context()}`);
      const all = parseLines(stdout);
      assert.deepEqual(all.map((l) => l.step), HOLD, `steps reported\n${context()}`);
      for (const l of all) assert.equal(l.ok, true, `step "${l.step}" failed: ${JSON.stringify(l.detail)}\n${context()}`);
      const after = connectionFacts(all.find((l) => l.step === 'same_connection'));
      // The same socket (local port), and still the certificate from before the rotation: it is the old connection.
      assert.equal(after.local_port, held.local_port, context());
      assert.equal(after.server_cert_sha256, fp(before), `the Get did not run on the connection opened before the rotation\n${context()}`);
      assert.equal(code, 0, context());

      // A fresh PyKMIP connection, with the CA it had before: the new certificate, same CA.
      const caAfter = await keyhold(['cert', 'export-ca']);
      assert.equal(caAfter.code, 0, describeRun(caAfter));
      assert.equal(caAfter.stdout, caBefore.stdout, 'the CA changed with the server certificate');
      const fresh = await run(PYTHON, driverArgs('roundtrip', port, files), '', DRIVER_TIMEOUT_MS);
      assertAllOk(fresh, ROUNDTRIP, 'a new connection after the rotation');
      assert.equal(connectionFacts(fresh.lines[0]).server_cert_sha256, fp(now), `the new PyKMIP connection did not get the new certificate\n${describeRun(fresh)}`);
    } finally {
      await stopChild(child);
    }
  });
});
