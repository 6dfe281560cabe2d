// End-to-end harness: a real `keyhold serve` (child process, temp data dir,
// free ports) and Debian's Chromium driven by playwright-core. Screenshots go
// to test-artifacts/screenshots/ (gitignored). close() undoes everything, and
// it also runs if the process exits with the session still open, so a failed
// test leaves no server, browser or temp folder behind.
//
// Chromium comes from the system (/usr/bin/chromium, `apt-get install
// chromium`); playwright-core never downloads a browser.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from './reference.js';

export const CHROMIUM = process.env.KEYHOLD_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-artifacts', 'screenshots');
const BIN = join(REPO_ROOT, 'bin', 'keyhold.mjs');

/** TOOLCHAIN.md: what Chromium needs here (root, no GPU, no network side trips). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * How far the page scrolls sideways: document.documentElement.scrollWidth
 * beyond innerWidth (0 or less: it does not). A wide table must wrap or
 * scroll inside its own container, never the page.
 */
export async function sidewaysOverflow(page: Page): Promise<number> {
  // Runs in the page; the test tsconfig has no DOM types, so the page's globals are typed here.
  return page.evaluate(() => {
    const w = globalThis as unknown as { innerWidth: number; document: { documentElement: { scrollWidth: number } } };
    return w.document.documentElement.scrollWidth - w.innerWidth;
  });
}

/** Why e2e tests cannot run here, or null when they can (Chromium present, the UI built). */
export function e2eUnavailable(): string | null {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing: apt-get install chromium`;
  if (!existsSync(join(REPO_ROOT, 'renderer', 'dist', 'index.html'))) return 'renderer/dist is missing: npm run build:renderer';
  return null;
}

export interface E2eOptions {
  /** KEYHOLD_TEST_FAULTS=1: crash() can make the engine worker die. */
  faults?: boolean;
  /** Extra `keyhold serve` arguments. */
  args?: string[];
  /** Runs on the fresh data dir before `keyhold serve` starts (e.g. set an admin password). */
  beforeStart?: (dataDir: string) => Promise<void>;
}

export interface E2eSession {
  /** The admin URL `keyhold serve` printed (token in the fragment). */
  readonly url: string;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  readonly token: string;
  /** The KMIP port. */
  readonly kmipPort: number;
  readonly dataDir: string;
  /** The current `keyhold serve` process. */
  readonly serve: ChildProcess;
  readonly browser: Browser;
  readonly context: BrowserContext;
  /** Opened at `url`. */
  readonly page: Page;
  /** Everything `keyhold serve` wrote to stdout and stderr so far. */
  output(): string;
  /** Waits until output() matches, after `from` characters (default: all of it). */
  waitForOutput(pattern: RegExp, timeoutMs?: number, from?: number): Promise<RegExpMatchArray>;
  /**
   * Stops `keyhold serve` (SIGTERM) and starts it again on the same data dir
   * and admin port; resolves with the admin URL it printed. The page stays open.
   */
  restartServe(): Promise<string>;
  /** Makes the engine worker die ('throw': uncaught exception, 'exit': process.exit). Needs faults. */
  crash(how: 'throw' | 'exit'): void;
  /** Saves test-artifacts/screenshots/NAME.png; returns its path. */
  screenshot(name: string, page?: Page): Promise<string>;
  close(): Promise<void>;
}

const open = new Set<E2eSession>();
process.once('exit', () => {
  // Last resort after a crash of the test process itself: no stray server or browser.
  for (const s of open) {
    s.serve.kill('SIGKILL');
    try {
      rmSync(s.dataDir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
});

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}

export async function startE2e(opts: E2eOptions = {}): Promise<E2eSession> {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyhold-e2e-'));
  let out = '';
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };
  let serve: ChildProcess;
  let exited = false;
  const spawnServe = (adminPort: number) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0', '--admin-port', String(adminPort), ...(opts.args ?? [])], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...(opts.faults ? { KEYHOLD_TEST_FAULTS: '1' } : {}) },
    });
    const onData = (c: Buffer) => {
      out += c.toString();
      wake();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    exited = false;
    child.once('exit', () => {
      exited = true;
      wake();
    });
    serve = child;
  };

  const waitForOutput = (pattern: RegExp, timeoutMs = 30_000, from = 0) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = out.slice(from).match(pattern);
        if (m) return done(() => resolve(m));
        if (exited) return done(() => reject(new Error(`keyhold serve exited before printing ${pattern}:\n${out}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`keyhold serve did not print ${pattern} within ${timeoutMs} ms:\n${out}`))), timeoutMs);
      const done = (fn: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        fn();
      };
      waiters.add(check);
      check();
    });

  /** The lines a started serve prints: its KMIP port and its admin URL. */
  const started = async (from: number) => {
    const kmip = await waitForOutput(/^KMIP server listening on 127\.0\.0\.1:(\d+)$/m, 60_000, from);
    const admin = await waitForOutput(/^Admin UI: (http:\/\/127\.0\.0\.1:(\d+))\/#token=([A-Za-z0-9_-]+)$/m, 30_000, from);
    const [, origin, port, token] = admin as unknown as [string, string, string, string];
    return { kmipPort: Number(kmip[1]), origin, adminPort: Number(port), token };
  };

  let browser: Browser | undefined;
  let launching: Promise<Browser> | undefined;
  const cleanup = async () => {
    await browser?.close().catch(() => {});
    await launching?.then((b) => b.close()).catch(() => {});
    await stopProcess(serve);
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await opts.beforeStart?.(dataDir);
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  spawnServe(0);
  try {
    // Chromium starts while the server does (both take seconds).
    launching = chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
    // A browser that comes up after a failure here is closed by cleanup() all the same.
    launching.then((b) => (browser = b), () => {});
    const [first, launched] = await Promise.all([started(0), launching]);
    browser = launched;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const url = `${first.origin}/#token=${first.token}`;
    await page.goto(url);
    const b = launched;
    let kmipPort = first.kmipPort;
    const session: E2eSession = {
      url,
      origin: first.origin,
      token: first.token,
      get kmipPort() {
        return kmipPort;
      },
      dataDir,
      get serve() {
        return serve;
      },
      browser: b,
      context,
      page,
      output: () => out,
      waitForOutput,
      async restartServe() {
        await stopProcess(serve);
        const from = out.length;
        spawnServe(first.adminPort);
        const again = await started(from);
        kmipPort = again.kmipPort;
        return `${again.origin}/#token=${again.token}`;
      },
      crash(how) {
        if (!opts.faults) throw new Error('crash() needs startE2e({ faults: true })');
        serve.stdin!.write(`crash ${how}\n`);
      },
      async screenshot(name, p = page) {
        mkdirSync(SCREENSHOT_DIR, { recursive: true });
        const file = join(SCREENSHOT_DIR, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.png`);
        await p.screenshot({ path: file, fullPage: true });
        return file;
      },
      async close() {
        open.delete(session);
        await cleanup();
      },
    };
    open.add(session);
    return session;
  } catch (e) {
    await cleanup();
    throw e;
  }
}
