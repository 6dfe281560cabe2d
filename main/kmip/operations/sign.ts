// Sign (1.4 §4.31, 2.1 §6.1.55): a signature by a Private Key over Data
// (hashed by the server) or over Digested Data (the client's digest). RSA
// PKCS#1 v1.5 and PSS (any supported hash, MGF1 hash, salt length), ECDSA on
// P-256/P-384/P-521 (DER signatures); see crypto/signing.ts. The key's
// state, dates and Usage Mask are checked by useKey; the request's
// Cryptographic Parameters lie over the key's stored ones. Multi-part over
// Data with Init / Final Indicator and Correlation Value (parts.ts). Usage
// Limits: one use (Unit Object) per operation, on its first part; each part's
// bytes (Unit Byte) once its stream is found.
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { allocateUsage, effectiveParameters, streamPart } from '../crypto/index.js';
import { accumulator, checkDigested, signDigest, signatureScheme, signFinal, type Accumulator, type SignatureScheme } from '../crypto/signing.js';
import { KmipOperationError } from '../errors.js';
import { keyForPart, optionalBytes, runParts } from './parts.js';
import { onlyTags, uniqueIdentifierOrPlaceholder } from './payload.js';

export const operation = Enum.Operation.Sign;

interface State {
  scheme: SignatureScheme;
  acc: Accumulator;
}

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyTags(payload, [Tag.UniqueIdentifier, Tag.CryptographicParameters, Tag.Data, Tag.DigestedData, Tag.CorrelationValue, Tag.InitIndicator, Tag.FinalIndicator], 'Sign');
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  const key = keyForPart(ctx, payload, operation, id, 'sign');
  try {
    const uid = item(Tag.UniqueIdentifier, 'TextString', id);
    const data = optionalBytes(payload, Tag.Data);
    const digested = optionalBytes(payload, Tag.DigestedData);
    if (data !== undefined && digested !== undefined) throw new KmipOperationError('InvalidField', 'Sign takes Data or Digested Data, not both');
    const scheme = (): SignatureScheme => signatureScheme(ctx, key.key, key.length, effectiveParameters(payload, key, ctx));
    if (digested !== undefined) {
      if (streamPart(payload).kind !== 'single') throw new KmipOperationError('InvalidField', 'Digested Data is signed in one request; multi-part Sign takes Data');
      const s = scheme();
      checkDigested(s, digested);
      allocateUsage(ctx, key, digested.length, true);
      return { payload: [uid, item(Tag.SignatureData, 'ByteString', new Uint8Array(signDigest(key.key, s, digested)))] };
    }
    if (data === undefined && streamPart(payload).kind === 'single') throw new KmipOperationError('MissingData', 'Sign needs Data or Digested Data');
    const items = runParts<State>(ctx, payload, {
      operation,
      keyId: id,
      start: () => {
        const s = scheme();
        // One use (Usage Limits Unit Object) per operation: taken by its single or first part.
        allocateUsage(ctx, key, 0, true);
        return { scheme: s, acc: accumulator(s, false) };
      },
      update: (st, p) => {
        const d = optionalBytes(p, Tag.Data);
        if (d === undefined) return;
        // Bytes (Unit Byte) per part, after runParts has found the stream.
        allocateUsage(ctx, key, d.length, false);
        st.acc.h.update(d);
      },
      finish: (st) => [item(Tag.SignatureData, 'ByteString', new Uint8Array(signFinal(key.key, st.scheme, st.acc)))],
      drop: () => {},
    });
    return { payload: [uid, ...items] };
  } finally {
    key.dispose();
  }
}
