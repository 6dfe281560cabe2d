// Protection attributes (Sensitive, Extractable, Always Sensitive, Never
// Extractable; 2.1 §4.3, 4.23, 4.33, 4.55), Lease Time with Obtain Lease
// (1.4 §4.17), and the derived 2.x attributes Short Unique Identifier and
// Protection Storage Mask.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { item, struct, type StructureItem, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { en, field, int, kmipHarness, storeBackedContext, uid, V12, V14, V21 } from './support/kmip-ops.js';

const NOW = new Date('2026-07-08T09:10:11Z');
const NOW_S = BigInt(NOW.getTime() / 1000);
const { ctx } = storeBackedContext('keyhold-protect-', () => NOW);
const { ok, fails } = kmipHarness(ctx);
const OP = Enum.Operation;
const RR = Enum.ResultReason;

const bool = (tag: number, v: boolean): TtlvItem => item(tag, 'Boolean', v);
async function create(...extra: TtlvItem[]): Promise<string> {
  const p = await ok(V21, OP.Create, [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), struct(Tag.Attributes, [en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 128), ...extra])]);
  return field(p, Tag.UniqueIdentifier)!.value as string;
}
async function attrs21(id: string): Promise<StructureItem> {
  const p = await ok(V21, OP.GetAttributes, [uid(id)]);
  return field(p, Tag.Attributes) as StructureItem;
}
const valueOf = (s: StructureItem, tag: number) => field(s, tag)?.value;

test('new objects get Sensitive false, Extractable true, Always Sensitive false, Never Extractable false, Lease Time 3600 s', async () => {
  const a = await attrs21(await create());
  assert.equal(valueOf(a, Tag.Sensitive), false);
  assert.equal(valueOf(a, Tag.Extractable), true);
  assert.equal(valueOf(a, Tag.AlwaysSensitive), false);
  assert.equal(valueOf(a, Tag.NeverExtractable), false);
  assert.equal(valueOf(a, Tag.LeaseTime), 3600);
  // Client-given values are kept and drive the "always/never" ones.
  const b = await attrs21(await create(bool(Tag.Sensitive, true), bool(Tag.Extractable, false)));
  assert.deepEqual([valueOf(b, Tag.Sensitive), valueOf(b, Tag.AlwaysSensitive), valueOf(b, Tag.Extractable), valueOf(b, Tag.NeverExtractable)], [true, true, false, true]);
  // The server-set ones cannot be supplied.
  await fails(V21, OP.Create, [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), struct(Tag.Attributes, [en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 128), bool(Tag.AlwaysSensitive, true)])], RR.ReadOnlyAttribute);
});

test('Get of a Sensitive object → Sensitive; of a non-Extractable one → Not Extractable (Permission Denied before 1.4); nothing served, Fresh kept', async () => {
  const s = await create(bool(Tag.Sensitive, true));
  const msg = await fails(V21, OP.Get, [uid(s)], RR.Sensitive);
  assert.match(msg, /is Sensitive; its value is served only wrapped/);
  await fails(V14, OP.Get, [uid(s)], RR.Sensitive);
  await fails(V12, OP.Get, [uid(s)], RR.PermissionDenied);
  assert.equal(valueOf(await attrs21(s), Tag.Fresh), true);
  const x = await create(bool(Tag.Extractable, false));
  await fails(V21, OP.Get, [uid(x)], RR.NotExtractable);
  await fails(V12, OP.Get, [uid(x)], RR.PermissionDenied);
});

test('Sensitive only turns on, Extractable only turns off (set, modify or delete), and the usage mask of such an object is fixed', async () => {
  const id = await create(bool(Tag.Sensitive, true), bool(Tag.Extractable, false));
  assert.match(await fails(V21, OP.SetAttribute, [uid(id), struct(Tag.NewAttribute, [bool(Tag.Sensitive, false)])], RR.PermissionDenied), /Sensitive cannot be turned off or deleted/);
  assert.match(await fails(V21, OP.SetAttribute, [uid(id), struct(Tag.NewAttribute, [bool(Tag.Extractable, true)])], RR.PermissionDenied), /Extractable cannot be turned on or deleted/);
  await fails(V21, OP.DeleteAttribute, [uid(id), struct(Tag.CurrentAttribute, [bool(Tag.Sensitive, true)])], RR.PermissionDenied);
  await fails(V21, OP.DeleteAttribute, [uid(id), item(Tag.AttributeReference, 'Enumeration', Tag.Extractable)], RR.PermissionDenied);
  await fails(V14, OP.ModifyAttribute, [uid(id), struct(Tag.Attribute, [item(Tag.AttributeName, 'TextString', 'Sensitive'), bool(Tag.AttributeValue, false)])], RR.PermissionDenied);
  assert.match(await fails(V21, OP.SetAttribute, [uid(id), struct(Tag.NewAttribute, [item(Tag.CryptographicUsageMask, 'Integer', 0x04)])], RR.PermissionDenied), /Cryptographic Usage Mask is fixed/);
  await fails(V21, OP.DeleteAttribute, [uid(id), item(Tag.AttributeReference, 'Enumeration', Tag.CryptographicUsageMask)], RR.PermissionDenied);
  let a = await attrs21(id);
  assert.deepEqual([valueOf(a, Tag.Sensitive), valueOf(a, Tag.Extractable), valueOf(a, Tag.AlwaysSensitive), valueOf(a, Tag.NeverExtractable)], [true, false, true, true]);
  // The other way is free, and Always Sensitive / Never Extractable remember that the object was once plain.
  const plain = await create();
  await ok(V21, OP.SetAttribute, [uid(plain), struct(Tag.NewAttribute, [bool(Tag.Sensitive, true)])]);
  await ok(V21, OP.SetAttribute, [uid(plain), struct(Tag.NewAttribute, [bool(Tag.Extractable, false)])]);
  a = await attrs21(plain);
  assert.deepEqual([valueOf(a, Tag.Sensitive), valueOf(a, Tag.Extractable), valueOf(a, Tag.AlwaysSensitive), valueOf(a, Tag.NeverExtractable)], [true, false, false, false]);
});

test('Obtain Lease: the Lease Time and Last Change Date; refused for destroyed or compromised objects, Object Archived when archived', async () => {
  const id = await create();
  for (const v of [V14, V21]) {
    const p = await ok(v, OP.ObtainLease, [uid(id)]);
    assert.equal(field(p, Tag.UniqueIdentifier)!.value, id);
    assert.equal(field(p, Tag.LeaseTime)!.value, 3600);
    assert.equal(field(p, Tag.LastChangeDate)!.value, NOW_S);
  }
  await ok(V21, OP.Archive, [uid(id)]);
  await fails(V21, OP.ObtainLease, [uid(id)], RR.ObjectArchived);
  await ok(V21, OP.Recover, [uid(id)]);
  await ok(V21, OP.Revoke, [uid(id), struct(Tag.RevocationReason, [en(Tag.RevocationReasonCode, Enum.RevocationReasonCode.KeyCompromise)])]);
  const msg = await fails(V21, OP.ObtainLease, [uid(id)], RR.PermissionDenied);
  assert.match(msg, /no lease is issued/);
  await fails(V21, OP.ObtainLease, [uid('no-such-object')], RR.ObjectNotFound);
});

test('Short Unique Identifier (SHA-256 of the Unique Identifier) and Protection Storage Mask Software at 2.1, absent at 1.4', async () => {
  const id = await create();
  const a = await attrs21(id);
  assert.deepEqual(Buffer.from(valueOf(a, Tag.ShortUniqueIdentifier) as Uint8Array), createHash('sha256').update(id).digest());
  assert.equal(valueOf(a, Tag.ProtectionStorageMask), Enum.ProtectionStorageMask.Software);
  const list21 = await ok(V21, OP.GetAttributeList, [uid(id)]);
  assert.ok(list21.value.some((c) => c.tag === Tag.AttributeReference && c.value === Tag.ShortUniqueIdentifier));
  const p14 = await ok(V14, OP.GetAttributes, [uid(id)]);
  const names14 = p14.value.filter((c) => c.tag === Tag.Attribute).map((c) => field(c as StructureItem, Tag.AttributeName)!.value);
  assert.ok(!names14.includes('Short Unique Identifier') && names14.includes('Sensitive') && names14.includes('Lease Time'), names14.join(', '));
  await fails(V21, OP.SetAttribute, [uid(id), struct(Tag.NewAttribute, [item(Tag.ProtectionStorageMask, 'Integer', 2)])], RR.ReadOnlyAttribute);
});
