// The KMIP TLS listener: mutual TLS, one TTLV request at a time per
// connection, each answered through processRequest.
//
// Durability: a response goes out only after `durable.sync()` resolved, i.e.
// after every change committed so far (this request's and any other it may
// have read) is on stable storage. Concurrent requests share fsyncs (group
// commit, main/store/durability.ts). If that cannot be guaranteed the
// connection is closed without a response: the client must not believe a
// change is safe when it may not be.
//
// Client authentication is checked by hand (requestCert, but not
// rejectUnauthorized): OpenSSL would otherwise drop a bad client inside the
// handshake and we could not log *why* (no certificate, wrong CA, expired,
// not registered), and a pinned certificate made elsewhere (self-signed, or
// from a CA we do not trust as a whole) could not be accepted at all. The
// registry decides who the certificate is (clients.ts recognise). A refused
// client is disconnected before a single byte of KMIP is read. The imported
// client CAs are part of the TLS context, swapped when clients.json changes.
// A client with a password must also send it in each request's header.
import { createHash } from 'node:crypto';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { isClose, processRequest, type ServerContext } from '../kmip/index.js';
import type { ItemOutcome } from '../kmip/pipeline.js';
import type { AuditLog } from '../audit/audit-log.js';
import { TtlvFramer, type TtlvLimits } from '../../shared/kmip/ttlv/index.js';
import { silentLogger, type Logger } from '../admin/log.js';
import type { ClientRegistry, PeerCertificate } from './clients.js';
import { ConnectionCredentials, LoginFailures } from '../access/credentials.js';
import { cipherList, type TlsProfile } from './tls-profile.js';
import type { Durable } from '../store/durability.js';
import type { Principal } from '../access/policy.js';

export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3';

export interface KmipTlsOptions {
  /** Undefined: all interfaces. */
  host?: string;
  port: number;
  /** Server certificate chain and key (PEM), and the CA that signs client certificates. */
  certPem: string;
  keyPem: string;
  caCertPem: string;
  clients: Pick<ClientRegistry, 'recognise' | 'principal' | 'addressRefusal'> & Partial<Pick<ClientRegistry, 'trustedCas' | 'onTrustChange' | 'generation'>>;
  context: ServerContext;
  /** The store's durability barrier; absent: every commit is already durable when it returns. */
  durable?: Pick<Durable, 'sync'>;
  /** Nothing older than TLS 1.2 is ever offered. Default TLSv1.2. */
  minVersion?: TlsMinVersion;
  /** Cipher suites (tls-profile.ts): modern (default, forward-secret AEAD only) or compatible (adds the KMIP 1.x profile suites). */
  tlsProfile?: TlsProfile;
  limits?: Partial<TtlvLimits>;
  /** A connection idle this long (no request in progress) is closed. Default 10 min. */
  idleTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  /** Where connection attempts and request items are recorded (main/audit); absent: not recorded. */
  audit?: Pick<AuditLog, 'record'>;
  /** Open connections at most, all clients together (default 1024): one more is closed after the handshake, and logged. */
  maxConnections?: number;
  /** Open connections at most per client (default 64), so that no client can take every connection. */
  maxConnectionsPerClient?: number;
  log?: Logger;
}

/** The server's certificate chain and key and the CA that issues client certificates (PEM). */
export interface TlsCredentials {
  certPem: string;
  keyPem: string;
  caCertPem: string;
}

export interface KmipTlsServer {
  readonly address: { host: string; port: number };
  /**
   * New server certificate, key or CA for new connections from now on; open
   * connections keep theirs. Throws (and changes nothing) when the pair is
   * unusable, e.g. the key does not match the certificate.
   */
  replaceCredentials(next: TlsCredentials): void;
  /** Connections currently open. */
  readonly connections: number;
  /** Stop accepting, let requests in progress finish (at most graceMs), then close everything. */
  close(graceMs?: number): Promise<void>;
}

interface Conn {
  socket: tls.TLSSocket;
  busy: boolean;
  /** Set by close(): end the connection as soon as it is not busy. */
  draining: boolean;
}

export async function startKmipTlsServer(opts: KmipTlsOptions): Promise<KmipTlsServer> {
  const log = opts.log ?? silentLogger;
  const minVersion = opts.minVersion ?? 'TLSv1.2';
  if (minVersion !== 'TLSv1.2' && minVersion !== 'TLSv1.3') throw new Error(`TLS minimum version must be TLSv1.2 or TLSv1.3, not ${String(minVersion)}`);
  const limits = { ...opts.context.limits, ...opts.limits };
  const ctx: ServerContext = { ...opts.context, limits };
  const conns = new Set<Conn>();
  const maxConnections = opts.maxConnections ?? 1024;
  const maxPerClient = opts.maxConnectionsPerClient ?? 64;
  /** Open connections per client name. */
  const perClient = new Map<string, number>();
  const rates = new RateLimiter();
  const loginFailures = new LoginFailures();
  const audit = opts.audit;
  const connection = (client: string | null, address: string | undefined, result: 'accepted' | 'refused' | 'closed', reason: string | null) =>
    audit?.record({ kind: 'connection', client, address: address ?? null, operation: null, objects: [], result, reason, message: null });

  let creds: TlsCredentials = { certPem: opts.certPem, keyPem: opts.keyPem, caCertPem: opts.caCertPem };
  const ciphers = cipherList(opts.tlsProfile ?? 'modern');
  // The versions go into every context: setSecureContext builds a new one from these options alone.
  const secure = (c: TlsCredentials = creds) => ({ cert: c.certPem, key: c.keyPem, ca: [c.caCertPem, ...(opts.clients.trustedCas?.() ?? [])], ciphers, honorCipherOrder: true, minVersion, maxVersion: 'TLSv1.3' as const });
  const server = tls.createServer({
    ...secure(),
    requestCert: true,
    rejectUnauthorized: false,
    minVersion,
    maxVersion: 'TLSv1.3',
    handshakeTimeout: opts.handshakeTimeoutMs ?? 10_000,
  });

  // Client CAs imported or removed while running: new handshakes use the new set.
  const offTrust = opts.clients.onTrustChange?.(() => {
    try {
      server.setSecureContext(secure());
      log.info('kmip: trusted client CAs changed; new connections use the new set');
    } catch (e) {
      log.error(`kmip: the changed client CAs could not be loaded; keeping the previous set: ${(e as Error).message}`);
    }
  });

  server.on('tlsClientError', (err, socket) => {
    log.warn(`kmip: TLS handshake with ${peer(socket)} failed: ${opensslReason(err)}`);
    connection(null, socket.remoteAddress, 'refused', `TLS handshake failed: ${opensslReason(err)}`);
  });

  server.on('secureConnection', (socket) => {
    const who = peer(socket);
    // Attach before anything else: an unhandled socket error would crash the process.
    socket.on('error', (err) => log.warn(`kmip: connection ${who}: ${err.message}`));
    const peerCert = peerCertificate(socket);
    const known = typeof peerCert === 'string' ? { refusal: peerCert } : opts.clients.recognise(peerCert);
    if ('refusal' in known) {
      log.warn(`kmip: refused ${who}: ${known.refusal}`);
      connection(null, socket.remoteAddress, 'refused', known.refusal);
      socket.destroy();
      return;
    }
    const name = known.name;
    const cert = peerCert as PeerCertificate;
    // When the clients change, the certificate is recognised again at the next request: a replaced
    // (`client cert`) or narrowed (subject pattern) certificate must not live on in an open connection.
    let seenGeneration = opts.clients.generation?.();
    const address = socket.remoteAddress ?? '';
    const fromWrongPlace = opts.clients.addressRefusal(name, address);
    if (fromWrongPlace !== undefined) {
      log.warn(`kmip: refused ${who}: client "${name}": ${fromWrongPlace}`);
      connection(name, address, 'refused', fromWrongPlace);
      socket.destroy();
      return;
    }
    if (conns.size >= maxConnections) {
      log.warn(`kmip: refused ${who}: client "${name}": the server's limit of ${maxConnections} connections is reached`);
      connection(name, address, 'refused', `the server's limit of ${maxConnections} connections is reached`);
      socket.destroy();
      return;
    }
    if ((perClient.get(name) ?? 0) >= maxPerClient) {
      log.warn(`kmip: refused ${who}: client "${name}" already has ${maxPerClient} connections (its limit)`);
      connection(name, address, 'refused', `the client's limit of ${maxPerClient} connections is reached`);
      socket.destroy();
      return;
    }
    perClient.set(name, (perClient.get(name) ?? 0) + 1);
    socket.once('close', () => {
      const n = (perClient.get(name) ?? 1) - 1;
      if (n > 0) perClient.set(name, n);
      else perClient.delete(name);
    });
    log.info(`kmip: client "${name}" connected from ${who}`);
    connection(name, address, 'accepted', null);
    const onItems =
      audit === undefined
        ? undefined
        : (items: ItemOutcome[]) => {
            for (const it of items) audit.record({ kind: 'request', client: name, address, ...it });
          };
    // One write per response, and the client waits for it: Nagle would only hold it back.
    socket.setNoDelay(true);
    const conn: Conn = { socket, busy: false, draining: false };
    conns.add(conn);
    socket.on('close', () => conns.delete(conn));
    socket.setTimeout(opts.idleTimeoutMs ?? 600_000, () => {
      if (!conn.busy) socket.destroy();
    });
    const framer = new TtlvFramer(limits);
    const credentials = new ConnectionCredentials(name, loginFailures);

    // Takes messages off the framer one by one. Reading pauses while a request
    // runs: KMIP is request/response, and this also bounds what a client that
    // floods us can make us buffer.
    const pump = async (): Promise<void> => {
      if (conn.busy) return;
      conn.busy = true;
      socket.pause();
      try {
        for (;;) {
          if (socket.destroyed) return;
          let msg: Uint8Array | undefined;
          try {
            msg = framer.next();
          } catch (e) {
            log.warn(`kmip: closing ${who}: ${(e as Error).message}`);
            socket.destroy();
            return;
          }
          if (msg === undefined) break;
          // Looked up per request: permission changes apply to open connections too.
          let gone = opts.clients.addressRefusal(name, address);
          const generation = opts.clients.generation?.();
          if (gone === undefined && generation !== seenGeneration) {
            const again = opts.clients.recognise(cert);
            if ('refusal' in again) gone = again.refusal;
            else if (again.name !== name) gone = `its certificate now belongs to client "${again.name}"`;
            else seenGeneration = generation;
          }
          const principal = gone === undefined ? opts.clients.principal(name) : undefined;
          if (principal === undefined) {
            log.warn(`kmip: closing ${who}: client "${name}" may no longer connect: ${gone ?? 'not registered'}`);
            connection(name, address, 'closed', gone ?? 'not registered');
            socket.destroy();
            return;
          }
          const overRate = rates.take(principal);
          if (overRate !== undefined && overRate.log) log.warn(`kmip: ${who}: client "${principal.name}" is over its rate of ${principal.requestsPerSecond} requests/s; refusing requests (logged once a second)`);
          const required = principal.credential;
          const perRequest: ServerContext = {
            ...ctx,
            principal,
            ...(onItems === undefined ? {} : { onItems }),
            ...(overRate === undefined ? {} : { refuse: overRate.refuse }),
            ...(required === undefined ? {} : { authenticate: (auth) => credentials.check(required, auth) }),
          };
          const result = await processRequest(msg, perRequest);
          if (socket.destroyed) return;
          if (isClose(result)) {
            log.warn(`kmip: closing ${who}: ${result.reason}`);
            socket.destroy();
            return;
          }
          if (opts.durable !== undefined) {
            try {
              await opts.durable.sync();
            } catch (e) {
              log.error(`kmip: closing ${who} without a response: ${(e as Error).message}`);
              socket.destroy();
              return;
            }
            if (socket.destroyed) return;
          }
          socket.write(result);
        }
      } catch (e) {
        // processRequest never throws by contract; if it does, lose this connection, not the server.
        log.error(`kmip: closing ${who} after an internal error:`, e);
        socket.destroy();
        return;
      } finally {
        conn.busy = false;
      }
      if (conn.draining) socket.end();
      else socket.resume();
    };
    socket.on('data', (chunk: Buffer) => {
      // Stopping: the connection has been (or is about to be) ended; take no new requests.
      if (conn.draining) return;
      framer.feed(chunk);
      void pump();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      // From now on an error is logged, never thrown: a listening server must not take the process down.
      server.on('error', (err) => log.error(`kmip: listener error: ${err.message}`));
      resolve();
    });
  });
  const a = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    address: { host: a.address, port: a.port },
    replaceCredentials(next) {
      // Built first: a bad pair throws here and the running context stays.
      tls.createSecureContext({ ...secure(next), minVersion, maxVersion: 'TLSv1.3' });
      creds = next;
      server.setSecureContext(secure());
    },
    get connections() {
      return conns.size;
    },
    close(graceMs = 5_000) {
      closing ??= (async () => {
        offTrust?.();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const c of conns) {
          c.draining = true;
          if (!c.busy) c.socket.end();
        }
        const deadline = Date.now() + graceMs;
        while (conns.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        for (const c of conns) c.socket.destroy();
        await closed;
      })();
      return closing;
    },
  };
}

/** "…:SSL routines:fn:unsupported protocol:file:line:" → "unsupported protocol": the part an operator can act on. */
function opensslReason(err: Error): string {
  const m = /SSL routines:[^:]*:([^:]+)/.exec(err.message);
  return m?.[1] ?? err.message;
}

function peer(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}

/** The facts the registry recognises a client by, or why there are none. */
function peerCertificate(socket: tls.TLSSocket): PeerCertificate | string {
  const cert = socket.getPeerCertificate(true);
  if (cert === null || Object.keys(cert).length === 0 || cert.raw === undefined) return 'no client certificate';
  const chain: Uint8Array[] = [];
  // The detailed form links each certificate to its issuer (by name, not signature: see recognise); the anchor links to itself.
  for (let c = cert.issuerCertificate; c !== undefined && c.raw !== undefined && chain.length < 10; c = c.issuerCertificate) {
    chain.push(c.raw);
    if (c.issuerCertificate === c) break;
  }
  const eku = (cert as { ext_key_usage?: string[] }).ext_key_usage;
  return {
    fingerprint: clientFingerprint(cert.raw),
    der: cert.raw,
    chain,
    subject: cert.subject as unknown as PeerCertificate['subject'],
    trusted: socket.authorized,
    error: socket.authorized ? null : String(socket.authorizationError),
    notBefore: new Date(cert.valid_from),
    notAfter: new Date(cert.valid_to),
    ...(eku === undefined ? {} : { extendedKeyUsage: eku }),
  };
}

/** The client identity: SHA-256 of the DER certificate, as pki fingerprintOf computes it. */
export function clientFingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/**
 * Per-client request rates: a token bucket per client name, shared by all its
 * connections, refilled at requestsPerSecond and holding at most one second's
 * worth (so a client may burst that much after a quiet spell). A request over
 * the rate is answered Server Limit Exceeded without running, which costs the
 * server almost nothing, so a flooding client cannot starve the others.
 */
class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number; rate: number; loggedAt: number }>();

  /** undefined: go ahead; else the refusal, and whether to log it (at most once a second per client). */
  take(p: Principal): { refuse: { reason: 'ServerLimitExceeded'; message: string }; log: boolean } | undefined {
    const rate = p.requestsPerSecond;
    if (rate === undefined) {
      this.buckets.delete(p.name);
      return undefined;
    }
    const now = performance.now();
    let b = this.buckets.get(p.name);
    if (b === undefined || b.rate !== rate) {
      b = { tokens: rate, at: now, rate, loggedAt: -Infinity };
      this.buckets.set(p.name, b);
    }
    b.tokens = Math.min(rate, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return undefined;
    }
    const log = now - b.loggedAt >= 1000;
    if (log) b.loggedAt = now;
    return { refuse: { reason: 'ServerLimitExceeded', message: `client "${p.name}" is over its limit of ${rate} requests per second; retry later` }, log };
  }
}
