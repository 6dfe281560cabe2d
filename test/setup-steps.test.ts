// The setup wizard's form checks and its saved draft (renderer/src/screens/
// setup/steps.ts): each step's problems as the operator types, with the
// shared validators' message keys; least-privilege defaults; and a draft read
// back from sessionStorage that is damaged, hostile or from another version.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  certificateProblems, clientProblems, newDraft, parseDraft, policyProblems, serializeDraft, serverNameFrom, serverProblems, wideRanges,
} from '../renderer/src/screens/setup/steps.js';
import { en } from '../renderer/src/i18n/en/index.js';
import { permissionsText } from '../shared/forms/permissions.js';

const keyOf = (p: { key: string } | undefined) => p?.key;

describe('setup wizard steps', () => {
  it('starts with least privilege for the first client, port 5696 and nothing done', () => {
    const d = newDraft();
    assert.equal(permissionsText(d.client.permissions), 'query:all,get:own,use:own');
    assert.equal(d.server.port, '5696');
    assert.equal(d.client.added, null);
    assert.equal(d.cert.installed, false);
    assert.equal(d.maxStep, 1);
  });

  it('certificate: names required, each checked, validity 1 to 825 days', () => {
    const c = newDraft().cert;
    assert.equal(keyOf(certificateProblems({ ...c, dns: '', ips: '' }).dns), 'setup.problem.namesEmpty');
    assert.deepEqual(certificateProblems({ ...c, dns: 'kmip.example.com', ips: '' }), {});
    assert.equal(keyOf(certificateProblems({ ...c, dns: 'bad name!', ips: '' }).dns), 'forms.dns.invalid');
    assert.equal(keyOf(certificateProblems({ ...c, dns: 'a.example', ips: '10.0.0.0/24' }).ips), 'forms.ip.noRange');
    assert.equal(keyOf(certificateProblems({ ...c, dns: 'a.example', ips: '300.1.1.1' }).ips), 'forms.ip.invalid');
    assert.equal(keyOf(certificateProblems({ ...c, dns: 'a.example', validityDays: '900' }).validityDays), 'forms.days.invalid');
    // A CSR has no validity of its own; an import has no names to give.
    assert.deepEqual(certificateProblems({ ...c, mode: 'csr', dns: 'a.example', validityDays: 'x' }), {});
    assert.deepEqual(certificateProblems({ ...c, mode: 'import', dns: '', ips: '' }), {});
  });

  it('server: name of letters, digits and underscores, a port, a schedule with its folder, a lifetime', () => {
    const s = newDraft().server;
    const ok = { ...s, folder: '/var/backups/keyhold' };
    assert.deepEqual(serverProblems(ok), {});
    assert.equal(keyOf(serverProblems({ ...ok, name: 'my server' }).name), 'forms.serverName.invalid');
    assert.equal(keyOf(serverProblems({ ...ok, name: '' }).name), 'forms.serverName.empty');
    assert.equal(keyOf(serverProblems({ ...ok, port: '70000' }).port), 'forms.port.invalid');
    assert.equal(keyOf(serverProblems({ ...ok, schedule: 'sometimes' }).schedule), 'forms.schedule.invalid');
    assert.equal(keyOf(serverProblems({ ...ok, folder: ' ' }).folder), 'setup.problem.folderEmpty');
    assert.deepEqual(serverProblems({ ...ok, schedule: 'off', folder: '' }), {});
    assert.equal(keyOf(serverProblems({ ...ok, lifetimeDays: '-1' }).lifetimeDays), 'forms.days.invalid');
    assert.deepEqual(serverProblems({ ...ok, lifetimeDays: '0' }), {});
  });

  it('key policy: at least one type, the default among them, retention only with soft delete', () => {
    const p = newDraft().policy;
    assert.deepEqual(policyProblems(p), {});
    assert.equal(keyOf(policyProblems({ ...p, algorithms: [] }).algorithms), 'setup.problem.algorithmsEmpty');
    const notAllowed = policyProblems({ ...p, algorithms: ['AES-128'], defaultSymmetric: 'AES-256' });
    assert.equal(keyOf(notAllowed.defaultSymmetric), 'setup.problem.defaultNotAllowed');
    assert.equal(keyOf(policyProblems({ ...p, retentionDays: '0' }).retentionDays), 'forms.days.invalid');
    assert.deepEqual(policyProblems({ ...p, softDelete: false, retentionDays: '0' }), {});
  });

  it('first client: a name, one-line description, addresses, the PEM a CSR or import needs, a PKCS#12 passphrase of 8+', () => {
    const c = { ...newDraft().client, name: 'esx-01' };
    assert.deepEqual(clientProblems(c, ''), {});
    assert.equal(keyOf(clientProblems({ ...c, name: '' }, '').name), 'forms.clientName.empty');
    assert.equal(keyOf(clientProblems({ ...c, name: 'a b' }, '').name), 'forms.clientName.invalid');
    assert.equal(keyOf(clientProblems({ ...c, description: 'two\nlines' }, '').description), 'forms.description.invalid');
    assert.equal(keyOf(clientProblems({ ...c, addresses: '10.0.0.1, nope' }, '').addresses), 'forms.ip.invalid');
    assert.equal(keyOf(clientProblems({ ...c, source: 'csr' }, '').pem), 'setup.problem.pemEmpty');
    assert.equal(keyOf(clientProblems(c, 'short').p12Passphrase), 'forms.p12.short');
    assert.deepEqual(clientProblems(c, 'long enough'), {});
    assert.deepEqual(wideRanges('10.0.0.0/8, 10.1.2.0/24'), ['10.0.0.0/8']);
  });

  it('every problem key the steps use has English text', () => {
    const keys = new Set<string>();
    const d = newDraft();
    for (const p of [
      certificateProblems({ ...d.cert, dns: '', ips: '' }), serverProblems({ ...d.server, name: '', port: 'x', schedule: 'x', lifetimeDays: 'x' }),
      serverProblems({ ...d.server, folder: '' }), policyProblems({ ...d.policy, algorithms: [] }), policyProblems({ ...d.policy, algorithms: ['AES-128'] }),
      clientProblems({ ...d.client, source: 'csr' }, 'x'),
    ]) for (const v of Object.values(p)) keys.add(v!.key);
    for (const k of keys) assert.ok(Object.hasOwn(en, k), `no English text for ${k}`);
  });

  it('the draft survives a round trip and never holds a secret', () => {
    const d = newDraft();
    d.maxStep = 4;
    d.server.name = 'vault_01';
    d.client.permissions[3]!.enabled = true;
    d.client.added = 'esx-01';
    const text = serializeDraft(d);
    assert.deepEqual(parseDraft(text), d);
    assert.doesNotMatch(text, /keyPem|passphrase|p12|bundle/i);
  });

  it('a damaged or hostile draft falls back field by field', () => {
    assert.deepEqual(parseDraft(null), newDraft());
    assert.deepEqual(parseDraft('{oops'), newDraft());
    assert.deepEqual(parseDraft('{"v":2,"maxStep":5}'), newDraft());
    const d = parseDraft(JSON.stringify({
      v: 1, maxStep: 99, prefilled: 'yes',
      cert: { mode: 'evil', key: 'rsa-1024', dns: 42 },
      server: { name: 'x'.repeat(10_000), tlsMin: 'SSLv3' },
      policy: { algorithms: ['AES-256', 'ROT13'], saved: 'true' },
      client: { permissions: [{ group: 'destroy', enabled: true, scope: 'everything' }, { group: '__proto__', enabled: true }], added: { name: 'x' } },
      __proto__: { polluted: true },
    }));
    assert.equal(d.maxStep, 1);
    assert.equal(d.prefilled, false);
    assert.equal(d.cert.mode, 'internal');
    assert.equal(d.cert.key, 'rsa-3072');
    assert.equal(d.server.name, 'keyhold');
    assert.equal(d.server.tlsMin, '1.2');
    assert.deepEqual(d.policy.algorithms, ['AES-256']);
    assert.equal(d.policy.saved, false);
    assert.equal(permissionsText(d.client.permissions), 'query:all,get:own,use:own,destroy:own');
    assert.equal(d.client.added, null);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('a server name from a host name', () => {
    assert.equal(serverNameFrom('vault-01.corp.example'), 'vault_01');
    assert.equal(serverNameFrom('---'), 'keyhold');
  });
});
