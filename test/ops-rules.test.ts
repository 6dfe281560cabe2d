// The pure helpers of the Dashboard, Keys and Logs screens
// (renderer/src/screens/ops/rules.ts): the actions offered per state agree
// with what the engine accepts (checked against the KMIP handlers' rules in
// test/admin-keys.test.ts), the requests/s series and its sparkline, and the
// time and endpoint helpers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { availableActions, localToIso, pruneCounts, rateSeries, revocationReasons, sparklinePoints, splitEndpoint, uptimeParts } from '../renderer/src/screens/ops/rules.js';
import { logFilterProblem, matchesLogFilter } from '../shared/forms/log-filters.js';

test('actions per state follow the KMIP lifecycle', () => {
  assert.deepEqual(availableActions('PreActive', false), ['activate', 'revoke', 'destroy']);
  assert.deepEqual(availableActions('Active', false), ['revoke']);
  assert.deepEqual(availableActions('Deactivated', false), ['revoke', 'destroy']);
  assert.deepEqual(availableActions('Compromised', false), ['destroy']);
  assert.deepEqual(availableActions('Destroyed', true), ['revoke', 'restore']);
  assert.deepEqual(availableActions('DestroyedCompromised', false), []);
  assert.deepEqual(revocationReasons('Active').length, 7);
  assert.deepEqual(revocationReasons('PreActive'), ['KeyCompromise', 'CACompromise']);
});

test('requests per second: one bucket a second, oldest first, old buckets pruned', () => {
  const counts = new Map([[98, 5], [100, 2], [101, 7]]);
  assert.deepEqual(rateSeries(counts, 101, 4), [5, 0, 2, 7]);
  assert.deepEqual(rateSeries(counts, 101, 3), [0, 2, 7]);
  pruneCounts(counts, 101, 3);
  assert.deepEqual([...counts.keys()], [100, 101]);
  assert.equal(sparklinePoints([0, 5, 10], 100, 20), '0.0,20.0 50.0,10.0 100.0,0.0');
  assert.equal(sparklinePoints([0, 0], 10, 10), '0.0,10.0 10.0,10.0', 'a flat line at the bottom, no division by zero');
  assert.equal(sparklinePoints([], 10, 10), '');
});

test('times, uptime and endpoints', () => {
  assert.equal(localToIso(''), undefined);
  assert.equal(localToIso('not a time'), undefined);
  assert.match(localToIso('2026-11-28T17:00')!, /^2026-11-2\dT\d{2}:00:00\.000Z$/);
  assert.deepEqual(uptimeParts(90_061_000), { d: 1, h: 1, m: 1, s: 1 });
  assert.deepEqual(splitEndpoint('127.0.0.1:5696'), { address: '127.0.0.1', port: '5696' });
  assert.deepEqual(splitEndpoint('[::1]:5696'), { address: '::1', port: '5696' });
});

test('log filters: time checks and the live match', () => {
  assert.equal(logFilterProblem({ since: '2026-11-28', until: '2026-11-28T17:00:00Z' }), null);
  assert.equal(logFilterProblem({ since: 'yesterday' })?.key, 'forms.logTime.invalid');
  assert.equal(logFilterProblem({ since: '2026-12-01', until: '2026-11-01' })?.key, 'forms.logTime.order');
  const r = { at: '2026-11-28T12:00:00.000Z', client: 'app', operation: 'Get', result: 'OperationFailed' };
  assert.equal(matchesLogFilter(r, { client: 'app', result: 'failure' }), true);
  assert.equal(matchesLogFilter(r, { result: 'success' }), false);
  assert.equal(matchesLogFilter({ ...r, result: 'applied' }, { result: 'success' }), true);
  assert.equal(matchesLogFilter(r, { until: '2026-11-28T11:59:59Z' }), false);
  assert.equal(matchesLogFilter(r, { operation: 'Create' }), false);
});
