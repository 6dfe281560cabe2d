// The admin password of the headless admin: `keyhold admin-password set|clear`
// (DIR/admin-password.json: scrypt hash, 0600), POST /api/login for a session
// token that works for calls and the event WebSocket, logout, idle expiry,
// throttling of wrong passwords, and a password set, changed or cleared while
// the server runs. scrypt runs at its lowest accepted cost here (2^14) except
// in the CLI tests, which use the real one.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AdminAuth } from '../main/admin/admin-auth.js';
import { ADMIN_PASSWORD_FILE, clearAdminPassword, readAdminPassword, setAdminPassword, verifyAdminPassword } from '../main/admin/admin-password.js';
import { createAdminService } from '../main/admin/handlers.js';
import { startAdminHttp, type AdminHttpServer } from '../main/admin/http-transport.js';
import { main, type CliIo } from '../main/cli/main.js';
import { WS_CLOSE } from '../shared/ipc/ws-protocol.js';
import { mustOpen } from './support/admin-ws.js';
import { fakeEngine, httpRequest, recordingLogger, type RecordingLogger } from './support/admin.js';

const TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuv';
const PASSWORD = 'correct horse battery staple';
const FAST = { N: 2 ** 14, r: 8, p: 1 };
const APP_INFO = { name: 'Keyhold', id: 'keyhold', version: '1.2.3', mode: 'headless' } as const;

const root = mkdtempSync(join(tmpdir(), 'keyhold-login-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => {
  const d = join(root, `d${n++}`);
  mkdirSync(d, { recursive: true, mode: 0o700 });
  return d;
};
const staticDir = freshDir();
writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Keyhold</title>');

async function cli(argv: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdin: (async function* () {
      if (stdin !== '') yield Buffer.from(stdin);
    })(),
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('keyhold admin-password', () => {
  it('set: an scrypt hash in DIR/admin-password.json, 0600, never the password; clear removes it', async () => {
    const dir = freshDir();
    const r = await cli(['admin-password', 'set', '--password-stdin', '--data-dir', dir], `${PASSWORD}\n`);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^admin password set \(.*admin-password\.json, an scrypt hash, mode 0600\)/);
    const file = join(dir, ADMIN_PASSWORD_FILE);
    if (process.platform !== 'win32') assert.equal(statSync(file).mode & 0o777, 0o600);
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes(PASSWORD) && !text.includes('horse'));
    const record = readAdminPassword(dir)!;
    assert.deepEqual([record.kdf, record.N, record.r, record.p], ['scrypt', 2 ** 17, 8, 1]);
    assert.equal(await verifyAdminPassword(record, PASSWORD), true);
    assert.equal(await verifyAdminPassword(record, `${PASSWORD}!`), false);

    const cleared = await cli(['admin-password', 'clear', '--data-dir', dir]);
    assert.equal(cleared.code, 0);
    assert.match(cleared.out, /admin password removed/);
    assert.equal(readAdminPassword(dir), null);
    const again = await cli(['admin-password', 'clear', '--data-dir', dir]);
    assert.equal(again.code, 0);
    assert.match(again.out, /no admin password was set/);
  });

  it('refuses a short password, an empty input, and no way to read one, each in one line', async () => {
    const dir = freshDir();
    const cases: [string[], string, RegExp][] = [
      [['--password-stdin'], 'short pw\n', /^keyhold: --password-stdin: the admin password must have at least 12 characters\n$/],
      [['--password-stdin'], '', /^keyhold: --password-stdin: standard input is empty; give the password on its first line\n$/],
      [[], '', /^keyhold: give the new password on the first line of standard input with --password-stdin \(or run the command in a terminal to be asked for it\)\n$/],
      [['--password=hunter2hunter2'], '', /^keyhold: unknown option --password for "admin-password set"/],
    ];
    for (const [flags, stdin, message] of cases) {
      const r = await cli(['admin-password', 'set', ...flags, '--data-dir', dir], stdin);
      assert.equal(r.code, 2, flags.join(' '));
      assert.match(r.err, message);
      assert.equal(r.err.split('\n').length, 2, 'one line');
      assert.equal(r.out, '');
      assert.ok(!r.err.includes('hunter2') && !r.err.includes('short pw'), 'the password is never echoed');
    }
    assert.equal(readAdminPassword(dir), null, 'nothing written');
  });
});

describe('password login over HTTP', () => {
  let dir: string;
  let server: AdminHttpServer;
  let log: RecordingLogger;
  let clock = 1_000_000;
  const engine = fakeEngine();

  before(async () => {
    dir = freshDir();
    await setAdminPassword(dir, PASSWORD, FAST);
    log = recordingLogger();
    const service = createAdminService({ appInfo: APP_INFO, engine, log });
    server = await startAdminHttp({ service, staticDir, port: 0, token: TOKEN, dataDir: dir, now: () => clock, sessionIdleMs: 60_000 });
  });
  after(async () => {
    await server.close();
  });

  const host = () => `127.0.0.1:${server.port}`;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    httpRequest(server.port, { method: 'POST', path, headers: { host: host(), 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const login = (password: string) => post('/api/login', { password });
  const callWith = (token: string) => post('/api/engine.status', {}, { authorization: `Bearer ${token}` });
  const err = (r: { json(): unknown }) => (r.json() as { error: { code: string; message: string } }).error;
  const sessionFrom = async (password = PASSWORD) => {
    const r = await login(password);
    assert.equal(r.status, 200, r.body);
    const token = (r.json() as { value: { token: string } }).value.token;
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    return token;
  };

  it('auth-methods says a password login is possible, without a token', async () => {
    const r = await httpRequest(server.port, { path: '/api/auth-methods', headers: { host: host() } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { ok: true, value: { password: true } });
    // The 401 of a call without a token mentions the password too.
    const missing = await post('/api/engine.status', {});
    assert.equal(missing.status, 401);
    assert.match(err(missing).message, /or log in with the admin password/);
  });

  it('the right password gives a session token that works for calls and the WebSocket; the wrong one a 403', async () => {
    const wrong = await login('not the password at all');
    assert.equal(wrong.status, 403);
    assert.deepEqual(err(wrong), { code: 'forbidden', message: 'Wrong password' });
    const token = await sessionFrom();
    assert.notEqual(token, TOKEN);
    const call = await callWith(token);
    assert.equal(call.status, 200);
    assert.deepEqual(call.json(), { ok: true, value: engine.status() });
    const ws = await mustOpen(server.port);
    ws.auth(token);
    assert.deepEqual(await ws.next(), { type: 'ready' });
    ws.ws.close();
    await ws.closed();
    // Every attempt is in the log, the password never.
    const lines = log.lines.filter((l) => /admin login/.test(l));
    assert.ok(lines.some((l) => /^warn keyhold: admin login from 127\.0\.0\.1 refused: wrong password/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^info keyhold: admin login from 127\.0\.0\.1: password accepted, session [0-9a-f]{8} opened$/.test(l)), lines.join('\n'));
    assert.ok(log.lines.every((l) => !l.includes(PASSWORD) && !l.includes('not the password') && !l.includes(token)));
  });

  it('several sessions at once; logout ends one (and closes its WebSocket), the others live on', async () => {
    const a = await sessionFrom();
    const b = await sessionFrom();
    const ws = await mustOpen(server.port);
    ws.auth(a);
    await ws.next();
    const out = await post('/api/logout', {}, { authorization: `Bearer ${a}` });
    assert.equal(out.status, 200);
    assert.deepEqual(out.json(), { ok: true, value: null });
    const closed = await ws.closed();
    assert.equal(closed.code, WS_CLOSE.unauthorized);
    assert.match(closed.reason, /session ended/);
    assert.equal((await callWith(a)).status, 403);
    assert.equal((await callWith(b)).status, 200);
    // The admin token is no session: logging it out says how to revoke it instead.
    const adminOut = await post('/api/logout', {}, { authorization: `Bearer ${TOKEN}` });
    assert.equal(adminOut.status, 400);
    assert.match(err(adminOut).message, /--rotate-admin-token/);
    assert.equal((await callWith(TOKEN)).status, 200);
  });

  it('a session ends after the idle time; each use pushes the end back', async () => {
    const token = await sessionFrom();
    clock += 50_000;
    assert.equal((await callWith(token)).status, 200);
    clock += 50_000; // 100 s after login, 50 s after the last use
    assert.equal((await callWith(token)).status, 200);
    clock += 60_001;
    const expired = await callWith(token);
    assert.equal(expired.status, 403);
    assert.match(err(expired).message, /Wrong or expired token.*log in again/);
    // The WebSocket refuses it as well.
    const ws = await mustOpen(server.port);
    ws.auth(token);
    assert.equal((await ws.closed()).code, WS_CLOSE.forbidden);
  });

  it('refuses a malformed login body with what to send', async () => {
    for (const body of ['{}', '{"password":1}', '{"password":""}', '{"password":"x","user":"admin"}', '[]', 'null']) {
      const r = await post('/api/login', body);
      assert.equal(r.status, 400, body);
      assert.equal(err(r).code, 'invalid_args');
      assert.match(err(r).message, /Send \{"password": "…"\}/);
    }
    assert.equal((await post('/api/login', 'x'.repeat(5000))).status, 413);
    assert.equal((await httpRequest(server.port, { path: '/api/login', headers: { host: host() } })).status, 405);
    assert.equal((await post('/api/login', { password: PASSWORD }, { 'content-type': 'text/plain' })).status, 415);
    // Host and Origin checks come first, as everywhere.
    assert.equal((await post('/api/login', { password: PASSWORD }, { origin: 'https://evil.example' })).status, 403);
    assert.equal((await post('/api/login', { password: PASSWORD }, { host: 'evil.example' })).status, 403);
  });

  it('after 5 wrong passwords from one address, each further one doubles the wait; the right one then waits too', async () => {
    clock += 3_600_000; // earlier failures are forgotten
    for (let i = 1; i <= 5; i++) assert.equal((await login(`wrong password ${i}`)).status, 403, `attempt ${i}`);
    const held = await login(PASSWORD);
    assert.equal(held.status, 429);
    assert.equal(err(held).code, 'rate_limited');
    assert.match(err(held).message, /^Too many wrong passwords from your address: try again in 1 s$/);
    assert.equal(held.headers['retry-after'], '1');
    clock += 1_000;
    assert.equal((await login('wrong password 6')).status, 403);
    const longer = await login(PASSWORD);
    assert.equal(longer.status, 429);
    assert.equal(longer.headers['retry-after'], '2');
    clock += 2_000;
    await sessionFrom(); // right at last: the count starts again
    for (let i = 1; i <= 4; i++) assert.equal((await login(`wrong again ${i}`)).status, 403);
    assert.equal((await login('wrong again 5')).status, 403);
    assert.equal((await login(PASSWORD)).status, 429);
    clock += 1_000;
    await sessionFrom();
  });

  it('a password changed or cleared while running: old sessions end, logins follow the file', async () => {
    const token = await sessionFrom();
    await setAdminPassword(dir, 'a brand new password', FAST);
    assert.equal((await callWith(token)).status, 403, 'sessions of the old password end');
    assert.equal((await login(PASSWORD)).status, 403);
    const fresh = await sessionFrom('a brand new password');
    assert.equal(await clearAdminPassword(dir), true);
    assert.equal((await callWith(fresh)).status, 403, 'sessions end with the password');
    const none = await login('a brand new password');
    assert.equal(none.status, 404);
    assert.equal(err(none).code, 'not_found');
    assert.match(err(none).message, /No admin password is set.*keyhold admin-password set/);
    const methods = await httpRequest(server.port, { path: '/api/auth-methods', headers: { host: host() } });
    assert.deepEqual(methods.json(), { ok: true, value: { password: false } });
    // The token still works, and the login works again once a password is set.
    assert.equal((await callWith(TOKEN)).status, 200);
    await setAdminPassword(dir, PASSWORD, FAST);
    await sessionFrom();
  });

  it('a password file others can read, or a damaged one, is not used and the log says why', { skip: process.platform === 'win32' }, async () => {
    const file = join(dir, ADMIN_PASSWORD_FILE);
    chmodSync(file, 0o644);
    const open = await login(PASSWORD);
    assert.equal(open.status, 503);
    assert.match(err(open).message, /unusable.*keyhold admin-password set/);
    assert.ok(log.lines.some((l) => /can be read by other users/.test(l)));
    chmodSync(file, 0o600);
    writeFileSync(file, '{"format":"keyhold-admin-password"}');
    assert.equal((await login(PASSWORD)).status, 503);
    assert.ok(log.lines.some((l) => /not a Keyhold admin password file/.test(l)));
    await setAdminPassword(dir, PASSWORD, FAST);
    await sessionFrom();
  });
});

describe('without a data dir, or without a password', () => {
  it('auth-methods says no, and a login says how to set a password', async () => {
    const service = createAdminService({ appInfo: APP_INFO, engine: fakeEngine(), log: recordingLogger() });
    for (const dataDir of [undefined, freshDir()]) {
      const s = await startAdminHttp({ service, staticDir, token: TOKEN, ...(dataDir === undefined ? {} : { dataDir }) });
      try {
        const host = `127.0.0.1:${s.port}`;
        const m = await httpRequest(s.port, { path: '/api/auth-methods', headers: { host } });
        assert.deepEqual(m.json(), { ok: true, value: { password: false } });
        const r = await httpRequest(s.port, { method: 'POST', path: '/api/login', headers: { host, 'content-type': 'application/json' }, body: JSON.stringify({ password: PASSWORD }) });
        assert.equal(r.status, 404);
        assert.match(r.body, /No admin password is set/);
        const missing = await httpRequest(s.port, { method: 'POST', path: '/api/engine.status', headers: { host, 'content-type': 'application/json' }, body: '{}' });
        assert.doesNotMatch(missing.body, /password/);
      } finally {
        await s.close();
      }
    }
  });
});

describe('AdminAuth', () => {
  it('checks one password at a time: a second attempt meanwhile is told to retry', async () => {
    const dir = freshDir();
    await setAdminPassword(dir, PASSWORD, FAST);
    const auth = new AdminAuth({ token: TOKEN, dataDir: dir, log: recordingLogger() });
    const first = auth.login(PASSWORD, 'a');
    const second = await auth.login(PASSWORD, 'b');
    assert.deepEqual([second.ok, !second.ok && second.status], [false, 429]);
    assert.equal((await first).ok, true);
    assert.equal(auth.sessionCount, 1);
  });
});
