// Client-side helpers for tests that talk to a real `keyhold serve`: mutual
// TLS connections, one request/response exchange, and the listening line.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import tls from 'node:tls';
import { TtlvFramer, type TtlvItem } from '../../shared/kmip/ttlv/index.js';
import { enrolClient, type ClientAccess } from '../../main/server/serve.js';
import type { Logger } from '../../main/admin/log.js';
import { registryOf } from '../../main/server/clients.js';
import { ALL_GRANTS } from '../../main/access/policy.js';
import { Enum } from '../../shared/kmip/registry/index.js';
import { request } from './kmip-requests.js';

/** A client's PEMs; cert/key are left out to test a client without a certificate. */
export interface Creds {
  cert?: string;
  key?: string;
  ca: string;
}

/** The PEMs `keyhold client add NAME --out OUTDIR` wrote. */
export function readCreds(outDir: string, name: string): Creds {
  return {
    cert: readFileSync(join(outDir, `${name}.crt`), 'utf8'),
    key: readFileSync(join(outDir, `${name}.key`), 'utf8'),
    ca: readFileSync(join(outDir, 'ca.crt'), 'utf8'),
  };
}

/** Runs `keyhold client add NAME --data-dir DIR --out OUT --permissions P` (default all) and reads back the client's PEMs. */
export async function enrolCreds(bin: string, dataDir: string, name: string, outDir: string, timeoutMs = 60_000, permissions = 'all'): Promise<Creds> {
  await promisify(execFile)(process.execPath, [bin, 'client', 'add', name, '--data-dir', dataDir, '--out', outDir, '--permissions', permissions], { timeout: timeoutMs });
  return readCreds(outDir, name);
}

/** Enrols in this process (enrolClient, as `client add` does), into OUTDIR/NAME; returns the client's PEMs. */
export async function enrolHere(dataDir: string, outDir: string, name: string, access: ClientAccess): Promise<Creds> {
  await enrolClient(dataDir, name, outDir, access);
  return readCreds(outDir, name);
}

export function connect(port: number, creds: Creds, extra: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: creds.ca, ...(creds.cert ? { cert: creds.cert, key: creds.key } : {}), ...extra });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  });
}

/**
 * Enrols NAME in the data dir (certificate in outDir) and connects to the
 * server on `port` as it. The server reloads clients.json asynchronously, so
 * the first connection (checked with a DiscoverVersions) is retried for up to 2 s.
 */
export async function enrolAndConnect(port: number, dataDir: string, outDir: string, name: string, access: ClientAccess): Promise<tls.TLSSocket> {
  const creds = await enrolHere(dataDir, outDir, name, access);
  const until = Date.now() + 2000;
  for (;;) {
    try {
      const s = await connect(port, creds);
      await call(s, request(Enum.Operation.DiscoverVersions, []));
      return s;
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Sends one message and resolves with the first complete response; rejects if the server closes first. */
export function call(s: tls.TLSSocket, bytes: Uint8Array, timeoutMs = 3000): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const framer = new TtlvFramer();
    const timer = setTimeout(() => done(new Error('no response in time')), timeoutMs);
    const onData = (c: Buffer) => {
      framer.feed(c);
      const m = framer.next();
      if (m) done(null, m);
    };
    const onClose = () => done(new Error('connection closed without a response'));
    const onError = (e: Error) => done(e);
    function done(err: Error | null, m?: Uint8Array) {
      clearTimeout(timer);
      s.off('data', onData).off('close', onClose).off('error', onError);
      if (err) reject(err);
      else resolve(m!);
    }
    s.on('data', onData).once('close', onClose).once('error', onError);
    s.write(bytes);
  });
}

/** Resolves with the first stdout line of a started `serve`. */
export function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no listening line within ${timeoutMs} ms`)), timeoutMs);
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited early with ${code}`));
    });
  });
}

/** A `keyhold serve` child started by startServe; `stderr` collects its log as it arrives. */
export interface ServeProcess {
  child: ChildProcess;
  port: number;
  stderr: string;
}

/** Start `keyhold serve` on 127.0.0.1:0 over `dataDir` and wait for its listening line. */
export async function startServe(bin: string, dataDir: string): Promise<ServeProcess> {
  const child = spawn(process.execPath, [bin, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const serve: ServeProcess = { child, port: 0, stderr: '' };
  child.stderr!.on('data', (c: Buffer) => (serve.stderr += c.toString()));
  const line = await firstLine(child, 60_000);
  const m = /^KMIP server listening on 127\.0\.0\.1:(\d+)$/.exec(line);
  assert.ok(m, `unexpected line: ${line}`);
  serve.port = Number(m[1]);
  return serve;
}

/** SIGTERM, then SIGKILL after 10 s; resolves when the process has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** The first Byte String with this tag anywhere under `it`. */
export function findBytes(it: TtlvItem, tag: number): Uint8Array | undefined {
  if (it.tag === tag && it.type === 'ByteString') return it.value;
  if (it.type !== 'Structure') return undefined;
  for (const c of it.value) {
    const found = findBytes(c, tag);
    if (found) return found;
  }
  return undefined;
}

/** A logger that keeps warnings and errors (one line each) for a test to look through; info is dropped. */
export function capturingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const keep = (...a: unknown[]) => void lines.push(a.join(' '));
  return { log: { info: () => {}, warn: keep, error: keep }, lines };
}

/** A client registry holding one client with every permission, recognised by its certificate's fingerprint (listener tests). */
export function soleClient(fingerprint: string, name = 'c1') {
  return registryOf({ clients: [{ name, fingerprint, added: '', grants: [...ALL_GRANTS], groups: [], ips: [], description: '', enabled: true }], allow: [], retired: [] });
}

/** A Discover Versions over mutual TLS: 'ok', or 'refused: …' with why the connection or the request failed. */
export async function discover(port: number, creds: Creds): Promise<string> {
  let s: tls.TLSSocket;
  try {
    s = await connect(port, creds);
  } catch (e) {
    return `refused: ${(e as Error).message}`;
  }
  try {
    await call(s, request(Enum.Operation.DiscoverVersions, []));
    return 'ok';
  } catch (e) {
    return `refused: ${(e as Error).message}`;
  } finally {
    s.destroy();
  }
}
