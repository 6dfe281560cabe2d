// The real preload, bundled by vite as `npm run build:preload` does, run in a
// VM with a stand-in for the one module a sandboxed preload may require:
// 'electron'. Tests hand in the contextBridge and ipcRenderer doubles they need.
import vm from 'node:vm';
import { join } from 'node:path';
import { build } from 'vite';
import { REPO_ROOT } from './reference.js';

export interface FakeElectron {
  contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
  ipcRenderer: {
    invoke(channel: string, args: unknown): Promise<unknown>;
    on(channel: string, fn: (...a: unknown[]) => void): unknown;
    removeListener(channel: string, fn: (...a: unknown[]) => void): unknown;
  };
}

let bundled: Promise<string> | undefined;

/** The preload's bundled code (built once per test process). */
export function preloadCode(): Promise<string> {
  bundled ??= (async () => {
    const result = await build({ configFile: join(REPO_ROOT, 'build', 'vite.preload.config.ts'), root: REPO_ROOT, logLevel: 'silent', build: { write: false } });
    const output = (Array.isArray(result) ? result[0] : result) as { output: { type: string; code?: string }[] };
    const code = output.output.find((o) => o.type === 'chunk')?.code;
    if (code === undefined) throw new Error('the preload build produced no chunk');
    return code;
  })();
  return bundled;
}

/** Runs the preload against `electron`; returns the module ids it required. */
export async function runPreload(electron: FakeElectron): Promise<string[]> {
  const required: string[] = [];
  const fakeRequire = (id: string) => {
    required.push(id);
    if (id === 'electron') return electron;
    throw new Error(`sandboxed preload cannot require ${id}`);
  };
  const mod = { exports: {} };
  const fn = vm.runInNewContext(`(function (require, module, exports) {\n${await preloadCode()}\n})`) as (...a: unknown[]) => void;
  fn(fakeRequire, mod, mod.exports);
  return required;
}
