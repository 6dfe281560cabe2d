// The backup schedule as text an operator can read and type:
//   off | daily at HH:MM | weekly on DAY at HH:MM | every N hours
// Times are the server's local time. main/backup/settings.ts parses backup.json
// with these; the backup forms check as you type with the same function.
import { problem, quote, type FieldResult } from './fields.js';

export type Schedule =
  | { kind: 'off' }
  | { kind: 'daily'; hour: number; minute: number }
  | { kind: 'weekly'; day: number; hour: number; minute: number }
  | { kind: 'hours'; every: number };

export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;

export function checkSchedule(text: string): FieldResult<Schedule> {
  const t = text.trim().toLowerCase().replace(/\s+/g, ' ');
  if (t === 'off' || t === 'none') return { ok: true, value: { kind: 'off' } };
  const time = (hh: string, mm: string): FieldResult<{ hour: number; minute: number }> => {
    const hour = Number(hh);
    const minute = Number(mm);
    if (hour > 23 || minute > 59) return problem('forms.schedule.time', { value: `${hh}:${mm}` });
    return { ok: true, value: { hour, minute } };
  };
  let m = /^daily at (\d{1,2}):(\d{2})$/.exec(t);
  if (m) {
    const at = time(m[1]!, m[2]!);
    return at.ok ? { ok: true, value: { kind: 'daily', ...at.value } } : at;
  }
  m = /^weekly on ([a-z]+) at (\d{1,2}):(\d{2})$/.exec(t);
  if (m) {
    const name = m[1]!;
    const day = WEEKDAYS.findIndex((d) => d === name || d.slice(0, 3) === name);
    if (day < 0) return problem('forms.schedule.day', { value: quote(name) });
    const at = time(m[2]!, m[3]!);
    return at.ok ? { ok: true, value: { kind: 'weekly', day, ...at.value } } : at;
  }
  m = /^every (\d{1,4}) hours?$/.exec(t);
  if (m) {
    const every = Number(m[1]);
    if (every < 1 || every > 24 * 31) return problem('forms.schedule.hours');
    return { ok: true, value: { kind: 'hours', every } };
  }
  return problem('forms.schedule.invalid', { value: quote(text) });
}

const two = (n: number) => String(n).padStart(2, '0');

export function formatSchedule(s: Schedule): string {
  switch (s.kind) {
    case 'off': return 'off';
    case 'daily': return `daily at ${two(s.hour)}:${two(s.minute)}`;
    case 'weekly': return `weekly on ${WEEKDAYS[s.day]} at ${two(s.hour)}:${two(s.minute)}`;
    case 'hours': return `every ${s.every} hour${s.every === 1 ? '' : 's'}`;
  }
}
