// `keyhold test-connection`: a real mutual-TLS connection to a KMIP server,
// checked step by step, as an admin would by hand with Test-NetConnection and
// `openssl s_client`: TCP reachability, the TLS handshake (version, cipher),
// the server certificate (chain and host name, checked here rather than by
// the TLS layer so that each failure gets its own sentence), whether the
// server accepts the client certificate (it closes the connection without a
// reply when it does not), and the KMIP answer to Discover Versions and Query.
//
// testConnection() is independent of the CLI (the admin UI's connection test
// can call it); the command around it finds the client's credentials, by
// default the built-in self-test client, enrolled on first use.
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { buildRequestMessage, parseResponseMessage, type ProtocolVersion, type ResponseBatchItem } from '../../shared/kmip/message/index.js';
import { Enum, KMIP_VERSIONS, Tag, enumeration, enumValueName, tagByValue } from '../../shared/kmip/registry/index.js';
import { TtlvFramer, decodeTtlv, encodeTtlv, item, struct, type TtlvItem } from '../../shared/kmip/ttlv/index.js';
import { DEFAULT_KMIP_PORT, enrolClient } from '../server/serve.js';
import { readClientsDoc } from '../server/clients.js';
import { parseGrants } from '../access/policy.js';
import { fingerprintOf, pkiFiles } from '../pki/index.js';
import { dataDirOf } from './server-commands.js';
import { CliError } from './errors.js';
import type { Command } from './main.js';

export const STEP_NAMES = ['TCP', 'TLS handshake', 'server certificate', 'client certificate', 'KMIP'] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** ok; warn: passed, with something to look at soon (a certificate that expires within 30 days); fail; skipped after a failure. */
export type StepStatus = 'ok' | 'warn' | 'fail' | 'skipped';

export interface StepResult {
  step: StepName;
  status: StepStatus;
  detail: string;
  /** What to do about a failure (or a warning). */
  hint?: string;
}

export interface ConnectionTarget {
  host: string;
  port: number;
  /** The name the server certificate must be valid for; default: host. */
  serverName?: string;
  /** The client's certificate and key, and the CA(s) that must have issued the server certificate (PEM). */
  certPem: string;
  keyPem: string;
  caPem: string;
  /** Where the CA came from, for the messages. */
  caFile?: string;
  /** Per step: the TCP connect, the handshake, each KMIP answer. */
  timeoutMs: number;
}

export interface ConnectionReport {
  ok: boolean;
  steps: StepResult[];
  tls?: { protocol: string; cipher: string };
  serverCertificate?: { subject: string; issuer: string; notAfter: string; daysLeft: number };
  clientCertificate?: { subject: string; notAfter: string; daysLeft: number };
  kmip?: {
    /** What Discover Versions offered, most preferred first. */
    versions: string[];
    /** The version the Query was sent in. */
    version: string;
    operations: number;
    objectTypes: number;
    vendorIdentification?: string;
    serverInformation?: Record<string, string>;
  };
}

/** Certificates that expire within this many days pass with a warning. */
export const EXPIRY_WARNING_DAYS = 30;

const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------
// Steps

class StepFailure extends Error {
  override readonly name = 'StepFailure';
  constructor(
    readonly detail: string,
    readonly hint?: string,
  ) {
    super(detail);
  }
}

function hostPort(host: string, port: number): string {
  return `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

function tcpConnect(t: ConnectionTarget): Promise<{ socket: net.Socket; ms: number }> {
  const where = hostPort(t.host, t.port);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect({ host: t.host, port: t.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new StepFailure(`no answer from ${where} within ${seconds(t.timeoutMs)}`, 'a firewall, or a wrong address?'));
    }, t.timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      // From here the TLS socket on top reports failures; this one must never throw an unhandled error.
      socket.on('error', () => {});
      resolve({ socket, ms: performance.now() - started });
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      socket.destroy();
      const code = errCode(e);
      if (code === 'ECONNREFUSED') reject(new StepFailure(`nothing listens on ${where}`, 'is `keyhold serve` running, on this port?'));
      else if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EHOSTDOWN') reject(new StepFailure(`no answer from ${where} (${code})`, 'a firewall, or a wrong address?'));
      else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') reject(new StepFailure(`the name ${t.host} does not resolve (DNS: ${code})`, 'check the spelling, or connect by IP address'));
      else reject(new StepFailure(`cannot connect to ${where}: ${e.message}`));
    });
  });
}

/** The OpenSSL reason in an error message ("wrong version number"), else the message. */
function opensslReason(e: Error): string {
  const m = /SSL routines:[^:]*:([^:]+)/.exec(e.message);
  return (m?.[1] ?? e.message).trim();
}

const CLIENT_CERT_ALERT = /alert (bad certificate|unknown ca|certificate required|certificate expired|certificate revoked|certificate unknown|unsupported certificate|access denied)/i;

function tlsFailure(e: Error): StepFailure {
  const code = errCode(e);
  if (code === 'ECONNRESET' || /socket disconnected before secure TLS connection/i.test(e.message)) {
    return new StepFailure('the server closed the connection during the handshake', 'does this port speak TLS (KMIP is on 5696)? the server\'s log says why it refused');
  }
  const reason = opensslReason(e);
  if (/wrong version number|packet length too long|http request|record layer failure/i.test(reason)) return new StepFailure(`${reason}: the port answers, but not with TLS`, 'is this the KMIP port (5696)?');
  if (/unsupported protocol|protocol version|version too low/i.test(reason)) return new StepFailure(reason, 'the server and this test share no TLS version (this test speaks TLS 1.2 and 1.3; `keyhold serve --tls-min` sets the server\'s floor)');
  if (CLIENT_CERT_ALERT.test(reason)) return new StepFailure(reason, 'the server refused this client certificate during the handshake (is it issued by a CA the server trusts, and still valid?)');
  if (/no shared cipher|no cipher|handshake failure|no suitable signature/i.test(reason)) return new StepFailure(reason, 'no cipher suite or signature algorithm in common; check the server\'s TLS profile and its log');
  return new StepFailure(reason);
}

function tlsHandshake(socket: net.Socket, t: ConnectionTarget, serverName: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    // rejectUnauthorized false and no identity check here: the next step reports both itself.
    const s = tls.connect({
      socket,
      cert: t.certPem,
      key: t.keyPem,
      ca: t.caPem,
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
      ...(net.isIP(serverName) === 0 ? { servername: serverName } : {}),
    });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new StepFailure(`no TLS answer within ${seconds(t.timeoutMs)}`, 'does this port speak TLS (KMIP is on 5696)?'));
    }, t.timeoutMs);
    s.once('secureConnect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      s.on('error', () => {}); // Exchange listens from now on
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      s.destroy();
      reject(tlsFailure(e));
    });
  });
}

function cn(name: tls.PeerCertificate['subject'] | undefined): string {
  if (name === undefined) return '?';
  const v = (name as unknown as Record<string, string | string[] | undefined>).CN ?? (name as unknown as Record<string, string | string[] | undefined>).O;
  return `CN=${Array.isArray(v) ? v.join('+') : (v ?? '?')}`;
}

function dateOnly(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function expiry(notAfter: Date, now: number): { text: string; daysLeft: number; soon: boolean } {
  const daysLeft = Math.floor((notAfter.getTime() - now) / DAY_MS);
  const soon = daysLeft <= EXPIRY_WARNING_DAYS;
  return { text: `expires ${dateOnly(notAfter)}, in ${daysLeft} day${daysLeft === 1 ? '' : 's'}${soon ? ' (!)' : ''}`, daysLeft, soon };
}

const CHAIN_HINTS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'the server certificate has expired: renew it',
  CERT_NOT_YET_VALID: 'the server certificate is not valid yet: check the clocks of both machines',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server sent a self-signed certificate the CA file does not hold',
};

function serverCertificate(s: tls.TLSSocket, t: ConnectionTarget, serverName: string, report: ConnectionReport, now: number): StepResult {
  const peer = s.getPeerCertificate(true);
  if (peer === null || Object.keys(peer).length === 0) throw new StepFailure('the server sent no certificate');
  const caFile = t.caFile ?? 'the CA file';
  if (!s.authorized) {
    const code = String(s.authorizationError);
    const where = `not issued by a CA in ${caFile} (${code})`;
    const known = CHAIN_HINTS[code];
    if (known !== undefined) throw new StepFailure(`${cn(peer.subject)}: ${code}`, known);
    throw new StepFailure(`${cn(peer.subject)}, issued by ${cn(peer.issuer)}: ${where}`, 'pass the CA that issued the server certificate with --ca (Keyhold\'s own is DIR/pki/ca.crt)');
  }
  const mismatch = tls.checkServerIdentity(serverName, peer);
  if (mismatch !== undefined) {
    const names = peer.subjectaltname ? peer.subjectaltname.replace(/IP Address:/g, 'IP:') : `only ${cn(peer.subject)}`;
    throw new StepFailure(`the certificate is not valid for the name ${serverName} (it names ${names})`, 'connect by one of those names (--host or --server-name), or give the server a certificate that names this one');
  }
  const notAfter = new Date(peer.valid_to);
  const e = expiry(notAfter, now);
  report.serverCertificate = { subject: cn(peer.subject), issuer: cn(peer.issuer), notAfter: notAfter.toISOString(), daysLeft: e.daysLeft };
  return {
    step: 'server certificate',
    status: e.soon ? 'warn' : 'ok',
    detail: `${cn(peer.subject)}, issued by ${cn(peer.issuer)}, verified against ${caFile}, valid for ${serverName}, ${e.text}`,
    ...(e.soon ? { hint: 'renew it soon' } : {}),
  };
}

/** Why no answer came. */
type NoAnswer = { kind: 'closed' | 'timeout' | 'error' | 'framing'; message: string };

/** Request/response over one TLS connection; next() resolves with each response in turn. */
class Exchange {
  private readonly framer = new TtlvFramer();
  private readonly queue: Uint8Array[] = [];
  private waiting: { resolve(m: Uint8Array): void; reject(e: NoAnswer): void } | undefined;
  private ended: NoAnswer | undefined;
  /** Bytes received so far: any answer at all means the server accepted the client. */
  received = 0;

  constructor(private readonly s: tls.TLSSocket) {
    s.on('data', (c: Buffer) => {
      this.received += c.length;
      try {
        this.framer.feed(c);
        for (let m = this.framer.next(); m; m = this.framer.next()) this.queue.push(m);
      } catch (e) {
        this.end({ kind: 'framing', message: (e as Error).message });
        s.destroy();
        return;
      }
      this.pump();
    });
    s.on('error', (e) => this.end({ kind: 'error', message: opensslReason(e) }));
    s.on('close', () => this.end({ kind: 'closed', message: 'the server closed the connection' }));
  }

  private end(why: NoAnswer): void {
    this.ended ??= why;
    this.pump();
  }

  private pump(): void {
    if (this.waiting === undefined) return;
    const m = this.queue.shift();
    if (m !== undefined) {
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve(m);
    } else if (this.ended !== undefined) {
      const w = this.waiting;
      this.waiting = undefined;
      w.reject(this.ended);
    }
  }

  call(request: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (!this.s.destroyed) this.s.write(request);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject({ kind: 'timeout', message: `no answer within ${seconds(timeoutMs)}` } satisfies NoAnswer);
      }, timeoutMs);
      this.waiting = {
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
      this.pump();
    });
  }
}

function isNoAnswer(e: unknown): e is NoAnswer {
  return typeof e === 'object' && e !== null && 'kind' in e && 'message' in e;
}

/** Discover Versions is sent as KMIP 1.2: a version every server that has the operation (1.1+) answers, whatever it prefers. */
const DISCOVERY_VERSION: ProtocolVersion = { major: 1, minor: 2 };

function request(version: ProtocolVersion, operation: number, payload: TtlvItem[]): Uint8Array {
  return encodeTtlv(buildRequestMessage({ header: { protocolVersion: version }, batchItems: [{ operation, requestPayload: struct(Tag.RequestPayload, payload) }] }));
}

function versionText(v: ProtocolVersion): string {
  return `${v.major}.${v.minor}`;
}

function enumText(enumName: string, value: number | undefined): string {
  if (value === undefined) return '?';
  const def = enumeration(enumName);
  const name = def === undefined ? undefined : enumValueName(def, value);
  const spec = name === undefined ? undefined : def!.values.find((v) => v.name === name)?.specName;
  return spec ?? `0x${value.toString(16).padStart(8, '0')}`;
}

/** The only batch item of a response, when it succeeded; else the failure as a StepFailure. */
function answer(bytes: Uint8Array, what: string): { item: ResponseBatchItem; version: ProtocolVersion } {
  let msg;
  try {
    msg = parseResponseMessage(decodeTtlv(bytes));
  } catch (e) {
    throw new StepFailure(`the answer to ${what} is not a valid KMIP response: ${(e as Error).message}`);
  }
  const bi = msg.batchItems[0];
  if (bi === undefined) throw new StepFailure(`the answer to ${what} has no batch item`);
  if (bi.resultStatus !== Enum.ResultStatus.Success) {
    const reason = enumText('ResultReason', bi.resultReason);
    const hint = bi.resultReason === Enum.ResultReason.PermissionDenied ? 'the client needs the query permission (`keyhold client set NAME --permissions …`)' : undefined;
    throw new StepFailure(`${what} failed: ${enumText('ResultStatus', bi.resultStatus)}, ${reason}${bi.resultMessage ? `: ${bi.resultMessage}` : ''}`, hint);
  }
  return { item: bi, version: msg.header.protocolVersion };
}

function offeredVersions(payload: TtlvItem | undefined): ProtocolVersion[] {
  const out: ProtocolVersion[] = [];
  if (payload?.type !== 'Structure') return out;
  for (const c of payload.value) {
    if (c.tag !== Tag.ProtocolVersion || c.type !== 'Structure') continue;
    const major = c.value.find((x) => x.tag === Tag.ProtocolVersionMajor);
    const minor = c.value.find((x) => x.tag === Tag.ProtocolVersionMinor);
    if (major?.type === 'Integer' && minor?.type === 'Integer') out.push({ major: major.value, minor: minor.value });
  }
  return out;
}

async function kmipStep(ex: Exchange, dvAnswer: Uint8Array, t: ConnectionTarget, report: ConnectionReport): Promise<StepResult> {
  const dv = answer(dvAnswer, 'Discover Versions');
  let offered = offeredVersions(dv.item.responsePayload);
  // An empty list: the server speaks (at least) the version it answered in.
  if (offered.length === 0) offered = [dv.version];
  const spoken = offered.find((v) => (KMIP_VERSIONS as readonly string[]).includes(versionText(v)));
  const offeredText = offered.map(versionText).join(', ');
  if (spoken === undefined) throw new StepFailure(`the server offers KMIP ${offeredText}, none of which this test speaks (1.0 to 2.1)`);

  const QF = Enum.QueryFunction;
  const q = request(spoken, Enum.Operation.Query, [QF.QueryOperations, QF.QueryObjects, QF.QueryServerInformation].map((f) => item(Tag.QueryFunction, 'Enumeration', f)));
  let bytes: Uint8Array;
  try {
    bytes = await ex.call(q, t.timeoutMs);
  } catch (e) {
    if (!isNoAnswer(e)) throw e;
    throw new StepFailure(`Discover Versions answered, but Query got no answer: ${e.message}`, 'see the server\'s log (`keyhold log tail`)');
  }
  const qa = answer(bytes, 'Query');
  const items = qa.item.responsePayload?.value ?? [];
  const operations = items.filter((c) => c.tag === Tag.Operation).length;
  const objectTypes = items.filter((c) => c.tag === Tag.ObjectType).length;
  const vendor = items.find((c) => c.tag === Tag.VendorIdentification);
  const info = items.find((c) => c.tag === Tag.ServerInformation);
  const serverInformation: Record<string, string> = {};
  if (info?.type === 'Structure') {
    for (const c of info.value) if (c.type === 'TextString') serverInformation[tagByValue(c.tag)?.specName ?? `0x${c.tag.toString(16)}`] = c.value;
  }
  report.kmip = {
    versions: offered.map(versionText),
    version: versionText(spoken),
    operations,
    objectTypes,
    ...(vendor?.type === 'TextString' ? { vendorIdentification: vendor.value } : {}),
    ...(Object.keys(serverInformation).length > 0 ? { serverInformation } : {}),
  };
  const parts = [`versions offered ${offeredText}`, `Query in ${versionText(spoken)}: ${operations} operation${operations === 1 ? '' : 's'}, ${objectTypes} object type${objectTypes === 1 ? '' : 's'}`];
  if (vendor?.type === 'TextString') parts.push(`vendor "${vendor.value}"`);
  const infoText = Object.entries(serverInformation).map(([k, v]) => `${k} ${v}`).join(', ');
  if (infoText !== '') parts.push(infoText);
  return { step: 'KMIP', status: 'ok', detail: parts.join('; ') };
}

/**
 * Runs the steps in order, each reported to onStep as it completes; the first
 * failure skips the rest. Never throws for a network or protocol failure: they
 * are in the report.
 */
export async function testConnection(t: ConnectionTarget, onStep: (s: StepResult) => void = () => {}): Promise<ConnectionReport> {
  const report: ConnectionReport = { ok: false, steps: [] };
  const push = (s: StepResult) => {
    report.steps.push(s);
    onStep(s);
  };
  const serverName = t.serverName ?? t.host;
  const sockets: net.Socket[] = [];
  let at = 0;
  /** The current step passed: the next one is current. */
  const passed = (s: Omit<StepResult, 'step'>) => push({ step: STEP_NAMES[at++]!, status: s.status, detail: s.detail, ...(s.hint === undefined ? {} : { hint: s.hint }) });
  try {
    const tcp = await tcpConnect(t);
    sockets.push(tcp.socket);
    passed({ status: 'ok', detail: `${hostPort(t.host, t.port)} reachable in ${Math.max(1, Math.round(tcp.ms))} ms` });

    const s = await tlsHandshake(tcp.socket, t, serverName);
    sockets.push(s);
    const protocol = s.getProtocol() ?? '?';
    const cipher = s.getCipher()?.name ?? '?';
    report.tls = { protocol, cipher };
    const ex = new Exchange(s);
    passed({ status: 'ok', detail: `${protocol}, ${cipher}` });

    const now = Date.now();
    passed(serverCertificate(s, t, serverName, report, now));

    // The server refuses a client certificate it does not know by closing the connection: the first answer tells.
    let dvAnswer: Uint8Array;
    try {
      dvAnswer = await ex.call(request(DISCOVERY_VERSION, Enum.Operation.DiscoverVersions, []), t.timeoutMs);
    } catch (e) {
      if (!isNoAnswer(e)) throw e;
      if (e.kind === 'framing') throw new StepFailure(`the server answered with something that is not KMIP TTLV (${e.message})`, 'is this a KMIP server?');
      if (e.kind === 'timeout') throw new StepFailure(`the server accepted the connection but gave no answer within ${seconds(t.timeoutMs)}`, 'is this a KMIP server? see its log');
      if (CLIENT_CERT_ALERT.test(e.message)) throw new StepFailure(`the server refused this client certificate: ${e.message}`, 'is it issued by a CA the server trusts, and still valid?');
      throw new StepFailure('the server closed the connection: it does not accept this client certificate', 'not registered, disabled, or not allowed from this address; see `keyhold log tail` on the server');
    }
    const mine = new X509Certificate(t.certPem);
    const ce = expiry(new Date(mine.validTo), now);
    const subject = /(?:^|\n)CN=([^\n]*)/.exec(mine.subject)?.[1];
    report.clientCertificate = { subject: subject === undefined ? mine.subject : `CN=${subject}`, notAfter: new Date(mine.validTo).toISOString(), daysLeft: ce.daysLeft };
    passed({ status: ce.soon ? 'warn' : 'ok', detail: `accepted: ${report.clientCertificate.subject}, ${ce.text}`, ...(ce.soon ? { hint: 'renew it soon' } : {}) });

    passed(await kmipStep(ex, dvAnswer, t, report));
    report.ok = true;
  } catch (e) {
    if (!(e instanceof StepFailure)) throw e;
    push({ step: STEP_NAMES[at]!, status: 'fail', detail: e.detail, ...(e.hint === undefined ? {} : { hint: e.hint }) });
    for (const step of STEP_NAMES.slice(at + 1)) push({ step, status: 'skipped', detail: 'skipped' });
  } finally {
    for (const s of sockets.reverse()) s.destroy();
  }
  return report;
}

/** One line: `✓ step: detail`, `✗ step: detail — hint`, `- step: skipped`. */
export function stepLine(s: StepResult): string {
  if (s.status === 'skipped') return `- ${s.step}: skipped`;
  const mark = s.status === 'fail' ? '✗' : '✓';
  return `${mark} ${s.step}: ${s.detail}${s.status === 'fail' && s.hint !== undefined ? ` — ${s.hint}` : s.status === 'warn' && s.hint !== undefined ? `, ${s.hint}` : ''}`;
}

// ---------------------------------------------------------------------------
// The command

/** The built-in client of the self-test: it may only query the server. */
export const SELFTEST_CLIENT = 'keyhold-selftest';
const SELFTEST_DESCRIPTION = 'built-in connection test (Query only)';

export function selftestFolder(dataDir: string): string {
  return path.join(pkiFiles(dataDir).dir, 'selftest');
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    const code = errCode(e);
    throw new CliError(`cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
}

export interface Identity {
  name: string;
  certFile: string;
  keyFile: string;
  /** The self-test client was enrolled by this run: the server may not have read clients.json yet. */
  enrolled: boolean;
}

/**
 * The self-test client: reused while its certificate files are in place and
 * it is registered with that certificate; else enrolled. A name that cannot
 * be used (registered with other or missing files, or removed, whose name is
 * never given out again) moves on to keyhold-selftest-2, -3, ….
 */
export async function selftestIdentity(dataDir: string): Promise<Identity> {
  const files = pkiFiles(dataDir);
  if (!existsSync(files.caCert)) {
    throw new CliError(`no Keyhold server data in ${dataDir} (${files.caCert} is missing): pass the server's --data-dir, or test as an enrolled client with --client NAME --certs FOLDER`);
  }
  const folder = selftestFolder(dataDir);
  const doc = await readClientsDoc(dataDir);
  for (let n = 1; n <= 20; n++) {
    const name = n === 1 ? SELFTEST_CLIENT : `${SELFTEST_CLIENT}-${n}`;
    const certFile = path.join(folder, `${name}.crt`);
    const keyFile = path.join(folder, `${name}.key`);
    const entry = doc.clients.find((c) => c.name === name);
    if (entry !== undefined) {
      if (!existsSync(certFile) || !existsSync(keyFile)) continue;
      let fp: string | undefined;
      try { fp = fingerprintOf(await fs.readFile(certFile, 'utf8')); } catch { fp = undefined; }
      if (fp !== undefined && fp === entry.fingerprint) return { name, certFile, keyFile, enrolled: false };
      continue;
    }
    if (doc.retired.includes(name)) continue;
    try {
      await enrolClient(dataDir, name, folder, { grants: parseGrants('query'), description: SELFTEST_DESCRIPTION });
    } catch (e) {
      throw new CliError(`cannot enrol the self-test client "${name}" in ${dataDir}: ${(e as Error).message}`);
    }
    return { name, certFile, keyFile, enrolled: true };
  }
  throw new CliError(`no usable self-test client name in ${dataDir}: test as an enrolled client with --client NAME --certs FOLDER`);
}

function timeoutOf(flags: Map<string, string | true>): number {
  const v = flags.get('--timeout');
  if (v === undefined) return 10_000;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+(\.\d+)?$/.test(v) || n <= 0 || n > 600) throw new CliError(`--timeout takes seconds, more than 0 and at most 600, not "${String(v)}"`, 2);
  return Math.round(n * 1000);
}

function portOf(flags: Map<string, string | true>): number {
  const v = flags.get('--port');
  if (v === undefined) return DEFAULT_KMIP_PORT;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || n < 1 || n > 65535) throw new CliError(`--port must be a number from 1 to 65535, not "${String(v)}"`, 2);
  return n;
}

function stringFlag(flags: Map<string, string | true>, flag: string): string | undefined {
  const v = flags.get(flag);
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new CliError(`option ${flag} needs a value`, 2);
  return v;
}

/** After a fresh enrolment the server reads clients.json within a second: it may refuse the first connection. */
const FRESH_RETRY_MS = 2000;

const FLAGS = ['--data-dir', '--host', '--port', '--client', '--certs', '--ca', '--server-name', '--timeout', '--json'] as const;

export const CONNECTION_TEST_COMMANDS: Record<string, Command> = {
  'test-connection': {
    usage: 'keyhold test-connection [--data-dir DIR] [--host H] [--port P] [--client NAME --certs FOLDER] [--ca FILE] [--server-name NAME] [--timeout SECONDS] [--json]',
    summary:
      `connect to a KMIP server as a client and check, step by step: TCP, the TLS handshake, the server certificate, whether the server accepts the client certificate, and Discover Versions + Query (default 127.0.0.1:${DEFAULT_KMIP_PORT}; ` +
      `without --client as the built-in client "${SELFTEST_CLIENT}" (Query only, enrolled in DIR on first use); --certs FOLDER holds NAME.crt, NAME.key and ca.crt as \`client add --out\` writes them; --ca: the CA the server certificate must come from); exit 1 at the first failing step`,
    flags: FLAGS,
    valueFlags: FLAGS.filter((f) => f !== '--json'),
    async run(flags, _input, write) {
      const host = stringFlag(flags, '--host') ?? '127.0.0.1';
      const port = portOf(flags);
      const timeoutMs = timeoutOf(flags);
      const serverName = stringFlag(flags, '--server-name');
      const client = stringFlag(flags, '--client');
      const certs = stringFlag(flags, '--certs');
      const caFlag = stringFlag(flags, '--ca');
      const json = flags.has('--json');
      if ((client === undefined) !== (certs === undefined)) throw new CliError('--client NAME and --certs FOLDER go together', 2);
      if (client !== undefined && flags.has('--data-dir')) throw new CliError('--data-dir is for the self-test client; with --client NAME --certs FOLDER it is not used', 2);

      let identity: Identity;
      let caFile: string;
      if (client !== undefined) {
        const folder = path.resolve(certs!);
        identity = { name: client, certFile: path.join(folder, `${client}.crt`), keyFile: path.join(folder, `${client}.key`), enrolled: false };
        caFile = path.resolve(caFlag ?? path.join(folder, 'ca.crt'));
      } else {
        const dataDir = dataDirOf(flags);
        identity = await selftestIdentity(dataDir);
        // A server certificate from another CA comes with that CA's root (server-ca.crt).
        const files = pkiFiles(dataDir);
        caFile = path.resolve(caFlag ?? (existsSync(files.serverCa) ? files.serverCa : files.caCert));
      }
      const target: ConnectionTarget = {
        host,
        port,
        ...(serverName === undefined ? {} : { serverName }),
        certPem: await readText(identity.certFile, 'the client certificate'),
        keyPem: await readText(identity.keyFile, 'the client key'),
        caPem: await readText(caFile, 'the CA certificate'),
        caFile,
        timeoutMs,
      };
      try {
        tls.createSecureContext({ cert: target.certPem, key: target.keyPem, ca: target.caPem });
      } catch (e) {
        throw new CliError(`cannot use ${identity.certFile}, ${identity.keyFile} and ${caFile}: ${opensslReason(e as Error)}`);
      }

      if (!json) {
        write(`Connection test: ${hostPort(host, port)} as client "${identity.name}"${identity.enrolled ? ` (enrolled just now, permission query only; files in ${path.dirname(identity.certFile)})` : ''}\n`);
      }
      let report: ConnectionReport;
      if (!identity.enrolled) report = await testConnection(target, (s) => json || write(stepLine(s) + '\n'));
      else {
        // Only here the server may still refuse for a moment: retry, and print the last attempt.
        const started = Date.now();
        for (;;) {
          report = await testConnection(target);
          const refused = report.steps.find((s) => s.step === 'client certificate')?.status === 'fail';
          if (!refused || Date.now() - started >= FRESH_RETRY_MS) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        if (!json) for (const s of report.steps) write(stepLine(s) + '\n');
      }
      if (json) {
        write(JSON.stringify({ host, port, serverName: serverName ?? host, client: identity.name, enrolled: identity.enrolled, caFile, ...report }) + '\n');
      }
      if (!report.ok) {
        const failed = report.steps.find((s) => s.status === 'fail');
        throw new CliError(`connection test failed at ${failed?.step ?? '?'}`);
      }
    },
  },
};
