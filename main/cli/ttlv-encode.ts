// `keyhold ttlv encode`: KMIP XML or JSON (one or more messages) → one line of
// hex per message. The inverse of `ttlv decode`, byte for byte.
import { parseKmipJson } from '../../shared/kmip/json/index.js';
import { KmipTextError } from '../../shared/kmip/text/index.js';
import { TtlvError, encodeTtlv, toHex, type TtlvItem } from '../../shared/kmip/ttlv/index.js';
import { parseKmipXml } from '../../shared/kmip/xml/index.js';
import { describeTag } from './describe.js';
import { CliError } from './errors.js';

/**
 * The operator's own file, not a peer's message: room for a whole captured
 * session in text form (each message may be up to the TTLV default of 4 MiB,
 * and hex doubles its bytes), while a runaway input still stops.
 */
const TEXT_LIMITS = { maxMessageSize: 64 * 1024 * 1024, maxItems: 2_000_000 } as const;

export interface EncodeOptions {
  /** 'auto' picks XML when the text starts with '<', JSON otherwise. */
  format: 'auto' | 'xml' | 'json';
}

/** Run `parse`, turning a text-encoding failure into the operator's line, prefixed with `what`. */
function parsing<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof KmipTextError) throw new CliError(`${what}: ${e.message}`);
    throw e;
  }
}

/** JSON input: one array of messages, one message, or one message per line. */
function parseJsonMessages(text: string): TtlvItem[] {
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    whole = undefined;
  }
  if (Array.isArray(whole)) return whole.map((m, i) => parsing(`message ${i + 1} (array element ${i})`, () => parseKmipJson(m as object, TEXT_LIMITS)));
  if (whole !== undefined) return [parsing('message 1', () => parseKmipJson(whole as object, TEXT_LIMITS))];
  const out: TtlvItem[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    out.push(parsing(`message ${out.length + 1} (line ${i + 1})`, () => parseKmipJson(line, TEXT_LIMITS)));
  }
  return out;
}

function decodeUtf8(input: Uint8Array): string {
  try {
    // Fatal: invalid UTF-8 must not become U+FFFD in a Text String unnoticed.
    return new TextDecoder('utf-8', { fatal: true }).decode(input).replace(/^\uFEFF/, '');
  } catch {
    throw new CliError('input is not valid UTF-8');
  }
}

export function ttlvEncode(input: Uint8Array, opts: EncodeOptions, write: (text: string) => void): void {
  const text = decodeUtf8(input);
  if (text.trim() === '') throw new CliError('no input: expected KMIP XML or JSON on standard input');
  const format = opts.format === 'auto' ? (text.trimStart().startsWith('<') ? 'xml' : 'json') : opts.format;
  // XML errors carry their line and column, which locate the message too.
  const items = format === 'xml' ? parsing('XML input', () => parseKmipXml(text, TEXT_LIMITS)) : parseJsonMessages(text);
  if (items.length === 0) throw new CliError(`no KMIP message found in the ${format.toUpperCase()} input`);
  for (const [i, it] of items.entries()) {
    try {
      write(toHex(encodeTtlv(it)) + '\n');
    } catch (e) {
      if (e instanceof TtlvError) {
        throw new CliError(`message ${i + 1}${e.tag === undefined ? '' : `, tag ${describeTag(e.tag)}`}: ${e.detail} [${e.code}]`);
      }
      throw e;
    }
  }
}
