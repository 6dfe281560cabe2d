// What the configuration screens (Clients, Certificates, Policy, Backups,
// Settings) share: failures as plain {code, message}, field problems for the
// catalogue, and files given to or taken from the operator.
import type { FieldResult } from '../../../../shared/forms/fields.js';
import { t, type MessageKey } from '../../i18n/index.svelte.js';

export { download, readBytes, readText } from '../setup/download.js';
export { runAction, toIpcError } from '../action.js';

/** A field's problem as the catalogue shows it (forms.* keys), or undefined. */
export interface Problem {
  key: string;
  params: Readonly<Record<string, string | number>>;
}
export function problemOf<T>(r: FieldResult<T>): Problem | undefined {
  return r.ok ? undefined : { key: r.key, params: r.params };
}
/** A problem's text in the chosen language; '' when there is none. */
export const problemText = (p: Problem | undefined): string => (p === undefined ? '' : t(p.key as MessageKey, p.params));

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** A shortened SHA-256 for tables (the full one is in the title). */
export const shortFingerprint = (f: string): string => `${f.slice(0, 16)}…`;
export const day = (iso: string | null): string => (iso === null ? '—' : iso.slice(0, 10));
export const when = (iso: string | null): string => (iso === null ? '—' : new Date(iso).toLocaleString());
