// `npm run bench` end to end at toy size: it starts a real `keyhold serve`,
// pre-fills, runs every op in both connection modes and reports each one. Only
// the shape of the report is checked (every op, no errors, ordered
// percentiles), never speed: CI machines vary too much for that.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from './support/reference.js';

const run = promisify(execFile);

interface Row {
  op: string;
  mode: string;
  connections: number;
  requests: number;
  errors: number;
  opsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
}

async function bench(ops: string[], count: number) {
  const args = ['run', '--silent', 'bench', '--', '--json', '--ops', ops.join(','), '--prefill', '200', '--count', String(count), '--duration', '60', '--connections', '2'];
  const { stdout, stderr } = await run('npm', args, { cwd: REPO_ROOT, maxBuffer: 1 << 20, timeout: 230_000 });
  const report = JSON.parse(stdout) as { machine: { cores: number; cpu: string; node: string }; prefill: { objects: number; objectsPerSecond: number }; mix: Record<string, number>; results: Row[] };
  assert.match(stderr, /^machine: \d+ cores, .+, Node v\d+/m);
  assert.equal(report.machine.node, process.version);
  assert.ok(report.machine.cores >= 1);
  assert.equal(report.prefill.objects, 200);
  assert.ok(report.prefill.objectsPerSecond > 0);
  assert.equal(Object.values(report.mix).reduce((a, b) => a + b, 0), 100);

  const seen = report.results.map((r) => `${r.op}/${r.mode}`).sort();
  assert.deepEqual(seen, ops.flatMap((op) => [`${op}/new-connection`, `${op}/persistent`]).sort());
  for (const r of report.results) {
    const what = `${r.op} ${r.mode}`;
    assert.equal(r.connections, 2, what);
    assert.equal(r.errors, 0, `${what}: ${stderr}`);
    // --count bounds each run; --duration is generous, so every run reaches its count.
    assert.equal(r.requests, count, what);
    assert.ok(r.opsPerSecond > 0, what);
    for (const p of [r.p50, r.p95, r.p99]) assert.ok(typeof p === 'number' && Number.isFinite(p) && p > 0, `${what}: ${p}`);
    assert.ok(r.p50 <= r.p95 && r.p95 <= r.p99, `${what}: ${r.p50} ${r.p95} ${r.p99}`);
  }
}

test('npm run bench --json: discover-versions, create, get, locate-name, mix in both modes, no errors, p50 ≤ p95 ≤ p99', { timeout: 240_000 }, async () => {
  await bench(['discover-versions', 'create', 'get', 'locate-name', 'mix'], 50);
});

// RSA-2048 generation costs up to a second a key on a loaded 2-core machine: fewer requests.
test('npm run bench --json: create-key-pair in both modes', { timeout: 240_000 }, async () => {
  await bench(['create-key-pair'], 6);
});

// An RSA-2048 private-key operation per request: fewer requests.
test('npm run bench --json: sign (RSA-2048) in both modes', { timeout: 240_000 }, async () => {
  await bench(['sign'], 20);
});

// AES-256-GCM Encrypt of 1 KiB with a server-made IV (issue 8's benchmark operation).
test('npm run bench --json: encrypt (AES-256-GCM) in both modes', { timeout: 240_000 }, async () => {
  await bench(['encrypt'], 50);
});

test('npm run bench refuses bad options with a usage message', async () => {
  await assert.rejects(run('npm', ['run', '--silent', 'bench', '--', '--ops', 'delete'], { cwd: REPO_ROOT }), (e: { code: number; stderr: string }) => {
    assert.equal(e.code, 2);
    assert.match(e.stderr, /--ops takes a list of discover-versions, create, get, locate-name, create-key-pair, sign, encrypt, mix \(not delete\)/);
    return true;
  });
});
