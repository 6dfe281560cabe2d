// The IPC contract, its validators, the dispatcher, the handlers, the Electron
// IPC binding (with a fake ipcMain), the bundled preload (run in a VM with a
// fake 'electron'), and the import boundaries between main/, shared/ and renderer/.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { findAppRoot, readAppInfo } from '../main/admin/app-info.js';
import { CallError, dispatchCall } from '../main/admin/dispatch.js';
import { createStubEngine } from '../main/admin/engine.js';
import { createAdminService } from '../main/admin/handlers.js';
import { isAppOriginUrl } from '../main/admin/security.js';
import { bindIpc, isTrustedSender } from '../main/electron/ipc.js';
import {
  callChannel,
  callNames,
  contract,
  eventChannel,
  eventNames,
  httpCallPath,
  isCallName,
  isEventName,
  validateArgs,
  type AnyEvent,
  type EngineStatus,
} from '../shared/ipc/contract.js';
import { isCallResult, isIpcError } from '../shared/ipc/errors.js';
import { integer, noArgs, object, oneOf, optional, string } from '../shared/ipc/validate.js';
import { fakeEngine, recordingLogger } from './support/admin.js';
import { runPreload } from './support/preload-bridge.js';
import { REPO_ROOT } from './support/reference.js';

const BAD_NO_ARGS: unknown[] = [undefined, null, [], 'x', 1, true, { extra: 1 }, Object.create({ a: 1 }) as unknown, new Date()];

describe('validators', () => {
  it('noArgs accepts {} (and a null-prototype {}) and returns a fresh object', () => {
    const input = {};
    const r = noArgs(input);
    assert.ok(r.ok);
    assert.notEqual(r.value, input);
    assert.ok(noArgs(Object.create(null)).ok);
  });

  it('noArgs rejects everything else with a message naming the problem', () => {
    for (const bad of BAD_NO_ARGS) {
      const r = noArgs(bad, 'args');
      assert.equal(r.ok, false, `accepted ${String(bad)}`);
      if (!r.ok) assert.match(r.message, /^args: /);
    }
    const r = noArgs({ extra: 1 });
    assert.ok(!r.ok && r.message.includes('unknown field "extra"'));
  });

  it('object() checks fields, drops nothing it was not told about, and reports the path', () => {
    const v = object({ name: string({ minLength: 1, maxLength: 5 }), port: integer({ min: 1, max: 65535 }), mode: optional(oneOf('a', 'b')) });
    assert.deepEqual(v({ name: 'kms', port: 5696 }), { ok: true, value: { name: 'kms', port: 5696 } });
    assert.deepEqual(v({ name: 'kms', port: 5696, mode: 'b' }), { ok: true, value: { name: 'kms', port: 5696, mode: 'b' } });
    assert.deepEqual(v({ name: 'kms', port: 0 }), { ok: false, message: 'args.port: out of range 1..65535' });
    assert.deepEqual(v({ name: '', port: 1 }), { ok: false, message: 'args.name: shorter than 1 characters' });
    assert.deepEqual(v({ name: 'toolong', port: 1 }), { ok: false, message: 'args.name: longer than 5 characters' });
    assert.deepEqual(v({ name: 'k', port: 1.5 }), { ok: false, message: 'args.port: expected integer, got number' });
    assert.deepEqual(v({ name: 'k', port: 1, mode: 'c' }), { ok: false, message: 'args.mode: expected one of "a", "b"' });
    assert.deepEqual(v({ port: 1 }), { ok: false, message: 'args.name: expected string, got undefined' });
    // JSON.parse can produce an own "__proto__" key; it must be refused, not merged.
    assert.equal(v(JSON.parse('{"name":"k","port":1,"__proto__":{"x":1}}')).ok, false);
  });
});

describe('contract', () => {
  it('derives names and channels from the contract keys', () => {
    assert.deepEqual([...callNames].sort(), Object.keys(contract.calls).sort());
    assert.deepEqual([...eventNames].sort(), Object.keys(contract.events).sort());
    assert.ok(eventNames.includes('engine.statusChanged') && eventNames.includes('audit.records'));
    assert.ok(callNames.includes('app.info') && callNames.includes('engine.status'));
    assert.equal(callChannel('app.info'), 'keyhold:call:app.info');
    assert.equal(eventChannel('engine.statusChanged'), 'keyhold:event:engine.statusChanged');
    assert.equal(httpCallPath('engine.status'), '/api/engine.status');
  });

  it('only own keys are names (no prototype members)', () => {
    for (const n of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'app', 'APP.INFO']) {
      assert.equal(isCallName(n), false, n);
      assert.equal(isEventName(n), false, n);
    }
    assert.equal(isCallName(42), false);
  });

  it('every call validates its args', () => {
    for (const name of callNames) {
      // Calls with required fields refuse {} too; none accepts a non-object or an unknown field.
      for (const bad of ['nonsense', null, [], { unknownField: 1 }]) assert.equal(validateArgs(name, bad).ok, false, `${name} ${JSON.stringify(bad)}`);
    }
    for (const name of ['app.info', 'engine.status', 'keys.list', 'logs.query', 'logs.verify', 'dashboard.summary'] as const) assert.ok(validateArgs(name, {}).ok, name);
  });
});

describe('dispatchCall', () => {
  const log = recordingLogger();
  const service = createAdminService({ appInfo: { name: 'Keyhold', id: 'keyhold', version: '9.9.9', mode: 'headless' }, engine: fakeEngine(), log });

  it('answers a valid call with {ok: true, value}', async () => {
    assert.deepEqual(await dispatchCall(service.handlers, 'app.info', {}, log), {
      ok: true,
      value: { name: 'Keyhold', id: 'keyhold', version: '9.9.9', mode: 'headless' },
    });
  });

  it('rejects unknown calls and bad args with plain {code, message}', async () => {
    for (const name of ['nope', '__proto__', 'constructor', undefined, 7]) {
      const r = await dispatchCall(service.handlers, name, {}, log);
      assert.ok(!r.ok && r.error.code === 'unknown_call', String(name));
      assert.ok(isIpcError(r.error));
      assert.equal(Object.getPrototypeOf(r.error), Object.prototype, 'plain object, not an Error');
    }
    for (const name of callNames) {
      for (const bad of BAD_NO_ARGS) {
        const r = await dispatchCall(service.handlers, name, bad, log);
        assert.ok(!r.ok && r.error.code === 'invalid_args' && r.error.message.length > 0, `${name} ${String(bad)}`);
      }
    }
  });

  it('passes CallError through and hides anything else as "internal"', async () => {
    const throwing = {
      ...service.handlers,
      'app.info': () => {
        throw new CallError('not_implemented', 'later');
      },
      'engine.status': () => {
        throw new Error('db path /secret/keys.db locked');
      },
    };
    assert.deepEqual(await dispatchCall(throwing, 'app.info', {}, log), { ok: false, error: { code: 'not_implemented', message: 'later' } });
    const r = await dispatchCall(throwing, 'engine.status', {}, log);
    assert.deepEqual(r, { ok: false, error: { code: 'internal', message: 'Internal error', key: 'errors.internal' } });
    assert.ok(log.lines.some((l) => l.startsWith('error call engine.status failed')));
  });
});

describe('admin handlers', () => {
  it('app.info comes from package.json', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
    assert.equal(findAppRoot(import.meta.url), REPO_ROOT);
    const service = createAdminService({ appInfo: readAppInfo(REPO_ROOT, 'desktop'), engine: createStubEngine(), log: recordingLogger() });
    assert.deepEqual(await service.handlers['app.info']({}), { name: 'Keyhold', id: pkg.name, version: pkg.version, mode: 'desktop' });
  });

  it('engine.status reports the stub engine as stopped, and the stub refuses to start', async () => {
    const engine = createStubEngine(() => new Date('2026-02-03T04:05:06.000Z'));
    const service = createAdminService({ appInfo: readAppInfo(REPO_ROOT, 'desktop'), engine, log: recordingLogger() });
    const status = await service.handlers['engine.status']({});
    assert.deepEqual(status, { state: 'stopped', since: '2026-02-03T04:05:06.000Z', endpoint: null, lastError: null });
    await assert.rejects(engine.start(), (e: unknown) => e instanceof CallError && e.code === 'not_implemented');
  });

  it('subscribe delivers engine.statusChanged and survives a throwing listener', () => {
    const engine = fakeEngine();
    const log = recordingLogger();
    const service = createAdminService({ appInfo: readAppInfo(REPO_ROOT, 'desktop'), engine, log });
    const seen: AnyEvent[] = [];
    service.subscribe(() => {
      throw new Error('boom');
    });
    const off = service.subscribe((e) => seen.push(e));
    const running: EngineStatus = { state: 'running', since: 'x', endpoint: '127.0.0.1:5696', lastError: null };
    engine.emit(running);
    off();
    engine.emit({ ...running, state: 'stopping' });
    assert.deepEqual(seen, [{ name: 'engine.statusChanged', payload: running }]);
    assert.ok(log.lines.some((l) => l.includes('boom')));
  });
});

describe('Electron IPC binding (fake ipcMain)', () => {
  type Handler = (event: unknown, args: unknown) => Promise<unknown>;
  const frame = (url: string, parent: unknown = null) => ({ senderFrame: { url, parent } });

  function bound() {
    const handlers = new Map<string, Handler>();
    const ipcMain = {
      handle: (channel: string, fn: Handler) => void handlers.set(channel, fn),
      removeHandler: (channel: string) => void handlers.delete(channel),
    };
    const service = createAdminService({ appInfo: readAppInfo(REPO_ROOT, 'desktop'), engine: fakeEngine(), log: recordingLogger() });
    const unbind = bindIpc(ipcMain as never, service);
    return { handlers, unbind };
  }

  it('registers exactly one handler per contract call, and removes them', () => {
    const { handlers, unbind } = bound();
    assert.deepEqual([...handlers.keys()].sort(), callNames.map((n) => callChannel(n)).sort());
    unbind();
    assert.equal(handlers.size, 0);
  });

  it('answers the app origin and refuses every other sender', async () => {
    const { handlers } = bound();
    const h = handlers.get(callChannel('engine.status'));
    assert.ok(h);
    const good = await h(frame('app://keyhold/index.html'), {});
    assert.ok(isCallResult(good) && good.ok);
    const untrusted = [
      { senderFrame: null },
      frame('https://evil.example/'),
      frame('file:///opt/keyhold/renderer/dist/index.html'),
      frame('app://other/index.html'),
      frame('app://user:pw@keyhold/'),
      frame('http://127.0.0.1:5173/'),
      frame('app://keyhold/index.html', { url: 'app://keyhold/' }), // a subframe
    ];
    for (const ev of untrusted) {
      assert.deepEqual(await h(ev, {}), { ok: false, error: { code: 'forbidden', message: 'Untrusted sender' } }, JSON.stringify(ev));
    }
    const bad = await h(frame('app://keyhold/'), { x: 1 });
    assert.ok(isCallResult(bad) && !bad.ok && bad.error.code === 'invalid_args');
  });

  it('isAppOriginUrl / isTrustedSender edge cases', () => {
    assert.equal(isAppOriginUrl(undefined), false);
    assert.equal(isAppOriginUrl('not a url'), false);
    assert.equal(isAppOriginUrl('app://keyhold.evil/'), false);
    // Chromium hands us canonical (lower-case) URLs; anything else fails closed.
    assert.equal(isAppOriginUrl('app://KEYHOLD/x'), false);
    assert.equal(isTrustedSender(frame('app://keyhold/') as never), true);
  });
});

describe('bundled preload', () => {
  it('requires only electron and exposes a bridge generated from the contract', async () => {
    const exposed = new Map<string, unknown>();
    const invoked: [string, unknown][] = [];
    const listeners = new Map<string, (...a: unknown[]) => void>();
    const required = await runPreload({
      contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
      ipcRenderer: {
        invoke: (channel: string, args: unknown) => (invoked.push([channel, args]), Promise.resolve({ ok: true, value: channel })),
        on: (channel: string, fn: (...a: unknown[]) => void) => listeners.set(channel, fn),
        removeListener: (channel: string) => listeners.delete(channel),
      },
    });

    assert.deepEqual([...new Set(required)], ['electron']);
    const bridge = exposed.get('keyhold') as {
      call: Record<string, (a: unknown) => Promise<unknown>>;
      on: (n: string, l: (p: unknown) => void) => () => void;
    };
    assert.deepEqual(Object.keys(bridge.call).sort(), [...callNames].sort());
    assert.deepEqual(await bridge.call['app.info']?.({}), { ok: true, value: 'keyhold:call:app.info' });
    assert.deepEqual(invoked, [['keyhold:call:app.info', {}]]);

    const got: unknown[] = [];
    const off = bridge.on('engine.statusChanged', (p) => got.push(p));
    listeners.get('keyhold:event:engine.statusChanged')?.({ sender: 'ipcRenderer!' }, { state: 'running' });
    assert.deepEqual(got, [{ state: 'running' }], 'the listener gets the payload, never the IPC event');
    off();
    assert.equal(listeners.size, 0);
    assert.throws(() => bridge.on('some.otherChannel', () => {}), /Unknown event/);
  });
});

// --- import boundaries ---------------------------------------------------------

const SOURCE_EXT = /\.(ts|cts|mts|js|cjs|mjs|svelte)$/;

function sourceFiles(dir: string): string[] {
  const abs = join(REPO_ROOT, dir);
  let entries: string[];
  try {
    entries = readdirSync(abs);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const p = join(abs, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(p).isDirectory()) return sourceFiles(join(dir, name));
    return SOURCE_EXT.test(name) ? [p] : [];
  });
}

/** The script of a source file: a .svelte file's <script> blocks, any other file whole. */
function scriptOf(file: string, text: string): string {
  if (!file.endsWith('.svelte')) return text;
  return [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n');
}

/** Every module specifier a source imports, requires or dynamically imports (type-only imports included). */
function importsOfSource(file: string, text: string): string[] {
  return ts.preProcessFile(scriptOf(file, text), true, true).importedFiles.map((f) => f.fileName);
}

function importsOf(file: string): string[] {
  return importsOfSource(file, readFileSync(file, 'utf8'));
}

/** Node's own globals: code that names one runs only under Node (or needs a polyfill). */
const NODE_GLOBALS = new Set(['Buffer', 'process', 'require', '__dirname', '__filename']);

/**
 * The Node globals a source refers to, with their line: identifiers in
 * expression or type position (not property names such as `x.process` or
 * `{ process: 1 }`, not comments or strings), and `globalThis.process` /
 * `globalThis['Buffer']`. A local variable of such a name counts too: in
 * shared/ code, do not shadow them.
 */
function nodeGlobalsIn(file: string, text: string): string[] {
  const source = ts.createSourceFile(file.replace(/\.svelte$/, '.ts'), scriptOf(file, text), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const note = (name: string, at: ts.Node) => found.push(`${name} (line ${source.getLineAndCharacterOfPosition(at.getStart(source)).line + 1})`);
  const isNameSlot = (node: ts.Identifier): boolean => {
    const p = node.parent;
    return (
      ((ts.isPropertyAccessExpression(p) || ts.isQualifiedName(p)) && (ts.isPropertyAccessExpression(p) ? p.name : p.right) === node) ||
      ((ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p) || ts.isPropertySignature(p) || ts.isMethodDeclaration(p) ||
        ts.isMethodSignature(p) || ts.isGetAccessor(p) || ts.isSetAccessor(p) || ts.isEnumMember(p)) && p.name === node) ||
      (ts.isImportSpecifier(p) || ts.isExportSpecifier(p)) ||
      (ts.isBindingElement(p) && p.propertyName === node) ||
      ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p)
    );
  };
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && NODE_GLOBALS.has(node.text) && !isNameSlot(node)) note(node.text, node);
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'globalThis' && NODE_GLOBALS.has(node.name.text)) {
      note(`globalThis.${node.name.text}`, node);
    }
    if (ts.isElementAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'globalThis' &&
      ts.isStringLiteralLike(node.argumentExpression) && NODE_GLOBALS.has(node.argumentExpression.text)) {
      note(`globalThis['${node.argumentExpression.text}']`, node);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const isElectron = (s: string) => s === 'electron' || s.startsWith('electron/') || s === 'electron-log/main';
const isNodeBuiltin = (s: string) => s.startsWith('node:') || builtinModules.includes(s.split('/')[0] ?? s);
const isRelative = (s: string) => s.startsWith('./') || s.startsWith('../');
const rel = (p: string) => relative(REPO_ROOT, p).split(sep).join('/');

/**
 * What a shared/ source may not do: import anything but relative paths inside
 * shared/ (no npm package, no node: module, no absolute path), or use a Node
 * global. `file` is the absolute path (only its place in the tree matters).
 */
function sharedViolations(file: string, text: string): string[] {
  const imports = importsOfSource(file, text).flatMap((s) => {
    if (!isRelative(s)) return [`imports '${s}' (shared/ code runs in main and renderer alike: relative imports within shared/ only)`];
    const target = rel(resolve(dirname(file), s));
    return target.startsWith('shared/') ? [] : [`imports ${target}, outside shared/`];
  });
  return [...imports, ...nodeGlobalsIn(file, text).map((g) => `uses the Node global ${g}`)];
}

/** What a renderer/ source may not do: import a Node module (it runs in the sandboxed page). Build tooling aside. */
function rendererViolations(file: string, text: string): string[] {
  if (BUILD_TOOL_CONFIG.test(rel(file))) return [];
  return importsOfSource(file, text).filter(isNodeBuiltin).map((s) => `imports Node module '${s}'`);
}

/** vite.config.ts and vitest.config.ts: build and test tooling, run by Node, never shipped in the renderer. */
const BUILD_TOOL_CONFIG = /(^|\/)vite(st)?\.config\.ts$/;

describe('import boundaries', () => {
  const all = ['main', 'shared', 'renderer', 'build', 'test', 'bin'].flatMap(sourceFiles);

  it('finds the sources it is meant to scan', () => {
    const names = all.map(rel);
    for (const f of ['main/electron/main.ts', 'main/electron/preload.cts', 'shared/ipc/contract.ts', 'renderer/src/App.svelte', 'renderer/src/api.ts']) {
      assert.ok(names.includes(f), f);
    }
  });

  it("only main/electron/ imports 'electron'", () => {
    const offenders = all
      .filter((f) => !rel(f).startsWith('main/electron/'))
      .flatMap((f) => importsOf(f).filter(isElectron).map((s) => `${rel(f)} -> ${s}`));
    assert.deepEqual(offenders, []);
  });

  it('renderer/ and shared/ import no Node built-ins', () => {
    const offenders = [...sourceFiles('renderer'), ...sourceFiles('shared')]
      .filter((f) => !BUILD_TOOL_CONFIG.test(rel(f))) // build tooling, runs in Node
      .flatMap((f) => importsOf(f).filter(isNodeBuiltin).map((s) => `${rel(f)} -> ${s}`));
    assert.deepEqual(offenders, []);
  });

  it('shared/ imports no npm package, no Node module and nothing outside shared/, and uses no Node global', () => {
    const offenders = sourceFiles('shared').flatMap((f) => sharedViolations(f, readFileSync(f, 'utf8')).map((v) => `${rel(f)}: ${v}`));
    assert.deepEqual(offenders, []);
  });

  it('renderer/ imports no Node module (vite.config.ts, build tooling, aside)', () => {
    const offenders = sourceFiles('renderer').flatMap((f) => rendererViolations(f, readFileSync(f, 'utf8')).map((v) => `${rel(f)}: ${v}`));
    assert.deepEqual(offenders, []);
  });

  it('the boundary checks catch what they are meant to (synthetic sources)', () => {
    const shared = join(REPO_ROOT, 'shared', 'kmip', 'example.ts');
    const ok = [
      "import { a } from './a.js';\nimport type { B } from '../ipc/b.js';\nexport const x = { process: 1, Buffer: 2 };",
      '// process.env and Buffer in a comment\nconst s = "require(\'fs\')";\nfunction f(o: { process: number }) { return o.process; }',
      'const bytes = new Uint8Array(4); const text = new TextDecoder().decode(bytes); export { bytes, text };',
    ];
    for (const text of ok) assert.deepEqual(sharedViolations(shared, text), [], text);
    const bad: [string, RegExp][] = [
      ["import fc from 'fast-check';", /imports 'fast-check'/],
      ["import { readFileSync } from 'node:fs';", /imports 'node:fs'/],
      ["import { join } from 'path';", /imports 'path'/],
      ["export * from 'node:crypto';", /imports 'node:crypto'/],
      ["const m = await import('better-sqlite3');", /imports 'better-sqlite3'/],
      ["import { x } from '../../main/cli/x.js';", /outside shared\//],
      ['export const b = Buffer.from("ab", "hex");', /Node global Buffer \(line 1\)/],
      ['export const home = process.env.HOME;', /Node global process/],
      ["const fs = require('fs');", /Node global require/],
      ['export const here = __dirname;', /Node global __dirname/],
      ['export function f(b: Buffer): number { return b.length; }', /Node global Buffer/],
      ['export const p = globalThis.process;', /globalThis\.process/],
      ["export const p = globalThis['Buffer'];", /globalThis\['Buffer'\]/],
    ];
    for (const [text, expected] of bad) {
      const found = sharedViolations(shared, text);
      assert.ok(found.some((v) => expected.test(v)), `${text} → ${JSON.stringify(found)}`);
    }
    const page = join(REPO_ROOT, 'renderer', 'src', 'Example.svelte');
    assert.deepEqual(rendererViolations(page, "<script lang=\"ts\">\nimport { mount } from 'svelte';\nimport { api } from './api';\n</script>"), []);
    assert.deepEqual(rendererViolations(page, "<script lang=\"ts\">\nimport { readFile } from 'node:fs/promises';\n</script>"), ["imports Node module 'node:fs/promises'"]);
    assert.deepEqual(rendererViolations(join(REPO_ROOT, 'renderer', 'src', 'x.ts'), "import os from 'os';"), ["imports Node module 'os'"]);
  });

  it('shared/ imports only shared/, and renderer/ only renderer/ and shared/', () => {
    const check = (dir: string, allowed: string[]) =>
      sourceFiles(dir).flatMap((f) =>
        importsOf(f)
          .filter((s) => s.startsWith('.'))
          .map((s) => rel(resolve(dirname(f), s)))
          .filter((target) => !allowed.some((a) => target.startsWith(a)))
          .map((target) => `${rel(f)} -> ${target}`),
      );
    assert.deepEqual(check('shared', ['shared/']), []);
    assert.deepEqual(check('renderer', ['renderer/', 'shared/']), []);
  });
});
