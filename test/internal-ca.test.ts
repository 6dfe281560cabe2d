// Replacing Keyhold's internal CA (issue 5 point 1): an EC P-384 CA chosen
// before the first start, an existing CA imported while the server runs; the
// server certificate is re-issued from the new CA and served at once, and
// clients registered under the old CA keep working.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { X509Certificate } from 'node:crypto';
import { buildRequestMessage, parseResponseMessage } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, struct } from '../shared/kmip/ttlv/index.js';
import { call, connect, enrolCreds, startServe, stopChild, type Creds, type ServeProcess } from './support/kmip-tls.js';
import { REPO_ROOT } from './support/reference.js';

const BIN = join(REPO_ROOT, 'bin', 'keyhold.mjs');
const DISCOVER = encodeTtlv(
  buildRequestMessage({ header: { protocolVersion: { major: 1, minor: 4 } }, batchItems: [{ operation: Enum.Operation.DiscoverVersions, requestPayload: struct(Tag.RequestPayload, []) }] }),
);
const served = (bytes: Uint8Array) => assert.equal(parseResponseMessage(decodeTtlv(bytes)).batchItems[0]!.resultStatus, Enum.ResultStatus.Success);

function keyhold(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => resolve({ stdout, stderr, code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1 }));
  });
}

describe('internal CA', { timeout: 180_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-ca-'));
  const dir = join(root, 'data');
  let serve: ServeProcess;
  let alice: Creds;

  before(async () => {
    const r = await keyhold('cert', 'new-ca', '--key', 'ec-p384', '--cn', 'Lab KMS CA', '--data-dir', dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /new internal CA: CN=Lab KMS CA \(ec P-384\)|new internal CA: CN=Lab KMS CA \(ec .*secp384r1\)/);
    serve = await startServe(BIN, dir);
    alice = await enrolCreds(BIN, dir, 'alice', join(root, 'alice'));
  });
  after(async () => {
    if (serve) await stopChild(serve.child);
    rmSync(root, { recursive: true, force: true });
  });

  it('K01 an EC P-384 CA chosen before the first start signs the server and client certificates', async () => {
    const ca = new X509Certificate(readFileSync(join(dir, 'pki', 'ca.crt')));
    assert.equal(ca.publicKey.asymmetricKeyDetails?.namedCurve, 'secp384r1');
    assert.equal(ca.subject, 'CN=Lab KMS CA');
    assert.ok(new X509Certificate(alice.cert!).checkIssued(ca));
    const s = await connect(serve.port, alice, { servername: 'localhost' });
    served(await call(s, DISCOVER));
    s.destroy();
  });

  it('K02 an existing CA imported while the server runs: the server certificate is re-issued and served at once; old clients keep working', async () => {
    const open = await connect(serve.port, alice, { servername: 'localhost' });
    const ossl = (...a: string[]) => assert.equal(spawnSync('openssl', a, { encoding: 'utf8' }).status, 0, a.join(' '));
    ossl('req', '-x509', '-newkey', 'rsa:3072', '-nodes', '-keyout', join(root, 'corp.key'), '-out', join(root, 'corp.crt'), '-days', '400', '-subj', '/CN=Corp Issuing CA',
      '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    const r = await keyhold('cert', 'import-ca', '--cert', join(root, 'corp.crt'), '--key', join(root, 'corp.key'), '--data-dir', dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /internal CA is now CN=Corp Issuing CA.*server certificate re-issued from it/);
    const corp = readFileSync(join(root, 'corp.crt'), 'utf8');
    assert.equal((await keyhold('cert', 'export-ca', '--data-dir', dir)).stdout.trim(), corp.trim());
    // New connections verify the server with the new CA (within a second or two).
    const until = Date.now() + 3000;
    let fresh;
    for (;;) {
      fresh = await connect(serve.port, { ...alice, ca: corp }, { servername: 'localhost' }).catch(() => undefined);
      if (fresh !== undefined || Date.now() > until) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(fresh, 'the server certificate from the new CA was not served');
    served(await call(fresh, DISCOVER)); // alice's certificate came from the old CA: still recognised (pinned)
    fresh.destroy();
    served(await call(open, DISCOVER));
    open.destroy();
    // A client enrolled now gets a certificate from the new CA.
    const bob = await enrolCreds(BIN, dir, 'bob', join(root, 'bob'));
    assert.ok(new X509Certificate(bob.cert!).checkIssued(new X509Certificate(corp)));
  });

  it('K03 a certificate that is not a CA is refused in one line', async () => {
    const r = await keyhold('cert', 'import-ca', '--cert', join(root, 'alice', 'alice.crt'), '--key', join(root, 'alice', 'alice.key'), '--data-dir', dir);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /CA/);
  });
});
