// `keyhold ttlv decode`: TTLV (hex text or raw bytes, one message or a whole
// captured session) → KMIP XML, or one JSON document per line.
import { toKmipJsonLine } from '../../shared/kmip/json/index.js';
import { TtlvError, TtlvFramer, decodeTtlv, parseHex, type TtlvItem } from '../../shared/kmip/ttlv/index.js';
import { KmipTextError, toKmipXml } from '../../shared/kmip/xml/index.js';
import { ttlvFailure } from './describe.js';
import { CliError } from './errors.js';

export interface DecodeOptions {
  format: 'xml' | 'json';
  /** 'auto' takes the input as hex when it holds only hex digits, separators and comments. */
  input: 'auto' | 'hex' | 'raw';
}

/** Hex text: digits, whitespace, '|', and '#' comments. Raw TTLV always has a NUL in its first header. */
export function looksLikeHex(input: Uint8Array): boolean {
  let comment = false;
  for (const c of input) {
    if (comment) {
      if (c === 0x0a) comment = false;
      continue;
    }
    if (c === 0x23) comment = true;
    else if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66) || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x7c)) return false;
  }
  return true;
}

export function toBytes(input: Uint8Array, mode: DecodeOptions['input']): Uint8Array {
  if (mode === 'raw' || (mode === 'auto' && !looksLikeHex(input))) return input;
  const text = new TextDecoder().decode(input);
  try {
    return parseHex(text);
  } catch (e) {
    if (e instanceof TtlvError) {
      const before = text.slice(0, e.offset);
      const line = before.split('\n').length;
      const col = e.offset - before.lastIndexOf('\n');
      throw new CliError(`hex input, line ${line}, column ${col}: ${e.detail}`);
    }
    throw e;
  }
}

/** Split a byte stream into its messages and decode each; errors name message, offset and tag. */
export function decodeSession(bytes: Uint8Array): TtlvItem[] {
  if (bytes.length === 0) throw new CliError('no input: expected TTLV as hex or raw bytes on standard input');
  const framer = new TtlvFramer();
  const items: TtlvItem[] = [];
  let messages: Uint8Array[];
  try {
    messages = framer.push(bytes);
    framer.end();
  } catch (e) {
    if (e instanceof TtlvError) {
      const start = framer.offset;
      throw ttlvFailure(e.shifted(-start), framer.count + 1, start);
    }
    throw e;
  }
  let start = 0;
  for (const [i, m] of messages.entries()) {
    try {
      items.push(decodeTtlv(m));
    } catch (e) {
      if (e instanceof TtlvError) throw ttlvFailure(e, i + 1, start);
      throw e;
    }
    start += m.length;
  }
  return items;
}

export function ttlvDecode(input: Uint8Array, opts: DecodeOptions): string {
  const items = decodeSession(toBytes(input, opts.input));
  const print = opts.format === 'json' ? toKmipJsonLine : toKmipXml;
  return (
    items
      .map((it, i) => {
        try {
          return print(it);
        } catch (e) {
          // e.g. a Text String with a control character XML 1.0 cannot carry.
          if (e instanceof KmipTextError) throw new CliError(`message ${i + 1}: ${e.message}`);
          throw e;
        }
      })
      .join('\n') + '\n'
  );
}
