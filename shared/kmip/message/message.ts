// Request / Response Message ↔ TtlvItem (KMIP 1.4 §6–7, 2.1 §8–9).
//
// parse* is strict (see schema.ts) and throws MessageError; build* emits the
// fields in the spec's order, so parse → build gives back the input tree.
import { enumeration, KMIP_VERSIONS, Tag, type KmipVersion } from '../registry/index.js';
import type { StructureItem, TtlvItem } from '../ttlv/types.js';
import { buildAuthentication, buildNonce, parseAuthentication, parseNonce } from './credentials.js';
import { MessageError } from './errors.js';
import {
  buildFields,
  childPath,
  expectStructure,
  fail,
  kmipVersion,
  nameOf,
  nonNegative,
  parseFields,
  positive,
  versionKey,
  type Ctx,
  type Field,
} from './schema.js';
import type {
  Authentication,
  MessageExtension,
  Nonce,
  ProtocolVersion,
  RequestHeader,
  RequestMessage,
  RequestMessageInput,
  ResponseHeader,
  ResponseMessage,
  ResponseMessageInput,
} from './types.js';

export interface MessageOptions {
  /**
   * Protocol versions accepted (default: every KMIP version 1.0–2.1). Any other
   * version is a MessageError 'PROTOCOL_VERSION_NOT_SUPPORTED'.
   */
  versions?: readonly KmipVersion[];
}

// ---------------------------------------------------------------------------
// Field lists (spec order)

const protocolVersionFields: readonly Field[] = [
  { key: 'major', tag: Tag.ProtocolVersionMajor, type: 'Integer', required: true, check: nonNegative },
  { key: 'minor', tag: Tag.ProtocolVersionMinor, type: 'Integer', required: true, check: nonNegative },
];

function parseProtocolVersion(it: TtlvItem, ctx: Ctx): ProtocolVersion {
  return parseFields<ProtocolVersion>(expectStructure(it, Tag.ProtocolVersion, ctx), protocolVersionFields, ctx);
}

/**
 * KMIP 1.x: Asynchronous Indicator is a Boolean; KMIP 2.x made it an
 * enumeration. Decided by whether the registry's Asynchronous Indicator
 * enumeration exists in the message's version.
 */
function asynchronousIndicatorType(ctx: Ctx): 'Boolean' | 'Enumeration' {
  const v = kmipVersion(ctx.version);
  const def = enumeration('AsynchronousIndicator');
  if (def !== undefined && v !== undefined) return def.versions.includes(v) ? 'Enumeration' : 'Boolean';
  return (ctx.version?.major ?? 1) >= 2 ? 'Enumeration' : 'Boolean';
}

const messageExtensionFields: readonly Field[] = [
  { key: 'vendorIdentification', tag: Tag.VendorIdentification, type: 'TextString', required: true },
  { key: 'criticalityIndicator', tag: Tag.CriticalityIndicator, type: 'Boolean', required: true },
  { key: 'vendorExtension', tag: Tag.VendorExtension, type: 'Structure', required: true },
];

const messageExtensionField: Field = {
  key: 'messageExtensions',
  tag: Tag.MessageExtension,
  type: 'Structure',
  repeated: true,
  // 2.1 Table 396: MAY be repeated in a request batch item; once otherwise.
  max: (ctx) => (ctx.request && (ctx.version?.major ?? 1) >= 2 ? Infinity : 1),
  decode: (it, ctx) => parseFields<MessageExtension>(it as StructureItem, messageExtensionFields, ctx),
  encode: (v, tag, ctx) => buildFields(tag, v as MessageExtension, messageExtensionFields, ctx),
};

const protocolVersionField: Field = {
  key: 'protocolVersion',
  tag: Tag.ProtocolVersion,
  type: 'Structure',
  required: true,
  decode: parseProtocolVersion,
  encode: (v, tag, ctx) => buildFields(tag, v as ProtocolVersion, protocolVersionFields, ctx),
};

const attestationTypesField: Field = { key: 'attestationTypes', tag: Tag.AttestationType, type: 'Enumeration', repeated: true };
const batchCountField: Field = { key: 'batchCount', tag: Tag.BatchCount, type: 'Integer', required: true, check: positive };

const requestHeaderFields: readonly Field[] = [
  protocolVersionField,
  { key: 'maximumResponseSize', tag: Tag.MaximumResponseSize, type: 'Integer', check: nonNegative },
  { key: 'clientCorrelationValue', tag: Tag.ClientCorrelationValue, type: 'TextString' },
  { key: 'serverCorrelationValue', tag: Tag.ServerCorrelationValue, type: 'TextString' },
  { key: 'asynchronousIndicator', tag: Tag.AsynchronousIndicator, type: asynchronousIndicatorType },
  { key: 'attestationCapableIndicator', tag: Tag.AttestationCapableIndicator, type: 'Boolean' },
  attestationTypesField,
  {
    key: 'authentication',
    tag: Tag.Authentication,
    type: 'Structure',
    decode: parseAuthentication,
    encode: (v, _t, ctx) => buildAuthentication(v as Authentication, ctx),
  },
  { key: 'batchErrorContinuationOption', tag: Tag.BatchErrorContinuationOption, type: 'Enumeration' },
  { key: 'batchOrderOption', tag: Tag.BatchOrderOption, type: 'Boolean' },
  { key: 'timeStamp', tag: Tag.TimeStamp, type: 'DateTime' },
  batchCountField,
];

const responseHeaderFields: readonly Field[] = [
  protocolVersionField,
  { key: 'timeStamp', tag: Tag.TimeStamp, type: 'DateTime', required: true },
  { key: 'nonce', tag: Tag.Nonce, type: 'Structure', decode: parseNonce, encode: (v, _t, ctx) => buildNonce(v as Nonce, ctx) },
  { key: 'serverHashedPassword', tag: Tag.ServerHashedPassword, type: 'ByteString' },
  attestationTypesField,
  { key: 'clientCorrelationValue', tag: Tag.ClientCorrelationValue, type: 'TextString' },
  { key: 'serverCorrelationValue', tag: Tag.ServerCorrelationValue, type: 'TextString' },
  batchCountField,
];

const requestBatchItemFields: readonly Field[] = [
  { key: 'operation', tag: Tag.Operation, type: 'Enumeration', required: true },
  { key: 'ephemeral', tag: Tag.Ephemeral, type: 'Boolean' },
  { key: 'uniqueBatchItemId', tag: Tag.UniqueBatchItemID, type: 'ByteString' },
  { key: 'requestPayload', tag: Tag.RequestPayload, type: 'Structure', required: true },
  messageExtensionField,
];

const responseBatchItemFields: readonly Field[] = [
  { key: 'operation', tag: Tag.Operation, type: 'Enumeration' },
  { key: 'uniqueBatchItemId', tag: Tag.UniqueBatchItemID, type: 'ByteString' },
  { key: 'resultStatus', tag: Tag.ResultStatus, type: 'Enumeration', required: true },
  { key: 'resultReason', tag: Tag.ResultReason, type: 'Enumeration' },
  { key: 'resultMessage', tag: Tag.ResultMessage, type: 'TextString' },
  { key: 'asynchronousCorrelationValue', tag: Tag.AsynchronousCorrelationValue, type: 'ByteString' },
  { key: 'responsePayload', tag: Tag.ResponsePayload, type: 'Structure' },
  messageExtensionField,
];

function messageFields(headerTag: number, headerFields: readonly Field[], itemFields: readonly Field[]): readonly Field[] {
  return [
    {
      key: 'header',
      tag: headerTag,
      type: 'Structure',
      required: true,
      decode: (it, ctx) => parseFields(it as StructureItem, headerFields, ctx),
      encode: (v, tag, ctx) => buildFields(tag, v as object, headerFields, ctx),
    },
    {
      key: 'batchItems',
      tag: Tag.BatchItem,
      type: 'Structure',
      required: true,
      repeated: true,
      decode: (it, ctx) => parseFields(it as StructureItem, itemFields, ctx),
      encode: (v, tag, ctx) => buildFields(tag, v as object, itemFields, ctx),
    },
  ];
}

const requestMessageFields = messageFields(Tag.RequestHeader, requestHeaderFields, requestBatchItemFields);
const responseMessageFields = messageFields(Tag.ResponseHeader, responseHeaderFields, responseBatchItemFields);

// ---------------------------------------------------------------------------
// Version handling

/**
 * Read the Protocol Version before the rest, so that version-dependent rules
 * (field types, tags a version defines) apply, and refuse unsupported versions
 * early with the version attached to the error (the server answers in it).
 */
function readVersion(msg: StructureItem, headerTag: number, ctx: Ctx, opts: MessageOptions | undefined): void {
  const header = msg.value[0];
  if (header === undefined || header.tag !== headerTag || header.type !== 'Structure') return; // parseFields reports it
  const pv = header.value[0];
  if (pv === undefined || pv.tag !== Tag.ProtocolVersion) return;
  const pctx = childPath(childPath(ctx, nameOf(headerTag)), nameOf(Tag.ProtocolVersion));
  const version = parseProtocolVersion(pv, pctx);
  checkVersion(version, pctx, opts);
  ctx.version = version;
}

/** `ctx` is that of the Protocol Version item. */
function checkVersion(version: ProtocolVersion, ctx: Ctx, opts: MessageOptions | undefined): void {
  const supported = opts?.versions ?? KMIP_VERSIONS;
  const k = versionKey(version);
  if (!(supported as readonly string[]).includes(k)) {
    throw new MessageError('PROTOCOL_VERSION_NOT_SUPPORTED', `KMIP ${k} is not supported`, ctx.path, version);
  }
}

function headerTagOf(ctx: Ctx): number {
  return ctx.request ? Tag.RequestHeader : Tag.ResponseHeader;
}

function checkBatch(header: { batchCount: number }, items: { uniqueBatchItemId?: Uint8Array }[], ctx: Ctx, requireIds: boolean): void {
  if (header.batchCount !== items.length) {
    fail('INVALID_MESSAGE', `Batch Count is ${header.batchCount} but the message has ${items.length} batch item${items.length === 1 ? '' : 's'}`, childPath(childPath(ctx, nameOf(headerTagOf(ctx))), nameOf(Tag.BatchCount)));
  }
  if (requireIds && items.length > 1) {
    const i = items.findIndex((b) => b.uniqueBatchItemId === undefined);
    if (i >= 0) fail('INVALID_MESSAGE', 'Unique Batch Item ID is required when Batch Count > 1', childPath(ctx, `${nameOf(Tag.BatchItem)}[${i}]`));
  }
}

// ---------------------------------------------------------------------------
// Public API

export function parseRequestMessage(it: TtlvItem, opts?: MessageOptions): RequestMessage {
  const ctx: Ctx = { path: 'RequestMessage', request: true };
  const s = expectStructure(it, Tag.RequestMessage, { path: '' });
  readVersion(s, Tag.RequestHeader, ctx, opts);
  const msg = parseFields<RequestMessage>(s, requestMessageFields, ctx);
  checkBatch(msg.header, msg.batchItems, ctx, true);
  return msg;
}

export function parseResponseMessage(it: TtlvItem, opts?: MessageOptions): ResponseMessage {
  const ctx: Ctx = { path: 'ResponseMessage', request: false };
  const s = expectStructure(it, Tag.ResponseMessage, { path: '' });
  readVersion(s, Tag.ResponseHeader, ctx, opts);
  const msg = parseFields<ResponseMessage>(s, responseMessageFields, ctx);
  checkBatch(msg.header, msg.batchItems, ctx, false);
  return msg;
}

export function buildRequestMessage(msg: RequestMessageInput, opts?: MessageOptions): StructureItem {
  const ctx: Ctx = { path: 'RequestMessage', request: true };
  checkVersion(msg.header.protocolVersion, childPath(childPath(ctx, nameOf(headerTagOf(ctx))), nameOf(Tag.ProtocolVersion)), opts);
  ctx.version = msg.header.protocolVersion;
  const header: RequestHeader = { ...msg.header, batchCount: msg.batchItems.length };
  if (msg.batchItems.length > 1) {
    const i = msg.batchItems.findIndex((b) => b.uniqueBatchItemId === undefined);
    if (i >= 0) fail('INVALID_FIELD', 'Unique Batch Item ID is required when Batch Count > 1', childPath(ctx, `${nameOf(Tag.BatchItem)}[${i}]`));
  }
  return buildFields(Tag.RequestMessage, { header, batchItems: msg.batchItems }, requestMessageFields, ctx);
}

export function buildResponseMessage(msg: ResponseMessageInput, opts?: MessageOptions): StructureItem {
  const ctx: Ctx = { path: 'ResponseMessage', request: false };
  checkVersion(msg.header.protocolVersion, childPath(childPath(ctx, nameOf(headerTagOf(ctx))), nameOf(Tag.ProtocolVersion)), opts);
  ctx.version = msg.header.protocolVersion;
  const header: ResponseHeader = { ...msg.header, batchCount: msg.batchItems.length };
  return buildFields(Tag.ResponseMessage, { header, batchItems: msg.batchItems }, responseMessageFields, ctx);
}

/** Parse a Request or Response Message, by its outer tag. */
export function parseMessage(it: TtlvItem, opts?: MessageOptions): { kind: 'request'; message: RequestMessage } | { kind: 'response'; message: ResponseMessage } {
  if (it.tag === Tag.RequestMessage) return { kind: 'request', message: parseRequestMessage(it, opts) };
  if (it.tag === Tag.ResponseMessage) return { kind: 'response', message: parseResponseMessage(it, opts) };
  return fail('INVALID_MESSAGE', 'expected a Request Message or Response Message', { path: '' });
}

