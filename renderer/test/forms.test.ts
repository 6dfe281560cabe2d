// The shared field validators as a form shows them: a problem is a catalogue
// key plus params, and the text the form shows is t(key, params) in the
// chosen language; in English that is the same sentence the handlers throw.
import { describe, expect, it } from 'vitest';
import { checkClientName, checkDays, checkIpList, checkPort, type FieldResult } from '../../shared/forms/fields.js';
import { checkSchedule } from '../../shared/forms/schedule.js';
import { logFilterProblem } from '../../shared/forms/log-filters.js';
import { translate } from '../src/i18n/index.svelte.js';

function refused<T>(r: FieldResult<T>) {
  if (r.ok) throw new Error(`expected a problem, got ${JSON.stringify(r.value)}`);
  return r;
}

describe('field validators in the UI', () => {
  it('a bad port: key, params, and the same sentence in English; the value quoted in Chinese', () => {
    const p = refused(checkPort('70000'));
    expect(p.key).toBe('forms.port.invalid');
    expect(p.params).toEqual({ value: '70000' });
    expect(translate('en', p.key, p.params)).toBe(p.message);
    expect(p.message).toBe('"70000" is not a port: give a whole number from 1 to 65535.');
    const zh = translate('zh-CN', p.key, p.params);
    expect(zh).toContain('70000');
    expect(zh).not.toBe(p.message);
    expect(zh).not.toMatch(/\{\w+\}/);
  });

  it('accepts and normalises what is valid', () => {
    expect(checkPort(' 5696 ')).toEqual({ ok: true, value: 5696 });
    expect(checkClientName('  app-01.prod ')).toEqual({ ok: true, value: 'app-01.prod' });
    expect(checkIpList('10.0.0.5, 10.0.0.0/8 ::ffff:192.168.1.1')).toEqual({ ok: true, value: { entries: ['10.0.0.5', '10.0.0.0/8', '192.168.1.1'], wide: ['10.0.0.0/8'] } });
    expect(checkIpList('any')).toEqual({ ok: true, value: { entries: [], wide: [] } });
  });

  it('an empty client name and a bad one are told apart', () => {
    expect(refused(checkClientName('   ')).key).toBe('forms.clientName.empty');
    const bad = refused(checkClientName('a b'));
    expect(bad.key).toBe('forms.clientName.invalid');
    expect(translate('en', bad.key, bad.params)).toContain('"a b" is not a client name');
  });

  it('a long hostile value is cut back in the message', () => {
    const p = refused(checkClientName('x'.repeat(500) + ' '));
    const text = translate('en', p.key, p.params);
    expect(text.length).toBeLessThan(200);
    expect(String(p.params.value)).toMatch(/…$/);
  });

  it('days carry their range as params, filled in both languages', () => {
    const p = refused(checkDays('0', 1, 825));
    expect(p.key).toBe('forms.days.invalid');
    expect(p.params).toEqual({ value: '0', min: 1, max: 825 });
    expect(translate('en', p.key, p.params)).toBe('"0" is not a number of days: give a whole number from 1 to 825.');
    expect(translate('zh-CN', p.key, p.params)).toMatch(/1.*825/);
  });

  it('an address range with a bad prefix names the largest prefix', () => {
    const p = refused(checkIpList('10.0.0.0/33'));
    expect(p.key).toBe('forms.ip.prefix');
    expect(p.params).toMatchObject({ max: 32 });
  });

  it('the backup schedule', () => {
    expect(checkSchedule('Daily at 2:30')).toEqual({ ok: true, value: { kind: 'daily', hour: 2, minute: 30 } });
    const p = refused(checkSchedule('daily at 25:00'));
    expect(p.key).toBe('forms.schedule.time');
    expect(translate('en', p.key, p.params)).toBe('"25:00" is not a time of day (00:00 to 23:59)');
  });

  it('log filter times: a key the screen shows, the sentence the handler throws', () => {
    expect(logFilterProblem({ since: '2026-11-28', until: '2026-11-29T10:00:00Z' })).toBeNull();
    const order = logFilterProblem({ since: '2026-11-29', until: '2026-11-28' });
    expect(order?.key).toBe('forms.logTime.order');
    expect(translate('en', order!.key)).toBe(order!.message);
    expect(logFilterProblem({ since: 'yesterday' })?.key).toBe('forms.logTime.invalid');
  });
});
