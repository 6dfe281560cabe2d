// Field validators of the configuration forms (clients, certificates, backups,
// settings, policy), shared by the admin handlers in main/ and the renderer's
// forms, so both accept and refuse the same input with the same sentence.
//
// Each returns a FieldResult: the normalised value, or a problem with a
// message key (renderer catalogue `forms.*`, English text in FORM_MESSAGES_EN
// below) and its params. `message` is the English sentence, which the handlers
// throw and the CLI prints.
import { FORM_MESSAGES_EN, type FormMessageKey } from './messages.js';

export type FieldProblem = { ok: false; key: FormMessageKey; params: Readonly<Record<string, string | number>>; message: string };
export type FieldResult<T> = { ok: true; value: T } | FieldProblem;

export function problem(key: FormMessageKey, params: Record<string, string | number> = {}): FieldProblem {
  const message = FORM_MESSAGES_EN[key].replace(/\{(\w+)\}/g, (m, n: string) => (Object.hasOwn(params, n) ? String(params[n]) : m));
  return { ok: false, key, params, message };
}
const ok = <T>(value: T): FieldResult<T> => ({ ok: true, value });

/** Cuts what a message quotes back, so a hostile value cannot flood it. */
export const quote = (s: string): string => (s.length > 60 ? `${s.slice(0, 57)}…` : s);

// --- client name ----------------------------------------------------------------

/** The client name rule of the internal CA (main/pki/issue.ts uses this pattern). */
export const CLIENT_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export function checkClientName(text: string): FieldResult<string> {
  const name = text.trim();
  if (name === '') return problem('forms.clientName.empty');
  if (!CLIENT_NAME_PATTERN.test(name)) return problem('forms.clientName.invalid', { value: quote(name) });
  return ok(name);
}

// --- IP addresses and ranges -------------------------------------------------------

export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

export function isIPv6(s: string): boolean {
  if (s.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(s)) return false;
  let body = s;
  let slots = 8;
  if (s.includes('.')) {
    // An IPv4 tail (::ffff:10.0.0.1) stands for the last two groups.
    const i = s.lastIndexOf(':');
    if (i < 0 || !isIPv4(s.slice(i + 1))) return false;
    body = s.slice(0, i + 1);
    if (!body.endsWith('::')) body = body.slice(0, -1);
    slots = 6;
  }
  const halves = body.split('::');
  if (halves.length > 2) return false;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const all = halves.flatMap(groups);
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? all.length < slots : all.length === slots;
}

export interface IpEntry {
  /** The address part, IPv4-mapped IPv6 unmapped to IPv4. */
  address: string;
  family: 'ipv4' | 'ipv6';
  /** 32 / 128 for a single address. */
  prefix: number;
  /** As stored: the address, or address/prefix for a range. */
  text: string;
}

/** One address or CIDR range (10.0.0.5, 10.0.0.0/24, 2001:db8::/48). */
export function checkIpEntry(raw: string): FieldResult<IpEntry> {
  const text = raw.trim();
  const [addrText = '', prefixText, extra] = text.split('/');
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addrText);
  const address = m ? m[1]! : addrText;
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (family === undefined || extra !== undefined) return problem('forms.ip.invalid', { value: quote(raw) });
  const max = family === 'ipv4' ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return problem('forms.ip.prefix', { value: quote(raw), max });
    prefix = Number(prefixText);
  }
  return ok({ address, family, prefix, text: prefix === max ? address : `${address}/${prefix}` });
}

/** Ranges wider than these are allowed but warned about: /16 of IPv4, /48 of IPv6. */
export const WIDE_PREFIX = { ipv4: 16, ipv6: 48 } as const;

/**
 * A list of addresses and ranges, separated by commas, spaces or new lines;
 * empty (or the word "any"): any address. `wide` lists the entries wider than
 * WIDE_PREFIX, for a warning.
 */
export function checkIpList(text: string | readonly string[]): FieldResult<{ entries: string[]; wide: string[] }> {
  const items = typeof text === 'string' ? (text.trim().toLowerCase() === 'any' ? [] : text.split(/[\s,]+/)) : [...text];
  const entries: string[] = [];
  const wide: string[] = [];
  if (items.length > 1000) return problem('forms.ip.tooMany', { max: 1000 });
  for (const item of items) {
    if (item.trim() === '') continue;
    const r = checkIpEntry(item);
    if (!r.ok) return r;
    entries.push(r.value.text);
    if (r.value.prefix < WIDE_PREFIX[r.value.family]) wide.push(r.value.text);
  }
  return ok({ entries, wide });
}

// --- ports, names, days ------------------------------------------------------------

/** A TCP port to listen on, 1 to 65535 (text from a form or a number). */
export function checkPort(v: string | number): FieldResult<number> {
  const text = String(v).trim();
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) return problem('forms.port.invalid', { value: quote(text) });
  return ok(Number(text));
}

/** The server's name: letters, digits and underscore, 1 to 64. */
export const SERVER_NAME_PATTERN = /^[A-Za-z0-9_]{1,64}$/;
export function checkServerName(text: string): FieldResult<string> {
  const name = text.trim();
  if (name === '') return problem('forms.serverName.empty');
  if (!SERVER_NAME_PATTERN.test(name)) return problem('forms.serverName.invalid', { value: quote(name) });
  return ok(name);
}

/** A whole number of days from min to max (lifetimes, retention, certificate validity). */
export function checkDays(v: string | number, min: number, max: number): FieldResult<number> {
  const text = String(v).trim();
  if (!/^\d{1,6}$/.test(text) || Number(text) < min || Number(text) > max) return problem('forms.days.invalid', { value: quote(text), min, max });
  return ok(Number(text));
}

/** A one-line description of at most 200 characters (as `client add --description`). */
export function checkDescription(text: string): FieldResult<string> {
  if (text.length > 200 || /[\u0000-\u001f\u007f]/.test(text)) return problem('forms.description.invalid', { max: 200 });
  return ok(text.trim());
}

/** A DNS name for a certificate (host.example.com, *.example.com). */
const DNS_NAME = /^(?=.{1,253}$)(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;
export function checkDnsList(text: string | readonly string[]): FieldResult<string[]> {
  const items = (typeof text === 'string' ? text.split(/[\s,]+/) : [...text]).map((s) => s.trim()).filter((s) => s !== '');
  if (items.length > 100) return problem('forms.dns.tooMany', { max: 100 });
  for (const d of items) if (!DNS_NAME.test(d)) return problem('forms.dns.invalid', { value: quote(d) });
  return ok(items);
}

/** A list of single addresses (no ranges), for certificate SANs. */
export function checkAddressList(text: string | readonly string[]): FieldResult<string[]> {
  const items = (typeof text === 'string' ? text.split(/[\s,]+/) : [...text]).map((s) => s.trim()).filter((s) => s !== '');
  if (items.length > 100) return problem('forms.ip.tooMany', { max: 100 });
  const out: string[] = [];
  for (const a of items) {
    const r = checkIpEntry(a);
    if (!r.ok) return r;
    if (a.includes('/')) return problem('forms.ip.noRange', { value: quote(a) });
    out.push(r.value.address);
  }
  return ok(out);
}

/** A passphrase for PKCS#12 bundles: at least 8 characters (as `client add --pkcs12`). */
export function checkP12Passphrase(text: string): FieldResult<string> {
  if (text.length < 8 || text.length > 1024) return problem('forms.p12.short', { min: 8 });
  return ok(text);
}
