// Errors in the operator's language: what the admin handlers throw carries a
// message key (shared/ipc/error-messages.ts, shared/forms/messages.ts) that
// both catalogues of the UI hold with the same {placeholders}; every
// CallError in main/admin has one, but for the few that pass another
// module's English sentence through; and key and params reach the browser
// over the real HTTP transport.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAdminService } from '../main/admin/handlers.js';
import { startAdminHttp, type AdminHttpServer } from '../main/admin/http-transport.js';
import { en } from '../renderer/src/i18n/en/index.js';
import { zhCN } from '../renderer/src/i18n/zh-CN/index.js';
import { ERROR_MESSAGES_EN, SERVER_MESSAGES_EN } from '../shared/ipc/error-messages.js';
import { fakeEngine, httpRequest, recordingLogger } from './support/admin.js';
import { REPO_ROOT } from './support/reference.js';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

function tsFiles(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(REPO_ROOT, dir, f));
}
const serverSources = [...tsFiles('main/admin'), ...tsFiles('shared/forms')];

describe('error message keys', () => {
  it('every errors.* and forms.* key in main/admin and shared/forms is in both catalogues with the same placeholders', () => {
    const used = new Map<string, string>();
    for (const file of serverSources) {
      for (const m of readFileSync(file, 'utf8').matchAll(/['"`]((?:errors|forms)\.[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*)['"`]/g)) {
        used.set(m[1]!, relative(REPO_ROOT, file));
      }
    }
    // The scan finds the keys (a broken pattern would pass vacuously).
    assert.ok(used.has('errors.clients.exists') && used.has('errors.engine.notRunning') && used.has('forms.port.invalid') && used.has('forms.logTime.order'), [...used.keys()].join(' '));
    const problems: string[] = [];
    const catalogueEn = en as Record<string, string>;
    const catalogueZh = zhCN as Record<string, string>;
    for (const [key, file] of used) {
      const english = catalogueEn[key];
      const chinese = catalogueZh[key];
      if (english === undefined) problems.push(`${key} (${file}) is not in the English catalogue`);
      else if (chinese === undefined) problems.push(`${key} (${file}) is not in the Chinese catalogue`);
      else if (placeholders(chinese).join() !== placeholders(english).join()) problems.push(`${key}: placeholders differ between en and zh-CN`);
      else if (english !== (SERVER_MESSAGES_EN as Record<string, string>)[key]) problems.push(`${key}: the English catalogue's text is not the handlers' text`);
    }
    assert.deepEqual(problems, []);
  });

  it('every key of the error table is used by main/admin (no dead entries)', () => {
    const text = serverSources.map((f) => readFileSync(f, 'utf8')).join('\n');
    const unused = Object.keys(ERROR_MESSAGES_EN).filter((k) => !text.includes(`'${k}'`));
    assert.deepEqual(unused, []);
  });

  it('every CallError in main/admin has a key, but for those passing another module\'s English sentence through', () => {
    // file → how many unkeyed `new CallError(` it may hold, and why.
    const passThrough: Record<string, number> = {
      'main/admin/calls/util.ts': 1, // callError(): a CLI function's sentence without a known key
      'main/admin/calls/engine-call.ts': 1, // the engine's own sentence (the worker has no message keys)
      'main/admin/calls/backups.ts': 2, // engineFailure(): the backup code's sentence
      'main/admin/calls/setup.ts': 1, // the self-test client's enrolment failure
    };
    const found: Record<string, number> = {};
    for (const file of tsFiles('main/admin')) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (/new CallError\(/.test(line) && !/\bkey\b/.test(line)) {
          const rel = relative(REPO_ROOT, file);
          found[rel] = (found[rel] ?? 0) + 1;
        }
      }
    }
    assert.deepEqual(found, passThrough);
  });
});

describe('keyed errors over the HTTP transport', () => {
  const TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuv';
  let root: string;
  let server: AdminHttpServer;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'keyhold-error-keys-'));
    const service = createAdminService({
      appInfo: { name: 'Keyhold', id: 'keyhold', version: '0.0.0', mode: 'headless' },
      engine: fakeEngine(),
      log: recordingLogger(),
      dataDir: join(root, 'data'),
    });
    server = await startAdminHttp({ service, staticDir: join(root, 'dist'), port: 0, token: TOKEN });
  });
  after(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const callHttp = async (name: string, args: unknown) => {
    const res = await httpRequest(server.port, {
      method: 'POST',
      path: `/api/${name}`,
      headers: { host: `127.0.0.1:${server.port}`, 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(args),
    });
    return res.json() as { ok: boolean; value?: unknown; error?: { code: string; message: string; key?: string; params?: Record<string, unknown> } };
  };

  it('clients.add with a name already registered: key errors.clients.exists with the name, and the English message', { timeout: 120_000 }, async () => {
    const args = { name: 'nas01', addresses: [], permissions: 'query:all,get:own,use:own', certificate: { kind: 'issue' } };
    const first = await callHttp('clients.add', args);
    assert.equal(first.ok, true, JSON.stringify(first.error));
    const again = await callHttp('clients.add', args);
    assert.deepEqual(again, {
      ok: false,
      error: { code: 'bad_request', message: 'a client named "nas01" is already registered', key: 'errors.clients.exists', params: { name: 'nas01' } },
    });
  });

  it('a field problem (an address) carries the forms.* key and its params', async () => {
    const r = await callHttp('clients.add', { name: 'nas02', addresses: ['10.0.0.300'], permissions: 'none', certificate: { kind: 'issue' } });
    assert.deepEqual(r, {
      ok: false,
      error: { code: 'bad_request', message: '"10.0.0.300" is not an IP address or CIDR range (e.g. 10.0.0.5, 10.0.0.0/24, 2001:db8::/48).', key: 'forms.ip.invalid', params: { value: '10.0.0.300' } },
    });
  });

  it('settings.set with a port another program holds: key errors.port.inUse with the port and a free one', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen({ port: 0, host: '0.0.0.0' }, () => r()));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await callHttp('settings.set', { kmipPort: taken });
      assert.equal(r.ok, false);
      assert.equal(r.error?.code, 'bad_request');
      assert.equal(r.error?.key, 'errors.port.inUse');
      assert.equal(r.error?.params?.port, taken);
      const suggested = r.error?.params?.suggested;
      assert.ok(typeof suggested === 'number' && suggested !== taken, String(suggested));
      assert.equal(r.error?.message, `Port ${taken} is in use by another program: stop that program, or use port ${suggested} (free)`);
      // The port check the Settings screen asks as you type says the same, keyed.
      const check = await callHttp('settings.checkPort', { port: taken });
      assert.deepEqual(check.value, { port: taken, ok: false, message: r.error!.message, key: 'errors.port.inUse', params: { port: taken, suggested }, suggested });
    } finally {
      blocker.close();
    }
  });
});
