// Typed errors of the message layer. A MessageError says what is wrong
// (`code`), in words (`message`) and where (`path`, e.g.
// 'RequestMessage/BatchItem[2]/Operation'). Codes are chosen so that the
// server can map each to one KMIP Result Reason (see resultReasonFor).
import { enumeration, enumValueByNameOf, type KmipVersion } from '../registry/index.js';
import type { ProtocolVersion } from './types.js';

export type MessageErrorCode =
  /** Not syntactically understood: missing required field, wrong item type, unknown/out-of-order/duplicated field, batch count mismatch. */
  | 'INVALID_MESSAGE'
  /** Syntactically valid, but a field (other than an attribute value) has an invalid value. */
  | 'INVALID_FIELD'
  /** The Protocol Version is not one this layer (or the caller) supports. */
  | 'PROTOCOL_VERSION_NOT_SUPPORTED'
  /** An attribute name / reference that is not an attribute, or an attribute structure that is malformed. */
  | 'INVALID_ATTRIBUTE'
  /** An attribute value of the wrong item type for its attribute. */
  | 'INVALID_ATTRIBUTE_VALUE'
  /** A known attribute that has no representation in the target KMIP version (e.g. Operation Policy Name in 2.x). */
  | 'UNSUPPORTED_ATTRIBUTE';

/**
 * Result Reason candidates per code, best first (normalized enumeration value
 * names). The first one that the registry defines for the message's version wins.
 */
export const RESULT_REASONS: Readonly<Record<MessageErrorCode, readonly string[]>> = {
  INVALID_MESSAGE: ['InvalidMessage'],
  INVALID_FIELD: ['InvalidField'],
  PROTOCOL_VERSION_NOT_SUPPORTED: ['UnsupportedProtocolVersion', 'InvalidMessage'],
  INVALID_ATTRIBUTE: ['InvalidAttribute', 'InvalidField'],
  INVALID_ATTRIBUTE_VALUE: ['InvalidAttributeValue', 'InvalidField'],
  UNSUPPORTED_ATTRIBUTE: ['UnsupportedAttribute', 'InvalidAttribute', 'InvalidField'],
};

/** Result Reason (name and enumeration value) to report for an error code in a KMIP version. */
export function resultReasonFor(code: MessageErrorCode, version: KmipVersion): { name: string; value: number } | undefined {
  const def = enumeration('ResultReason');
  if (def === undefined) return undefined;
  for (const name of RESULT_REASONS[code]) {
    const v = def.values.find((x) => x.name === name && x.versions.includes(version));
    if (v !== undefined) return { name, value: enumValueByNameOf(def, name) ?? v.value };
  }
  return undefined;
}

export class MessageError extends Error {
  override readonly name = 'MessageError';
  constructor(
    readonly code: MessageErrorCode,
    /** What is wrong, without the path. */
    readonly detail: string,
    /** Slash-separated tag names from the outermost item, with [i] for repeated items. */
    readonly path: string,
    /** The message's protocol version, once it could be read (lets the server answer in it). */
    readonly protocolVersion?: ProtocolVersion,
  ) {
    super(`${detail}${path === '' ? '' : ` (at ${path})`}`);
  }

  toJSON(): { code: MessageErrorCode; message: string; path: string; protocolVersion?: ProtocolVersion } {
    return { code: this.code, message: this.message, path: this.path, ...(this.protocolVersion === undefined ? {} : { protocolVersion: this.protocolVersion }) };
  }
}
