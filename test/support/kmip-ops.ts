// Helpers for operation tests through processRequest: send a batch, expect
// success or a Result Reason, and replay an OASIS XML test case (binding
// $UNIQUE_IDENTIFIER_n; Date-Time, Digest Value, Key Material and Random
// Number Generator (the reference server's own generator) compared by type
// only).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { buildRequestMessage, parseResponseMessage, type ResponseBatchItem, type ResponseMessage } from '../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, item, struct, type StructureItem, type TtlvItem } from '../../shared/kmip/ttlv/index.js';
import { parseKmipXml } from '../../shared/kmip/xml/index.js';
import { createRouter, isClose, processRequest, storeObjectsPort, type ServerContext } from '../../main/kmip/index.js';
import { openStore, type KeyStore } from '../../main/store/index.js';
import { substitutePlaceholder } from './kmip-text-vectors.js';
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

function bind(it: TtlvItem, ids: Map<string, string>): TtlvItem {
  if (it.type === 'Structure') return { ...it, value: it.value.map((c) => bind(c, ids)) };
  if (it.type === 'TextString' && it.value.startsWith('$UNIQUE_IDENTIFIER_')) {
    const v = ids.get(it.value);
    if (v === undefined) throw new Error(`${it.value} used before it was bound`);
    return { ...it, value: v };
  }
  return it;
}

function mismatch(exp: TtlvItem, got: TtlvItem | undefined, ids: Map<string, string>, path: string): string | undefined {
  if (got === undefined) return `${path}: missing`;
  if (exp.tag !== got.tag || exp.type !== got.type) return `${path}: ${exp.tag.toString(16)}/${exp.type} vs ${got.tag.toString(16)}/${got.type}`;
  if (exp.type === 'DateTime' || exp.type === 'DateTimeExtended' || exp.tag === Tag.DigestValue || exp.tag === Tag.KeyMaterial || exp.tag === Tag.RandomNumberGenerator) return undefined;
  if (exp.type === 'TextString' && exp.value.startsWith('$UNIQUE_IDENTIFIER_')) {
    const bound = ids.get(exp.value);
    if (bound === undefined) ids.set(exp.value, got.value as string);
    else if (bound !== got.value) return `${path}: ${exp.value} is ${bound}, got ${String(got.value)}`;
    return undefined;
  }
  if (exp.type === 'Structure') {
    const g = got as StructureItem;
    // 1.x: the Random Number Generator value is an Attribute Value structure.
    if (exp.tag === Tag.Attribute && field(exp, Tag.AttributeName)?.value === 'Random Number Generator') {
      return field(g, Tag.AttributeName)?.value === 'Random Number Generator' ? undefined : `${path}: expected Random Number Generator`;
    }
    for (let i = 0; i < Math.max(exp.value.length, g.value.length); i++) {
      if (exp.value[i] === undefined) return `${path}[${i}]: extra ${g.value[i]!.tag.toString(16)}`;
      const d = mismatch(exp.value[i]!, g.value[i], ids, `${path}/${exp.value[i]!.tag.toString(16)}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  const a = exp.value instanceof Uint8Array ? Buffer.from(exp.value).toString('hex') : String(exp.value);
  const b = got.value instanceof Uint8Array ? Buffer.from(got.value).toString('hex') : String(got.value);
  return a === b ? undefined : `${path}: ${a} vs ${b}`;
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
    const ids = new Map<string, string>();
    for (let i = 0; i + 1 < items.length; i += 2) {
      const r = await processRequest(encodeTtlv(bind(items[i]!, ids)), ctx);
      if (isClose(r)) return `#${i / 2}: connection closed`;
      const got: ResponseMessage = parseResponseMessage(decodeTtlv(r));
      const expected = parseResponseMessage(items[i + 1]!);
      if (got.batchItems.length !== expected.batchItems.length) return `#${i / 2}: ${got.batchItems.length} items`;
      for (const [k, e] of expected.batchItems.entries()) {
        const g = got.batchItems[k]!;
        const where = `#${i / 2}.${k} op ${e.operation}`;
        if (g.operation !== e.operation || g.resultStatus !== e.resultStatus || g.resultReason !== e.resultReason) {
          return `${where}: status ${g.resultStatus}/${g.resultReason} (${g.resultMessage}), expected ${e.resultStatus}/${e.resultReason}`;
        }
        if (e.responsePayload !== undefined) {
          const d = mismatch(e.responsePayload, g.responsePayload, ids, where);
          if (d !== undefined) return d;
        }
      }
    }
    return undefined;
  }
  return { send, ok, fails, replay };
}
