// The setup wizard's draft with a fake client: problems derived as the
// operator types (shown once a field was left or Next pressed), the draft
// kept in sessionStorage without any secret, step 1's findings copied in
// once, and Next refused while a step has problems.
import { flushSync } from 'svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import type { EnvCheck, SetupEnvironment } from '../../shared/ipc/calls/setup.js';
import { translate } from '../src/i18n/index.svelte.js';
import { SetupWizard } from '../src/screens/setup/wizard.svelte.js';
import { fakeClient } from './fake-client.js';

const STORAGE_KEY = 'keyhold.setup.draft';

const check = (id: EnvCheck['id'], severity: EnvCheck['severity'] = 'info'): EnvCheck => ({
  id, ok: severity !== 'error', severity, message: '', code: id === 'port' ? 'port.free' : id === 'space' ? 'space.ok' : id === 'hosts' ? 'hosts.ok' : 'clock.ok', params: {},
});
const environment = (over: Partial<SetupEnvironment> = {}): SetupEnvironment => ({
  checks: [check('space'), check('port'), check('hosts'), check('clock')],
  dataDir: '/var/lib/keyhold/',
  freeBytes: 10e9,
  port: 5696,
  suggestedPort: null,
  hostNames: ['kmip-01.example.com', 'localhost'],
  addresses: ['127.0.0.1', '10.1.2.3'],
  ...over,
});

beforeEach(() => {
  sessionStorage.clear();
});

describe('SetupWizard draft', () => {
  it('a bad port is a problem at once, shown only after the field was left', () => {
    const w = new SetupWizard(fakeClient().client);
    expect(w.serverProblems.port).toBeUndefined();
    expect(w.serverProblems.folder?.key).toBe('setup.problem.folderEmpty');
    w.draft.server.port = '70000';
    const p = w.serverProblems.port;
    expect(p?.key).toBe('forms.port.invalid');
    expect(translate('en', p!.key, p!.params)).toBe('"70000" is not a port: give a whole number from 1 to 65535.');
    expect(w.shown(3, 'port', w.serverProblems)).toBeUndefined();
    w.touch(3, 'port');
    expect(w.shown(3, 'port', w.serverProblems)).toBe(p);
    w.draft.server.port = '5697';
    expect(w.serverProblems.port).toBeUndefined();
  });

  it('is kept in sessionStorage and read back by a new wizard, without secrets', () => {
    const w = new SetupWizard(fakeClient().client);
    w.draft.server.name = 'vault_a';
    w.draft.client.name = 'app1';
    w.certKeyPem = '-----BEGIN PRIVATE KEY-----SECRET';
    w.clientP12Passphrase = 'hunter2-passphrase';
    flushSync();
    const saved = sessionStorage.getItem(STORAGE_KEY) ?? '';
    expect(JSON.parse(saved)).toMatchObject({ v: 1, server: { name: 'vault_a' }, client: { name: 'app1' } });
    expect(saved).not.toContain('SECRET');
    expect(saved).not.toContain('hunter2');
    const again = new SetupWizard(fakeClient().client);
    expect(again.draft.server.name).toBe('vault_a');
    expect(again.draft.client.name).toBe('app1');
    expect(again.certKeyPem).toBe('');
  });

  it('a damaged saved draft falls back to the defaults', () => {
    sessionStorage.setItem(STORAGE_KEY, '{"v":1,"server":{"port":5,"tlsMin":"1.0"},"maxStep":99}');
    const w = new SetupWizard(fakeClient().client);
    expect(w.draft.server.port).toBe('5696');
    expect(w.draft.server.tlsMin).toBe('1.2');
    expect(w.draft.maxStep).toBe(1);
  });

  it("step 1's findings fill the later steps once, and never over the operator's edits", async () => {
    const fake = fakeClient({ 'setup.environment': () => environment({ suggestedPort: 5697 }) });
    const w = new SetupWizard(fake.client);
    await w.checkEnvironment();
    expect(fake.calls).toEqual([{ name: 'setup.environment', args: { port: 5696 } }]);
    expect(w.draft.cert.dns).toBe('kmip-01.example.com, localhost');
    expect(w.draft.cert.ips).toBe('127.0.0.1, 10.1.2.3');
    expect(w.draft.server.name).toBe('kmip_01');
    expect(w.draft.server.port).toBe('5697');
    expect(w.draft.server.folder).toBe('/var/lib/keyhold-backups');
    expect(w.blocker(1)).toBeNull();
    w.draft.cert.dns = 'mine.example.com';
    await w.checkEnvironment();
    expect(w.draft.cert.dns).toBe('mine.example.com');
  });

  it('Next on a step with problems saves nothing and shows every problem', async () => {
    const fake = fakeClient();
    const w = new SetupWizard(fake.client);
    w.draft.server.name = 'has space';
    w.draft.server.lifetimeDays = 'forever';
    expect(await w.next(3)).toBe(false);
    expect(fake.calls).toEqual([]);
    expect(w.blocker(3)).toBe('setup.block.problems');
    expect(w.shown(3, 'name', w.serverProblems)?.key).toBe('forms.serverName.invalid');
    expect(w.shown(3, 'lifetimeDays', w.serverProblems)?.key).toBe('forms.days.invalid');
  });

  it('a failing call leaves the error on its step and nothing busy', async () => {
    const w = new SetupWizard(fakeClient().client);
    await w.checkEnvironment();
    expect(w.error).toEqual({ step: 1, message: 'The fake client has no answer for setup.environment.' });
    expect(w.busy).toBeNull();
    expect(w.blocker(1)).toBe('setup.block.environment');
  });
});
