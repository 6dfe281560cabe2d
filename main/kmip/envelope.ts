// Reads a decoded Request Message into what the pipeline needs, deciding at
// which level each fault is answered (1.4 §11.1 General Errors):
//  - no readable Request Header / Protocol Version → close the connection;
//  - a readable version but an unsupported major version, or a malformed
//    header, or a batch count that does not match → one error batch item
//    without Operation (Invalid Message, or Unsupported Protocol Version in 2.x);
//  - a malformed batch item or payload → only that item fails (Invalid Message /
//    Invalid Field), with its Operation and Unique Batch Item ID echoed when readable.
import { MessageError, parseRequestMessage, resultReasonFor, type ProtocolVersion, type RequestBatchItem, type RequestHeader } from '../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../shared/kmip/registry/index.js';
import { item, struct, type StructureItem, type TtlvItem } from '../../shared/kmip/ttlv/index.js';
import type { ResultReasonName } from './errors.js';
import { describeTag } from './operations/payload.js';
import { fallbackVersion, isSupported, SUPPORTED_VERSIONS, versionKey } from './versions.js';

export interface Failure {
  reason: ResultReasonName;
  message: string;
}

export type ItemParse =
  | { ok: true; item: RequestBatchItem }
  | ({ ok: false; operation?: number; uniqueBatchItemId?: Uint8Array } & Failure);

export type Envelope =
  | { kind: 'close'; reason: string }
  /** The whole message is refused; answered in `version`. */
  | ({ kind: 'error'; version: ProtocolVersion } & Failure)
  | { kind: 'ok'; version: ProtocolVersion; header: RequestHeader; items: ItemParse[] };

function readProtocolVersion(header: TtlvItem | undefined): ProtocolVersion | undefined {
  if (header?.tag !== Tag.RequestHeader || header.type !== 'Structure') return undefined;
  const pv = header.value[0];
  if (pv?.tag !== Tag.ProtocolVersion || pv.type !== 'Structure' || pv.value.length !== 2) return undefined;
  const [major, minor] = pv.value;
  if (major?.tag !== Tag.ProtocolVersionMajor || major.type !== 'Integer') return undefined;
  if (minor?.tag !== Tag.ProtocolVersionMinor || minor.type !== 'Integer') return undefined;
  return { major: major.value, minor: minor.value };
}

function failureOf(e: MessageError, version: ProtocolVersion): Failure {
  const name = resultReasonFor(e.code, versionKey(version))?.name ?? 'InvalidMessage';
  return { reason: name as ResultReasonName, message: e.message };
}

/** A one-item message around `header` (its Batch Count forced to 1), so header and items parse one at a time. */
function wrap(header: StructureItem, batchItem: TtlvItem): StructureItem {
  const h = struct(Tag.RequestHeader, header.value.map((c) => (c.tag === Tag.BatchCount ? item(Tag.BatchCount, 'Integer', 1) : c)));
  return struct(Tag.RequestMessage, [h, batchItem]);
}

const PLACEHOLDER_ITEM = struct(Tag.BatchItem, [item(Tag.Operation, 'Enumeration', Enum.Operation.Query), struct(Tag.RequestPayload, [])]);

/** Operation and Unique Batch Item ID of a batch item that does not parse, to echo them. */
function rawIds(bi: TtlvItem): { operation?: number; uniqueBatchItemId?: Uint8Array } {
  if (bi.type !== 'Structure') return {};
  const op = bi.value.find((c) => c.tag === Tag.Operation);
  const id = bi.value.find((c) => c.tag === Tag.UniqueBatchItemID);
  return {
    ...(op?.type === 'Enumeration' ? { operation: op.value } : {}),
    ...(id?.type === 'ByteString' ? { uniqueBatchItemId: id.value } : {}),
  };
}

export function readEnvelope(root: TtlvItem): Envelope {
  if (root.tag !== Tag.RequestMessage || root.type !== 'Structure') return { kind: 'close', reason: 'not a Request Message' };
  const requested = readProtocolVersion(root.value[0]);
  if (requested === undefined) return { kind: 'close', reason: 'no readable Request Header / Protocol Version' };
  let version = requested;
  if (!isSupported(requested)) {
    // Same major, newer minor: backward compatibility within a major version is
    // mandatory (2.1 §9.16), so answer in our newest minor of that major.
    const sameMajor = SUPPORTED_VERSIONS.find((s) => s.major === requested.major && s.minor < requested.minor);
    if (sameMajor === undefined) {
      return {
        kind: 'error',
        version: fallbackVersion(requested),
        reason: 'UnsupportedProtocolVersion',
        message: `KMIP protocol version ${requested.major}.${requested.minor} is not supported; supported: ${SUPPORTED_VERSIONS.map(versionKey).join(', ')}`,
      };
    }
    version = sameMajor;
  }
  const rawHeader = root.value[0] as StructureItem;
  const pvItem = struct(Tag.ProtocolVersion, [item(Tag.ProtocolVersionMajor, 'Integer', version.major), item(Tag.ProtocolVersionMinor, 'Integer', version.minor)]);
  const header = struct(Tag.RequestHeader, [pvItem, ...rawHeader.value.slice(1)]);

  // Fast path: a well-formed message parses in one go.
  try {
    const whole = parseRequestMessage(struct(Tag.RequestMessage, [header, ...root.value.slice(1)]));
    return { kind: 'ok', version, header: whole.header, items: whole.batchItems.map((bi) => ({ ok: true, item: bi })) };
  } catch (e) {
    if (!(e instanceof MessageError)) throw e;
  }
  // Otherwise find out which part is at fault: the header, the batch framing, or single items.
  let parsedHeader: RequestHeader;
  try {
    parsedHeader = parseRequestMessage(wrap(header, PLACEHOLDER_ITEM)).header;
  } catch (e) {
    if (e instanceof MessageError) return { kind: 'error', version, ...failureOf(e, version) };
    throw e;
  }
  const declared = rawHeader.value.find((c) => c.tag === Tag.BatchCount);
  const batchCount = declared?.type === 'Integer' ? declared.value : 0;
  const rawItems = root.value.slice(1);
  const stray = rawItems.find((c) => c.tag !== Tag.BatchItem);
  if (stray !== undefined) return { kind: 'error', version, reason: 'InvalidMessage', message: `unexpected field ${describeTag(stray.tag)} in the Request Message` };
  if (rawItems.length === 0) return { kind: 'error', version, reason: 'InvalidMessage', message: 'the Request Message has no Batch Item' };
  if (batchCount !== rawItems.length) {
    return { kind: 'error', version, reason: 'InvalidMessage', message: `Batch Count is ${batchCount} but the message has ${rawItems.length} batch item(s)` };
  }

  const items = rawItems.map((bi, i): ItemParse => {
    try {
      const parsed = parseRequestMessage(wrap(header, bi)).batchItems[0]!;
      if (rawItems.length > 1 && parsed.uniqueBatchItemId === undefined) {
        return { ok: false, ...rawIds(bi), reason: 'InvalidMessage', message: `batch item ${i + 1}: Unique Batch Item ID is required when Batch Count > 1` };
      }
      return { ok: true, item: parsed };
    } catch (e) {
      if (!(e instanceof MessageError)) throw e;
      const f = failureOf(e, version);
      // The item was parsed alone; put its real position back into the path.
      return { ok: false, ...rawIds(bi), reason: f.reason, message: `batch item ${i + 1}: ${f.message.replace(/BatchItem(\[0\])?/, `BatchItem[${i}]`)}` };
    }
  });
  return { kind: 'ok', version, header: { ...parsedHeader, batchCount }, items };
}
