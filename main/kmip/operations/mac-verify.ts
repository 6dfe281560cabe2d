// MAC Verify (1.4 §4.34, 2.1 §6.1.33): recomputes the MAC of Data with the
// key (crypto/mac.ts) and compares it with MAC Data in constant time
// (crypto/constant-time.ts), answering Validity Indicator Valid or Invalid.
// Deactivated and Compromised keys still verify (useKey's processing rules).
// Multi-part like MAC; MAC Data may come with any part and is needed by the
// last, and only the last part carries the Validity Indicator.
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { effectiveParameters, equalConstantTime, streamPart } from '../crypto/index.js';
import { startMac, type MacState } from '../crypto/mac.js';
import { KmipOperationError } from '../errors.js';
import { keyForPart, optionalBytes, runParts } from './parts.js';
import { onlyTags, uniqueIdentifierOrPlaceholder } from './payload.js';

export const operation = Enum.Operation.MACVerify;

interface State {
  mac: MacState;
  expected: Uint8Array | undefined;
}

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyTags(payload, [Tag.UniqueIdentifier, Tag.CryptographicParameters, Tag.Data, Tag.MACData, Tag.CorrelationValue, Tag.InitIndicator, Tag.FinalIndicator], 'MAC Verify');
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  const key = keyForPart(ctx, payload, operation, id, 'macVerify');
  try {
    if (streamPart(payload).kind === 'single') {
      if (optionalBytes(payload, Tag.Data) === undefined) throw new KmipOperationError('MissingData', 'MAC Verify needs the Data that was MACed');
      if (optionalBytes(payload, Tag.MACData) === undefined) throw new KmipOperationError('MissingData', 'MAC Verify needs the MAC Data to verify');
    }
    const items = runParts<State>(ctx, payload, {
      operation,
      keyId: id,
      start: () => ({ mac: startMac(ctx, key, effectiveParameters(payload, key, ctx)), expected: undefined }),
      update: (st, p) => {
        const d = optionalBytes(p, Tag.Data);
        if (d !== undefined) st.mac.update(d);
        const m = optionalBytes(p, Tag.MACData);
        if (m !== undefined) st.expected = m;
      },
      finish: (st) => {
        if (st.expected === undefined) throw new KmipOperationError('MissingData', 'the last part of a multi-part MAC Verify needs the MAC Data');
        const ok = equalConstantTime(st.mac.digest(), st.expected);
        return [item(Tag.ValidityIndicator, 'Enumeration', ok ? Enum.ValidityIndicator.Valid : Enum.ValidityIndicator.Invalid)];
      },
      drop: () => {},
    });
    return { payload: [item(Tag.UniqueIdentifier, 'TextString', id), ...items] };
  } finally {
    key.dispose();
  }
}
