// Recovery (issue 6, point 5): the start check refuses a damaged database, a
// truncated one, one whose material the master key does not open, and one
// opened with the wrong master key, each with one sentence that points to the
// newest verified backup, and leaves the file exactly as it was; what
// quick_check cannot see; master-key backups (no master key in the file,
// wrong key refused, restore with the key file); restore --undo; the
// same-device warning; `keyhold backup now` through a running server's
// control socket and without a server.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { Enum } from '../shared/kmip/registry/index.js';
import { openStore, ObjectState } from '../main/store/index.js';
import { listBackups } from '../main/backup/backup.js';
import { REPO_ROOT } from './support/reference.js';
import { runCli } from './support/cli.js';
import { startServe, stopChild } from './support/kmip-tls.js';

const BIN = join(REPO_ROOT, 'bin', 'keyhold.mjs');

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** `keyhold serve` on dir: resolves with its exit status and stderr once it exits (bounded). */
function serveOnce(dir: string): Promise<{ status: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dir, '--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes('listening')) child.kill('SIGTERM');
    });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`serve did not exit: ${stderr}`)); }, 60_000);
    child.on('exit', (status) => { clearTimeout(timer); resolve({ status, stderr, stdout }); });
  });
}

/** The serve's failure line (warnings and info lines left out), asserting there is exactly one. */
function theLine(stderr: string): string {
  const lines = stderr.trim().split('\n').filter((l) => !/ (info|warn) /.test(l) && l !== '');
  assert.equal(lines.length, 1, stderr);
  return lines[0]!;
}

/** A store with `n` AES keys (material: random bytes wrapped as the store keeps any material). */
function seed(dir: string, n: number, names: string[] = []): { ids: string[] } {
  const store = openStore(dir);
  const ids: string[] = [];
  try {
    store.transaction(() => {
      for (let i = 0; i < n; i++) {
        const name = names[i] ?? `key-${i}`;
        ids.push(
          store.createObject({
            objectType: Enum.ObjectType.SymmetricKey,
            state: ObjectState.Active,
            attributes: [{ name: 'Name', value: { type: 'Structure', value: [{ tag: 0x420055, type: 'TextString', value: name }, { tag: 0x420054, type: 'Enumeration', value: 1 }] } }],
            material: randomBytes(32),
          }),
        );
      }
    });
  } finally {
    store.close();
  }
  return { ids };
}

describe('recovery at start', { timeout: 300_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-recovery-'));
  const good = join(root, 'good');
  const folder = join(root, 'backups');
  let backupFile = '';

  before(async () => {
    seed(good, 50, ['needle-name-0123456789']);
    const c = await runCli(['backup', 'configure', '--data-dir', good, '--folder', folder, '--protection', 'master-key']);
    assert.equal(c.status, 0, c.err);
    // No server runs: `backup now` takes the lock and backs up itself.
    const b = await runCli(['backup', 'now', '--data-dir', good]);
    assert.equal(b.status, 0, b.err);
    assert.match(b.out, /backup written and verified: .*keyhold-\d{8}-\d{6}\.khbak \(50 objects/);
    assert.match(b.out, /keep a copy of .*master\.key/);
    backupFile = (await listBackups(folder))[0]!.file;
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  /** A copy of the good data dir, damaged by `damage`. */
  function damaged(name: string, damage: (db: string) => void): string {
    const d = join(root, name);
    cpSync(good, d, { recursive: true });
    damage(join(d, 'keyhold.db'));
    return d;
  }

  async function refusedAtStart(d: string, problem: RegExp): Promise<void> {
    const db = join(d, 'keyhold.db');
    const before = sha(db);
    const files = readdirSync(d).sort();
    const r = await serveOnce(d);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, '');
    const line = theLine(r.stderr);
    assert.match(line, problem);
    assert.match(line, new RegExp(`it was not served or changed; restore the newest verified backup \\(.*, 50 objects\\) with: keyhold backup restore ${backupFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} --data-dir ${d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    assert.equal(sha(db), before, 'the database file changed');
    // No -wal or -shm was created or removed (the check's read-only connection leaves none).
    const db_ = (fs: string[]) => fs.filter((f) => f.startsWith('keyhold.db'));
    assert.deepEqual(db_(readdirSync(d).sort()), db_(files));
  }

  it('R01 a byte-flipped keyhold.db (a b-tree page header) is refused at start with one sentence, and not changed', async () => {
    const d = damaged('flipped', (db) => {
      const b = readFileSync(db);
      const page = b.readUInt16BE(16) === 1 ? 65536 : b.readUInt16BE(16);
      b[page * 2]! ^= 0xff; // the page-type byte of page 3
      writeFileSync(db, b);
    });
    await refusedAtStart(d, /^keyhold: cannot run the server: the key store .*keyhold\.db is damaged \((quick_check: .*|it cannot be read: SQLITE_CORRUPT)\);/);
  });

  it('R02 a truncated keyhold.db is refused at start with one sentence, and not changed', async () => {
    const d = damaged('truncated', (db) => truncateSync(db, Math.floor(readFileSync(db).length / 2)));
    await refusedAtStart(d, /^keyhold: cannot run the server: the key store .*keyhold\.db is damaged/);
  });

  it('R03 a flipped byte inside stored key material passes quick_check but not the material check at start', async () => {
    const d = damaged('material', (db) => {
      const conn = new Database(db, { readonly: true });
      const ct = conn.prepare('SELECT ciphertext FROM object_material LIMIT 1 OFFSET 7').pluck().get() as Buffer;
      conn.close();
      const b = readFileSync(db);
      const at = b.indexOf(ct);
      assert.ok(at > 0);
      b[at + 10]! ^= 0x01;
      writeFileSync(db, b);
    });
    const conn = new Database(join(d, 'keyhold.db'), { readonly: true });
    assert.equal(conn.pragma('quick_check', { simple: true }), 'ok');
    conn.close();
    await refusedAtStart(d, /the key store's material does not open with the master key \(stored material of object .* failed authentication/);
  });

  it('R04 what the start check cannot see: a flipped byte inside a non-material attribute value (a Name) passes', async () => {
    const d = damaged('name', (db) => {
      const b = readFileSync(db);
      let at = b.indexOf(Buffer.from('needle-name-0123456789'));
      let n = 0;
      // Every copy: the attribute row and its index entry.
      while (at >= 0) {
        b[at + 12] = '9'.charCodeAt(0) === b[at + 12] ? 0x38 : 0x39;
        at = b.indexOf(Buffer.from('needle-name-0123456789'), at + 1);
        n++;
      }
      assert.ok(n >= 1);
      writeFileSync(db, b);
    });
    const serve = await startServe(BIN, d);
    await stopChild(serve.child);
    assert.match(serve.stderr, /key store checked in \d+ ms: quick_check, schema, master key, 50 of 50 sealed objects opened \(all\)/);
  });

  it('R05 the wrong master key is refused at start with one sentence, before any migration, and nothing changes', async () => {
    const d = damaged('wrongkey', () => {});
    writeFileSync(join(d, 'master.key'), randomBytes(32), { mode: 0o600 });
    await refusedAtStart(d, /^keyhold: cannot run the server: the master key file .*master\.key does not open the key store .*keyhold\.db;/);
  });

  it('R06 a master-key backup holds no master key; a wrong master key, a truncated and a flipped file are refused with one line', async () => {
    const bytes = readFileSync(backupFile);
    assert.ok(bytes.indexOf(readFileSync(join(good, 'master.key'))) < 0, 'master key in the backup');
    const ok = await runCli(['backup', 'verify', backupFile, '--data-dir', good]);
    assert.equal(ok.status, 0, ok.err);
    const other = join(root, 'other.key');
    writeFileSync(other, randomBytes(32), { mode: 0o600 });
    const wrong = await runCli(['backup', 'verify', backupFile, '--master-key', other]);
    assert.equal(wrong.status, 1);
    assert.equal(wrong.err.trim().split('\n').length, 1);
    assert.match(wrong.err, /^keyhold: the master key .*other\.key does not match the one this backup was made with/);
    const t = join(root, 't.khbak');
    writeFileSync(t, bytes.subarray(0, bytes.length - 1));
    const tr = await runCli(['backup', 'verify', t, '--data-dir', good]);
    assert.equal(tr.status, 1);
    assert.match(tr.err, /^keyhold: t\.khbak is not usable: the backup file is damaged or was changed \(it ends inside a chunk: truncated\)\n$/);
    const f = Buffer.from(bytes);
    f[f.length - 500]! ^= 0x80;
    writeFileSync(t, f);
    const fl = await runCli(['backup', 'verify', t, '--data-dir', good]);
    assert.match(fl.err, /^keyhold: t\.khbak is not usable: the backup file is damaged or was changed \(chunk \d+ does not authenticate\)\n$/);
  });

  it('R07 restore into the damaged data dir sets it aside, serves again, and --undo puts it back keeping the restored one', async () => {
    const d = damaged('restore-here', (db) => truncateSync(db, 8192));
    const damagedHash = sha(join(d, 'keyhold.db'));
    const r = await runCli(['backup', 'restore', backupFile, '--data-dir', d]);
    assert.equal(r.status, 0, r.err);
    const aside = /kept as (\S+);/.exec(r.out)![1]!;
    assert.equal(sha(join(aside, 'keyhold.db')), damagedHash, 'the set-aside data dir is the damaged one, unchanged');
    assert.ok(existsSync(join(d, 'master.key')));
    const serve = await startServe(BIN, d);
    await stopChild(serve.child);
    const u = await runCli(['backup', 'restore', '--undo', '--data-dir', d]);
    assert.equal(u.status, 0, u.err);
    assert.equal(sha(join(d, 'keyhold.db')), damagedHash);
    const kept = /kept as (\S+)\n/.exec(u.out)![1]!;
    assert.ok(existsSync(join(kept, 'keyhold.db')));
    assert.ok(!existsSync(aside));
    const again = await runCli(['backup', 'restore', '--undo', '--data-dir', d]);
    assert.equal(again.status, 1);
    assert.match(again.err, /not made by keyhold backup restore .* nothing to undo/);
  });

  it('R08 a restore refuses a damaged backup before touching the data dir', async () => {
    const d = damaged('untouched', () => {});
    const t = join(root, 'bad.khbak');
    const f = readFileSync(backupFile);
    f[f.length - 100]! ^= 1;
    writeFileSync(t, f);
    const before = readdirSync(root).sort();
    const r = await runCli(['backup', 'restore', t, '--data-dir', d]);
    assert.equal(r.status, 1);
    assert.match(r.err, /^keyhold: not restored \(the data dir is unchanged\): the backup file is damaged/);
    assert.deepEqual(readdirSync(root).sort(), before, 'no set-aside or staging folder left');
  });

  it('R09 configure warns when the backup folder is on the data dir\'s device; backup now goes through a running server', async () => {
    const c = await runCli(['backup', 'configure', '--data-dir', good, '--keep', '5']);
    assert.match(c.err, /^keyhold: warning: the backup folder .* is on the same device as the data dir .*: a failed disk would take both; put backups on another volume\n$/);
    const serve = await startServe(BIN, good);
    try {
      assert.match(serve.stderr, /warn keyhold: the backup folder .* is on the same device/);
      const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'backup', 'now', '--data-dir', good], { timeout: 60_000 });
      assert.match(stdout, /backup written and verified: .* \(50 objects/);
      // The store is the server's (exclusive): only the control socket could have done it.
      const v = await promisify(execFile)(process.execPath, [BIN, 'backup', 'verify', (await listBackups(folder))[0]!.file, '--data-dir', good], { timeout: 60_000 });
      assert.match(v.stdout, /verified: 50 objects/);
      // keyhold status names the schedule and the newest verified backup.
      const newest = (await listBackups(folder)).filter((b) => b.verified !== null).sort((a, b) => (a.name < b.name ? -1 : 1)).at(-1)!;
      const st = await promisify(execFile)(process.execPath, [BIN, 'status', '--data-dir', good], { timeout: 60_000 });
      const line = st.stdout.split('\n').find((l) => l.startsWith('backups: '));
      assert.equal(line, `backups: off to ${folder}; newest verified ${newest.verified!.created} (50 objects, ${newest.name})`, st.stdout);
    } finally {
      await stopChild(serve.child);
    }
  });
});


