// Batch Error Continuation Option Undo (1.4 §6.13, 2.1 §9.13) on a real
// store: all-or-nothing, Operation Undone for the items that had succeeded,
// and isolation from requests of other connections that run meanwhile.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRequestMessage, parseResponseMessage, type ResponseBatchItem } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, item, struct, type StructureItem, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { isClose, processRequest } from '../main/kmip/index.js';
import { BatchGate } from '../main/kmip/batch-gate.js';
import { en, field, int, kmipHarness, storeBackedContext, uid, V21 } from './support/kmip-ops.js';

const NOW = new Date('2026-05-06T07:08:09Z');
const OP = Enum.Operation;
const RS = Enum.ResultStatus;

const name = (n: string): TtlvItem => struct(Tag.Name, [item(Tag.NameValue, 'TextString', n), en(Tag.NameType, Enum.NameType.UninterpretedTextString)]);
const createAes = (n: string): [number, TtlvItem[]] => [
  OP.Create,
  [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), struct(Tag.Attributes, [en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 256), name(n)])],
];
const createRsaPair = (n: string): [number, TtlvItem[]] => [
  OP.CreateKeyPair,
  [
    struct(Tag.CommonAttributes, [en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.RSA), int(Tag.CryptographicLength, 3072)]),
    struct(Tag.PrivateKeyAttributes, [name(`${n}-private`)]),
    struct(Tag.PublicKeyAttributes, [name(`${n}-public`)]),
  ],
];

async function batch(ctx: Parameters<typeof processRequest>[1], option: number, items: [number, TtlvItem[]][]): Promise<ResponseBatchItem[]> {
  const bytes = encodeTtlv(
    buildRequestMessage({
      header: { protocolVersion: V21, batchErrorContinuationOption: option },
      batchItems: items.map(([operation, payload], i) => ({ operation, uniqueBatchItemId: Uint8Array.of(i), requestPayload: struct(Tag.RequestPayload, payload) })),
    }),
  );
  const r = await processRequest(bytes, ctx);
  assert.ok(!isClose(r));
  return parseResponseMessage(decodeTtlv(r as Uint8Array)).batchItems;
}

test('Undo: a batch that succeeds is committed', async () => {
  const { ctx, store } = storeBackedContext('keyhold-undo-', () => NOW);
  const r = await batch(ctx, Enum.BatchErrorContinuationOption.Undo, [createAes('undo-ok'), [OP.Activate, []]]);
  assert.deepEqual(r.map((b) => b.resultStatus), [RS.Success, RS.Success]);
  const [id] = store.locate({ attributes: [{ name: 'Name', text: 'undo-ok' }] });
  assert.equal(store.getObject(id!).state, 2);
});

test('Undo: a failure rolls every earlier item back; they answer Operation Undone with their identifiers; later items do not run', async () => {
  const { ctx, store } = storeBackedContext('keyhold-undo-', () => NOW);
  const { ok } = kmipHarness(ctx);
  const existing = field(await ok(V21, ...createAes('undo-existing')), Tag.UniqueIdentifier)!.value as string;
  const before = store.locate({});
  const r = await batch(ctx, Enum.BatchErrorContinuationOption.Undo, [
    createAes('undo-new'),
    [OP.Activate, []],
    [OP.Activate, [uid(existing)]],
    [OP.Get, [uid('no-such-object')]],
    [OP.Destroy, [uid(existing)]],
  ]);
  assert.deepEqual(r.map((b) => b.resultStatus), [RS.OperationUndone, RS.OperationUndone, RS.OperationUndone, RS.OperationFailed]);
  assert.equal(r[3]!.resultReason, Enum.ResultReason.ObjectNotFound);
  assert.ok(field(r[0]!.responsePayload, Tag.UniqueIdentifier), 'the undone Create still reports the identifier it had');
  assert.deepEqual(r.map((b) => b.uniqueBatchItemId?.[0]), [0, 1, 2, 3]);
  assert.deepEqual(store.locate({}), before, 'the created key is gone');
  assert.equal(store.getObject(existing).state, 1, 'the activation of the existing key is undone');
  assert.equal(store.getAttributes(existing, ['ActivationDate']).length, 0);
  // Stop, by contrast, keeps what succeeded.
  const stop = await batch(ctx, Enum.BatchErrorContinuationOption.Stop, [createAes('stop-new'), [OP.Get, [uid('no-such-object')]]]);
  assert.deepEqual(stop.map((b) => b.resultStatus), [RS.Success, RS.OperationFailed]);
  assert.equal(store.locate({ attributes: [{ name: 'Name', text: 'stop-new' }] }).length, 1);
});

test('Undo: an undone item returns nothing it produced (only identifiers), so Usage Limits rolled back with it buy no extra cipher texts, signatures or keys', async () => {
  const { ctx } = storeBackedContext('keyhold-undo-', () => NOW);
  const { ok, fails } = kmipHarness(ctx);
  const limits = struct(Tag.UsageLimits, [item(Tag.UsageLimitsTotal, 'LongInteger', 1n), en(Tag.UsageLimitsUnit, Enum.UsageLimitsUnit.Object)]);
  const [op, payload] = createAes('limited');
  const attrs = payload[1] as StructureItem;
  const id = field(await ok(V21, op, [payload[0]!, struct(Tag.Attributes, [...attrs.value, int(Tag.CryptographicUsageMask, Enum.CryptographicUsageMask.Encrypt), limits])]), Tag.UniqueIdentifier)!.value as string;
  await ok(V21, OP.Activate, [uid(id)]);
  const encrypt: [number, TtlvItem[]] = [OP.Encrypt, [uid(id), struct(Tag.CryptographicParameters, [en(Tag.BlockCipherMode, Enum.BlockCipherMode.GCM), item(Tag.RandomIV, 'Boolean', true)]), item(Tag.Data, 'ByteString', new Uint8Array(32))]];
  for (let i = 0; i < 3; i++) {
    const r = await batch(ctx, Enum.BatchErrorContinuationOption.Undo, [encrypt, [OP.Get, [uid(id)]], [OP.Get, [uid('no-such-object')]]]);
    assert.deepEqual(r.map((b) => b.resultStatus), [RS.OperationUndone, RS.OperationUndone, RS.OperationFailed], r.map((b) => b.resultMessage).join(" / "));
    for (const undone of r.slice(0, 2)) {
      assert.ok(undone.responsePayload, 'an undone item still has its Response Payload (1.4 §7.2: present unless a failure)');
      assert.deepEqual(undone.responsePayload!.value, [uid(id)], 'nothing but the identifier: no Data, IV/Counter/Nonce, Authenticated Encryption Tag or Symmetric Key');
    }
  }
  // The one use the limit allows is still there, and only one.
  assert.ok(field(await ok(V21, ...encrypt), Tag.Data));
  assert.match(await fails(V21, ...encrypt, Enum.ResultReason.PermissionDenied), /0 uses left/);
});

test('Undo: a request of another connection that arrives while the batch awaits key generation is not rolled back with it', async () => {
  const { ctx, store } = storeBackedContext('keyhold-undo-', () => NOW);
  const undo = batch(ctx, Enum.BatchErrorContinuationOption.Undo, [createRsaPair('undo-pair'), [OP.Get, [uid('no-such-object')]]]);
  // Starts while the Undo batch is generating its RSA key (it awaits), so the gate decides who goes first.
  const other = batch(ctx, Enum.BatchErrorContinuationOption.Stop, [createAes('other-connection')]);
  const [u, o] = await Promise.all([undo, other]);
  assert.deepEqual(u.map((b) => b.resultStatus), [RS.OperationUndone, RS.OperationFailed]);
  assert.deepEqual(o.map((b) => b.resultStatus), [RS.Success]);
  assert.equal(store.locate({ attributes: [{ name: 'Name', text: 'other-connection' }] }).length, 1);
  assert.equal(store.locate({ attributes: [{ name: 'Name', text: 'undo-pair-private' }] }).length, 0);
});

test('BatchGate: shared holders run together; an exclusive one waits for them and goes before later arrivals', async () => {
  const gate = new BatchGate();
  const order: string[] = [];
  const tick = () => new Promise((r) => setTimeout(r, 5));
  const a = gate.shared(async () => { order.push('a+'); await tick(); order.push('a-'); });
  const b = gate.shared(async () => { order.push('b+'); await tick(); order.push('b-'); });
  const x = gate.exclusive(async () => { order.push('x+'); await tick(); order.push('x-'); });
  const c = gate.shared(async () => { order.push('c+'); order.push('c-'); });
  await Promise.all([a, b, x, c]);
  assert.deepEqual(order.slice(0, 2), ['a+', 'b+']);
  assert.deepEqual(order.slice(4), ['x+', 'x-', 'c+', 'c-']);
});

test('OASIS BL-M-2-21 (Undo with Activate and Check) replays', async () => {
  const { ctx } = storeBackedContext('keyhold-undo-', () => NOW);
  assert.equal(await kmipHarness(ctx).replay('cosmian-kmip/v2.1/XML/mandatory/BL-M-2-21.xml'), undefined);
});
