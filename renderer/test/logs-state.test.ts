// The Logs screen's state with a fake client: the first page from logs.query,
// the live tail on top, pause/resume holding live records back without losing
// them, and the filters applied to live records as the engine's query applies
// them to stored ones.
import { describe, expect, it } from 'vitest';
import type { AuditEventRecord } from '../../shared/ipc/contract.js';
import type { LogRow } from '../../shared/ipc/calls/logs.js';
import { LOG_MAX_HELD, LogsState } from '../src/screens/ops/logs.svelte.js';
import { fakeClient } from './fake-client.js';

let n = 0;
function rec(over: Partial<AuditEventRecord> = {}): AuditEventRecord {
  n++;
  return {
    at: `2026-11-28T12:00:${String(n % 60).padStart(2, '0')}.000Z`,
    kind: 'request',
    client: 'app1',
    address: '10.0.0.5',
    operation: 'Get',
    objects: [`obj-${n}`],
    result: 'Success',
    reason: null,
    message: null,
    ...over,
  };
}

function setup(stored: LogRow[] = []) {
  const fake = fakeClient({ 'logs.query': () => ({ rows: stored, hasMore: false }) });
  const logs = new LogsState(fake.client);
  const stop = logs.connect();
  const push = (...records: AuditEventRecord[]) => fake.emit('audit.records', { records, dropped: 0 });
  return { fake, logs, stop, push };
}

const ops = (rows: readonly { operation: string | null }[]) => rows.map((r) => r.operation);

describe('LogsState', () => {
  it('loads the newest page, then puts live records on top, newest first', async () => {
    const { fake, logs, push } = setup([{ ...rec({ operation: 'Create' }), seq: 7 }]);
    await logs.load();
    expect(fake.calls).toEqual([{ name: 'logs.query', args: { limit: 100 } }]);
    expect(logs.rows.map((r) => r.key)).toEqual(['s7']);
    push(rec({ operation: 'Get' }), rec({ operation: 'Destroy' }));
    expect(ops(logs.rows)).toEqual(['Destroy', 'Get', 'Create']);
    expect(new Set(logs.rows.map((r) => r.key)).size).toBe(3);
  });

  it('paused, live records are held back, counted, and shown on resume in order', async () => {
    const { logs, push } = setup();
    await logs.load();
    push(rec({ operation: 'A' }));
    logs.pause();
    push(rec({ operation: 'B' }));
    push(rec({ operation: 'C' }), rec({ operation: 'D' }));
    expect(ops(logs.rows)).toEqual(['A']);
    expect(ops(logs.held)).toEqual(['D', 'C', 'B']);
    expect(logs.missed).toBe(0);
    logs.resume();
    expect(logs.paused).toBe(false);
    expect(logs.held).toEqual([]);
    expect(ops(logs.rows)).toEqual(['D', 'C', 'B', 'A']);
    push(rec({ operation: 'E' }));
    expect(ops(logs.rows)[0]).toBe('E');
  });

  it('holds at most LOG_MAX_HELD while paused and counts the rest as missed', () => {
    const { logs, fake } = setup();
    logs.pause();
    fake.emit('audit.records', { records: Array.from({ length: LOG_MAX_HELD + 7 }, () => rec()), dropped: 3 });
    expect(logs.held.length).toBe(LOG_MAX_HELD);
    expect(logs.missed).toBe(7 + 3);
  });

  it('live records go through the typed filters: client, operation, result', () => {
    const { logs, push } = setup();
    logs.client = ' app2 ';
    logs.result = 'failure';
    expect(logs.filter).toEqual({ client: 'app2', result: 'failure' });
    push(
      rec({ client: 'app1', result: 'OperationFailed', operation: 'one' }),
      rec({ client: 'app2', result: 'Success', operation: 'two' }),
      rec({ client: 'app2', result: 'OperationFailed', operation: 'three' }),
      rec({ client: 'app2', result: 'refused', operation: 'four' }),
    );
    expect(ops(logs.rows)).toEqual(['four', 'three']);
    logs.operation = 'three';
    push(rec({ client: 'app2', result: 'OperationFailed', operation: 'five' }), rec({ client: 'app2', result: 'OperationFailed', operation: 'three' }));
    expect(ops(logs.rows)).toEqual(['three', 'four', 'three']);
  });

  it('filters also apply to what is held while paused', () => {
    const { logs, push } = setup();
    logs.operation = 'Get';
    logs.pause();
    push(rec({ operation: 'Get' }), rec({ operation: 'Locate' }));
    expect(ops(logs.held)).toEqual(['Get']);
  });

  it('an impossible time range shows its problem, queries nothing and drops live records', async () => {
    const { fake, logs, push } = setup();
    logs.since = '2026-11-29T10:00';
    logs.until = '2026-11-28T10:00';
    expect(logs.problem?.key).toBe('forms.logTime.order');
    await logs.load();
    expect(fake.calls).toEqual([]);
    push(rec());
    expect(logs.rows).toEqual([]);
    logs.until = '';
    expect(logs.problem).toBeNull();
    await logs.load();
    expect(fake.calls[0]?.args).toMatchObject({ since: new Date('2026-11-29T10:00').toISOString(), limit: 100 });
  });

  it('a live record the query already returned is not shown twice', async () => {
    const r = rec({ operation: 'Register' });
    const { logs, push } = setup([{ ...r, seq: 1 }]);
    await logs.load();
    push({ ...r });
    expect(ops(logs.rows)).toEqual(['Register']);
  });

  it('a failed query keeps the error to show; stop() unsubscribes', async () => {
    const fake = fakeClient();
    const logs = new LogsState(fake.client);
    const stop = logs.connect();
    expect(fake.listenerCount('audit.records')).toBe(1);
    await logs.load();
    expect(logs.error).toEqual({ code: 'internal', message: 'The fake client has no answer for logs.query.' });
    expect(logs.loading).toBe(false);
    stop();
    expect(fake.listenerCount('audit.records')).toBe(0);
  });
});
