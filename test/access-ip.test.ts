// IP allow-lists (main/access/ip-allow.ts): parsing, matching (IPv4, IPv6,
// IPv4-mapped IPv6), wide-range warnings, numbered bad entries; and on the
// live server, a client outside its own or the server-wide list is refused
// before any KMIP byte is read, and a change applies within a second.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildRequestMessage, parseResponseMessage } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, struct } from '../shared/kmip/ttlv/index.js';
import { parseAllowList, unmapped } from '../main/access/ip-allow.js';
import { ALL_GRANTS } from '../main/access/policy.js';
import { setServerAllowList, updateClient } from '../main/server/clients.js';
import { startServer, type RunningServer } from '../main/server/serve.js';
import { call, capturingLogger, connect, enrolHere, type Creds } from './support/kmip-tls.js';

describe('allow-list parsing and matching', () => {
  it('matches addresses and ranges, IPv4 and IPv6, mapped IPv4 as IPv4', () => {
    const l = parseAllowList(['10.1.2.3', '192.168.0.0/24', '2001:db8:1::/48', '::1']);
    assert.deepEqual(l.entries, ['10.1.2.3', '192.168.0.0/24', '2001:db8:1::/48', '::1']);
    for (const a of ['10.1.2.3', '192.168.0.200', '::ffff:192.168.0.7', '2001:db8:1:ffff::5', '::1']) assert.equal(l.allows(a), true, a);
    for (const a of ['10.1.2.4', '192.168.1.1', '::ffff:10.1.2.4', '2001:db8:2::1', '127.0.0.1', 'fe80::1%eth0']) assert.equal(l.allows(a), false, a);
    assert.equal(parseAllowList(['::ffff:127.0.0.1']).allows('127.0.0.1'), true);
    assert.equal(unmapped('::FFFF:1.2.3.4'), '1.2.3.4');
  });

  it('an empty list restricts nothing', () => {
    assert.equal(parseAllowList([]).allows('203.0.113.9'), true);
    assert.equal(parseAllowList(['', '  ']).allows('::1'), true);
  });

  it('reports ranges wider than /16 (IPv4) and /48 (IPv6)', () => {
    assert.deepEqual(parseAllowList(['10.0.0.0/8', '10.1.0.0/16', '2001:db8::/32', '2001:db8:1::/48', '0.0.0.0/0']).wide, ['10.0.0.0/8', '2001:db8::/32', '0.0.0.0/0']);
  });

  const bad = ['300.1.1.1', '10.0.0.0/33', '2001:db8::/129', 'host.example.com', '10.0.0.0/8/1', '10.0.0.0/-1', '10.0.0.0/ 8', '1.2.3'];
  bad.forEach((entry, i) => {
    it(`I${String(i + 1).padStart(2, '0')} refuses "${entry}" with a message naming it`, () => {
      assert.throws(() => parseAllowList([entry]), (e: Error) => e.message.includes(`"${entry}"`));
    });
  });
});

describe('allow-lists on the live server', { timeout: 60_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-ip-'));
  const dir = join(root, 'data');
  let server: RunningServer;
  const { log, lines: logged } = capturingLogger();
  const creds: Record<string, Creds> = {};
  const DISCOVER = encodeTtlv(buildRequestMessage({ header: { protocolVersion: { major: 2, minor: 1 } }, batchItems: [{ operation: Enum.Operation.DiscoverVersions, requestPayload: struct(Tag.RequestPayload, []) }] }));

  async function enrol(name: string, ips: string[]): Promise<void> {
    creds[name] = await enrolHere(dir, join(root, name), name, { grants: ALL_GRANTS, ips });
  }
  /** True when a Discover Versions gets an answer, false when the server closes the connection. */
  async function served(name: string): Promise<boolean> {
    try {
      const s = await connect(server.address.port, creds[name]!);
      try {
        const r = parseResponseMessage(decodeTtlv(await call(s, DISCOVER)));
        return r.batchItems[0]!.resultStatus === Enum.ResultStatus.Success;
      } finally {
        s.destroy();
      }
    } catch {
      return false;
    }
  }
  /** Polls until `served` gives `want` (the registry reloads within a second); returns how long it took. */
  async function becomes(name: string, want: boolean): Promise<number> {
    const t0 = Date.now();
    while ((await served(name)) !== want) {
      if (Date.now() - t0 > 1500) assert.fail(`${name} still ${want ? 'refused' : 'served'} after 1.5 s`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return Date.now() - t0;
  }

  before(async () => {
    server = await startServer({ dataDir: dir, host: '127.0.0.1', port: 0, log });
    await enrol('local', ['127.0.0.1']);
    await enrol('remote', ['10.20.0.0/16']);
    await enrol('anywhere', []);
  });
  after(async () => {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves a client from its list, refuses one from outside and logs why', async () => {
    await becomes('local', true);
    await becomes('anywhere', true);
    assert.equal(await served('remote'), false);
    assert.ok(logged.some((l) => /refused .*client "remote": address 127\.0\.0\.1 is not in client "remote"'s IP allow-list/.test(l)), logged.join('\n'));
  });

  it('a client\'s list change applies within a second', async () => {
    await updateClient(dir, 'remote', { ips: ['10.20.0.0/16', '127.0.0.0/8'] });
    assert.ok((await becomes('remote', true)) <= 1000);
  });

  it('the server-wide list applies to every client, and an open connection is closed at its next request', async () => {
    const open = await connect(server.address.port, creds.anywhere!);
    await call(open, DISCOVER);
    await setServerAllowList(dir, ['192.0.2.0/24']);
    await becomes('anywhere', false);
    assert.equal(await served('local'), false);
    await assert.rejects(call(open, DISCOVER), /closed/);
    assert.ok(logged.some((l) => /address 127\.0\.0\.1 is not in the server's IP allow-list/.test(l)), logged.join('\n'));
    await setServerAllowList(dir, ['::ffff:127.0.0.1']);
    await becomes('anywhere', true);
    await becomes('local', true);
  });
});
