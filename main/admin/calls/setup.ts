// The setup wizard's own calls: its progress (DIR/setup.json), the
// environment checks of step 1 and the connection test of step 6, which is
// `keyhold test-connection`'s testConnection() against the running server.
import { existsSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import {
  SETUP_STEPS, type EnvCheck, type EnvMessageCode, type SetupEnvironment, type SetupState, type SetupTestResult, type setupCalls,
} from '../../../shared/ipc/calls/setup.js';
import { selftestIdentity, testConnection, type ConnectionReport, type ConnectionTarget } from '../../cli/connection-test.js';
import { ensurePki, inspectCertificate, machineAddresses, pkiFiles, writeFileAtomic, type InterfaceMap } from '../../pki/index.js';
import { readClientsDoc } from '../../server/clients.js';
import { serverTrustPem } from '../../server/certificates.js';
import { DEFAULT_KMIP_PORT } from '../../server/serve.js';
import { findAppRoot } from '../app-info.js';
import { CallError } from '../dispatch.js';
import type { AdminDeps, AreaHandlers } from './types.js';

export const SETUP_FILE = 'setup.json';
/** Under this much free space step 1 warns; under LOW_SPACE_ERROR it refuses to go on. */
export const LOW_SPACE_WARNING = 1024 ** 3;
export const LOW_SPACE_ERROR = 50 * 1024 ** 2;
/** A system clock before this year is wrong (certificates issued now would not be valid yet elsewhere); after the second, too. */
export const PLAUSIBLE_YEARS = [2024, 2100] as const;
/** How many ports after a taken one are tried for a free one. */
const PORT_SEARCH = 50;

// ---------------------------------------------------------------------------
// setup.json

interface SetupFile {
  complete: boolean;
  step: number;
  completedAt: string | null;
}

function setupFile(dataDir: string): string {
  return path.join(dataDir, SETUP_FILE);
}

function parseSetupFile(text: string, file: string): SetupFile {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw CallError.of('bad_request', 'errors.setup.fileInvalid', { file });
  }
  const o = (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {}) as Record<string, unknown>;
  const step = Number.isInteger(o.step) && (o.step as number) >= 1 && (o.step as number) <= SETUP_STEPS ? (o.step as number) : 1;
  return {
    complete: o.complete === true,
    step,
    completedAt: typeof o.completedAt === 'string' ? o.completedAt : null,
  };
}

export async function readSetupFile(dataDir: string): Promise<SetupFile> {
  const file = setupFile(dataDir);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { complete: false, step: 1, completedAt: null };
    throw CallError.of('internal', 'errors.setup.fileUnreadable', { file, reason: (e as Error).message });
  }
  return parseSetupFile(text, file);
}

async function writeSetupFile(dataDir: string, s: SetupFile): Promise<void> {
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(setupFile(dataDir), JSON.stringify(s, null, 2) + '\n', 0o600);
}

/** A server certificate and at least one client other than the built-in self-test one. */
async function alreadySetUp(dataDir: string): Promise<boolean> {
  if (!existsSync(pkiFiles(dataDir).serverCert)) return false;
  try {
    const doc = await readClientsDoc(dataDir);
    return doc.clients.some((c) => !c.name.startsWith('keyhold-selftest'));
  } catch {
    return false;
  }
}

async function stateOf(dataDir: string): Promise<SetupState> {
  const f = await readSetupFile(dataDir);
  return { ...f, existing: await alreadySetUp(dataDir) };
}

// ---------------------------------------------------------------------------
// Environment checks (step 1)

function gb(bytes: number): string {
  return (bytes / 1024 ** 3).toFixed(1);
}

function check(id: EnvCheck['id'], severity: EnvCheck['severity'], code: EnvMessageCode, message: string, params: Record<string, string | number> = {}): EnvCheck {
  return { id, ok: severity === 'info', severity, message, code, params };
}

export function spaceCheck(dataDir: string, freeBytes: number | null): EnvCheck {
  if (freeBytes === null) return check('space', 'warning', 'space.unknown', `Free space in ${dataDir} could not be read: make sure the disk has at least 1 GB free`, { dir: dataDir });
  const params = { dir: dataDir, free: gb(freeBytes) };
  if (freeBytes < LOW_SPACE_ERROR) return check('space', 'error', 'space.critical', `Only ${gb(freeBytes)} GB free in ${dataDir}: free up space or choose a data folder on another disk before going on`, params);
  if (freeBytes < LOW_SPACE_WARNING) return check('space', 'warning', 'space.low', `Only ${gb(freeBytes)} GB free in ${dataDir} (less than 1 GB): free up space or move the data folder, or keys, logs and backups may run out of room`, params);
  return check('space', 'info', 'space.ok', `${gb(freeBytes)} GB free in ${dataDir}`, params);
}

export type PortProbe = { free: true } | { free: false; code: string };

/** Tries to listen on the port (all interfaces, as the server does) and lets go at once. */
export function probePort(port: number, host?: string): Promise<PortProbe> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve({ free: false, code: e.code ?? 'ERROR' }));
    srv.listen({ port, ...(host === undefined ? {} : { host }), exclusive: true }, () => srv.close(() => resolve({ free: true })));
  });
}

export async function findFreePort(after: number, probe: (port: number) => Promise<PortProbe> = probePort): Promise<number | null> {
  for (let p = after + 1; p <= Math.min(65535, after + PORT_SEARCH); p++) {
    if ((await probe(p)).free) return p;
  }
  return null;
}

/** ours: the port the running Keyhold server listens on (taken by us, so fine). */
export function portCheck(port: number, probe: PortProbe, ours: boolean, suggested: number | null): EnvCheck {
  if (ours) return check('port', 'info', 'port.ours', `Port ${port} is the one this Keyhold server listens on`, { port });
  if (probe.free) return check('port', 'info', 'port.free', `Port ${port} is free for KMIP`, { port });
  if (probe.code === 'EADDRINUSE') {
    return suggested === null
      ? check('port', 'error', 'port.inUseNoFree', `Port ${port} is in use by another program: stop that program, or choose another port in step 3`, { port })
      : check('port', 'error', 'port.inUse', `Port ${port} is in use by another program: stop that program, or use port ${suggested} (free) in step 3`, { port, suggested });
  }
  if (probe.code === 'EACCES') return check('port', 'error', 'port.denied', `Port ${port} needs administrator rights on this system: choose a port above 1023 in step 3`, { port });
  return check('port', 'error', 'port.error', `Port ${port} cannot be used (${probe.code}): choose another port in step 3`, { port, code: probe.code });
}

const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Names and addresses clients may use: the host name (if it is a valid DNS name) and localhost; loopback and the machine's own addresses. */
export function hostDefaults(hostname: string, ifaces: InterfaceMap): { hostNames: string[]; addresses: string[] } {
  const h = hostname.toLowerCase();
  const hostNames = [...new Set([...(DNS_NAME.test(h) && h !== 'localhost' ? [h] : []), 'localhost'])];
  const addresses = [...new Set(['127.0.0.1', ...machineAddresses(ifaces)])];
  return { hostNames, addresses };
}

export function hostsCheck(hostNames: string[], addresses: string[]): EnvCheck {
  const external = addresses.filter((a) => a !== '127.0.0.1' && a !== '::1');
  const names = hostNames.join(', ');
  if (external.length === 0) {
    return check('hosts', 'warning', 'hosts.loopbackOnly', `Host names ${names}; no network address but loopback: clients on other machines cannot reach this server until it has one`, { names });
  }
  return check('hosts', 'info', 'hosts.ok', `Host names ${names}; addresses ${external.join(', ')}`, { names, addresses: external.join(', ') });
}

export function clockCheck(now: Date, buildTime: Date | null): EnvCheck {
  const year = now.getUTCFullYear();
  const nowText = now.toISOString().replace(/\.\d+Z$/, 'Z');
  if (year < PLAUSIBLE_YEARS[0] || year > PLAUSIBLE_YEARS[1]) {
    return check('clock', 'error', 'clock.year', `The system clock says ${nowText}, which cannot be right: set the date and time (or enable network time) before issuing certificates`, { now: nowText });
  }
  if (buildTime !== null && now.getTime() < buildTime.getTime()) {
    const built = buildTime.toISOString().replace(/\.\d+Z$/, 'Z');
    return check('clock', 'error', 'clock.beforeBuild', `The system clock says ${nowText}, before this version of Keyhold was built (${built}): set the date and time (or enable network time)`, { now: nowText, built });
  }
  return check('clock', 'info', 'clock.ok', `The system clock says ${nowText}`, { now: nowText });
}

async function freeBytesOf(dir: string): Promise<number | null> {
  try {
    const s = await fs.statfs(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

/** When this build was made: the app's package.json time (inside a packaged app, the build's). */
function defaultBuildTime(): Date | null {
  try {
    return new Date(statSync(path.join(findAppRoot(import.meta.url), 'package.json')).mtimeMs);
  } catch {
    return null;
  }
}

/** The port of an endpoint such as "0.0.0.0:5696" or "[::]:5696". */
function endpointPort(endpoint: string | null): number | null {
  const m = endpoint === null ? null : /:(\d+)$/.exec(endpoint);
  return m === null ? null : Number(m[1]);
}

function endpointHost(endpoint: string): string {
  const host = endpoint.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  if (host === '' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

// ---------------------------------------------------------------------------
// Connection test (step 6)

/** A name the server certificate carries that reaches this machine: 127.0.0.1 when it is there, else localhost, else its first name. */
function defaultServerName(host: string, certPem: string): string {
  const info = inspectCertificate(certPem);
  if (info.ipAddresses.includes(host)) return host;
  if (info.ipAddresses.includes('127.0.0.1') && host === '127.0.0.1') return host;
  if (info.dnsNames.includes('localhost')) return 'localhost';
  return info.dnsNames[0] ?? info.ipAddresses[0] ?? host;
}

/** Right after a client was added the server may not have read clients.json yet (it does within a second). */
const FRESH_RETRY_MS = 2500;

function toResult(report: ConnectionReport, target: string, serverName: string, client: string, selftest: boolean): SetupTestResult {
  return {
    ok: report.ok,
    target,
    serverName,
    client,
    selftest,
    steps: report.steps.map((s) => ({ step: s.step, status: s.status, detail: s.detail, ...(s.hint === undefined ? {} : { hint: s.hint }) })),
    ...(report.tls === undefined ? {} : { tls: { ...report.tls } }),
    ...(report.kmip === undefined
      ? {}
      : {
          kmip: {
            versions: [...report.kmip.versions],
            version: report.kmip.version,
            operations: report.kmip.operations,
            objectTypes: report.kmip.objectTypes,
            ...(report.kmip.vendorIdentification === undefined ? {} : { vendorIdentification: report.kmip.vendorIdentification }),
          },
        }),
  };
}

// ---------------------------------------------------------------------------

export interface SetupOptions {
  now?: () => Date;
  /** When this build was made (clock check); default: the app's package.json time. */
  buildTime?: Date | null;
  hostname?: () => string;
  interfaces?: () => InterfaceMap;
}

function needDir(deps: AdminDeps): string {
  if (deps.dataDir === undefined) throw CallError.of('not_implemented', 'errors.setup.noDataDir');
  return deps.dataDir;
}

export function setupHandlers(deps: AdminDeps, opts: SetupOptions = {}): AreaHandlers<typeof setupCalls> {
  const now = opts.now ?? (() => new Date());
  let buildTime: Date | null | undefined = opts.buildTime;
  const hostname = opts.hostname ?? os.hostname;
  const interfaces = opts.interfaces ?? os.networkInterfaces;

  async function runningPort(): Promise<number | null> {
    const s = await deps.engine.status();
    return s.state === 'running' ? endpointPort(s.endpoint) : null;
  }

  return {
    'setup.state': () => stateOf(needDir(deps)),

    'setup.progress': async ({ step }) => {
      const dir = needDir(deps);
      const f = await readSetupFile(dir);
      await writeSetupFile(dir, { ...f, step });
      return stateOf(dir);
    },

    'setup.environment': async ({ port }): Promise<SetupEnvironment> => {
      const dir = needDir(deps);
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      const wanted = port ?? DEFAULT_KMIP_PORT;
      const freeBytes = await freeBytesOf(dir);
      const probe = await probePort(wanted);
      const ours = !probe.free && (await runningPort()) === wanted;
      const suggestedPort = probe.free || ours ? null : await findFreePort(wanted);
      const { hostNames, addresses } = hostDefaults(hostname(), interfaces());
      if (buildTime === undefined) buildTime = defaultBuildTime();
      const checks = [spaceCheck(dir, freeBytes), portCheck(wanted, probe, ours, suggestedPort), hostsCheck(hostNames, addresses), clockCheck(now(), buildTime)];
      return { checks, dataDir: dir, freeBytes, port: wanted, suggestedPort, hostNames, addresses };
    },

    'setup.testConnection': async (args): Promise<SetupTestResult> => {
      const dir = needDir(deps);
      const status = await deps.engine.status();
      if (status.state !== 'running' || status.endpoint === null) {
        throw CallError.of('bad_request', status.state === 'locked' ? 'errors.setup.testLocked' : 'errors.setup.testNotRunning');
      }
      const host = endpointHost(status.endpoint);
      const port = endpointPort(status.endpoint)!;
      if ((args.certPem === undefined) !== (args.keyPem === undefined)) {
        throw CallError.of('invalid_args', 'errors.setup.certAndKey');
      }
      let client: string;
      let certPem: string;
      let keyPem: string;
      let fresh = false;
      const selftest = args.certPem === undefined;
      if (selftest) {
        let id;
        try {
          id = await selftestIdentity(dir);
        } catch (e) {
          throw new CallError('bad_request', (e as Error).message);
        }
        client = id.name;
        fresh = id.enrolled;
        [certPem, keyPem] = await Promise.all([fs.readFile(id.certFile, 'utf8'), fs.readFile(id.keyFile, 'utf8')]);
      } else {
        client = args.client ?? 'client';
        certPem = args.certPem!;
        keyPem = args.keyPem!;
        fresh = true;
      }
      let caPem: string;
      let serverCertPem: string;
      try {
        caPem = await serverTrustPem(dir);
        serverCertPem = (await ensurePki(dir, { readOnly: true })).server.certPem;
      } catch (e) {
        throw CallError.of('bad_request', 'errors.setup.serverCert', { reason: (e as Error).message });
      }
      try {
        tls.createSecureContext({ cert: certPem, key: keyPem, ca: caPem });
      } catch (e) {
        throw CallError.of('bad_request', 'errors.setup.clientPair', { reason: (e as Error).message });
      }
      const serverName = args.serverName ?? defaultServerName(host, serverCertPem);
      const target: ConnectionTarget = { host, port, serverName, certPem, keyPem, caPem, caFile: 'the server\'s CA', timeoutMs: 10_000 };
      const started = Date.now();
      let report: ConnectionReport;
      for (;;) {
        report = await testConnection(target);
        const refused = report.steps.find((s) => s.step === 'client certificate')?.status === 'fail';
        if (!fresh || !refused || Date.now() - started >= FRESH_RETRY_MS) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const where = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
      return toResult(report, where, serverName, client, selftest);
    },

    'setup.complete': async () => {
      const dir = needDir(deps);
      const f = await readSetupFile(dir);
      await writeSetupFile(dir, { complete: true, step: f.step, completedAt: now().toISOString() });
      deps.log.info(`setup completed for ${dir}`);
      return stateOf(dir);
    },
  };
}
