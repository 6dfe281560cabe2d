// The TLS listener in-process, with a slow stand-in operation: one request at
// a time per connection, graceful stop with a request in flight, and the
// configurable minimum TLS version.
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { before, test } from 'node:test';
import { buildRequestMessage, parseResponseMessage } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { concatBytes, decodeTtlv, encodeTtlv, struct, TtlvFramer } from '../shared/kmip/ttlv/index.js';
import { Router, type ServerContext } from '../main/kmip/index.js';
import { createCa, issueClientCert, issueServerCert, type IssuedCert } from '../main/pki/index.js';
import { startKmipTlsServer, type KmipTlsOptions } from '../main/server/tls-listener.js';
import { soleClient } from './support/kmip-tls.js';

const REQUEST = encodeTtlv(
  buildRequestMessage({
    header: { protocolVersion: { major: 1, minor: 4 } },
    batchItems: [{ operation: Enum.Operation.DiscoverVersions, requestPayload: struct(Tag.RequestPayload, []) }],
  }),
);

let caPem = '';
let serverCert: IssuedCert;
let client: IssuedCert;
before(async () => {
  const ca = await createCa({ commonName: 'Listener Test CA', validityDays: 30 });
  caPem = ca.certPem;
  serverCert = await issueServerCert(ca, { hostName: 'localhost', interfaces: {} });
  client = await issueClientCert(ca, { name: 'c1' });
});

/** A server whose Discover Versions takes `delayMs` and records how many run at once. */
async function slowServer(delayMs: number, extra: Partial<KmipTlsOptions> = {}) {
  const stats = { running: 0, maxRunning: 0, done: 0 };
  const router = new Router([
    {
      operation: Enum.Operation.DiscoverVersions,
      handler: async () => {
        stats.maxRunning = Math.max(stats.maxRunning, ++stats.running);
        await new Promise((r) => setTimeout(r, delayMs));
        stats.running--;
        stats.done++;
        return { payload: [] };
      },
    },
  ]);
  const context: ServerContext = { router, clock: () => new Date(), server: { vendorIdentification: 'Keyhold' } };
  const server = await startKmipTlsServer({
    host: '127.0.0.1',
    port: 0,
    certPem: serverCert.certPem,
    keyPem: serverCert.keyPem,
    caCertPem: caPem,
    clients: soleClient(client.fingerprint),
    context,
    ...extra,
  });
  return { server, stats };
}

function connect(port: number, extra: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: caPem, cert: client.certPem, key: client.keyPem, ...extra });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Collects `n` responses, or fewer if the connection closes first. */
function responses(s: tls.TLSSocket, n: number): Promise<Uint8Array[]> {
  return new Promise((resolve) => {
    const framer = new TtlvFramer();
    const got: Uint8Array[] = [];
    s.on('data', (c: Buffer) => {
      for (const m of framer.push(c)) got.push(m);
      if (got.length >= n) resolve(got);
    });
    s.once('close', () => resolve(got));
  });
}

test('requests on one connection run one at a time, answered in order', async () => {
  const { server, stats } = await slowServer(30);
  try {
    const s = await connect(server.address.port);
    const got = responses(s, 3);
    s.write(concatBytes([REQUEST, REQUEST, REQUEST])); // pipelined in one write
    const r = await got;
    assert.equal(r.length, 3);
    for (const m of r) assert.equal(parseResponseMessage(decodeTtlv(m)).batchItems[0]!.resultStatus, Enum.ResultStatus.Success);
    assert.equal(stats.maxRunning, 1);
    s.destroy();
  } finally {
    await server.close(1000);
  }
});

test('graceful stop: the request in flight is answered, then the connection closes', async () => {
  const { server, stats } = await slowServer(300);
  const s = await connect(server.address.port);
  const got = responses(s, 1);
  const closed = new Promise<void>((r) => s.once('close', () => r()));
  s.write(REQUEST);
  await new Promise((r) => setTimeout(r, 50)); // the request is now running
  const t0 = Date.now();
  await server.close(2000);
  assert.ok(Date.now() - t0 < 1500, 'close waited for the request, not the whole grace period');
  assert.equal((await got).length, 1);
  assert.equal(stats.done, 1);
  await closed;
  await assert.rejects(connect(server.address.port), /ECONNREFUSED/);
});

test('graceful stop is bounded: a request that overruns the grace period is cut off', async () => {
  const { server } = await slowServer(1500);
  const s = await connect(server.address.port);
  const got = responses(s, 1);
  s.write(REQUEST);
  await new Promise((r) => setTimeout(r, 50));
  const t0 = Date.now();
  await server.close(200);
  assert.ok(Date.now() - t0 < 1000);
  assert.equal((await got).length, 0);
});

test('minimum version TLSv1.3 refuses a TLS 1.2 client; TLS 1.0/1.1 cannot be configured', async () => {
  const { server } = await slowServer(0, { minVersion: 'TLSv1.3' });
  try {
    await assert.rejects(connect(server.address.port, { maxVersion: 'TLSv1.2' }), /protocol version|unsupported protocol/i);
    const s = await connect(server.address.port);
    assert.equal(s.getProtocol(), 'TLSv1.3');
    s.destroy();
  } finally {
    await server.close(1000);
  }
  await assert.rejects(slowServer(0, { minVersion: 'TLSv1.1' as never }), /TLSv1\.2 or TLSv1\.3/);
});
