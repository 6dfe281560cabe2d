// Subject patterns for clients recognised by a trusted client CA: which of
// the CA's certificates belong to which client.
//
//   CN=esx-*.corp.example, O=Corp      every listed attribute must match
//   *                                  any certificate the CA issued
//
// `*` matches any run of characters; attribute names (CN, O, OU, L, ST, C,
// emailAddress…) and values compare without regard to case, as distinguished
// names do in practice; `\,` is a literal comma. A pattern that names an
// attribute the certificate lacks does not match.

export interface SubjectPattern {
  readonly text: string;
  /** Attribute name (upper case) → value regexes; empty: any subject. */
  readonly parts: readonly { attr: string; value: RegExp }[];
}

/** Node's subject object: attribute → value, or values when repeated. */
export type Subject = Readonly<Record<string, string | readonly string[] | undefined>>;

const escapeRe = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

export function parseSubjectPattern(text: string): SubjectPattern {
  const t = text.trim();
  if (t === '') throw new Error('the subject pattern is empty: give e.g. "CN=esx-*.corp.example" or "*" for any certificate of the CA');
  if (t === '*') return { text: t, parts: [] };
  const parts: { attr: string; value: RegExp }[] = [];
  for (const raw of t.split(/(?<!\\),/)) {
    const piece = raw.trim().replace(/\\,/g, ',');
    const eq = piece.indexOf('=');
    const attr = eq < 0 ? '' : piece.slice(0, eq).trim();
    const value = eq < 0 ? '' : piece.slice(eq + 1).trim();
    if (!/^[A-Za-z][A-Za-z0-9.]*$/.test(attr) || value === '') {
      throw new Error(`"${piece}" in the subject pattern is not ATTRIBUTE=VALUE (e.g. CN=esx-*.corp.example)`);
    }
    parts.push({ attr: attr.toUpperCase(), value: new RegExp(`^${value.split('*').map(escapeRe).join('.*')}$`, 'is') });
  }
  return { text: t, parts };
}

export function subjectMatches(pattern: SubjectPattern, subject: Subject): boolean {
  const byAttr = new Map<string, string[]>();
  for (const [k, v] of Object.entries(subject)) {
    if (v === undefined) continue;
    const list = byAttr.get(k.toUpperCase()) ?? [];
    list.push(...(typeof v === 'string' ? [v] : v));
    byAttr.set(k.toUpperCase(), list);
  }
  return pattern.parts.every((p) => (byAttr.get(p.attr) ?? []).some((v) => p.value.test(v)));
}

/** "CN=a, O=b" from Node's subject object, for messages. */
export function formatSubject(subject: Subject): string {
  return Object.entries(subject)
    .flatMap(([k, v]) => (v === undefined ? [] : (typeof v === 'string' ? [v] : v).map((x) => `${k}=${x}`)))
    .join(', ');
}
