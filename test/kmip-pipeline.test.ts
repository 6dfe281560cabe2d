// main/kmip request processing: OASIS vectors for Discover Versions and Query,
// batch semantics, error mapping, and robustness against malformed input.
//
// OASIS comparison rules (the vectors were recorded against other servers):
//  - Response Header: Protocol Version and Batch Count must be equal; Time
//    Stamp is variable and must equal the injected clock.
//  - Each batch item: Operation, Unique Batch Item ID, Result Status and
//    Result Reason must be equal; Result Message is free text and ignored.
//  - Discover Versions payload: equal when the request lists versions;
//    without a list the answer is the server's own, so the expected versions
//    must appear in ours in the same relative order.
//  - Query payload is server-specific: every field group (Operation, Object
//    Type, Vendor Identification, Server Information, Capability Information)
//    we return must be one the expected answer has, every Operation we list
//    must be registered, Vendor Identification is 'Keyhold'; groups for
//    features we do not have (profiles, RNGs, validations, extensions,
//    attestation types, client registration methods, …) may be empty.
//  - Response Too Large depends on the server's answer size: where expected,
//    ours must either fail the same way or be no larger than the limit.
//  - Files not used: TC-Q-S2C-* (server-to-client Query/Discover Versions:
//    the roles are reversed) and KMIP 3.0 files (out of scope).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildRequestMessage, parseResponseMessage, type RequestBatchItem, type RequestHeaderInput, type ResponseMessage } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, item, struct, type StructureItem, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { parseKmipXml } from '../shared/kmip/xml/index.js';
import {
  createRouter,
  isClose,
  KmipOperationError,
  processRequest,
  uniqueIdentifierOrPlaceholder,
  type OperationModule,
  type ProcessResult,
  type ServerContext,
} from '../main/kmip/index.js';
import { substitutePlaceholder } from './support/kmip-text-vectors.js';
import { reference } from './support/reference.js';

const NOW = new Date('2026-01-02T03:04:05Z');
const NOW_S = BigInt(NOW.getTime() / 1000);
const OBJECT_TYPES = [Enum.ObjectType.Certificate, Enum.ObjectType.SymmetricKey, Enum.ObjectType.PublicKey, Enum.ObjectType.PrivateKey, Enum.ObjectType.SecretData];

function context(extra: OperationModule[] = [], logs: { message: string; error: unknown }[] = []): ServerContext {
  return {
    router: createRouter(extra),
    clock: () => NOW,
    server: { vendorIdentification: 'Keyhold', serverName: 'test', serverVersion: '0.1.0', productName: 'Keyhold' },
    objects: { objectTypes: OBJECT_TYPES },
    log: (message, error) => logs.push({ message, error }),
  };
}

function response(r: ProcessResult): ResponseMessage {
  assert.ok(!isClose(r), `expected a response, got close: ${isClose(r) ? r.reason : ''}`);
  return parseResponseMessage(decodeTtlv(r as Uint8Array));
}

function find(s: StructureItem | undefined, tag: number): TtlvItem[] {
  return s?.value.filter((c) => c.tag === tag) ?? [];
}

// ---------------------------------------------------------------------------
// OASIS vectors

const ROOT = reference('kmip-testcases');
const SCOPE = new Set(['1.0', '1.1', '1.2', '1.3', '1.4', '2.0', '2.1']);

function vectorFiles(): string[] {
  const lines = readFileSync(join(ROOT, 'index.tsv'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const h = lines[0]!.split('\t');
  const [pi, vi, oi, wi] = ['path', 'protocol_version', 'operations', 'well_formed_xml'].map((n) => h.indexOf(n)) as [number, number, number, number];
  return lines
    .slice(1)
    .map((l) => l.split('\t'))
    .filter((f) => SCOPE.has(f[vi]!) && f[wi] === 'yes' && /^((DiscoverVersions|Query) ?)+$/.test(f[oi]!.trim()))
    .map((f) => f[pi]!)
    .filter((p) => !/TC-Q-S2C/.test(p));
}

const QUERY_GROUPS: number[] = [Tag.Operation, Tag.ObjectType, Tag.VendorIdentification, Tag.ServerInformation, Tag.CapabilityInformation];

function comparePair(req: TtlvItem, expected: ResponseMessage, got: ResponseMessage, registered: number[], where: string): void {
  assert.deepEqual(got.header.protocolVersion, expected.header.protocolVersion, `${where}: protocol version`);
  assert.equal(got.header.timeStamp, NOW_S, `${where}: time stamp from the clock`);
  assert.equal(got.header.batchCount, expected.header.batchCount, `${where}: batch count`);
  const maxSize = find(find(req as StructureItem, Tag.RequestHeader)[0] as StructureItem, Tag.MaximumResponseSize)[0]?.value as number | undefined;
  for (const [i, e] of expected.batchItems.entries()) {
    const g = got.batchItems[i]!;
    const w = `${where} item ${i}`;
    assert.equal(g.operation, e.operation, `${w}: operation`);
    assert.deepEqual(g.uniqueBatchItemId, e.uniqueBatchItemId, `${w}: unique batch item id`);
    if (e.resultReason === Enum.ResultReason.ResponseTooLarge && g.resultStatus === Enum.ResultStatus.Success) {
      // Our answer is smaller than the recording server's: acceptable if it fits.
      assert.ok(maxSize !== undefined);
      continue;
    }
    assert.equal(g.resultStatus, e.resultStatus, `${w}: result status (${g.resultMessage ?? ''})`);
    assert.equal(g.resultReason, e.resultReason, `${w}: result reason`);
    if (e.responsePayload === undefined) {
      assert.equal(g.responsePayload, undefined, `${w}: no payload`);
      continue;
    }
    const gp = g.responsePayload!;
    if (g.operation === Enum.Operation.DiscoverVersions) {
      const key = (x: TtlvItem): string => JSON.stringify(x);
      const clientList = (find(req as StructureItem, Tag.BatchItem)[i] as StructureItem).value.find((c) => c.tag === Tag.RequestPayload) as StructureItem;
      if (clientList.value.length > 0) assert.deepEqual(gp.value.map(key), e.responsePayload.value.map(key), `${w}: versions`);
      else {
        const ours = gp.value.map(key);
        const positions = e.responsePayload.value.map((x) => ours.indexOf(key(x)));
        assert.ok(positions.every((p, k) => p >= 0 && (k === 0 || p > positions[k - 1]!)), `${w}: expected versions in our list, same order`);
      }
    } else {
      const expectedTags = new Set(e.responsePayload.value.map((c) => c.tag));
      for (const c of gp.value) {
        assert.ok(QUERY_GROUPS.includes(c.tag), `${w}: unexpected field ${c.tag.toString(16)}`);
        assert.ok(expectedTags.has(c.tag), `${w}: field ${c.tag.toString(16)} not in the expected answer`);
        if (c.tag === Tag.Operation) assert.ok(registered.includes(c.value as number));
        if (c.tag === Tag.VendorIdentification) assert.equal(c.value, 'Keyhold');
      }
      for (const t of [Tag.VendorIdentification, Tag.ServerInformation, Tag.CapabilityInformation]) {
        assert.equal(find(gp, t).length > 0, expectedTags.has(t), `${w}: field ${t.toString(16)} present as expected`);
      }
      if (expectedTags.has(Tag.Operation)) assert.ok(find(gp, Tag.Operation).some((c) => c.value === Enum.Operation.Query), `${w}: Query listed`);
    }
  }
}

test('OASIS Discover Versions and Query vectors (1.0–2.1)', async () => {
  const files = vectorFiles();
  assert.ok(files.length >= 60, `found ${files.length} files`);
  const ctx = context();
  const registered = ctx.router.operations();
  let pairs = 0;
  for (const f of files) {
    const items = parseKmipXml(readFileSync(join(ROOT, f), 'utf8'), { substitute: substitutePlaceholder });
    for (let i = 0; i + 1 < items.length; i += 2) {
      const req = items[i]!;
      const expected = parseResponseMessage(items[i + 1]!);
      const got = response(await processRequest(encodeTtlv(req), ctx));
      comparePair(req, expected, got, registered, `${f} #${i / 2}`);
      pairs++;
    }
  }
  assert.ok(pairs >= 80, `${pairs} request/response pairs`);
  if (process.env.KMIP_PIPELINE_VERBOSE) console.log(`${files.length} files, ${pairs} pairs`);
});

// ---------------------------------------------------------------------------
// Batches, with stub operations in a test router

const V14 = { major: 1, minor: 4 };
const uid = (s: string): TtlvItem => item(Tag.UniqueIdentifier, 'TextString', s);
const id = (n: number): Uint8Array => Uint8Array.of(n);

let created = 0;
const stubs: OperationModule[] = [
  // Create: a new object; sets the ID Placeholder.
  { operation: Enum.Operation.Create, handler: () => { const u = `uid-${++created}`; return { payload: [item(Tag.ObjectType, 'Enumeration', Enum.ObjectType.SymmetricKey), uid(u)], idPlaceholder: u }; } },
  // Get: echoes the identifier it would act on (from the payload or the placeholder).
  { operation: Enum.Operation.Get, handler: (p, ctx) => ({ payload: [uid(uniqueIdentifierOrPlaceholder(p, ctx))] }) },
  { operation: Enum.Operation.Destroy, handler: (p) => { throw new KmipOperationError('ItemNotFound', `object ${String(p.value[0]?.value)} not found`); } },
  { operation: Enum.Operation.Activate, handler: () => { throw new Error('boom at /secret/path key=00112233'); } },
];

function request(items: { op: number; payload?: TtlvItem[]; id?: number }[], header: Partial<RequestHeaderInput> = {}): Uint8Array {
  const batchItems: RequestBatchItem[] = items.map((x) => ({
    operation: x.op,
    ...(x.id === undefined ? {} : { uniqueBatchItemId: id(x.id) }),
    requestPayload: struct(Tag.RequestPayload, x.payload ?? []),
  }));
  return encodeTtlv(buildRequestMessage({ header: { protocolVersion: V14, ...header }, batchItems }));
}

test('unique batch item ids are echoed and the ID Placeholder flows to later items', async () => {
  const r = response(await processRequest(request([{ op: Enum.Operation.Create, id: 7 }, { op: Enum.Operation.Get, id: 8 }, { op: Enum.Operation.Get, id: 9, payload: [uid('explicit')] }]), context(stubs)));
  assert.deepEqual(r.header.protocolVersion, V14);
  assert.deepEqual(r.batchItems.map((b) => b.uniqueBatchItemId), [id(7), id(8), id(9)]);
  assert.ok(r.batchItems.every((b) => b.resultStatus === Enum.ResultStatus.Success));
  const createdUid = find(r.batchItems[0]!.responsePayload, Tag.UniqueIdentifier)[0]!.value;
  assert.equal(find(r.batchItems[1]!.responsePayload, Tag.UniqueIdentifier)[0]!.value, createdUid);
  assert.equal(find(r.batchItems[2]!.responsePayload, Tag.UniqueIdentifier)[0]!.value, 'explicit');
});

test('the ID Placeholder does not outlive its batch', async () => {
  const ctx = context(stubs);
  response(await processRequest(request([{ op: Enum.Operation.Create }]), ctx));
  const r = response(await processRequest(request([{ op: Enum.Operation.Get }]), ctx));
  assert.equal(r.batchItems[0]!.resultReason, Enum.ResultReason.MissingData);
});

test('Batch Error Continuation Option: Stop (default) vs Continue; Undo refused by a server without a store', async () => {
  const items = [{ op: Enum.Operation.Create, id: 1 }, { op: Enum.Operation.Destroy, id: 2, payload: [uid('x')] }, { op: Enum.Operation.Get, id: 3 }];
  const stop = response(await processRequest(request(items, { batchOrderOption: true }), context(stubs)));
  assert.equal(stop.batchItems.length, 2);
  assert.equal(stop.batchItems[1]!.resultReason, Enum.ResultReason.ItemNotFound);
  assert.equal(stop.batchItems[1]!.resultMessage, 'object x not found');
  const cont = response(await processRequest(request(items, { batchErrorContinuationOption: Enum.BatchErrorContinuationOption.Continue }), context(stubs)));
  assert.deepEqual(cont.batchItems.map((b) => b.resultStatus), [Enum.ResultStatus.Success, Enum.ResultStatus.OperationFailed, Enum.ResultStatus.Success]);
  const undo = response(await processRequest(request(items, { batchErrorContinuationOption: Enum.BatchErrorContinuationOption.Undo }), context(stubs)));
  assert.ok(undo.batchItems.every((b) => b.resultReason === Enum.ResultReason.FeatureNotSupported));
});

test('Maximum Response Size: items that do not fit answer Response Too Large', async () => {
  const query = [item(Tag.QueryFunction, 'Enumeration', Enum.QueryFunction.QueryOperations), item(Tag.QueryFunction, 'Enumeration', Enum.QueryFunction.QueryServerInformation)];
  const small = response(await processRequest(request([{ op: Enum.Operation.Query, payload: query }], { maximumResponseSize: 64 }), context()));
  const b = small.batchItems[0]!;
  assert.equal(b.operation, Enum.Operation.Query);
  assert.equal(b.resultReason, Enum.ResultReason.ResponseTooLarge);
  assert.equal(b.responsePayload, undefined);
  assert.match(b.resultMessage!, /Maximum Response Size indicated in request: 64/);
  const ok = await processRequest(request([{ op: Enum.Operation.Query, payload: query, id: 1 }], { maximumResponseSize: 4096 }), context());
  assert.equal(response(ok).batchItems[0]!.resultStatus, Enum.ResultStatus.Success);
  // Two items, room for the first only (the header's batch count does not change size).
  const one = (ok as Uint8Array).length;
  const two = response(await processRequest(request([{ op: Enum.Operation.Query, payload: query, id: 1 }, { op: Enum.Operation.Query, payload: query, id: 2 }], { maximumResponseSize: one + 8 }), context()));
  assert.deepEqual(two.batchItems.map((x) => x.resultReason), [undefined, Enum.ResultReason.ResponseTooLarge]);
});

// ---------------------------------------------------------------------------
// Errors

test('garbage and headerless messages close the connection', async () => {
  const ctx = context();
  assert.ok(isClose(await processRequest(Uint8Array.of(1, 2, 3), ctx)));
  assert.ok(isClose(await processRequest(new Uint8Array(0), ctx)));
  assert.ok(isClose(await processRequest(encodeTtlv(struct(Tag.RequestMessage, [item(Tag.BatchCount, 'Integer', 1)])), ctx)));
  assert.ok(isClose(await processRequest(encodeTtlv(struct(Tag.ResponseMessage, [])), ctx)));
});

function rawRequest(version: [number, number], header: TtlvItem[], items: TtlvItem[]): Uint8Array {
  const pv = struct(Tag.ProtocolVersion, [item(Tag.ProtocolVersionMajor, 'Integer', version[0]), item(Tag.ProtocolVersionMinor, 'Integer', version[1])]);
  return encodeTtlv(struct(Tag.RequestMessage, [struct(Tag.RequestHeader, [pv, ...header]), ...items]));
}
const batchCount = (n: number): TtlvItem => item(Tag.BatchCount, 'Integer', n);
const queryItem = (payload: TtlvItem[] = [], extra: TtlvItem[] = []): StructureItem =>
  struct(Tag.BatchItem, [item(Tag.Operation, 'Enumeration', Enum.Operation.Query), ...extra, struct(Tag.RequestPayload, payload)]);

test('a readable header with a bad batch item: that item fails with Invalid Message and a readable message', async () => {
  const bad = struct(Tag.BatchItem, [item(Tag.Operation, 'Enumeration', Enum.Operation.Query), item(Tag.UniqueBatchItemID, 'ByteString', id(2))]); // no Request Payload
  const r = response(await processRequest(rawRequest([1, 2], [batchCount(2)], [queryItem([], [item(Tag.UniqueBatchItemID, 'ByteString', id(1))]), bad]), context()));
  assert.deepEqual(r.header.protocolVersion, { major: 1, minor: 2 });
  assert.equal(r.batchItems.length, 2);
  assert.equal(r.batchItems[0]!.resultStatus, Enum.ResultStatus.Success);
  assert.equal(r.batchItems[1]!.resultReason, Enum.ResultReason.InvalidMessage);
  assert.deepEqual(r.batchItems[1]!.uniqueBatchItemId, id(2));
  assert.match(r.batchItems[1]!.resultMessage!, /batch item 2: .*Request ?Payload/i);
});

test('a bad field value in a payload → Invalid Field; a batch count mismatch → Invalid Message for the message', async () => {
  const r = response(await processRequest(rawRequest([2, 1], [batchCount(1)], [queryItem([item(Tag.QueryFunction, 'Enumeration', 0x7777)])]), context()));
  assert.equal(r.batchItems[0]!.resultReason, Enum.ResultReason.InvalidField);
  assert.match(r.batchItems[0]!.resultMessage!, /Query Function 0x00007777/);
  const m = response(await processRequest(rawRequest([1, 4], [batchCount(3)], [queryItem()]), context()));
  assert.equal(m.batchItems.length, 1);
  assert.equal(m.batchItems[0]!.operation, undefined);
  assert.equal(m.batchItems[0]!.resultReason, Enum.ResultReason.InvalidMessage);
  assert.match(m.batchItems[0]!.resultMessage!, /Batch Count is 3/);
});

test('unsupported protocol version 9.9 → error in the highest supported version; 1.5 is answered as 1.4', async () => {
  const r = response(await processRequest(rawRequest([9, 9], [batchCount(1)], [queryItem()]), context()));
  assert.deepEqual(r.header.protocolVersion, { major: 2, minor: 1 });
  assert.equal(r.batchItems[0]!.operation, undefined);
  assert.equal(r.batchItems[0]!.resultStatus, Enum.ResultStatus.OperationFailed);
  assert.equal(r.batchItems[0]!.resultReason, Enum.ResultReason.UnsupportedProtocolVersion);
  assert.match(r.batchItems[0]!.resultMessage!, /9\.9 is not supported/);
  const low = response(await processRequest(rawRequest([0, 9], [batchCount(1)], [queryItem()]), context()));
  assert.deepEqual(low.header.protocolVersion, { major: 1, minor: 0 });
  assert.equal(low.batchItems[0]!.resultReason, Enum.ResultReason.InvalidMessage); // 1.x has no Unsupported Protocol Version
  const newer = response(await processRequest(rawRequest([1, 5], [batchCount(1)], [queryItem()]), context()));
  assert.deepEqual(newer.header.protocolVersion, { major: 1, minor: 4 });
  assert.equal(newer.batchItems[0]!.resultStatus, Enum.ResultStatus.Success);
});

test('unknown operation 0x80000001 and unregistered operations → Operation Not Supported', async () => {
  const r = response(await processRequest(request([{ op: 0x80000001, id: 1 }, { op: Enum.Operation.Validate, id: 2 }], { batchErrorContinuationOption: Enum.BatchErrorContinuationOption.Continue }), context()));
  assert.deepEqual(r.batchItems.map((b) => b.resultReason), [Enum.ResultReason.OperationNotSupported, Enum.ResultReason.OperationNotSupported]);
  assert.equal(r.batchItems[0]!.operation, 0x80000001);
  assert.match(r.batchItems[0]!.resultMessage!, /operation 0x80000001 is not supported/);
  assert.match(r.batchItems[1]!.resultMessage!, /operation Validate is not supported/);
  // Discover Versions does not exist in KMIP 1.0.
  const old = response(await processRequest(encodeTtlv(buildRequestMessage({ header: { protocolVersion: { major: 1, minor: 0 } }, batchItems: [{ operation: Enum.Operation.DiscoverVersions, requestPayload: struct(Tag.RequestPayload, []) }] })), context()));
  assert.equal(old.batchItems[0]!.resultReason, Enum.ResultReason.OperationNotSupported);
});

test('a handler throwing a plain Error → General Failure without internals', async () => {
  const logs: { message: string; error: unknown }[] = [];
  const r = response(await processRequest(request([{ op: Enum.Operation.Activate }]), context(stubs, logs)));
  const b = r.batchItems[0]!;
  assert.equal(b.resultReason, Enum.ResultReason.GeneralFailure);
  assert.equal(b.resultMessage, 'internal error while processing Activate');
  assert.equal(logs.length, 1);
});

test('a payload that cannot be encoded → General Failure for that item only', async () => {
  const broken: OperationModule = { operation: Enum.Operation.Check, handler: () => ({ payload: [item(Tag.UniqueIdentifier, 'Integer', 1.5)] }) };
  const r = response(await processRequest(request([{ op: Enum.Operation.Check, id: 1 }, { op: Enum.Operation.Create, id: 2 }], { batchErrorContinuationOption: Enum.BatchErrorContinuationOption.Continue }), context([...stubs, broken])));
  assert.equal(r.batchItems[0]!.resultReason, Enum.ResultReason.GeneralFailure);
  assert.equal(r.batchItems[0]!.responsePayload, undefined);
  assert.equal(r.batchItems[1]!.resultStatus, Enum.ResultStatus.Success);
});

test('a critical Message Extension the server does not know → Feature Not Supported', async () => {
  const ext = struct(Tag.MessageExtension, [item(Tag.VendorIdentification, 'TextString', 'acme'), item(Tag.CriticalityIndicator, 'Boolean', true), struct(Tag.VendorExtension, [])]);
  const bi = struct(Tag.BatchItem, [item(Tag.Operation, 'Enumeration', Enum.Operation.Query), struct(Tag.RequestPayload, []), ext]);
  const r = response(await processRequest(rawRequest([1, 4], [batchCount(1)], [bi]), context()));
  assert.equal(r.batchItems[0]!.resultReason, Enum.ResultReason.FeatureNotSupported);
  assert.match(r.batchItems[0]!.resultMessage!, /acme/);
});

test('Query: registered operations, objects, server and capability information', async () => {
  const fns = [Enum.QueryFunction.QueryOperations, Enum.QueryFunction.QueryObjects, Enum.QueryFunction.QueryServerInformation, Enum.QueryFunction.QueryCapabilities];
  const r = response(await processRequest(encodeTtlv(buildRequestMessage({ header: { protocolVersion: { major: 2, minor: 1 } }, batchItems: [{ operation: Enum.Operation.Query, requestPayload: struct(Tag.RequestPayload, fns.map((f) => item(Tag.QueryFunction, 'Enumeration', f))) }] })), context(stubs)));
  const p = r.batchItems[0]!.responsePayload!;
  // Exactly the registered operations: the shipped ones (stubs replacing some of them).
  assert.deepEqual(find(p, Tag.Operation).map((c) => c.value), createRouter(stubs).operations());
  assert.ok(find(p, Tag.Operation).some((c) => c.value === Enum.Operation.Locate));
  assert.deepEqual(find(p, Tag.ObjectType).map((c) => c.value), OBJECT_TYPES);
  assert.equal(find(p, Tag.VendorIdentification)[0]!.value, 'Keyhold');
  const si = find(p, Tag.ServerInformation)[0] as StructureItem;
  assert.equal(find(si, Tag.ServerName)[0]!.value, 'test');
  const cap = find(p, Tag.CapabilityInformation)[0] as StructureItem;
  assert.equal(find(cap, Tag.BatchContinueCapability)[0]!.value, true);
  assert.equal(find(cap, Tag.BatchUndoCapability)[0]!.value, true);
});

// ---------------------------------------------------------------------------
// Robustness

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('2,000 random mutations of real requests never throw out of processRequest', async () => {
  const seeds = [
    request([{ op: Enum.Operation.Create, id: 1 }, { op: Enum.Operation.Get, id: 2 }, { op: Enum.Operation.Query, id: 3, payload: [item(Tag.QueryFunction, 'Enumeration', 1)] }], { maximumResponseSize: 300 }),
    rawRequest([1, 1], [batchCount(1)], [struct(Tag.BatchItem, [item(Tag.Operation, 'Enumeration', Enum.Operation.DiscoverVersions), struct(Tag.RequestPayload, [struct(Tag.ProtocolVersion, [item(Tag.ProtocolVersionMajor, 'Integer', 1), item(Tag.ProtocolVersionMinor, 'Integer', 0)])])])]),
    rawRequest([2, 0], [batchCount(1)], [queryItem([item(Tag.QueryFunction, 'Enumeration', 3), item(Tag.QueryFunction, 'Enumeration', 11)])]),
  ];
  const logs: { message: string; error: unknown }[] = [];
  const ctx = context(stubs, logs);
  const rand = rng(20261128);
  const int = (n: number): number => Math.floor(rand() * n);
  let responses = 0;
  let closes = 0;
  for (let i = 0; i < 2000; i++) {
    const src = seeds[i % seeds.length]!;
    let m = Uint8Array.from(src);
    const edits = 1 + int(4);
    for (let k = 0; k < edits; k++) {
      const kind = int(4);
      const at = int(m.length);
      if (kind === 0) m[at] = int(256);
      else if (kind === 1) m[at] = m[at]! ^ (1 << int(8));
      else if (kind === 2) m = m.slice(0, at);
      else { const c = new Uint8Array(m.length + 8); c.set(m.subarray(0, at)); c.set(m.subarray(at), at + 8); for (let j = 0; j < 8; j++) c[at + j] = int(256); m = c; }
    }
    const r = await processRequest(m, ctx);
    if (isClose(r)) closes++;
    else {
      parseResponseMessage(decodeTtlv(r)); // every answer is itself a valid Response Message
      responses++;
    }
  }
  assert.equal(responses + closes, 2000);
  // Only the stub that throws on purpose may log; a fault of the pipeline itself would log 'request processing failed'.
  assert.deepEqual(logs.filter((l) => l.message !== 'Activate failed'), []);
  assert.ok(responses > 50 && closes > 50, `${responses} responses, ${closes} closes`);
});
