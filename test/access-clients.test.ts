// Client records over their life: a disabled client is refused (and an open
// connection of it closed at its next request) until enabled again; a removed
// client is refused for good and its name is never given out again (objects
// record their owner by name); `client show` and the CLI's one-line errors.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { buildRequestMessage, parseResponseMessage } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, struct } from '../shared/kmip/ttlv/index.js';
import { startServer, type RunningServer } from '../main/server/serve.js';
import { REPO_ROOT } from './support/reference.js';
import { call, capturingLogger, connect, type Creds } from './support/kmip-tls.js';

const BIN = join(REPO_ROOT, 'bin', 'keyhold.mjs');
const cli = (...args: string[]) => promisify(execFile)(process.execPath, [BIN, ...args], { timeout: 60_000 });
const DISCOVER = encodeTtlv(buildRequestMessage({ header: { protocolVersion: { major: 2, minor: 1 } }, batchItems: [{ operation: Enum.Operation.DiscoverVersions, requestPayload: struct(Tag.RequestPayload, []) }] }));

describe('client records', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-clients-'));
  const dir = join(root, 'data');
  const out = join(root, 'out');
  let server: RunningServer;
  const { log, lines: logged } = capturingLogger();
  let creds: Creds;

  async function served(): Promise<boolean> {
    try {
      const s = await connect(server.address.port, creds);
      try {
        return parseResponseMessage(decodeTtlv(await call(s, DISCOVER))).batchItems[0]!.resultStatus === Enum.ResultStatus.Success;
      } finally {
        s.destroy();
      }
    } catch {
      return false;
    }
  }
  async function becomes(want: boolean): Promise<void> {
    const t0 = Date.now();
    while ((await served()) !== want) {
      if (Date.now() - t0 > 1500) assert.fail(`still ${want ? 'refused' : 'served'} after 1.5 s`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  before(async () => {
    server = await startServer({ dataDir: dir, host: '127.0.0.1', port: 0, log });
    await cli('client', 'add', 'vcenter', '--data-dir', dir, '--out', out, '--description', 'vCenter prod', '--ip', '127.0.0.1', '--rate', '100');
    creds = { cert: readFileSync(join(out, 'vcenter.crt'), 'utf8'), key: readFileSync(join(out, 'vcenter.key'), 'utf8'), ca: readFileSync(join(out, 'ca.crt'), 'utf8') };
    await becomes(true);
  });
  after(async () => {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('client show prints the whole record', async () => {
    const { stdout } = await cli('client', 'show', 'vcenter', '--data-dir', dir);
    assert.match(stdout, /^name: +vcenter$/m);
    assert.match(stdout, /^description: +vCenter prod$/m);
    assert.match(stdout, /^state: +enabled$/m);
    assert.match(stdout, /^recognised: +certificate SHA-256 [0-9a-f]{64}$/m);
    assert.match(stdout, /^permissions: +query:all,get:own,use:own$/m);
    assert.match(stdout, /^addresses: +127\.0\.0\.1$/m);
    assert.match(stdout, /^rate: +100 requests\/s$/m);
  });

  it('disable refuses new and open connections, enable lets the client back', async () => {
    const open = await connect(server.address.port, creds);
    await call(open, DISCOVER);
    await cli('client', 'disable', 'vcenter', '--data-dir', dir);
    await becomes(false);
    await assert.rejects(call(open, DISCOVER), /closed/);
    assert.ok(logged.some((l) => /refused .*client "vcenter": it is disabled/.test(l)), logged.join('\n'));
    assert.match((await cli('client', 'list', '--data-dir', dir)).stdout, /^vcenter \(disabled\)\t/m);
    await cli('client', 'enable', 'vcenter', '--data-dir', dir);
    await becomes(true);
  });

  it('remove refuses the certificate for good, and the name cannot be reused', async () => {
    await cli('client', 'remove', 'vcenter', '--data-dir', dir);
    await becomes(false);
    await assert.rejects(cli('client', 'add', 'vcenter', '--data-dir', dir, '--out', join(root, 'again')), (e: { code: number; stderr: string }) => {
      assert.equal(e.code, 1);
      assert.equal(e.stderr, 'keyhold: cannot add the client: "vcenter" belonged to a removed client whose objects still carry that name; choose another name\n');
      return true;
    });
  });

  it('unknown names and bad values are one-line errors', async () => {
    for (const [args, message] of [
      [['client', 'show', 'nobody'], 'keyhold: no client named "nobody" is registered\n'],
      [['client', 'disable', 'nobody'], 'keyhold: cannot disable the client: no client named "nobody" is registered\n'],
      [['client', 'remove', 'nobody'], 'keyhold: cannot remove the client: no client named "nobody" is registered\n'],
      [['client', 'set', 'nobody', '--rate', '0'], 'keyhold: --rate must be a whole number of requests per second (at least 1) or "none", not "0"\n'],
    ] as const) {
      await assert.rejects(cli(...args, '--data-dir', dir), (e: { stderr: string }) => {
        assert.equal(e.stderr, message);
        return true;
      });
    }
  });
});
