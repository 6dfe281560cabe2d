// Shared core of the KMIP XML and JSON encodings (KMIP Additional Message Encodings v1.0 §4, §6).
export { KmipTextError, type KmipTextErrorCode } from './errors.js';
export { type UtcSuffix } from './datetime.js';
export { type Dialect, type RawValue, type ValueNames, type ScalarType, type FormatOptions } from './values.js';
export { parseValue } from './parse-value.js';
export { formatValue } from './format-value.js';
export { valueNames } from './context.js';
export {
  fromTextItem,
  toTextItem,
  messageVersion,
  resolveTag,
  tagText,
  DEFAULT_MAX_DEPTH,
  ItemBudget,
  checkTextSize,
  textLimits,
  utf8Length,
  type TextItem,
  type TextDecodeOptions,
  type TextEncodeOptions,
} from './tree.js';
