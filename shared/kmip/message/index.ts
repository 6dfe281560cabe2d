// The typed KMIP message model: Request / Response Messages, headers, batch
// items, credentials, and object attributes (one internal model, converted to
// and from the KMIP 1.x and 2.x forms).
export * from './types.js';
export { MessageError, RESULT_REASONS, resultReasonFor, type MessageErrorCode } from './errors.js';
export {
  buildRequestMessage,
  buildResponseMessage,
  parseMessage,
  parseRequestMessage,
  parseResponseMessage,
  type MessageOptions,
} from './message.js';
export * from './attributes.js';
export { ATTRIBUTE_SPECS, CUSTOM_PREFIXES, type AttributeSpec } from './attribute-table.js';
