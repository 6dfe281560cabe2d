// A component test: the Logs screen mounted with a fake KeyholdClient. It
// loads the log, shows live records, pauses and resumes from its buttons,
// and every string on it switches when the locale changes.
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEventRecord } from '../../shared/ipc/contract.js';
import { i18n } from '../src/i18n/index.svelte.js';
import Logs from '../src/screens/Logs.svelte';
import type { AdminState } from '../src/state.svelte.js';
import { fakeClient } from './fake-client.js';

const record = (operation: string, at: string): AuditEventRecord => ({
  at, kind: 'request', client: 'app1', address: '10.0.0.5', operation, objects: [], result: 'Success', reason: null, message: null,
});

function mountLogs() {
  const fake = fakeClient({
    'logs.query': () => ({ rows: [{ ...record('Create', '2026-11-28T10:00:00.000Z'), seq: 1 }], hasMore: false }),
  });
  render(Logs, { props: { client: fake.client, admin: {} as AdminState, params: [] } });
  return fake;
}

beforeEach(() => {
  i18n.set('en');
});
afterEach(() => {
  cleanup();
  i18n.set('en');
});

describe('Logs screen', () => {
  it('shows the stored page, then live records on top; pause holds them and resume shows the count', async () => {
    const fake = mountLogs();
    expect(await screen.findAllByTestId('log-row')).toHaveLength(1);
    expect(fake.listenerCount('audit.records')).toBe(1);

    fake.emit('audit.records', { records: [record('Get', '2026-11-28T10:00:05.000Z')], dropped: 0 });
    flushSync();
    expect(screen.getAllByTestId('log-operation').map((e) => e.textContent)).toEqual(['Get', 'Create']);

    await fireEvent.click(screen.getByTestId('logs-pause'));
    fake.emit('audit.records', { records: [record('Destroy', '2026-11-28T10:00:09.000Z'), record('Locate', '2026-11-28T10:00:10.000Z')], dropped: 0 });
    flushSync();
    expect(screen.getAllByTestId('log-row')).toHaveLength(2);
    expect(screen.getByTestId('logs-resume').textContent).toBe('Resume (2 waiting)');

    await fireEvent.click(screen.getByTestId('logs-resume'));
    expect(screen.getAllByTestId('log-operation').map((e) => e.textContent)).toEqual(['Locate', 'Destroy', 'Get', 'Create']);
  });

  it('typing a filter queries nothing and keeps one subscription; Apply queries once with the filter', async () => {
    const fake = mountLogs();
    await screen.findAllByTestId('log-row');
    const queries = () => fake.calls.filter((c) => c.name === 'logs.query');
    expect(queries()).toHaveLength(1);
    for (const value of ['a', 'ap', 'app1']) await fireEvent.input(screen.getByTestId('logs-client'), { target: { value } });
    flushSync();
    expect(queries()).toHaveLength(1);
    expect(fake.listenerCount('audit.records')).toBe(1);
    await fireEvent.click(screen.getByTestId('logs-apply'));
    expect(queries()).toHaveLength(2);
    expect((queries()[1]!.args as { client?: string }).client).toBe('app1');
  });

  it('switches its text when the locale changes, without a reload', async () => {
    mountLogs();
    await screen.findAllByTestId('log-row');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Logs');
    expect(screen.getByTestId('logs-pause').textContent).toBe('Pause');
    expect(screen.getByTestId('logs-apply').textContent).toBe('Apply filters');

    i18n.set('zh-CN');
    flushSync();
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('日志');
    expect(screen.getByTestId('logs-pause').textContent).toBe('暂停');
    expect(screen.getByTestId('logs-apply').textContent).not.toBe('Apply filters');
    expect(document.body.textContent).not.toContain('Pause');

    i18n.set('en');
    flushSync();
    expect(screen.getByTestId('logs-pause').textContent).toBe('Pause');
  });

  it('a time range that ends before it starts is refused as typed, in the chosen language', async () => {
    const fake = mountLogs();
    await screen.findAllByTestId('log-row');
    i18n.set('zh-CN');
    const [since, until] = document.querySelectorAll<HTMLInputElement>('input[type="datetime-local"]');
    await fireEvent.input(since!, { target: { value: '2026-11-29T10:00:00' } });
    await fireEvent.input(until!, { target: { value: '2026-11-28T10:00:00' } });
    expect(screen.getByRole('alert').textContent).toBe('时间范围的开始晚于结束：请交换两者或清空其一。');
    expect((screen.getByTestId('logs-apply') as HTMLButtonElement).disabled).toBe(true);
    // No query ever went out with the impossible range.
    expect(fake.calls.filter((c) => c.name === 'logs.query' && (c.args as { until?: string }).until !== undefined)).toEqual([]);
  });
});
