// `keyhold ttlv decode`: TTLV (hex text or raw bytes, one message or a whole
// captured session) → KMIP XML, or one JSON document per line.
//
// Messages are printed as they are decoded, so a fault in message 57 of a
// capture still shows the 56 before it; the fault is then the one error line.
import { toKmipJsonLine } from '../../shared/kmip/json/index.js';
import { TtlvError, TtlvFramer, decodeTtlv, parseHex } from '../../shared/kmip/ttlv/index.js';
import { KmipTextError, toKmipXml } from '../../shared/kmip/xml/index.js';
import { ttlvFailure } from './describe.js';
import { CliError } from './errors.js';

export interface DecodeOptions {
  format: 'xml' | 'json';
  /** 'auto' takes printable text as hex and anything else as raw bytes. */
  input: 'auto' | 'hex' | 'raw';
}

/**
 * Raw TTLV always holds bytes below 0x20: every item header has its type byte
 * (0x01–0x0B) and the high byte of its length. Printable text (with tabs and
 * line ends) is therefore hex, and a stray character in it is reported as
 * such, with its line and column, rather than read as a nonsense tag.
 */
export function looksLikeText(input: Uint8Array): boolean {
  for (const c of input) {
    if (c < 0x20 ? c !== 0x09 && c !== 0x0a && c !== 0x0d : c > 0x7e) return false;
  }
  return true;
}

export function toBytes(input: Uint8Array, mode: DecodeOptions['input']): Uint8Array {
  if (mode === 'raw' || (mode === 'auto' && !looksLikeText(input))) return input;
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

/** Decode a session and write each message as soon as it is decoded. */
export function ttlvDecode(input: Uint8Array, opts: DecodeOptions, write: (text: string) => void): void {
  const bytes = toBytes(input, opts.input);
  if (bytes.length === 0) throw new CliError('no input: expected TTLV as hex or raw bytes on standard input');
  const print = opts.format === 'json' ? toKmipJsonLine : toKmipXml;
  const framer = new TtlvFramer();
  framer.feed(bytes);
  for (;;) {
    const index = framer.count + 1;
    const start = framer.offset;
    let message: Uint8Array | undefined;
    try {
      message = framer.next();
      if (message === undefined) {
        framer.end();
        return;
      }
      write(print(decodeTtlv(message)) + '\n');
    } catch (e) {
      if (e instanceof TtlvError) throw ttlvFailure(message === undefined ? e.shifted(-start) : e, index, start);
      // e.g. a Text String with a control character XML 1.0 cannot carry.
      if (e instanceof KmipTextError) throw new CliError(`message ${index}: ${e.message}`);
      throw e;
    }
  }
}
