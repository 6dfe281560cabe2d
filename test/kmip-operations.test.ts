// Key operations (Create, Register, Get, Get Attributes, Get Attribute List,
// Activate, Revoke, Destroy, Locate) through processRequest, on a real store
// in a temp dir.
//
// OASIS vectors (SKLC mandatory, 1.4 and 2.1): $UNIQUE_IDENTIFIER_n is bound
// from our responses; per batch item Operation, Result Status and Result
// Reason must be equal; payloads are compared field by field in order except
// the server-variable fields: Date-Time values (only the type is checked),
// Digest Value and Key Material (the key is random for Create; Register
// round trips are checked by the own cases below).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { item, struct, type StructureItem, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { ObjectState } from '../main/store/index.js';
import { en, field, fields, int, kmipHarness, storeBackedContext, uid, V14, V21 } from './support/kmip-ops.js';

const NOW = new Date('2026-01-02T03:04:05Z');
const NOW_S = BigInt(NOW.getTime() / 1000);
const { ctx, store } = storeBackedContext('keyhold-ops-', () => NOW);

const OP = Enum.Operation;
const RR = Enum.ResultReason;

const { send, ok, fails } = kmipHarness(ctx);
/** Each OASIS case on its own store: cases of different versions reuse Names, which must be unique per server. */
/** SASED-M-3 finds what SASED-M-2 registered: pass such a chain as several files, replayed on one store. */
async function replay(...files: string[]): Promise<string | undefined> {
  const h = kmipHarness(storeBackedContext('keyhold-case-', () => NOW).ctx);
  for (const f of files) {
    const r = await h.replay(f);
    if (r !== undefined) return `${f}: ${r}`;
  }
  return undefined;
}

function attr1(name: string, value: TtlvItem): TtlvItem {
  return struct(Tag.Attribute, [item(Tag.AttributeName, 'TextString', name), { ...value, tag: Tag.AttributeValue } as TtlvItem]);
}
const nameValue = (n: string): TtlvItem[] => [item(Tag.NameValue, 'TextString', n), en(Tag.NameType, Enum.NameType.UninterpretedTextString)];

/** 2.1 Create payload. */
function create21(alg: number, length: number | undefined, extra: TtlvItem[] = []): TtlvItem[] {
  const attrs = [en(Tag.CryptographicAlgorithm, alg), ...(length === undefined ? [] : [int(Tag.CryptographicLength, length)]), ...extra];
  return [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), struct(Tag.Attributes, attrs)];
}

async function createKey(alg: number = Enum.CryptographicAlgorithm.AES, length: number | undefined = 256, extra: TtlvItem[] = []): Promise<string> {
  const p = await ok(V21, OP.Create, create21(alg, length, extra));
  return field(p, Tag.UniqueIdentifier)!.value as string;
}

async function keyOf(id: string, format?: number): Promise<{ obj: StructureItem; key: Uint8Array }> {
  const p = await ok(V21, OP.Get, [uid(id), ...(format === undefined ? [] : [en(Tag.KeyFormatType, format)])]);
  const obj = field(p, Tag.SymmetricKey) as StructureItem;
  const kv = field(field(obj, Tag.KeyBlock) as StructureItem, Tag.KeyValue) as StructureItem;
  const km = field(kv, Tag.KeyMaterial)!;
  const key = km.type === 'Structure' ? (field(km, Tag.Key)!.value as Uint8Array) : (km.value as Uint8Array);
  return { obj, key };
}

async function attributes21(id: string, refs: number[] = []): Promise<StructureItem> {
  const p = await ok(V21, OP.GetAttributes, [uid(id), ...refs.map((r) => en(Tag.AttributeReference, r))]);
  return field(p, Tag.Attributes) as StructureItem;
}

// ---------------------------------------------------------------------------
// OASIS SKLC vectors


test('OASIS SKLC mandatory vectors, KMIP 1.4 and 2.1', async () => {
  const results = new Map<string, string | undefined>();
  for (const [v, dirName] of [['14', 'v1.4'], ['21', 'v2.1']] as const) {
    for (const n of [1, 2, 3]) results.set(`SKLC-M-${n}-${v}`, await replay(`cosmian-kmip/${dirName}/XML/mandatory/SKLC-M-${n}-${v}.xml`));
  }
  // SKLC-M-3 (Modify Attribute) is also asserted in kmip-attribute-operations.test.ts.
  for (const name of ['SKLC-M-1-14', 'SKLC-M-2-14', 'SKLC-M-3-14', 'SKLC-M-1-21', 'SKLC-M-2-21', 'SKLC-M-3-21']) assert.equal(results.get(name), undefined, `${name}: ${results.get(name)}`);
});

test('other OASIS mandatory vectors made only of these operations (SKFF, SASED, OMOS, TL), 1.4 and 2.1', async () => {
  const cases = [['SKFF-M-1'], ['SKFF-M-2'], ['SKFF-M-3'], ['SKFF-M-4'], ['SKFF-M-5'], ['SKFF-M-6'], ['SKFF-M-7'], ['SKFF-M-8'], ['SASED-M-2', 'SASED-M-3'], ['OMOS-M-1'], ['TL-M-2']];
  for (const [v, dirName] of [['14', 'v1.4'], ['21', 'v2.1']] as const) {
    for (const chain of cases) {
      const r = await replay(...chain.map((c) => `cosmian-kmip/${dirName}/XML/mandatory/${c}-${v}.xml`));
      assert.equal(r, undefined, `${chain.join(' then ')}-${v}: ${r}`);
    }
  }
});

// ---------------------------------------------------------------------------
// Create

test('Create: AES 128/192/256, Triple DES, HMAC-SHA256/384/512 with the right key sizes', async () => {
  const CA = Enum.CryptographicAlgorithm;
  const cases: [number, number | undefined, number][] = [
    [CA.AES, 128, 16], [CA.AES, 192, 24], [CA.AES, 256, 32], [CA.DES3, 168, 24],
    [CA.HMAC_SHA256, 256, 32], [CA.HMAC_SHA384, undefined, 48], [CA.HMAC_SHA512, 512, 64],
  ];
  for (const [alg, len, bytes] of cases) {
    const id = field(await ok(V21, OP.Create, create21(alg, len)), Tag.UniqueIdentifier)!.value as string;
    const { key } = await keyOf(id);
    assert.equal(key.length, bytes, `algorithm ${alg}`);
    if (alg === CA.DES3) for (const b of key) assert.equal(b.toString(2).split('1').length % 2, 0, `odd parity: ${Buffer.from(key).toString('hex')}`);
  }
});

test('Create sets the server attributes (1.4 Template-Attribute); the ID Placeholder flows to the next item', async () => {
  const ta = struct(Tag.TemplateAttribute, [
    attr1('Cryptographic Algorithm', en(0, Enum.CryptographicAlgorithm.AES)),
    attr1('Cryptographic Length', int(0, 128)),
    attr1('x-Owner', item(0, 'TextString', 'ops')),
  ]);
  const [c, g] = await send(V14, [[OP.Create, [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), ta]], [OP.GetAttributes, []]]);
  const id = field(c!.responsePayload, Tag.UniqueIdentifier)!.value as string;
  assert.equal(g!.resultStatus, Enum.ResultStatus.Success, g!.resultMessage);
  const byName = new Map(fields(g!.responsePayload, Tag.Attribute).map((a) => [field(a as StructureItem, Tag.AttributeName)!.value as string, field(a as StructureItem, Tag.AttributeValue)!]));
  assert.equal(byName.get('Unique Identifier')!.value, id);
  assert.equal(byName.get('State')!.value, ObjectState.PreActive);
  assert.equal(byName.get('Object Type')!.value, Enum.ObjectType.SymmetricKey);
  assert.equal(byName.get('Cryptographic Usage Mask')!.value, Enum.CryptographicUsageMask.Encrypt | Enum.CryptographicUsageMask.Decrypt);
  for (const d of ['Initial Date', 'Last Change Date', 'Original Creation Date']) assert.equal(byName.get(d)!.value, NOW_S, d);
  assert.equal(byName.get('Fresh')!.value, true);
  assert.equal(byName.get('x-Owner')!.value, 'ops');
  const digest = byName.get('Digest') as StructureItem;
  const { key } = await keyOf(id);
  const { createHash } = await import('node:crypto');
  assert.deepEqual(Buffer.from(field(digest, Tag.DigestValue)!.value as Uint8Array), createHash('sha256').update(key).digest());
});

test('Create failures: bad length, unsupported algorithm, missing algorithm, server-only attribute, wrong Object Type', async () => {
  await fails(V21, OP.Create, create21(Enum.CryptographicAlgorithm.AES, 100), RR.InvalidField);
  await fails(V21, OP.Create, create21(Enum.CryptographicAlgorithm.RSA, 2048), RR.InvalidField);
  await fails(V21, OP.Create, [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), struct(Tag.Attributes, [int(Tag.CryptographicLength, 128)])], RR.MissingData);
  await fails(V21, OP.Create, create21(Enum.CryptographicAlgorithm.AES, 128, [en(Tag.State, 2)]), RR.ReadOnlyAttribute);
  await fails(V21, OP.Create, [en(Tag.ObjectType, Enum.ObjectType.PrivateKey), struct(Tag.Attributes, [])], RR.InvalidField);
});

test('Create with an Activation Date already passed starts Active; a 2.x vendor attribute is hidden from 1.x', async () => {
  const vendor = struct(Tag.Attribute, [item(Tag.VendorIdentification, 'TextString', 'acme'), item(Tag.AttributeName, 'TextString', 'tier'), item(Tag.AttributeValue, 'TextString', 'gold')]);
  const id = await createKey(Enum.CryptographicAlgorithm.AES, 128, [item(Tag.ActivationDate, 'DateTime', NOW_S - 10n), vendor]);
  assert.deepEqual((await attributes21(id, [Tag.State, Tag.ActivationDate])).value.map((c) => c.value), [ObjectState.Active, NOW_S - 10n]);
  const future = await createKey(Enum.CryptographicAlgorithm.AES, 128, [item(Tag.ActivationDate, 'DateTime', NOW_S + 10n)]);
  assert.equal(store.getObject(future).state, ObjectState.PreActive);
  const p14 = await ok(V14, OP.GetAttributes, [uid(id)]);
  assert.ok(fields(p14, Tag.Attribute).length > 5);
  assert.ok(!fields(p14, Tag.Attribute).some((a) => String(field(a as StructureItem, Tag.AttributeName)!.value).includes('tier')));
});

// ---------------------------------------------------------------------------
// Register, Get

test('Register Symmetric Key (Raw), Secret Data and Opaque Object; Get returns them', async () => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);
  const block = struct(Tag.KeyBlock, [
    en(Tag.KeyFormatType, Enum.KeyFormatType.Raw),
    struct(Tag.KeyValue, [item(Tag.KeyMaterial, 'ByteString', key)]),
    en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.AES),
    int(Tag.CryptographicLength, 128),
  ]);
  const p = await ok(V14, OP.Register, [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), struct(Tag.TemplateAttribute, []), struct(Tag.SymmetricKey, [block])]);
  const id = field(p, Tag.UniqueIdentifier)!.value as string;
  assert.deepEqual((await keyOf(id)).key, key);
  const a = await attributes21(id, [Tag.CryptographicAlgorithm, Tag.CryptographicLength, Tag.State]);
  assert.deepEqual(a.value.map((c) => c.value), [Enum.CryptographicAlgorithm.AES, 128, ObjectState.PreActive]);

  const secret = struct(Tag.SecretData, [
    en(Tag.SecretDataType, Enum.SecretDataType.Password),
    struct(Tag.KeyBlock, [en(Tag.KeyFormatType, Enum.KeyFormatType.Opaque), struct(Tag.KeyValue, [item(Tag.KeyMaterial, 'ByteString', new Uint8Array(Buffer.from('s3cret')))])]),
  ]);
  const sid = field(await ok(V21, OP.Register, [en(Tag.ObjectType, Enum.ObjectType.SecretData), struct(Tag.Attributes, []), secret]), Tag.UniqueIdentifier)!.value as string;
  const got = await ok(V21, OP.Get, [uid(sid)]);
  assert.deepEqual(field(got, Tag.SecretData), secret);
  assert.equal(field(got, Tag.ObjectType)!.value, Enum.ObjectType.SecretData);

  const opaque = struct(Tag.OpaqueObject, [en(Tag.OpaqueDataType, 0x80000001), item(Tag.OpaqueDataValue, 'ByteString', Uint8Array.of(1, 2, 3))]);
  const oid = field(await ok(V21, OP.Register, [en(Tag.ObjectType, Enum.ObjectType.OpaqueObject), struct(Tag.Attributes, []), opaque]), Tag.UniqueIdentifier)!.value as string;
  assert.deepEqual(field(await ok(V21, OP.Get, [uid(oid)]), Tag.OpaqueObject), opaque);
  await fails(V21, OP.Get, [uid(oid), en(Tag.KeyFormatType, Enum.KeyFormatType.Raw)], RR.KeyFormatTypeNotSupported);
  // The object must match its Object Type.
  await fails(V21, OP.Register, [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), struct(Tag.Attributes, []), secret], RR.MissingData);
});

test('Get: Raw and Transparent Symmetric Key; other formats → Key Format Type Not Supported', async () => {
  const id = await createKey();
  const raw = await keyOf(id, Enum.KeyFormatType.Raw);
  const transparent = await keyOf(id, Enum.KeyFormatType.TransparentSymmetricKey);
  assert.deepEqual(transparent.key, raw.key);
  assert.equal(field(field(transparent.obj, Tag.KeyBlock) as StructureItem, Tag.KeyFormatType)!.value, Enum.KeyFormatType.TransparentSymmetricKey);
  await fails(V21, OP.Get, [uid(id), en(Tag.KeyFormatType, Enum.KeyFormatType.PKCS_1)], RR.KeyFormatTypeNotSupported);
  await fails(V14, OP.Get, [uid(id), en(Tag.KeyFormatType, Enum.KeyFormatType.PKCS_8)], RR.KeyFormatTypeNotSupported);
});

// ---------------------------------------------------------------------------
// Get Attributes, Get Attribute List

test('Get Attributes (all and by name) and Get Attribute List in 1.x and 2.x shapes', async () => {
  const id = await createKey(Enum.CryptographicAlgorithm.AES, 256, [item(Tag.ObjectGroup, 'TextString', 'g1')]);
  const all = await attributes21(id);
  for (const t of [Tag.UniqueIdentifier, Tag.ObjectType, Tag.State, Tag.CryptographicAlgorithm, Tag.ObjectGroup, Tag.InitialDate, Tag.OriginalCreationDate]) {
    assert.ok(field(all, t), `2.1 all: ${t.toString(16)}`);
  }
  const some = await attributes21(id, [Tag.ObjectGroup, Tag.State, Tag.ActivationDate]);
  assert.deepEqual(some.value.map((c) => c.tag), [Tag.ObjectGroup, Tag.State]);

  const p14 = await ok(V14, OP.GetAttributes, [uid(id), item(Tag.AttributeName, 'TextString', 'Object Group')]);
  assert.equal(fields(p14, Tag.Attribute).length, 1);

  const list21 = await ok(V21, OP.GetAttributeList, [uid(id)]);
  const refs = fields(list21, Tag.AttributeReference).map((r) => r.value);
  for (const t of [Tag.UniqueIdentifier, Tag.State, Tag.ObjectGroup, Tag.Digest]) assert.ok(refs.includes(t));
  const list14 = await ok(V14, OP.GetAttributeList, [uid(id)]);
  const names = fields(list14, Tag.AttributeName).map((r) => r.value);
  for (const n of ['Unique Identifier', 'State', 'Object Group', 'Digest', 'Last Change Date']) assert.ok(names.includes(n), n);
  assert.equal(new Set(names).size, names.length);
});

// ---------------------------------------------------------------------------
// Lifecycle

test('Activate, Revoke (deactivation), Destroy: states, dates, wrong-state failures', async () => {
  const id = await createKey();
  await fails(V21, OP.Revoke, [uid(id), struct(Tag.RevocationReason, [en(Tag.RevocationReasonCode, Enum.RevocationReasonCode.CessationOfOperation)])], RR.WrongKeyLifecycleState);
  await ok(V21, OP.Activate, [uid(id)]);
  await fails(V21, OP.Activate, [uid(id)], RR.WrongKeyLifecycleState);
  await fails(V14, OP.Activate, [uid(id)], RR.PermissionDenied);
  let a = await attributes21(id, [Tag.State, Tag.ActivationDate]);
  assert.deepEqual(a.value.map((c) => c.value), [ObjectState.Active, NOW_S]);
  await fails(V21, OP.Destroy, [uid(id)], RR.WrongKeyLifecycleState);
  await fails(V14, OP.Destroy, [uid(id)], RR.PermissionDenied);
  await ok(V21, OP.Revoke, [uid(id), struct(Tag.RevocationReason, [en(Tag.RevocationReasonCode, Enum.RevocationReasonCode.CessationOfOperation)])]);
  a = await attributes21(id, [Tag.State, Tag.DeactivationDate]);
  assert.deepEqual(a.value.map((c) => c.value), [ObjectState.Deactivated, NOW_S]);
  await ok(V21, OP.Destroy, [uid(id)]);
  a = await attributes21(id, [Tag.State, Tag.DestroyDate]);
  assert.deepEqual(a.value.map((c) => c.value), [ObjectState.Destroyed, NOW_S]);
  assert.equal(store.getMaterial(id), null, 'material wiped');
  await fails(V21, OP.Get, [uid(id)], RR.ObjectDestroyed);
  await fails(V14, OP.Get, [uid(id)], RR.ItemNotFound);
  await fails(V21, OP.Destroy, [uid(id)], RR.ObjectDestroyed);
});

test('Revoke with Key Compromise: Compromised with Compromise Date; Destroy → Destroyed Compromised; Pre-Active destroy', async () => {
  const id = await createKey();
  const when = item(Tag.CompromiseOccurrenceDate, 'DateTime', 1000n);
  await ok(V14, OP.Revoke, [uid(id), struct(Tag.RevocationReason, [en(Tag.RevocationReasonCode, Enum.RevocationReasonCode.KeyCompromise)]), when]);
  const a = await attributes21(id, [Tag.State, Tag.CompromiseDate, Tag.CompromiseOccurrenceDate]);
  assert.deepEqual(a.value.map((c) => c.value), [ObjectState.Compromised, NOW_S, 1000n]);
  await ok(V21, OP.Destroy, [uid(id)]);
  assert.equal((await attributes21(id, [Tag.State])).value[0]!.value, ObjectState.DestroyedCompromised);

  const pre = await createKey();
  await ok(V14, OP.Destroy, [uid(pre)]);
  assert.equal(store.getObject(pre).state, ObjectState.Destroyed);
});

test('a missing object → Item Not Found (1.x) / Object Not Found (2.x) with a readable message, for every operation', async () => {
  const reason = struct(Tag.RevocationReason, [en(Tag.RevocationReasonCode, Enum.RevocationReasonCode.KeyCompromise)]);
  for (const [op, extra] of [[OP.Get, []], [OP.GetAttributes, []], [OP.GetAttributeList, []], [OP.Activate, []], [OP.Revoke, [reason]], [OP.Destroy, []]] as [number, TtlvItem[]][]) {
    for (const v of [V14, V21]) {
      const msg = await fails(v, op, [uid('no-such-id'), ...extra], v === V14 ? RR.ItemNotFound : RR.ObjectNotFound);
      assert.equal(msg, "no object with Unique Identifier 'no-such-id'");
    }
  }
});

// ---------------------------------------------------------------------------
// Locate

test('Locate by Name, Object Type, algorithm, length, State, Object Group and x- attributes; Maximum/Offset Items', async () => {
  const name = (n: string): TtlvItem => struct(Tag.Name, nameValue(n));
  const a = await createKey(Enum.CryptographicAlgorithm.AES, 128, [name('loc-a'), item(Tag.ObjectGroup, 'TextString', 'loc-g')]);
  const b = await createKey(Enum.CryptographicAlgorithm.AES, 256, [item(Tag.ObjectGroup, 'TextString', 'loc-g')]);
  const c = await createKey(Enum.CryptographicAlgorithm.HMAC_SHA256, 256, [item(Tag.ObjectGroup, 'TextString', 'loc-g')]);
  await ok(V21, OP.Activate, [uid(b)]);
  const locate21 = async (attrs: TtlvItem[], extra: TtlvItem[] = []) => {
    const p = await ok(V21, OP.Locate, [...extra, struct(Tag.Attributes, attrs)]);
    return { ids: fields(p, Tag.UniqueIdentifier).map((x) => x.value), located: field(p, Tag.LocatedItems)?.value };
  };
  const group = item(Tag.ObjectGroup, 'TextString', 'loc-g');
  assert.deepEqual((await locate21([name('loc-a')])).ids, [a]);
  // 2.x: most recently created first (2.1 §6.1.28).
  assert.deepEqual((await locate21([group])).ids, [c, b, a]);
  assert.deepEqual((await locate21([group, en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.AES)])).ids, [b, a]);
  assert.deepEqual((await locate21([group, int(Tag.CryptographicLength, 256)])).ids, [c, b]);
  assert.deepEqual((await locate21([group, en(Tag.State, ObjectState.Active)])).ids, [b]);
  assert.deepEqual((await locate21([group, en(Tag.ObjectType, Enum.ObjectType.SecretData)])).ids, []);
  assert.deepEqual(await locate21([group], [int(Tag.MaximumItems, 1), int(Tag.OffsetItems, 1)]), { ids: [b], located: 3 });

  // 1.4: bare Attribute structures, a custom x- attribute.
  const x = attr1('x-Product', item(0, 'TextString', 'loc-prod'));
  const ta = struct(Tag.TemplateAttribute, [attr1('Cryptographic Algorithm', en(0, Enum.CryptographicAlgorithm.AES)), attr1('Cryptographic Length', int(0, 128)), x]);
  const d = field(await ok(V14, OP.Create, [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), ta]), Tag.UniqueIdentifier)!.value;
  const p14 = await ok(V14, OP.Locate, [x]);
  assert.deepEqual(fields(p14, Tag.UniqueIdentifier).map((i) => i.value), [d]);

  // Locate sets the ID Placeholder to the first identifier.
  const [, g] = await send(V21, [[OP.Locate, [struct(Tag.Attributes, [name('loc-a')])]], [OP.GetAttributes, [en(Tag.AttributeReference, Tag.Name)]]]);
  assert.equal(field(g!.responsePayload, Tag.UniqueIdentifier)!.value, a);

  // Destroyed objects are found only with Destroyed Storage in the mask.
  await ok(V21, OP.Destroy, [uid(c)]);
  assert.deepEqual((await locate21([group])).ids, [b, a]);
  assert.deepEqual((await locate21([group], [int(Tag.StorageStatusMask, Enum.StorageStatusMask.OnLineStorage | Enum.StorageStatusMask.DestroyedStorage)])).ids, [c, b, a]);
});

// ---------------------------------------------------------------------------
// Query Objects

test('Query Objects lists exactly the Object Types that Register accepts and Get returns', async () => {
  const { OBJECT_TAGS } = await import('../main/kmip/objects/material.js');
  for (const v of [V14, V21]) {
    const p = await ok(v, OP.Query, [en(Tag.QueryFunction, Enum.QueryFunction.QueryObjects)]);
    const listed = fields(p, Tag.ObjectType).map((x) => x.value as number).sort((a, b) => a - b);
    assert.deepEqual(listed, [...OBJECT_TAGS.keys()].sort((a, b) => a - b));
  }
});
