// Signature Verify (1.4 §4.32, 2.1 §6.1.56): checks Signature Data against
// Data (hashed by the server) or Digested Data with a Public Key (or a
// Certificate's key), answering Validity Indicator Valid or Invalid. A
// signature that does not verify, is malformed, or was made with other
// parameters is Invalid, not an error. Deactivated and Compromised keys still
// verify (useKey's processing rules). Multi-part like Sign; the Signature
// Data may come with any part and is needed by the last, and only the last
// part carries the Validity Indicator (2.1 §6.1.56).
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { effectiveParameters, streamPart } from '../crypto/index.js';
import { accumulator, checkDigested, verifyDigest, signatureScheme, verifyFinal, type Accumulator, type SignatureScheme } from '../crypto/signing.js';
import { KmipOperationError } from '../errors.js';
import { keyForPart, optionalBytes, runParts } from './parts.js';
import { onlyTags, uniqueIdentifierOrPlaceholder } from './payload.js';

export const operation = Enum.Operation.SignatureVerify;

interface State {
  scheme: SignatureScheme;
  acc: Accumulator;
  signature: Uint8Array | undefined;
}

const validity = (ok: boolean) => item(Tag.ValidityIndicator, 'Enumeration', ok ? Enum.ValidityIndicator.Valid : Enum.ValidityIndicator.Invalid);

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyTags(payload, [Tag.UniqueIdentifier, Tag.CryptographicParameters, Tag.Data, Tag.DigestedData, Tag.SignatureData, Tag.CorrelationValue, Tag.InitIndicator, Tag.FinalIndicator], 'Signature Verify');
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  const key = keyForPart(ctx, payload, operation, id, 'verify');
  try {
    const uid = item(Tag.UniqueIdentifier, 'TextString', id);
    const data = optionalBytes(payload, Tag.Data);
    const digested = optionalBytes(payload, Tag.DigestedData);
    if (data !== undefined && digested !== undefined) throw new KmipOperationError('InvalidField', 'Signature Verify takes Data or Digested Data, not both');
    const single = streamPart(payload).kind === 'single';
    const signature = optionalBytes(payload, Tag.SignatureData);
    if (single && signature === undefined) throw new KmipOperationError('MissingData', 'Signature Verify needs the Signature Data');
    const scheme = (): SignatureScheme => signatureScheme(ctx, key.key, key.length, effectiveParameters(payload, key, ctx, false));
    if (digested !== undefined) {
      if (!single) throw new KmipOperationError('InvalidField', 'Digested Data is verified in one request; multi-part Signature Verify takes Data');
      const s = scheme();
      checkDigested(s, digested);
      return { payload: [uid, validity(verifyDigest(key.key, s, digested, signature!))] };
    }
    if (data === undefined && single) throw new KmipOperationError('MissingData', 'Signature Verify needs Data or Digested Data');
    const items = runParts<State>(ctx, payload, {
      operation,
      keyId: id,
      start: () => {
        const s = scheme();
        return { scheme: s, acc: accumulator(s, true), signature: undefined };
      },
      update: (st, p) => {
        const d = optionalBytes(p, Tag.Data);
        if (d !== undefined) st.acc.h.update(d);
        const sig = optionalBytes(p, Tag.SignatureData);
        if (sig !== undefined) st.signature = sig;
      },
      finish: (st) => {
        if (st.signature === undefined) throw new KmipOperationError('MissingData', 'the last part of a multi-part Signature Verify needs the Signature Data');
        return [validity(verifyFinal(key.key, st.scheme, st.acc, st.signature))];
      },
      drop: () => {},
    });
    return { payload: [uid, ...items] };
  } finally {
    key.dispose();
  }
}
