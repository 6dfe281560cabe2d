// Pure helpers of the operational screens (Dashboard, Keys, Logs): which key
// actions the UI offers in which state (the same rules the engine enforces,
// main/kmip/operations/activate.ts, revoke.ts, destroy.ts: the engine still
// decides), the requests/s series and its SVG path, and time formatting for
// the filters. No Svelte, no DOM: unit-tested with node:test.
import { REVOCATION_REASONS, type RevocationReason } from '../../../../shared/ipc/calls/keys.js';

export type KeyAction = 'activate' | 'revoke' | 'destroy' | 'restore';

const COMPROMISE: readonly RevocationReason[] = ['KeyCompromise', 'CACompromise'];

/** The actions that can succeed for an object in this state. */
export function availableActions(state: string, restorable: boolean): KeyAction[] {
  const out: KeyAction[] = [];
  if (state === 'PreActive') out.push('activate');
  if (['PreActive', 'Active', 'Deactivated', 'Destroyed'].includes(state)) out.push('revoke');
  if (['PreActive', 'Deactivated', 'Compromised'].includes(state)) out.push('destroy');
  if (restorable) out.push('restore');
  return out;
}

/** Revocation reasons that can succeed: only Active objects take a reason other than a compromise. */
export function revocationReasons(state: string): readonly RevocationReason[] {
  return state === 'Active' ? REVOCATION_REASONS : COMPROMISE;
}

/** Requests per second for the `width` seconds up to and including nowSec (oldest first). */
export function rateSeries(counts: ReadonlyMap<number, number>, nowSec: number, width: number): number[] {
  const out: number[] = [];
  for (let s = nowSec - width + 1; s <= nowSec; s++) out.push(counts.get(s) ?? 0);
  return out;
}

/** Drops the buckets older than the window (keeps the map small). */
export function pruneCounts(counts: Map<number, number>, nowSec: number, width: number): void {
  for (const s of counts.keys()) if (s <= nowSec - width) counts.delete(s);
}

/** An SVG polyline's points for values in a w×h box (y grows downwards; the top is the larger of max and 1). */
export function sparklinePoints(values: readonly number[], w: number, h: number): string {
  if (values.length === 0) return '';
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? w / (values.length - 1) : 0;
  return values.map((v, i) => `${(i * step).toFixed(1)},${(h - (v / max) * h).toFixed(1)}`).join(' ');
}

/** A datetime-local input's value (local time) as UTC ISO 8601, or undefined when empty or unreadable. */
export function localToIso(value: string): string | undefined {
  if (value.trim() === '') return undefined;
  const t = new Date(value).getTime();
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** "3 d 4 h", "5 h 2 min", "42 s": an uptime in at most two units (numbers only; the units come from the catalogue). */
export function uptimeParts(ms: number): { d: number; h: number; m: number; s: number } {
  const total = Math.max(0, Math.floor(ms / 1000));
  return { d: Math.floor(total / 86_400), h: Math.floor((total % 86_400) / 3600), m: Math.floor((total % 3600) / 60), s: total % 60 };
}

/** "127.0.0.1:5696" or "[::1]:5696" → address and port. */
export function splitEndpoint(endpoint: string): { address: string; port: string } {
  const m = /^(.*):(\d+)$/.exec(endpoint);
  return m ? { address: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: m[2]! } : { address: endpoint, port: '' };
}
