// The multi-part driver shared by Hash, Sign, Signature Verify, MAC and MAC
// Verify (Init Indicator / Correlation Value / Final Indicator, crypto/
// streams.ts keeps the state). A single-part request is a stream that starts
// and finishes at once. The operation supplies how to start a state from the
// first request, how to take one request's data, and what the last part
// answers; the driver opens, continues, finishes or drops the stream.
// keyForPart checks the key of every part (useKey); when a continuation's key
// no longer passes (revoked, destroyed, mask changed …) the stream is
// aborted at once instead of idling until its TTL.
import { Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem, type TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext } from '../context.js';
import { cryptoStreams, streamOwner, streamPart, useKey, type KeyPurpose, type UsableKey } from '../crypto/index.js';
import { expectType } from './payload.js';

/**
 * useKey for one part of a possibly multi-part operation: when the key check
 * fails on a continuation part, the stream (if this client opened it for this
 * operation and key) is aborted, and the failure answered.
 */
export function keyForPart(ctx: OperationContext, payload: StructureItem, operation: number, id: string, purpose: KeyPurpose): UsableKey {
  try {
    return useKey(ctx, id, purpose);
  } catch (e) {
    let part: ReturnType<typeof streamPart> | undefined;
    try {
      part = streamPart(payload);
    } catch {
      part = undefined;
    }
    if (part?.kind === 'continue') cryptoStreams.abortOwned(part.correlation, streamOwner(ctx, operation, id));
    throw e;
  }
}

export interface PartsSpec<S> {
  operation: number;
  /** The key's Unique Identifier ('' for Hash, which has none): a stream continues only with the same key. */
  keyId: string;
  /** The state, from the first part's parameters. */
  start(): S;
  /** Takes this request's data (every part, the first and last included). */
  update(state: S, payload: StructureItem): void;
  /** The answer of the last part (without the Unique Identifier). */
  finish(state: S): TtlvItem[];
  /** Wipes what the state holds (a failed or expired stream). */
  drop(state: S): void;
}

/** Runs one request of a possibly multi-part operation; returns the payload items after the Unique Identifier. */
export function runParts<S>(ctx: OperationContext, payload: StructureItem, spec: PartsSpec<S>): TtlvItem[] {
  const part = streamPart(payload);
  const cv = (v: Uint8Array): TtlvItem => item(Tag.CorrelationValue, 'ByteString', v);
  if (part.kind === 'continue') {
    // get() refuses another client's, operation's or key's stream before anything is touched.
    const s = cryptoStreams.get<S>(ctx, part.correlation, streamOwner(ctx, spec.operation, spec.keyId));
    try {
      spec.update(s, payload);
      if (!part.final) return [cv(part.correlation)];
      cryptoStreams.finish(part.correlation);
      return spec.finish(s);
    } catch (e) {
      cryptoStreams.abort(part.correlation);
      throw e;
    }
  }
  const s = spec.start();
  try {
    spec.update(s, payload);
    if (part.kind === 'single' || part.final) return spec.finish(s);
  } catch (e) {
    spec.drop(s);
    throw e;
  }
  return [cv(cryptoStreams.open(ctx, streamOwner(ctx, spec.operation, spec.keyId), s, () => spec.drop(s)))];
}

/** An optional Byte String field. */
export function optionalBytes(payload: StructureItem, tag: number): Uint8Array | undefined {
  const it = payload.value.find((c) => c.tag === tag);
  return it === undefined ? undefined : expectType(it, 'ByteString').value;
}
