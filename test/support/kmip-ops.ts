// Helpers for operation tests through processRequest: send a batch, expect
// success or a Result Reason, and replay an OASIS XML test case in process
// with the conformance runner's comparison (test/conformance/compare.ts,
// whose header lists what is variable).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { buildRequestMessage, parseResponseMessage, type ResponseBatchItem } from '../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, item, struct, type StructureItem, type TtlvItem } from '../../shared/kmip/ttlv/index.js';
import { parseKmipXml } from '../../shared/kmip/xml/index.js';
import { createRouter, isClose, processRequest, storeObjectsPort, type ServerContext } from '../../main/kmip/index.js';
import { openStore, type KeyStore } from '../../main/store/index.js';
import { substitutePlaceholder } from './kmip-text-vectors.js';
import { readCases, requiredOperations } from '../conformance/cases.js';
import { bind, compareResponse, newCaseState } from '../conformance/compare.js';
import { reference } from './reference.js';

export interface Version {
  major: number;
  minor: number;
}

export const V11: Version = { major: 1, minor: 1 };
export const V12: Version = { major: 1, minor: 2 };
export const V14: Version = { major: 1, minor: 4 };
export const V21: Version = { major: 2, minor: 1 };

/** Item builders for request payloads. */
export const uid = (s: string): TtlvItem => item(Tag.UniqueIdentifier, 'TextString', s);
export const en = (tag: number, v: number): TtlvItem => item(tag, 'Enumeration', v);
export const int = (tag: number, v: number): TtlvItem => item(tag, 'Integer', v);

export function field(s: StructureItem | undefined, tag: number): TtlvItem | undefined {
  return s?.value.find((c) => c.tag === tag);
}
export function fields(s: StructureItem | undefined, tag: number): TtlvItem[] {
  return s?.value.filter((c) => c.tag === tag) ?? [];
}

/**
 * A server context over a real store in a fresh temp dir, removed after the
 * test file; `clock` gives the time stamps (tests fix or advance it).
 */
export function storeBackedContext(prefix: string, clock: () => Date): { ctx: ServerContext; store: KeyStore } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const store = openStore(dir);
  after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { ctx: { router: createRouter(), clock, server: { vendorIdentification: 'Keyhold' }, objects: storeObjectsPort(store) }, store };
}

export function kmipHarness(ctx: ServerContext) {
  async function send(version: Version, items: [number, TtlvItem[]][]): Promise<ResponseBatchItem[]> {
    const bytes = encodeTtlv(
      buildRequestMessage({
        header: { protocolVersion: version, ...(items.length > 1 ? { batchErrorContinuationOption: Enum.BatchErrorContinuationOption.Continue } : {}) },
        batchItems: items.map(([operation, payload], i) => ({ operation, ...(items.length > 1 ? { uniqueBatchItemId: Uint8Array.of(i) } : {}), requestPayload: struct(Tag.RequestPayload, payload) })),
      }),
    );
    const r = await processRequest(bytes, ctx);
    assert.ok(!isClose(r));
    return parseResponseMessage(decodeTtlv(r as Uint8Array)).batchItems;
  }
  async function ok(version: Version, op: number, payload: TtlvItem[]): Promise<StructureItem> {
    const [bi] = await send(version, [[op, payload]]);
    assert.equal(bi!.resultStatus, Enum.ResultStatus.Success, `${op}: ${bi!.resultMessage}`);
    return bi!.responsePayload!;
  }
  async function fails(version: Version, op: number, payload: TtlvItem[], reason: number): Promise<string> {
    const [bi] = await send(version, [[op, payload]]);
    assert.equal(bi!.resultStatus, Enum.ResultStatus.OperationFailed, `${op}: expected failure`);
    assert.equal(bi!.resultReason, reason, bi!.resultMessage);
    return bi!.resultMessage ?? '';
  }
  /** Replays one OASIS file; the first failure, or undefined when every pair matches. */
  async function replay(file: string): Promise<string | undefined> {
    const items = parseKmipXml(readFileSync(reference('kmip-testcases', file), 'utf8'), { substitute: substitutePlaceholder });
    // The comparison is the conformance runner's (test/conformance/compare.ts); only the transport differs.
    const all = readCases();
    const c = all.find((x) => x.path === file);
    const state = newCaseState(items.filter((m) => m.tag === Tag.RequestMessage), { served: ctx.router.operations(), required: c ? requiredOperations(all, c) : [] });
    for (let i = 0; i + 1 < items.length; i += 2) {
      const r = await processRequest(encodeTtlv(bind(items[i]!, state.ids)), ctx);
      if (isClose(r)) return `#${i / 2}: connection closed`;
      const d = compareResponse(items[i + 1]!, parseResponseMessage(decodeTtlv(r)), state, `#${i / 2}`, items[i]);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return { send, ok, fails, replay };
}
