// Transport-independent request processing: bytes of one Request Message in,
// bytes of its Response Message out, or "close the connection" when not even
// the header can be read. Never throws: every fault becomes a Result Reason
// with a readable Result Message, and internal faults a generic General
// Failure (details go to `log`, never to the client).
import { objectsFor } from '../access/access-objects.js';
import { mayRun, type Principal } from '../access/policy.js';
import type { KeyPolicy } from '../policy/key-policy.js';
import type { StoredObject } from '../store/types.js';
import type { Authentication, ProtocolVersion, RequestBatchItem, RequestHeader, ResponseBatchItem } from '../../shared/kmip/message/index.js';
import { enumeration, enumValueName, Enum, Tag, type KmipVersion } from '../../shared/kmip/registry/index.js';
import { decodeTtlv, struct, TtlvError, type TtlvItem, type TtlvLimits } from '../../shared/kmip/ttlv/index.js';
import { gateFor } from './batch-gate.js';
import type { Clock, ManagedObjects, ObjectsPort, OperationContext, ServerInfo } from './context.js';
import { readEnvelope, type ItemParse } from './envelope.js';
import { KmipOperationError, type ResultReasonName } from './errors.js';
import { encodeResponse, failedItem } from './response.js';
import type { Router } from './router.js';
import { versionKey } from './versions.js';

export interface ServerContext {
  router: Router;
  clock: Clock;
  server: ServerInfo;
  objects?: ObjectsPort;
  /** TTLV decoder limits (defaults: shared/kmip/ttlv/limits.ts). */
  limits?: Partial<TtlvLimits>;
  /** Where internal faults are reported (the client only sees "internal error"). */
  log?: (message: string, error: unknown) => void;
  /** Where events a client asks to have recorded go (Log, Interop Begin/End/Reset); absent: dropped. */
  info?: (message: string) => void;
  /**
   * The authenticated client (the TLS listener sets it per request): every
   * batch item is checked against its grants before it runs, and its object
   * access goes through main/access. Absent: no access control (in-process
   * use: tests, replays).
   */
  principal?: Principal;
  /** The key policy in force now (read once per batch item, so a change applies to the next item); absent: none. */
  keyPolicy?: () => KeyPolicy;
  /** Backups: whether an object's material must not be served yet (OperationContext.notBackedUp); absent: no such rule. */
  notBackedUp?: (obj: StoredObject) => boolean;
  /**
   * Checks the Request Header's Authentication before any item runs: a string
   * is why it failed, and every item is answered Authentication Not
   * Successful with it (a client whose password is required).
   */
  authenticate?: (auth: Authentication | undefined) => Promise<string | undefined>;
  /** Answer every item of this request with this failure and run nothing (a client over its request rate). */
  refuse?: { reason: ResultReasonName; message: string };
  /** Told what each batch item of a request came to, once the response is built (the audit log). */
  onItems?: (outcomes: ItemOutcome[]) => void;
}

/** One batch item as the audit log records it: names and identifiers, never payload contents. */
export interface ItemOutcome {
  operation: string | null;
  /** Unique Identifiers the request named and the response returned (top level of the payloads). */
  objects: string[];
  /** Result Status name. */
  result: string;
  reason: string | null;
  message: string | null;
}


function identifiers(payload: TtlvItem | undefined, into: Set<string>): void {
  if (payload?.type !== 'Structure') return;
  for (const c of payload.value) if (c.tag === Tag.UniqueIdentifier && c.type === 'TextString' && into.size < 64) into.add(c.value);
}

function outcomes(requests: ItemParse[], responses: ResponseBatchItem[], version: ProtocolVersion): ItemOutcome[] {
  const v = versionKey(version);
  return responses.map((r, i) => {
    const q = requests[i];
    const op = r.operation ?? (q === undefined ? undefined : q.ok ? q.item.operation : q.operation);
    const ids = new Set<string>();
    if (q?.ok) identifiers(q.item.requestPayload, ids);
    identifiers(r.responsePayload, ids);
    return {
      operation: op === undefined ? null : operationFact(op, v).name,
      objects: [...ids],
      result: enumValueName(enumeration('ResultStatus')!, r.resultStatus) ?? String(r.resultStatus),
      reason: r.resultReason === undefined ? null : (enumValueName(enumeration('ResultReason')!, r.resultReason) ?? String(r.resultReason)),
      message: r.resultMessage ?? null,
    };
  });
}

/** The connection must be closed without an answer: the message header is unreadable. */
export interface CloseConnection {
  readonly close: true;
  readonly reason: string;
}

export type ProcessResult = Uint8Array | CloseConnection;

export function isClose(r: ProcessResult): r is CloseConnection {
  return !(r instanceof Uint8Array);
}

const BECO = Enum.BatchErrorContinuationOption;

/** Per operation and version, looked up in the registry once: every request asks. */
const operationFacts = new Map<string, { name: string; defined: boolean }>();

function operationFact(op: number, v: KmipVersion): { name: string; defined: boolean } {
  const key = `${v}:${op}`;
  let fact = operationFacts.get(key);
  if (fact === undefined) {
    const def = enumeration('Operation');
    fact = {
      name: (def === undefined ? undefined : enumValueName(def, op, v) ?? enumValueName(def, op)) ?? `0x${op.toString(16).padStart(8, '0')}`,
      defined: def?.values.some((x) => x.value === op && x.versions.includes(v)) ?? false,
    };
    // Bounded: only a client can make up operation numbers.
    if (operationFacts.size < 4096) operationFacts.set(key, fact);
  }
  return fact;
}

/** The objects as the principal's `use` grant reaches them (OperationContext.objectsForUse). */
function useView(managed: ManagedObjects, principal: Principal): () => ManagedObjects {
  return () => {
    const grant = principal.grants.find((g) => g.group === 'use');
    if (grant === undefined) throw new KmipOperationError('PermissionDenied', `client "${principal.name}" has no use permission (needed to wrap, unwrap or derive with a key)`);
    return objectsFor(managed, principal, grant);
  };
}

function timeStamp(clock: Clock): bigint {
  return BigInt(Math.floor(clock().getTime() / 1000));
}

/** One batch item → its response item; `placeholder` carries the ID Placeholder between items. */
async function runItem(bi: RequestBatchItem, version: ProtocolVersion, ctx: ServerContext, placeholder: { id: string | undefined }): Promise<ResponseBatchItem> {
  const v = versionKey(version);
  const ids = { operation: bi.operation, ...(bi.uniqueBatchItemId === undefined ? {} : { uniqueBatchItemId: bi.uniqueBatchItemId }) };
  const fail = (reason: ResultReasonName, message: string): ResponseBatchItem => failedItem(version, reason, message, ids);
  const { name, defined } = operationFact(bi.operation, v);
  const critical = bi.messageExtensions?.find((x) => x.criticalityIndicator);
  if (critical !== undefined) return fail('FeatureNotSupported', `critical Message Extension from '${critical.vendorIdentification}' is not supported`);
  const handler = ctx.router.handler(bi.operation);
  if (handler === undefined) return fail('OperationNotSupported', `operation ${name} is not supported by this server`);
  if (!defined) return fail('OperationNotSupported', `operation ${name} is not defined in KMIP ${v}`);
  let objects = ctx.objects;
  if (ctx.principal !== undefined) {
    // Before any work: a denied operation reads nothing.
    const decision = mayRun(ctx.principal, bi.operation);
    if (!decision.allow) return fail('PermissionDenied', decision.message);
    if (objects?.managed !== undefined) objects = { ...objects, managed: objectsFor(objects.managed, ctx.principal, decision.grant) };
  }
  const opCtx: OperationContext = {
    protocolVersion: version,
    kmipVersion: v,
    clock: ctx.clock,
    server: ctx.server,
    objects,
    idPlaceholder: placeholder.id,
    operations: () => ctx.router.operations(),
    ...(ctx.info === undefined ? {} : { log: ctx.info }),
    ...(ctx.keyPolicy === undefined ? {} : { keyPolicy: { policy: ctx.keyPolicy(), client: ctx.principal?.name } }),
    ...(ctx.notBackedUp === undefined ? {} : { notBackedUp: ctx.notBackedUp }),
    ...(ctx.principal === undefined ? {} : { client: ctx.principal.name }),
    ...(ctx.principal === undefined || ctx.objects?.managed === undefined ? {} : { objectsForUse: useView(ctx.objects.managed, ctx.principal) }),
  };
  try {
    const result = await handler(bi.requestPayload, opCtx);
    if (result.idPlaceholder !== undefined) placeholder.id = result.idPlaceholder ?? undefined;
    return { ...ids, resultStatus: Enum.ResultStatus.Success, responsePayload: struct(Tag.ResponsePayload, result.payload) };
  } catch (e) {
    if (e instanceof KmipOperationError) return fail(e.resultReason, e.message);
    ctx.log?.(`${name} failed`, e);
    return fail('GeneralFailure', `internal error while processing ${name}`);
  }
}

function parseFailure(p: Extract<ItemParse, { ok: false }>, version: ProtocolVersion): ResponseBatchItem {
  return failedItem(version, p.reason, p.message, p);
}

/**
 * Items run one after the other, in message order, so the Batch Order Option
 * is always honoured. Batch Error Continuation: Stop (the default) returns
 * nothing for the items after a failure; Continue runs them all; Undo runs
 * them in one store transaction and, on a failure, rolls it back: the items
 * before the failed one answer Operation Undone, those after it are not run
 * (1.4 §6.13, 2.1 §9.13; OASIS BL-M-2-21). An undone item keeps its Response
 * Payload (required unless the item failed, 1.4 §7.2 / 2.1 §8.2) but only the
 * identifiers in it (undonePayload): what an undone operation produced
 * (cipher text, signature, MAC, key material, random bytes, a Correlation
 * Value) must not reach the client, since the rollback also gave back what
 * it cost (a Usage Limits allocation, the Fresh flag).
 */
async function runBatch(header: RequestHeader, items: ItemParse[], version: ProtocolVersion, ctx: ServerContext): Promise<ResponseBatchItem[]> {
  const refuse = ctx.refuse;
  if (refuse !== undefined) return items.map((p) => failedItem(version, refuse.reason, refuse.message, p.ok ? p.item : p));
  const option = header.batchErrorContinuationOption ?? BECO.Stop;
  const gate = ctx.objects === undefined ? undefined : gateFor(ctx.objects);
  const managed = ctx.objects?.managed;
  if (option === BECO.Undo) {
    if (gate === undefined || managed === undefined) {
      // Nothing could be rolled back: refuse the whole request rather than pretend (1.4 §6.13).
      return items.map((p) => failedItem(version, 'FeatureNotSupported', 'Batch Error Continuation Option Undo needs the object store, which this server does not have', p.ok ? p.item : p));
    }
    return gate.exclusive(() => runUndoable(items, version, ctx, managed));
  }
  const run = () => runItems(items, version, ctx, option === BECO.Continue);
  return gate === undefined ? run() : gate.shared(run);
}

async function runItems(items: ItemParse[], version: ProtocolVersion, ctx: ServerContext, continueOnError: boolean): Promise<ResponseBatchItem[]> {
  const out: ResponseBatchItem[] = [];
  const placeholder = { id: undefined as string | undefined };
  for (const p of items) {
    const r = p.ok ? await runItem(p.item, version, ctx, placeholder) : parseFailure(p, version);
    out.push(r);
    if (r.resultStatus !== Enum.ResultStatus.Success && !continueOnError) break;
  }
  return out;
}

/** The payload fields an undone item keeps: the identifiers the client sent or the operation named (BL-M-2-21 expects the Unique Identifier). */
const UNDONE_KEEPS: readonly number[] = [Tag.UniqueIdentifier, Tag.PrivateKeyUniqueIdentifier, Tag.PublicKeyUniqueIdentifier];

function undonePayload(payload: TtlvItem | undefined): ResponseBatchItem['responsePayload'] {
  if (payload?.type !== 'Structure') return undefined;
  return struct(Tag.ResponsePayload, payload.value.filter((c) => UNDONE_KEEPS.includes(c.tag)));
}

async function runUndoable(items: ItemParse[], version: ProtocolVersion, ctx: ServerContext, managed: ManagedObjects): Promise<ResponseBatchItem[]> {
  const tx = managed.beginBatch();
  let out: ResponseBatchItem[];
  try {
    out = await runItems(items, version, ctx, false);
  } catch (e) {
    tx.rollback();
    throw e;
  }
  const failed = out.some((r) => r.resultStatus !== Enum.ResultStatus.Success);
  if (failed) {
    tx.rollback();
    return out.map((r, i) => {
      if (i === out.length - 1) return r;
      const { responsePayload, ...rest } = r;
      const kept = undonePayload(responsePayload);
      return { ...rest, resultStatus: Enum.ResultStatus.OperationUndone, ...(kept === undefined ? {} : { responsePayload: kept }) };
    });
  }
  try {
    tx.commit();
    return out;
  } catch (e) {
    tx.rollback();
    ctx.log?.('an Undo batch could not be committed', e);
    return items.map((p) => failedItem(version, 'GeneralFailure', 'the batch could not be committed; nothing was changed', p.ok ? p.item : p));
  }
}

async function processUnguarded(bytes: Uint8Array, ctx: ServerContext): Promise<ProcessResult> {
  let root;
  try {
    root = decodeTtlv(bytes, ctx.limits);
  } catch (e) {
    if (e instanceof TtlvError) return { close: true, reason: `undecodable message: ${e.message}` };
    throw e;
  }
  const env = readEnvelope(root);
  if (env.kind === 'close') return { close: true, reason: env.reason };
  const header = { protocolVersion: env.version, timeStamp: timeStamp(ctx.clock) };
  if (env.kind === 'error') {
    const failed = failedItem(env.version, env.reason, env.message);
    ctx.onItems?.(outcomes([], [failed], env.version));
    return encodeResponse(header, [failed]);
  }
  const option = env.header.batchErrorContinuationOption;
  if (option !== undefined && option !== BECO.Stop && option !== BECO.Continue && option !== BECO.Undo) {
    return encodeResponse(header, [failedItem(env.version, 'InvalidField', `Batch Error Continuation Option ${option} is not a defined value`)]);
  }
  // A client over its request rate is refused (runBatch) without paying for a password check.
  const denied = ctx.authenticate === undefined || ctx.refuse !== undefined ? undefined : await ctx.authenticate(env.header.authentication);
  const items =
    denied === undefined
      ? await runBatch(env.header, env.items, env.version, ctx)
      : env.items.map((p) => failedItem(env.version, 'AuthenticationNotSuccessful', denied, p.ok ? p.item : p));
  ctx.onItems?.(outcomes(env.items, items, env.version));
  // The time stamp is taken again: the response is stamped when it is complete.
  return encodeResponse({ ...header, timeStamp: timeStamp(ctx.clock) }, items, env.header.maximumResponseSize);
}

export async function processRequest(bytes: Uint8Array, ctx: ServerContext): Promise<ProcessResult> {
  try {
    return await processUnguarded(bytes, ctx);
  } catch (e) {
    // A bug in this layer: close rather than answer something wrong.
    ctx.log?.('request processing failed', e);
    return { close: true, reason: 'internal error' };
  }
}
