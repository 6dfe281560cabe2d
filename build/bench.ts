// `npm run bench`: load on a real `keyhold serve` over mutual TLS.
//
//   npm run bench                                   all ops, both modes, 4 connections, 5 s each, 10,000 objects
//   npm run bench -- --ops locate-name --mode persistent --prefill 1000000
//   npm run bench -- --json                         machine-readable
//
// Steps: a temporary data dir; a client enrolled there; the database
// pre-filled through the store (before the server starts: the server holds
// the data dir's lock); `keyhold serve` started as a child process (engine
// worker thread, group commit: as in production); then, for each op and
// mode, --connections workers send requests back to back until --count or
// --duration is reached. Ops: discover-versions (no store access: the
// transport and message-handling floor), create (AES-256), get (a random key
// of a hot set: the first 10,000 prefilled keys, each fetched once before the
// clock starts, since the first Get of a key clears Fresh, a write, while a
// key manager's steady state is keys fetched again and again; first Gets are
// in the mix), locate-name (a random prefilled Name, exactly one match expected),
// create-key-pair (RSA-2048), sign (RSA-2048 PKCS#1 v1.5 SHA-256 Sign of
// 1 KiB with one Active key made before the clock starts), encrypt (AES-256-GCM
// Encrypt of 1 KiB with a server-made IV, one Active key made before the
// clock starts), mix (80% get, 10% locate-name, 9% create, 1%
// create-key-pair). A response that is not a success counts as an error.
//
// Targets (issue): on 2 cores over 4 persistent connections Get ≥ 10,000
// ops/s, Create ≥ 2,000 ops/s; Locate by Name p99 ≤ 5 ms with 1,000,000
// objects. The client shares the machine, so its figures are a lower bound.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enrolClient } from '../main/server/serve.js';
import { ALL_GRANTS } from '../main/access/policy.js';
import { parseArgs, type BenchArgs } from './bench/args.js';
import { run, type Job, type Target } from './bench/client.js';
import { prefill } from './bench/prefill.js';
import { benchName, encryptKeyRequest, MIX, request, responseOk, signKeyRequest, type BenchOp, type SingleOp } from './bench/requests.js';
import { parseResponseMessage } from '../shared/kmip/message/index.js';
import { Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv } from '../shared/kmip/ttlv/index.js';
import { startServer } from './bench/server.js';
import { formatTable, machine, report, type OpReport } from './bench/stats.js';
import { cpuBetween, sampleCpu } from './bench/cpu.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export const HOT_SET = 10_000;

function jobs(op: BenchOp, ids: readonly string[], signKey: string | undefined, encryptKey?: string): () => Job {
  const pick = () => Math.floor(Math.random() * ids.length);
  const hot = Math.min(HOT_SET, ids.length);
  const single: Record<SingleOp, () => Job> = {
    'discover-versions': () => ({ bytes: request('discover-versions'), check: (r) => responseOk(r) }),
    create: () => ({ bytes: request('create'), check: (r) => responseOk(r) }),
    'create-key-pair': () => ({ bytes: request('create-key-pair'), check: (r) => responseOk(r) }),
    get: () => ({ bytes: request('get', ids[op === 'mix' ? pick() : Math.floor(Math.random() * hot)]!), check: (r) => responseOk(r) }),
    'locate-name': () => ({ bytes: request('locate-name', benchName(pick())), check: (r) => responseOk(r, 1) }),
    sign: () => ({ bytes: request('sign', signKey), check: (r) => responseOk(r) }),
    encrypt: () => ({ bytes: request('encrypt', encryptKey), check: (r) => responseOk(r) }),
  };
  if (op !== 'mix') return single[op];
  // Cumulative percentages: [get ≤ 80, locate ≤ 90, create ≤ 99, key pair ≤ 100].
  let sum = 0;
  const table = MIX.map(([o, pct]) => [(sum += pct), single[o]] as const);
  return () => {
    const x = Math.random() * 100;
    return (table.find(([upTo]) => x < upTo) ?? table[table.length - 1]!)[1]();
  };
}

async function main(args: BenchArgs): Promise<void> {
  const say = (s: string) => process.stderr.write(`${s}\n`);
  const host = machine();
  say(`machine: ${host.cores} cores, ${host.cpu}, Node ${host.node}, ${host.platform}`);
  const root = mkdtempSync(join(tmpdir(), 'keyhold-bench-'));
  const dataDir = args.reuse ?? join(root, 'data');
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    // A new client each run: a reused data dir already has the earlier ones.
    const enrolled = await enrolClient(dataDir, `bench-${randomBytes(4).toString('hex')}`, join(root, 'client'), { grants: ALL_GRANTS });
    const creds = { cert: readFileSync(enrolled.files.cert, 'utf8'), key: readFileSync(enrolled.files.key, 'utf8'), ca: readFileSync(enrolled.files.ca, 'utf8') };
    const idsFile = join(dataDir, 'bench-ids.json');
    const reused = args.reuse !== undefined && existsSync(idsFile) ? (JSON.parse(readFileSync(idsFile, 'utf8')) as { ids: string[]; seconds: number }) : undefined;
    let filled: { ids: string[]; seconds: number };
    if (reused !== undefined && reused.ids.length === args.prefill) {
      filled = reused;
      say(`prefill: reusing ${args.prefill} objects in ${dataDir}`);
    } else {
      if (reused !== undefined) throw new Error(`${dataDir} holds ${reused.ids.length} prefilled objects, not ${args.prefill}; use another directory`);
      say(`prefill: ${args.prefill} objects...`);
      let lastReport = performance.now();
      filled = prefill(dataDir, args.prefill, (n) => {
        if (performance.now() - lastReport > 10_000) {
          lastReport = performance.now();
          say(`prefill: ${n}`);
        }
      });
      if (args.reuse !== undefined) writeFileSync(idsFile, JSON.stringify(filled));
    }
    const fillRate = Math.round(args.prefill / filled.seconds);
    say(`prefill: ${args.prefill} objects in ${filled.seconds.toFixed(1)} s (${fillRate} objects/s)`);
    server = await startServer(REPO_ROOT, dataDir, args.serverNodeArgs);
    const target: Target = { host: '127.0.0.1', port: server.port, creds };
    const rows: OpReport[] = [];
    if (args.ops.includes('get')) {
      let i = 0;
      const hot = Math.min(HOT_SET, filled.ids.length);
      const warm = await run(target, { connections: args.connections, newConnectionPerRequest: false, count: hot, durationSeconds: 600, timeoutMs: args.timeoutMs, next: () => ({ bytes: request('get', filled.ids[i++]!), check: (r) => responseOk(r) }) });
      if (warm.errors > 0) throw new Error(`warming the Get hot set failed: ${warm.errorSamples.join('; ')}`);
    }
    let signKey: string | undefined;
    if (args.ops.includes('sign')) {
      let response: Buffer | undefined;
      const made = await run(target, { connections: 1, newConnectionPerRequest: false, count: 1, durationSeconds: 600, timeoutMs: args.timeoutMs, next: () => ({ bytes: signKeyRequest(), check: (r) => ((response = r), responseOk(r)) }) });
      if (made.errors > 0 || response === undefined) throw new Error(`creating the RSA key for sign failed: ${made.errorSamples.join('; ')}`);
      const payload = parseResponseMessage(decodeTtlv(response)).batchItems[0]?.responsePayload;
      signKey = payload?.value.find((c) => c.tag === Tag.PrivateKeyUniqueIdentifier)?.value as string | undefined;
      if (signKey === undefined) throw new Error('creating the RSA key for sign: no Private Key Unique Identifier in the response');
    }
    let encryptKey: string | undefined;
    if (args.ops.includes('encrypt')) {
      let response: Buffer | undefined;
      const made = await run(target, { connections: 1, newConnectionPerRequest: false, count: 1, durationSeconds: 600, timeoutMs: args.timeoutMs, next: () => ({ bytes: encryptKeyRequest(), check: (r) => ((response = r), responseOk(r)) }) });
      if (made.errors > 0 || response === undefined) throw new Error(`creating the AES key for encrypt failed: ${made.errorSamples.join('; ')}`);
      encryptKey = parseResponseMessage(decodeTtlv(response)).batchItems[0]?.responsePayload?.value.find((c) => c.tag === Tag.UniqueIdentifier)?.value as string | undefined;
      if (encryptKey === undefined) throw new Error('creating the AES key for encrypt: no Unique Identifier in the response');
    }
    for (const op of args.ops) {
      for (const mode of args.modes) {
        const before = sampleCpu(server.pid);
        const clientBefore = process.cpuUsage();
        const r = await run(target, {
          connections: args.connections,
          newConnectionPerRequest: mode === 'new-connection',
          count: args.count,
          durationSeconds: args.duration,
          timeoutMs: args.timeoutMs,
          next: jobs(op, filled.ids, signKey, encryptKey),
        });
        const after = sampleCpu(server.pid);
        const client = process.cpuUsage(clientBefore);
        const spent = before === undefined || after === undefined ? undefined : cpuBetween(before, after);
        const row = report(op, mode, args.connections, r, spent === undefined ? undefined : { server: spent.total, engineThread: spent.busiest, client: client.user + client.system });
        rows.push(row);
        say(`${op} ${mode}: ${row.opsPerSecond} ops/s, p50 ${row.p50} ms, p99 ${row.p99} ms, ${row.errors} errors${r.errorSamples.length ? ` (${r.errorSamples.join('; ')})` : ''}`);
      }
    }
    const result = { machine: host, prefill: { objects: args.prefill, seconds: Math.round(filled.seconds * 10) / 10, objectsPerSecond: fillRate }, mix: Object.fromEntries(MIX), results: rows };
    if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(`${formatTable(rows)}\n`);
    if (rows.some((r) => r.errors > 0)) {
      say(`server log (tail):\n${server.log().slice(-2000)}`);
      process.exitCode = 1;
    }
  } finally {
    await server?.stop();
    if (args.keep) say(`data dir kept: ${dataDir}`);
    // A reused data dir lives outside root and is kept in any case.
    else rmSync(root, { recursive: true, force: true });
  }
}

let args: BenchArgs;
try {
  args = parseArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(2);
}
await main(args).catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
