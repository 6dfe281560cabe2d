// KMIP JSON encoding (KMIP Additional Message Encodings v1.0 §4) ↔ TtlvItem.
export { parseKmipJson, type JsonDecodeOptions } from './decode.js';
export { toKmipJson, toKmipJsonLine, type JsonEncodeOptions, type KmipJsonObject } from './encode.js';
export { KmipTextError, type KmipTextErrorCode } from '../text/errors.js';
