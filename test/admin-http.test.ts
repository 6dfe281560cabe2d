// The headless admin transport on 127.0.0.1:0: static UI, the contract over
// POST /api/<call>, the event WebSocket, and their defences (Host, Origin,
// token, limits). Password logins: admin-login.test.ts.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAdminService } from '../main/admin/handlers.js';
import { startAdminHttp, type AdminHttpServer } from '../main/admin/http-transport.js';
import { HTTP_CSP } from '../main/admin/security.js';
import { resolveStaticPath } from '../main/admin/static-files.js';
import { fakeEngine, httpRequest, recordingLogger, type RawResponse } from './support/admin.js';

const TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuv';
const APP_INFO = { name: 'Keyhold', id: 'keyhold', version: '1.2.3', mode: 'headless' } as const;

describe('admin HTTP transport', () => {
  let dir: string;
  let server: AdminHttpServer;
  const engine = fakeEngine();

  before(async () => {
    // A stand-in for renderer/dist, plus a file beside it that must stay unreachable.
    dir = mkdtempSync(join(tmpdir(), 'keyhold-http-'));
    mkdirSync(join(dir, 'dist', 'assets'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html><title>Keyhold</title>');
    writeFileSync(join(dir, 'dist', 'assets', 'app.js'), 'export {};');
    writeFileSync(join(dir, 'secret.json'), '{"key":"do-not-serve"}');
    const service = createAdminService({ appInfo: APP_INFO, engine, log: recordingLogger() });
    server = await startAdminHttp({ service, staticDir: join(dir, 'dist'), port: 0, token: TOKEN });
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const host = () => `127.0.0.1:${server.port}`;
  const api = (path: string, opts: { token?: string | null; body?: string; headers?: Record<string, string>; method?: string } = {}) =>
    httpRequest(server.port, {
      method: opts.method ?? 'POST',
      path,
      headers: {
        host: host(),
        'content-type': 'application/json',
        ...(opts.token === null ? {} : { authorization: `Bearer ${opts.token ?? TOKEN}` }),
        ...opts.headers,
      },
      body: opts.body ?? '{}',
    });
  const errorOf = (res: RawResponse) => {
    const body = res.json() as { ok: boolean; error: { code: string; message: string } };
    assert.equal(body.ok, false);
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message']);
    assert.ok(body.error.message.length > 0);
    return body.error.code;
  };

  it('listens on loopback and hands out a URL with the token in the fragment', () => {
    assert.ok(server.port > 0);
    assert.equal(server.origin, `http://127.0.0.1:${server.port}`);
    assert.equal(server.url, `http://127.0.0.1:${server.port}/#token=${TOKEN}`);
  });

  it('generates a long random token when none is given', async () => {
    const s = await startAdminHttp({ service: createAdminService({ appInfo: APP_INFO, engine, log: recordingLogger() }), staticDir: dir });
    try {
      assert.match(s.token, /^[A-Za-z0-9_-]{43}$/);
      assert.notEqual(s.token, TOKEN);
    } finally {
      await s.close();
    }
  });

  it('answers valid calls with the envelope and security headers', async () => {
    const info = await api('/api/app.info');
    assert.equal(info.status, 200);
    assert.deepEqual(info.json(), { ok: true, value: APP_INFO });
    assert.equal(info.headers['content-security-policy'], HTTP_CSP);
    assert.equal(info.headers['x-content-type-options'], 'nosniff');
    assert.equal(info.headers['cache-control'], 'no-store');
    assert.equal(info.headers['access-control-allow-origin'], undefined);

    const status = await api('/api/engine.status');
    assert.equal(status.status, 200);
    assert.deepEqual(status.json(), { ok: true, value: engine.status() });
  });

  it('refuses a missing token with 401 and a wrong one with 403', async () => {
    const missing = await api('/api/app.info', { token: null });
    assert.equal(missing.status, 401);
    assert.equal(errorOf(missing), 'unauthorized');
    assert.equal(missing.headers['www-authenticate'], 'Bearer');

    for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, 'Bearer ', `Basic ${TOKEN}`, TOKEN]) {
      const wrong = await api('/api/app.info', { token: null, headers: { authorization } });
      assert.equal(wrong.status, 403, authorization);
      assert.equal(errorOf(wrong), 'forbidden');
    }
    // The token guards unknown paths under /api too; the events path is a WebSocket only.
    assert.equal((await api('/api/nope', { token: 'wrong' })).status, 403);
    const plain = await api('/api/events', { token: null, method: 'GET', body: '' });
    assert.equal(plain.status, 426);
    assert.equal(plain.headers.upgrade, 'websocket');
  });

  it('refuses foreign Host headers (DNS rebinding), even with the right token', async () => {
    for (const h of ['evil.example', `evil.example:${server.port}`, `127.0.0.1:${server.port + 1}`, `127.0.0.1.evil.example:${server.port}`, `0.0.0.0:${server.port}`]) {
      const res = await api('/api/app.info', { headers: { host: h } });
      assert.equal(res.status, 403, h);
      assert.equal(errorOf(res), 'forbidden');
      // Static files too: a rebinding page must not even read the UI.
      const page = await httpRequest(server.port, { path: '/', headers: { host: h } });
      assert.equal(page.status, 403, h);
    }
    for (const h of [`localhost:${server.port}`, `LOCALHOST:${server.port}`, `[::1]:${server.port}`]) {
      assert.equal((await api('/api/app.info', { headers: { host: h } })).status, 200, h);
    }
  });

  it('refuses cross-origin requests', async () => {
    const res = await api('/api/app.info', { headers: { origin: 'https://evil.example' } });
    assert.equal(res.status, 403);
    assert.equal(errorOf(res), 'forbidden');
    assert.equal((await api('/api/app.info', { headers: { origin: 'null' } })).status, 403);
    assert.equal((await api('/api/app.info', { headers: { origin: `http://${host()}` } })).status, 200);
  });

  it('refuses unknown calls with 404 unknown_call', async () => {
    for (const path of ['/api/nope', '/api/__proto__', '/api/constructor', '/api/app.info/x', '/api/', '/api']) {
      const res = await api(path);
      assert.equal(res.status, 404, path);
      assert.equal(errorOf(res), 'unknown_call', path);
    }
  });

  it('refuses bad args and malformed requests with a clear JSON error', async () => {
    const cases: [Parameters<typeof api>[1], number, string][] = [
      [{ body: '{"unexpected":1}' }, 400, 'invalid_args'],
      [{ body: '[]' }, 400, 'invalid_args'],
      [{ body: 'null' }, 400, 'invalid_args'],
      [{ body: '' }, 400, 'bad_request'],
      [{ body: '{not json' }, 400, 'bad_request'],
      [{ headers: { 'content-type': 'text/plain' } }, 415, 'unsupported_media_type'],
      [{ method: 'GET', body: '' }, 405, 'method_not_allowed'],
      [{ body: JSON.stringify({ pad: 'x'.repeat(70_000) }) }, 413, 'payload_too_large'],
    ];
    for (const [opts, status, code] of cases) {
      const res = await api('/api/engine.status', opts);
      assert.equal(res.status, status, JSON.stringify(opts).slice(0, 80));
      assert.equal(errorOf(res), code);
    }
    const bad = (await api('/api/app.info', { body: '{"unexpected":1}' })).json() as { error: { message: string } };
    assert.equal(bad.error.message, 'args: unknown field "unexpected"');
  });

  it('serves the built UI without a token, and nothing outside it', async () => {
    const page = await httpRequest(server.port, { path: '/', headers: { host: host() } });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.equal(page.headers['content-security-policy'], HTTP_CSP);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    const js = await httpRequest(server.port, { path: '/assets/app.js', headers: { host: host() } });
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /^text\/javascript/);

    for (const path of ['/../secret.json', '/%2e%2e/secret.json', '/assets/..%2f..%2fsecret.json', '/assets', '/missing.js', '/%00.js', '/assets/%5c..%5csecret.json']) {
      const res = await httpRequest(server.port, { path, headers: { host: host() } });
      assert.equal(res.status, 404, path);
      assert.ok(!res.body.includes('do-not-serve'), path);
    }
    const post = await httpRequest(server.port, { method: 'POST', path: '/', headers: { host: host() } });
    assert.equal(post.status, 405);
  });
});

describe('resolveStaticPath', () => {
  it('maps URL paths into the root and refuses escapes', () => {
    const root = '/srv/ui';
    assert.equal(resolveStaticPath(root, '/'), '/srv/ui/index.html');
    assert.equal(resolveStaticPath(root, '/assets/a%20b.js'), '/srv/ui/assets/a b.js');
    for (const p of ['/../x.js', '/%2e%2e/x.js', '/a/../../x.js', '/%E0%A4%A.js', 'x.js', '/a\\..\\x.js', '/x.exe', '/x', '/.']) {
      assert.equal(resolveStaticPath(root, p), null, p);
    }
  });
});
