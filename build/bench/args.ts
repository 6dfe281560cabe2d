// Command line of `npm run bench`.
import { OPS, type BenchOp } from './requests.js';

export interface BenchArgs {
  ops: BenchOp[];
  modes: ('persistent' | 'new-connection')[];
  connections: number;
  /** Requests per op and mode (upper bound). */
  count: number;
  /** Seconds per op and mode (upper bound). */
  duration: number;
  prefill: number;
  json: boolean;
  timeoutMs: number;
  /** Extra node flags for the server process (e.g. --cpu-prof). */
  serverNodeArgs: string[];
  keep: boolean;
  /** A data dir kept between runs: filled once (ids in bench-ids.json), reused while big enough. */
  reuse?: string;
}

export const USAGE = `usage: npm run bench -- [options]
  --ops LIST           ${OPS.join(',')} (default: all)
  --mode MODE          persistent | new-connection | both (default: both)
  --connections N      concurrent connections (default 4)
  --duration S         seconds per op and mode, at most (default 5)
  --count N            requests per op and mode, at most (default 1000000)
  --prefill N          objects written before the server starts (default 10000)
  --timeout-ms N       a request without a response by then is an error (default 10000)
  --server-node-arg A  pass a node flag to the server process (repeatable), e.g. --cpu-prof
  --keep               keep the temporary data dir
  --reuse DIR          use DIR as the data dir, prefilled once and reused by later runs (1,000,000 objects take minutes)
  --json               one JSON document on stdout instead of the table`;

function positive(name: string, v: string | undefined, min = 1): number {
  const n = Number(v);
  if (v === undefined || !Number.isFinite(n) || n < min) throw new Error(`${name} needs a number ≥ ${min}`);
  return n;
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const a: BenchArgs = {
    ops: [...OPS],
    modes: ['persistent', 'new-connection'],
    connections: 4,
    count: 1_000_000,
    duration: 5,
    prefill: 10_000,
    json: false,
    timeoutMs: 10_000,
    serverNodeArgs: [],
    keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => argv[++i];
    switch (flag) {
      case '--ops': {
        const list = (value() ?? '').split(',').filter((s) => s !== '');
        const bad = list.find((o) => !(OPS as readonly string[]).includes(o));
        if (list.length === 0 || bad !== undefined) throw new Error(`--ops takes a list of ${OPS.join(', ')}${bad ? ` (not ${bad})` : ''}`);
        a.ops = list as BenchOp[];
        break;
      }
      case '--mode': {
        const m = value();
        if (m === 'both') a.modes = ['persistent', 'new-connection'];
        else if (m === 'persistent' || m === 'new-connection') a.modes = [m];
        else throw new Error('--mode is persistent, new-connection or both');
        break;
      }
      case '--connections': a.connections = Math.floor(positive(flag, value())); break;
      case '--duration': a.duration = positive(flag, value(), 0.1); break;
      case '--count': a.count = Math.floor(positive(flag, value())); break;
      case '--prefill': a.prefill = Math.floor(positive(flag, value())); break;
      case '--timeout-ms': a.timeoutMs = Math.floor(positive(flag, value(), 100)); break;
      case '--server-node-arg': {
        const v = value();
        if (v === undefined) throw new Error('--server-node-arg needs a value');
        a.serverNodeArgs.push(v);
        break;
      }
      case '--keep': a.keep = true; break;
      case '--reuse': {
        const v = value();
        if (v === undefined || v === '') throw new Error('--reuse needs a directory');
        a.reuse = v;
        break;
      }
      case '--json': a.json = true; break;
      case '--help': case '-h': throw new Error(USAGE);
      default: throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  // Bounded always: no run is longer than 10 minutes or larger than 10 million requests.
  if (a.duration > 600) throw new Error('--duration is at most 600 seconds');
  if (a.count > 10_000_000) throw new Error('--count is at most 10000000');
  if (a.connections > 1000) throw new Error('--connections is at most 1000');
  return a;
}
