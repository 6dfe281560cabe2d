// Flatten an OASIS spec HTML edition (Word "Save as HTML") into the text layout
// the spec parsers read: one line per paragraph or table cell, the source's own
// line breaks kept. Used only by derive-versions.ts, for the older editions
// that are not in the reference folder as text.

const BLOCK = /^(?:p|div|td|th|tr|h[1-6]|li|br|table|title)$/i;

const NAMED_ENTITIES: Record<string, string> = {
  nbsp: '\u00a0',
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  ndash: '\u2013',
  mdash: '\u2014',
  lsquo: '\u2018',
  rsquo: '\u2019',
  ldquo: '\u201c',
  rdquo: '\u201d',
  middot: '\u00b7',
  bull: '\u2022',
  hellip: '\u2026',
  copy: '\u00a9',
  reg: '\u00ae',
  trade: '\u2122',
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return String.fromCodePoint(code);
    }
    return NAMED_ENTITIES[e.toLowerCase()] ?? whole;
  });
}

/** windows-1252 bytes 0x80–0x9F (Node's decoder may treat the encoding as Latin-1 and map them to C1 controls). */
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/** Bytes of an HTML file → text. Word declares windows-1252; a file that is valid UTF-8 is read as such. */
export function decodeHtml(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    let text = '';
    for (const b of bytes) text += b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80] : String.fromCharCode(b);
    return text;
  }
}

export function htmlToText(html: string): string {
  const body = html
    .replace(/\r/g, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(style|script)\b[\s\S]*?<\/\1\s*>/gi, '');
  const out: string[] = [];
  let cell = '';
  const flush = (): void => {
    for (const line of decodeEntities(cell).split('\n')) {
      const t = line.replace(/[ \t]+/g, ' ');
      if (t.trim() !== '') out.push(t);
    }
    cell = '';
  };
  for (const part of body.split(/(<[^>]*>)/)) {
    if (part.startsWith('<')) {
      const name = /^<\/?\s*([a-z0-9]+)/i.exec(part)?.[1];
      if (name !== undefined && BLOCK.test(name)) flush();
    } else {
      cell += part;
    }
  }
  flush();
  return out.join('\n') + '\n';
}
