// The server under test: `keyhold serve` as a child process, so it runs
// exactly as in production (main thread + engine worker thread, group commit),
// on a loopback port in the benchmark's data dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface ServerProcess {
  port: number;
  pid: number;
  /** SIGTERM, then wait for the graceful exit (SIGKILL after 15 s). */
  stop(): Promise<void>;
  /** What the server logged (its stderr), for error reports. */
  log(): string;
}

export function startServer(repoRoot: string, dataDir: string, nodeArgs: readonly string[] = []): Promise<ServerProcess> {
  const bin = join(repoRoot, 'bin', 'keyhold.mjs');
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, bin, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    // Keep the tail only: a long run must not grow this without bound.
    stderr = (stderr + c.toString()).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start within 120 s: ${stderr}`));
    }, 120_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before listening: ${stderr}`));
    });
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /KMIP server listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      resolve({
        port: Number(m[1]),
        pid: child.pid!,
        log: () => stderr,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
          child.kill('SIGTERM');
          await exited;
          clearTimeout(kill);
        },
      });
    });
  });
}
