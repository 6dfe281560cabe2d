// Figures for one run, and the machine they were measured on.
import os from 'node:os';
import type { RunResult } from './client.js';

export interface OpReport {
  op: string;
  mode: 'persistent' | 'new-connection';
  connections: number;
  requests: number;
  errors: number;
  seconds: number;
  opsPerSecond: number;
  /** Milliseconds; null when no request succeeded. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Server log fsyncs per request (group commit), when the run could count them. */
  fsyncsPerRequest?: number;
  /**
   * CPU microseconds per request (Linux): the whole server process, its
   * busiest thread (the engine worker, which runs TLS, the KMIP engine and
   * the store) and the benchmark's client. Steadier than ops/s on a shared
   * machine (cpu.ts).
   */
  cpuUsPerRequest?: { server: number; engineThread: number; client: number };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function report(op: string, mode: OpReport['mode'], connections: number, r: RunResult, cpu?: { server: number; engineThread: number; client: number }): OpReport {
  const sorted = Float64Array.from(r.latencies).sort();
  const round = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 1000);
  return {
    op,
    mode,
    connections,
    requests: r.requests,
    errors: r.errors,
    seconds: Math.round(r.seconds * 1000) / 1000,
    opsPerSecond: Math.round(r.latencies.length / r.seconds),
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    ...(cpu === undefined || r.requests === 0
      ? {}
      : { cpuUsPerRequest: { server: Math.round(cpu.server / r.requests), engineThread: Math.round(cpu.engineThread / r.requests), client: Math.round(cpu.client / r.requests) } }),
  };
}

export function machine(): { cores: number; cpu: string; node: string; platform: string } {
  const cpus = os.cpus();
  return { cores: cpus.length, cpu: cpus[0]?.model.trim() ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.release()}` };
}

const ms = (x: number | null) => (x === null ? '-' : x.toFixed(2));

export function formatTable(rows: readonly OpReport[]): string {
  const head = ['op', 'mode', 'conns', 'requests', 'errors', 'ops/s', 'p50 ms', 'p95 ms', 'p99 ms', 'cpu µs/req: server', 'engine', 'client'];
  const us = (r: OpReport, k: 'server' | 'engineThread' | 'client') => (r.cpuUsPerRequest === undefined ? '-' : String(r.cpuUsPerRequest[k]));
  const body = rows.map((r) => [r.op, r.mode, String(r.connections), String(r.requests), String(r.errors), String(r.opsPerSecond), ms(r.p50), ms(r.p95), ms(r.p99), us(r, 'server'), us(r, 'engineThread'), us(r, 'client')]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}
