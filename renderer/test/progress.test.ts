// The Progress component (determinate bar with percentage and chunks, or
// indeterminate with the seconds elapsed; role progressbar with
// aria-valuenow) and ProgressTracker (follows only its own call's
// progressId, ends at done, goes away on failure, unsubscribes).
import { cleanup, render, screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import Progress from '../src/components/Progress.svelte';
import { i18n } from '../src/i18n/index.svelte.js';
import { ProgressTracker, type ProgressView } from '../src/progress.svelte.js';
import { fakeClient } from './fake-client.js';

beforeEach(() => i18n.set('en'));
afterEach(() => {
  cleanup();
  vi.useRealTimers();
  i18n.set('en');
});

const view = (v: Partial<ProgressView>): ProgressView => ({ operation: 'backup', stage: 'encrypt', done: 0, total: 10, startedAt: Date.now(), ...v });

describe('Progress', () => {
  it('a known total: a determinate bar with aria-valuenow, the percentage and the chunks', () => {
    render(Progress, { props: { view: view({ done: 4, total: 10 }) } });
    const bar = screen.getByRole('progressbar');
    expect(bar.getAttribute('aria-valuenow')).toBe('40');
    expect(bar.getAttribute('aria-valuemin')).toBe('0');
    expect(bar.getAttribute('aria-valuemax')).toBe('100');
    expect(bar.getAttribute('aria-label')).toBe('Backup: Encrypting');
    expect(screen.getByTestId('progress-detail').textContent).toBe('40% · 4 of 10 chunks');
    expect((bar.querySelector('.fill') as HTMLElement).style.width).toBe('40%');
  });

  it('done: 100%, and no longer busy', () => {
    render(Progress, { props: { view: view({ stage: 'done', done: 1, total: 1 }) } });
    const bar = screen.getByRole('progressbar');
    expect(bar.getAttribute('aria-valuenow')).toBe('100');
    expect(bar.getAttribute('aria-busy')).toBe('false');
    expect(screen.getByTestId('progress-detail').textContent).toBe('100%');
    expect(screen.getByTestId('progress').dataset.stage).toBe('done');
  });

  it('no total (key generation): indeterminate, no aria-valuenow, the seconds elapsed ticking; in Chinese too', () => {
    vi.useFakeTimers();
    const startedAt = Date.now() - 3_000;
    render(Progress, { props: { view: view({ operation: 'keygen', stage: 'generate-key', total: null, startedAt }) } });
    const bar = screen.getByRole('progressbar');
    expect(bar.hasAttribute('aria-valuenow')).toBe(false);
    expect(bar.querySelector('.indeterminate')).not.toBeNull();
    expect(bar.getAttribute('aria-label')).toBe('Key generation: Generating the key');
    expect(screen.getByTestId('progress-detail').textContent).toBe('3 s');
    vi.advanceTimersByTime(2_000);
    flushSync();
    expect(screen.getByTestId('progress-detail').textContent).toBe('5 s');
    i18n.set('zh-CN');
    flushSync();
    expect(bar.getAttribute('aria-label')).toBe('密钥生成：正在生成密钥');
    expect(screen.getByTestId('progress-detail').textContent).toBe('5 秒');
  });
});

describe('ProgressTracker', () => {
  it("follows its own call's id only, ends at done, and unsubscribes", async () => {
    const fake = fakeClient();
    const tracker = new ProgressTracker(fake.client);
    let finish!: (v: string) => void;
    let id = '';
    const running = tracker.run('backup', (progressId) => {
      id = progressId;
      return new Promise<string>((r) => (finish = r));
    });
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(tracker.view).toMatchObject({ operation: 'backup', stage: 'snapshot', total: null });
    fake.emit('progress.update', { id: 'someone-elses-call', operation: 'restore', stage: 'swap', done: 0, total: null });
    expect(tracker.view?.stage).toBe('snapshot');
    fake.emit('progress.update', { id, operation: 'backup', stage: 'encrypt', done: 3, total: 8 });
    expect(tracker.view).toMatchObject({ stage: 'encrypt', done: 3, total: 8 });
    finish('ok');
    expect(await running).toBe('ok');
    expect(tracker.view).toMatchObject({ stage: 'done', done: 1, total: 1 });
    expect(fake.listenerCount('progress.update')).toBe(0);
    // A late event of the finished call changes nothing.
    fake.emit('progress.update', { id, operation: 'backup', stage: 'verify', done: 1, total: 8 });
    expect(tracker.view?.stage).toBe('done');
  });

  it('a failed call leaves no progress on screen (the error says why)', async () => {
    const fake = fakeClient();
    const tracker = new ProgressTracker(fake.client);
    await expect(tracker.run('verify', () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(tracker.view).toBeNull();
    expect(fake.listenerCount('progress.update')).toBe(0);
  });
});
