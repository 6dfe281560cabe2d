// Name uniqueness (1.4 §3.2, 2.1 §4.35: "Names SHALL be unique within a given
// key management server"): every way a Name reaches an object is checked, a
// refused request leaves nothing behind, a destroyed object's Name is free
// again, and Re-key moves Names without tripping over itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { item, struct, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { en, field, int, kmipHarness, storeBackedContext, uid, V14, V21 } from './support/kmip-ops.js';

const NOW = new Date('2026-03-04T05:06:07Z');
const { ctx, store } = storeBackedContext('keyhold-names-', () => NOW);
const { send, ok, fails } = kmipHarness(ctx);
const OP = Enum.Operation;
const RR = Enum.ResultReason;

const nameFields = (n: string): TtlvItem[] => [item(Tag.NameValue, 'TextString', n), en(Tag.NameType, Enum.NameType.UninterpretedTextString)];
const name21 = (n: string): TtlvItem => struct(Tag.Name, nameFields(n));
const name14 = (n: string): TtlvItem => struct(Tag.Attribute, [item(Tag.AttributeName, 'TextString', 'Name'), struct(Tag.AttributeValue, nameFields(n))]);
const aes21 = (...extra: TtlvItem[]): TtlvItem[] => [
  en(Tag.ObjectType, Enum.ObjectType.SymmetricKey),
  struct(Tag.Attributes, [en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 256), ...extra]),
];
const aes14 = (...extra: TtlvItem[]): TtlvItem[] => [
  en(Tag.ObjectType, Enum.ObjectType.SymmetricKey),
  struct(Tag.TemplateAttribute, [
    struct(Tag.Attribute, [item(Tag.AttributeName, 'TextString', 'Cryptographic Algorithm'), en(Tag.AttributeValue, Enum.CryptographicAlgorithm.AES)]),
    struct(Tag.Attribute, [item(Tag.AttributeName, 'TextString', 'Cryptographic Length'), int(Tag.AttributeValue, 256)]),
    ...extra,
  ]),
];
const secret21 = (...extra: TtlvItem[]): TtlvItem[] => [
  en(Tag.ObjectType, Enum.ObjectType.SecretData),
  struct(Tag.Attributes, extra),
  struct(Tag.SecretData, [en(Tag.SecretDataType, Enum.SecretDataType.Password), struct(Tag.KeyBlock, [en(Tag.KeyFormatType, Enum.KeyFormatType.Opaque), struct(Tag.KeyValue, [item(Tag.KeyMaterial, 'ByteString', Buffer.from('s3cret'))])])]),
];
const idOf = (p: { value: TtlvItem[] }): string => field(p as never, Tag.UniqueIdentifier)!.value as string;
const count = (n: string): number => store.locate({ attributes: [{ name: 'Name', text: n }] }).length;

test('Create / Register with a Name already in use: Non Unique Name Attribute (2.x), Invalid Field (1.x); nothing is created', async () => {
  await ok(V21, OP.Create, aes21(name21('payroll-db')));
  const objects = store.locate({});
  const msg = await fails(V21, OP.Create, aes21(name21('payroll-db')), RR.NonUniqueNameAttribute);
  assert.match(msg, /Name 'payroll-db' is already in use/);
  await fails(V14, OP.Create, aes14(name14('payroll-db')), RR.InvalidField);
  await fails(V21, OP.Register, secret21(name21('payroll-db')), RR.NonUniqueNameAttribute);
  assert.deepEqual(store.locate({}), objects, 'refused requests leave no object behind');
  assert.equal(count('payroll-db'), 1);
});

test('Add / Modify / Set Attribute: a Name another object has, or the same Name twice on one object, is refused and nothing changes', async () => {
  const a = idOf(await ok(V21, OP.Create, aes21(name21('alpha'))));
  const b = idOf(await ok(V21, OP.Create, aes21(name21('beta'))));
  // OASIS BL-M-8-21: adding the object's own Name again.
  await fails(V21, OP.AddAttribute, [uid(a), struct(Tag.NewAttribute, [name21('alpha')])], RR.NonUniqueNameAttribute);
  await fails(V21, OP.AddAttribute, [uid(a), struct(Tag.NewAttribute, [name21('beta')])], RR.NonUniqueNameAttribute);
  await fails(V14, OP.AddAttribute, [uid(a), name14('beta')], RR.InvalidField);
  await fails(V21, OP.ModifyAttribute, [uid(b), struct(Tag.CurrentAttribute, [name21('beta')]), struct(Tag.NewAttribute, [name21('alpha')])], RR.NonUniqueNameAttribute);
  await fails(V21, OP.SetAttribute, [uid(b), struct(Tag.NewAttribute, [name21('alpha')])], RR.NonUniqueNameAttribute);
  assert.deepEqual(store.locate({ attributes: [{ name: 'Name', text: 'alpha' }] }), [a]);
  assert.deepEqual(store.locate({ attributes: [{ name: 'Name', text: 'beta' }] }), [b]);
  assert.equal(store.getAttributes(a, ['Name']).length, 1);
  // A second, different Name is fine, and so is renaming to a free one.
  await ok(V21, OP.AddAttribute, [uid(a), struct(Tag.NewAttribute, [name21('alpha-alias')])]);
  await ok(V21, OP.ModifyAttribute, [uid(b), struct(Tag.CurrentAttribute, [name21('beta')]), struct(Tag.NewAttribute, [name21('gamma')])]);
  assert.equal(count('gamma'), 1);
});

test('a destroyed object frees its Name; Re-key moves a Name to the new key; a batch sees each item checked', async () => {
  const old = idOf(await ok(V21, OP.Create, aes21(name21('tape-pool-1'))));
  await ok(V21, OP.Destroy, [uid(old)]);
  const fresh = idOf(await ok(V21, OP.Create, aes21(name21('tape-pool-1'))));
  assert.notEqual(fresh, old);
  // Re-key: the replacement carries the Name, the old key loses it — no clash.
  await ok(V21, OP.Activate, [uid(fresh)]);
  const next = idOf(await ok(V21, OP.ReKey, [uid(fresh)]));
  assert.deepEqual(store.locate({ attributes: [{ name: 'Name', text: 'tape-pool-1' }], state: [1, 2, 3, 4] }), [next]);
  // Continue batch: the second Create fails alone.
  const items = await send(V21, [[OP.Create, aes21(name21('batch-name'))], [OP.Create, aes21(name21('batch-name'))]]);
  assert.deepEqual(items.map((i) => i.resultStatus), [Enum.ResultStatus.Success, Enum.ResultStatus.OperationFailed]);
  assert.equal(items[1]!.resultReason, RR.NonUniqueNameAttribute);
  assert.equal(count('batch-name'), 1);
});
