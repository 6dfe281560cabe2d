// Connection limits and per-client request rates on the live server (real
// TLS, store and clients.json): a client over its connection limit or over
// the server's is refused after the handshake and logged, a client over its
// request rate gets Server Limit Exceeded without its requests running, and
// neither touches what the other clients get.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type tls from 'node:tls';
import { buildRequestMessage, parseResponseMessage } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, item, struct } from '../shared/kmip/ttlv/index.js';
import { ALL_GRANTS } from '../main/access/policy.js';
import { updateClient } from '../main/server/clients.js';
import { startServer, type RunningServer } from '../main/server/serve.js';
import { call, capturingLogger, connect, enrolHere, type Creds } from './support/kmip-tls.js';

const QUERY = encodeTtlv(
  buildRequestMessage({
    header: { protocolVersion: { major: 2, minor: 1 } },
    batchItems: [{ operation: Enum.Operation.Query, requestPayload: struct(Tag.RequestPayload, [item(Tag.QueryFunction, 'Enumeration', Enum.QueryFunction.QueryOperations)]) }],
  }),
);

describe('limits', { timeout: 60_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-limits-'));
  const dir = join(root, 'data');
  let server: RunningServer;
  const { log, lines: logged } = capturingLogger();
  const creds: Record<string, Creds> = {};
  const open: tls.TLSSocket[] = [];

  async function enrol(name: string, rate?: number): Promise<void> {
    creds[name] = await enrolHere(dir, join(root, name), name, { grants: ALL_GRANTS, ...(rate === undefined ? {} : { rate }) });
  }
  /** A served connection (kept open), or null when the server closed it. */
  async function session(name: string): Promise<tls.TLSSocket | null> {
    const s = await connect(server.address.port, creds[name]!);
    try {
      await call(s, QUERY);
      open.push(s);
      return s;
    } catch {
      s.destroy();
      return null;
    }
  }
  async function result(s: tls.TLSSocket): Promise<number | undefined> {
    const r = parseResponseMessage(decodeTtlv(await call(s, QUERY)));
    return r.batchItems[0]!.resultReason ?? Enum.ResultStatus.Success;
  }

  before(async () => {
    server = await startServer({ dataDir: dir, host: '127.0.0.1', port: 0, log, maxConnections: 3, maxConnectionsPerClient: 2 });
    await enrol('a');
    await enrol('b');
    await enrol('c');
    await enrol('slow', 5);
    // clients.json is reloaded asynchronously after each enrolment.
    await new Promise((r) => setTimeout(r, 600));
  });
  after(async () => {
    for (const s of open) s.destroy();
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('L01 per client: a third connection of the same client is refused and logged; another client still gets in', async () => {
    const a1 = await session('a');
    const a2 = await session('a');
    assert.ok(a1 && a2);
    assert.equal(await session('a'), null);
    assert.ok(logged.some((l) => /refused .*client "a" already has 2 connections \(its limit\)/.test(l)), logged.join('\n'));
    assert.ok(await session('b'));
  });

  it('L02 server-wide: with 3 connections open, a fourth client is refused; closing one lets it in', async () => {
    assert.equal(await session('c'), null);
    assert.ok(logged.some((l) => /refused .*client "c": the server's limit of 3 connections is reached/.test(l)), logged.join('\n'));
    open.shift()!.destroy();
    const until = Date.now() + 2000;
    let c: tls.TLSSocket | null = null;
    while (c === null && Date.now() < until) {
      c = await session('c');
      if (c === null) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(c, 'c was not let in after a connection closed');
    for (const s of open.splice(0)) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
  });

  it('L03 a client over its request rate gets Server Limit Exceeded; others are not slowed', async () => {
    const slow = (await session('slow'))!;
    const other = (await session('b'))!;
    const reasons: (number | undefined)[] = [];
    for (let i = 0; i < 30; i++) reasons.push(await result(slow));
    const refused = reasons.filter((r) => r === Enum.ResultReason.ServerLimitExceeded).length;
    const served = reasons.filter((r) => r === Enum.ResultStatus.Success).length;
    // One second's worth (5) may burst, plus what refills while the 30 run.
    assert.ok(served >= 4 && served <= 15, `served ${served} of 30`);
    assert.equal(served + refused, 30, String(reasons));
    assert.ok(logged.some((l) => /client "slow" is over its rate of 5 requests\/s/.test(l)), logged.join('\n'));
    for (let i = 0; i < 30; i++) assert.equal(await result(other), Enum.ResultStatus.Success);
    // The message says what happened, and a second later requests are served again.
    const r = parseResponseMessage(decodeTtlv(await call(slow, QUERY))).batchItems[0]!;
    if (r.resultReason !== undefined) assert.match(r.resultMessage ?? '', /over its limit of 5 requests per second; retry later/);
    await new Promise((res) => setTimeout(res, 1100));
    assert.equal(await result(slow), Enum.ResultStatus.Success);
  });

  it('L04 removing the rate applies within a second', async () => {
    await updateClient(dir, 'slow', { rate: null });
    await new Promise((r) => setTimeout(r, 1000));
    for (const s of open.splice(0)) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const slow = (await session('slow'))!;
    for (let i = 0; i < 40; i++) assert.equal(await result(slow), Enum.ResultStatus.Success);
  });
});
