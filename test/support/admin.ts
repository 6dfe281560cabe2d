// Test doubles for the admin layer: a controllable engine and an HTTP client
// that can send any Host header (fetch() would not let us forge one).

import { request } from 'node:http';
import type { EngineStatus } from '../../shared/ipc/contract.js';
import type { EngineController } from '../../main/admin/engine.js';
import type { Logger } from '../../main/admin/log.js';

export interface FakeEngine extends EngineController {
  /** Synchronous here, so tests can compare against it directly. */
  status(): EngineStatus;
  emit(status: EngineStatus): void;
}

export function fakeEngine(initial: Partial<EngineStatus> = {}): FakeEngine {
  let status: EngineStatus = {
    state: 'stopped',
    since: '2026-01-01T00:00:00.000Z',
    endpoint: null,
    lastError: null,
    ...initial,
  };
  const listeners = new Set<(s: EngineStatus) => void>();
  return {
    status: () => status,
    start: async () => {},
    stop: async () => {},
    unlock: async () => {},
    onStatusChanged(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(next) {
      status = next;
      for (const l of listeners) l(next);
    },
  };
}

export interface RecordingLogger extends Logger {
  readonly lines: string[];
}

export function recordingLogger(): RecordingLogger {
  const lines: string[] = [];
  const rec = (level: string) => (...args: unknown[]) => {
    lines.push(`${level} ${args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ')}`);
  };
  return { lines, info: rec('info'), warn: rec('warn'), error: rec('error') };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): unknown;
}

export function httpRequest(
  port: number,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  // An explicit length: Node sends a GET body unframed otherwise, which the
  // server would read as the start of the next request on the kept-alive socket.
  const length = opts.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(opts.body)) };
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers: { ...length, ...opts.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) as unknown });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
