// The headless admin's event WebSocket (main/admin/event-socket.ts) on
// 127.0.0.1:0 with real sockets: the upgrade passes the same Host and Origin
// checks as HTTP (and needs an Origin), the token comes as the first message,
// events flow after {type:'ready'}, and everything else closes the socket
// with a code that says why. Limits: sockets, message size, dead peers.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAdminService, type AdminService } from '../main/admin/handlers.js';
import { startAdminHttp, type AdminHttpOptions, type AdminHttpServer } from '../main/admin/http-transport.js';
import type { EngineStatus } from '../shared/ipc/contract.js';
import { WS_CLOSE } from '../shared/ipc/ws-protocol.js';
import { mustOpen, openWs } from './support/admin-ws.js';
import { fakeEngine, recordingLogger } from './support/admin.js';

const TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuv';
const APP_INFO = { name: 'Keyhold', id: 'keyhold', version: '1.2.3', mode: 'headless' } as const;
const running: EngineStatus = { state: 'running', since: '2026-01-01T00:00:01.000Z', endpoint: '0.0.0.0:5696', lastError: null };

const dir = mkdtempSync(join(tmpdir(), 'keyhold-ws-'));
mkdirSync(join(dir, 'dist'), { recursive: true });
writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html><title>Keyhold</title>');
after(() => rmSync(dir, { recursive: true, force: true }));

/** A service whose subscriber count the tests can read: no socket may leave one behind. */
function countingService(engine = fakeEngine()): { service: AdminService; engine: ReturnType<typeof fakeEngine>; subscribers: () => number } {
  const inner = createAdminService({ appInfo: APP_INFO, engine, log: recordingLogger() });
  let n = 0;
  const service: AdminService = {
    ...inner,
    subscribe(listener) {
      n++;
      const off = inner.subscribe(listener);
      return () => {
        n--;
        off();
      };
    },
  };
  return { service, engine, subscribers: () => n };
}

async function until(what: () => boolean, ms: number, why: string): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error(`not in time: ${why}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('admin event WebSocket', () => {
  let server: AdminHttpServer;
  let c: ReturnType<typeof countingService>;
  const start = (events: AdminHttpOptions['events'] = {}) => {
    const s = countingService();
    return startAdminHttp({ service: s.service, staticDir: join(dir, 'dist'), port: 0, token: TOKEN, events }).then((srv) => ({ srv, ...s }));
  };

  before(async () => {
    const s = await start({ authTimeoutMs: 300 });
    server = s.srv;
    c = s;
  });
  after(async () => {
    await server.close();
  });

  it('after the auth message: ready, then every event; closing unsubscribes', async () => {
    const ws = await mustOpen(server.port);
    ws.auth(TOKEN);
    assert.deepEqual(await ws.next(), { type: 'ready' });
    assert.equal(c.subscribers(), 1);
    c.engine.emit(running);
    assert.deepEqual(await ws.next(), { type: 'event', name: 'engine.statusChanged', payload: running });
    ws.ws.close(1000);
    assert.equal((await ws.closed()).code, 1000);
    await until(() => c.subscribers() === 0 && server.eventSockets === 0, 2000, 'the subscription ends with the socket');
    // Nothing is sent to a closed socket (and nothing throws).
    c.engine.emit({ ...running, state: 'stopped' });
  });

  it('no auth message in time: closed 4401 with a sentence, no subscription made', async () => {
    const ws = await mustOpen(server.port);
    const closed = await ws.closed();
    assert.equal(closed.code, WS_CLOSE.unauthorized);
    assert.match(closed.reason, /Authenticate first/);
    assert.deepEqual(ws.messages, []);
    assert.equal(c.subscribers(), 0);
  });

  it('a wrong token: closed 4403, never ready', async () => {
    for (const token of [`${TOKEN}x`, TOKEN.slice(0, -1), 'x']) {
      const ws = await mustOpen(server.port);
      ws.auth(token);
      const closed = await ws.closed();
      assert.equal(closed.code, WS_CLOSE.forbidden, token);
      assert.match(closed.reason, /Wrong or expired token/);
      assert.deepEqual(ws.messages, []);
    }
    assert.equal(c.subscribers(), 0);
  });

  it('anything but one auth message closes the socket (1008, binary 1003)', async () => {
    const bad = ['hello', '{}', '[]', 'null', JSON.stringify({ type: 'auth' }), JSON.stringify({ type: 'auth', token: TOKEN, extra: 1 }), JSON.stringify({ type: 'call', name: 'engine.stop' })];
    for (const text of bad) {
      const ws = await mustOpen(server.port);
      ws.ws.send(text);
      assert.equal((await ws.closed()).code, WS_CLOSE.policy, text);
    }
    const bin = await mustOpen(server.port);
    bin.ws.send(Buffer.from(JSON.stringify({ type: 'auth', token: TOKEN })));
    assert.equal((await bin.closed()).code, WS_CLOSE.unsupportedData);
    // After auth the client may say nothing more.
    const chatty = await mustOpen(server.port);
    chatty.auth(TOKEN);
    assert.deepEqual(await chatty.next(), { type: 'ready' });
    chatty.auth(TOKEN);
    const closed = await chatty.closed();
    assert.equal(closed.code, WS_CLOSE.policy);
    assert.match(closed.reason, /only sends events/);
    await until(() => c.subscribers() === 0, 2000, 'unsubscribed');
  });

  it('an oversize message is refused with 1009', async () => {
    const ws = await mustOpen(server.port);
    ws.ws.send(JSON.stringify({ type: 'auth', token: 'x'.repeat(5000) }));
    assert.equal((await ws.closed()).code, WS_CLOSE.tooBig);
  });

  it('the upgrade is refused for a foreign Host, a foreign or missing Origin, another path', async () => {
    const p = server.port;
    const cases: [Parameters<typeof openWs>[1], number, RegExp][] = [
      [{ host: `evil.example:${p}`, origin: `http://evil.example:${p}` }, 403, /Host not allowed/],
      [{ host: `127.0.0.1:${p + 1}` }, 403, /Host not allowed/],
      [{ origin: 'https://evil.example' }, 403, /Cross-origin WebSocket refused/],
      [{ origin: 'null' }, 403, /Cross-origin/],
      [{ origin: `http://localhost:${p}` }, 403, /Cross-origin/],
      [{ origin: null }, 403, /needs an Origin header/],
      [{ path: '/api/app.info' }, 404, /events are at \/api\/events/],
      [{ path: '/' }, 404, /No WebSocket here/],
    ];
    for (const [opts, status, message] of cases) {
      const r = await openWs(p, opts);
      assert.equal(r.refused, true, JSON.stringify(opts));
      if (!r.refused) continue;
      assert.equal(r.status, status, JSON.stringify(opts));
      const body = JSON.parse(r.body) as { ok: boolean; error: { message: string } };
      assert.equal(body.ok, false);
      assert.match(body.error.message, message);
    }
    // localhost is fine when the page is on localhost.
    const ok = await mustOpen(p, { host: `localhost:${p}` });
    ok.auth(TOKEN);
    assert.deepEqual(await ok.next(), { type: 'ready' });
    ok.ws.close();
    await ok.closed();
  });

  it('at most maxSockets at once: one more is closed 1013 and the others keep working', async () => {
    const s = await start({ maxSockets: 2 });
    try {
      const a = await mustOpen(s.srv.port);
      const b = await mustOpen(s.srv.port);
      const extra = await mustOpen(s.srv.port);
      const closed = await extra.closed();
      assert.equal(closed.code, WS_CLOSE.tryAgainLater);
      assert.match(closed.reason, /Too many event sockets/);
      a.auth(TOKEN);
      b.auth(TOKEN);
      assert.deepEqual([await a.next(), await b.next()], [{ type: 'ready' }, { type: 'ready' }]);
      a.ws.close();
      await a.closed();
      await until(() => s.srv.eventSockets === 1, 2000, 'a slot frees up');
      const again = await mustOpen(s.srv.port);
      again.auth(TOKEN);
      assert.deepEqual(await again.next(), { type: 'ready' });
    } finally {
      await s.srv.close();
    }
    assert.equal(s.subscribers(), 0);
  });

  it('a peer that stops answering pings is dropped', async () => {
    const s = await start({ pingIntervalMs: 100 });
    try {
      const live = await mustOpen(s.srv.port);
      const dead = await mustOpen(s.srv.port, { autoPong: false });
      live.auth(TOKEN);
      dead.auth(TOKEN);
      await live.next();
      await dead.next();
      assert.equal((await dead.closed(2000)).code, 1006);
      await until(() => s.subscribers() === 1, 1000, 'the dead one unsubscribed');
      // The one that answers stays.
      await new Promise((r) => setTimeout(r, 350));
      assert.equal(live.ws.readyState, live.ws.OPEN);
    } finally {
      await s.srv.close();
    }
  });

  it('close() of the server closes open sockets with 1001 and unsubscribes them', async () => {
    const s = await start();
    const ws = await mustOpen(s.srv.port);
    ws.auth(TOKEN);
    await ws.next();
    const pending = await mustOpen(s.srv.port);
    await s.srv.close();
    assert.equal((await ws.closed()).code, WS_CLOSE.goingAway);
    assert.equal((await pending.closed()).code, WS_CLOSE.goingAway);
    assert.equal(s.subscribers(), 0);
  });
});
