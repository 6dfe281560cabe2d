// The Electron glue that runs without Electron: the tray's model of the
// engine state (running / stopped / error / locked and its controls) and
// the log rotation. The Electron entry points themselves are type-checked only
// (no Electron binary can run here): `npm run typecheck`.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { rotate } from '../main/electron/log-rotate.js';
import { trayModel, trayState } from '../main/electron/tray-model.js';
import type { EngineStatus } from '../shared/ipc/contract.js';

const status = (s: Partial<EngineStatus>): EngineStatus => ({ state: 'stopped', since: '2026-01-01T00:00:00.000Z', endpoint: null, lastError: null, ...s });
const enabled = (m: ReturnType<typeof trayModel>) => m.items.filter((i) => i.enabled).map((i) => i.id);

describe('tray model', () => {
  it('tells running, stopped, error and locked apart, with the controls each allows', () => {
    const running = trayModel(status({ state: 'running', endpoint: '0.0.0.0:5696' }));
    assert.equal(running.state, 'running');
    assert.equal(running.items[0]!.label, 'KMIP server: running on 0.0.0.0:5696');
    assert.deepEqual(enabled(running), ['stop', 'open', 'quit']);

    const stopped = trayModel(status({}));
    assert.equal(stopped.state, 'stopped');
    assert.deepEqual(enabled(stopped), ['start', 'open', 'quit']);

    const failed = trayModel(status({ lastError: { code: 'start_failed', message: 'listen EADDRINUSE: address already in use :::5696' } }));
    assert.equal(failed.state, 'error');
    assert.equal(failed.items[1]!.label, 'listen EADDRINUSE: address already in use :::5696');
    assert.match(failed.tooltip, /EADDRINUSE/);
    assert.deepEqual(enabled(failed), ['start', 'open', 'quit']);

    const locked = trayModel(status({ state: 'locked' }));
    assert.equal(locked.state, 'locked');
    assert.match(locked.items[0]!.label, /locked.*passphrase/);
    assert.deepEqual(enabled(locked), ['stop', 'open', 'quit']);

    assert.deepEqual(enabled(trayModel(status({ state: 'starting' }))), ['open', 'quit']);
    assert.equal(trayState(null), 'starting');
  });

  it('a long error is cut for the menu', () => {
    const m = trayModel(status({ lastError: { code: 'x', message: 'e'.repeat(500) } }));
    assert.ok(m.items[1]!.label.length <= 120);
  });
});

describe('log rotation', () => {
  it('shifts main.log to main.1.log … and keeps at most five', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-logs-'));
    try {
      const file = join(dir, 'main.log');
      for (let i = 1; i <= 7; i++) {
        writeFileSync(file, `generation ${i}\n`);
        rotate(file);
      }
      assert.deepEqual(readdirSync(dir).sort(), ['main.1.log', 'main.2.log', 'main.3.log', 'main.4.log', 'main.5.log']);
      assert.equal(readFileSync(join(dir, 'main.1.log'), 'utf8'), 'generation 7\n');
      assert.equal(readFileSync(join(dir, 'main.5.log'), 'utf8'), 'generation 3\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
