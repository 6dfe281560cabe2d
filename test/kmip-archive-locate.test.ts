// Archive, Recover, Interop and Log, and Locate by every criterion Keyhold
// supports (Storage Status Mask, Object Group Member, partial structures,
// usage mask, date ranges, paging), through processRequest on a real store,
// at KMIP 1.4 and 2.1; then the OASIS cases made of these operations.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { item, struct, type StructureItem, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { ObjectState } from '../main/store/index.js';
import { explainLocate } from '../main/store/locate-query.js';
import type { SqliteKeyStore } from '../main/store/sqlite-store.js';
import { quoteForLog, MAX_LOGGED } from '../main/kmip/operations/log.js';
import { en, field, fields, int, kmipHarness, storeBackedContext, uid, V14, V21, type Version } from './support/kmip-ops.js';

const T0 = Date.parse('2026-03-04T05:06:07Z');
let clockMs = T0;
const { ctx, store } = storeBackedContext('keyhold-archive-', () => new Date(clockMs));
const logged: string[] = [];
ctx.info = (line) => logged.push(line);
const { send, ok, fails, replay } = kmipHarness(ctx);

const OP = Enum.Operation;
const RR = Enum.ResultReason;
const SSM = Enum.StorageStatusMask;
const KEY = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

const text = (tag: number, v: string): TtlvItem => item(tag, 'TextString', v);
const name = (n: string): TtlvItem => struct(Tag.Name, [text(Tag.NameValue, n), en(Tag.NameType, Enum.NameType.UninterpretedTextString)]);
const group = (g: string): TtlvItem => text(Tag.ObjectGroup, g);
const asi = (ns: string | undefined, data: string | undefined): TtlvItem =>
  struct(Tag.ApplicationSpecificInformation, [...(ns === undefined ? [] : [text(Tag.ApplicationNamespace, ns)]), ...(data === undefined ? [] : [text(Tag.ApplicationData, data)])]);
const dt = (tag: number, ms: number): TtlvItem => item(tag, 'DateTime', BigInt(Math.floor(ms / 1000)));

/** A 1.x Attribute structure around a 2.x-style value item. */
function attr1(attrName: string, value: TtlvItem): TtlvItem {
  return struct(Tag.Attribute, [text(Tag.AttributeName, attrName), { ...value, tag: Tag.AttributeValue } as TtlvItem]);
}

/** Registers an AES-128 key (known bytes) with extra 2.1 attributes; returns its identifier. */
async function register21(extra: TtlvItem[] = []): Promise<string> {
  const block = struct(Tag.KeyBlock, [
    en(Tag.KeyFormatType, Enum.KeyFormatType.Raw),
    struct(Tag.KeyValue, [item(Tag.KeyMaterial, 'ByteString', KEY)]),
    en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.AES),
    int(Tag.CryptographicLength, 128),
  ]);
  const attrs = struct(Tag.Attributes, [en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 128), ...extra]);
  const p = await ok(V21, OP.Register, [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), attrs, struct(Tag.SymmetricKey, [block])]);
  return field(p, Tag.UniqueIdentifier)!.value as string;
}

async function create21(alg: number, length: number, extra: TtlvItem[] = []): Promise<string> {
  const attrs = struct(Tag.Attributes, [en(Tag.CryptographicAlgorithm, alg), int(Tag.CryptographicLength, length), ...extra]);
  return field(await ok(V21, OP.Create, [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), attrs]), Tag.UniqueIdentifier)!.value as string;
}

/**
 * Locate at 2.1 (criteria in Attributes) or 1.4 (bare Attribute structures, given as 1.x already).
 * 2.x answers newest first (asserted on its own below); `ids` is given here in creation order for
 * both versions, so one expectation serves both. Paging tests use `raw`.
 */
async function locate(v: Version, criteria: TtlvItem[], extra: TtlvItem[] = []): Promise<{ ids: string[]; located: unknown; raw: string[] }> {
  const body = v.major >= 2 ? [...extra, struct(Tag.Attributes, criteria)] : [...extra, ...criteria];
  const p = await ok(v, OP.Locate, body);
  const raw = fields(p, Tag.UniqueIdentifier).map((x) => x.value as string);
  return { ids: v.major >= 2 ? [...raw].reverse() : raw, located: field(p, Tag.LocatedItems)?.value, raw };
}
const ids21 = async (criteria: TtlvItem[], extra: TtlvItem[] = []) => (await locate(V21, criteria, extra)).ids;
const mask = (m: number): TtlvItem => int(Tag.StorageStatusMask, m);

function attributeOf(p: StructureItem, tag: number): TtlvItem | undefined {
  return field(field(p, Tag.Attributes) as StructureItem | undefined, tag);
}

// ---------------------------------------------------------------------------
// Archive / Recover

test('Archive: Archive Date set, Get refused with Object Archived, attributes readable, material kept encrypted; Recover undoes it', async () => {
  clockMs = T0;
  const id = await register21([name('arch-1')]);
  const at = T0 + 60_000;
  clockMs = at;
  assert.equal(field(await ok(V21, OP.Archive, [uid(id)]), Tag.UniqueIdentifier)!.value, id);

  const attrs = await ok(V21, OP.GetAttributes, [uid(id)]);
  assert.deepEqual(attributeOf(attrs, Tag.ArchiveDate), dt(Tag.ArchiveDate, at));
  assert.deepEqual(attributeOf(attrs, Tag.LastChangeDate), dt(Tag.LastChangeDate, at));
  const msg = await fails(V21, OP.Get, [uid(id)], RR.ObjectArchived);
  assert.match(msg, /archived/);
  await fails(V14, OP.Get, [uid(id)], RR.ObjectArchived);
  // The encrypted material is still in the store, and decrypts to the registered key.
  assert.equal(store.getObject(id).hasMaterial, true);
  assert.ok(Buffer.from(store.getMaterial(id)!).includes(Buffer.from(KEY)));
  // Archiving twice is the spec's "already archived".
  await fails(V21, OP.Archive, [uid(id)], RR.ObjectArchived);
  await fails(V14, OP.Archive, [uid(id)], RR.ObjectArchived);

  clockMs = at + 60_000;
  assert.equal(field(await ok(V21, OP.Recover, [uid(id)]), Tag.UniqueIdentifier)!.value, id);
  const after = await ok(V21, OP.GetAttributes, [uid(id)]);
  assert.equal(attributeOf(after, Tag.ArchiveDate), undefined, 'Recover deletes the Archive Date (1.4 §3.32)');
  assert.deepEqual(attributeOf(after, Tag.LastChangeDate), dt(Tag.LastChangeDate, at + 60_000));
  const got = await ok(V21, OP.Get, [uid(id)]);
  assert.equal(field(got, Tag.UniqueIdentifier)!.value, id);
  // Recovering an on-line object changes nothing and succeeds (the spec lists only Item Not Found).
  await ok(V21, OP.Recover, [uid(id)]);
  assert.equal(attributeOf(await ok(V21, OP.GetAttributes, [uid(id)]), Tag.LastChangeDate)!.value, dt(0, at + 60_000).value);
});

test('Archive / Recover at 1.4; ID Placeholder in and out; missing, destroyed and malformed objects', async () => {
  clockMs = T0;
  // 1.4 batch: Create → Archive (placeholder) → Recover (placeholder) → Get (placeholder from Recover).
  const ta = struct(Tag.TemplateAttribute, [attr1('Cryptographic Algorithm', en(0, Enum.CryptographicAlgorithm.AES)), attr1('Cryptographic Length', int(0, 128))]);
  const r = await send(V14, [[OP.Create, [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), ta]], [OP.Archive, []], [OP.Get, []], [OP.Recover, []], [OP.Get, []]]);
  assert.deepEqual(r.map((b) => b.resultStatus), [0, 0, 1, 0, 0].map((s) => (s === 0 ? Enum.ResultStatus.Success : Enum.ResultStatus.OperationFailed)));
  assert.equal(r[2]!.resultReason, RR.ObjectArchived);
  const id = field(r[0]!.responsePayload, Tag.UniqueIdentifier)!.value;
  for (const i of [1, 3, 4]) assert.equal(field(r[i]!.responsePayload, Tag.UniqueIdentifier)!.value, id);

  await fails(V14, OP.Archive, [uid('no-such-object')], RR.ItemNotFound);
  await fails(V21, OP.Recover, [uid('no-such-object')], RR.ObjectNotFound);
  await fails(V21, OP.Archive, [], RR.MissingData);
  await fails(V21, OP.Archive, [uid(id as string), int(Tag.MaximumItems, 1)], RR.InvalidField);
  // A destroyed object has nothing left to archive.
  const gone = await register21();
  await ok(V21, OP.Destroy, [uid(gone)]);
  await fails(V21, OP.Archive, [uid(gone)], RR.ObjectDestroyed);
  await fails(V14, OP.Archive, [uid(gone)], RR.ItemNotFound);
});

test('Storage Status Mask: every combination of On-line, Archival and Destroyed, at 1.4 and 2.1', async () => {
  clockMs = T0;
  const g = 'ssm-g';
  const online = await register21([group(g)]);
  const archived = await register21([group(g)]);
  const destroyed = await register21([group(g)]);
  await ok(V21, OP.Archive, [uid(archived)]);
  await ok(V21, OP.Destroy, [uid(destroyed)]);
  const expected: Record<number, string[]> = {
    0: [],
    [SSM.OnLineStorage]: [online],
    [SSM.ArchivalStorage]: [archived],
    [SSM.DestroyedStorage]: [destroyed],
    [SSM.OnLineStorage | SSM.ArchivalStorage]: [online, archived],
    [SSM.OnLineStorage | SSM.DestroyedStorage]: [online, destroyed],
    [SSM.ArchivalStorage | SSM.DestroyedStorage]: [archived, destroyed],
    7: [online, archived, destroyed],
  };
  for (const [m, want] of Object.entries(expected)) {
    assert.deepEqual(await ids21([group(g)], [mask(Number(m))]), want, `2.1 mask ${m}`);
    assert.deepEqual((await locate(V14, [attr1('Object Group', text(0, g))], [mask(Number(m))])).ids, want, `1.4 mask ${m}`);
  }
  assert.deepEqual(await ids21([group(g)]), [online], 'no mask: on-line only');
  // A State criterion narrows within the storage searched.
  assert.deepEqual(await ids21([group(g), en(Tag.State, ObjectState.PreActive)], [mask(7)]), [online, archived]);
  assert.deepEqual(await ids21([group(g), en(Tag.State, ObjectState.Destroyed)]), []);
  await fails(V21, OP.Locate, [mask(8), struct(Tag.Attributes, [])], RR.InvalidField);
  // Recovered: on-line again.
  await ok(V21, OP.Recover, [uid(archived)]);
  assert.deepEqual(await ids21([group(g)]), [online, archived]);
});

// ---------------------------------------------------------------------------
// Interop, Log

test('Interop Begin/End/Reset succeed with an empty payload, are logged, and Reset touches no object', async () => {
  const id = await register21([name('interop-keep')]);
  const before = await ids21([], [mask(7)]);
  logged.length = 0;
  for (const fn of [Enum.InteropFunction.Begin, Enum.InteropFunction.End, Enum.InteropFunction.Reset]) {
    const p = await ok(V21, OP.Interop, [en(Tag.InteropFunction, fn), text(Tag.InteropIdentifier, 'BL-M-1-21')]);
    assert.deepEqual(p.value, []);
  }
  assert.deepEqual(logged, ['interop Begin "BL-M-1-21"', 'interop End "BL-M-1-21"', 'interop Reset "BL-M-1-21"']);
  assert.deepEqual(await ids21([], [mask(7)]), before, 'Reset deletes nothing');
  assert.ok(Buffer.from(store.getMaterial(id)!).includes(Buffer.from(KEY)), 'Reset changes no key');
  assert.equal(field(await ok(V21, OP.Get, [uid(id)]), Tag.UniqueIdentifier)!.value, id);

  await fails(V21, OP.Interop, [en(Tag.InteropFunction, Enum.InteropFunction.Begin)], RR.InvalidField);
  await fails(V21, OP.Interop, [text(Tag.InteropIdentifier, 'x')], RR.InvalidField);
  await fails(V21, OP.Interop, [en(Tag.InteropFunction, 9), text(Tag.InteropIdentifier, 'x')], RR.InvalidField);
  // Interop and Log are 2.x operations.
  await fails(V14, OP.Interop, [en(Tag.InteropFunction, 1), text(Tag.InteropIdentifier, 'x')], RR.OperationNotSupported);
  await fails(V14, OP.Log, [text(Tag.LogMessage, 'x')], RR.OperationNotSupported);
});

test('Log writes the message to the server log as escaped, capped data; nothing of any object', async () => {
  logged.length = 0;
  const p = await ok(V21, OP.Log, [text(Tag.LogMessage, 'line one\nFAKE entry\u001b[31m "q" \\ \u202e')]);
  assert.deepEqual(p.value, []);
  assert.deepEqual(logged, ['client log message: "line one\\x0aFAKE entry\\x1b[31m \\"q\\" \\\\ \\u202e"']);
  logged.length = 0;
  await ok(V21, OP.Log, [text(Tag.LogMessage, 'é'.repeat(MAX_LOGGED + 5))]);
  assert.equal(logged.length, 1);
  assert.ok(logged[0]!.endsWith(`"${'é'.repeat(MAX_LOGGED)}" (5 more characters not logged)`), logged[0]);
  assert.ok(!logged.join('').includes(Buffer.from(KEY).toString('hex')));
  await fails(V21, OP.Log, [], RR.InvalidField);
  await fails(V21, OP.Log, [text(Tag.LogMessage, 'a'), text(Tag.LogMessage, 'b')], RR.InvalidField);
  await fails(V21, OP.Log, [int(Tag.LogMessage, 1)], RR.InvalidMessage);
  assert.equal(quoteForLog('\u0000\u007f\u0085\u2028\ufeff'), '"\\x00\\x7f\\x85\\u2028\\ufeff"');
});

// ---------------------------------------------------------------------------
// Locate

test('Locate by Name, Object Type, algorithm, length, State, Object Group, Application Specific Information, x-/vendor attributes, at 1.4 and 2.1', async () => {
  clockMs = T0;
  const g = 'crit-g';
  const a = await create21(Enum.CryptographicAlgorithm.AES, 128, [name('crit-a'), group(g), asi('crit-ns', 'data-1')]);
  const b = await create21(Enum.CryptographicAlgorithm.AES, 256, [group(g), asi('crit-ns', 'data-2')]);
  const c = await create21(Enum.CryptographicAlgorithm.HMAC_SHA256, 256, [group(g), asi('other-ns', 'data-1')]);
  await ok(V21, OP.Activate, [uid(b)]);
  const alg = (x: number) => en(Tag.CryptographicAlgorithm, x);

  // 2.1
  assert.deepEqual(await ids21([name('crit-a')]), [a]);
  assert.deepEqual(await ids21([struct(Tag.Name, [text(Tag.NameValue, 'crit-a')])]), [a], 'Name Value alone');
  assert.deepEqual(await ids21([struct(Tag.Name, [text(Tag.NameValue, 'crit-a'), en(Tag.NameType, Enum.NameType.URI)])]), [], 'Name Type must match when given');
  assert.deepEqual(await ids21([group(g)]), [a, b, c]);
  assert.deepEqual(await ids21([group(g), alg(Enum.CryptographicAlgorithm.AES)]), [a, b]);
  assert.deepEqual(await ids21([group(g), int(Tag.CryptographicLength, 256)]), [b, c]);
  assert.deepEqual(await ids21([group(g), en(Tag.State, ObjectState.Active)]), [b]);
  assert.deepEqual(await ids21([group(g), en(Tag.ObjectType, Enum.ObjectType.SymmetricKey)]), [a, b, c]);
  assert.deepEqual(await ids21([group(g), en(Tag.ObjectType, Enum.ObjectType.SecretData)]), []);
  assert.deepEqual(await ids21([group(g), en(Tag.State, ObjectState.Active), en(Tag.State, ObjectState.PreActive)]), [], 'two States: no object has both');
  assert.deepEqual(await ids21([asi('crit-ns', undefined)]), [a, b], 'Application Namespace alone');
  assert.deepEqual(await ids21([asi(undefined, 'data-1')]), [a, c], 'Application Data alone');
  assert.deepEqual(await ids21([asi('crit-ns', 'data-2')]), [b], 'namespace and data');
  assert.deepEqual(await ids21([asi('crit-ns', 'data-3')]), []);
  assert.deepEqual(await ids21([group(g), alg(Enum.CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 128), asi('crit-ns', undefined), name('crit-a')]), [a], 'all at once');
  assert.deepEqual(await ids21([group(g), uid(b)]), [b], 'Unique Identifier as a criterion');

  // 1.4: the same criteria as bare Attribute structures.
  const g14 = attr1('Object Group', text(0, g));
  const loc14 = async (crit: TtlvItem[]) => (await locate(V14, crit)).ids;
  assert.deepEqual(await loc14([attr1('Name', struct(0, [text(Tag.NameValue, 'crit-a'), en(Tag.NameType, Enum.NameType.UninterpretedTextString)]))]), [a]);
  assert.deepEqual(await loc14([g14, attr1('Cryptographic Algorithm', en(0, Enum.CryptographicAlgorithm.AES))]), [a, b]);
  assert.deepEqual(await loc14([g14, attr1('Cryptographic Length', int(0, 256))]), [b, c]);
  assert.deepEqual(await loc14([g14, attr1('State', en(0, ObjectState.Active))]), [b]);
  assert.deepEqual(await loc14([g14, attr1('Object Type', en(0, Enum.ObjectType.SymmetricKey))]), [a, b, c]);
  assert.deepEqual(await loc14([attr1('Application Specific Information', struct(0, [text(Tag.ApplicationData, 'data-1')]))]), [a, c]);

  // Custom attributes: 1.4 x- names and the same attribute as a 2.1 Vendor Attribute.
  const x14 = attr1('x-Tier', text(0, 'gold'));
  const ta = struct(Tag.TemplateAttribute, [attr1('Cryptographic Algorithm', en(0, Enum.CryptographicAlgorithm.AES)), attr1('Cryptographic Length', int(0, 128)), x14]);
  const d = field(await ok(V14, OP.Create, [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), ta]), Tag.UniqueIdentifier)!.value as string;
  assert.deepEqual(await loc14([x14]), [d]);
  assert.deepEqual(await loc14([attr1('x-Tier', text(0, 'silver'))]), []);
  const vendor = (v: string) => struct(Tag.Attribute, [text(Tag.VendorIdentification, 'x'), text(Tag.AttributeName, 'Tier'), text(Tag.AttributeValue, v)]);
  assert.deepEqual(await ids21([vendor('gold')]), [d]);
  assert.deepEqual(await ids21([vendor('silver')]), []);
});

test('Locate by dates (one value = that time, two = inclusive range, largest value = ignored), usage mask, and a structure no key column covers', async () => {
  const g = 'date-g';
  const t = [T0 + 1_000_000, T0 + 2_000_000, T0 + 3_000_000];
  const made: string[] = [];
  for (const ms of t) {
    clockMs = ms;
    made.push(await create21(Enum.CryptographicAlgorithm.AES, 256, [group(g)]));
  }
  const [k1, k2, k3] = made as [string, string, string];
  const init = (ms: number) => dt(Tag.InitialDate, ms);
  assert.deepEqual(await ids21([group(g), init(t[1]!)]), [k2]);
  assert.deepEqual(await ids21([group(g), init(t[2]!), init(t[0]!)]), [k1, k2, k3], 'a range, limits included, in either order');
  assert.deepEqual(await ids21([group(g), init(t[0]! + 1000), init(t[2]! - 1000)]), [k2]);
  assert.deepEqual(await ids21([group(g), item(Tag.InitialDate, 'DateTime', 2n ** 63n - 1n)]), [k1, k2, k3], 'largest value = undefined');
  await fails(V21, OP.Locate, [struct(Tag.Attributes, [init(t[0]!), init(t[1]!), init(t[2]!)])], RR.InvalidField);
  const i14 = (ms: number) => attr1('Initial Date', dt(0, ms));
  assert.deepEqual((await locate(V14, [attr1('Object Group', text(0, g)), i14(t[1]!), i14(t[2]!)])).ids, [k2, k3]);

  // Cryptographic Usage Mask: the object must have every requested bit (1.4 §4.9 example).
  const U = Enum.CryptographicUsageMask;
  clockMs = T0;
  const enc = await create21(Enum.CryptographicAlgorithm.AES, 128, [group('mask-g'), int(Tag.CryptographicUsageMask, U.Encrypt | U.Decrypt)]);
  const wrap = await create21(Enum.CryptographicAlgorithm.AES, 128, [group('mask-g'), int(Tag.CryptographicUsageMask, U.WrapKey | U.UnwrapKey | U.Encrypt)]);
  const um = (m: number) => int(Tag.CryptographicUsageMask, m);
  assert.deepEqual(await ids21([group('mask-g'), um(U.Encrypt)]), [enc, wrap]);
  assert.deepEqual(await ids21([group('mask-g'), um(U.Encrypt | U.Decrypt)]), [enc]);
  assert.deepEqual(await ids21([group('mask-g'), um(U.WrapKey)]), [wrap]);
  assert.deepEqual(await ids21([group('mask-g'), um(U.Sign)]), []);

  // Link: its text key is the Linked Object Identifier; Link Type alone has no text key and is matched field by field.
  await ok(V21, OP.AddAttribute, [uid(wrap), struct(Tag.NewAttribute, [struct(Tag.Link, [en(Tag.LinkType, Enum.LinkType.ReplacementObjectLink), text(Tag.LinkedObjectIdentifier, enc)])])]);
  assert.deepEqual(await ids21([struct(Tag.Link, [text(Tag.LinkedObjectIdentifier, enc)])]), [wrap]);
  assert.deepEqual(await ids21([group('mask-g'), struct(Tag.Link, [en(Tag.LinkType, Enum.LinkType.ReplacementObjectLink)])]), [wrap]);
  assert.deepEqual(await ids21([struct(Tag.Link, [en(Tag.LinkType, Enum.LinkType.ParentLink), text(Tag.LinkedObjectIdentifier, enc)])]), []);
  // Digest (set by the server): a structure Locate can only match by its fields.
  const sha256 = struct(Tag.Digest, [en(Tag.HashingAlgorithm, Enum.HashingAlgorithm.SHA_256)]);
  assert.deepEqual(await ids21([group('mask-g'), sha256]), [enc, wrap]);
  // An empty structure is a clear Invalid Field, not a crash.
  const msg = await fails(V21, OP.Locate, [struct(Tag.Attributes, [struct(Tag.Name, [])])], RR.InvalidField);
  assert.match(msg, /Name criterion needs at least one field/);
});

test('Locate: Maximum Items, Offset Items (with Located Items), Object Group Member Fresh/Default, and the ID Placeholder', async () => {
  clockMs = T0;
  const g = 'page-g';
  const k: string[] = [];
  for (let i = 0; i < 5; i++) k.push(await create21(Enum.CryptographicAlgorithm.AES, 128, [group(g)]));
  for (const v of [V21, V14]) {
    const crit = v.major >= 2 ? [group(g)] : [attr1('Object Group', text(0, g))];
    // Pages follow the version's order: newest first in 2.x, oldest first in 1.x.
    const order = v.major >= 2 ? [...k].reverse() : k;
    const page = async (extra: TtlvItem[]) => {
      const r = await locate(v, crit, extra);
      return { ids: r.raw, located: r.located };
    };
    assert.deepEqual((await page([int(Tag.MaximumItems, 2)])).ids, order.slice(0, 2));
    assert.deepEqual(await page([int(Tag.MaximumItems, 2), int(Tag.OffsetItems, 2)]), { ids: order.slice(2, 4), located: 5 });
    assert.deepEqual(await page([int(Tag.OffsetItems, 4)]), { ids: order.slice(4), located: 5 });
    assert.deepEqual(await page([int(Tag.OffsetItems, 9)]), { ids: [], located: 5 });
    assert.deepEqual((await locate(v, crit, [int(Tag.MaximumItems, 0)])).ids, []);
    await fails(v, OP.Locate, v.major >= 2 ? [int(Tag.MaximumItems, -1), struct(Tag.Attributes, crit)] : [int(Tag.MaximumItems, -1), ...crit], RR.InvalidField);
  }

  // Fresh: served objects are no longer fresh (set directly here; Get flips it in the server).
  store.setAttribute(k[0]!, 'Fresh', { type: 'Boolean', value: false });
  store.setAttribute(k[3]!, 'Fresh', { type: 'Boolean', value: false });
  const fresh = en(Tag.ObjectGroupMember, Enum.ObjectGroupMember.GroupMemberFresh);
  const deflt = en(Tag.ObjectGroupMember, Enum.ObjectGroupMember.GroupMemberDefault);
  assert.deepEqual(await ids21([group(g)], [fresh]), [k[1], k[2], k[4]]);
  assert.deepEqual((await locate(V14, [attr1('Object Group', text(0, g))], [fresh])).ids, [k[1], k[2], k[4]]);
  assert.deepEqual(await ids21([group(g)], [fresh, int(Tag.MaximumItems, 1)]), [k[4]], 'the newest fresh one (2.x order)');
  // Default: Keyhold's policy is the group's most recently created match.
  assert.deepEqual(await ids21([group(g)], [deflt]), [k[4]]);
  // ... among the objects matching the other criteria.
  await ok(V21, OP.Activate, [uid(k[4]!)]);
  assert.deepEqual(await ids21([group(g), en(Tag.State, ObjectState.PreActive)], [deflt]), [k[3]]);
  await fails(V21, OP.Locate, [en(Tag.ObjectGroupMember, 7), struct(Tag.Attributes, [group(g)])], RR.InvalidField);

  // ID Placeholder: set when exactly one identifier is returned, emptied otherwise.
  const [, one] = await send(V21, [[OP.Locate, [int(Tag.MaximumItems, 1), struct(Tag.Attributes, [group(g)])]], [OP.GetAttributes, [en(Tag.AttributeReference, Tag.ObjectGroup)]]]);
  assert.equal(one!.resultStatus, Enum.ResultStatus.Success);
  assert.equal(field(one!.responsePayload, Tag.UniqueIdentifier)!.value, k[4]);
  const [, many] = await send(V21, [[OP.Locate, [struct(Tag.Attributes, [group(g)])]], [OP.GetAttributes, []]]);
  assert.equal(many!.resultReason, RR.MissingData, 'several matches empty the ID Placeholder');
  // Zero matches empty it too: the Get must not act on the key the Create made.
  const r = await send(V21, [
    [OP.Create, [en(Tag.ObjectType, Enum.ObjectType.SymmetricKey), struct(Tag.Attributes, [en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 128)])]],
    [OP.Locate, [struct(Tag.Attributes, [group('no-such-group')])]],
    [OP.Get, []],
  ]);
  assert.equal(r[2]!.resultReason, RR.MissingData);
});

test('Locate plans: Name and the storage condition use indexes, and no plan reads key material', () => {
  const conn = (store as SqliteKeyStore).connection;
  const filters = [
    { attributes: [{ name: 'Name', text: 'alpha' }], storage: ['online'] },
    { attributes: [{ name: 'Name', hasFields: [{ tag: Tag.NameValue, type: 'TextString', value: 'alpha' }], text: 'alpha' }], storage: ['archived', 'destroyed'] },
    { attributes: [{ name: 'CryptographicUsageMask', allBits: 4 }], storage: ['online', 'destroyed'] },
    { attributes: [{ name: 'Link', hasFields: [{ tag: Tag.LinkType, type: 'Enumeration', value: 1 }] }], storage: ['online'] },
  ] as const;
  for (const f of filters) {
    const plan = explainLocate(conn, f).join('\n');
    assert.doesNotMatch(plan, /\bSCAN (a|x|attributes)\b/, plan);
    assert.doesNotMatch(plan, /object_material/, plan);
    assert.match(plan, /USING (COVERING )?INDEX attributes_(text|int)/, plan);
  }
  // The archived set is read through the date index, not a scan.
  assert.match(explainLocate(conn, { storage: ['archived'] }).join('\n'), /USING (COVERING )?INDEX attributes_date/);
});

// ---------------------------------------------------------------------------
// OASIS cases

test('OASIS cases with Interop, Log or Locate whose operations are all served', async () => {
  // Each case in its own store, as the test cases assume a server of their own.
  const run = async (...files: string[]) => {
    const own = storeBackedContext('keyhold-oasis-', () => new Date(T0));
    const h = kmipHarness(own.ctx);
    for (const f of files) {
      const r = await h.replay(`cosmian-kmip/${f}`);
      if (r !== undefined) return `${f}: ${r}`;
    }
    return undefined;
  };
  const passing = [
    ...['5', '6', '7', '8'].flatMap((n) => ['v1.0/XML/mandatory/SKFF-M-%-10', 'v1.0/XML/mandatory/SKFF-M-%-11', 'v1.0/XML/mandatory/SKFF-M-%-12', 'v1.3/XML/mandatory/SKFF-M-%-13', 'v2.0/XML/mandatory/SKFF-M-%-20'].map((p) => p.replace('%', n))),
    'v2.1/XML/mandatory/BL-M-1-21', 'v2.1/XML/mandatory/BL-M-5-21', 'v2.1/XML/mandatory/BL-M-6-21', 'v2.1/XML/mandatory/BL-M-11-21',
    'v2.0/XML/mandatory/SASED-M-2-20',
  ];
  for (const c of passing) assert.equal(await run(`${c}.xml`), undefined, c);
  // SASED-M-3 locates the key SASED-M-2 registered: replayed in sequence on one server.
  for (const [v, d] of [['14', 'v1.4'], ['20', 'v2.0'], ['21', 'v2.1']] as const) {
    assert.equal(await run(`${d}/XML/mandatory/SASED-M-2-${v}.xml`, `${d}/XML/mandatory/SASED-M-3-${v}.xml`), undefined, `SASED-M-2+3-${v}`);
  }
});

test('an archived object is not changed until it is recovered: Activate, Revoke, Destroy, attribute changes → Object Archived (1.4 and 2.1)', async () => {
  const id = await create21(Enum.CryptographicAlgorithm.AES, 256);
  await ok(V21, OP.Archive, [uid(id)]);
  const before = store.getObject(id);
  const reason = struct(Tag.RevocationReason, [en(Tag.RevocationReasonCode, Enum.RevocationReasonCode.CessationOfOperation)]);
  for (const v of [V14, V21]) {
    const msg = await fails(v, OP.Activate, [uid(id)], RR.ObjectArchived);
    assert.match(msg, /is archived; Recover it before activating it/);
    await fails(v, OP.Revoke, [uid(id), reason], RR.ObjectArchived);
    await fails(v, OP.Destroy, [uid(id)], RR.ObjectArchived);
  }
  await fails(V21, OP.SetAttribute, [uid(id), struct(Tag.NewAttribute, [text(Tag.ContactInformation, 'ops')])], RR.ObjectArchived);
  await fails(V21, OP.AddAttribute, [uid(id), struct(Tag.NewAttribute, [group('archived-group')])], RR.ObjectArchived);
  await fails(V14, OP.AddAttribute, [uid(id), attr1('Object Group', text(0, 'archived-group'))], RR.ObjectArchived);
  assert.deepEqual(store.getObject(id), before, 'nothing changed while archived');
  await ok(V21, OP.Recover, [uid(id)]);
  await ok(V21, OP.Activate, [uid(id)]);
  assert.equal(store.getObject(id).state, ObjectState.Active);
});

test('Locate order: 2.x most recently created first (2.1 §6.1.28), 1.x oldest first; Offset Items pages in that order', async () => {
  const g = group('order-group');
  const a = await create21(Enum.CryptographicAlgorithm.AES, 128, [g]);
  const b = await create21(Enum.CryptographicAlgorithm.AES, 128, [g]);
  const c = await create21(Enum.CryptographicAlgorithm.AES, 128, [g]);
  assert.deepEqual((await locate(V21, [g])).raw, [c, b, a]);
  assert.deepEqual((await locate(V14, [attr1('Object Group', text(0, 'order-group'))])).raw, [a, b, c]);
  assert.deepEqual((await locate(V21, [g], [int(Tag.MaximumItems, 2), int(Tag.OffsetItems, 1)])).raw, [b, a]);
  assert.deepEqual((await locate(V14, [attr1('Object Group', text(0, 'order-group'))], [int(Tag.MaximumItems, 2), int(Tag.OffsetItems, 1)])).raw, [b, c]);
});
