// Log (2.1 §6.1.29): the client's Log Message goes to the server log, and the
// response payload is empty. The message is data from a client, so it is
// written as a quoted, escaped string: control characters (which could forge
// extra log lines or drive a terminal), bidirectional overrides and the
// escape character itself are escaped, and it is cut at MAX_LOGGED
// characters. Only the message is logged: nothing of any object, so no key
// material can reach the log through this operation.
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import type { StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { onlyKnown } from './managed.js';
import { expectType } from './payload.js';

export const operation = Enum.Operation.Log;

/** Characters of a client's text kept in one log line. */
export const MAX_LOGGED = 1000;

// C0, DEL, C1, line/paragraph separators, bidi embeddings/overrides/isolates, BOM.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"\\]/g;

/** `text` as one safe, quoted log token: escaped, at most `max` characters of it kept. */
export function quoteForLog(text: string, max: number = MAX_LOGGED): string {
  const chars = [...text];
  const kept = chars.slice(0, max).join('');
  const escaped = kept.replace(UNSAFE, (c) => {
    if (c === '"' || c === '\\') return `\\${c}`;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return `"${escaped}"${chars.length > max ? ` (${chars.length - max} more characters not logged)` : ''}`;
}

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyKnown(payload, [Tag.LogMessage], 'Log');
  const items = payload.value.filter((c) => c.tag === Tag.LogMessage);
  if (items.length !== 1) throw new KmipOperationError('InvalidField', 'Log needs exactly one Log Message');
  const message = expectType(items[0]!, 'TextString').value;
  ctx.log?.(`client log message: ${quoteForLog(message)}`);
  return { payload: [] };
}
