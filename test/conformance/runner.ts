// The OASIS conformance runner: replays test cases against a real
// `keyhold serve` (bin/keyhold.mjs) over mutual TLS.
//
// Isolation: cases run in groups (one source folder, version and family, in
// numeric order; see cases.ts), so SASED-M-3 sees what SASED-M-2 registered.
// A group that uses Locate or Names gets its own data directory and server
// process; the other groups share one server per worker, which they cannot
// observe (needsOwnDatabase). A new CA
// per directory would cost seconds of key generation, so one template
// directory is initialised once (`keyhold client add`, which creates the
// PKI and registers the runner's client) and its pki/ and clients.json are
// copied into each new directory; the database and master key are new.
//
// Every request has a timeout. A connection the server closes (or that times
// out) fails the case with that reason; the next case reconnects.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type tls from 'node:tls';
import { parseResponseMessage } from '../../shared/kmip/message/index.js';
import { Tag } from '../../shared/kmip/registry/index.js';
import type { ScalarType } from '../../shared/kmip/text/index.js';
import { decodeTtlv, encodeTtlv, type TtlvItem } from '../../shared/kmip/ttlv/index.js';
import { parseKmipXml } from '../../shared/kmip/xml/index.js';
import { createRouter } from '../../main/kmip/index.js';
import { call, connect, enrolCreds, startServe, stopChild, type Creds, type ServeProcess } from '../support/kmip-tls.js';
import { substitutePlaceholder } from '../support/kmip-text-vectors.js';
import { reference, REPO_ROOT } from '../support/reference.js';
import { groupCases, requiredOperations, type Case, type Group } from './cases.js';
import { bind, compareResponse, newCaseState, type CaseState } from './compare.js';

const BIN = join(REPO_ROOT, 'bin', 'keyhold.mjs');
const CLIENT = 'conformance';
export const REQUEST_TIMEOUT_MS = 20_000;

export type Status = 'pass' | 'fail' | 'not run';

export interface CaseResult {
  case: Case;
  status: Status;
  /** Why it failed or was not run: the first mismatch, the server's Result Reason and Message, or the transport error. */
  reason?: string;
}

/** `$NOW±n` in typed Date-Time fields is the moment the case runs; other placeholders as in substitutePlaceholder. */
function substituteAt(nowSeconds: bigint) {
  return (raw: string, type: ScalarType): string | undefined => {
    if (type === 'DateTime' || type === 'DateTimeExtended') {
      const m = /^\$NOW(?:([+-])(\d+))?$/.exec(raw);
      if (m) {
        const s = nowSeconds + (m[2] === undefined ? 0n : BigInt(m[2]) * (m[1] === '-' ? -1n : 1n));
        return '0x' + BigInt.asUintN(64, type === 'DateTime' ? s : s * 1_000_000n).toString(16).padStart(16, '0');
      }
    }
    return substitutePlaceholder(raw, type);
  };
}

/** One line of text from any error, without stack or local paths. */
function describe(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0]!.replaceAll(REPO_ROOT, '.').replaceAll(tmpdir(), '<tmp>');
}

/** Placeholders bound to our ids read back as the placeholder; other UUIDs as <uuid>: the doc must not change from run to run. */
function stable(reason: string, state: CaseState | undefined): string {
  let r = reason;
  for (const [name, v] of state?.ids ?? []) if (typeof v === 'string' && v.length >= 8) r = r.replaceAll(v, name);
  return r.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>').replace(/(127\.0\.0\.1|::1):\d+/g, '$1:<port>');
}

/** The live side of one group: its server and a connection that is reopened after a failure. */
export class Session {
  #sock: tls.TLSSocket | undefined;
  constructor(readonly serve: ServeProcess, readonly creds: Creds, readonly dir: string) {}

  get alive(): boolean {
    return this.serve.child.exitCode === null && this.serve.child.signalCode === null;
  }

  /** Stops the server and removes its data directory. */
  async close(): Promise<void> {
    this.drop();
    await stop(this.serve);
    rmSync(this.dir, { recursive: true, force: true });
  }

  async exchange(bytes: Uint8Array): Promise<Uint8Array> {
    this.#sock ??= await connect(this.serve.port, this.creds);
    try {
      return await call(this.#sock, bytes, REQUEST_TIMEOUT_MS);
    } catch (e) {
      this.drop();
      throw e;
    }
  }

  drop(): void {
    this.#sock?.destroy();
    this.#sock = undefined;
  }
}

const served = createRouter().operations();

/** Runs one case over the session; never throws. */
export async function runCase(c: Case, all: readonly Case[], session: Session, supplied = new Set<string>()): Promise<CaseResult> {
  let items: TtlvItem[];
  try {
    items = parseKmipXml(readFileSync(reference('kmip-testcases', c.path), 'utf8'), { substitute: substituteAt(BigInt(Math.floor(Date.now() / 1000))) });
  } catch (e) {
    return { case: c, status: 'not run', reason: `${c.wellFormed ? 'the XML parser rejects it' : 'malformed XML'}: ${describe(e)}` };
  }
  if (!c.wellFormed) return { case: c, status: 'not run', reason: 'malformed XML (index.tsv), though the parser read it' };
  const requests = items.filter((m) => m.tag === Tag.RequestMessage);
  if (requests.length === 0 || items.length !== requests.length * 2 || items.some((m, i) => m.tag !== (i % 2 === 0 ? Tag.RequestMessage : Tag.ResponseMessage))) {
    return { case: c, status: 'not run', reason: 'the file is not a sequence of request/response pairs' };
  }
  const state = newCaseState(requests, { served, required: requiredOperations(all, c) }, supplied);
  for (let i = 0; i < items.length; i += 2) {
    const where = `#${i / 2}`;
    let response;
    try {
      const sent = bind(items[i]!, state.ids);
      response = parseResponseMessage(decodeTtlv(await session.exchange(encodeTtlv(sent))));
    } catch (e) {
      return { case: c, status: 'fail', reason: stable(`${where}: ${describe(e)}`, state) };
    }
    let d: string | undefined;
    try {
      d = compareResponse(items[i + 1]!, response, state, where, items[i]);
    } catch (e) {
      d = `${where}: the expected response cannot be read: ${describe(e)}`;
    }
    if (d !== undefined) return { case: c, status: 'fail', reason: stable(d, state) };
  }
  return { case: c, status: 'pass' };
}

/**
 * Whether the group needs a database of its own. Two things let a case see
 * objects it did not create: Locate answers over the whole database, and a
 * Name may have to be unique across the server (2.1's Non Unique Name
 * Attribute, which BL-M-8 expects). Groups with neither address objects only
 * by the identifiers they bound from their own responses, so they share one
 * server per worker. A case whose operations the index does not list, or
 * whose file cannot be read, is treated as needing its own database.
 */
export function needsOwnDatabase(g: Group): boolean {
  return g.cases.some((c) => {
    if (c.operations.length === 0 || c.operations.includes('Locate')) return true;
    try {
      return /<Name[\s/>]|value="Name"/.test(readFileSync(reference('kmip-testcases', c.path), 'utf8'));
    } catch {
      return true;
    }
  });
}

/** A started runner: the template directory with the PKI and the enrolled client. */
export interface Runner {
  /** A new server over a new data directory (pki/ and clients.json from the template). */
  startSession(): Promise<Session>;
  runGroup(group: Group, all: readonly Case[], session: Session): Promise<CaseResult[]>;
  close(): void;
}

export async function createRunner(): Promise<Runner> {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-conformance-'));
  const template = join(root, 'template');
  const out = join(root, 'client');
  const creds: Creds = await enrolCreds(BIN, template, CLIENT, out, 120_000);
  let next = 0;
  // A runner killed mid-run must not leave servers behind (the script turns SIGINT/SIGTERM into exit).
  const live = new Set<Session>();
  const killAll = (): void => {
    for (const s of live) s.serve.child.kill('SIGKILL');
  };
  process.on('exit', killAll);
  return {
    async startSession() {
      const dir = join(root, `g${next++}`);
      mkdirSync(dir, { mode: 0o700 });
      cpSync(join(template, 'pki'), join(dir, 'pki'), { recursive: true });
      cpSync(join(template, 'clients.json'), join(dir, 'clients.json'));
      // Every key the server supports: the OASIS vectors register RSA-1024, DSA-512, secp256k1 and ChaCha20 keys,
      // which the default key policy refuses (test/key-policy.test.ts tests the policy).
      // No default lifetime: the vectors' expected attribute lists have no Deactivation Date the server added. Soft delete stays on (the default): clients must not tell it from erasure.
      writeFileSync(join(dir, 'policy.json'), JSON.stringify({ algorithms: ['*'], allowLegacy: true, defaultLifetimeDays: 0 }));
      try {
        const session = new Session(await startServe(BIN, dir), creds, dir);
        live.add(session);
        session.serve.child.once('exit', () => live.delete(session));
        return session;
      } catch (e) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
    },
    async runGroup(group, all, session) {
      const results: CaseResult[] = [];
      const supplied = new Set<string>();
      for (const c of group.cases) results.push(await runCase(c, all, session, supplied));
      return results;
    },
    close() {
      process.off('exit', killAll);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function stop(serve: ServeProcess): Promise<void> {
  return stopChild(serve.child);
}

/**
 * Runs `cases` (grouped; `all` is the whole index, for the required
 * operations) with up to `jobs` groups at once; results in input order.
 */
export async function runCases(cases: readonly Case[], all: readonly Case[], jobs = Number(process.env.KEYHOLD_CONFORMANCE_JOBS) || availableParallelism()): Promise<CaseResult[]> {
  const runner = await createRunner();
  try {
    const groups = groupCases(cases);
    const byPath = new Map<string, CaseResult>();
    let i = 0;
    const worker = async (): Promise<void> => {
      let shared: Session | undefined;
      try {
        while (i < groups.length) {
          const g = groups[i++]!;
          const own = needsOwnDatabase(g);
          let session: Session;
          try {
            if (!own && shared && !shared.alive) {
              await shared.close();
              shared = undefined;
            }
            // One retry: a start that fails once (a busy machine) should not fail a whole group.
            const start = () => runner.startSession().catch(() => runner.startSession());
            session = own ? await start() : (shared ??= await start());
          } catch (e) {
            // The server did not start: every case of the group fails with that reason.
            for (const c of g.cases) byPath.set(c.path, { case: c, status: 'fail', reason: `server did not start: ${describe(e)}` });
            continue;
          }
          try {
            for (const r of await runner.runGroup(g, all, session)) byPath.set(r.case.path, r);
          } finally {
            if (own) await session.close();
            else session.drop();
          }
        }
      } finally {
        await shared?.close();
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
    return cases.map((c) => byPath.get(c.path)!);
  } finally {
    runner.close();
  }
}
