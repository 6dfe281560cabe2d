// Attribute operations (1.x Add / Modify / Delete Attribute, 2.x Set / Add /
// Modify / Delete Attribute) through processRequest on a real store: OASIS
// replays, the vSphere and Synology DSM sequences, read-only refusals, Attribute
// Index semantics, Last Change Date and the ID Placeholder.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { item, struct, type StructureItem, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { en, field, fields, kmipHarness, storeBackedContext, uid, V11, V12, V14, V21 } from './support/kmip-ops.js';

let clockNow = new Date('2026-01-02T03:04:05Z');
const { ctx } = storeBackedContext('keyhold-attr-ops-', () => clockNow);
const { send, ok, fails, replay } = kmipHarness(ctx);

const OP = Enum.Operation;
const RR = Enum.ResultReason;
const text = (tag: number, v: string): TtlvItem => item(tag, 'TextString', v);
const nameStruct = (tag: number, n: string): TtlvItem => struct(tag, [text(Tag.NameValue, n), en(Tag.NameType, Enum.NameType.UninterpretedTextString)]);

/** A 1.x Attribute structure; value is an item whose tag is replaced by Attribute Value. */
function attr1(name: string, value: TtlvItem, index?: number): TtlvItem {
  return struct(Tag.Attribute, [text(Tag.AttributeName, name), ...(index === undefined ? [] : [item(Tag.AttributeIndex, 'Integer', index)]), { ...value, tag: Tag.AttributeValue } as TtlvItem]);
}
const v1Value = (tag: number, type: 'TextString', v: string): TtlvItem => item(tag, type, v);

async function create1(version: typeof V14, name?: string): Promise<string> {
  const attrs = [attr1('Cryptographic Algorithm', en(0, Enum.CryptographicAlgorithm.AES)), attr1('Cryptographic Length', item(0, 'Integer', 256))];
  if (name !== undefined) attrs.push(attr1('Name', nameStruct(0, name)));
  const p = await ok(version, OP.Create, [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), struct(Tag.TemplateAttribute, attrs)]);
  return field(p, Tag.UniqueIdentifier)!.value as string;
}
async function create21(extra: TtlvItem[] = []): Promise<string> {
  const p = await ok(V21, OP.Create, [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), struct(Tag.Attributes, [en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.AES), item(Tag.CryptographicLength, 'Integer', 256), ...extra])]);
  return field(p, Tag.UniqueIdentifier)!.value as string;
}
/** 1.x Get Attributes of the named attributes: [name, index, value] triples. */
async function attrs1(version: typeof V14, id: string, names: string[]): Promise<[string, number, TtlvItem][]> {
  const p = await ok(version, OP.GetAttributes, [uid(id), ...names.map((n) => text(Tag.AttributeName, n))]);
  return fields(p, Tag.Attribute).map((a) => {
    const s = a as StructureItem;
    return [field(s, Tag.AttributeName)!.value as string, (field(s, Tag.AttributeIndex)?.value as number | undefined) ?? 0, field(s, Tag.AttributeValue)!];
  });
}
async function attrs21(id: string, refs: number[]): Promise<StructureItem> {
  const p = await ok(V21, OP.GetAttributes, [uid(id), ...refs.map((r) => en(Tag.AttributeReference, r))]);
  return field(p, Tag.Attributes) as StructureItem;
}
const nameOf = (v: TtlvItem): string => field(v as StructureItem, Tag.NameValue)!.value as string;

test('OASIS SKLC-M-3 (Modify Attribute of Activation Date refused once Active), KMIP 1.4 and 2.1', async () => {
  for (const [v, d] of [['14', 'v1.4'], ['21', 'v2.1']] as const) {
    const r = await replay(`cosmian-kmip/${d}/XML/mandatory/SKLC-M-3-${v}.xml`);
    assert.equal(r, undefined, `SKLC-M-3-${v}: ${r}`);
  }
});

test('vSphere (KMIP 1.1): one batch of three Add Attribute x-Vendor / x-Product / x-Product_Version, then Get Attributes shows them', async () => {
  const id = await create1(V11);
  const custom: [string, string][] = [['x-Vendor', 'VMware, Inc.'], ['x-Product', 'VMware vSphere'], ['x-Product_Version', '8.0.2']];
  const items = await send(V11, custom.map(([n, v]) => [OP.AddAttribute, [uid(id), attr1(n, v1Value(0, 'TextString', v))]]));
  assert.equal(items.length, 3);
  for (const [k, bi] of items.entries()) {
    assert.equal(bi.resultStatus, Enum.ResultStatus.Success, bi.resultMessage);
    assert.equal(field(bi.responsePayload, Tag.UniqueIdentifier)!.value, id);
    const a = field(bi.responsePayload, Tag.Attribute) as StructureItem;
    assert.equal(field(a, Tag.AttributeName)!.value, custom[k]![0]);
    assert.equal(field(a, Tag.AttributeIndex), undefined, 'index 0 is left out');
    assert.equal(field(a, Tag.AttributeValue)!.value, custom[k]![1]);
  }
  const got = await attrs1(V11, id, ['x-Product_Version', 'x-Vendor', 'x-Product']);
  assert.deepEqual(got.map(([n, i, v]) => [n, i, v.value]), [['x-Product_Version', 0, '8.0.2'], ['x-Vendor', 0, 'VMware, Inc.'], ['x-Product', 0, 'VMware vSphere']]);
  // A custom attribute of another type (Integer) is fine too, and a second instance gets index 1.
  const p = await ok(V11, OP.AddAttribute, [uid(id), attr1('x-Vendor', v1Value(0, 'TextString', 'second'))]);
  assert.equal(field(field(p, Tag.Attribute) as StructureItem, Tag.AttributeIndex)!.value, 1);
  await ok(V11, OP.AddAttribute, [uid(id), attr1('y-Count', item(0, 'Integer', 7))]);
  assert.deepEqual((await attrs1(V11, id, ['y-Count'])).map(([, , v]) => v.value), [7]);
});

test('Synology DSM (KMIP 1.2): Modify Attribute Name echoes the new Name; Get Attributes shows it', async () => {
  const id = await create1(V12, 'dsm-old-name');
  const p = await ok(V12, OP.ModifyAttribute, [uid(id), attr1('Name', nameStruct(0, 'dsm-new-name'))]);
  assert.equal(field(p, Tag.UniqueIdentifier)!.value, id);
  const a = field(p, Tag.Attribute) as StructureItem;
  assert.equal(field(a, Tag.AttributeName)!.value, 'Name');
  assert.equal(nameOf(field(a, Tag.AttributeValue)!), 'dsm-new-name');
  assert.deepEqual((await attrs1(V12, id, ['Name'])).map(([, i, v]) => [i, nameOf(v)]), [[0, 'dsm-new-name']]);
});

test('1.x Attribute Index semantics: Add gives the next index, Modify/Delete address an index (default 0)', async () => {
  const id = await create1(V14, 'idx-0');
  for (const [n, want] of [['idx-1', 1], ['idx-2', 2]] as const) {
    const p = await ok(V14, OP.AddAttribute, [uid(id), attr1('Name', nameStruct(0, n))]);
    assert.equal(field(field(p, Tag.Attribute) as StructureItem, Tag.AttributeIndex)!.value, want);
  }
  // Modify index 1; the echo carries the index.
  const m = await ok(V14, OP.ModifyAttribute, [uid(id), attr1('Name', nameStruct(0, 'idx-1b'), 1)]);
  assert.equal(field(field(m, Tag.Attribute) as StructureItem, Tag.AttributeIndex)!.value, 1);
  await fails(V14, OP.ModifyAttribute, [uid(id), attr1('Name', nameStruct(0, 'nope'), 7)], RR.ItemNotFound);
  // An attribute the object does not have must be added first.
  await fails(V14, OP.ModifyAttribute, [uid(id), attr1('Contact Information', v1Value(0, 'TextString', 'ops'))], RR.InvalidField);
  // Add must not carry an index.
  await fails(V14, OP.AddAttribute, [uid(id), attr1('Name', nameStruct(0, 'with-index'), 5)], RR.InvalidField);
  // Delete index 2: the deleted attribute is echoed.
  const d = await ok(V14, OP.DeleteAttribute, [uid(id), text(Tag.AttributeName, 'Name'), item(Tag.AttributeIndex, 'Integer', 2)]);
  const da = field(d, Tag.Attribute) as StructureItem;
  assert.equal(field(da, Tag.AttributeIndex)!.value, 2);
  assert.equal(nameOf(field(da, Tag.AttributeValue)!), 'idx-2');
  await fails(V14, OP.DeleteAttribute, [uid(id), text(Tag.AttributeName, 'Name'), item(Tag.AttributeIndex, 'Integer', 2)], RR.ItemNotFound);
  await fails(V14, OP.DeleteAttribute, [uid(id), text(Tag.AttributeName, 'Contact Information')], RR.ItemNotFound);
  assert.deepEqual((await attrs1(V14, id, ['Name'])).map(([, i, v]) => [i, nameOf(v)]), [[0, 'idx-0'], [1, 'idx-1b']]);
  // Delete without index removes index 0.
  await ok(V14, OP.DeleteAttribute, [uid(id), text(Tag.AttributeName, 'Name')]);
  assert.deepEqual((await attrs1(V14, id, ['Name'])).map(([, i, v]) => [i, nameOf(v)]), [[1, 'idx-1b']]);
});

test('single-instance attributes cannot be added twice; read-only attributes are refused (1.x Permission Denied, 2.x Read Only Attribute)', async () => {
  const id = await create1(V14);
  await ok(V14, OP.AddAttribute, [uid(id), attr1('Contact Information', v1Value(0, 'TextString', 'a'))]);
  await fails(V14, OP.AddAttribute, [uid(id), attr1('Contact Information', v1Value(0, 'TextString', 'b'))], RR.IllegalOperation);
  await fails(V14, OP.AddAttribute, [uid(id), attr1('Object Type', en(0, Enum.ObjectType.SecretData))], RR.PermissionDenied);
  await fails(V14, OP.ModifyAttribute, [uid(id), attr1('Unique Identifier', v1Value(0, 'TextString', 'other'))], RR.PermissionDenied);
  await fails(V14, OP.ModifyAttribute, [uid(id), attr1('Cryptographic Length', item(0, 'Integer', 128))], RR.PermissionDenied);
  await fails(V14, OP.DeleteAttribute, [uid(id), text(Tag.AttributeName, 'Digest')], RR.PermissionDenied);
  await fails(V14, OP.DeleteAttribute, [uid(id), text(Tag.AttributeName, 'Initial Date')], RR.PermissionDenied);

  const id2 = await create21([text(Tag.ContactInformation, 'a')]);
  await fails(V21, OP.AddAttribute, [uid(id2), struct(Tag.NewAttribute, [text(Tag.ContactInformation, 'b')])], RR.AttributeSingleValued);
  await fails(V21, OP.SetAttribute, [uid(id2), struct(Tag.NewAttribute, [en(Tag.State, 2)])], RR.ReadOnlyAttribute);
  await fails(V21, OP.AddAttribute, [uid(id2), struct(Tag.NewAttribute, [item(Tag.LastChangeDate, 'DateTime', 0n)])], RR.ReadOnlyAttribute);
  // Modify and Delete answer Attribute Read Only (2.1 §6.1.13.1 / §6.1.32.1; OASIS BL-M-7-21).
  await fails(V21, OP.DeleteAttribute, [uid(id2), en(Tag.AttributeReference, Tag.CryptographicAlgorithm)], RR.AttributeReadOnly);
  await fails(V21, OP.ModifyAttribute, [uid(id2), struct(Tag.NewAttribute, [en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.DES3)])], RR.AttributeReadOnly);
  // A missing object.
  await fails(V14, OP.AddAttribute, [uid('no-such-object'), attr1('x-A', v1Value(0, 'TextString', 'a'))], RR.ItemNotFound);
  await fails(V21, OP.SetAttribute, [uid('no-such-object'), struct(Tag.NewAttribute, [text(Tag.ContactInformation, 'a')])], RR.ObjectNotFound);
});

test('2.x Set / Add / Modify (Current Attribute) / Delete (Current Attribute, Attribute Reference); Last Change Date moves', async () => {
  const id = await create21([nameStruct(Tag.Name, 'n0')]);
  const lcd0 = field(await attrs21(id, [Tag.LastChangeDate]), Tag.LastChangeDate)!.value as bigint;
  clockNow = new Date(clockNow.getTime() + 60_000);
  // Set creates, then replaces.
  await ok(V21, OP.SetAttribute, [uid(id), struct(Tag.NewAttribute, [text(Tag.ContactInformation, 'first')])]);
  await ok(V21, OP.SetAttribute, [uid(id), struct(Tag.NewAttribute, [text(Tag.ContactInformation, 'second')])]);
  const after1 = await attrs21(id, [Tag.ContactInformation, Tag.LastChangeDate]);
  assert.deepEqual(fields(after1, Tag.ContactInformation).map((c) => c.value), ['second']);
  assert.equal(field(after1, Tag.LastChangeDate)!.value, lcd0 + 60n);
  // Add a second Name; Modify without Current Attribute is then ambiguous.
  const p = await ok(V21, OP.AddAttribute, [uid(id), struct(Tag.NewAttribute, [nameStruct(Tag.Name, 'n1')])]);
  assert.deepEqual(p.value.map((c) => c.tag), [Tag.UniqueIdentifier]);
  await fails(V21, OP.ModifyAttribute, [uid(id), struct(Tag.NewAttribute, [nameStruct(Tag.Name, 'x')])], RR.MultiValuedAttribute);
  await fails(V21, OP.SetAttribute, [uid(id), struct(Tag.NewAttribute, [nameStruct(Tag.Name, 'x')])], RR.MultiValuedAttribute);
  await fails(V21, OP.ModifyAttribute, [uid(id), struct(Tag.CurrentAttribute, [nameStruct(Tag.Name, 'absent')]), struct(Tag.NewAttribute, [nameStruct(Tag.Name, 'x')])], RR.AttributeInstanceNotFound);
  await ok(V21, OP.ModifyAttribute, [uid(id), struct(Tag.CurrentAttribute, [nameStruct(Tag.Name, 'n1')]), struct(Tag.NewAttribute, [nameStruct(Tag.Name, 'n1b')])]);
  assert.deepEqual(fields(await attrs21(id, [Tag.Name]), Tag.Name).map(nameOf), ['n0', 'n1b']);
  await fails(V21, OP.ModifyAttribute, [uid(id), struct(Tag.NewAttribute, [text(Tag.Description, 'd')])], RR.AttributeNotFound);
  // Delete one instance by value, then every instance by reference.
  await fails(V21, OP.DeleteAttribute, [uid(id), struct(Tag.CurrentAttribute, [nameStruct(Tag.Name, 'absent')])], RR.AttributeInstanceNotFound);
  await ok(V21, OP.DeleteAttribute, [uid(id), struct(Tag.CurrentAttribute, [nameStruct(Tag.Name, 'n0')])]);
  assert.deepEqual(fields(await attrs21(id, [Tag.Name]), Tag.Name).map(nameOf), ['n1b']);
  await ok(V21, OP.AddAttribute, [uid(id), struct(Tag.NewAttribute, [nameStruct(Tag.Name, 'n2')])]);
  await ok(V21, OP.DeleteAttribute, [uid(id), en(Tag.AttributeReference, Tag.Name)]);
  assert.deepEqual(fields(await attrs21(id, [Tag.Name]), Tag.Name), []);
  await fails(V21, OP.DeleteAttribute, [uid(id), en(Tag.AttributeReference, Tag.Name)], RR.AttributeNotFound);
  // Vendor attributes in 2.x form.
  const vendor = (v: string): TtlvItem => struct(Tag.Attribute, [text(Tag.VendorIdentification, 'x'), text(Tag.AttributeName, 'Owner'), text(Tag.AttributeValue, v)]);
  await ok(V21, OP.AddAttribute, [uid(id), struct(Tag.NewAttribute, [vendor('alice')])]);
  await ok(V21, OP.ModifyAttribute, [uid(id), struct(Tag.NewAttribute, [vendor('bob')])]);
  assert.deepEqual((await attrs1(V14, id, ['x-Owner'])).map(([, , v]) => v.value), ['bob']);
  clockNow = new Date('2026-01-02T03:04:05Z');
});

test('the ID Placeholder flows into Add Attribute', async () => {
  const items = await send(V14, [
    [OP.Create, [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), struct(Tag.TemplateAttribute, [attr1('Cryptographic Algorithm', en(0, Enum.CryptographicAlgorithm.AES)), attr1('Cryptographic Length', item(0, 'Integer', 128))])]],
    [OP.AddAttribute, [attr1('x-Tag', v1Value(0, 'TextString', 'placeholder'))]],
  ]);
  assert.equal(items[1]!.resultStatus, Enum.ResultStatus.Success, items[1]!.resultMessage);
  const id = field(items[0]!.responsePayload, Tag.UniqueIdentifier)!.value as string;
  assert.equal(field(items[1]!.responsePayload, Tag.UniqueIdentifier)!.value, id);
  assert.deepEqual((await attrs1(V14, id, ['x-Tag'])).map(([, , v]) => v.value), ['placeholder']);
});
