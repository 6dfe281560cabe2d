// Multi-part ("streaming") cryptographic operations (1.4 §4.29–4.35, 2.1
// §6.1 "Multi-part cryptographic operations"): the first request carries Init
// Indicator true and gets a Correlation Value back; later requests send that
// value with more data; the one with Final Indicator true finishes.
//
// The state of an open stream (a node:crypto Cipher, Hmac, Sign …) lives in
// this worker's memory only: it is not stored, does not survive a restart,
// and holds key material that never leaves the process. The table is
// bounded: at most MAX_PER_CLIENT open streams per client (a new one beyond
// that is refused) and MAX_STREAMS per server; when the server's table is
// full, a new stream evicts the least recently used stream of the client
// holding the most, so clients together (one client with many identities)
// cannot lock everyone else out. Each stream is dropped TTL_MS after its last
// use (swept on every open and lookup, no timer). Plaintext a stream holds
// back (multi-part AEAD Decrypt, operations/cipher-operation.ts) is budgeted
// here too: MAX_HELD_PER_STREAM per stream, MAX_HELD_PER_CLIENT per client,
// MAX_HELD_BYTES per server (reserveHeld / releaseHeld).
//
// A failed continuation (its key no longer usable, a cipher fault) aborts the
// stream, but only when the request is the stream's owner's (abortOwned), so
// nobody ends another client's stream by guessing its value.
//
// A stream belongs to the client that opened it, to the operation and to the
// key: a request from another client, for another operation or naming
// another key gets exactly the answer an unknown Correlation Value gets
// (2.x Invalid Correlation Value; 1.x Item Not Found, the 1.4 error tables'
// "No outstanding operation with the specified Correlation Value exists"),
// so a correlation value reveals nothing to whoever did not open it.
//
// Usage by an operation (see operations/encrypt.ts):
//   const s = streamRequest(payload, ctx);             // which part is this?
//   if (s.kind === 'init') { …; const cv = cryptoStreams.open(owner, state) }
//   else if (s.kind === 'continue') { const state = cryptoStreams.get<T>(ctx, s.correlation, owner); … }
//   on Final: cryptoStreams.close(s.correlation) after the last update.
import { randomBytes } from 'node:crypto';
import { Tag } from '../../../shared/kmip/registry/index.js';
import type { StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { isV1 } from '../operations/managed.js';
import { expectType } from '../operations/payload.js';

export const MAX_STREAMS = 1024;
export const MAX_PER_CLIENT = 64;
export const TTL_MS = 10 * 60 * 1000;
/** Plaintext one multi-part AEAD Decrypt may hold until its tag is checked. */
export const MAX_HELD_PER_STREAM = 16 * 1024 * 1024;
/** Held plaintext per client and per server (all streams). */
export const MAX_HELD_PER_CLIENT = 32 * 1024 * 1024;
export const MAX_HELD_BYTES = 64 * 1024 * 1024;

/** Who may continue a stream: the client, the operation and the key it was opened for. */
export interface StreamOwner {
  /** OperationContext.client; undefined in-process (no access control). */
  client: string | undefined;
  /** Enum.Operation value. */
  operation: number;
  /** Unique Identifier of the key. */
  keyId: string;
}

interface Entry {
  owner: StreamOwner;
  state: unknown;
  expires: number;
  /** Called when the stream is dropped without finishing (expiry, close on failure, eviction): wipe what it holds. */
  onDrop: (() => void) | undefined;
  /** Bytes of plaintext it holds back (reserveHeld). */
  held: number;
}

/** Which part of a multi-part operation a request is. */
export type StreamPart =
  | { kind: 'single' }
  /** Init Indicator true; `final` when it is also the last part (a one-part stream). */
  | { kind: 'init'; final: boolean }
  /** A Correlation Value: a middle part, or the last when `final`. */
  | { kind: 'continue'; correlation: Uint8Array; final: boolean };

/**
 * Reads Init Indicator, Final Indicator and Correlation Value. Init with a
 * Correlation Value, or a Final Indicator with neither Init nor a Correlation
 * Value, is Invalid Message.
 */
export function streamPart(payload: StructureItem): StreamPart {
  const flag = (tag: number): boolean | undefined => {
    const it = payload.value.find((c) => c.tag === tag);
    return it === undefined ? undefined : expectType(it, 'Boolean').value;
  };
  const init = flag(Tag.InitIndicator) === true;
  const final = flag(Tag.FinalIndicator) === true;
  const cvItem = payload.value.find((c) => c.tag === Tag.CorrelationValue);
  const correlation = cvItem === undefined ? undefined : expectType(cvItem, 'ByteString').value;
  if (init && correlation !== undefined) throw new KmipOperationError('InvalidMessage', 'a request with Init Indicator true starts a new stream and cannot carry a Correlation Value');
  if (init) return { kind: 'init', final };
  if (correlation !== undefined) return { kind: 'continue', correlation, final };
  if (final) throw new KmipOperationError('InvalidMessage', 'Final Indicator without a Correlation Value: send the Correlation Value of the stream to finish');
  return { kind: 'single' };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export class CryptoStreams {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #max: number;
  readonly #perClient: number;
  readonly #ttl: number;
  readonly #heldLimits: { stream: number; client: number; server: number };

  constructor(opts: { now?: () => number; max?: number; perClient?: number; ttlMs?: number; held?: { stream: number; client: number; server: number } } = {}) {
    this.#now = opts.now ?? Date.now;
    this.#max = opts.max ?? MAX_STREAMS;
    this.#perClient = opts.perClient ?? MAX_PER_CLIENT;
    this.#ttl = opts.ttlMs ?? TTL_MS;
    this.#heldLimits = opts.held ?? { stream: MAX_HELD_PER_STREAM, client: MAX_HELD_PER_CLIENT, server: MAX_HELD_BYTES };
  }

  /** Open streams (after a sweep). */
  get size(): number {
    this.#sweep();
    return this.#entries.size;
  }

  /**
   * A new stream; returns its Correlation Value (16 random bytes). Refused
   * when the client has too many open: 2.x Server Limit Exceeded, 1.x
   * Permission Denied (the request is not allowed now). When the server's
   * table is full, the least recently used stream of the client with the
   * most open streams is dropped to make room.
   */
  open(ctx: OperationContext, owner: StreamOwner, state: unknown, onDrop?: () => void): Uint8Array {
    this.#sweep();
    const mine = [...this.#entries.values()].filter((e) => e.owner.client === owner.client).length;
    if (mine >= this.#perClient) {
      onDrop?.();
      throw new KmipOperationError(
        isV1(ctx) ? 'PermissionDenied' : 'ServerLimitExceeded',
        `this client already has ${mine} open multi-part operations; finish some (Final Indicator) or wait ${Math.round(this.#ttl / 60000)} minutes for unfinished ones to expire`,
      );
    }
    while (this.#entries.size >= this.#max) this.#evictOne();
    let cv: Uint8Array;
    do cv = new Uint8Array(randomBytes(16));
    while (this.#entries.has(hex(cv)));
    this.#entries.set(hex(cv), { owner, state, expires: this.#now() + this.#ttl, onDrop, held: 0 });
    return cv;
  }

  /** Drops the least recently used stream of the client holding the most streams. */
  #evictOne(): void {
    const count = new Map<string | undefined, number>();
    for (const e of this.#entries.values()) count.set(e.owner.client, (count.get(e.owner.client) ?? 0) + 1);
    let victim: [string, Entry] | undefined;
    for (const [k, e] of this.#entries) {
      if (victim === undefined) {
        victim = [k, e];
        continue;
      }
      const n = count.get(e.owner.client)!;
      const vn = count.get(victim[1].owner.client)!;
      if (n > vn || (n === vn && e.expires < victim[1].expires)) victim = [k, e];
    }
    if (victim !== undefined) this.#drop(victim[0], victim[1]);
  }

  /**
   * The state of an open stream this owner may continue (its expiry is
   * renewed). Unknown, expired, or another client's / operation's / key's:
   * the same failure.
   */
  get<S>(ctx: OperationContext, correlation: Uint8Array, owner: StreamOwner): S {
    this.#sweep();
    const e = this.#entries.get(hex(correlation));
    if (e === undefined || !sameOwner(e.owner, owner)) {
      throw new KmipOperationError(
        isV1(ctx) ? 'ItemNotFound' : 'InvalidCorrelationValue',
        'no open multi-part operation has this Correlation Value for this client, operation and key (it may have finished, failed, expired after 10 minutes idle or been dropped for a fuller server); start again with Init Indicator',
      );
    }
    e.expires = this.#now() + this.#ttl;
    return e.state as S;
  }

  /** The stream is finished: forget it (its state is the caller's to wipe; held plaintext is released). */
  finish(correlation: Uint8Array): void {
    this.#entries.delete(hex(correlation));
  }

  /** The stream failed: forget it and let it wipe what it holds. */
  abort(correlation: Uint8Array): void {
    const e = this.#entries.get(hex(correlation));
    if (e !== undefined) this.#drop(hex(correlation), e);
  }

  /**
   * Aborts the stream only if `owner` may continue it (a request whose key
   * check failed on a continuation part); a stranger's value does nothing.
   */
  abortOwned(correlation: Uint8Array, owner: StreamOwner): void {
    const e = this.#entries.get(hex(correlation));
    if (e !== undefined && sameOwner(e.owner, owner)) this.#drop(hex(correlation), e);
  }

  /**
   * Counts `bytes` more plaintext held back by the open stream `correlation`
   * against the per-stream, per-client and server budgets. Beyond any of
   * them: 2.x Server Limit Exceeded, 1.x Permission Denied, and nothing is
   * counted (the caller aborts the stream).
   */
  reserveHeld(ctx: OperationContext, correlation: Uint8Array, bytes: number, what: string): void {
    const e = this.#entries.get(hex(correlation));
    if (e === undefined || bytes === 0) return;
    let client = 0;
    let server = 0;
    for (const x of this.#entries.values()) {
      server += x.held;
      if (x.owner.client === e.owner.client) client += x.held;
    }
    const mib = (n: number): string => `${Math.floor(n / (1024 * 1024))} MiB`;
    const L = this.#heldLimits;
    const over =
      e.held + bytes > L.stream
        ? `${what} holds its output until the tag is checked at the last part, at most ${mib(L.stream)} per multi-part operation; decrypt larger data in separate operations`
        : client + bytes > L.client
          ? `${what} holds its output until the tag is checked; this client's open multi-part operations already hold ${mib(client)} (at most ${mib(L.client)}): finish them first`
          : server + bytes > L.server
            ? `${what} holds its output until the tag is checked; the server's open multi-part operations already hold ${mib(server)} (at most ${mib(L.server)}): try again later`
            : undefined;
    if (over !== undefined) throw new KmipOperationError(isV1(ctx) ? 'PermissionDenied' : 'ServerLimitExceeded', over);
    e.held += bytes;
  }

  /** Plaintext held by all open streams (tests). */
  get heldBytes(): number {
    let n = 0;
    for (const e of this.#entries.values()) n += e.held;
    return n;
  }

  /** Drops every stream (tests; a server stop). */
  clear(): void {
    for (const [k, e] of [...this.#entries]) this.#drop(k, e);
  }

  #drop(k: string, e: Entry): void {
    this.#entries.delete(k);
    e.onDrop?.();
  }

  #sweep(): void {
    const t = this.#now();
    for (const [k, e] of [...this.#entries]) if (e.expires <= t) this.#drop(k, e);
  }
}

function sameOwner(a: StreamOwner, b: StreamOwner): boolean {
  return a.client === b.client && a.operation === b.operation && a.keyId === b.keyId;
}

/** The worker's streams: one table per process (the engine runs one KMIP server per worker). */
export const cryptoStreams = new CryptoStreams();

/** The owner a request in this context would have for this operation and key. */
export function streamOwner(ctx: OperationContext, operation: number, keyId: string): StreamOwner {
  return { client: ctx.client, operation, keyId };
}
