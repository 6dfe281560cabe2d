// One contract, two transports, one suite. The same calls and events go
// through (a) the Electron binding — the real bundled preload (in a VM, with
// an ipcRenderer double wired to a fake ipcMain), bindIpc and forwardEvents
// from main/electron/ipc.ts — and (b) the headless transport — HTTP POST for
// calls and the event WebSocket, over real sockets on 127.0.0.1. Each
// scenario must give the same answer through both, and the answer the
// dispatcher gives in-process: a transport adds nothing and loses nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readAppInfo } from '../main/admin/app-info.js';
import { dispatchCall } from '../main/admin/dispatch.js';
import { createAdminService, type AdminService } from '../main/admin/handlers.js';
import { startAdminHttp, type AdminHttpServer } from '../main/admin/http-transport.js';
import { bindIpc, forwardEvents } from '../main/electron/ipc.js';
import { httpCallPath, type EngineStatus } from '../shared/ipc/contract.js';
import { fakeEngine, recordingLogger, type FakeEngine } from './support/admin.js';
import { mustOpen, type WsSession } from './support/admin-ws.js';
import { runPreload } from './support/preload-bridge.js';
import { REPO_ROOT } from './support/reference.js';

/** What a renderer sees of a transport: the bridge's call and on. */
interface Transport {
  readonly name: string;
  call(name: string, args: unknown): Promise<unknown>;
  /** Resolves once the subscription is live (the WebSocket has said ready). */
  on(event: string, listener: (payload: unknown) => void): Promise<() => void>;
  close(): Promise<void>;
}

type Handler = (event: unknown, args: unknown) => Promise<unknown>;

async function electronTransport(service: AdminService): Promise<Transport> {
  const handlers = new Map<string, Handler>();
  const unbind = bindIpc({ handle: (ch: string, fn: Handler) => void handlers.set(ch, fn), removeHandler: (ch: string) => void handlers.delete(ch) } as never, service);
  // The renderer side: channel → listeners, fed by webContents.send.
  const rendererListeners = new Map<string, Set<(...a: unknown[]) => void>>();
  const webContents = {
    isDestroyed: () => false,
    getURL: () => 'app://keyhold/index.html',
    // Electron serialises with the structured clone algorithm on both legs.
    send: (channel: string, payload: unknown) => {
      for (const l of rendererListeners.get(channel) ?? []) l({ sender: 'ipc' }, structuredClone(payload));
    },
  };
  const stopEvents = forwardEvents(service, () => webContents as never);
  let bridge: { call: Record<string, (a: unknown) => Promise<unknown>>; on: (n: string, l: (p: unknown) => void) => () => void } | undefined;
  await runPreload({
    contextBridge: { exposeInMainWorld: (_key: string, api: unknown) => void (bridge = api as typeof bridge) },
    ipcRenderer: {
      invoke: async (channel: string, args: unknown) => {
        const h = handlers.get(channel);
        if (!h) throw new Error(`No handler registered for '${channel}'`);
        return structuredClone(await h({ senderFrame: { url: 'app://keyhold/index.html', parent: null } }, structuredClone(args)));
      },
      on: (channel: string, fn: (...a: unknown[]) => void) => {
        let set = rendererListeners.get(channel);
        if (!set) rendererListeners.set(channel, (set = new Set()));
        set.add(fn);
      },
      removeListener: (channel: string, fn: (...a: unknown[]) => void) => void rendererListeners.get(channel)?.delete(fn),
    },
  });
  assert.ok(bridge, 'the preload exposed no bridge');
  const b = bridge;
  return {
    name: 'electron ipc',
    call: (name, args) => {
      const fn = b.call[name];
      // The preload exposes exactly the contract's calls: an unknown name has no method.
      return fn ? fn(args) : Promise.resolve({ ok: false, error: { code: 'unknown_call', message: `No such call: ${name}` } });
    },
    on: async (event, listener) => b.on(event, listener),
    close: async () => {
      stopEvents();
      unbind();
    },
  };
}

async function httpTransport(service: AdminService, staticDir: string): Promise<Transport> {
  const token = 'transport-contract-token';
  const server: AdminHttpServer = await startAdminHttp({ service, staticDir, port: 0, token });
  const sockets = new Set<WsSession>();
  return {
    name: 'http + websocket',
    call: async (name, args) => {
      const res = await fetch(`${server.origin}${httpCallPath(name as never)}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(args ?? {}),
      });
      return res.json();
    },
    on: async (event, listener) => {
      const ws = await mustOpen(server.port);
      sockets.add(ws);
      ws.auth(token);
      assert.deepEqual(await ws.next(), { type: 'ready' });
      ws.ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { type: string; name?: string; payload?: unknown };
        if (m.type === 'event' && m.name === event) listener(m.payload);
      });
      return () => {
        sockets.delete(ws);
        ws.ws.close();
      };
    },
    close: async () => {
      for (const ws of sockets) ws.ws.close();
      await server.close();
    },
  };
}

/** An engine whose status() fails with a message that must not reach a renderer. */
function brokenEngine(): FakeEngine {
  const e = fakeEngine();
  return { ...e, status: () => { throw new Error('disk /secret/path exploded'); } } as FakeEngine;
}

const running: EngineStatus = { state: 'running', since: '2026-02-02T00:00:00.000Z', endpoint: '127.0.0.1:5696', lastError: null };

/** Each scenario: a call (or none) and what must come back, identical on every transport. */
const CALLS: readonly { what: string; name: string; args: unknown; check: (r: unknown) => void }[] = [
  {
    what: 'a valid call answers {ok: true, value}',
    name: 'policy.get',
    args: {},
    check: (r) => assert.equal((r as { ok: boolean }).ok, true),
  },
  {
    what: 'bad arguments are refused before any handler runs, with a sentence',
    name: 'clients.remove',
    args: { name: 'x', extra: 1 },
    check: (r) => {
      const e = (r as { ok: false; error: { code: string; message: string } }).error;
      assert.equal(e.code, 'invalid_args');
      assert.match(e.message, /extra/);
    },
  },
  {
    what: 'a handler\'s CallError crosses whole: code, message, message key and params',
    name: 'clients.remove',
    args: { name: 'nobody' },
    check: (r) =>
      assert.deepEqual(r, { ok: false, error: { code: 'not_found', message: 'no client named "nobody" is registered', key: 'errors.clients.notFound', params: { name: 'nobody' } } }),
  },
  {
    what: 'a call that is not in the contract is refused',
    name: 'keys.nonexistent',
    args: {},
    check: (r) => assert.equal((r as { ok: false; error: { code: string } }).error.code, 'unknown_call'),
  },
];

for (const make of [electronTransport, 'http'] as const) {
  const label = make === 'http' ? 'http + websocket' : 'electron ipc';
  describe(`admin contract over ${label}`, () => {
    let dir: string;
    let engine: FakeEngine;
    let service: AdminService;
    let t: Transport;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'keyhold-transport-'));
      engine = fakeEngine();
      service = createAdminService({ appInfo: readAppInfo(REPO_ROOT, 'headless'), engine, log: recordingLogger(), dataDir: dir });
      t = make === 'http' ? await httpTransport(service, join(dir, 'dist')) : await make(service);
    });
    after(async () => {
      await t?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    for (const c of CALLS) {
      it(`${c.what} (${c.name}), the same as in-process`, async () => {
        const got = await t.call(c.name, c.args);
        c.check(got);
        assert.deepEqual(got, await dispatchCall(service.handlers, c.name, c.args, service.log));
      });
    }

    it('an engine.statusChanged event arrives with its payload; none after unsubscribing', async () => {
      const got: unknown[] = [];
      const off = await t.on('engine.statusChanged', (p) => got.push(p));
      engine.emit(running);
      for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(got, [running]);
      off();
      // Let an unsubscribed stream drain; a late event would show here.
      await new Promise((r) => setTimeout(r, 50));
      engine.emit({ ...running, state: 'stopping' });
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(got, [running]);
    });

    it('an unexpected failure is "internal", without its message', async () => {
      const s2 = createAdminService({ appInfo: readAppInfo(REPO_ROOT, 'headless'), engine: brokenEngine(), log: recordingLogger(), dataDir: dir });
      const t2 = make === 'http' ? await httpTransport(s2, join(dir, 'dist')) : await make(s2);
      try {
        const r = (await t2.call('engine.status', {})) as { ok: false; error: { code: string; message: string } };
        assert.equal(r.ok, false);
        assert.equal(r.error.code, 'internal');
        assert.doesNotMatch(JSON.stringify(r), /secret|exploded/);
      } finally {
        await t2.close();
      }
    });
  });
}
