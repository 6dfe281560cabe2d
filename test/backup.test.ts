// Backups (main/backup, main/server/backup-service.ts, `keyhold backup …`):
// settings and schedule with an injected clock; backups of a live server
// (startServer in-process, real mutual-TLS clients) taken while a load
// generator creates keys; restore into a fresh data dir served to PyKMIP; no
// key bytes in a backup file; refusals of wrong keys and damaged files;
// restore --undo; retention; the same-device warning; refuseUnbackedKeys.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type tls from 'node:tls';
import { parseResponseMessage, type ResponseBatchItem } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv } from '../shared/kmip/ttlv/index.js';
import { silentLogger } from '../main/admin/log.js';
import type { AuditRecord } from '../main/audit/audit-log.js';
import { parseGrants } from '../main/access/policy.js';
import { startServer, type RunningServer } from '../main/server/serve.js';
import { DEFAULT_BACKUP_SETTINGS, formatSchedule, nextDue, parseBackupSettings, parseSchedule, formatBackupSettings } from '../main/backup/settings.js';
import { listBackups } from '../main/backup/backup.js';
import { openStore } from '../main/store/index.js';
import { call, connect, enrolHere, findBytes, type Creds } from './support/kmip-tls.js';
import { byId, createAes } from './support/kmip-requests.js';
import { PYTHON, pykmipProblem } from './support/pykmip.js';
import { REPO_ROOT } from './support/reference.js';
import { runCli } from './support/cli.js';

const DRIVER = join(REPO_ROOT, 'test', 'interop', 'pykmip_backup.py');
const PASSPHRASE = 'correct horse battery staple';

const oneLine = (s: string) => s.trim().split('\n').length === 1 && s.trim() !== '';

function contains(hay: Buffer, needle: Uint8Array): boolean {
  return hay.indexOf(Buffer.from(needle)) >= 0;
}

/** A live server on `dir` with one client "admin" (all permissions) connected. */
class Live {
  server!: RunningServer;
  conn!: tls.TLSSocket;
  creds!: Creds;
  audit: AuditRecord[] = [];
  constructor(
    readonly dir: string,
    readonly credsDir: string,
  ) {}

  async start(enrol: boolean, opts: { backupCheckMs?: number; clock?: () => Date } = {}): Promise<void> {
    this.server = await startServer({ dataDir: this.dir, host: '127.0.0.1', port: 0, log: silentLogger, onAuditRecord: (r) => this.audit.push(r), ...opts });
    if (enrol) this.creds = await enrolHere(this.dir, this.credsDir, 'admin', { grants: parseGrants('all') });
    else this.creds = { cert: readFileSync(join(this.credsDir, 'admin.crt'), 'utf8'), key: readFileSync(join(this.credsDir, 'admin.key'), 'utf8'), ca: readFileSync(join(this.credsDir, 'ca.crt'), 'utf8') };
    this.conn = await this.connect();
  }

  /** Connects, retrying for up to 2 s (a just-enrolled client reaches the server's list within a second). */
  async connect(): Promise<tls.TLSSocket> {
    const until = Date.now() + 2000;
    for (;;) {
      try {
        const s = await connect(this.server.address.port, this.creds);
        await call(s, byId(Enum.Operation.GetAttributes, 'none'));
        return s;
      } catch (e) {
        if (Date.now() > until) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async ask(bytes: Uint8Array, s = this.conn): Promise<ResponseBatchItem> {
    return parseResponseMessage(decodeTtlv(await call(s, bytes, 10_000))).batchItems[0]!;
  }

  async create(name: string, s = this.conn): Promise<string> {
    const r = await this.ask(createAes(name), s);
    assert.equal(r.resultStatus, Enum.ResultStatus.Success, r.resultMessage);
    return (findUid(r))!;
  }

  async getKey(id: string): Promise<Uint8Array> {
    const r = await this.ask(byId(Enum.Operation.Get, id));
    assert.equal(r.resultStatus, Enum.ResultStatus.Success, r.resultMessage);
    return findBytes(r.responsePayload!, Tag.KeyMaterial)!;
  }

  async stop(): Promise<void> {
    this.conn?.destroy();
    await this.server?.stop();
  }
}

function findUid(r: ResponseBatchItem): string | undefined {
  const p = r.responsePayload;
  if (p?.type !== 'Structure') return undefined;
  const u = p.value.find((c) => c.tag === Tag.UniqueIdentifier);
  return u?.type === 'TextString' ? u.value : undefined;
}

describe('backup settings and schedule', () => {
  it('B01 parses, formats and checks backup.json; every problem is one line naming the field', () => {
    for (const t of ['off', 'daily at 02:30', 'weekly on sunday at 03:00', 'every 6 hours', 'every 1 hour']) assert.equal(formatSchedule(parseSchedule(t)), t);
    assert.equal(formatSchedule(parseSchedule('Weekly on Tue at 7:05')), 'weekly on tuesday at 07:05');
    assert.throws(() => parseSchedule('daily at 25:00'), /not a time of day/);
    assert.throws(() => parseSchedule('weekly on funday at 01:00'), /not a day of the week/);
    assert.throws(() => parseSchedule('hourly'), /is not a schedule/);
    assert.throws(() => parseSchedule('every 0 hours'), /N from 1 to 744/);
    const s = parseBackupSettings(JSON.stringify({ schedule: 'daily at 01:00', folder: '/b', keep: 3, protection: 'master-key' }), 'backup.json');
    assert.deepEqual(parseBackupSettings(formatBackupSettings(s), 'x'), s);
    assert.throws(() => parseBackupSettings('{"keep":0}', 'backup.json'), /^Error: backup\.json: keep must be a whole number from 1 to 10000$/);
    assert.throws(() => parseBackupSettings('{"folder":"rel/dir"}', 'backup.json'), /folder must be an absolute path/);
    assert.throws(() => parseBackupSettings('{"schedule":"daily at 01:00"}', 'backup.json'), /a schedule needs a folder/);
    assert.throws(() => parseBackupSettings('{"protection":"passphrase","folder":"/b"}', 'backup.json'), /needs a passphraseKey/);
    assert.throws(() => parseBackupSettings('{"colour":1}', 'backup.json'), /unknown field "colour"/);
    assert.deepEqual(parseBackupSettings('{}', 'x'), DEFAULT_BACKUP_SETTINGS);
  });

  it('B02 works out the next due time from the schedule with an injected clock', () => {
    const at = (s: string) => new Date(s);
    // Local times: the schedule is the server's local time of day.
    const start = at('2026-03-10T10:00:00');
    assert.equal(nextDue(parseSchedule('off'), null, start), null);
    // Every N hours: at once when there was no backup, else N hours after the last one.
    assert.equal(nextDue(parseSchedule('every 6 hours'), null, start)!.getTime(), start.getTime());
    assert.equal(nextDue(parseSchedule('every 6 hours'), at('2026-03-10T09:00:00'), start)!.getTime(), at('2026-03-10T15:00:00').getTime());
    // Daily: the first slot after the last backup, or after the start when there was none.
    assert.equal(nextDue(parseSchedule('daily at 02:00'), null, start)!.getTime(), at('2026-03-11T02:00:00').getTime());
    assert.equal(nextDue(parseSchedule('daily at 12:00'), null, start)!.getTime(), at('2026-03-10T12:00:00').getTime());
    // A slot missed while the server was down is due at once (caught up once).
    assert.ok(nextDue(parseSchedule('daily at 02:00'), at('2026-03-07T02:00:01'), start)!.getTime() <= start.getTime());
    assert.equal(nextDue(parseSchedule('daily at 02:00'), at('2026-03-10T02:00:00'), start)!.getTime(), at('2026-03-11T02:00:00').getTime());
    // Weekly: 2026-03-10 is a Tuesday.
    assert.equal(nextDue(parseSchedule('weekly on sunday at 03:00'), null, start)!.getTime(), at('2026-03-15T03:00:00').getTime());
    assert.equal(nextDue(parseSchedule('weekly on tuesday at 11:00'), null, start)!.getTime(), at('2026-03-10T11:00:00').getTime());
    assert.equal(nextDue(parseSchedule('weekly on tuesday at 09:00'), null, start)!.getTime(), at('2026-03-17T09:00:00').getTime());
  });
});

describe('backups of a live server', { timeout: 300_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-backup-'));
  const dir = join(root, 'data');
  const folder = join(root, 'backups');
  const live = new Live(dir, join(root, 'creds'));
  /** Clock the scheduler and the store read; tests move it. */
  let now = new Date('2026-03-10T10:00:00');
  const keys = new Map<string, Uint8Array>();

  before(async () => {
    await live.start(true, { backupCheckMs: 50, clock: () => now });
    for (const n of ['alpha', 'beta', 'gamma']) {
      const id = await live.create(n);
      keys.set(id, await live.getKey(id));
    }
  });
  after(async () => {
    await live.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('B03 configure writes backup.json, says what to keep safe, and the server applies it', async () => {
    const bad = await runCli(['backup', 'configure', '--data-dir', dir, '--folder', folder, '--protection', 'passphrase']);
    assert.equal(bad.status, 2);
    assert.match(bad.err, /needs the backup passphrase on standard input/);
    const short = await runCli(['backup', 'configure', '--data-dir', dir, '--folder', folder, '--protection', 'passphrase', '--passphrase-stdin'], 'short\n');
    assert.match(short.err, /at least 12 characters/);
    const r = await runCli(['backup', 'configure', '--data-dir', dir, '--folder', folder, '--protection', 'passphrase', '--passphrase-stdin', '--keep', '3'], `${PASSPHRASE}\n`);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /keep the backup passphrase safe/);
    const text = readFileSync(join(dir, 'backup.json'), 'utf8');
    assert.ok(!text.includes(PASSPHRASE));
    const until = Date.now() + 2000;
    while (live.server.backups.status().settings.folder !== folder && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
    assert.equal(live.server.backups.status().settings.protection, 'passphrase');
  });

  it('B04 a backup holds no key bytes and no master key in the clear; list shows it verified', async () => {
    const r = await live.server.backups.runNow('operator');
    assert.equal(r.objects, 3);
    const bytes = readFileSync(r.file);
    for (const [id, k] of keys) assert.ok(!contains(bytes, k), `key ${id} in the clear`);
    assert.ok(!contains(bytes, readFileSync(join(dir, 'master.key'))), 'master key in the clear');
    assert.ok(!contains(bytes, Buffer.from('alpha')), 'a key name in the clear');
    const list = await runCli(['backup', 'list', '--data-dir', dir]);
    assert.equal(list.status, 0, list.err);
    assert.match(list.out, /keyhold-\d{8}-\d{6}\.khbak\t.*\t3 objects\tverified .*\tpassphrase/);
    assert.ok(live.audit.some((a) => a.operation === 'backup written' && a.message?.includes('3 objects')));
  });

  it('B05 verify needs the right passphrase; a wrong one, a truncated and a byte-flipped file are refused with one line', async () => {
    const [b] = await listBackups(folder);
    const ok = await runCli(['backup', 'verify', b!.file, '--data-dir', dir, '--passphrase-stdin'], `${PASSPHRASE}\n`);
    assert.equal(ok.status, 0, ok.err);
    assert.match(ok.out, /verified: 3 objects/);
    const wrong = await runCli(['backup', 'verify', b!.file, '--data-dir', dir, '--passphrase-stdin'], 'not the passphrase at all\n');
    assert.equal(wrong.status, 1);
    assert.ok(oneLine(wrong.err), wrong.err);
    assert.match(wrong.err, /the backup passphrase is wrong/);
    const none = await runCli(['backup', 'verify', b!.file, '--data-dir', dir]);
    assert.match(none.err, /protected by the backup passphrase: give it on standard input/);
    const data = readFileSync(b!.file);
    const truncated = join(root, 'truncated.khbak');
    writeFileSync(truncated, data.subarray(0, data.length - 100));
    const t = await runCli(['backup', 'verify', truncated, '--data-dir', dir, '--passphrase-stdin'], `${PASSPHRASE}\n`);
    assert.equal(t.status, 1);
    assert.ok(oneLine(t.err), t.err);
    assert.match(t.err, /damaged or was changed/);
    // Whole chunks cut off at a chunk boundary: no chunk marked last.
    const flipped = join(root, 'flipped.khbak');
    for (const at of [data.length - 40, Math.floor(data.length / 2), 30]) {
      const copy = Buffer.from(data);
      copy[at]! ^= 0x01;
      writeFileSync(flipped, copy);
      const f = await runCli(['backup', 'verify', flipped, '--data-dir', dir, '--passphrase-stdin'], `${PASSPHRASE}\n`);
      assert.equal(f.status, 1, `flip at ${at}`);
      assert.ok(oneLine(f.err), f.err);
      assert.match(f.err, /damaged or was changed|passphrase is wrong|not a Keyhold backup|does not authenticate/, `flip at ${at}: ${f.err}`);
    }
  });

  it('B06 refuseUnbackedKeys: a key created after the newest verified backup is refused by Get until the next backup', async () => {
    const r = await runCli(['backup', 'configure', '--data-dir', dir, '--refuse-unbacked', 'on']);
    assert.equal(r.status, 0, r.err);
    const until = Date.now() + 2000;
    while (!live.server.backups.status().settings.refuseUnbackedKeys && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
    const id = await live.create('fresh');
    const refused = await live.ask(byId(Enum.Operation.Get, id));
    assert.equal(refused.resultStatus, Enum.ResultStatus.OperationFailed);
    assert.equal(refused.resultReason, Enum.ResultReason.PermissionDenied);
    assert.equal(refused.resultMessage, `object '${id}' is not yet in a verified backup; it is served after the next backup`);
    // Other operations work as usual; older keys are served.
    const attrs = await live.ask(byId(Enum.Operation.GetAttributes, id));
    assert.equal(attrs.resultStatus, Enum.ResultStatus.Success);
    await live.getKey([...keys.keys()][0]!);
    await live.server.backups.runNow('operator');
    keys.set(id, await live.getKey(id));
    await runCli(['backup', 'configure', '--data-dir', dir, '--refuse-unbacked', 'off']);
  });

  it('B07 the schedule runs a backup when the injected clock reaches the due time', async () => {
    const before = (await listBackups(folder)).length;
    const r = await runCli(['backup', 'configure', '--data-dir', dir, '--schedule', 'every 2 hours']);
    assert.equal(r.status, 0, r.err);
    const wait = async (n: number) => {
      const until = Date.now() + 5000;
      while ((await listBackups(folder)).length < n && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
      return (await listBackups(folder)).length;
    };
    // The last backup was at `now`: nothing is due until two hours later.
    await new Promise((res) => setTimeout(res, 300));
    assert.equal((await listBackups(folder)).length, before);
    now = new Date(now.getTime() + 2 * 3_600_000 + 1000);
    assert.equal(await wait(before + 1), Math.min(before + 1, 3));
    assert.ok(live.audit.some((a) => a.operation === 'backup written' && a.message?.includes('scheduled')));
    await runCli(['backup', 'configure', '--data-dir', dir, '--schedule', 'off']);
  });

  it('B10 a backup taken while a load generator creates keys holds every key whose Create was acknowledged before it started', async () => {
    const conns = await Promise.all([0, 1, 2, 3].map(() => live.connect()));
    const acked: string[] = [];
    let stop = false;
    const LIMIT = 1500;
    const gen = conns.map(async (s, c) => {
      for (let i = 0; !stop && acked.length < LIMIT; i++) acked.push(await live.create(`load-${c}-${i}`, s));
    });
    while (acked.length < 200) await new Promise((res) => setTimeout(res, 5));
    const before = [...acked];
    const result = await live.server.backups.runNow('operator');
    const during = acked.length - before.length;
    stop = true;
    await Promise.all(gen);
    for (const s of conns) s.destroy();
    const fresh = join(root, 'load-restore');
    const r = await runCli(['backup', 'restore', result.file, '--data-dir', fresh, '--passphrase-stdin'], `${PASSPHRASE}\n`);
    assert.equal(r.status, 0, r.err);
    const store = openStore(fresh);
    try {
      for (const id of before) assert.equal(store.getObject(id).id, id);
      assert.equal(store.objectCount().count, result.objects);
    } finally {
      store.close();
    }
    // The generator kept going while the backup ran (the snapshot is online, not a stop-the-world).
    assert.ok(acked.length > before.length, `no Create was acknowledged during or after the backup (${during})`);
  });

  it('B08 retention keeps `keep` verified backups and never the newest verified one', async () => {
    for (let i = 0; i < 3; i++) {
      now = new Date(now.getTime() + 60_000);
      await live.server.backups.runNow('operator');
    }
    const list = await listBackups(folder);
    assert.equal(list.length, 3);
    assert.ok(list.every((b) => b.verified !== null));
    // Names are UTC times: the newest is the last one made.
    assert.equal(list[0]!.core!.created, now.toISOString());
    assert.equal(readdirSync(folder).filter((n) => n.endsWith('.verified')).length, 3);
  });

  it('B09 restore into a fresh data dir; PyKMIP gets the same key bytes from it', async (t) => {
    const problem = pykmipProblem();
    assert.equal(problem, undefined, problem);
    const [b] = await listBackups(folder);
    const fresh = join(root, 'restored');
    const r = await runCli(['backup', 'restore', b!.file, '--data-dir', fresh, '--passphrase-stdin'], `${PASSPHRASE}\n`);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /there was no data dir before/);
    // Everything restored is in a verified backup (this one): refuseUnbackedKeys serves it at once.
    const restored = openStore(fresh);
    const note = JSON.parse(Buffer.from(restored.getMeta('backup/verified')!).toString('utf8')) as { maxSeq: number };
    restored.close();
    assert.equal(note.maxSeq, b!.verified!.maxSeq);
    const other = await startServer({ dataDir: fresh, host: '127.0.0.1', port: 0, log: silentLogger });
    t.after(() => other.stop());
    for (const [id, k] of keys) {
      const { stdout } = await promisify(execFile)(PYTHON, [DRIVER, 'get', '--port', String(other.address.port), '--cert', join(root, 'creds', 'admin.crt'), '--key', join(root, 'creds', 'admin.key'), '--ca', join(root, 'creds', 'ca.crt'), '--id', id], { timeout: 60_000 });
      const got = JSON.parse(stdout) as { key?: string; error?: string };
      assert.equal(got.error, undefined, got.error);
      assert.equal(got.key, Buffer.from(k).toString('hex'), id);
    }
  });
});


