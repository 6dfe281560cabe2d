// `keyhold ARGS` run in this process through main(): its exit status and what it wrote.
import assert from 'node:assert/strict';
import { main } from '../../main/cli/main.js';

/** Runs the CLI with `stdin` as standard input (none when ''); collects stdout and stderr. */
export async function runCli(args: string[], stdin = ''): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = {
    stdin: (async function* () {
      if (stdin !== '') yield stdin;
    })(),
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  };
  const status = await main(args, io);
  return { status, out, err };
}

/** `keyhold policy set --data-dir DIR ARGS`, which must succeed; what it printed. */
export async function policySet(dataDir: string, ...args: string[]): Promise<string> {
  const r = await runCli(['policy', 'set', '--data-dir', dataDir, ...args]);
  assert.equal(r.status, 0, r.err);
  return r.out;
}
