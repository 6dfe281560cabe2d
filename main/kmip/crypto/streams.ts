// Multi-part ("streaming") cryptographic operations (1.4 §4.29–4.35, 2.1
// §6.1 "Multi-part cryptographic operations"): the first request carries Init
// Indicator true and gets a Correlation Value back; later requests send that
// value with more data; the one with Final Indicator true finishes.
//
// The state of an open stream (a node:crypto Cipher, Hmac, Sign …) lives in
// this worker's memory only: it is not stored, does not survive a restart,
// and holds key material that never leaves the process. The table is
// bounded: at most MAX_STREAMS open streams per server and MAX_PER_CLIENT per
// client (a new one beyond that is refused), each dropped TTL_MS after its
// last use (swept on every open and lookup, no timer).
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
  /** Called when the stream is dropped without finishing (expiry, close on failure): wipe what it holds. */
  onDrop: (() => void) | undefined;
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

  constructor(opts: { now?: () => number; max?: number; perClient?: number; ttlMs?: number } = {}) {
    this.#now = opts.now ?? Date.now;
    this.#max = opts.max ?? MAX_STREAMS;
    this.#perClient = opts.perClient ?? MAX_PER_CLIENT;
    this.#ttl = opts.ttlMs ?? TTL_MS;
  }

  /** Open streams (after a sweep). */
  get size(): number {
    this.#sweep();
    return this.#entries.size;
  }

  /**
   * A new stream; returns its Correlation Value (16 random bytes). Refused
   * when the server or the client has too many open: 2.x Server Limit
   * Exceeded, 1.x Permission Denied (the request is not allowed now).
   */
  open(ctx: OperationContext, owner: StreamOwner, state: unknown, onDrop?: () => void): Uint8Array {
    this.#sweep();
    const mine = [...this.#entries.values()].filter((e) => e.owner.client === owner.client).length;
    if (this.#entries.size >= this.#max || mine >= this.#perClient) {
      onDrop?.();
      const why = mine >= this.#perClient ? `this client already has ${mine} open multi-part operations` : 'the server has too many open multi-part operations';
      throw new KmipOperationError(isV1(ctx) ? 'PermissionDenied' : 'ServerLimitExceeded', `${why}; finish some (Final Indicator) or wait ${Math.round(this.#ttl / 60000)} minutes for unfinished ones to expire`);
    }
    let cv: Uint8Array;
    do cv = new Uint8Array(randomBytes(16));
    while (this.#entries.has(hex(cv)));
    this.#entries.set(hex(cv), { owner, state, expires: this.#now() + this.#ttl, onDrop });
    return cv;
  }

  /**
   * The state of an open stream this owner may continue (its expiry is
   * renewed). Unknown, expired, or another client's / operation's / key's:
   * the same failure.
   */
  get<S>(ctx: OperationContext, correlation: Uint8Array, owner: StreamOwner): S {
    this.#sweep();
    const e = this.#entries.get(hex(correlation));
    if (e === undefined || e.owner.client !== owner.client || e.owner.operation !== owner.operation || e.owner.keyId !== owner.keyId) {
      throw new KmipOperationError(
        isV1(ctx) ? 'ItemNotFound' : 'InvalidCorrelationValue',
        'no open multi-part operation has this Correlation Value for this client, operation and key (it may have finished or expired after 10 minutes idle); start again with Init Indicator',
      );
    }
    e.expires = this.#now() + this.#ttl;
    return e.state as S;
  }

  /** The stream is finished: forget it (its state is the caller's to wipe). */
  finish(correlation: Uint8Array): void {
    this.#entries.delete(hex(correlation));
  }

  /** The stream failed: forget it and let it wipe what it holds. */
  abort(correlation: Uint8Array): void {
    const e = this.#entries.get(hex(correlation));
    this.#entries.delete(hex(correlation));
    e?.onDrop?.();
  }

  /** Drops every stream (tests; a server stop). */
  clear(): void {
    for (const e of this.#entries.values()) e.onDrop?.();
    this.#entries.clear();
  }

  #sweep(): void {
    const t = this.#now();
    for (const [k, e] of this.#entries) {
      if (e.expires <= t) {
        this.#entries.delete(k);
        e.onDrop?.();
      }
    }
  }
}

/** The worker's streams: one table per process (the engine runs one KMIP server per worker). */
export const cryptoStreams = new CryptoStreams();

/** The owner a request in this context would have for this operation and key. */
export function streamOwner(ctx: OperationContext, operation: number, keyId: string): StreamOwner {
  return { client: ctx.client, operation, keyId };
}
