// Interop with a real KMIP client (issue 3, point 8, first bullet): PyKMIP
// 0.10 (Debian python3-pykmip, run with /usr/bin/python3) drives a `keyhold
// serve` started on a free loopback port in a temp data dir, at KMIP 1.2 and
// at KMIP 2.0, through test/interop/pykmip_client.py. Every operation
// PyKMIP's ProxyKmipClient offers is exercised:
//  - served: Discover Versions, Query, Create, Create Key Pair (RSA-2048 and
//    EC P-256, both halves loaded and matched with python3-cryptography), Get,
//    Get Attributes, Get Attribute List, Activate, Check, Re-key (new id, Link
//    both ways), Locate (by Name, Object Type, Cryptographic Algorithm, Object
//    Group, with Maximum Items), Register (Symmetric Key, Secret Data, Opaque
//    Object, Public Key, Private Key, X.509 Certificate; Get returns the bytes
//    registered), Set / Modify / Delete Attribute, Revoke, Destroy;
//  - the cryptographic services (Encrypt, Decrypt, Sign, Signature Verify,
//    MAC, Derive Key) have their own PyKMIP tests: test/pykmip-encrypt.test.ts
//    and test/pykmip-crypto.test.ts.
// The two versions differ in one step: PyKMIP refuses to encode Set Attribute
// below KMIP 2.0 (its SetAttributeRequestPayload raises VersionNotSupported
// and nothing is sent), so the 1.2 pass asserts that refusal and that the
// attribute is unchanged; Modify and Delete Attribute run in their 1.x form
// there (Attribute with index / Attribute Name + Index) and in their 2.x form
// (New Attribute / Current Attribute) at 2.0.
//
// A missing /usr/bin/python3 or PyKMIP is a failure, not a skip: .ci/run
// installs python3-pykmip (which brings python3-cryptography).
import assert from 'node:assert/strict';
import { execFile, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from './support/reference.js';
import { startServe, stopChild, type ServeProcess } from './support/kmip-tls.js';
import { PYTHON, pykmipProblem } from './support/pykmip.js';

const BIN = join(REPO_ROOT, 'bin', 'keyhold.mjs');
const DRIVER = join(REPO_ROOT, 'test', 'interop', 'pykmip_client.py');
const RUN_TIMEOUT_MS = 60_000;
const ACCESS_DRIVER = join(REPO_ROOT, 'test', 'interop', 'pykmip_access.py');
const ACCESS_STEPS = [
  'owner create',
  'reader create denied',
  "reader get of the owner's key denied",
  'reader get of a missing key denied',
  'both denials read the same',
  'reader locate finds nothing',
  'password client without credential refused',
  'password client with a wrong password refused',
  'password client with its password served',
];
/** The password of the client that must also send a Username and Password credential (test only). */
const PW_PASSWORD = 'pykmip interop password 42';
const run = promisify(execFile);

/** The steps the driver reports at every version, in order; each must be present and ok. */
const stepsFor = (setAttributeStep: string) => [
  'connect',
  'discover_versions',
  'query',
  'create',
  'get',
  'get_attributes',
  'get_attribute_list',
  'activate',
  'locate_by_name',
  'check',
  'register_symmetric_key',
  'get_registered_symmetric_key',
  'register_secret_data',
  'get_registered_secret_data',
  'register_opaque_object',
  'get_registered_opaque_object',
  'create_key_pair_rsa',
  'get_rsa_public_key',
  'get_rsa_private_key',
  'rsa_key_pair_matches',
  'create_key_pair_ec',
  'get_ec_public_key',
  'get_ec_private_key',
  'ec_key_pair_matches',
  'register_public_key',
  'get_registered_public_key',
  'register_private_key',
  'get_registered_private_key',
  'register_certificate',
  'get_registered_certificate',
  'create_in_object_group',
  'locate_by_object_group',
  'locate_by_object_type',
  'locate_by_cryptographic_algorithm',
  'locate_maximum_items',
  setAttributeStep,
  'modify_attribute',
  'delete_attribute',
  'rekey',
  'revoke',
  'destroy',
  'destroy_symmetric_key_pre_active',
  'destroy_secret_data_pre_active',
  'destroy_opaque_object_pre_active',
];

/** Set Attribute is KMIP 2.x: at 1.2 PyKMIP refuses to send it (see the top of this file). */
const STEPS: Record<'1.2' | '2.0', readonly string[]> = {
  '1.2': stepsFor('set_attribute_refused_by_pykmip'),
  '2.0': stepsFor('set_attribute'),
};

interface StepLine { step: string; ok: boolean; detail: unknown }


/** Runs the driver; never rejects on a non-zero exit (the steps tell why). */
function runDriver(args: string[], driver = DRIVER): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    execFile(PYTHON, [driver, ...args], { timeout: RUN_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: unknown; signal?: string | null }) | null;
      resolve({
        code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
        signal: e?.signal ?? null,
        stdout: String(stdout),
        stderr: String(stderr),
        ms: Date.now() - started,
      });
    });
  });
}

function parseLines(stdout: string): StepLine[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as StepLine;
      } catch {
        return { step: 'unparsable-output', ok: false, detail: l };
      }
    });
}

describe('PyKMIP client interop', { timeout: 240_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-pykmip-'));
  const dir = join(root, 'data');
  const out = join(root, 'client');
  let server: ChildProcess | undefined;
  let serve: ServeProcess | undefined;
  let port = 0;
  let prereqError: string | undefined;

  before(async () => {
    // Prerequisites first, with a readable reason (the tests below fail on it).
    prereqError = pykmipProblem();
    if (prereqError !== undefined) return;
    // Enrol before starting the server, so the client is trusted from the first connection.
    await run(process.execPath, [BIN, 'client', 'add', 'pykmip', '--data-dir', dir, '--out', out, '--permissions', 'all'], { timeout: 60_000 });
    // A second client with the least-privilege defaults (no --permissions), for the access test.
    await run(process.execPath, [BIN, 'client', 'add', 'reader', '--data-dir', dir, '--out', out], { timeout: 60_000 });
    // A third that must also authenticate with a username and password (as vSphere can).
    const pw = spawnSync(process.execPath, [BIN, 'client', 'add', 'vsphere', '--data-dir', dir, '--out', out, '--password-stdin', '--username', 'kms-user'], { input: `${PW_PASSWORD}\n`, encoding: 'utf8', timeout: 60_000 });
    if (pw.status !== 0) throw new Error(`client add vsphere: ${pw.stderr}`);
    serve = await startServe(BIN, dir);
    server = serve.child;
    port = serve.port;
  });

  after(async () => {
    if (server) await stopChild(server);
    rmSync(root, { recursive: true, force: true });
  });

  test('prerequisites: /usr/bin/python3 with PyKMIP', () => {
    assert.equal(prereqError, undefined, prereqError);
  });

  test('PyKMIP as a least-privilege client: Permission Denied for Create, for another client\'s key and for a missing key alike; Locate finds nothing; a password client is refused without its password and served with it', async (t) => {
    assert.equal(prereqError, undefined, prereqError);
    const r = await runDriver(
      ['--port', String(port), '--ca', join(out, 'ca.crt'), '--owner-cert', join(out, 'pykmip.crt'), '--owner-key', join(out, 'pykmip.key'), '--reader-cert', join(out, 'reader.crt'), '--reader-key', join(out, 'reader.key'),
       '--pw-cert', join(out, 'vsphere.crt'), '--pw-key', join(out, 'vsphere.key'), '--pw-username', 'kms-user', '--pw-password', PW_PASSWORD],
      ACCESS_DRIVER,
    );
    const context = `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr.slice(-3000)}`;
    const byStep = new Map(parseLines(r.stdout).map((l) => [l.step, l]));
    for (const name of ACCESS_STEPS) {
      await t.test(name, () => {
        const l = byStep.get(name);
        assert.ok(l, `step "${name}" was not reported\n${context}`);
        assert.equal(l.ok, true, `step "${name}": ${JSON.stringify(l.detail)}`);
      });
    }
    assert.equal(r.code, 0, context);
  });

  for (const version of ['1.2', '2.0'] as const) {
    test(`PyKMIP ProxyKmipClient at KMIP ${version}: every step succeeds`, async (t) => {
      assert.equal(prereqError, undefined, prereqError);
      assert.ok(port > 0, 'server not started');
      const r = await runDriver([
        '--host', '127.0.0.1',
        '--port', String(port),
        '--cert', join(out, 'pykmip.crt'),
        '--key', join(out, 'pykmip.key'),
        '--ca', join(out, 'ca.crt'),
        '--kmip-version', version,
      ]);
      const context = `exit ${r.code} signal ${r.signal} after ${r.ms} ms\nstdout:\n${r.stdout}\nstderr:\n${r.stderr.slice(-4000)}\nserver stderr:\n${serve?.stderr.slice(-4000) ?? ''}`;
      assert.equal(r.signal, null, `driver killed (timeout ${RUN_TIMEOUT_MS} ms?)\n${context}`);
      const lines = parseLines(r.stdout);
      const byStep = new Map(lines.map((l) => [l.step, l]));
      for (const name of STEPS[version]) {
        await t.test(name, () => {
          const l = byStep.get(name);
          assert.ok(l, `step "${name}" was not reported\n${context}`);
          assert.equal(l.ok, true, `step "${name}" failed: ${JSON.stringify(l.detail)}`);
        });
      }
      const unexpected = lines.filter((l) => !STEPS[version].includes(l.step));
      assert.deepEqual(unexpected, [], `unexpected driver output\n${context}`);
      assert.equal(r.code, 0, context);
      assert.ok(r.ms < RUN_TIMEOUT_MS, `took ${r.ms} ms`);
    });
  }
});
