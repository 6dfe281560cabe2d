// `keyhold serve` and `keyhold client add`, transport-agnostic of the CLI:
// the caller passes output and log functions, and a promise that resolves
// when the server should stop (a signal, in the CLI).
//
// The server itself (startServer) runs in the engine worker thread; serve()
// drives it from the main thread through EngineHost.
import fs from 'node:fs/promises';
import { ensurePki, issueClientCert, validateClientName } from '../pki/index.js';
import { openStore } from '../store/index.js';
import { protectionOf, settleProtection, unlockKeyFiles, type MasterKeys } from '../store/master-key.js';
import { MasterKeyAdmin, PassphraseThrottle, unlockRecord } from './master-key-admin.js';
import { createRouter, storeObjectsPort } from '../kmip/index.js';
import type { Logger } from '../admin/log.js';
import { addClient, pinnedCertificate, readAuditedClients, readClientsDoc, trustedClientCa, watchClients, writeAuditedClients, type ClientAccessChange, type ClientIdentity } from './clients.js';
import { hashPassword, type PasswordCredential } from '../access/credentials.js';
import { inspectCertificate } from '../pki/index.js';
import { AuditLog, type AuditRecord } from '../audit/audit-log.js';
import { acquireLock } from './lock.js';
import { ObjectAdmin } from './object-admin.js';
import { SoftDeleteAdmin } from './soft-delete.js';
import { KeyOperator } from './key-operator.js';
import { gateFor } from '../kmip/batch-gate.js';
import { watchPki } from './pki-watch.js';
import { writeBundle } from './client-certs.js';
import { watchKeyPolicy } from './key-policy-file.js';
import { startKeyExpiry, type KeyExpiry } from './key-expiry.js';
import { expiryWarnings } from './expiry.js';
import { startControlSocket, type ControlMethod, type ControlServer } from './control-socket.js';
import { startBackupService, type BackupService } from './backup-service.js';
import { precheckDatabase, refusalOf } from '../backup/start-check.js';
import { EngineHost } from '../engine/host.js';
import { createWorkerEngine } from '../admin/engine.js';
import type { ServerCause, StartServerParams } from '../../shared/engine/protocol.js';
import type { HeadlessAdmin } from '../admin/headless.js';
import { startKmipTlsServer, type TlsMinVersion } from './tls-listener.js';
import type { TlsProfile } from './tls-profile.js';

export const DEFAULT_KMIP_PORT = 5696;

/** Control requests that may take long: a rotation re-encrypts every object; scrypt takes about a second per passphrase check. */
export const CONTROL_TIMEOUT_MS: Partial<Record<ControlMethod, number>> = { backupNow: 3_600_000, verifyBackup: 3_600_000, rotateMasterKey: 3_600_000, protectMasterKey: 600_000, unlockMasterKey: 600_000 };

export interface RunningServer {
  readonly address: { host: string; port: number };
  /** Operator actions on the server's objects (transfer, share, list). */
  readonly objects: ObjectAdmin;
  /** Soft-deleted objects: list, show, restore, purge, reveal (main/server/soft-delete.ts). */
  readonly softDelete: SoftDeleteAdmin;
  /** The key expiry job (main/server/key-expiry.ts): its counts, and a sweep on demand. */
  readonly keyExpiry: KeyExpiry;
  /** The admin UI's key search and Activate/Revoke/Destroy (main/server/key-operator.ts). */
  readonly operator: KeyOperator;
  /**
   * True while the master key is protected by a passphrase nobody has given
   * yet: no store, no KMIP listener; address, objects and the other parts
   * that need the store throw until unlock() succeeds.
   */
  readonly locked: boolean;
  /** Unwraps the master key with the passphrase (throttled, audited), opens the store and starts the listener. */
  unlock(passphrase: string): Promise<{ host: string; port: number }>;
  /** Master key status, protection change and rotation (main/server/master-key-admin.ts). */
  readonly masterKey: MasterKeyAdmin;
  /** Backups: now, verify, status, the schedule (main/server/backup-service.ts). */
  readonly backups: BackupService;
  /** Graceful: stop accepting, finish in-flight requests (bounded), stop watching, close the store. Audited as 'server stopped' with the cause. */
  stop(graceMs?: number, cause?: ServerCause): Promise<void>;
}

export interface StartServerOptions {
  dataDir: string;
  /** Undefined: all interfaces. */
  host?: string;
  port: number;
  minVersion?: TlsMinVersion;
  /** Cipher suites (main/server/tls-profile.ts); default modern. */
  tlsProfile?: TlsProfile;
  /** See KmipTlsOptions. */
  maxConnections?: number;
  maxConnectionsPerClient?: number;
  log: Logger;
  /** Told every audit record as it is logged (the engine worker forwards them as `audit` events). */
  onAuditRecord?: (r: AuditRecord) => void;
  /**
   * The time (default: the system clock). Tests inject one to move past key
   * lifetimes and retention periods; KMIP time stamps, the store's created and
   * modified times and the lifecycle jobs all read it.
   */
  clock?: () => Date;
  /** How often the key expiry job sweeps (default 30 s; tests shorten it). */
  keyExpiryIntervalMs?: number;
  /** How often the backup schedule is checked against the clock (default 30 s; tests shorten it). */
  backupCheckMs?: number;
  /** Who or what asked for this start: named in the audit record 'server started'. */
  cause?: ServerCause;
}

/** How the audit records 'server started' and 'server stopped' name their cause (also in their reason, as the bare cause). */
const CAUSE_TEXT: Readonly<Record<ServerCause, string>> = {
  ui: 'by an operator in the admin UI',
  tray: 'by an operator from the tray menu',
  cli: 'by keyhold serve',
  signal: 'by a signal to the process (SIGINT or SIGTERM)',
  app: 'by the desktop app (start at launch, or quit)',
  restart: 'after the engine worker was restarted',
  shutdown: 'as the engine worker shut down',
};

/** The audit record of a start or a stop of the KMIP server; its endpoint, and who or what caused it when known. */
export function serverRecord(operation: 'server started' | 'server stopped', detail: string, cause: ServerCause | undefined): Omit<AuditRecord, 'at'> {
  const why = cause === undefined ? '' : `; ${operation.slice('server '.length)} ${CAUSE_TEXT[cause]}`;
  return { kind: 'admin', client: null, address: null, operation, objects: [], result: 'applied', reason: cause ?? null, message: `${detail}${why}` };
}

/**
 * Everything the KMIP server owns, started in order and stopped in reverse.
 * Runs inside the engine worker; the caller holds the data dir's lock.
 */
export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const cleanups: ((graceMs?: number) => unknown)[] = [];
  let stopCause: ServerCause | undefined;
  const stop = async (graceMs?: number, cause?: ServerCause) => {
    stopCause = cause;
    for (const c of cleanups.splice(0).reverse()) {
      try { await c(graceMs); } catch (e) { opts.log.error('kmip: error while stopping:', e); }
    }
  };
  try {
    await fs.mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
    const pki = await ensurePki(opts.dataDir, opts.host === undefined ? {} : { extraNames: hostNames(opts.host) });
    const clock = opts.clock ?? (() => new Date());
    // Opened before the listener and closed after it (cleanups run in reverse), so the last requests are recorded.
    const audit = await AuditLog.open(opts.dataDir, (message) => opts.log.error(`kmip: ${message}`));
    cleanups.push(() => audit.close());
    if (opts.onAuditRecord) audit.subscribe(opts.onAuditRecord);
    // Runs after everything else has stopped (cleanups run in reverse), once the start was recorded.
    let started = false;
    let listenedOn: string | null = null;
    cleanups.push(() => {
      if (started) audit.record(serverRecord('server stopped', `KMIP server stopped (${listenedOn === null ? 'it was locked' : `it listened on ${listenedOn}`})`, stopCause));
    });
    // Changes made with `keyhold client …` (or by hand) reach the server through the file: it records them,
    // including those made while no server ran (the difference from the last recorded version, at start).
    let recorded = Promise.resolve();
    const clients = await watchClients(opts.dataDir, {
      onError: (e) => opts.log.warn(`kmip: client list not reloaded: ${(e as Error).message}`),
      since: await readAuditedClients(opts.dataDir),
      onChange: (changes, doc, atStart) => {
        const when = atStart ? 'made while no server was running' : '';
        for (const c of changes) {
          const message = [c.detail, when].filter((x) => x !== '').join('; ');
          audit.record({ kind: 'admin', client: c.client, address: null, operation: c.action, objects: [], result: 'applied', reason: null, message: message || null });
        }
        recorded = recorded
          .then(() => writeAuditedClients(opts.dataDir, doc))
          .catch((e: unknown) => opts.log.warn(`kmip: could not note the recorded client list: ${(e as Error).message}`));
      },
    });
    cleanups.push(async () => {
      clients.close();
      await recorded;
    });
    // The key policy (DIR/policy.json, `keyhold policy set`): every change is applied to the next request and audited.
    const keyPolicy = await watchKeyPolicy(opts.dataDir, {
      onChange: (changes, atStart) => {
        const message = [changes.join('; '), atStart ? 'made while no server was running' : ''].filter((x) => x !== '').join('; ');
        opts.log.info(`kmip: key policy changed: ${message}`);
        audit.record({ kind: 'admin', client: null, address: null, operation: 'policy changed', objects: [], result: 'applied', reason: null, message });
      },
      onError: (message) => opts.log.warn(`kmip: ${message}`),
    });
    cleanups.push(() => keyPolicy.close());
    // Certificates about to expire: logged and audited at start, then once a day.
    const checkExpiry = () =>
      expiryWarnings(opts.dataDir)
        .then((warnings) => {
          for (const w of warnings) {
            opts.log.warn(`kmip: ${w.message}`);
            audit.record({ kind: 'admin', client: null, address: null, operation: 'certificate expires soon', objects: [], result: 'warning', reason: null, message: w.message });
          }
        })
        .catch((e: unknown) => opts.log.warn(`kmip: could not check certificate expiry: ${(e as Error).message}`));
    void checkExpiry();
    const expiryTimer = setInterval(() => void checkExpiry(), 86_400_000);
    expiryTimer.unref();
    cleanups.push(() => clearInterval(expiryTimer));
    // The master key. With a key file the store opens now. With a passphrase
    // the server starts locked: the store is not opened and the KMIP
    // listener not started, so nothing is served (not even a TLS handshake)
    // until unlock() is given the right passphrase (`keyhold master-key
    // unlock`, the GUI later). An interrupted change of protection is settled
    // first (main/store/master-key.ts).
    for (const note of settleProtection(opts.dataDir)) {
      opts.log.warn(`keyhold: ${note}`);
      audit.record({ kind: 'admin', client: null, address: null, operation: 'master key protection changed', objects: [], result: 'warning', reason: null, message: note });
    }
    const throttle = new PassphraseThrottle();
    /** Opens the store and everything that needs it; a failure undoes what it started (an unlock can be retried). */
    const openKeyed = async (keys?: MasterKeys) => {
      const mark = cleanups.length;
      try {
        // The start check (main/backup/start-check.ts): a damaged database, one from a newer Keyhold or one the
        // master key does not open is refused before openStore, so no migration ever writes to it.
        const checked = await precheckDatabase(opts.dataDir, keys);
        opts.log.info(`keyhold: key store checked in ${checked.ms} ms: quick_check, schema, master key, ${checked.checked} of ${checked.total} sealed objects opened (${checked.all ? 'all' : 'sample'})`);
        // Group commit: the listener acknowledges only after store.sync() (tls-listener.ts).
        let store: ReturnType<typeof openStore>;
        try {
          store = openStore(opts.dataDir, { durability: 'group', now: () => clock().getTime(), ...(keys === undefined ? {} : { keys }) });
        } catch (e) {
          throw await refusalOf(opts.dataDir, e);
        }
        cleanups.push(() => store.close());
        for (const note of store.masterKeyNotes) {
          opts.log.warn(`keyhold: ${note}`);
          audit.record({ kind: 'admin', client: null, address: null, operation: 'master key rotated', objects: [], result: 'warning', reason: null, message: note });
        }
        const port = storeObjectsPort(store);
        // Backups: backup.json watched, the schedule, the record of the newest verified backup (refuseUnbackedKeys).
        const backups = await startBackupService({
          dataDir: opts.dataDir,
          store,
          gate: gateFor(port),
          audit: (r) => audit.record(r),
          log: opts.log,
          clock,
          ...(opts.backupCheckMs === undefined ? {} : { checkMs: opts.backupCheckMs }),
        });
        cleanups.push(() => backups.close());
        // Soft delete: operator actions, and the purge job (now, hourly and when the next retention ends).
        const softDelete = new SoftDeleteAdmin({ store, audit: (r) => audit.record(r), log: opts.log, clock, serialize: (fn) => gateFor(port).shared(fn) });
        const purgeJob = await softDelete.startPurgeJob();
        cleanups.push(() => purgeJob.stop());
        // Key expiry: keys past their Deactivation Date become Deactivated (at start, before the listener, then every 30 s); warnings ahead.
        const keyExpiry = await startKeyExpiry({
          store,
          policy: keyPolicy.current,
          clock,
          audit: (r) => audit.record(r),
          log: opts.log,
          gate: gateFor(port),
          ...(opts.keyExpiryIntervalMs === undefined ? {} : { intervalMs: opts.keyExpiryIntervalMs }),
        });
        cleanups.push(() => keyExpiry.close());
        const server = await startKmipTlsServer({
          ...(opts.host === undefined ? {} : { host: opts.host }),
          port: opts.port,
          certPem: pki.server.certPem,
          keyPem: pki.server.keyPem,
          caCertPem: pki.ca.certPem,
          clients,
          durable: store,
          audit,
          ...(opts.minVersion === undefined ? {} : { minVersion: opts.minVersion }),
          ...(opts.tlsProfile === undefined ? {} : { tlsProfile: opts.tlsProfile }),
          ...(opts.maxConnections === undefined ? {} : { maxConnections: opts.maxConnections }),
          ...(opts.maxConnectionsPerClient === undefined ? {} : { maxConnectionsPerClient: opts.maxConnectionsPerClient }),
          context: {
            router: createRouter(),
            objects: port,
            keyPolicy: keyPolicy.current,
            notBackedUp: (o) => backups.notBackedUp(o),
            clock,
            server: { vendorIdentification: 'Keyhold', serverName: 'Keyhold', productName: 'Keyhold', serverVersion: '0.1.0' },
            log: (message, error) => opts.log.error(`kmip: ${message}:`, error),
            // Client-requested records (Log, Interop): already sanitised by the operation.
            info: (message) => opts.log.info(`kmip: ${message}`),
          },
          log: opts.log,
        });
        cleanups.push((graceMs?: number) => server.close(graceMs));
        // A certificate replaced with `keyhold cert …` (or by hand) serves new connections without a restart.
        const pkiWatch = watchPki(opts.dataDir, (creds) => server.replaceCredentials(creds), {
          changed(message, fingerprint) {
            opts.log.info(`kmip: ${message}`);
            audit.record({ kind: 'admin', client: null, address: null, operation: 'certificate replaced', objects: [], result: 'applied', reason: null, message: `${message}; SHA-256 ${fingerprint}` });
          },
          failed: (message) => opts.log.warn(`kmip: the changed certificate files are not used (the running certificate stays): ${message}`),
        });
        cleanups.push(() => pkiWatch.close());
        const objects = new ObjectAdmin({ store, clients: () => readClientsDoc(opts.dataDir), audit: (r) => audit.record(r), serialize: (fn) => gateFor(port).shared(fn) });
        const operator = new KeyOperator({ store, port, gate: gateFor(port), policy: keyPolicy.current, clock, audit: (r) => audit.record(r), connections: () => server.connections });
        return { store, gate: gateFor(port), address: server.address, objects, softDelete, keyExpiry, backups, operator };
      } catch (e) {
        for (const c of cleanups.splice(mark).reverse()) {
          try { await c(); } catch (err) { opts.log.error('kmip: error while stopping:', err); }
        }
        throw e;
      }
    };
    let keyed: Awaited<ReturnType<typeof openKeyed>> | null = null;
    if (protectionOf(opts.dataDir) === 'key-file') {
      keyed = await openKeyed();
      started = true;
      listenedOn = endpointText(keyed.address);
      audit.record(serverRecord('server started', `KMIP server listening on ${listenedOn}`, opts.cause));
    } else {
      started = true;
      audit.record(serverRecord('server started', 'KMIP server started locked: nothing is served until the master key is unlocked', opts.cause));
      const message = 'the master key is protected by a passphrase: the server is locked and serves nothing until an operator runs keyhold master-key unlock --passphrase-stdin';
      opts.log.warn(`keyhold: ${message}`);
      audit.record({ kind: 'admin', client: null, address: null, operation: 'server locked', objects: [], result: 'warning', reason: null, message });
    }
    const unlock = async (passphrase: string) => {
      if (keyed !== null) throw new Error('the server is not locked');
      let keys: MasterKeys;
      try {
        keys = await throttle.attempt(() => unlockKeyFiles(opts.dataDir, passphrase));
      } catch (e) {
        opts.log.warn(`keyhold: unlock refused: ${(e as Error).message}`);
        audit.record(unlockRecord(false, (e as Error).message));
        throw e;
      }
      try {
        keyed = await openKeyed(keys);
        listenedOn = endpointText(keyed.address);
      } catch (e) {
        audit.record(unlockRecord(false, `the passphrase was right but the server did not start: ${(e as Error).message}`));
        throw e;
      }
      const a = keyed.address;
      const message = `unlocked: master key version ${keyed.store.masterKeyVersion}, KMIP listener on ${a.host}:${a.port}`;
      opts.log.info(`keyhold: ${message}`);
      audit.record(unlockRecord(true, message));
      return a;
    };
    // A rotation's transaction holds the batch gate shared, like a request: never inside an Undo batch's open transaction.
    const masterKey = new MasterKeyAdmin({ dataDir: opts.dataDir, store: () => keyed?.store ?? null, audit: (r) => audit.record(r), log: opts.log, throttle, serialize: (fn) => need().gate.shared(fn) });
    const need = () => {
      if (keyed === null) throw new Error('the server is locked: the master key is protected by a passphrase (keyhold master-key unlock --passphrase-stdin)');
      return keyed;
    };
    return {
      get address() {
        return need().address;
      },
      get objects() {
        return need().objects;
      },
      get softDelete() {
        return need().softDelete;
      },
      get keyExpiry() {
        return need().keyExpiry;
      },
      get operator() {
        return need().operator;
      },
      get backups() {
        return need().backups;
      },
      get locked() {
        return keyed === null;
      },
      unlock,
      masterKey,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

export interface ServeOptions {
  dataDir: string;
  /** Undefined: all interfaces. */
  host?: string;
  port: number;
  minVersion?: TlsMinVersion;
  /** Cipher suites (main/server/tls-profile.ts); default modern. */
  tlsProfile?: TlsProfile;
  maxConnections?: number;
  maxConnectionsPerClient?: number;
  log: Logger;
  /** Called once with the bound address, when connections are being accepted (in passphrase mode: after the unlock). */
  onListening(address: { host: string; port: number }): void;
  /** Called when the server starts locked (the master key is protected by a passphrase), with how to unlock it. */
  onLocked?(message: string): void;
  /** Resolves when the server should stop gracefully. */
  stopSignal: Promise<unknown>;
  /** What stopSignal resolving stands for, in the audit record 'server stopped' (default 'signal', as in the CLI). */
  stopCause?: ServerCause;
  /** How long in-flight requests get to finish at stop. */
  graceMs?: number;
  /**
   * Tests only (`keyhold serve` with KEYHOLD_TEST_FAULTS=1): each value makes
   * the engine worker die that way (crashForTests), to exercise the restart.
   * Absent, the worker refuses crashForTests like an unknown method.
   */
  faults?: AsyncIterable<'throw' | 'exit'>;
  /** The admin UI over HTTP (main/admin/headless.ts); absent: none (--no-admin). */
  admin?: ServeAdminOptions;
  /**
   * Read at every start (the first, one from the admin UI, one after a
   * worker crash) and laid over the options above: the saved settings
   * (DIR/settings.json) for what no flag gave. A failure fails that start.
   */
  saved?: () => Promise<Partial<Pick<StartServerParams, 'port' | 'minVersion' | 'tlsProfile'>>>;
}

export interface ServeAdminOptions {
  /** Default 127.0.0.1; anything else is printed with a warning. */
  host?: string;
  /** 0: a free one. */
  port: number;
  /** Replace DIR/admin.token with a new token. */
  rotateToken?: boolean;
  /** Told the URL to open (it carries the token in its fragment) once the admin UI is up, and whether an admin password is set too. */
  onReady(url: string, tokenFile: string, passwordSet: boolean): void;
}

/**
 * The main-thread side of `keyhold serve`: takes the data dir's lock, runs
 * the server in the engine worker (EngineHost) through the same engine
 * controller the admin UI and the desktop app use (main/admin/engine.ts,
 * which also brings the server back when the worker is restarted after a
 * crash), serves the admin UI (opts.admin), and stops it all when
 * stopSignal resolves.
 */
export async function serve(opts: ServeOptions): Promise<void> {
  await fs.mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  // Before anything touches the directory: two first starts must not both create a CA.
  const release = acquireLock(opts.dataDir);
  const graceMs = opts.graceMs ?? 5_000;
  // The store lives in the worker (opened by startServer); the host's own
  // connection is an in-memory one that only answers ping.
  const host = new EngineHost({ log: opts.log, stopGraceMs: graceMs + 5_000, allowCrashForTests: opts.faults !== undefined });
  const offLog = host.on('log', ({ level, message }) => opts.log[level](message));
  // The same options at every start, from here or from the admin UI (a first start may create a CA and a server key).
  const params = {
    dataDir: opts.dataDir,
    host: opts.host ?? null,
    port: opts.port,
    minVersion: opts.minVersion ?? 'TLSv1.2',
    ...(opts.tlsProfile === undefined ? {} : { tlsProfile: opts.tlsProfile }),
    ...(opts.maxConnections === undefined ? {} : { maxConnections: opts.maxConnections }),
    ...(opts.maxConnectionsPerClient === undefined ? {} : { maxConnectionsPerClient: opts.maxConnectionsPerClient }),
  } as const;
  const engine = createWorkerEngine(host, { params: async () => ({ ...params, ...(await opts.saved?.()) }), graceMs, log: opts.log });
  let control: ControlServer | undefined;
  let admin: HeadlessAdmin | null = null;
  try {
    await host.start();
    // Passphrase protection: startServer answers null (locked) and the listener comes with the unlock, as a `listening` event.
    let address: { host: string; port: number } | null = null;
    // Announced once, and only once the control socket is up: `keyhold …` commands run after the line must reach the server.
    let announced = false;
    let controlUp = false;
    const announce = () => {
      if (announced || !controlUp || address === null) return;
      announced = true;
      opts.onListening(address);
    };
    const offListening = host.on('listening', (a) => {
      address = a;
      announce();
    });
    const first = await engine.launch('cli');
    const lockedMessage = `KMIP server locked: the master key of ${opts.dataDir} is protected by a passphrase and nothing is served until you run: keyhold master-key unlock --passphrase-stdin --data-dir ${opts.dataDir}`;
    const offCrash = host.onCrash((r) =>
      opts.log.error(`kmip: the engine died (${r.reason}); ${r.restartInMs === null ? 'giving up' : `restarting in ${r.restartInMs} ms`}`),
    );
    // `keyhold object …` from another process reaches the engine through this (the store is exclusive to it).
    control = await startControlSocket(opts.dataDir, (method, params) => host.request(method, params as never, { timeoutMs: CONTROL_TIMEOUT_MS[method] ?? 10_000 }), opts.log);
    controlUp = true;
    announce();
    if (first === null) opts.onLocked?.(lockedMessage);
    if (opts.admin) {
      try {
        // Loaded here, not at the top: this module also runs in the engine worker, which needs none of it.
        const { startHeadlessAdmin } = await import('../admin/headless.js');
        admin = await startHeadlessAdmin({
          dataDir: opts.dataDir,
          ...(opts.admin.host === undefined ? {} : { host: opts.admin.host }),
          port: opts.admin.port,
          ...(opts.admin.rotateToken === undefined ? {} : { rotateToken: opts.admin.rotateToken }),
          engine,
          engineHost: host,
          log: opts.log,
        });
        if (admin) opts.admin.onReady(admin.server.url, admin.tokenFile, admin.passwordSet);
      } catch (e) {
        // The KMIP server is what matters: it runs on without its UI.
        opts.log.warn(`keyhold: admin UI not served: ${(e as Error).message}; choose another port with --admin-port N (0: any free one), or --no-admin`);
      }
    }
    if (opts.faults) void injectFaults(host, opts.faults, opts.log);
    await Promise.race([opts.stopSignal, failed(host)]);
    offCrash();
    offListening();
    if (host.state === 'failed') throw new Error('the engine crashed too often and was not restarted');
    await engine.stop(opts.stopCause ?? 'signal').catch((e: unknown) => opts.log.error(`kmip: stop: ${(e as Error).message}`));
  } finally {
    await admin?.close().catch((e: unknown) => opts.log.error(`keyhold: closing the admin UI: ${(e as Error).message}`));
    engine.dispose();
    await control?.close();
    await host.stop();
    offLog();
    release();
  }
}

/** Test fault injection (see ServeOptions.faults); the crash report itself comes from the host. */
async function injectFaults(host: EngineHost, faults: AsyncIterable<'throw' | 'exit'>, log: Logger): Promise<void> {
  try {
    for await (const how of faults) {
      log.warn(`test fault: making the engine worker die (${how})`);
      // The worker dies instead of answering: engine_crashed is the expected outcome.
      await host.request('crashForTests', { how }).catch(() => {});
    }
  } catch (e) {
    log.warn(`test fault: stopped reading fault requests: ${(e as Error).message}`);
  }
}

/** Resolves when the host has given up restarting the worker. */
function failed(host: EngineHost): Promise<void> {
  return new Promise((resolve) => {
    const off = host.onCrash((r) => {
      if (r.restartInMs === null) {
        off();
        resolve();
      }
    });
  });
}

/** host:port, an IPv6 address in brackets (as the engine status shows it). */
function endpointText(a: { host: string; port: number }): string {
  return `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

/** A host given as a name (not an address or a wildcard) also goes into the server certificate's SAN. */
function hostNames(host: string): string[] {
  return /^[A-Za-z][A-Za-z0-9.-]*$/.test(host) && host !== 'localhost' ? [host] : [];
}

export interface EnrolResult {
  fingerprint: string;
  files: { cert: string; key: string; ca: string; p12?: string };
}

/** Access of a new client; absent fields: least privilege (DEFAULT_GRANTS), no groups, any address, no rate limit. */
export type ClientAccess = Omit<ClientAccessChange, 'enabled'>;

/** A password for a client: Username (default: the client's name) and the password, hashed here. */
export interface PasswordInput {
  username?: string;
  password: string;
}

export async function passwordCredential(name: string, input: PasswordInput): Promise<PasswordCredential> {
  const username = input.username ?? name;
  if (username === '' || username.length > 256) throw new Error('the username must have 1 to 256 characters');
  return { username, hash: await hashPassword(input.password) };
}

export async function checkNewName(dataDir: string, name: string): Promise<void> {
  validateClientName(name);
  const doc = await readClientsDoc(dataDir);
  if (doc.clients.some((c) => c.name === name)) throw new Error(`a client named "${name}" is already registered`);
  if (doc.retired.includes(name)) throw new Error(`"${name}" belonged to a removed client whose objects still carry that name; choose another name`);
}

/** How `client add --cert` / `--ca` recognise a client whose certificate was made elsewhere. */
export type ImportedIdentity = { certPem: string } | { caPem: string; subject: string };

/**
 * Registers a client with a certificate made elsewhere (pinned by its
 * SHA-256) or with every certificate of a trusted client CA whose subject
 * matches a pattern. Keyhold's own CA cannot be a client CA: removing a
 * client issued by it must refuse that client's certificate.
 */
export async function importClient(dataDir: string, name: string, how: ImportedIdentity, access: ClientAccess = {}, password?: PasswordInput): Promise<{ fingerprint: string; describe: string; warnings: string[] }> {
  await checkNewName(dataDir, name);
  let identity: ClientIdentity;
  let describe: string;
  const warnings: string[] = [];
  if ('certPem' in how) {
    const cert = pinnedCertificate(how.certPem);
    identity = { fingerprint: cert.fingerprint, imported: true, certificateExpires: cert.notAfter };
    describe = `certificate "${cert.subject}", valid until ${cert.notAfter}`;
  } else {
    // addClient refuses Keyhold's own CA here (clients.ts checkIdentity).
    const ca = trustedClientCa(how.caPem, how.subject);
    identity = { ca };
    // Patterns of one CA may overlap: say how a certificate that matches several is resolved.
    for (const other of (await readClientsDoc(dataDir)).clients) {
      if (other.ca?.fingerprint === ca.fingerprint) warnings.push(`client "${other.name}" also trusts this CA (subject ${other.ca.subject.text}); a certificate matching both belongs to a disabled one if any, else to the one listed first in clients.json`);
    }
    describe = `certificates of CA "${ca.name}" whose subject matches ${ca.subject.text}`;
  }
  if (password !== undefined) identity.password = await passwordCredential(name, password);
  await addClient(dataDir, name, identity, access);
  return { fingerprint: identity.fingerprint ?? identity.ca!.fingerprint, describe, warnings };
}

/** Issues a client certificate from DIR's CA, writes NAME.crt/NAME.key/ca.crt to outDir, registers it. */
export async function enrolClient(dataDir: string, name: string, outDir: string, access: ClientAccess = {}, password?: PasswordInput, p12Passphrase?: string): Promise<EnrolResult> {
  await checkNewName(dataDir, name);
  const credential = password === undefined ? undefined : await passwordCredential(name, password);
  const pki = await ensurePki(dataDir);
  const issued = await issueClientCert(pki.ca, { name });
  const written = await writeBundle(outDir, name, issued.certPem, pki.ca.certPem, issued.keyPem, p12Passphrase);
  const files = { cert: written.cert, key: written.key!, ca: written.ca, ...(written.p12 === undefined ? {} : { p12: written.p12 }) };
  // Last: the server accepts the client only once its files are complete.
  const expires = inspectCertificate(issued.certPem).notAfter;
  await addClient(dataDir, name, { fingerprint: issued.fingerprint, certificateExpires: expires, ...(credential === undefined ? {} : { password: credential }) }, access);
  return { fingerprint: issued.fingerprint, files };
}
