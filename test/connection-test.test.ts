// `keyhold test-connection` against a real `keyhold serve`: the built-in
// self-test client (enrolled once with query only, then reused), an enrolled
// client accepted and then refused once disabled, a port where nothing
// listens, a CA that did not issue the server certificate and a server name
// the certificate does not carry: each reported at its step, one line per
// step, exit 1 at the first failure and never a stack trace.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildRequestMessage, parseResponseMessage } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, struct } from '../shared/kmip/ttlv/index.js';
import { readClientsDoc } from '../main/server/clients.js';
import { createCa } from '../main/pki/index.js';
import { REPO_ROOT } from './support/reference.js';
import { call, connect, readCreds, startServe, stopChild, type Creds, type ServeProcess } from './support/kmip-tls.js';

const BIN = join(REPO_ROOT, 'bin', 'keyhold.mjs');
const STEPS = ['TCP', 'TLS handshake', 'server certificate', 'client certificate', 'KMIP'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; resolves whatever the exit status. */
function keyhold(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

/** The step lines of a run, in order, after checking there is exactly one per step and nothing else but the heading. */
function stepLines(r: Run): string[] {
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  assert.match(lines[0] ?? '', /^Connection test: /, r.stdout);
  const steps = lines.slice(1);
  assert.deepEqual(steps.map((l) => /^[✓✗-] ([^:]+):/.exec(l)?.[1]), STEPS, r.stdout);
  return steps;
}

function assertNoStack(r: Run): void {
  assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at |internal error/, r.stdout + r.stderr);
}

const DISCOVER = encodeTtlv(buildRequestMessage({ header: { protocolVersion: { major: 2, minor: 1 } }, batchItems: [{ operation: Enum.Operation.DiscoverVersions, requestPayload: struct(Tag.RequestPayload, []) }] }));

describe('keyhold test-connection', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-conntest-'));
  const dir = join(root, 'data');
  const out = join(root, 'alice');
  let serve: ServeProcess;
  let port: number;

  /** Whether the server answers Discover Versions for these credentials (it picks up clients.json within a second). */
  async function served(creds: Creds): Promise<boolean> {
    try {
      const s = await connect(port, creds);
      try {
        return parseResponseMessage(decodeTtlv(await call(s, DISCOVER))).batchItems[0]!.resultStatus === Enum.ResultStatus.Success;
      } finally {
        s.destroy();
      }
    } catch {
      return false;
    }
  }
  async function becomes(creds: Creds, want: boolean): Promise<void> {
    const t0 = Date.now();
    while ((await served(creds)) !== want) {
      if (Date.now() - t0 > 3000) assert.fail(`still ${want ? 'refused' : 'served'} after 3 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  before(async () => {
    serve = await startServe(BIN, dir);
    port = serve.port;
  });
  after(async () => {
    await stopChild(serve.child);
    rmSync(root, { recursive: true, force: true });
  });

  it('self-test: enrols keyhold-selftest with query only, every step passes, exit 0; the next run reuses it', async () => {
    const r = await keyhold('test-connection', '--data-dir', dir, '--port', String(port));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^Connection test: 127\.0\.0\.1:\d+ as client "keyhold-selftest" \(enrolled just now/);
    const steps = stepLines(r);
    for (const l of steps) assert.match(l, /^✓ /, l);
    assert.match(steps[0]!, new RegExp(`^✓ TCP: 127\\.0\\.0\\.1:${port} reachable in \\d+ ms$`));
    assert.match(steps[1]!, /^✓ TLS handshake: TLSv1\.[23], (TLS_|ECDHE-)[A-Z0-9_-]+$/);
    assert.match(steps[2]!, /^✓ server certificate: CN=.+, issued by CN=Keyhold CA.*, valid for 127\.0\.0\.1, expires \d{4}-\d\d-\d\d, in \d+ days$/);
    assert.match(steps[3]!, /^✓ client certificate: accepted: CN=keyhold-selftest, expires /);
    assert.match(steps[4]!, /^✓ KMIP: versions offered 2\.1, 2\.0, 1\.4, 1\.3, 1\.2, 1\.1, 1\.0; Query in 2\.1: \d+ operations, \d+ object types; vendor "Keyhold"/);

    const doc = await readClientsDoc(dir);
    const selftest = doc.clients.filter((c) => c.name.startsWith('keyhold-selftest'));
    assert.equal(selftest.length, 1);
    assert.equal(selftest[0]!.name, 'keyhold-selftest');
    assert.deepEqual(selftest[0]!.grants, [{ group: 'query', scope: 'all' }]);
    assert.equal(selftest[0]!.description, 'built-in connection test (Query only)');
    assert.equal(statSync(join(dir, 'pki', 'selftest', 'keyhold-selftest.key')).mode & 0o777, 0o600);

    const again = await keyhold('test-connection', '--data-dir', dir, '--port', String(port), '--json');
    assert.equal(again.code, 0, again.stdout + again.stderr);
    const report = JSON.parse(again.stdout) as { ok: boolean; enrolled: boolean; client: string; steps: { step: string; status: string }[]; tls: { protocol: string } };
    assert.equal(report.ok, true);
    assert.equal(report.enrolled, false);
    assert.equal(report.client, 'keyhold-selftest');
    assert.deepEqual(report.steps.map((s) => [s.step, s.status]), STEPS.map((s) => [s, 'ok']));
    assert.match(report.tls.protocol, /^TLSv1\.[23]$/);
    assert.equal((await readClientsDoc(dir)).clients.length, 1, 'the second run enrolled nobody');
  });

  it('--client alice --certs FOLDER: accepted; after `client disable alice`: ✗ client certificate, exit 1', async () => {
    const add = await keyhold('client', 'add', 'alice', '--data-dir', dir, '--out', out);
    assert.equal(add.code, 0, add.stderr);
    const creds = readCreds(out, 'alice');
    await becomes(creds, true);

    const ok = await keyhold('test-connection', '--port', String(port), '--client', 'alice', '--certs', out);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const steps = stepLines(ok);
    for (const l of steps) assert.match(l, /^✓ /, l);
    assert.match(steps[3]!, /^✓ client certificate: accepted: CN=alice, /);

    const disable = await keyhold('client', 'disable', 'alice', '--data-dir', dir);
    assert.equal(disable.code, 0, disable.stderr);
    await becomes(creds, false);

    const refused = await keyhold('test-connection', '--port', String(port), '--client', 'alice', '--certs', out);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    const lines = stepLines(refused);
    assert.match(lines[0]!, /^✓ TCP: /);
    assert.match(lines[1]!, /^✓ TLS handshake: /);
    assert.match(lines[2]!, /^✓ server certificate: /);
    assert.equal(lines[3], '✗ client certificate: the server closed the connection: it does not accept this client certificate — not registered, disabled, or not allowed from this address; see `keyhold log tail` on the server');
    assert.equal(lines[4], '- KMIP: skipped');
    assert.equal(refused.stderr, 'keyhold: connection test failed at client certificate\n');
    assertNoStack(refused);
  });

  it('a port where nothing listens: ✗ TCP with the hint, the rest skipped, exit 1, no stack trace', async () => {
    const free = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const r = await keyhold('test-connection', '--data-dir', dir, '--port', String(free));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.deepEqual(stepLines(r), [
      `✗ TCP: nothing listens on 127.0.0.1:${free} — is \`keyhold serve\` running, on this port?`,
      '- TLS handshake: skipped',
      '- server certificate: skipped',
      '- client certificate: skipped',
      '- KMIP: skipped',
    ]);
    assert.equal(r.stderr, 'keyhold: connection test failed at TCP\n');
    assertNoStack(r);
  });

  it('--ca naming another CA: ✗ server certificate, not issued by that CA', async () => {
    const other = await createCa({ commonName: 'Some Other CA', key: { type: 'ec', curve: 'P-256' } });
    const caFile = join(root, 'other-ca.crt');
    writeFileSync(caFile, other.certPem);
    const r = await keyhold('test-connection', '--data-dir', dir, '--port', String(port), '--ca', caFile);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const lines = stepLines(r);
    assert.match(lines[1]!, /^✓ TLS handshake: /);
    assert.match(lines[2]!, new RegExp(`^✗ server certificate: CN=.+, issued by CN=Keyhold CA.*: not issued by a CA in ${caFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\([A-Z_]+\\) — pass the CA that issued the server certificate with --ca`));
    assert.deepEqual(lines.slice(3), ['- client certificate: skipped', '- KMIP: skipped']);
    assertNoStack(r);
  });

  it('--server-name wrong.example: ✗ server certificate naming the host-name mismatch', async () => {
    const r = await keyhold('test-connection', '--data-dir', dir, '--port', String(port), '--server-name', 'wrong.example');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const lines = stepLines(r);
    assert.match(lines[2]!, /^✗ server certificate: the certificate is not valid for the name wrong\.example \(it names [^)]*IP:127\.0\.0\.1[^)]*\) — connect by one of those names/);
    assert.deepEqual(lines.slice(3), ['- client certificate: skipped', '- KMIP: skipped']);
    assertNoStack(r);
  });
});
