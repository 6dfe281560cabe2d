// MAC (1.4 §4.33, 2.1 §6.1.32): the MAC of Data under a Symmetric Key, with
// HMAC-SHA1/224/256/384/512 (and SHA3) or AES-CMAC (crypto/mac.ts). The
// key's state, dates and Usage Mask (MAC Generate) are checked by useKey.
// Multi-part with Init / Final Indicator and Correlation Value (parts.ts).
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { effectiveParameters, streamPart } from '../crypto/index.js';
import { startMac, type MacState } from '../crypto/mac.js';
import { KmipOperationError } from '../errors.js';
import { keyForPart, optionalBytes, runParts } from './parts.js';
import { onlyTags, uniqueIdentifierOrPlaceholder } from './payload.js';

export const operation = Enum.Operation.MAC;

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyTags(payload, [Tag.UniqueIdentifier, Tag.CryptographicParameters, Tag.Data, Tag.CorrelationValue, Tag.InitIndicator, Tag.FinalIndicator], 'MAC');
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  const key = keyForPart(ctx, payload, operation, id, 'mac');
  try {
    if (optionalBytes(payload, Tag.Data) === undefined && streamPart(payload).kind === 'single') throw new KmipOperationError('MissingData', 'MAC needs Data');
    const items = runParts<MacState>(ctx, payload, {
      operation,
      keyId: id,
      start: () => startMac(ctx, key, effectiveParameters(payload, key, ctx)),
      update: (m, p) => {
        const d = optionalBytes(p, Tag.Data);
        if (d !== undefined) m.update(d);
      },
      finish: (m) => [item(Tag.MACData, 'ByteString', new Uint8Array(m.digest()))],
      drop: () => {},
    });
    return { payload: [item(Tag.UniqueIdentifier, 'TextString', id), ...items] };
  } finally {
    key.dispose();
  }
}
