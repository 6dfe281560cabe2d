// What Encrypt (1.4 §4.29, 2.1 §6.1.17) and Decrypt (1.4 §4.30, 2.1 §6.1.11)
// share: the key through crypto/use-key.ts (type, state, dates, usage
// mask), the parameters (request over stored, crypto/parameters.ts), the
// cipher (crypto/ciphers.ts), Usage Limits (Encrypt), and multi-part streams
// (crypto/streams.ts): Init Indicator starts one and the answer carries its
// Correlation Value and the cipher text so far; later parts send the value
// back with more data; Final Indicator ends it (and Encrypt's last answer
// carries the Authenticated Encryption Tag of GCM / ChaCha20-Poly1305).
// Additional data and, for Decrypt, the tag come with the first part (the
// spec: "MUST be supplied on the initial ... request"); later parts' other
// fields are ignored. Each part checks the key again, so a key revoked
// mid-stream stops protecting at once (and the stream is aborted:
// parts.ts keyForPart).
//
// Multi-part AEAD Decrypt (GCM, ChaCha20-Poly1305) releases no plaintext
// before the tag is verified at the Final part: the earlier parts answer an
// empty Data and the output is held in the stream (bounded, crypto/streams.ts
// reserveHeld: 16 MiB per stream, Server Limit Exceeded beyond), then
// returned whole by the Final part if the tag matches; a wrong tag is
// Cryptographic Failure and the held plaintext is wiped.
//
// Usage Limits (Encrypt): one use (Unit Object) per operation, taken by its
// single or first part once the parameters are accepted; each part's bytes
// (Unit Byte), for continuation parts once the stream is found.
//
// Response payload order (Tables 230 / 232 and 2.1 Tables 215 / 197):
// Unique Identifier, Data, IV/Counter/Nonce, Correlation Value,
// Authenticated Encryption Tag.
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem, type TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { allocateUsage, cryptoStreams, effectiveParameters, streamOwner, streamPart } from '../crypto/index.js';
import { finishSymmetric, isAsymmetric, rsaCipher, symmetricCipher, updateSymmetric, type Direction, type SymmetricRun } from '../crypto/ciphers.js';
import { onlyKnown } from './managed.js';
import { keyForPart, optionalBytes } from './parts.js';
import { uniqueIdentifierOrPlaceholder } from './payload.js';

const REQUEST_FIELDS: Record<Direction, readonly number[]> = {
  encrypt: [Tag.UniqueIdentifier, Tag.CryptographicParameters, Tag.Data, Tag.IVCounterNonce, Tag.CorrelationValue, Tag.InitIndicator, Tag.FinalIndicator, Tag.AuthenticatedEncryptionAdditionalData],
  decrypt: [
    Tag.UniqueIdentifier, Tag.CryptographicParameters, Tag.Data, Tag.IVCounterNonce, Tag.CorrelationValue, Tag.InitIndicator, Tag.FinalIndicator,
    Tag.AuthenticatedEncryptionAdditionalData, Tag.AuthenticatedEncryptionTag,
  ],
};

/** An open multi-part Encrypt / Decrypt. */
interface CipherStream {
  run: SymmetricRun;
  /** AEAD Decrypt only: the output held back until the Final part has verified the tag. */
  held: Buffer[] | undefined;
}

function wipe(parts: Buffer[]): void {
  for (const b of parts) b.fill(0);
  parts.length = 0;
}

const bytesItem = (tag: number, v: Uint8Array): TtlvItem => item(tag, 'ByteString', v instanceof Buffer ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : v);
const NOTHING = new Uint8Array(0);

export function cipherOperation(payload: StructureItem, ctx: OperationContext, dir: Direction): OperationResult {
  const op = dir === 'encrypt' ? 'Encrypt' : 'Decrypt';
  const operation = Enum.Operation[op];
  onlyKnown(payload, REQUEST_FIELDS[dir], op);
  const part = streamPart(payload);
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  const data = optionalBytes(payload, Tag.Data);
  if (data === undefined && part.kind === 'single') throw new KmipOperationError('InvalidMessage', `${op} needs Data (or Init Indicator to start a multi-part ${op})`);
  const key = keyForPart(ctx, payload, operation, id, dir);
  try {
    const uidItem = item(Tag.UniqueIdentifier, 'TextString', id);
    const chunk = data ?? NOTHING;
    const holdWhat = (run: SymmetricRun): string => `multi-part ${run.name} Decrypt`;

    if (part.kind === 'continue') {
      const st = cryptoStreams.get<CipherStream>(ctx, part.correlation, streamOwner(ctx, operation, id));
      try {
        if (dir === 'encrypt') allocateUsage(ctx, key, chunk.length, false);
        const out = updateSymmetric(st.run, chunk);
        if (st.held !== undefined) {
          try {
            cryptoStreams.reserveHeld(ctx, part.correlation, out.length, holdWhat(st.run));
          } catch (e) {
            out.fill(0);
            throw e;
          }
          st.held.push(out);
        }
        const now = st.held === undefined ? out : NOTHING;
        if (!part.final) return { payload: [uidItem, bytesItem(Tag.Data, now), bytesItem(Tag.CorrelationValue, part.correlation)] };
        // The tag is checked here; a failure aborts the stream, whose drop wipes what it held.
        const last = finishSymmetric(st.run, dir);
        cryptoStreams.finish(part.correlation);
        let result: Buffer;
        if (st.held !== undefined) {
          st.held.push(last.out);
          result = Buffer.concat(st.held);
          wipe(st.held);
        } else result = Buffer.concat([out, last.out]);
        return { payload: [uidItem, bytesItem(Tag.Data, result), ...(last.tag === undefined ? [] : [bytesItem(Tag.AuthenticatedEncryptionTag, last.tag)])] };
      } catch (e) {
        cryptoStreams.abort(part.correlation);
        throw e;
      }
    }

    const params = effectiveParameters(payload, key, ctx);
    if (isAsymmetric(key)) {
      if (part.kind !== 'single') throw new KmipOperationError('FeatureNotSupported', `multi-part ${op} is supported for symmetric keys only; send the whole Data in one request`);
      if (payload.value.some((c) => c.tag === Tag.AuthenticatedEncryptionAdditionalData || c.tag === Tag.AuthenticatedEncryptionTag)) {
        throw new KmipOperationError(ctx.protocolVersion.major < 2 ? 'InvalidField' : 'BadCryptographicParameters', 'RSA is not an authenticated encryption mode: no Additional Data or Tag');
      }
      if (dir === 'encrypt') allocateUsage(ctx, key, chunk.length, true);
      return { payload: [uidItem, bytesItem(Tag.Data, rsaCipher(ctx, key, params, dir, chunk))] };
    }
    const run = symmetricCipher(ctx, key, params, dir, {
      iv: optionalBytes(payload, Tag.IVCounterNonce),
      aad: optionalBytes(payload, Tag.AuthenticatedEncryptionAdditionalData),
      tag: dir === 'decrypt' ? optionalBytes(payload, Tag.AuthenticatedEncryptionTag) : undefined,
    });
    if (dir === 'encrypt') allocateUsage(ctx, key, chunk.length, true);
    const out = updateSymmetric(run, chunk);
    const ivItems = run.generatedIv === undefined ? [] : [bytesItem(Tag.IVCounterNonce, run.generatedIv)];
    if (part.kind === 'init' && !part.final) {
      const st: CipherStream = { run, held: dir === 'decrypt' && run.aead ? [] : undefined };
      if (st.held === undefined) {
        const cv = cryptoStreams.open(ctx, streamOwner(ctx, operation, id), st);
        return { payload: [uidItem, bytesItem(Tag.Data, out), ...ivItems, bytesItem(Tag.CorrelationValue, cv)] };
      }
      const held = st.held;
      try {
        const cv = cryptoStreams.open(ctx, streamOwner(ctx, operation, id), st, () => wipe(held));
        try {
          cryptoStreams.reserveHeld(ctx, cv, out.length, holdWhat(run));
        } catch (e) {
          cryptoStreams.abort(cv);
          throw e;
        }
        held.push(out);
        return { payload: [uidItem, bytesItem(Tag.Data, NOTHING), ...ivItems, bytesItem(Tag.CorrelationValue, cv)] };
      } catch (e) {
        out.fill(0);
        throw e;
      }
    }
    let last: ReturnType<typeof finishSymmetric>;
    try {
      last = finishSymmetric(run, dir);
    } catch (e) {
      // A wrong tag or padding: the unverified output goes nowhere.
      out.fill(0);
      throw e;
    }
    return {
      payload: [uidItem, bytesItem(Tag.Data, last.out.length === 0 ? out : Buffer.concat([out, last.out])), ...ivItems, ...(last.tag === undefined ? [] : [bytesItem(Tag.AuthenticatedEncryptionTag, last.tag)])],
    };
  } finally {
    key.dispose();
  }
}
