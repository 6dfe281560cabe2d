// `keyhold ttlv encode`: KMIP XML or JSON (one or more messages) → one line of
// hex per message. The inverse of `ttlv decode`, byte for byte.
import { parseKmipJson } from '../../shared/kmip/json/index.js';
import { TtlvError, encodeTtlv, toHex, type TtlvItem } from '../../shared/kmip/ttlv/index.js';
import { parseKmipXml } from '../../shared/kmip/xml/index.js';
import { describeTag } from './describe.js';
import { CliError } from './errors.js';

export interface EncodeOptions {
  /** 'auto' picks XML when the text starts with '<', JSON otherwise. */
  format: 'auto' | 'xml' | 'json';
}

/** JSON input: one array of messages, one message, or one message per line. */
function parseJsonMessages(text: string): TtlvItem[] {
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    whole = undefined;
  }
  if (Array.isArray(whole)) return whole.map((m) => parseKmipJson(m as object));
  if (whole !== undefined) return [parseKmipJson(whole as object)];
  const out: TtlvItem[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    try {
      out.push(parseKmipJson(line));
    } catch (e) {
      throw new CliError(`JSON input, line ${i + 1}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return out;
}

export function ttlvEncode(input: Uint8Array, opts: EncodeOptions): string {
  const text = new TextDecoder().decode(input).replace(/^\uFEFF/, '');
  if (text.trim() === '') throw new CliError('no input: expected KMIP XML or JSON on standard input');
  const format = opts.format === 'auto' ? (text.trimStart().startsWith('<') ? 'xml' : 'json') : opts.format;
  const items = format === 'xml' ? parseKmipXml(text) : parseJsonMessages(text);
  if (items.length === 0) throw new CliError(`no KMIP message found in the ${format.toUpperCase()} input`);
  return (
    items
      .map((it, i) => {
        try {
          return toHex(encodeTtlv(it));
        } catch (e) {
          if (e instanceof TtlvError) {
            throw new CliError(`message ${i + 1}${e.tag === undefined ? '' : `, tag ${describeTag(e.tag)}`}: ${e.detail} [${e.code}]`);
          }
          throw e;
        }
      })
      .join('\n') + '\n'
  );
}
