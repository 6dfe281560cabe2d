// Check, Re-key, Re-key Key Pair, Adjust Attribute, the Fresh flag and the
// Random Number Generator attribute, through processRequest on a real store
// with a fixed, settable clock, at KMIP 1.4 and 2.1; plus the OASIS / client
// vectors that exercise these operations and only operations the server serves.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { Attribute } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { item, struct, type StructureItem, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { en, field, int, kmipHarness, storeBackedContext, uid, V14, V21, type Version } from './support/kmip-ops.js';

const T0 = new Date('2026-01-02T03:04:05Z');
const T0_S = BigInt(T0.getTime() / 1000);
let clockNow = T0;
const { ctx } = storeBackedContext('keyhold-rekey-', () => clockNow);
const { send, ok, fails, replay } = kmipHarness(ctx);
const managed = ctx.objects!.managed!;

const OP = Enum.Operation;
const RR = Enum.ResultReason;
const UM = Enum.CryptographicUsageMask;
const LT = Enum.LinkType;
const text = (tag: number, v: string): TtlvItem => item(tag, 'TextString', v);
const date = (tag: number, s: bigint): TtlvItem => item(tag, 'DateTime', s);
const nameStruct = (n: string): TtlvItem[] => [text(Tag.NameValue, n), en(Tag.NameType, Enum.NameType.UninterpretedTextString)];
const name21 = (n: string): TtlvItem => struct(Tag.Name, nameStruct(n));

function attr1(name: string, value: TtlvItem): TtlvItem {
  return struct(Tag.Attribute, [text(Tag.AttributeName, name), { ...value, tag: Tag.AttributeValue } as TtlvItem]);
}

/** A 2.1 AES-128 Create; returns the id. */
async function create21(extra: TtlvItem[] = []): Promise<string> {
  const attrs = [en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 128), ...extra];
  const p = await ok(V21, OP.Create, [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), struct(Tag.Attributes, attrs)]);
  return field(p, Tag.UniqueIdentifier)!.value as string;
}

/** A 1.4 AES-128 Create with extra 1.x Attribute structures. */
async function create14(extra: TtlvItem[] = []): Promise<string> {
  const attrs = [attr1('Cryptographic Algorithm', en(0, Enum.CryptographicAlgorithm.AES)), attr1('Cryptographic Length', int(0, 128)), ...extra];
  const p = await ok(V14, OP.Create, [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), struct(Tag.TemplateAttribute, attrs)]);
  return field(p, Tag.UniqueIdentifier)!.value as string;
}

async function createPair21(common: TtlvItem[] = [], priv: TtlvItem[] = [], pub: TtlvItem[] = []): Promise<{ priv: string; pub: string }> {
  const attrs = [en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.EC), struct(Tag.CryptographicDomainParameters, [en(Tag.RecommendedCurve, Enum.RecommendedCurve.P_256)]), ...common];
  const p = await ok(V21, OP.CreateKeyPair, [struct(Tag.CommonAttributes, attrs), struct(Tag.PrivateKeyAttributes, priv), struct(Tag.PublicKeyAttributes, pub)]);
  return { priv: field(p, Tag.PrivateKeyUniqueIdentifier)!.value as string, pub: field(p, Tag.PublicKeyUniqueIdentifier)!.value as string };
}

/** Stored instances of one attribute, read straight from the store. */
function stored(id: string, name: string): Attribute['value'][] {
  return managed.attributes(id, [name]).map((a) => a.value);
}
function one(id: string, name: string): Attribute['value'] | undefined {
  const v = stored(id, name);
  assert.ok(v.length <= 1, `${name} has ${v.length} instances`);
  return v[0];
}
const dateOf = (id: string, name: string): bigint | undefined => one(id, name)?.value as bigint | undefined;
function links(id: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const v of stored(id, 'Link')) {
    const s = v.value as TtlvItem[];
    m.set(s.find((c) => c.tag === Tag.LinkType)!.value as number, s.find((c) => c.tag === Tag.LinkedObjectIdentifier)!.value as string);
  }
  return m;
}
const names = (id: string): string[] => stored(id, 'Name').map((v) => (v.value as TtlvItem[]).find((c) => c.tag === Tag.NameValue)!.value as string);
const rngAlgorithm = (id: string): number[] => stored(id, 'RandomNumberGenerator').map((v) => (v.value as TtlvItem[]).find((c) => c.tag === Tag.RNGAlgorithm)!.value as number);

async function symmetricBytes(version: Version, id: string): Promise<Buffer> {
  const p = await ok(version, OP.Get, [uid(id)]);
  const block = field(field(p, Tag.SymmetricKey) as StructureItem, Tag.KeyBlock) as StructureItem;
  return Buffer.from(field(field(block, Tag.KeyValue) as StructureItem, Tag.KeyMaterial)!.value as Uint8Array);
}

async function revokeAndDestroy(version: Version, id: string): Promise<void> {
  if (managed.get(id).state === 2) await ok(version, OP.Revoke, [uid(id), struct(Tag.RevocationReason, [en(Tag.RevocationReasonCode, Enum.RevocationReasonCode.CessationOfOperation)])]);
  await ok(version, OP.Destroy, [uid(id)]);
}

// ---------------------------------------------------------------------------
// Check

test('Check 2.1: success echoes the Unique Identifier; a usage outside the mask is Incompatible Cryptographic Usage Mask (as OASIS BL-M-3-21)', async () => {
  clockNow = T0;
  const id = await create21([int(Tag.CryptographicUsageMask, UM.Decrypt), date(Tag.ActivationDate, T0_S - 60n)]);
  const p = await ok(V21, OP.Check, [uid(id), int(Tag.CryptographicUsageMask, UM.Decrypt)]);
  assert.deepEqual(p.value, [text(Tag.UniqueIdentifier, id)]);
  const msg = await fails(V21, OP.Check, [uid(id), int(Tag.CryptographicUsageMask, UM.Encrypt)], RR.IncompatibleCryptographicUsageMask);
  assert.match(msg, /Cryptographic Usage Mask/);
  // No mask at all: nothing to refuse.
  await ok(V21, OP.Check, [uid(id)]);
});

test('Check 1.4: a refused usage is Permission Denied (1.4 §11.11); unknown object is Item Not Found', async () => {
  clockNow = T0;
  const id = await create14([attr1('Cryptographic Usage Mask', int(0, UM.Encrypt | UM.Decrypt)), attr1('Activation Date', date(0, T0_S))]);
  await ok(V14, OP.Check, [uid(id), int(Tag.CryptographicUsageMask, UM.Encrypt)]);
  await fails(V14, OP.Check, [uid(id), int(Tag.CryptographicUsageMask, UM.Sign)], RR.PermissionDenied);
  await fails(V14, OP.Check, [uid('no-such-object')], RR.ItemNotFound);
  await fails(V14, OP.Check, [], RR.MissingData);
});

test('Check follows the state: nothing while Pre-Active, only processing once Deactivated; destroyed objects cannot be used', async () => {
  clockNow = T0;
  const id = await create21([int(Tag.CryptographicUsageMask, UM.Encrypt | UM.Decrypt)]);
  await fails(V21, OP.Check, [uid(id), int(Tag.CryptographicUsageMask, UM.Decrypt)], RR.WrongKeyLifecycleState);
  await fails(V14, OP.Check, [uid(id), int(Tag.CryptographicUsageMask, UM.Decrypt)], RR.PermissionDenied);
  await ok(V21, OP.Activate, [uid(id)]);
  await ok(V21, OP.Revoke, [uid(id), struct(Tag.RevocationReason, [en(Tag.RevocationReasonCode, Enum.RevocationReasonCode.Superseded)])]);
  await ok(V21, OP.Check, [uid(id), int(Tag.CryptographicUsageMask, UM.Decrypt)]);
  await fails(V21, OP.Check, [uid(id), int(Tag.CryptographicUsageMask, UM.Encrypt)], RR.WrongKeyLifecycleState);
  await ok(V21, OP.Destroy, [uid(id)]);
  await fails(V21, OP.Check, [uid(id)], RR.ObjectDestroyed);
  await fails(V14, OP.Check, [uid(id)], RR.ItemNotFound);
});

test('Check and Re-key of an archived object: Object Archived (1.4 §11.11, Table 331) until Recover', async () => {
  clockNow = T0;
  const id = await create21([date(Tag.ActivationDate, T0_S)]);
  await ok(V21, OP.Archive, [uid(id)]);
  await fails(V21, OP.Check, [uid(id)], RR.ObjectArchived);
  await fails(V14, OP.ReKey, [uid(id)], RR.ObjectArchived);
  await ok(V21, OP.Recover, [uid(id)]);
  await ok(V21, OP.Check, [uid(id)]);
  await ok(V21, OP.ReKey, [uid(id)]);
});

test('Check: Usage Limits Count against what is left, Lease Time against the object Lease Time; ID Placeholder from Create', async () => {
  clockNow = T0;
  const limits = struct(Tag.UsageLimits, [item(Tag.UsageLimitsTotal, 'LongInteger', 1000n), item(Tag.UsageLimitsCount, 'LongInteger', 500n), en(Tag.UsageLimitsUnit, Enum.UsageLimitsUnit.Object)]);
  const id = await create21([limits]);
  await ok(V21, OP.Check, [uid(id), item(Tag.UsageLimitsCount, 'LongInteger', 500n)]);
  await fails(V21, OP.Check, [uid(id), item(Tag.UsageLimitsCount, 'LongInteger', 501n)], RR.UsageLimitExceeded);
  await fails(V14, OP.Check, [uid(id), item(Tag.UsageLimitsCount, 'LongInteger', 501n)], RR.PermissionDenied);
  // Lease Time is server-set; put one on the object the way the server would.
  managed.set(id, 'LeaseTime', { type: 'Interval', value: 3600 });
  await ok(V21, OP.Check, [uid(id), item(Tag.LeaseTime, 'Interval', 3600)]);
  await fails(V21, OP.Check, [uid(id), item(Tag.LeaseTime, 'Interval', 3601)], RR.PermissionDenied);
  const items = await send(V21, [
    [OP.Create, [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), struct(Tag.Attributes, [en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 128)])]],
    [OP.Check, [item(Tag.UsageLimitsCount, 'LongInteger', 1n)]],
  ]);
  assert.equal(items[1]!.resultStatus, Enum.ResultStatus.Success, items[1]!.resultMessage);
  assert.equal(field(items[1]!.responsePayload, Tag.UniqueIdentifier)!.value, field(items[0]!.responsePayload, Tag.UniqueIdentifier)!.value);
});

// ---------------------------------------------------------------------------
// Re-key

test('Re-key 2.1 with Offset: new material of the same algorithm and length, attributes copied, Name moved, dates shifted, Links both ways', async () => {
  clockNow = T0;
  const old = await create21([
    int(Tag.CryptographicUsageMask, UM.Encrypt | UM.Decrypt),
    name21('payroll'),
    date(Tag.ActivationDate, T0_S),
    date(Tag.DeactivationDate, T0_S + 86_400n),
    date(Tag.ProtectStopDate, T0_S + 3600n),
    struct(Tag.UsageLimits, [item(Tag.UsageLimitsTotal, 'LongInteger', 1000n), item(Tag.UsageLimitsCount, 'LongInteger', 10n), en(Tag.UsageLimitsUnit, Enum.UsageLimitsUnit.Object)]),
  ]);
  const oldKey = await symmetricBytes(V21, old);
  clockNow = new Date(T0.getTime() + 10_000_000);
  const t1 = T0_S + 10_000n;
  const p = await ok(V21, OP.ReKey, [uid(old), item(Tag.Offset, 'Interval', 600)]);
  const id = field(p, Tag.UniqueIdentifier)!.value as string;
  assert.notEqual(id, old);
  assert.deepEqual(p.value.map((c) => c.tag), [Tag.UniqueIdentifier]);

  // The replacement.
  assert.equal(one(id, 'CryptographicAlgorithm')!.value, Enum.CryptographicAlgorithm.AES);
  assert.equal(one(id, 'CryptographicLength')!.value, 128);
  assert.equal(one(id, 'CryptographicUsageMask')!.value, UM.Encrypt | UM.Decrypt);
  assert.deepEqual(names(id), ['payroll']);
  assert.equal(dateOf(id, 'InitialDate'), t1);
  assert.equal(dateOf(id, 'LastChangeDate'), t1);
  assert.equal(dateOf(id, 'OriginalCreationDate'), T0_S, 'Original Creation Date is copied');
  // AT2 = IT2 + Offset; the others keep their distance to the Activation Date.
  assert.equal(dateOf(id, 'ActivationDate'), t1 + 600n);
  assert.equal(dateOf(id, 'DeactivationDate'), t1 + 600n + 86_400n);
  assert.equal(dateOf(id, 'ProtectStopDate'), t1 + 600n + 3600n);
  assert.equal(managed.get(id).state, 1, 'Pre-Active until AT2');
  const limits = one(id, 'UsageLimits')!.value as TtlvItem[];
  assert.equal(limits.find((c) => c.tag === Tag.UsageLimitsCount)!.value, 1000n, 'the Count starts again at the Total');
  assert.deepEqual(rngAlgorithm(id), [Enum.RNGAlgorithm.Unspecified]);
  assert.deepEqual(links(id), new Map([[LT.ReplacedObjectLink, old]]));
  assert.equal(one(id, 'Fresh')!.value, true);
  const newKey = await symmetricBytes(V21, id);
  assert.equal(newKey.length, 16);
  assert.notDeepEqual(newKey, oldKey);
  const digest = one(id, 'Digest')!.value as TtlvItem[];
  assert.deepEqual(Buffer.from(digest.find((c) => c.tag === Tag.DigestValue)!.value as Uint8Array), createHash('sha256').update(newKey).digest());
  for (const gone of ['DestroyDate', 'CompromiseDate', 'RevocationReason']) assert.equal(one(id, gone), undefined, gone);

  // The existing key.
  assert.deepEqual(names(old), [], 'the Name moved to the replacement');
  assert.deepEqual(links(old), new Map([[LT.ReplacementObjectLink, id]]));
  assert.equal(dateOf(old, 'LastChangeDate'), t1);
  assert.equal(managed.get(old).state, 2, 'the existing key keeps its state');
});

test('Re-key 1.4 without Offset: dates copied, Template-Attribute Name added, state from the dates; Re-key then Activate by ID Placeholder', async () => {
  clockNow = T0;
  const old = await create14([attr1('Name', struct(0, nameStruct('k-1'))), attr1('Activation Date', date(0, T0_S - 60n)), attr1('Deactivation Date', date(0, T0_S + 7200n))]);
  clockNow = new Date(T0.getTime() + 5000);
  const p = await ok(V14, OP.ReKey, [uid(old), struct(Tag.TemplateAttribute, [attr1('Name', struct(0, nameStruct('k-2')))])]);
  const id = field(p, Tag.UniqueIdentifier)!.value as string;
  assert.deepEqual(names(id), ['k-1', 'k-2']);
  assert.equal(dateOf(id, 'ActivationDate'), T0_S - 60n);
  assert.equal(dateOf(id, 'DeactivationDate'), T0_S + 7200n);
  assert.equal(managed.get(id).state, 2, 'Active: the copied Activation Date has passed');

  // A Pre-Active key re-keyed, and its replacement activated in the same batch through the ID Placeholder.
  const pre = await create14();
  const items = await send(V14, [
    [OP.ReKey, [uid(pre)]],
    [OP.Activate, []],
  ]);
  assert.equal(items[1]!.resultStatus, Enum.ResultStatus.Success, items[1]!.resultMessage);
  const replacement = field(items[0]!.responsePayload, Tag.UniqueIdentifier)!.value as string;
  assert.equal(field(items[1]!.responsePayload, Tag.UniqueIdentifier)!.value, replacement);
  assert.equal(managed.get(replacement).state, 2);
  assert.equal(managed.get(pre).state, 1, 'the existing key is untouched by the Activate');
});

test('Re-key errors: wrong object type, destroyed, Offset with a date attribute, Offset without Activation Date, another length', async () => {
  clockNow = T0;
  const pair = await createPair21();
  await fails(V21, OP.ReKey, [uid(pair.priv)], RR.InvalidObjectType);
  await fails(V14, OP.ReKey, [uid(pair.priv)], RR.PermissionDenied);
  const gone = await create21();
  await ok(V21, OP.Destroy, [uid(gone)]);
  await fails(V21, OP.ReKey, [uid(gone)], RR.ObjectDestroyed);
  await fails(V14, OP.ReKey, [uid(gone)], RR.ItemNotFound);
  await fails(V21, OP.ReKey, [uid('no-such-key')], RR.ObjectNotFound);
  const k = await create21([date(Tag.DeactivationDate, T0_S + 100n)]);
  await fails(V21, OP.ReKey, [uid(k), item(Tag.Offset, 'Interval', 0), struct(Tag.Attributes, [date(Tag.ActivationDate, T0_S)])], RR.InvalidMessage);
  // No Activation Date to measure the Deactivation Date from.
  await fails(V14, OP.ReKey, [uid(k), item(Tag.Offset, 'Interval', 0)], RR.IllegalOperation);
  await fails(V21, OP.ReKey, [uid(k), item(Tag.Offset, 'Interval', 0)], RR.InvalidField);
  await fails(V21, OP.ReKey, [uid(k), struct(Tag.Attributes, [int(Tag.CryptographicLength, 256)])], RR.InvalidField);
  await fails(V21, OP.ReKey, [uid(k), struct(Tag.Attributes, [date(Tag.InitialDate, T0_S)])], RR.ReadOnlyAttribute);
  // Nothing failed half-way: the existing key got no Replacement Object Link.
  assert.deepEqual(links(k), new Map());
});

// ---------------------------------------------------------------------------
// Re-key Key Pair

test('Re-key Key Pair 2.1: a new EC pair on the same curve, Names moved, Links old↔new and between the new pair, ID Placeholder = new private key', async () => {
  clockNow = T0;
  const old = await createPair21([], [name21('signer-priv')], [name21('signer-pub')]);
  clockNow = new Date(T0.getTime() + 1000);
  const items = await send(V21, [
    [OP.ReKeyKeyPair, [item(Tag.PrivateKeyUniqueIdentifier, 'TextString', old.priv), struct(Tag.PrivateKeyAttributes, [name21('signer-priv-2')])]],
    [OP.GetAttributes, [en(Tag.AttributeReference, Tag.ObjectType)]],
  ]);
  assert.equal(items[0]!.resultStatus, Enum.ResultStatus.Success, items[0]!.resultMessage);
  const priv = field(items[0]!.responsePayload, Tag.PrivateKeyUniqueIdentifier)!.value as string;
  const pub = field(items[0]!.responsePayload, Tag.PublicKeyUniqueIdentifier)!.value as string;
  assert.equal(field(items[1]!.responsePayload, Tag.UniqueIdentifier)!.value, priv, 'the ID Placeholder is the new Private Key');
  assert.equal(managed.get(priv).objectType, Enum.ObjectType.PrivateKey);
  assert.equal(managed.get(pub).objectType, Enum.ObjectType.PublicKey);
  assert.deepEqual(links(priv), new Map([[LT.ReplacedObjectLink, old.priv], [LT.PublicKeyLink, pub]]));
  assert.deepEqual(links(pub), new Map([[LT.ReplacedObjectLink, old.pub], [LT.PrivateKeyLink, priv]]));
  assert.equal(links(old.priv).get(LT.ReplacementObjectLink), priv);
  assert.equal(links(old.pub).get(LT.ReplacementObjectLink), pub);
  assert.deepEqual(names(priv), ['signer-priv', 'signer-priv-2']);
  assert.deepEqual(names(pub), ['signer-pub']);
  assert.deepEqual([names(old.priv), names(old.pub)], [[], []]);
  for (const id of [priv, pub]) {
    assert.equal(one(id, 'CryptographicLength')!.value, 256);
    assert.equal(dateOf(id, 'InitialDate'), T0_S + 1n);
    assert.equal(dateOf(id, 'OriginalCreationDate'), T0_S);
    assert.deepEqual(rngAlgorithm(id), [Enum.RNGAlgorithm.Unspecified]);
  }
  const oldDigest = one(old.pub, 'Digest')!.value as TtlvItem[];
  const newDigest = one(pub, 'Digest')!.value as TtlvItem[];
  assert.notDeepEqual(newDigest.find((c) => c.tag === Tag.DigestValue), oldDigest.find((c) => c.tag === Tag.DigestValue), 'new key material');
});

test('Re-key Key Pair errors: a symmetric key or a public key is no private key; destroyed private key', async () => {
  clockNow = T0;
  const sym = await create21();
  await fails(V21, OP.ReKeyKeyPair, [item(Tag.PrivateKeyUniqueIdentifier, 'TextString', sym)], RR.InvalidObjectType);
  await fails(V14, OP.ReKeyKeyPair, [item(Tag.PrivateKeyUniqueIdentifier, 'TextString', sym)], RR.PermissionDenied);
  const pair = await createPair21();
  await fails(V21, OP.ReKeyKeyPair, [item(Tag.PrivateKeyUniqueIdentifier, 'TextString', pair.pub)], RR.InvalidObjectType);
  await ok(V21, OP.Destroy, [uid(pair.priv)]);
  await fails(V21, OP.ReKeyKeyPair, [item(Tag.PrivateKeyUniqueIdentifier, 'TextString', pair.priv)], RR.ObjectDestroyed);
  await fails(V14, OP.ReKeyKeyPair, [], RR.MissingData);
});

// ---------------------------------------------------------------------------
// Adjust Attribute

const vendorRef = (n: string): TtlvItem => struct(Tag.AttributeReference, [text(Tag.VendorIdentification, 'x'), text(Tag.AttributeName, n)]);
const vendorAttr = (n: string, v: TtlvItem): TtlvItem => struct(Tag.Attribute, [text(Tag.VendorIdentification, 'x'), text(Tag.AttributeName, n), { ...v, tag: Tag.AttributeValue } as TtlvItem]);
const vendorValue = (id: string, n: string): unknown => managed.attributes(id, [{ vendorIdentification: 'x', attributeName: n }]).map((a) => a.value.value);
const adjust = (id: string, ref: TtlvItem, type: number, value?: TtlvItem): TtlvItem[] => [uid(id), ref, en(Tag.AdjustmentType, type), ...(value === undefined ? [] : [value])];
const AT = Enum.AdjustmentType;

test('Adjust Attribute: Increment (default 1 and by a value), Decrement, Negate; a missing number starts at 0; dates move by seconds; Last Change Date set', async () => {
  clockNow = T0;
  const id = await create21([vendorAttr('counter', int(0, 10)), date(Tag.DeactivationDate, T0_S + 100n)]);
  clockNow = new Date(T0.getTime() + 2000);
  const p = await ok(V21, OP.AdjustAttribute, adjust(id, vendorRef('counter'), AT.Increment));
  assert.deepEqual(p.value, [text(Tag.UniqueIdentifier, id)]);
  assert.deepEqual(vendorValue(id, 'counter'), [11]);
  await ok(V21, OP.AdjustAttribute, adjust(id, vendorRef('counter'), AT.Increment, int(Tag.AdjustmentValue, 9)));
  await ok(V21, OP.AdjustAttribute, adjust(id, vendorRef('counter'), AT.Decrement, int(Tag.AdjustmentValue, 5)));
  assert.deepEqual(vendorValue(id, 'counter'), [15]);
  await ok(V21, OP.AdjustAttribute, adjust(id, vendorRef('counter'), AT.Negate));
  assert.deepEqual(vendorValue(id, 'counter'), [-15]);
  await ok(V21, OP.AdjustAttribute, adjust(id, en(Tag.AttributeReference, Tag.DeactivationDate), AT.Increment, item(Tag.AdjustmentValue, 'LongInteger', 3600n)));
  assert.equal(dateOf(id, 'DeactivationDate'), T0_S + 3700n);
  assert.equal(dateOf(id, 'LastChangeDate'), T0_S + 2n);
  // Sensitive (Boolean) is absent: taken as false, so Negate gives true.
  await ok(V21, OP.AdjustAttribute, adjust(id, en(Tag.AttributeReference, Tag.Sensitive), AT.Negate));
  assert.equal(one(id, 'Sensitive')!.value, true);
});

test('Adjust Attribute errors: read-only, several instances, no default for a missing date or vendor attribute, type, range, KMIP 1.x', async () => {
  clockNow = T0;
  const id = await create21([vendorAttr('big', int(0, 2 ** 31 - 1)), vendorAttr('tag', text(0, 'a')), vendorAttr('tag', text(0, 'b'))]);
  await fails(V21, OP.AdjustAttribute, adjust(id, en(Tag.AttributeReference, Tag.InitialDate), AT.Increment), RR.ReadOnlyAttribute);
  await fails(V21, OP.AdjustAttribute, adjust(id, en(Tag.AttributeReference, Tag.CryptographicLength), AT.Increment), RR.ReadOnlyAttribute);
  await fails(V21, OP.AdjustAttribute, adjust(id, vendorRef('tag'), AT.Increment), RR.MultiValuedAttribute);
  await fails(V21, OP.AdjustAttribute, adjust(id, en(Tag.AttributeReference, Tag.ProtectStopDate), AT.Increment), RR.AttributeNotFound);
  await fails(V21, OP.AdjustAttribute, adjust(id, vendorRef('nothing'), AT.Increment), RR.AttributeNotFound);
  await fails(V21, OP.AdjustAttribute, adjust(id, vendorRef('big'), AT.Increment), RR.NumericRange);
  await fails(V21, OP.AdjustAttribute, adjust(id, en(Tag.AttributeReference, Tag.CryptographicUsageMask), AT.Increment, text(Tag.AdjustmentValue, '1')), RR.InvalidDataType);
  await fails(V21, OP.AdjustAttribute, adjust(id, vendorRef('big'), 0x7777), RR.InvalidField);
  await fails(V21, OP.AdjustAttribute, [uid(id), en(Tag.AdjustmentType, AT.Increment)], RR.MissingData);
  await fails(V14, OP.AdjustAttribute, adjust(id, vendorRef('big'), AT.Increment), RR.OperationNotSupported);
  assert.deepEqual(vendorValue(id, 'big'), [2 ** 31 - 1], 'failed adjustments change nothing');
  // Negate applies to no date; a Pre-Active-only date follows the state rules of Set Attribute.
  const k = await create21([date(Tag.ActivationDate, T0_S + 100n)]);
  await fails(V21, OP.AdjustAttribute, adjust(k, en(Tag.AttributeReference, Tag.ActivationDate), AT.Negate), RR.InvalidDataType);
});

// ---------------------------------------------------------------------------
// Fresh and Random Number Generator

test('Fresh: true after Create / Register / Create Key Pair; the first Get sets it false; a failed Get leaves it true (1.4 and 2.1)', async () => {
  clockNow = T0;
  for (const v of [V14, V21]) {
    const id = v === V14 ? await create14() : await create21();
    assert.equal(one(id, 'Fresh')!.value, true);
    await fails(v, OP.Get, [uid(id), en(Tag.KeyFormatType, Enum.KeyFormatType.PKCS_1)], RR.KeyFormatTypeNotSupported);
    assert.equal(one(id, 'Fresh')!.value, true, 'a failed Get served nothing');
    await ok(v, OP.Get, [uid(id)]);
    const ga = await ok(V21, OP.GetAttributes, [uid(id), en(Tag.AttributeReference, Tag.Fresh)]);
    assert.deepEqual((field(ga, Tag.Attributes) as StructureItem).value, [item(Tag.Fresh, 'Boolean', false)]);
    await ok(v, OP.Get, [uid(id)]);
    assert.equal(one(id, 'Fresh')!.value, false);
  }
  const reg = field(await ok(V21, OP.Register, [
    en(Tag.ObjectType, Enum.ObjectType.SymmetricKey),
    struct(Tag.Attributes, []),
    struct(Tag.SymmetricKey, [struct(Tag.KeyBlock, [en(Tag.KeyFormatType, Enum.KeyFormatType.Raw), struct(Tag.KeyValue, [item(Tag.KeyMaterial, 'ByteString', new Uint8Array(16).fill(7))]), en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 128)])]),
  ]), Tag.UniqueIdentifier)!.value as string;
  assert.equal(one(reg, 'Fresh')!.value, true);
  await ok(V21, OP.Get, [uid(reg)]);
  assert.equal(one(reg, 'Fresh')!.value, false, 'a registered key is served once too');
  const pair = await createPair21();
  assert.deepEqual([one(pair.priv, 'Fresh')!.value, one(pair.pub, 'Fresh')!.value], [true, true]);
  await ok(V21, OP.Get, [uid(pair.pub)]);
  assert.deepEqual([one(pair.priv, 'Fresh')!.value, one(pair.pub, 'Fresh')!.value], [true, false]);
});

test('Random Number Generator: Unspecified on Create and Create Key Pair; a requested generator the server cannot vouch for is refused', async () => {
  clockNow = T0;
  const id = await create21();
  assert.deepEqual(rngAlgorithm(id), [Enum.RNGAlgorithm.Unspecified]);
  const pair = await createPair21();
  assert.deepEqual([rngAlgorithm(pair.priv), rngAlgorithm(pair.pub)], [[Enum.RNGAlgorithm.Unspecified], [Enum.RNGAlgorithm.Unspecified]]);
  const rng = (alg: number): TtlvItem => struct(Tag.RandomNumberGenerator, [en(Tag.RNGAlgorithm, alg)]);
  await fails(V21, OP.Create, [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), struct(Tag.Attributes, [en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 128), rng(Enum.RNGAlgorithm.ANSIX9_31)])], RR.FeatureNotSupported);
  const asked = await create21([rng(Enum.RNGAlgorithm.Unspecified)]);
  assert.deepEqual(rngAlgorithm(asked), [Enum.RNGAlgorithm.Unspecified], 'one instance: the server records its own');
  const g = await ok(V14, OP.GetAttributes, [uid(id), text(Tag.AttributeName, 'Random Number Generator')]);
  assert.equal(field(field(g, Tag.Attribute) as StructureItem, Tag.AttributeName)!.value, 'Random Number Generator');
});

// ---------------------------------------------------------------------------
// Vectors

test('OASIS TC-REKEY-1 (KMIP 1.0–1.4 and 2.0), BL-M-3-21 (Check), and the OVH client vectors TC_91 / TC_93 / TC_94 (Re-key) and TC_133 (Re-key Key Pair) replay', async () => {
  const files = [
    ...['10', '11', '12', '13', '14'].map((v) => `cosmian-kmip/website/testcases/v1.4/cnprd01/test-cases/kmip-v1.4/TC-REKEY-1-${v}.xml`),
    'cosmian-kmip/website/kmip-testcases/v2.0/cnd02/test-cases/kmip-v2.0/TC-REKEY-1-20.xml',
    ...['10', '11', '12'].flatMap((v) => [`TC_91_${v}_Create_a_Key_Re_key.xml`, `TC_93_${v}_Existing_Key_Compromised_Re_key_with_Same_Life_cycle.xml`].map((f) => `ovh-kmip-go/kmiptest/testdata/v1.${v.slice(1)}/${f}`)),
    ...['10', '11'].map((v) => `ovh-kmip-go/kmiptest/testdata/v1.${v.slice(1)}/TC_94_${v}_Create_Key_Re_key_with_New_Life_cycle.xml`),
    ...['11', '12'].map((v) => `ovh-kmip-go/kmiptest/testdata/v1.${v.slice(1)}/TC_133_${v}_Create_Re_key_Key_Pair.xml`),
    'cosmian-kmip/v2.1/XML/mandatory/BL-M-3-21.xml',
  ];
  for (const f of files) {
    clockNow = new Date();
    const r = await replay(f);
    assert.equal(r, undefined, `${f}: ${r}`);
  }
});

test('OASIS SKFF-M-10/11/12-14: Get Attributes of Random Number Generator now answers; the replay runs to the Get Attribute List step (#8)', async () => {
  for (const n of [10, 11, 12]) {
    clockNow = new Date();
    const r = await replay(`cosmian-kmip/v1.4/XML/mandatory/SKFF-M-${n}-14.xml`);
    // #8 lists attributes Keyhold does not keep (Always Sensitive, Extractable, Lease Time …): see the report.
    assert.ok(r === undefined || r.startsWith('#8.'), `SKFF-M-${n}-14: ${r}`);
  }
});
