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
// mid-stream stops protecting at once.
//
// Response payload order (Tables 230 / 232 and 2.1 Tables 215 / 197):
// Unique Identifier, Data, IV/Counter/Nonce, Correlation Value,
// Authenticated Encryption Tag.
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem, type TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { allocateUsage, cryptoStreams, effectiveParameters, streamOwner, streamPart, useKey } from '../crypto/index.js';
import { finishSymmetric, isAsymmetric, rsaCipher, symmetricCipher, updateSymmetric, type Direction, type SymmetricRun } from '../crypto/ciphers.js';
import { onlyKnown } from './managed.js';
import { expectType, uniqueIdentifierOrPlaceholder } from './payload.js';

const REQUEST_FIELDS: Record<Direction, readonly number[]> = {
  encrypt: [Tag.UniqueIdentifier, Tag.CryptographicParameters, Tag.Data, Tag.IVCounterNonce, Tag.CorrelationValue, Tag.InitIndicator, Tag.FinalIndicator, Tag.AuthenticatedEncryptionAdditionalData],
  decrypt: [
    Tag.UniqueIdentifier, Tag.CryptographicParameters, Tag.Data, Tag.IVCounterNonce, Tag.CorrelationValue, Tag.InitIndicator, Tag.FinalIndicator,
    Tag.AuthenticatedEncryptionAdditionalData, Tag.AuthenticatedEncryptionTag,
  ],
};

function bytesField(payload: StructureItem, tag: number): Uint8Array | undefined {
  const it = payload.value.find((c) => c.tag === tag);
  return it === undefined ? undefined : expectType(it, 'ByteString').value;
}

const bytesItem = (tag: number, v: Uint8Array): TtlvItem => item(tag, 'ByteString', v instanceof Buffer ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : v);

export function cipherOperation(payload: StructureItem, ctx: OperationContext, dir: Direction): OperationResult {
  const op = dir === 'encrypt' ? 'Encrypt' : 'Decrypt';
  const operation = Enum.Operation[op];
  onlyKnown(payload, REQUEST_FIELDS[dir], op);
  const part = streamPart(payload);
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  const data = bytesField(payload, Tag.Data);
  if (data === undefined && part.kind === 'single') throw new KmipOperationError('InvalidMessage', `${op} needs Data (or Init Indicator to start a multi-part ${op})`);
  const key = useKey(ctx, id, dir);
  try {
    const uidItem = item(Tag.UniqueIdentifier, 'TextString', id);
    const chunk = data ?? new Uint8Array(0);
    if (dir === 'encrypt') allocateUsage(ctx, key, chunk.length);

    if (part.kind === 'continue') {
      const run = cryptoStreams.get<SymmetricRun>(ctx, part.correlation, streamOwner(ctx, operation, id));
      try {
        const out = updateSymmetric(run, chunk);
        if (!part.final) return { payload: [uidItem, bytesItem(Tag.Data, out), bytesItem(Tag.CorrelationValue, part.correlation)] };
        cryptoStreams.finish(part.correlation);
        const last = finishSymmetric(run, dir);
        return { payload: [uidItem, bytesItem(Tag.Data, Buffer.concat([out, last.out])), ...(last.tag === undefined ? [] : [bytesItem(Tag.AuthenticatedEncryptionTag, last.tag)])] };
      } catch (e) {
        cryptoStreams.abort(part.correlation);
        throw e;
      }
    }

    const params = effectiveParameters(payload, key.storedParameters, ctx);
    if (isAsymmetric(key)) {
      if (part.kind !== 'single') throw new KmipOperationError('FeatureNotSupported', `multi-part ${op} is supported for symmetric keys only; send the whole Data in one request`);
      if (payload.value.some((c) => c.tag === Tag.AuthenticatedEncryptionAdditionalData || c.tag === Tag.AuthenticatedEncryptionTag)) {
        throw new KmipOperationError(ctx.protocolVersion.major < 2 ? 'InvalidField' : 'BadCryptographicParameters', 'RSA is not an authenticated encryption mode: no Additional Data or Tag');
      }
      return { payload: [uidItem, bytesItem(Tag.Data, rsaCipher(ctx, key, params, dir, chunk))] };
    }
    const run = symmetricCipher(ctx, key, params, dir, {
      iv: bytesField(payload, Tag.IVCounterNonce),
      aad: bytesField(payload, Tag.AuthenticatedEncryptionAdditionalData),
      tag: dir === 'decrypt' ? bytesField(payload, Tag.AuthenticatedEncryptionTag) : undefined,
    });
    const out = updateSymmetric(run, chunk);
    const ivItems = run.generatedIv === undefined ? [] : [bytesItem(Tag.IVCounterNonce, run.generatedIv)];
    if (part.kind === 'init' && !part.final) {
      const cv = cryptoStreams.open(ctx, streamOwner(ctx, operation, id), run);
      return { payload: [uidItem, bytesItem(Tag.Data, out), ...ivItems, bytesItem(Tag.CorrelationValue, cv)] };
    }
    const last = finishSymmetric(run, dir);
    return {
      payload: [uidItem, bytesItem(Tag.Data, Buffer.concat([out, last.out])), ...ivItems, ...(last.tag === undefined ? [] : [bytesItem(Tag.AuthenticatedEncryptionTag, last.tag)])],
    };
  } finally {
    key.dispose();
  }
}

