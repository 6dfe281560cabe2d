// The field validators of shared/forms, which the admin handlers and the
// renderer's forms share: they must agree with what the engine accepts.
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkClientName, checkDays, checkIpEntry, checkIpList, checkPort, checkServerName, checkDnsList, isIPv4, isIPv6 } from '../shared/forms/fields.js';
import { FORM_MESSAGES_EN } from '../shared/forms/messages.js';
import { LEAST_PRIVILEGE, PERMISSION_GROUP_NAMES, permissionChoices, permissionsText } from '../shared/forms/permissions.js';
import { checkSchedule, formatSchedule } from '../shared/forms/schedule.js';
import { PERMISSION_GROUPS } from '../main/access/operation-groups.js';
import { DEFAULT_GRANTS, formatGrants, parseGrants } from '../main/access/policy.js';
import { parseAllowList } from '../main/access/ip-allow.js';
import { validateClientName } from '../main/pki/index.js';

const problemKey = (r: { ok: boolean; key?: string }) => (r.ok ? 'ok' : r.key);

describe('shared/forms fields', () => {
  it('IP syntax agrees with node:net on addresses and on near-misses', () => {
    const samples = ['10.0.0.1', '0.0.0.0', '255.255.255.255', '256.0.0.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', '::', '::1', '2001:db8::', '2001:db8::1:2:3:4:5', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1::2::3', '1:2:3:4::5:6:7:8', '1:2:3:4:5:6:7::', '1:2:3::4:5:6:1.2.3.4', '1:2:3::4:5:1.2.3.4', ':1:2:3:4:5:6:7', '::ffff:10.0.0.1', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', 'fe80::1', 'g::1', '12345::', '', 'localhost', '1.2.3.4 '];
    for (const s of samples) {
      assert.equal(isIPv4(s), net.isIPv4(s), `isIPv4(${JSON.stringify(s)})`);
      assert.equal(isIPv6(s), net.isIPv6(s), `isIPv6(${JSON.stringify(s)})`);
    }
    fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), fc.string({ maxLength: 20 }), fc.stringMatching(/^[0-9a-f:.]{0,20}$/)), (s) => {
      assert.equal(isIPv4(s), net.isIPv4(s), s);
      assert.equal(isIPv6(s), net.isIPv6(s), s);
    }), { numRuns: 3000 });
  });

  it('IP lists: ranges, wide ranges, the engine refusing exactly what the form refuses', () => {
    assert.deepEqual(checkIpList('10.0.0.5, 10.1.0.0/24\n2001:db8::/32'), { ok: true, value: { entries: ['10.0.0.5', '10.1.0.0/24', '2001:db8::/32'], wide: ['2001:db8::/32'] } });
    assert.deepEqual(checkIpList('any'), { ok: true, value: { entries: [], wide: [] } });
    assert.equal(problemKey(checkIpEntry('10.0.0.0/33')), 'forms.ip.prefix');
    assert.equal(problemKey(checkIpEntry('10.0.0.0/8/1')), 'forms.ip.invalid');
    assert.equal(checkIpEntry('::ffff:10.0.0.1').ok && checkIpEntry('::ffff:10.0.0.1').ok ? (checkIpEntry('::ffff:10.0.0.1') as { value: { text: string } }).value.text : '', '10.0.0.1');
    for (const bad of ['10.0.0.300', 'example.com', '10.0.0.0/33', '::1/129', '1.2.3.4/x']) {
      const form = checkIpList([bad]);
      assert.equal(form.ok, false);
      assert.throws(() => parseAllowList([bad]), (e: Error) => `${e.message}.` === (form as { message: string }).message);
    }
  });

  it('names, ports and days', () => {
    assert.equal(problemKey(checkClientName('')), 'forms.clientName.empty');
    assert.equal(problemKey(checkClientName('vcenter-01.prod')), 'ok');
    for (const n of ['a b', '../x', 'x'.repeat(65), 'é']) {
      assert.equal(problemKey(checkClientName(n)), 'forms.clientName.invalid');
      assert.throws(() => validateClientName(n));
    }
    assert.equal(problemKey(checkServerName('Vault_01')), 'ok');
    assert.equal(problemKey(checkServerName('vault-01')), 'forms.serverName.invalid');
    assert.deepEqual(checkPort(' 5696 '), { ok: true, value: 5696 });
    for (const p of ['0', '65536', '-1', '56 96', '1e3', '']) assert.equal(problemKey(checkPort(p)), 'forms.port.invalid', p);
    assert.equal(problemKey(checkDays('0', 1, 825)), 'forms.days.invalid');
    assert.deepEqual(checkDays('90', 1, 825), { ok: true, value: 90 });
    assert.equal(problemKey(checkDnsList('kmip.example.com, *.corp.example')), 'ok');
    assert.equal(problemKey(checkDnsList('bad host')), 'ok'); // split on spaces: two names
    assert.equal(problemKey(checkDnsList('bad_host!')), 'forms.dns.invalid');
  });

  it('messages: every key has English text, placeholders filled', () => {
    const r = checkPort('x');
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.message, FORM_MESSAGES_EN['forms.port.invalid'].replace('{value}', 'x'));
    const long = checkClientName('!'.repeat(500));
    if (!long.ok) assert.ok(long.message.length < 200, 'a hostile value is cut in the message');
  });

  it('schedules parse and print back', () => {
    for (const s of ['off', 'daily at 02:30', 'weekly on sunday at 03:00', 'every 6 hours', 'every 1 hour']) {
      const r = checkSchedule(s);
      assert.ok(r.ok, s);
      if (r.ok) assert.equal(formatSchedule(r.value), s);
    }
    assert.equal(problemKey(checkSchedule('daily at 25:00')), 'forms.schedule.time');
    assert.equal(problemKey(checkSchedule('weekly on funday at 01:00')), 'forms.schedule.day');
    assert.equal(problemKey(checkSchedule('every 0 hours')), 'forms.schedule.hours');
    assert.equal(problemKey(checkSchedule('hourly')), 'forms.schedule.invalid');
  });

  it('permission checkboxes: the engine groups, least privilege, round trips through the engine parser', () => {
    assert.deepEqual([...PERMISSION_GROUP_NAMES].sort(), [...PERMISSION_GROUPS].sort());
    assert.equal(formatGrants(parseGrants(LEAST_PRIVILEGE)), formatGrants(DEFAULT_GRANTS));
    for (const text of ['query:all,get:own,use:own', 'all', 'none', 'query:all,create:shared,destroy:all', 'get:own:SymmetricKey+SecretData']) {
      const round = permissionsText(permissionChoices(formatGrants(parseGrants(text))));
      const norm = (t: string) => formatGrants(parseGrants(t)).split(',').sort().join(',');
      assert.equal(norm(round), norm(text), text);
    }
    const none = permissionChoices('none').map((c) => ({ ...c, enabled: false }));
    assert.equal(permissionsText(none), 'none');
  });
});
