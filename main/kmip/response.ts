// Encoding the Response Message, with the Maximum Response Size rule (1.4
// §6.3, §11.1: "Maximum Response Size has been exceeded → Operation Failed,
// Response Too Large").
import { buildResponseMessage, type ProtocolVersion, type ResponseBatchItem, type ResponseHeaderInput } from '../../shared/kmip/message/index.js';
import { Enum } from '../../shared/kmip/registry/index.js';
import { encodeTtlv } from '../../shared/kmip/ttlv/index.js';
import { resultReasonValue, type ResultReasonName } from './errors.js';
import { versionKey } from './versions.js';

export function failedItem(version: ProtocolVersion, reason: ResultReasonName, message: string, ids: { operation?: number; uniqueBatchItemId?: Uint8Array } = {}): ResponseBatchItem {
  return {
    ...(ids.operation === undefined ? {} : { operation: ids.operation }),
    ...(ids.uniqueBatchItemId === undefined ? {} : { uniqueBatchItemId: ids.uniqueBatchItemId }),
    resultStatus: Enum.ResultStatus.OperationFailed,
    resultReason: resultReasonValue(reason, versionKey(version)),
    resultMessage: message,
  };
}

function encodeOne(header: ResponseHeaderInput, item: ResponseBatchItem): Uint8Array | undefined {
  try {
    return encodeTtlv(buildResponseMessage({ header, batchItems: [item] }));
  } catch {
    return undefined;
  }
}

/**
 * Encode the response. A batch item whose payload cannot be encoded (a handler
 * bug) becomes General Failure rather than losing the whole response. When the
 * result exceeds `maximumResponseSize`, items are kept in order while they fit
 * and every item after that answers Response Too Large (the operations did run:
 * their effects stay, as with Stop, 1.4 §6.13). Header and failed items are
 * always sent, even if they alone exceed the limit: nothing smaller is possible.
 */
export function encodeResponse(header: ResponseHeaderInput, items: ResponseBatchItem[], maximumResponseSize?: number): Uint8Array {
  // Fast path: encodes, and fits.
  try {
    const bytes = encodeTtlv(buildResponseMessage({ header, batchItems: items }));
    if (maximumResponseSize === undefined || bytes.length <= maximumResponseSize) return bytes;
  } catch {
    // fall through: find the item that does not encode
  }
  const version = header.protocolVersion;
  const emptyItem = failedItem(version, 'GeneralFailure', '');
  const base = encodeOne(header, emptyItem)!.length - encodeTtlv(buildResponseMessage({ header, batchItems: [emptyItem] }).value[1]!).length;
  const sizes: number[] = [];
  const safe = items.map((it) => {
    const bytes = encodeOne(header, it);
    if (bytes !== undefined) {
      sizes.push(bytes.length - base);
      return it;
    }
    const replaced = failedItem(version, 'GeneralFailure', 'internal error: the response could not be encoded', it);
    sizes.push(encodeOne(header, replaced)!.length - base);
    return replaced;
  });
  const total = base + sizes.reduce((a, b) => a + b, 0);
  let out = safe;
  if (maximumResponseSize !== undefined && total > maximumResponseSize) {
    let running = base;
    out = safe.map((it, i) => {
      if (running + sizes[i]! <= maximumResponseSize) {
        running += sizes[i]!;
        return it;
      }
      const tooLarge = failedItem(version, 'ResponseTooLarge', `Response size: ${total}, Maximum Response Size indicated in request: ${maximumResponseSize}`, it);
      running += encodeOne(header, tooLarge)!.length - base;
      return tooLarge;
    });
  }
  return encodeTtlv(buildResponseMessage({ header, batchItems: out }));
}
