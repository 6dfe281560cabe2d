// The master key (issue 6 point 6): key file or operator passphrase, the
// locked start, unlock, rotation (crash points included) and the conversions
// between the two protections. The live parts run `keyhold serve` as a child
// process with clients over mutual TLS and `keyhold master-key …` as further
// child processes; the store-level parts run in this process.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSecretKey, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseResponseMessage } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { queryAudit } from '../main/audit/audit-log.js';
import { ALL_GRANTS } from '../main/access/policy.js';
import { controlRequest } from '../main/server/control-socket.js';
import { PassphraseThrottle } from '../main/server/master-key-admin.js';
import { openStore } from '../main/store/index.js';
import { LOCKED_FILE, MASTER_KEY_FILE, readWrapped, retiredFile, unwrapKey, wrapKey, WrongPassphraseError } from '../main/store/master-key.js';
import { call, connect, enrolHere, findBytes, firstLine, stopChild, type Creds } from './support/kmip-tls.js';
import { byId, createAes } from './support/kmip-requests.js';
import { REPO_ROOT } from './support/reference.js';

const BIN = join(REPO_ROOT, 'bin', 'keyhold.mjs');
const PASS = 'correct horse battery staple';

/** Everything any keyhold process printed: searched for key bytes and the passphrase at the end. */
let printed = '';

interface CliResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

function cli(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { timeout: 120_000, env: { ...process.env, ...opts.env } }, (err, stdout, stderr) => {
      printed += stdout + stderr;
      const e = err as (Error & { code?: number; signal?: NodeJS.Signals }) | null;
      resolve({ stdout, stderr, code: e === null ? 0 : typeof e.code === 'number' ? e.code : null, signal: e?.signal ?? null });
    });
    child.stdin!.end(opts.input ?? '');
  });
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

interface Serve {
  child: ChildProcess;
  first: string;
  out: string;
  err: string;
}

/** `keyhold serve` on 127.0.0.1:port; resolves with its first stdout line (listening, or locked). */
async function serve(dir: string, port: number): Promise<Serve> {
  const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dir, '--host', '127.0.0.1', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const s: Serve = { child, first: '', out: '', err: '' };
  child.stdout!.on('data', (c: Buffer) => ((s.out += c.toString()), (printed += c.toString())));
  child.stderr!.on('data', (c: Buffer) => ((s.err += c.toString()), (printed += c.toString())));
  s.first = await firstLine(child, 60_000);
  return s;
}

async function waitFor(what: () => boolean, ms: number, why: string): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${why}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every master.key* file in DIR is a regular file with mode 0600. */
function assertKeyFilesPrivate(dir: string): string[] {
  const names = readdirSync(dir).filter((n) => n.startsWith('master.key'));
  for (const n of names) assert.equal(statSync(join(dir, n)).mode & 0o777, 0o600, `${n} mode`);
  return names.sort();
}

const ids = (r: ReturnType<typeof parseResponseMessage>) => (r.batchItems[0]!.responsePayload as { value: TtlvItem[] }).value.find((c) => c.tag === Tag.UniqueIdentifier)!.value as string;

describe('master key: protections, locked start, rotation', { timeout: 600_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-mk-'));
  const dir = join(root, 'd');
  let creds: Creds;
  let port = 0;
  let server: Serve | undefined;
  const keys = new Map<string, string>(); // id -> key bytes (hex) as first served
  /** Every master key version's bytes seen during the test (hex), for the leak check. */
  const masterKeys = new Set<string>();

  const noteKeyFile = async () => {
    for (const n of readdirSync(dir).filter((x) => x.startsWith('master.key'))) {
      const buf = readFileSync(join(dir, n));
      if (buf.length === 32) masterKeys.add(buf.toString('hex'));
      else masterKeys.add((await unwrapKey(readWrapped(join(dir, n)), PASS)).export().toString('hex'));
    }
  };

  async function getKey(id: string): Promise<string> {
    const s = await connect(port, creds);
    try {
      const r = parseResponseMessage(decodeTtlv(await call(s, byId(Enum.Operation.Get, id), 10_000)));
      assert.equal(r.batchItems[0]!.resultStatus, Enum.ResultStatus.Success, `Get ${id}: ${r.batchItems[0]!.resultMessage}`);
      return Buffer.from(findBytes(r.batchItems[0]!.responsePayload as TtlvItem, Tag.KeyMaterial)!).toString('hex');
    } finally {
      s.destroy();
    }
  }
  const assertSameKeys = async () => {
    for (const [id, hex] of keys) assert.equal(await getKey(id), hex, `key ${id} changed`);
  };
  const stop = async () => {
    if (server) await stopChild(server.child);
    server = undefined;
  };
  const startUnlocked = async () => {
    server = await serve(dir, port);
    assert.equal(server.first, `KMIP server listening on 127.0.0.1:${port}`);
  };
  const startLocked = async () => {
    server = await serve(dir, port);
    assert.match(server.first, /^KMIP server locked: the master key of .* is protected by a passphrase and nothing is served until you run: keyhold master-key unlock --passphrase-stdin --data-dir /);
  };
  const unlock = async () => {
    const r = await cli(['master-key', 'unlock', '--passphrase-stdin', '--data-dir', dir], { input: `${PASS}\n` });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `unlocked: KMIP server listening on 127.0.0.1:${port}\n`);
  };
  const ok = async (args: string[], input?: string) => {
    const r = await cli([...args, '--data-dir', dir], input === undefined ? {} : { input });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const version = async () => Number(/^key version: (\d+)$/m.exec(await ok(['master-key', 'status']))![1]);

  before(async () => {
    port = await freePort();
    creds = await enrolHere(dir, join(root, 'app'), 'app', { grants: [...ALL_GRANTS] });
    await startUnlocked();
    for (const name of ['k1', 'k2', 'k3']) {
      const s = await connect(port, creds);
      const id = ids(parseResponseMessage(decodeTtlv(await call(s, createAes(name), 10_000))));
      s.destroy();
      keys.set(id, await getKey(id));
    }
    await noteKeyFile();
  });

  after(async () => {
    await stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('M01 status with the key file: protection, version 1, running, no retired keys', async () => {
    const out = await ok(['master-key', 'status']);
    assert.match(out, /^protection: {2}key file \(.*master\.key; the server restarts unattended\)$/m);
    assert.match(out, /^key version: 1$/m);
    assert.match(out, /^server: {6}running, unlocked$/m);
    assert.match(out, /^retired: {5}-$/m);
  });

  it('M02 protect with a passphrase while running: master.key is replaced by master.key.locked (0600); the server keeps serving', async () => {
    const short = await cli(['master-key', 'protect', '--passphrase-stdin', '--data-dir', dir], { input: 'too short\n' });
    assert.equal(short.code, 2);
    assert.equal(short.stderr, 'keyhold: --passphrase-stdin: the passphrase must have at least 12 characters\n');
    const noStdin = await cli(['master-key', 'protect', '--data-dir', dir]);
    assert.equal(noStdin.code, 2);
    assert.match(await ok(['master-key', 'protect', '--passphrase-stdin'], `${PASS}\n`), /^master key version 1 is now protected by your passphrase \(.*master\.key\.locked; master\.key removed\)/);
    assert.deepEqual(assertKeyFilesPrivate(dir), [LOCKED_FILE]);
    const w = readWrapped(join(dir, LOCKED_FILE));
    assert.equal(w.kdf, 'scrypt');
    assert.equal(w.N, 2 ** 17);
    assert.equal(w.keyVersion, 1);
    await assertSameKeys();
    const again = await cli(['master-key', 'protect', '--passphrase-stdin', '--data-dir', dir], { input: `${PASS}\n` });
    assert.equal(again.stderr, 'keyhold: the master key is already protected by a passphrase\n');
  });

  it('M03 passphrase protection: serve starts locked; nothing listens; object commands and status say so; engine state is locked', async () => {
    await stop();
    await startLocked();
    await assert.rejects(connect(port, creds), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
    const st = await ok(['master-key', 'status']);
    assert.match(st, /^protection: {2}operator passphrase/m);
    assert.match(st, /^key version: 1$/m);
    assert.match(st, /^server: {6}locked, serving nothing \(unlock: keyhold master-key unlock --passphrase-stdin --data-dir /m);
    const list = await cli(['object', 'list', '--data-dir', dir]);
    assert.equal(list.code, 1);
    assert.match(list.stderr, /^keyhold: cannot list objects: the server is locked: the master key is protected by a passphrase \(keyhold master-key unlock --passphrase-stdin\)\n$/);
    const status = await controlRequest(dir, 'status', {});
    assert.ok(status.reached);
    assert.equal(status.value.state, 'locked');
    assert.equal(status.value.endpoint, null);
    const rotate = await cli(['master-key', 'rotate', '--passphrase-stdin', '--data-dir', dir], { input: `${PASS}\n` });
    assert.match(rotate.stderr, /^keyhold: the server is locked: unlock it first \(keyhold master-key unlock --passphrase-stdin\), then rotate\n$/);
  });

  it('M04 unlock: a wrong passphrase is one line and slows the next attempt; the right one serves the same keys; every attempt is audited', async () => {
    const wrong = await cli(['master-key', 'unlock', '--passphrase-stdin', '--data-dir', dir], { input: 'not the passphrase at all\n' });
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stdout, '');
    assert.equal(wrong.stderr, 'keyhold: wrong passphrase (the next attempt is accepted in 1 s)\n');
    // Within the delay even the right passphrase is not tried.
    const early = await cli(['master-key', 'unlock', '--passphrase-stdin', '--data-dir', dir], { input: `${PASS}\n` });
    if (early.code !== 0) {
      assert.match(early.stderr, /^keyhold: too many wrong passphrases; try again in 1 s\n$/);
      await new Promise((r) => setTimeout(r, 1100));
      await unlock();
    } else {
      // The CLI process took longer than the 1 s delay to start (a loaded machine): the attempt was rightly accepted.
      assert.equal(early.stdout, `unlocked: KMIP server listening on 127.0.0.1:${port}\n`);
    }
    await waitFor(() => server!.out.includes(`KMIP server listening on 127.0.0.1:${port}\n`), 10_000, 'the listening line');
    await assertSameKeys();
    const again = await cli(['master-key', 'unlock', '--passphrase-stdin', '--data-dir', dir], { input: `${PASS}\n` });
    assert.equal(again.stderr, 'keyhold: the server is not locked\n');
    const records = queryAudit(dir).filter((r) => r.operation === 'master key unlock');
    assert.ok(records.some((r) => r.result === 'refused' && /wrong passphrase/.test(r.message ?? '')), JSON.stringify(records));
    assert.ok(records.some((r) => r.result === 'applied' && /^unlocked: master key version 1/.test(r.message ?? '')), JSON.stringify(records));
    assert.ok(queryAudit(dir).some((r) => r.operation === 'server locked'));
  });

  it('M05 rotate online under the passphrase: same key bytes before and after, v1 kept wrapped as retired, a locked restart opens the new version', async () => {
    const noPass = await cli(['master-key', 'rotate', '--data-dir', dir]);
    assert.match(noPass.stderr, /^keyhold: the master key is protected by a passphrase: give it \(--passphrase-stdin\) to wrap the new key under it\n$/);
    const out = await ok(['master-key', 'rotate', '--passphrase-stdin'], `${PASS}\n`);
    assert.match(out, /^master key rotated from version 1 to 2: 3 objects re-encrypted in \d+ ms; version 1 kept as .*master\.key\.v1\.retired/);
    assert.deepEqual(assertKeyFilesPrivate(dir), [LOCKED_FILE, retiredFile(1)]);
    assert.equal(readWrapped(join(dir, LOCKED_FILE)).keyVersion, 2);
    assert.equal(readWrapped(join(dir, retiredFile(1))).keyVersion, 1);
    await noteKeyFile();
    await assertSameKeys();
    const rotated = queryAudit(dir).filter((r) => r.operation === 'master key rotated' && r.result === 'applied');
    assert.equal(rotated.length, 1);
    assert.match(rotated[0]!.message!, /from version 1 to 2: 3 objects re-encrypted/);
    await stop();
    await startLocked();
    await unlock();
    assert.equal(await version(), 2);
    await assertSameKeys();
  });

  it('M06 back to the key file while running: master.key (32 bytes, 0600) replaces the wrapped file, retired keys are unwrapped; restarts unattended', async () => {
    const wrong = await cli(['master-key', 'protect', '--key-file', '--passphrase-stdin', '--data-dir', dir], { input: 'not the passphrase at all\n' });
    assert.equal(wrong.stderr, 'keyhold: wrong passphrase (the next attempt is accepted in 1 s)\n');
    assert.ok(existsSync(join(dir, LOCKED_FILE)));
    await new Promise((r) => setTimeout(r, 1100));
    assert.match(await ok(['master-key', 'protect', '--key-file', '--passphrase-stdin'], `${PASS}\n`), /^master key version 2 is now kept in the key file .*master\.key \(mode 0600\)/);
    assert.deepEqual(assertKeyFilesPrivate(dir), [MASTER_KEY_FILE, retiredFile(1)]);
    assert.equal(statSync(join(dir, MASTER_KEY_FILE)).size, 32);
    assert.equal(statSync(join(dir, retiredFile(1))).size, 32);
    await stop();
    await startUnlocked();
    await assertSameKeys();
    assert.match(await ok(['master-key', 'rotate']), /^master key rotated from version 2 to 3: 3 objects/);
    await assertSameKeys();
    await noteKeyFile();
    await stop();
  });

  for (const [point, finished] of [
    ['rotate-next-written', false],
    ['rotate-committed', true],
    ['rotate-renamed', true],
  ] as const) {
    it(`M07 rotation killed at ${point}: the next start ${finished ? 'finishes' : 'discards'} it and serves the same keys`, async () => {
      const before = await version();
      const r = await cli(['master-key', 'rotate', '--data-dir', dir], { env: { KEYHOLD_TEST_CRASH_AT: point } });
      assert.equal(r.signal, 'SIGKILL', `not killed: ${r.stdout} ${r.stderr}`);
      const files = assertKeyFilesPrivate(dir);
      assert.equal(files.includes(`${MASTER_KEY_FILE}.next`), point !== 'rotate-renamed', files.join(' '));
      await noteKeyFile();
      await startUnlocked();
      await waitFor(() => /key store|listening/.test(server!.err + server!.out), 5_000, 'start-up');
      if (point !== 'rotate-renamed') assert.match(server!.err, finished ? /finished an interrupted master key rotation/ : /discarded the next key of a master key rotation that did not commit/);
      await assertSameKeys();
      assert.equal(await version(), finished ? before + 1 : before);
      const after = assertKeyFilesPrivate(dir);
      assert.ok(!after.includes(`${MASTER_KEY_FILE}.next`), after.join(' '));
      if (finished) assert.ok(after.includes(retiredFile(before)), after.join(' '));
      await stop();
    });
  }

  it('M08 protection changes killed halfway are settled at the next start, each way', async () => {
    // To a passphrase, killed after master.key.locked is written: both files hold the key; the start finishes (locked).
    let r = await cli(['master-key', 'protect', '--passphrase-stdin', '--data-dir', dir], { input: `${PASS}\n`, env: { KEYHOLD_TEST_CRASH_AT: 'protect-locked-written' } });
    assert.equal(r.signal, 'SIGKILL');
    assert.ok(existsSync(join(dir, MASTER_KEY_FILE)) && existsSync(join(dir, LOCKED_FILE)));
    await startLocked();
    assert.ok(!existsSync(join(dir, MASTER_KEY_FILE)));
    assert.match(server!.err, /finished an interrupted change of the master key protection to a passphrase/);
    await unlock();
    await assertSameKeys();
    await stop();
    // Back to the key file, killed after the wrapped file was set aside: undone, still a passphrase.
    r = await cli(['master-key', 'protect', '--key-file', '--passphrase-stdin', '--data-dir', dir], { input: `${PASS}\n`, env: { KEYHOLD_TEST_CRASH_AT: 'unprotect-renamed' } });
    assert.equal(r.signal, 'SIGKILL');
    assert.deepEqual(assertKeyFilesPrivate(dir).filter((n) => !n.includes('retired')), ['master.key.locked.unprotecting']);
    await startLocked();
    assert.match(server!.err, /undid an interrupted change of the master key protection to a key file/);
    await unlock();
    await assertSameKeys();
    await stop();
    // Killed after master.key was written: finished, a key file.
    r = await cli(['master-key', 'protect', '--key-file', '--passphrase-stdin', '--data-dir', dir], { input: `${PASS}\n`, env: { KEYHOLD_TEST_CRASH_AT: 'unprotect-key-written' } });
    assert.equal(r.signal, 'SIGKILL');
    await startUnlocked();
    assert.match(server!.err, /finished an interrupted change of the master key protection to a key file/);
    assert.deepEqual(assertKeyFilesPrivate(dir).filter((n) => !n.includes('retired')), [MASTER_KEY_FILE]);
    await assertSameKeys();
    await stop();
  });

  it('M09 a rotation under the passphrase killed after its commit is finished by the unlock', async () => {
    await ok(['master-key', 'protect', '--passphrase-stdin'], `${PASS}\n`);
    const before = await version();
    const r = await cli(['master-key', 'rotate', '--passphrase-stdin', '--data-dir', dir], { input: `${PASS}\n`, env: { KEYHOLD_TEST_CRASH_AT: 'rotate-committed' } });
    assert.equal(r.signal, 'SIGKILL');
    assert.ok(existsSync(join(dir, `${LOCKED_FILE}.next`)));
    await noteKeyFile();
    await startLocked();
    await unlock();
    await waitFor(() => /finished an interrupted master key rotation/.test(server!.err), 5_000, 'the rotation note');
    await assertSameKeys();
    assert.equal(await version(), before + 1);
    assert.equal(readWrapped(join(dir, retiredFile(before))).keyVersion, before);
    assertKeyFilesPrivate(dir);
    await stop();
  });

  it('M10 no master key bytes and no passphrase in any output, log or audit record', () => {
    assert.ok(masterKeys.size >= 5, `saw ${masterKeys.size} master key versions`);
    const audit = JSON.stringify(queryAudit(dir));
    for (const hex of masterKeys) {
      const b64 = Buffer.from(hex, 'hex').toString('base64');
      for (const [what, text] of [['output', printed], ['audit', audit]] as const) {
        assert.ok(!text.toLowerCase().includes(hex), `${what} holds a master key (hex)`);
        assert.ok(!text.includes(b64), `${what} holds a master key (base64)`);
      }
    }
    assert.ok(!printed.includes(PASS) && !audit.includes(PASS), 'the passphrase was printed or audited');
    assert.ok(!printed.includes('not the passphrase at all') && !audit.includes('not the passphrase at all'), 'a wrong passphrase was printed or audited');
  });
});

describe('master key: store level', { timeout: 300_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-mks-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('S01 rotateMaterial re-encrypts live and soft-deleted material in one go; the old key no longer opens the store', () => {
    const dir = join(root, 's1');
    const store = openStore(dir);
    const material = new Map<string, Buffer>();
    for (let i = 0; i < 20; i++) {
      const m = randomBytes(32);
      material.set(store.createObject({ objectType: 2, state: 1, material: m }), m);
    }
    const [gone] = [...material.keys()];
    store.destroy(gone!, { retainUntil: Date.now() + 86_400_000 });
    const oldKey = readFileSync(join(dir, MASTER_KEY_FILE));
    const r = store.rotateMaterial(createSecretKey(randomBytes(32)));
    assert.deepEqual(r, { version: 2, objects: 19, retained: 1 });
    const versions = store.connection.prepare('SELECT key_version FROM object_material UNION ALL SELECT key_version FROM retained_material').pluck().all();
    assert.ok(versions.length === 20 && versions.every((v) => v === 2), JSON.stringify(versions));
    for (const [id, m] of material) {
      if (id === gone) assert.deepEqual(Buffer.from(store.getRetainedMaterial(id)!), m);
      else assert.deepEqual(Buffer.from(store.getMaterial(id)!), m);
    }
    store.close();
    // The files were not touched (rotateMasterKey does that): the old key file no longer belongs to the database.
    assert.deepEqual(readFileSync(join(dir, MASTER_KEY_FILE)), oldKey);
    assert.throws(() => openStore(dir), /the master key file does not belong to this database/);
  });

  it('S02 deriveSubkey: stable per info, distinct per info, follows the rotation, reports its version', () => {
    const store = openStore(join(root, 's2'));
    try {
      const a = store.deriveSubkey('keyhold/backup/v1');
      assert.equal(a.version, 1);
      assert.equal(a.key.symmetricKeySize, 32);
      assert.ok(a.key.equals(store.deriveSubkey('keyhold/backup/v1').key));
      assert.ok(!a.key.equals(store.deriveSubkey('other').key));
      assert.throws(() => store.deriveSubkey(''), /non-empty info/);
      store.rotateMaterial(createSecretKey(randomBytes(32)));
      const b = store.deriveSubkey('keyhold/backup/v1');
      assert.equal(b.version, 2);
      assert.ok(!a.key.equals(b.key));
    } finally {
      store.close();
    }
  });

  it('S03 wrapped keys: the right passphrase unwraps, a wrong one or a relabelled version is "wrong passphrase"', async () => {
    const key = createSecretKey(randomBytes(32));
    const file = join(root, 'wrapped');
    writeFileSync(file, await wrapKey(key, 7, PASS), { mode: 0o600 });
    const w = readWrapped(file);
    assert.ok((await unwrapKey(w, PASS)).equals(key));
    await assert.rejects(unwrapKey(w, `${PASS}!`), (e: unknown) => e instanceof WrongPassphraseError && (e as Error).message === 'wrong passphrase');
    // The key version is authenticated data: a file relabelled as another version does not open.
    await assert.rejects(unwrapKey({ ...w, keyVersion: 8 }, PASS), WrongPassphraseError);
    writeFileSync(file, '{"format":"keyhold-master-key"}', { mode: 0o600 });
    assert.throws(() => readWrapped(file), /is not a Keyhold wrapped master key/);
  });

  it('S04 the throttle delays grow 1, 2, 4 s… and a right passphrase resets them', async () => {
    let now = 0;
    const t = new PassphraseThrottle(() => now);
    const wrong = () => t.attempt(() => Promise.reject(new WrongPassphraseError()));
    await assert.rejects(wrong(), /wrong passphrase \(the next attempt is accepted in 1 s\)/);
    await assert.rejects(t.attempt(async () => 1), /too many wrong passphrases; try again in 1 s/);
    now += 1000;
    await assert.rejects(wrong(), /accepted in 2 s/);
    now += 2000;
    await assert.rejects(wrong(), /accepted in 4 s/);
    now += 4000;
    assert.equal(await t.attempt(async () => 'ok'), 'ok');
    await assert.rejects(wrong(), /accepted in 1 s/);
  });

  it('S06 a rotation is refused inside another open transaction (an Undo batch), leaving the key as it was', () => {
    const store = openStore(join(root, 's6'));
    try {
      const m = randomBytes(32);
      const id = store.createObject({ objectType: 2, state: 1, material: m });
      const batch = store.beginBatch();
      assert.throws(() => store.rotateMaterial(createSecretKey(randomBytes(32))), /cannot be rotated inside another transaction/);
      batch.rollback();
      assert.equal(store.masterKeyVersion, 1);
      assert.deepEqual(Buffer.from(store.getMaterial(id)!), m);
    } finally {
      store.close();
    }
  });

  it('S05 rotation of 10,000 objects, timed', (t) => {
    const store = openStore(join(root, 's5'));
    try {
      const sample = new Map<string, Buffer>();
      store.transaction(() => {
        for (let i = 0; i < 10_000; i++) {
          const m = randomBytes(32);
          const id = store.createObject({ objectType: 2, state: 2, material: m });
          if (i % 1000 === 0) sample.set(id, m);
        }
      });
      const t0 = performance.now();
      const r = store.rotateMaterial(createSecretKey(randomBytes(32)));
      const ms = Math.round(performance.now() - t0);
      t.diagnostic(`rotation re-encrypted ${r.objects} objects in ${ms} ms`);
      assert.equal(r.objects, 10_000);
      for (const [id, m] of sample) assert.deepEqual(Buffer.from(store.getMaterial(id)!), m);
    } finally {
      store.close();
    }
  });
});
