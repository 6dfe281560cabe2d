// PyKMIP, the independent KMIP client of the interop tests: Debian's
// python3-pykmip, run by /usr/bin/python3 (the python3 on PATH may be another
// interpreter). A missing PyKMIP makes those tests fail with this reason;
// they are never skipped.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { parseGrants } from '../../main/access/policy.js';
import { silentLogger } from '../../main/admin/log.js';
import { startServer, type RunningServer } from '../../main/server/serve.js';
import { enrolHere } from './kmip-tls.js';

export const PYTHON = '/usr/bin/python3';

/** Why PyKMIP cannot run here (a sentence saying how to install it), or undefined when it can. */
export function pykmipProblem(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing: install python3 and python3-pykmip (apt-get install -y python3-pykmip; .ci/run does this)`;
  const probe = spawnSync(PYTHON, ['-c', 'import kmip.pie.client, kmip.version; print(kmip.version.__version__)'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.status !== 0) return `PyKMIP is not importable by ${PYTHON} (apt-get install -y python3-pykmip; .ci/run does this): ${probe.error?.message ?? probe.stderr.trim()}`;
  return undefined;
}

export interface DriverStep {
  step: string;
  ok: boolean;
  detail: unknown;
}

/**
 * Runs a STEP_LINES driver (test/interop/pykmip_common.py) with PYTHON,
 * asynchronously (an in-process server must keep serving meanwhile). Every
 * step it reports must be ok and it must exit 0; the steps come back by name.
 * `context` in a failure shows its output.
 */
export async function runStepDriver(driver: string, args: readonly string[]): Promise<{ steps: DriverStep[]; byName: Map<string, unknown>; context: string }> {
  const problem = pykmipProblem();
  assert.equal(problem, undefined, problem);
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(PYTHON, [driver, ...args], { timeout: 90_000, killSignal: 'SIGKILL', encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr }));
  });
  const context = `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr.slice(-3000)}`;
  const steps = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as DriverStep);
  for (const l of steps) assert.equal(l.ok, true, `PyKMIP step "${l.step}": ${JSON.stringify(l.detail)}`);
  assert.equal(r.code, 0, context);
  return { steps, byName: new Map(steps.map((l) => [l.step, l.detail])), context };
}

/** The connection flags of a driver for the client whose bundle is in `dir` as NAME.crt, NAME.key and ca.crt. */
export function driverConnection(port: number, dir: string, name = 'py'): string[] {
  return ['--port', String(port), '--ca', join(dir, 'ca.crt'), '--cert', join(dir, `${name}.crt`), '--key', join(dir, `${name}.key`)];
}

/**
 * For a suite that drives PyKMIP against an in-process server: a fresh data
 * dir, `startServer` on 127.0.0.1 port 0 and client "py" enrolled with every
 * permission (its bundle in `out`), before the suite; stopped and removed
 * after it. Call inside `describe`.
 */
export function serverWithPyClient(prefix: string): { readonly dataDir: string; readonly out: string; readonly server: RunningServer; connection(): string[] } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const dataDir = join(root, 'data');
  const out = join(root, 'py');
  let server: RunningServer | undefined;
  before(async () => {
    server = await startServer({ dataDir, host: '127.0.0.1', port: 0, log: silentLogger });
    await enrolHere(dataDir, out, 'py', { grants: parseGrants('all') });
  });
  after(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });
  return {
    dataDir,
    out,
    get server() {
      if (server === undefined) throw new Error('the server starts in before()');
      return server;
    },
    connection: () => driverConnection(server!.address.port, out),
  };
}
