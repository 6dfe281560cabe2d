// One-line descriptions of codec errors for operators: which message, which
// byte offset in the input, which tag (with its KMIP name) and what is wrong.
import { tagName } from '../../shared/kmip/registry/index.js';
import { TtlvError, tagHex } from '../../shared/kmip/ttlv/index.js';
import { CliError } from './errors.js';

export function describeTag(tag: number): string {
  const name = tagName(tag);
  return name === undefined ? tagHex(tag) : `${tagHex(tag)} (${name})`;
}

/**
 * Turn a TtlvError found in message `index` (1-based) that starts at `start`
 * in the input into the operator's one line.
 */
export function ttlvFailure(err: TtlvError, index: number, start: number): CliError {
  const where = [`message ${index}`, `offset ${start + err.offset}`];
  if (err.tag !== undefined) where.push(`tag ${describeTag(err.tag)}`);
  return new CliError(`${where.join(', ')}: ${err.detail} [${err.code}]`);
}
