// The binary TTLV codec: item model, strict decoder, encoder, stream framer,
// hex helpers and pretty-printer.
export * from './types.js';
export { TtlvError, type TtlvErrorCode } from './errors.js';
export { DEFAULT_LIMITS, resolveLimits, type TtlvLimits } from './limits.js';
export { decodeTtlv } from './decode.js';
export { encodeTtlv } from './encode.js';
export { TtlvFramer } from './framer.js';
export { concatBytes, parseHex, toHex } from './hex.js';
export { prettyTtlv, type PrettyOptions } from './pretty.js';
