// The main-thread <-> engine-worker protocol. The KMIP engine (TLS server and
// key store) runs in a worker thread so that a blocking SQLite call or a crash
// never freezes or kills the admin UI; this file is the only thing both sides
// share about how they talk.
//
//   main -> worker   { kind: 'request', seq, method, params }
//   worker -> main   { kind: 'response', seq, ok: true, value }
//                    { kind: 'response', seq, ok: false, error: { code, message } }
//                    { kind: 'event', name, payload }          (no seq)
//
// `seq` is chosen by main and echoed by the worker; it is null only in the
// reply to a message so broken that it had no usable seq. Errors are plain
// data: structured clone would drop an Error's code, and stacks stay inside.
// Both sides validate what they receive (the worker: requests and workerData;
// main: responses, including each method's result, and events), reusing the
// admin contract's validators.

import type { EngineState, EngineStatus } from '../ipc/contract.js';
import { array, boolean, integer, noArgs, object, oneOf, optional, string, type Validation, type Validator } from '../ipc/validate.js';
import { KEY_STATES, keysListArgs, REVOCATION_REASONS, type KeyActionResult, type KeyList, type KeyRow } from '../ipc/calls/keys.js';
import { PROGRESS_STAGES, type ProgressStep } from '../ipc/calls/progress.js';

// --- validators the ipc set lacks -------------------------------------------------

const fail = (path: string, message: string): Validation<never> => ({ ok: false, message: `${path}: ${message}` });

export function nullable<T>(v: Validator<T>): Validator<T | null> {
  return (value, path = 'value') => (value === null ? { ok: true, value: null } : v(value, path));
}

export const nullValue: Validator<null> = (value, path = 'value') =>
  value === null ? { ok: true, value: null } : fail(path, 'expected null');

// --- payloads ---------------------------------------------------------------------

/** What `ping` answers: enough to prove the thread and its database are alive. */
export interface EngineInfo {
  /** Milliseconds since this worker thread started (resets on every restart). */
  uptimeMs: number;
  /** `select sqlite_version()` from the engine's own connection. */
  sqliteVersion: string;
}

const ENGINE_STATES = ['stopped', 'starting', 'running', 'stopping', 'locked'] as const;
// Fails to compile if the contract gains a state this list lacks.
const allStatesListed: Exclude<EngineState, (typeof ENGINE_STATES)[number]> extends never ? true : never = true;
void allStatesListed;

const shortText = string({ maxLength: 1000 });

export const engineInfo: Validator<EngineInfo> = object({
  uptimeMs: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  sqliteVersion: string({ maxLength: 40, pattern: /^\d+\.\d+\.\d+/ }),
});

export const engineStatus: Validator<EngineStatus> = object({
  state: oneOf(...ENGINE_STATES),
  since: string({ maxLength: 40 }),
  endpoint: nullable(string({ maxLength: 300 })),
  lastError: nullable(object({ code: string({ maxLength: 100 }), message: shortText })),
  keys: optional(object({
    expiringSoon: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    warningDays: integer({ min: 0, max: 36_500 }),
    deactivated: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  })),
});

/** Where the KMIP listener is bound (the real port when 0 was asked for). */
export interface ListenAddress {
  host: string;
  port: number;
}

export const listenAddress: Validator<ListenAddress> = object({
  host: string({ minLength: 1, maxLength: 300 }),
  port: integer({ min: 1, max: 65535 }),
});

export interface StartServerParams {
  /** The data directory (CA, server certificate, clients.json, database, master key). */
  dataDir: string;
  /** null: all interfaces. */
  host: string | null;
  /** 0: any free port. */
  port: number;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** Cipher suites: modern (forward-secret AEAD only, the default) or compatible (adds the KMIP 1.x profile suites). */
  tlsProfile?: 'modern' | 'compatible';
  /** Open KMIP connections at most, all clients together (default 1024). */
  maxConnections?: number;
  /** Open KMIP connections at most per client (default 64), so one client cannot take them all. */
  maxConnectionsPerClient?: number;
  /** Who or what asked for the start, for the audit record 'server started' (absent: not known). */
  cause?: ServerCause;
}

/**
 * Who or what started or stopped the KMIP server, as the audit log names it:
 * the admin UI, the tray menu, `keyhold serve` starting, a signal (SIGINT,
 * SIGTERM) ending it, the desktop app opening or quitting, the engine worker
 * restarted after a crash, or the worker shut down.
 */
export const SERVER_CAUSES = ['ui', 'tray', 'cli', 'signal', 'app', 'restart', 'shutdown'] as const;
export type ServerCause = (typeof SERVER_CAUSES)[number];
const serverCause = oneOf(...SERVER_CAUSES);

const startServerParams: Validator<StartServerParams> = object({
  dataDir: string({ minLength: 1, maxLength: 4096 }),
  host: nullable(string({ minLength: 1, maxLength: 300 })),
  port: integer({ min: 0, max: 65535 }),
  minVersion: oneOf('TLSv1.2', 'TLSv1.3'),
  tlsProfile: optional(oneOf('modern', 'compatible')),
  maxConnections: optional(integer({ min: 1, max: 1_000_000 })),
  maxConnectionsPerClient: optional(integer({ min: 1, max: 1_000_000 })),
  cause: optional(serverCause),
});

// --- operator actions on objects (main/server/object-admin.ts) ---------------------

const clientName = string({ minLength: 1, maxLength: 200 });
const objectId = string({ minLength: 1, maxLength: 1000 });
const MAX_OBJECTS_PER_CALL = 10_000;

/** One managed object as `keyhold object list` shows it: never its material. */
export interface ObjectSummary {
  id: string;
  objectType: string;
  state: string;
  owner: string | null;
  names: string[];
  sharedWith: string[];
}

const objectSummary: Validator<ObjectSummary> = object({
  id: objectId,
  objectType: string({ maxLength: 100 }),
  state: string({ maxLength: 100 }),
  owner: nullable(clientName),
  names: array(string({ maxLength: 10_000 }), { maxLength: 1000 }),
  sharedWith: array(string({ maxLength: 300 }), { maxLength: 10_000 }),
});

const countResult = object({ count: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }) });

// --- soft delete (main/server/soft-delete.ts) ---------------------------------------

const isoTime = string({ maxLength: 40 });

/** A soft-deleted object as `keyhold objects list --deleted` shows it. */
export interface DeletedObjectSummary {
  id: string;
  objectType: string;
  /** "AES-256", "RSA-2048"…; null when the object has no Cryptographic Algorithm. */
  algorithm: string | null;
  names: string[];
  owner: string | null;
  /** ISO 8601. */
  destroyedAt: string;
  /** When the purge job erases the material (ISO 8601). */
  purgeAfter: string;
}

const deletedObjectSummary: Validator<DeletedObjectSummary> = object({
  id: objectId,
  objectType: string({ maxLength: 100 }),
  algorithm: nullable(string({ maxLength: 100 })),
  names: array(string({ maxLength: 10_000 }), { maxLength: 1000 }),
  owner: nullable(clientName),
  destroyedAt: isoTime,
  purgeAfter: isoTime,
});

/** One object as `keyhold objects show` shows it: never its material. */
export interface ObjectDetails {
  id: string;
  objectType: string;
  state: string;
  owner: string | null;
  sharedWith: string[];
  createdAt: string;
  /** present: live material; retained: kept after a soft delete; erased: destroyed and gone; none: never had any. */
  material: 'present' | 'retained' | 'erased' | 'none';
  retained: { destroyedAt: string; purgeAfter: string; stateBefore: string } | null;
  attributes: { name: string; index: number; value: string }[];
}

const objectDetails: Validator<ObjectDetails> = object({
  id: objectId,
  objectType: string({ maxLength: 100 }),
  state: string({ maxLength: 100 }),
  owner: nullable(clientName),
  sharedWith: array(string({ maxLength: 300 }), { maxLength: 10_000 }),
  createdAt: isoTime,
  material: oneOf('present', 'retained', 'erased', 'none'),
  retained: nullable(object({ destroyedAt: isoTime, purgeAfter: isoTime, stateBefore: string({ maxLength: 100 }) })),
  attributes: array(object({ name: string({ maxLength: 1000 }), index: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), value: string({ maxLength: 4000 }) }), { maxLength: 10_000 }),
});

/** An object's key bytes (`keyhold objects show ID --reveal`): each byte field of its stored structure, as hex. */
export interface RevealedMaterial {
  id: string;
  objectType: string;
  state: string;
  /** Key Format Type, null for objects without a Key Block (certificates, opaque objects). */
  format: string | null;
  fields: { name: string; hex: string }[];
}

const revealedMaterial: Validator<RevealedMaterial> = object({
  id: objectId,
  objectType: string({ maxLength: 100 }),
  state: string({ maxLength: 100 }),
  format: nullable(string({ maxLength: 100 })),
  fields: array(object({ name: string({ maxLength: 200 }), hex: string({ maxLength: 4 * 1024 * 1024, pattern: /^[0-9a-f]*$/ }) }), { maxLength: 100 }),
});

// --- the operator's key actions (main/server/key-operator.ts) -----------------------

const nullableIso = nullable(isoTime);
const keyRow: Validator<KeyRow> = object({
  id: objectId,
  names: array(string({ maxLength: 10_000 }), { maxLength: 1000 }),
  objectType: string({ maxLength: 100 }),
  algorithm: nullable(string({ maxLength: 100 })),
  state: string({ maxLength: 100 }),
  owner: nullable(clientName),
  createdAt: isoTime,
  activationDate: nullableIso,
  deactivationDate: nullableIso,
  restorable: boolean,
});
const keyList: Validator<KeyList> = object({
  rows: array(keyRow, { maxLength: 1000 }),
  total: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
});
const keyActionResult: Validator<KeyActionResult> = object({ id: objectId, state: string({ maxLength: 100 }) });

export interface ServerSummary {
  /** Every KMIP state with its count (zero included), in lifecycle order. */
  objectsByState: { state: string; count: number }[];
  /** KMIP connections open now. */
  connections: number;
}
const serverSummary: Validator<ServerSummary> = object({
  objectsByState: array(object({ state: oneOf(...KEY_STATES), count: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }) }), { maxLength: KEY_STATES.length }),
  connections: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
});

// --- the master key (main/server/master-key-admin.ts) -------------------------------

/** `keyhold master-key status`: how the master key is kept, never the key. */
export interface MasterKeyStatusInfo {
  protection: 'key-file' | 'passphrase';
  /** null: not known while locked. */
  keyVersion: number | null;
  /** The server waits for the passphrase and serves nothing. */
  locked: boolean;
  /** Versions kept as master.key.v<N>.retired. */
  retired: number[];
}

const keyVersion = integer({ min: 1, max: 255 });
const masterKeyStatusInfo: Validator<MasterKeyStatusInfo> = object({
  protection: oneOf('key-file', 'passphrase'),
  keyVersion: nullable(keyVersion),
  locked: boolean,
  retired: array(keyVersion, { maxLength: 255 }),
});
/** Passphrases travel only over the owner-only control socket and the worker channel; no validator message quotes them. */
const passphrase = string({ minLength: 1, maxLength: 1024 });

/** A diagnostic line from the worker (refused clients, closed connections): the main thread decides where it goes. */
export interface EngineLog {
  level: 'info' | 'warn' | 'error';
  message: string;
}

// --- methods and events -----------------------------------------------------------

interface MethodSpec<P, R> {
  readonly params: Validator<P>;
  readonly result: Validator<R>;
}
const method = <P, R>(params: Validator<P>, result: Validator<R>): MethodSpec<P, R> => ({ params, result });

export const engineMethods = {
  ping: method(noArgs, engineInfo),
  status: method(noArgs, engineStatus),
  /**
   * Initialises the data dir on first use, opens its store and starts the
   * KMIP TLS listener; answers once connections are accepted. The main thread
   * holds the data dir's serve.lock. null: the master key is protected by a
   * passphrase and the server is locked (no store, no listener) until
   * unlockMasterKey.
   */
  startServer: method(startServerParams, nullable(listenAddress)),
  /** Stops accepting, lets requests in progress finish (at most graceMs), closes the store. */
  stopServer: method(object({ graceMs: integer({ min: 0, max: 600_000 }), cause: optional(serverCause) }), nullValue),
  /** The running server's objects, oldest first: page by offset (operator listing; `keyhold object list`). */
  listObjects: method(
    object({ owner: optional(clientName), limit: optional(integer({ min: 1, max: MAX_OBJECTS_PER_CALL })), offset: optional(integer({ min: 0, max: Number.MAX_SAFE_INTEGER })) }),
    array(objectSummary, { maxLength: MAX_OBJECTS_PER_CALL }),
  ),
  /** How many objects each client owns (owner null: nobody). */
  objectOwners: method(noArgs, array(object({ owner: nullable(clientName), count: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }) }), { maxLength: 1_000_000 })),
  /** Gives objects (by id, or every object of `from`) to client `to`; recorded in the audit log. */
  transferObjects: method(object({ ids: optional(array(objectId, { minLength: 1, maxLength: MAX_OBJECTS_PER_CALL })), from: optional(clientName), to: clientName }), countResult),
  /** Shares objects with clients and/or groups (their `shared` grants then reach them), or withdraws such shares. */
  shareObjects: method(
    object({
      ids: array(objectId, { minLength: 1, maxLength: MAX_OBJECTS_PER_CALL }),
      clients: optional(array(clientName, { maxLength: 1000 })),
      groups: optional(array(clientName, { maxLength: 1000 })),
      withdraw: optional(boolean),
    }),
    countResult,
  ),
  /** Soft-deleted objects whose material is kept, oldest Destroy first (`keyhold objects list --deleted`). */
  listDeletedObjects: method(
    object({ limit: optional(integer({ min: 1, max: MAX_OBJECTS_PER_CALL })), offset: optional(integer({ min: 0, max: Number.MAX_SAFE_INTEGER })) }),
    array(deletedObjectSummary, { maxLength: MAX_OBJECTS_PER_CALL }),
  ),
  /** One object's state, owner, attributes and whether its material is kept; never the material. */
  showObject: method(object({ id: objectId }), objectDetails),
  /** Restores soft-deleted objects (material back, state before Destroy), all or none; audited. */
  restoreObjects: method(
    object({ ids: array(objectId, { minLength: 1, maxLength: MAX_OBJECTS_PER_CALL }) }),
    object({ restored: array(object({ id: objectId, state: string({ maxLength: 100 }) }), { maxLength: MAX_OBJECTS_PER_CALL }) }),
  ),
  /** Erases the kept material of soft-deleted objects now, all or none; irreversible; audited. */
  purgeObjects: method(object({ ids: array(objectId, { minLength: 1, maxLength: MAX_OBJECTS_PER_CALL }) }), countResult),
  /** An object's key bytes as hex; `confirm` must repeat the identifier; audited. */
  revealMaterial: method(object({ id: objectId, confirm: objectId }), revealedMaterial),
  // The operator's key actions (main/server/key-operator.ts, the admin UI's Keys screen): same state rules as KMIP, audited as 'admin'.
  /** Objects newest first, searched by Name or identifier, filtered by type, state and owner; one page and the total. */
  searchObjects: method(keysListArgs, keyList),
  /** Activate, as KMIP Activate does it. */
  activateObject: method(object({ id: objectId }), keyActionResult),
  /** Revoke with a Revocation Reason Code, as KMIP Revoke does it. */
  revokeObject: method(object({ id: objectId, reason: oneOf(...REVOCATION_REASONS), message: optional(string({ maxLength: 500 })) }), keyActionResult),
  /** Destroy, as KMIP Destroy does it (soft delete per the key policy). */
  destroyObject: method(object({ id: objectId }), keyActionResult),
  /** For the dashboard: how many objects are in each state, and the open KMIP connections. */
  serverSummary: method(noArgs, serverSummary),
  /** How the master key is kept, its version, retired versions, whether the server is locked. */
  masterKeyStatus: method(noArgs, masterKeyStatusInfo),
  /** Unlocks a locked server: the store opens and the listener starts (sent as `listening` too). Wrong passphrases are throttled; every attempt is audited. */
  unlockMasterKey: method(object({ passphrase }), listenAddress),
  /** Key file <-> passphrase; the passphrase is the new one (to passphrase) or the current one (to key-file). */
  protectMasterKey: method(object({ to: oneOf('key-file', 'passphrase'), passphrase }), masterKeyStatusInfo),
  /** A new master key version; all material re-encrypted in one transaction. Passphrase protection: the passphrase wraps the new key. */
  rotateMasterKey: method(
    object({ passphrase: optional(passphrase) }),
    object({
      from: keyVersion,
      to: keyVersion,
      objects: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      retained: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      ms: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    }),
  ),
  /** One backup now (main/server/backup-service.ts): written, read back and checked, retention applied; `keyhold backup now`. */
  backupNow: method(
    noArgs,
    object({
      file: string({ minLength: 1, maxLength: 4096 }),
      bytes: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      objects: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      ms: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      deleted: array(string({ maxLength: 300 }), { maxLength: 10_000 }),
    }),
  ),
  /** Reads a master-key backup file back with the running store's master key (decrypt, integrity_check, count). */
  verifyBackup: method(
    object({ file: string({ minLength: 1, maxLength: 4096 }) }),
    object({ objects: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), maxSeq: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), created: string({ maxLength: 40 }) }),
  ),
  /** Stops the server if running, finishes queued work, closes the database, lets the thread end. */
  shutdown: method(noArgs, nullValue),
  /**
   * Failure injection for tests: kill the thread by an uncaught exception
   * ('throw') or process.exit(3) ('exit'), never reply ('hang'), or fail in the
   * handler ('reject'). The worker answers it only when started with
   * workerData.allowCrashForTests; otherwise it is an unknown method.
   */
  crashForTests: method(object({ how: oneOf('throw', 'exit', 'hang', 'reject') }), nullValue),
} as const;

/** One audit record as the log stores it (main/audit/audit-log.ts): names, addresses, identifiers and results, never secrets. */
export interface AuditEventRecord {
  /** ISO 8601 time. */
  at: string;
  /** connection: a TLS client connected, was refused or closed; request: one batch item; admin: an operator's change, or an audit prune. */
  kind: 'connection' | 'request' | 'admin';
  client: string | null;
  address: string | null;
  /** The KMIP operation name (requests), or the administrative action. */
  operation: string | null;
  /** Unique Identifiers the item named or returned (at most MAX_OBJECTS). */
  objects: string[];
  /** accepted / refused / closed (connections); Success, OperationFailed, OperationUndone… (requests); applied / warning (admin). */
  result: string;
  /** Result Reason name, or why a connection was refused. */
  reason: string | null;
  /** The Result Message sent to the client, or what an administrative change was. */
  message: string | null;
}

/** Live audit records, in the order they were logged. */
export interface AuditEventPayload {
  records: AuditEventRecord[];
  /** Records left out after these because more came than the events carry (see main/engine/worker.ts); the log has them all. */
  dropped: number;
}

export const AUDIT_EVENT_MAX_RECORDS = 500;
/** Longest strings (and most objects) an `audit` event carries: the worker cuts longer ones (clipAuditRecord). */
export const AUDIT_EVENT_LIMITS = { at: 40, client: 300, address: 100, operation: 100, objects: 16, object: 300, result: 100, reason: 1000, message: 1000 } as const;

const auditEventRecord: Validator<AuditEventRecord> = object({
  at: string({ maxLength: AUDIT_EVENT_LIMITS.at }),
  kind: oneOf('connection', 'request', 'admin'),
  client: nullable(string({ maxLength: AUDIT_EVENT_LIMITS.client })),
  address: nullable(string({ maxLength: AUDIT_EVENT_LIMITS.address })),
  operation: nullable(string({ maxLength: AUDIT_EVENT_LIMITS.operation })),
  objects: array(string({ maxLength: AUDIT_EVENT_LIMITS.object }), { maxLength: AUDIT_EVENT_LIMITS.objects }),
  result: string({ maxLength: AUDIT_EVENT_LIMITS.result }),
  reason: nullable(string({ maxLength: AUDIT_EVENT_LIMITS.reason })),
  message: nullable(string({ maxLength: AUDIT_EVENT_LIMITS.message })),
});

const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const cutOrNull = (s: string | null, max: number) => (s === null ? null : cut(s, max));

const within = (s: string | null, max: number) => s === null || s.length <= max;

/** The record within AUDIT_EVENT_LIMITS (itself when it is), so that one long Result Message or identifier never gets a whole event refused. */
export function clipAuditRecord(r: AuditEventRecord): AuditEventRecord {
  const L = AUDIT_EVENT_LIMITS;
  if (
    within(r.at, L.at) && within(r.client, L.client) && within(r.address, L.address) && within(r.operation, L.operation) && within(r.result, L.result) &&
    within(r.reason, L.reason) && within(r.message, L.message) && r.objects.length <= L.objects && r.objects.every((o) => o.length <= L.object)
  ) {
    return r;
  }
  return {
    at: cut(r.at, L.at),
    kind: r.kind,
    client: cutOrNull(r.client, L.client),
    address: cutOrNull(r.address, L.address),
    operation: cutOrNull(r.operation, L.operation),
    objects: r.objects.slice(0, L.objects).map((o) => cut(o, L.object)),
    result: cut(r.result, L.result),
    reason: cutOrNull(r.reason, L.reason),
    message: cutOrNull(r.message, L.message),
  };
}

export const engineEvents = {
  /** Sent once, when the database is open and requests are being answered. */
  ready: engineInfo,
  statusChanged: engineStatus,
  /** Sent when startServer's listener is bound. */
  listening: listenAddress,
  log: object({ level: oneOf('info', 'warn', 'error'), message: shortText }) as Validator<EngineLog>,
  /**
   * A step of a long request (backupNow, verifyBackup): `seq` is the request's, so the
   * host hands it to that request's onProgress only. Stages and counts, never data.
   */
  progress: object({
    seq: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    stage: oneOf(...PROGRESS_STAGES),
    done: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    total: nullable(integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
  }) as Validator<ProgressStep & { seq: number }>,
  /** The running server's audit records as they are logged (the live view), batched: see main/engine/worker.ts. */
  audit: object({
    records: array(auditEventRecord, { maxLength: AUDIT_EVENT_MAX_RECORDS }),
    dropped: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  }) as Validator<AuditEventPayload>,
} as const;

export type MethodName = keyof typeof engineMethods;
export type ParamsOf<M extends MethodName> = (typeof engineMethods)[M] extends MethodSpec<infer P, unknown> ? P : never;
export type ResultOf<M extends MethodName> = (typeof engineMethods)[M] extends MethodSpec<unknown, infer R> ? R : never;
export type EventName = keyof typeof engineEvents;
export type PayloadOf<E extends EventName> = (typeof engineEvents)[E] extends Validator<infer P> ? P : never;
export type EngineEvent = { [E in EventName]: { kind: 'event'; name: E; payload: PayloadOf<E> } }[EventName];

// Own keys only: "constructor" or "__proto__" are not methods.
export const isMethodName = (name: unknown): name is MethodName =>
  typeof name === 'string' && Object.prototype.hasOwnProperty.call(engineMethods, name);
const isEventName = (name: unknown): name is EventName =>
  typeof name === 'string' && Object.prototype.hasOwnProperty.call(engineEvents, name);

// --- errors -----------------------------------------------------------------------

export const ENGINE_ERROR_CODES = [
  /** Malformed message, unknown method, invalid params (sent by the worker). */
  'bad_request',
  /** A handler failed; the message never carries a stack (sent by the worker). */
  'internal',
  /** The engine is shutting down or not started. */
  'not_running',
  /** The worker died with this request outstanding (main-side only). */
  'engine_crashed',
  /** No reply within the request's time limit (main-side only). */
  'timeout',
  /** The worker could not start (main-side only). */
  'start_failed',
  /** The worker's reply did not match the protocol (main-side only). */
  'bad_response',
] as const;
export type EngineErrorCode = (typeof ENGINE_ERROR_CODES)[number];

export interface EngineErrorData {
  code: EngineErrorCode;
  message: string;
}

const engineErrorData: Validator<EngineErrorData> = object({ code: oneOf(...ENGINE_ERROR_CODES), message: shortText });

// --- envelopes --------------------------------------------------------------------

export interface RequestMessage {
  kind: 'request';
  seq: number;
  method: MethodName;
  params: unknown;
}

export type ResponseMessage =
  | { kind: 'response'; seq: number | null; ok: true; value: unknown }
  | { kind: 'response'; seq: number | null; ok: false; error: EngineErrorData };

export type WorkerMessage = ResponseMessage | EngineEvent;

const seqValidator = integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export type ParsedRequest =
  | { ok: true; seq: number; method: MethodName; params: unknown }
  | { ok: false; seq: number | null; error: EngineErrorData };

/**
 * Worker side: checks the envelope and the params of the named method. A
 * well-formed request for a method outside `allowed` is reported exactly like
 * an unknown one, so test-only methods are invisible in production.
 */
export function parseRequest(msg: unknown, allowed: (m: MethodName) => boolean): ParsedRequest {
  const bad = (seq: number | null, message: string): ParsedRequest => ({ ok: false, seq, error: { code: 'bad_request', message } });
  if (!isRecord(msg) || msg.kind !== 'request') return bad(null, 'not a request message');
  const seq = seqValidator(msg.seq, 'seq');
  if (!seq.ok) return bad(null, seq.message);
  const keys = Object.keys(msg).filter((k) => !['kind', 'seq', 'method', 'params'].includes(k));
  if (keys.length > 0) return bad(seq.value, `unknown field ${JSON.stringify(keys[0])}`);
  if (!isMethodName(msg.method) || !allowed(msg.method)) {
    return bad(seq.value, `unknown method ${JSON.stringify(String(msg.method).slice(0, 100))}`);
  }
  const params = (engineMethods[msg.method].params as Validator<unknown>)(msg.params, 'params');
  if (!params.ok) return bad(seq.value, params.message);
  return { ok: true, seq: seq.value, method: msg.method, params: params.value };
}

/** Main side: checks a worker message's envelope (a response's value is checked per method by checkResult). */
export function parseWorkerMessage(msg: unknown): Validation<WorkerMessage> {
  if (!isRecord(msg)) return fail('message', 'expected object');
  if (msg.kind === 'event') {
    if (!isEventName(msg.name)) return fail('message.name', 'unknown event');
    const payload = (engineEvents[msg.name] as Validator<unknown>)(msg.payload, 'message.payload');
    if (!payload.ok) return payload;
    return { ok: true, value: { kind: 'event', name: msg.name, payload: payload.value } as EngineEvent };
  }
  if (msg.kind !== 'response') return fail('message.kind', 'expected "response" or "event"');
  const seq = msg.seq === null ? ({ ok: true, value: null } as const) : seqValidator(msg.seq, 'message.seq');
  if (!seq.ok) return seq;
  if (msg.ok === true && 'value' in msg) return { ok: true, value: { kind: 'response', seq: seq.value, ok: true, value: msg.value } };
  if (msg.ok === false) {
    const error = engineErrorData(msg.error, 'message.error');
    if (!error.ok) return error;
    return { ok: true, value: { kind: 'response', seq: seq.value, ok: false, error: error.value } };
  }
  return fail('message', 'a response needs ok: true with a value, or ok: false with an error');
}

export function checkResult<M extends MethodName>(method: M, value: unknown): Validation<ResultOf<M>> {
  return (engineMethods[method].result as Validator<ResultOf<M>>)(value, 'result');
}

// --- workerData -------------------------------------------------------------------

export interface EngineWorkerData {
  /** A SQLite file path, or ':memory:'. */
  dbPath: string;
  /** Enables crashForTests. Never set outside tests. */
  allowCrashForTests: boolean;
}

export const engineWorkerData: Validator<EngineWorkerData> = object({
  dbPath: string({ minLength: 1, maxLength: 4096 }),
  allowCrashForTests: boolean,
});
