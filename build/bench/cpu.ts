// CPU time spent by a process and by each of its threads, from /proc (Linux):
// the benchmark divides it by the requests of a run. Throughput on a shared
// 2-core machine moves with whatever else runs; CPU time per request moves
// much less, so it is the figure to compare two versions of the server by.
// Elsewhere (no /proc) there is nothing to read and the figures are left out.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of utime / stime: USER_HZ, 100 on every Linux the benchmark runs on. */
const USER_HZ = 100;

export interface CpuSample {
  /** Microseconds of CPU (user + system) by thread id. */
  threads: Map<string, number>;
}

function ticks(statFile: string): number | undefined {
  try {
    const s = readFileSync(statFile, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3: utime is field 14, stime 15.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return undefined;
  }
}

export function sampleCpu(pid: number): CpuSample | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const threads = new Map<string, number>();
  for (const t of tids) {
    const n = ticks(`/proc/${pid}/task/${t}/stat`);
    if (n !== undefined) threads.set(t, (n * 1_000_000) / USER_HZ);
  }
  return { threads };
}

/** Between two samples: the whole process's CPU and its busiest thread's (the engine worker under load), in microseconds. */
export function cpuBetween(a: CpuSample, b: CpuSample): { total: number; busiest: number } {
  let total = 0;
  let busiest = 0;
  for (const [t, us] of b.threads) {
    const d = us - (a.threads.get(t) ?? 0);
    total += d;
    busiest = Math.max(busiest, d);
  }
  return { total, busiest };
}
