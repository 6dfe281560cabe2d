// Issue 8 point 5, key wrapping: Get with a Key Wrapping Specification and
// Register of wrapped keys (main/kmip/operations/key-wrapping.ts,
// main/kmip/crypto/key-wrap.ts), through processRequest on a real store:
// RFC 3394 §4 and RFC 5649 §6 known answers (the primitives and through Get),
// RSA-OAEP unwrapped locally with node:crypto, the TTLV Encoding option with
// attributes, MAC/sign, wrap → Register wrapped → Get plain, the Sensitive /
// Extractable rules, and hostile requests with their Result Reasons at KMIP
// 1.4 and 2.1; the OASIS AX-M-2 cases in process (the conformance runner
// replays them over TLS).
import assert from 'node:assert/strict';
import { constants, createHmac, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { describe, test } from 'node:test';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, item, struct, type StructureItem, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { aesKeyUnwrap, aesKeyUnwrapPad, aesKeyWrap, aesKeyWrapPad } from '../main/kmip/crypto/key-wrap.js';
import { decodeMaterial, keyBlock, keyBytes } from '../main/kmip/objects/material.js';
import type { SqliteKeyStore } from '../main/store/index.js';
import { en, field, int, kmipHarness, storeBackedContext, uid, V14, V21, type Version } from './support/kmip-ops.js';
import { FIXED_NOW } from './support/kmip-text-vectors.js';

const NOW = new Date(Number(FIXED_NOW) * 1000);
const { ctx, store } = storeBackedContext('keyhold-key-wrapping-', () => NOW);
const { ok, fails, replay } = kmipHarness(ctx);

const OP = Enum.Operation;
const RR = Enum.ResultReason;
const OT = Enum.ObjectType;
const CA = Enum.CryptographicAlgorithm;
const UM = Enum.CryptographicUsageMask;
const KFT = Enum.KeyFormatType;
const BCM = Enum.BlockCipherMode;
const WM = Enum.WrappingMethod;
const EO = Enum.EncodingOption;
const HA = Enum.HashingAlgorithm;
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const bytes = (tag: number, b: Uint8Array): TtlvItem => item(tag, 'ByteString', new Uint8Array(b));
const params = (...c: TtlvItem[]): StructureItem => struct(Tag.CryptographicParameters, c);
const KW = params(en(Tag.BlockCipherMode, BCM.NISTKeyWrap));
const KWP = params(en(Tag.BlockCipherMode, BCM.AESKeyWrapPadding));
const ACTIVE = item(Tag.ActivationDate, 'DateTime', FIXED_NOW - 60n);
const idOf = (p: StructureItem): string => field(p, Tag.UniqueIdentifier)!.value as string;

/** Attributes in the version's shape (1.x Template-Attribute, 2.x Attributes), from 2.x-style items. */
function attributes(v: Version, items: TtlvItem[]): TtlvItem {
  if (v.major >= 2) return struct(Tag.Attributes, items);
  const names: Record<number, string> = { [Tag.CryptographicAlgorithm]: 'Cryptographic Algorithm', [Tag.CryptographicLength]: 'Cryptographic Length', [Tag.CryptographicUsageMask]: 'Cryptographic Usage Mask', [Tag.ActivationDate]: 'Activation Date', [Tag.CryptographicParameters]: 'Cryptographic Parameters', [Tag.Sensitive]: 'Sensitive', [Tag.Extractable]: 'Extractable' };
  return struct(
    Tag.TemplateAttribute,
    items.map((i) => struct(Tag.Attribute, [item(Tag.AttributeName, 'TextString', names[i.tag]!), { ...i, tag: Tag.AttributeValue } as TtlvItem])),
  );
}

function symmetricBlock(key: Uint8Array, alg: number = CA.AES): StructureItem {
  return struct(Tag.KeyBlock, [en(Tag.KeyFormatType, KFT.Raw), struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, key)]), en(Tag.CryptographicAlgorithm, alg), int(Tag.CryptographicLength, key.length * 8)]);
}

async function registerKey(v: Version, key: Uint8Array, usage: number, extra: TtlvItem[] = [ACTIVE], alg: number = CA.AES): Promise<string> {
  return idOf(await ok(v, OP.Register, [en(Tag.ObjectType, OT.SymmetricKey), attributes(v, [int(Tag.CryptographicUsageMask, usage), ...extra]), struct(Tag.SymmetricKey, [symmetricBlock(key, alg)])]));
}

async function registerSecret(v: Version, data: Uint8Array, usage: number): Promise<string> {
  const block = struct(Tag.KeyBlock, [en(Tag.KeyFormatType, KFT.Opaque), struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, data)])]);
  return idOf(await ok(v, OP.Register, [en(Tag.ObjectType, OT.SecretData), attributes(v, [int(Tag.CryptographicUsageMask, usage), ACTIVE]), struct(Tag.SecretData, [en(Tag.SecretDataType, Enum.SecretDataType.Password), block])]));
}

async function registerAsymmetric(v: Version, key: KeyObject, usage: number, extra: TtlvItem[] = [ACTIVE]): Promise<string> {
  const priv = key.type === 'private';
  const der = priv ? key.export({ format: 'der', type: 'pkcs8' }) : key.export({ format: 'der', type: 'spki' });
  const block = struct(Tag.KeyBlock, [en(Tag.KeyFormatType, priv ? KFT.PKCS_8 : KFT.X_509), struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, der)]), en(Tag.CryptographicAlgorithm, CA.RSA), int(Tag.CryptographicLength, key.asymmetricKeyDetails!.modulusLength!)]);
  return idOf(await ok(v, OP.Register, [en(Tag.ObjectType, priv ? OT.PrivateKey : OT.PublicKey), attributes(v, [int(Tag.CryptographicUsageMask, usage), ...extra]), struct(priv ? Tag.PrivateKey : Tag.PublicKey, [block])]));
}

function keyInfo(tag: number, id: string, p?: StructureItem): TtlvItem {
  return struct(tag, [uid(id), ...(p === undefined ? [] : [p])]);
}

/** A Key Wrapping Specification. */
function kws(method: number, o: { enc?: [string, StructureItem?]; mac?: [string, StructureItem?]; names?: string[]; encoding?: number }): TtlvItem {
  return struct(Tag.KeyWrappingSpecification, [
    en(Tag.WrappingMethod, method),
    ...(o.enc ? [keyInfo(Tag.EncryptionKeyInformation, o.enc[0], o.enc[1])] : []),
    ...(o.mac ? [keyInfo(Tag.MACSignatureKeyInformation, o.mac[0], o.mac[1])] : []),
    ...(o.names ?? []).map((n) => item(Tag.AttributeName, 'TextString', n)),
    ...(o.encoding === undefined ? [] : [en(Tag.EncodingOption, o.encoding)]),
  ]);
}

/** The Key Block of a Get answer. */
function blockOf(p: StructureItem): StructureItem {
  const obj = p.value.find((c) => c.type === 'Structure' && c.value.some((x) => x.tag === Tag.KeyBlock)) as StructureItem;
  return field(obj, Tag.KeyBlock) as StructureItem;
}
const wrappedValue = (p: StructureItem): Buffer => {
  const v = field(blockOf(p), Tag.KeyValue)!;
  assert.equal(v.type, 'ByteString', 'a wrapped Key Value is a Byte String');
  return Buffer.from(v.value as Uint8Array);
};
const plainMaterial = (p: StructureItem): Buffer => Buffer.from(field(field(blockOf(p), Tag.KeyValue) as StructureItem, Tag.KeyMaterial)!.value as Uint8Array);
const kwdOf = (p: StructureItem): StructureItem => field(blockOf(p), Tag.KeyWrappingData) as StructureItem;

describe('AES Key Wrap primitives: RFC 3394 §4 and RFC 5649 §6 known answers', () => {
  // RFC 3394 §4.1–4.6.
  const KEK = hex('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');
  const DATA = hex('00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F');
  const cases: [number, number, string][] = [
    [16, 16, '1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5'],
    [24, 16, '96778B25AE6CA435 F92B5B97C050AED2 468AB8A17AD84E5D'],
    [32, 16, '64E8C3F9CE0F5BA2 63E9777905818A2A 93C8191E7D6E8AE7'],
    [24, 24, '031D33264E15D332 68F24EC260743EDC E1C6C7DDEE725A93 6BA814915C6762D2'],
    [32, 24, 'A8F9BC1612C68B3F F6E6F4FBE30E71E4 769C8B80A32CB895 8CD5D17D6B254DA1'],
    [32, 32, '28C9F404C4B810F4 CBCCB35CFB87F826 3F5786E2D80ED326 CBC7F0E71A99F43B FB988B9B7A02DD21'],
  ];
  for (const [kekLen, dataLen, want] of cases) {
    test(`RFC 3394: ${dataLen * 8} bits of key data with a ${kekLen * 8}-bit KEK`, () => {
      const kek = KEK.subarray(0, kekLen);
      const data = DATA.subarray(0, dataLen);
      assert.equal(aesKeyWrap(kek, data).toString('hex'), hex(want).toString('hex'));
      assert.deepEqual(aesKeyUnwrap(kek, hex(want)), data);
      const bad = hex(want);
      bad[bad.length - 1]! ^= 1;
      assert.equal(aesKeyUnwrap(kek, bad), undefined, 'a changed bit fails the integrity check');
    });
  }
  test('RFC 5649 §6: 20 octets and 7 octets with a 192-bit KEK', () => {
    const kek = hex('5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8');
    assert.equal(aesKeyWrapPad(kek, hex('c37b7e6492584340bed12207808941155068f738')).toString('hex'), '138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a');
    assert.equal(aesKeyWrapPad(kek, hex('466f7250617369')).toString('hex'), 'afbeb0f07dfbf5419200f2ccb50bb24f');
    assert.deepEqual(aesKeyUnwrapPad(kek, hex('afbeb0f07dfbf5419200f2ccb50bb24f')), hex('466f7250617369'));
    assert.equal(aesKeyUnwrapPad(kek, hex('afbeb0f07dfbf5419200f2ccb50bb24e')), undefined);
  });
  test('RFC 3394 refuses what it cannot wrap; unwrapping a wrong length is a failure, not a throw', () => {
    assert.throws(() => aesKeyWrap(KEK.subarray(0, 16), new Uint8Array(8)), /16 bytes or more/);
    assert.throws(() => aesKeyWrap(KEK.subarray(0, 16), new Uint8Array(20)), /whole 8-byte blocks/);
    assert.throws(() => aesKeyWrap(new Uint8Array(10), new Uint8Array(16)), /128, 192 or 256/);
    assert.equal(aesKeyUnwrap(KEK.subarray(0, 16), new Uint8Array(16)), undefined);
    assert.equal(aesKeyUnwrap(KEK.subarray(0, 16), new Uint8Array(25)), undefined);
  });
});

const KEK128 = hex('000102030405060708090a0b0c0d0e0f');
const DEK128 = hex('00112233445566778899aabbccddeeff');

/**
 * A Sensitive AES Key Wrap with Padding key made by the server, which the
 * test reads from the store (no client could): what Register stores from a
 * wrapped key is Sensitive, so the tests read it back wrapped under this key
 * and unwrap it locally. It must be generated here: a key a client
 * registered is never trusted to wrap a Sensitive object.
 */
const trusted = new Map<string, { id: string; bytes: Buffer }>();
async function trustedKek(v: Version): Promise<string> {
  return (await trustedPair(v)).id;
}
async function trustedPair(v: Version): Promise<{ id: string; bytes: Buffer }> {
  const k = `${v.major}.${v.minor}`;
  if (!trusted.has(k)) {
    const id = idOf(await ok(v, OP.Create, [en(Tag.ObjectType, OT.SymmetricKey), attributes(v, [en(Tag.CryptographicAlgorithm, CA.AES), int(Tag.CryptographicLength, 256), int(Tag.CryptographicUsageMask, UM.WrapKey | UM.UnwrapKey), ACTIVE, KWP, item(Tag.Sensitive, 'Boolean', true)])]));
    trusted.set(k, { id, bytes: Buffer.from(keyBytes(keyBlock(decodeMaterial(ctx.objects!.managed!.material(id)!)))) });
  }
  return trusted.get(k)!;
}
/** The Key Material of a (Sensitive) object: Get wrapped under the trusted KEK, unwrapped here. */
async function reveal(v: Version, id: string): Promise<Buffer> {
  const kek = await trustedPair(v);
  const p = await ok(v, OP.Get, [uid(id), kws(WM.Encrypt, { enc: [kek.id], encoding: EO.NoEncoding })]);
  return aesKeyUnwrapPad(kek.bytes, wrappedValue(p))!;
}

for (const v of [V21, V14]) {
  const tag = `KMIP ${v.major}.${v.minor}`;
  const v2 = v.major >= 2;
  describe(`Get wrapped, Register wrapped (${tag})`, () => {
    let kek = '';
    let dek = '';
    test('Get with NISTKeyWrap and No Encoding: the RFC 3394 §4.1 answer and the Key Wrapping Data', async () => {
      kek = await registerKey(v, KEK128, UM.WrapKey | UM.UnwrapKey, [ACTIVE, KW]);
      dek = await registerKey(v, DEK128, UM.Encrypt | UM.Decrypt);
      const p = await ok(v, OP.Get, [uid(dek), kws(WM.Encrypt, { enc: [kek, KW], encoding: EO.NoEncoding })]);
      assert.equal(wrappedValue(p).toString('hex'), '1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5');
      assert.deepEqual(kwdOf(p), struct(Tag.KeyWrappingData, [en(Tag.WrappingMethod, WM.Encrypt), struct(Tag.EncryptionKeyInformation, [uid(kek), KW]), en(Tag.EncodingOption, EO.NoEncoding)]));
      // The algorithm and length still describe the wrapped key.
      assert.equal(field(blockOf(p), Tag.CryptographicLength)!.value, 128);
      // Without parameters in the request, the key's Cryptographic Parameters attribute is used and named.
      const q = await ok(v, OP.Get, [uid(dek), kws(WM.Encrypt, { enc: [kek], encoding: EO.NoEncoding })]);
      assert.equal(wrappedValue(q).toString('hex'), '1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5');
      assert.deepEqual(field(kwdOf(q), Tag.EncryptionKeyInformation), struct(Tag.EncryptionKeyInformation, [uid(kek), KW]));
      // A plain Get is unchanged.
      assert.deepEqual(plainMaterial(await ok(v, OP.Get, [uid(dek)])), DEK128);
    });

    test('TTLV Encoding (the default) wraps the Key Value structure, with the named attributes inside', async () => {
      const p = await ok(v, OP.Get, [uid(dek), kws(WM.Encrypt, { enc: [kek, KW], names: ['Cryptographic Usage Mask'] })]);
      assert.equal(field(kwdOf(p), Tag.EncodingOption), undefined, 'no Encoding Option in the answer when the request gave none');
      const encoded = aesKeyUnwrap(KEK128, wrappedValue(p))!;
      const kv = decodeTtlv(encoded) as StructureItem;
      assert.equal(kv.tag, Tag.KeyValue);
      assert.deepEqual(field(kv, Tag.KeyMaterial), bytes(Tag.KeyMaterial, DEK128));
      const mask = v2
        ? field(field(kv, Tag.Attributes) as StructureItem, Tag.CryptographicUsageMask)
        : field(field(kv, Tag.Attribute) as StructureItem, Tag.AttributeValue);
      assert.equal(mask?.value, UM.Encrypt | UM.Decrypt);
      // Without Attribute Names: the Key Value holds the Key Material only.
      const plainKv = decodeTtlv(aesKeyUnwrap(KEK128, wrappedValue(await ok(v, OP.Get, [uid(dek), kws(WM.Encrypt, { enc: [kek, KW] })])))!);
      assert.deepEqual(plainKv, struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, DEK128)]));
    });

    test('wrap → Register wrapped → Get plain gives the same bytes (TTLV and No Encoding, KW and KWP)', async () => {
      const dekBytes = randomBytes(32);
      const src = await registerKey(v, dekBytes, UM.Encrypt);
      const kekKwp = await registerKey(v, randomBytes(24), UM.WrapKey | UM.UnwrapKey);
      for (const [wrapper, p, encoding] of [[kek, KW, undefined], [kek, KW, EO.NoEncoding], [kekKwp, KWP, EO.TTLVEncoding], [kekKwp, KWP, EO.NoEncoding]] as const) {
        const got = await ok(v, OP.Get, [uid(src), kws(WM.Encrypt, { enc: [wrapper, p], ...(encoding === undefined ? {} : { encoding }) })]);
        const obj = got.value.find((c) => c.tag === Tag.SymmetricKey)!;
        const id = idOf(await ok(v, OP.Register, [en(Tag.ObjectType, OT.SymmetricKey), attributes(v, [int(Tag.CryptographicUsageMask, UM.Encrypt)]), obj]));
        assert.deepEqual(await reveal(v, id), dekBytes, 'stored unwrapped: wrapped again under another key');
      }
    });

    test('a Private Key (PKCS#8, AES Key Wrap with Padding) and Secret Data go out wrapped and come back through Register', async () => {
      const kekKwp = await registerKey(v, randomBytes(32), UM.WrapKey | UM.UnwrapKey, [ACTIVE, KWP]);
      const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const priv = await registerAsymmetric(v, rsa.privateKey, UM.Sign);
      const der = rsa.privateKey.export({ format: 'der', type: 'pkcs8' });
      for (const encoding of [EO.NoEncoding, EO.TTLVEncoding]) {
        const got = await ok(v, OP.Get, [uid(priv), kws(WM.Encrypt, { enc: [kekKwp], encoding })]);
        const obj = got.value.find((c) => c.tag === Tag.PrivateKey)!;
        const id = idOf(await ok(v, OP.Register, [en(Tag.ObjectType, OT.PrivateKey), attributes(v, [int(Tag.CryptographicUsageMask, UM.Sign)]), obj]));
        assert.deepEqual(await reveal(v, id), der);
      }
      const secretBytes = randomBytes(11);
      const secret = await registerSecret(v, secretBytes, UM.Encrypt);
      const got = await ok(v, OP.Get, [uid(secret), kws(WM.Encrypt, { enc: [kekKwp], encoding: EO.NoEncoding })]);
      assert.equal(wrappedValue(got).length, 24, '11 bytes pad to 16, plus the 8-byte integrity block');
      const obj = got.value.find((c) => c.tag === Tag.SecretData)!;
      const id = idOf(await ok(v, OP.Register, [en(Tag.ObjectType, OT.SecretData), attributes(v, [int(Tag.CryptographicUsageMask, UM.Encrypt)]), obj]));
      assert.deepEqual(await reveal(v, id), secretBytes);
    });

    test('the TC-WRAP-1 form (Key Value structure holding the wrapped Key Material, No Encoding) registers too', async () => {
      const block = struct(Tag.KeyBlock, [
        en(Tag.KeyFormatType, KFT.Raw),
        struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, hex('1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5'))]),
        en(Tag.CryptographicAlgorithm, CA.AES),
        int(Tag.CryptographicLength, 128),
        struct(Tag.KeyWrappingData, [en(Tag.WrappingMethod, WM.Encrypt), keyInfo(Tag.EncryptionKeyInformation, kek, KW), en(Tag.EncodingOption, EO.NoEncoding)]),
      ]);
      const id = idOf(await ok(v, OP.Register, [en(Tag.ObjectType, OT.SymmetricKey), attributes(v, [int(Tag.CryptographicUsageMask, UM.Encrypt)]), struct(Tag.SymmetricKey, [block])]));
      assert.deepEqual(await reveal(v, id), DEK128);
    });

    test('RSA-OAEP: wrapped with the Public Key (SHA-256), node:crypto unwraps it with the private key; Register unwraps with the Private Key', async () => {
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const pub = await registerAsymmetric(v, rsa.publicKey, UM.WrapKey);
      const priv = await registerAsymmetric(v, rsa.privateKey, UM.UnwrapKey);
      const oaep = params(en(Tag.PaddingMethod, Enum.PaddingMethod.OAEP), en(Tag.HashingAlgorithm, HA.SHA_256));
      const p = await ok(v, OP.Get, [uid(dek), kws(WM.Encrypt, { enc: [pub, oaep], encoding: EO.NoEncoding })]);
      const w = wrappedValue(p);
      assert.equal(w.length, 256);
      assert.deepEqual(privateDecrypt({ key: rsa.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, w), DEK128);
      // TTLV Encoding under RSA-OAEP (SHA-1 default hash): a Key Value structure fits in 2048-bit OAEP.
      const t = await ok(v, OP.Get, [uid(dek), kws(WM.Encrypt, { enc: [pub, params(en(Tag.PaddingMethod, Enum.PaddingMethod.OAEP))] })]);
      assert.deepEqual(decodeTtlv(privateDecrypt({ key: rsa.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, wrappedValue(t))), struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, DEK128)]));
      // A client wraps locally with the public key and registers; the server unwraps with the Private Key.
      const mine = randomBytes(16);
      const theirs = publicEncrypt({ key: rsa.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, mine);
      const block = struct(Tag.KeyBlock, [
        en(Tag.KeyFormatType, KFT.Raw),
        bytes(Tag.KeyValue, theirs),
        en(Tag.CryptographicAlgorithm, CA.AES),
        int(Tag.CryptographicLength, 128),
        struct(Tag.KeyWrappingData, [en(Tag.WrappingMethod, WM.Encrypt), keyInfo(Tag.EncryptionKeyInformation, priv, oaep), en(Tag.EncodingOption, EO.NoEncoding)]),
      ]);
      const id = idOf(await ok(v, OP.Register, [en(Tag.ObjectType, OT.SymmetricKey), attributes(v, [int(Tag.CryptographicUsageMask, UM.Encrypt)]), struct(Tag.SymmetricKey, [block])]));
      assert.deepEqual(await reveal(v, id), mine);
      // The Private Key cannot wrap (Get), the Public Key cannot unwrap (Register).
      await fails(v, OP.Get, [uid(dek), kws(WM.Encrypt, { enc: [priv, oaep], encoding: EO.NoEncoding })], v2 ? RR.InvalidObjectType : RR.PermissionDenied);
      const viaPub = struct(Tag.SymmetricKey, [struct(Tag.KeyBlock, block.value.map((c) => (c.tag === Tag.KeyWrappingData ? struct(Tag.KeyWrappingData, [en(Tag.WrappingMethod, WM.Encrypt), keyInfo(Tag.EncryptionKeyInformation, pub, oaep), en(Tag.EncodingOption, EO.NoEncoding)]) : c)))]);
      await fails(v, OP.Register, [en(Tag.ObjectType, OT.SymmetricKey), attributes(v, [int(Tag.CryptographicUsageMask, UM.Encrypt)]), viaPub], v2 ? RR.InvalidObjectType : RR.PermissionDenied);
    });

    test('MAC/sign: HMAC over the plain encoding; Encrypt then MAC/sign round-trips through Register, a changed MAC is a Cryptographic Failure', async () => {
      const macKeyBytes = randomBytes(32);
      const macKey = await registerKey(v, macKeyBytes, UM.MACGenerate | UM.MACVerify, [ACTIVE], CA.HMAC_SHA256);
      const p = await ok(v, OP.Get, [uid(dek), kws(WM.MACSign, { mac: [macKey], encoding: EO.NoEncoding })]);
      assert.deepEqual(wrappedValue(p), DEK128, 'MAC/sign alone does not encrypt');
      assert.deepEqual(Buffer.from(field(kwdOf(p), Tag.MACSignature)!.value as Uint8Array), createHmac('sha256', macKeyBytes).update(DEK128).digest());
      const etm = await ok(v, OP.Get, [uid(dek), kws(WM.EncryptThenMACSign, { enc: [kek, KW], mac: [macKey] })]);
      const wrapped = wrappedValue(etm);
      assert.deepEqual(Buffer.from(field(kwdOf(etm), Tag.MACSignature)!.value as Uint8Array), createHmac('sha256', macKeyBytes).update(wrapped).digest());
      const obj = etm.value.find((c) => c.tag === Tag.SymmetricKey) as StructureItem;
      const reg = (o: TtlvItem) => [en(Tag.ObjectType, OT.SymmetricKey), attributes(v, [int(Tag.CryptographicUsageMask, UM.Encrypt)]), o];
      assert.deepEqual(await reveal(v, idOf(await ok(v, OP.Register, reg(obj)))), DEK128);
      const tamperMac = (c: TtlvItem): TtlvItem => (c.tag === Tag.MACSignature ? bytes(Tag.MACSignature, Buffer.from((c.value as Uint8Array).map((b, i) => (i === 0 ? b ^ 1 : b)))) : c);
      const changed = struct(Tag.SymmetricKey, [struct(Tag.KeyBlock, blockOf(etm).value.map((c) => (c.tag === Tag.KeyWrappingData ? struct(Tag.KeyWrappingData, (c as StructureItem).value.map(tamperMac)) : c)))]);
      assert.match(await fails(v, OP.Register, reg(changed), RR.CryptographicFailure), /could not be unwrapped and verified/);
      // MAC/sign then encrypt round-trips too.
      const mte = await ok(v, OP.Get, [uid(dek), kws(WM.MACSignThenEncrypt, { enc: [kek, KW], mac: [macKey] })]);
      assert.deepEqual(await reveal(v, idOf(await ok(v, OP.Register, reg(mte.value.find((c) => c.tag === Tag.SymmetricKey)!)))), DEK128);
    });

    test('a Sensitive key leaves only encrypted; a non-Extractable key never', async () => {
      const sensitive = await registerKey(v, randomBytes(16), UM.Encrypt, [ACTIVE, item(Tag.Sensitive, 'Boolean', true)]);
      await fails(v, OP.Get, [uid(sensitive)], RR.Sensitive);
      const w = await ok(v, OP.Get, [uid(sensitive), kws(WM.Encrypt, { enc: [await trustedKek(v), KWP] })]);
      assert.equal(wrappedValue(w).length, 40);
      const macKey = await registerKey(v, randomBytes(32), UM.MACGenerate, [ACTIVE], CA.HMAC_SHA256);
      assert.match(await fails(v, OP.Get, [uid(sensitive), kws(WM.MACSign, { mac: [macKey] })], RR.Sensitive), /served only wrapped/);
      const fixed = await registerKey(v, randomBytes(16), UM.Encrypt, [ACTIVE, item(Tag.Extractable, 'Boolean', false)]);
      await fails(v, OP.Get, [uid(fixed), kws(WM.Encrypt, { enc: [kek, KW] })], RR.NotExtractable);
    });

    test('review 8 #1: what Register unwraps is stored Sensitive, so Get wrapped → Register → plain Get does not give a Sensitive key away', async () => {
      const secret = randomBytes(16);
      const sensitive = await registerKey(v, secret, UM.Encrypt, [ACTIVE, item(Tag.Sensitive, 'Boolean', true)]);
      const out = (await ok(v, OP.Get, [uid(sensitive), kws(WM.Encrypt, { enc: [await trustedKek(v)] })])).value.find((c) => c.tag === Tag.SymmetricKey)!;
      const copy = idOf(await ok(v, OP.Register, [en(Tag.ObjectType, OT.SymmetricKey), attributes(v, [int(Tag.CryptographicUsageMask, UM.Encrypt)]), out]));
      assert.match(await fails(v, OP.Get, [uid(copy)], RR.Sensitive), /is Sensitive/);
      const flags = ctx.objects!.managed!.attributes(copy, ['Sensitive', 'AlwaysSensitive']).map((a) => [a.name, a.value.value]);
      assert.deepEqual(Object.fromEntries(flags), { Sensitive: true, AlwaysSensitive: true });
      // Whatever the source: a key that was never Sensitive, wrapped under a plain KEK, is Sensitive once registered wrapped.
      const plainOut = (await ok(v, OP.Get, [uid(dek), kws(WM.Encrypt, { enc: [kek, KW] })])).value.find((c) => c.tag === Tag.SymmetricKey)!;
      const plainCopy = idOf(await ok(v, OP.Register, [en(Tag.ObjectType, OT.SymmetricKey), attributes(v, [int(Tag.CryptographicUsageMask, UM.Encrypt)]), plainOut]));
      await fails(v, OP.Get, [uid(plainCopy)], RR.Sensitive);
      // Asking for it not to be: refused, saying what to do.
      assert.match(
        await fails(v, OP.Register, [en(Tag.ObjectType, OT.SymmetricKey), attributes(v, [int(Tag.CryptographicUsageMask, UM.Encrypt), item(Tag.Sensitive, 'Boolean', false)]), plainOut], RR.InvalidField),
        /stored Sensitive.*leave out Sensitive or set it True/,
      );
    });

    test('review 8 #1: an Unwrap-Key-only RSA Private Key is no decryption oracle (OAEP cipher text registered as Secret Data stays Sensitive)', async () => {
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const priv = await registerAsymmetric(v, rsa.privateKey, UM.UnwrapKey);
      const oaep = params(en(Tag.PaddingMethod, Enum.PaddingMethod.OAEP), en(Tag.HashingAlgorithm, HA.SHA_256));
      const message = Buffer.from('any cipher text for this public key, not a key');
      const c = publicEncrypt({ key: rsa.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, message);
      const block = struct(Tag.KeyBlock, [
        en(Tag.KeyFormatType, KFT.Opaque),
        bytes(Tag.KeyValue, c),
        struct(Tag.KeyWrappingData, [en(Tag.WrappingMethod, WM.Encrypt), keyInfo(Tag.EncryptionKeyInformation, priv, oaep), en(Tag.EncodingOption, EO.NoEncoding)]),
      ]);
      const id = idOf(await ok(v, OP.Register, [en(Tag.ObjectType, OT.SecretData), attributes(v, [int(Tag.CryptographicUsageMask, UM.Encrypt)]), struct(Tag.SecretData, [en(Tag.SecretDataType, Enum.SecretDataType.Password), block])]));
      const msg = await fails(v, OP.Get, [uid(id)], RR.Sensitive);
      assert.doesNotMatch(msg, /not a key/);
      // It leaves only wrapped under a key whose value the server keeps (which the client does not know).
      assert.deepEqual(await reveal(v, id), message, 'only the test, which made that key, can unwrap it');
    });

    test('review 8 #1: a Sensitive object is wrapped only by a key whose value never left the server (an RSA Public Key: its Private Key); no key wraps itself', async () => {
      const sensitive = await registerKey(v, randomBytes(16), UM.Encrypt | UM.WrapKey, [ACTIVE, KW, item(Tag.Sensitive, 'Boolean', true)]);
      // A plain KEK (Sensitive false, Extractable true) could be fetched and the Sensitive key unwrapped outside the server.
      const msg = await fails(v, OP.Get, [uid(sensitive), kws(WM.Encrypt, { enc: [kek, KW] })], RR.Sensitive);
      assert.match(msg, new RegExp(`key '${kek}' was registered by a client`));
      assert.match(msg, /wrap it with a key this server generated that has always been Sensitive or never Extractable/);
      // Generated here and always Sensitive: accepted.
      await ok(v, OP.Get, [uid(sensitive), kws(WM.Encrypt, { enc: [await trustedKek(v)] })]);
      const create = (extra: TtlvItem[]) =>
        ok(v, OP.Create, [en(Tag.ObjectType, OT.SymmetricKey), attributes(v, [en(Tag.CryptographicAlgorithm, CA.AES), int(Tag.CryptographicLength, 128), int(Tag.CryptographicUsageMask, UM.WrapKey), ACTIVE, KW, ...extra])]).then(idOf);
      // Generated here and never Extractable: accepted.
      await ok(v, OP.Get, [uid(sensitive), kws(WM.Encrypt, { enc: [await create([item(Tag.Extractable, 'Boolean', false)])] })]);
      // Review of the review: the flags alone are not enough. A client that registered the KEK knows it, Sensitive or not Extractable.
      const registeredSensitive = await registerKey(v, randomBytes(16), UM.WrapKey, [ACTIVE, KW, item(Tag.Sensitive, 'Boolean', true)]);
      assert.match(await fails(v, OP.Get, [uid(sensitive), kws(WM.Encrypt, { enc: [registeredSensitive] })], RR.Sensitive), new RegExp(`key '${registeredSensitive}' was registered by a client`));
      const registeredFixed = await registerKey(v, randomBytes(16), UM.WrapKey, [ACTIVE, KW, item(Tag.Extractable, 'Boolean', false)]);
      await fails(v, OP.Get, [uid(sensitive), kws(WM.Encrypt, { enc: [registeredFixed] })], RR.Sensitive);
      // Generated, served plain, then made Sensitive: Always Sensitive stays False, and so does the trust.
      const once = await create([]);
      await ok(v, OP.Get, [uid(once)]);
      ctx.objects!.managed!.set(once, 'Sensitive', { type: 'Boolean', value: true });
      assert.match(await fails(v, OP.Get, [uid(sensitive), kws(WM.Encrypt, { enc: [once] })], RR.Sensitive), /has not always been Sensitive or never Extractable/);
      // Generated Sensitive: it cannot be turned plain (nor its Sensitive deleted), so it stays trusted.
      const fixedSensitive = await create([item(Tag.Sensitive, 'Boolean', true)]);
      await ok(v, OP.Get, [uid(sensitive), kws(WM.Encrypt, { enc: [fixedSensitive] })]);
      await fails(v, v2 ? OP.SetAttribute : OP.ModifyAttribute, [uid(fixedSensitive), v2 ? struct(Tag.NewAttribute, [item(Tag.Sensitive, 'Boolean', false)]) : struct(Tag.Attribute, [item(Tag.AttributeName, 'TextString', 'Sensitive'), item(Tag.AttributeValue, 'Boolean', false)])], RR.PermissionDenied);
      // Review of the review: Re-key of a trusted key gives a trusted key (its Always Sensitive was dropped before).
      const rekeyed = idOf(await ok(v, OP.ReKey, [uid(fixedSensitive)]));
      assert.equal(ctx.objects!.managed!.attributes(rekeyed, ['AlwaysSensitive'])[0]?.value.value, true);
      await ok(v, OP.Get, [uid(sensitive), kws(WM.Encrypt, { enc: [rekeyed] })]);
      // Review of the review: a trusted key that may also Decrypt would undo what it wrapped (AES Key Wrap block by block with ECB).
      const decrypting = await create([item(Tag.Sensitive, 'Boolean', true)]);
      ctx.objects!.managed!.set(decrypting, 'CryptographicUsageMask', { type: 'Integer', value: UM.WrapKey | UM.Decrypt });
      assert.match(await fails(v, OP.Get, [uid(sensitive), kws(WM.Encrypt, { enc: [decrypting] })], RR.Sensitive), /may also Decrypt/);
      // ...and the mask of a Sensitive key cannot gain Decrypt afterwards.
      const maskOp = v2 ? struct(Tag.NewAttribute, [int(Tag.CryptographicUsageMask, UM.WrapKey | UM.Decrypt)]) : struct(Tag.Attribute, [item(Tag.AttributeName, 'TextString', 'Cryptographic Usage Mask'), int(Tag.AttributeValue, UM.WrapKey | UM.Decrypt)]);
      assert.match(await fails(v, v2 ? OP.SetAttribute : OP.ModifyAttribute, [uid(fixedSensitive), maskOp], RR.PermissionDenied), /Cryptographic Usage Mask is fixed/);
      // An object stored before origins were recorded is not trusted either.
      const legacy = await create([item(Tag.Sensitive, 'Boolean', true)]);
      (store as SqliteKeyStore).connection.prepare('UPDATE objects SET origin = NULL WHERE uid = ?').run(legacy);
      assert.match(await fails(v, OP.Get, [uid(sensitive), kws(WM.Encrypt, { enc: [legacy] })], RR.Sensitive), /was stored before Keyhold recorded where keys come from/);
      // MAC/sign keys do not matter (the value is encrypted by the Encryption key), only the encrypting key.
      // A key may not wrap itself, Sensitive or not.
      assert.match(await fails(v, OP.Get, [uid(sensitive), kws(WM.Encrypt, { enc: [sensitive, KW] })], RR.InvalidField), /cannot wrap itself/);
      assert.match(await fails(v, OP.Get, [uid(kek), kws(WM.Encrypt, { enc: [kek, KW] })], RR.InvalidField), /cannot wrap itself/);
      // RSA: the Public Key is as trusted as its linked Private Key.
      const pair = await ok(v, OP.CreateKeyPair, v2
        ? [struct(Tag.CommonAttributes, [en(Tag.CryptographicAlgorithm, CA.RSA), int(Tag.CryptographicLength, 2048), ACTIVE]), struct(Tag.PrivateKeyAttributes, [int(Tag.CryptographicUsageMask, UM.UnwrapKey), item(Tag.Sensitive, 'Boolean', true)]), struct(Tag.PublicKeyAttributes, [int(Tag.CryptographicUsageMask, UM.WrapKey)])]
        : [
            struct(Tag.CommonTemplateAttribute, [struct(Tag.Attribute, [item(Tag.AttributeName, 'TextString', 'Cryptographic Algorithm'), en(Tag.AttributeValue, CA.RSA)]), struct(Tag.Attribute, [item(Tag.AttributeName, 'TextString', 'Cryptographic Length'), int(Tag.AttributeValue, 2048)]), struct(Tag.Attribute, [item(Tag.AttributeName, 'TextString', 'Activation Date'), item(Tag.AttributeValue, 'DateTime', FIXED_NOW - 60n)])]),
            struct(Tag.PrivateKeyTemplateAttribute, [struct(Tag.Attribute, [item(Tag.AttributeName, 'TextString', 'Cryptographic Usage Mask'), int(Tag.AttributeValue, UM.UnwrapKey)]), struct(Tag.Attribute, [item(Tag.AttributeName, 'TextString', 'Sensitive'), item(Tag.AttributeValue, 'Boolean', true)])]),
            struct(Tag.PublicKeyTemplateAttribute, [struct(Tag.Attribute, [item(Tag.AttributeName, 'TextString', 'Cryptographic Usage Mask'), int(Tag.AttributeValue, UM.WrapKey)])]),
          ]);
      const pub = field(pair, Tag.PublicKeyUniqueIdentifier)!.value as string;
      const oaep = params(en(Tag.PaddingMethod, Enum.PaddingMethod.OAEP), en(Tag.HashingAlgorithm, HA.SHA_256));
      await ok(v, OP.Get, [uid(sensitive), kws(WM.Encrypt, { enc: [pub, oaep], encoding: EO.NoEncoding })]);
      // A registered pair: the client knows the Private Key, so its Public Key is not trusted.
      const mine = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const minePriv = await registerAsymmetric(v, mine.privateKey, UM.UnwrapKey, [ACTIVE, item(Tag.Sensitive, 'Boolean', true)]);
      const minePub = await registerAsymmetric(v, mine.publicKey, UM.WrapKey);
      ctx.objects!.managed!.addAttribute(minePub, 'Link', struct(Tag.Link, [en(Tag.LinkType, Enum.LinkType.PrivateKeyLink), item(Tag.LinkedObjectIdentifier, 'TextString', minePriv)]) as never);
      assert.match(await fails(v, OP.Get, [uid(sensitive), kws(WM.Encrypt, { enc: [minePub, oaep], encoding: EO.NoEncoding })], RR.Sensitive), /the Private Key of the Public Key .* was registered by a client/);
      // Review of the review: MAC/sign then encrypt would send a MAC of the plain Sensitive value in clear.
      const macKey = await registerKey(v, randomBytes(32), UM.MACGenerate, [ACTIVE], CA.HMAC_SHA256);
      assert.match(await fails(v, OP.Get, [uid(sensitive), kws(WM.MACSignThenEncrypt, { enc: [await trustedKek(v)], mac: [macKey] })], RR.Sensitive), /MAC\/sign then encrypt would send a MAC/);
      await ok(v, OP.Get, [uid(sensitive), kws(WM.EncryptThenMACSign, { enc: [await trustedKek(v)], mac: [macKey] })]);
      // Review of the review: a Link from the client's own Public Key to the server's trusted Private Key proves nothing.
      const priv = field(pair, Tag.PrivateKeyUniqueIdentifier)!.value as string;
      const impostor = await registerAsymmetric(v, mine.publicKey, UM.WrapKey);
      ctx.objects!.managed!.addAttribute(impostor, 'Link', struct(Tag.Link, [en(Tag.LinkType, Enum.LinkType.PrivateKeyLink), item(Tag.LinkedObjectIdentifier, 'TextString', priv)]) as never);
      assert.match(await fails(v, OP.Get, [uid(sensitive), kws(WM.Encrypt, { enc: [impostor, oaep], encoding: EO.NoEncoding })], RR.Sensitive), new RegExp(`'${priv}' is not its private half`));
      // A registered Public Key whose Private Key is elsewhere (or plain here) is not trusted.
      const outside = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const lonePub = await registerAsymmetric(v, outside.publicKey, UM.WrapKey);
      assert.match(await fails(v, OP.Get, [uid(sensitive), kws(WM.Encrypt, { enc: [lonePub, oaep], encoding: EO.NoEncoding })], RR.Sensitive), /has no linked Private Key held here/);
    });

    test('hostile requests: each with its Result Reason and a message that says what to do', async () => {
      const get = (spec: TtlvItem, what = dek) => [uid(what), spec];
      // The wrapping key lacks the Wrap Key bit.
      const encOnly = await registerKey(v, randomBytes(16), UM.Encrypt, [ACTIVE, KW]);
      assert.match(await fails(v, OP.Get, get(kws(WM.Encrypt, { enc: [encOnly, KW] })), v2 ? RR.IncompatibleCryptographicUsageMask : RR.PermissionDenied), /does not allow key wrapping/);
      // Deactivated (revoked) and Pre-Active wrapping keys do not wrap.
      const revoked = await registerKey(v, randomBytes(16), UM.WrapKey | UM.UnwrapKey, [ACTIVE, KW]);
      await ok(v, OP.Revoke, [uid(revoked), struct(Tag.RevocationReason, [en(Tag.RevocationReasonCode, Enum.RevocationReasonCode.CessationOfOperation)])]);
      assert.match(await fails(v, OP.Get, get(kws(WM.Encrypt, { enc: [revoked, KW] })), v2 ? RR.WrongKeyLifecycleState : RR.PermissionDenied), /Deactivated; key wrapping needs an Active key/);
      const preActive = await registerKey(v, randomBytes(16), UM.WrapKey, [KW]);
      await fails(v, OP.Get, get(kws(WM.Encrypt, { enc: [preActive, KW] })), v2 ? RR.WrongKeyLifecycleState : RR.PermissionDenied);
      // A Deactivated key still unwraps (Register): processing, not protecting.
      const wrappedEarlier = (await ok(v, OP.Get, get(kws(WM.Encrypt, { enc: [kek, KW] })))).value.find((c) => c.tag === Tag.SymmetricKey)!;
      // Destroyed, missing and archived wrapping keys.
      await ok(v, OP.Destroy, [uid(revoked)]);
      assert.match(await fails(v, OP.Get, get(kws(WM.Encrypt, { enc: [revoked, KW] })), v2 ? RR.WrappingObjectDestroyed : RR.ItemNotFound), /is destroyed/);
      assert.match(await fails(v, OP.Get, get(kws(WM.Encrypt, { enc: ['no-such-key', KW] })), v2 ? RR.WrappingObjectNotFound : RR.ItemNotFound), /no-such-key/);
      const archived = await registerKey(v, randomBytes(16), UM.WrapKey, [ACTIVE, KW]);
      await ok(v, OP.Archive, [uid(archived)]);
      assert.match(await fails(v, OP.Get, get(kws(WM.Encrypt, { enc: [archived, KW] })), v2 ? RR.WrappingObjectArchived : RR.ObjectArchived), /archived/);
      // The wrong kind of object: Secret Data cannot wrap (1.x "not a key": Illegal Operation).
      const secret = await registerSecret(v, randomBytes(16), UM.WrapKey);
      await fails(v, OP.Get, get(kws(WM.Encrypt, { enc: [secret, KW] })), v2 ? RR.InvalidObjectType : RR.IllegalOperation);
      // Parameters that match no Cryptographic Parameters attribute of the key.
      assert.match(await fails(v, OP.Get, get(kws(WM.Encrypt, { enc: [kek, KWP] })), v2 ? RR.BadCryptographicParameters : RR.ItemNotFound), /do not match any Cryptographic Parameters attribute/);
      // A mode that is no key wrap; none at all on a key without the attribute.
      const bare = await registerKey(v, randomBytes(16), UM.WrapKey | UM.UnwrapKey);
      assert.match(await fails(v, OP.Get, get(kws(WM.Encrypt, { enc: [bare, params(en(Tag.BlockCipherMode, BCM.GCM))] })), v2 ? RR.UnsupportedCryptographicParameters : RR.InvalidField), /not supported for key wrapping/);
      assert.match(await fails(v, OP.Get, get(kws(WM.Encrypt, { enc: [bare] })), v2 ? RR.BadCryptographicParameters : RR.InvalidField), /needs a Block Cipher Mode: NISTKeyWrap/);
      // Encoding Option errors.
      assert.match(await fails(v, OP.Get, get(kws(WM.Encrypt, { enc: [kek, KW], encoding: EO.NoEncoding, names: ['Cryptographic Usage Mask'] })), RR.EncodingOptionError), /TTLV Encoding/);
      const short = await registerSecret(v, randomBytes(7), UM.Encrypt);
      assert.match(await fails(v, OP.Get, get(kws(WM.Encrypt, { enc: [kek, KW], encoding: EO.NoEncoding }), short), RR.EncodingOptionError), /16 bytes or more/);
      const transparent = await ok(v, OP.Get, [uid(dek), en(Tag.KeyFormatType, KFT.TransparentSymmetricKey), kws(WM.Encrypt, { enc: [kek, KW] })]);
      assert.equal(aesKeyUnwrap(KEK128, wrappedValue(transparent))!.length % 8, 0, 'Transparent wraps in TTLV Encoding');
      assert.match(await fails(v, OP.Get, [uid(dek), en(Tag.KeyFormatType, KFT.TransparentSymmetricKey), kws(WM.Encrypt, { enc: [kek, KW], encoding: EO.NoEncoding })], RR.EncodingOptionError), /Transparent/);
      // Method / key information mismatches, TR-31, Key Wrap Type.
      await fails(v, OP.Get, get(kws(WM.Encrypt, { mac: [kek] })), RR.MissingData);
      await fails(v, OP.Get, get(kws(WM.TR_31, { enc: [kek, KW] })), RR.FeatureNotSupported);
      assert.match(await fails(v, OP.Get, [uid(dek), en(Tag.KeyWrapType, Enum.KeyWrapType.AsRegistered)], v2 ? RR.KeyWrapTypeNotSupported : RR.FeatureNotSupported), /keeps no wrapped form/);
      // Not Wrapped names the stored plain key, which a Key Wrapping Specification then wraps (TC-WRAP-3).
      assert.equal(wrappedValue(await ok(v, OP.Get, [uid(dek), en(Tag.KeyWrapType, Enum.KeyWrapType.NotWrapped), kws(WM.Encrypt, { enc: [kek, KW], encoding: EO.NoEncoding })])).toString('hex'), '1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5');
      await fails(v, OP.Get, [uid(dek), en(Tag.KeyWrapType, 7)], RR.InvalidField);
      assert.deepEqual(plainMaterial(await ok(v, OP.Get, [uid(dek), en(Tag.KeyWrapType, Enum.KeyWrapType.NotWrapped)])), DEK128);
      // Register: tampered bytes, an unmanaged wrapping key, a length that does not match, a wrong KEK.
      const reg = (o: TtlvItem) => [en(Tag.ObjectType, OT.SymmetricKey), attributes(v, [int(Tag.CryptographicUsageMask, UM.Encrypt)]), o];
      const withBlock = (o: TtlvItem, f: (c: TtlvItem) => TtlvItem): TtlvItem => struct(Tag.SymmetricKey, [struct(Tag.KeyBlock, ((o as StructureItem).value[0] as StructureItem).value.map(f))]);
      const tampered = withBlock(wrappedEarlier, (c) => (c.tag === Tag.KeyValue ? bytes(Tag.KeyValue, Buffer.from(c.value as Uint8Array).map((b, i) => (i === 5 ? b ^ 0x80 : b))) : c));
      const msg = await fails(v, OP.Register, reg(tampered), RR.CryptographicFailure);
      assert.doesNotMatch(msg, /integrity|padding|length|[0-9a-f]{16}/i, 'reveals nothing about why');
      const otherKek = await registerKey(v, randomBytes(16), UM.WrapKey | UM.UnwrapKey, [ACTIVE, KW]);
      const wrongKek = withBlock(wrappedEarlier, (c) => (c.tag === Tag.KeyWrappingData ? struct(Tag.KeyWrappingData, [en(Tag.WrappingMethod, WM.Encrypt), keyInfo(Tag.EncryptionKeyInformation, otherKek, KW)]) : c));
      assert.equal(await fails(v, OP.Register, reg(wrongKek), RR.CryptographicFailure), msg, 'the same answer for a wrong key as for changed bytes');
      const unmanaged = withBlock(wrappedEarlier, (c) => (c.tag === Tag.KeyWrappingData ? struct(Tag.KeyWrappingData, [en(Tag.WrappingMethod, WM.Encrypt), keyInfo(Tag.EncryptionKeyInformation, 'elsewhere-kek', KW)]) : c));
      assert.match(await fails(v, OP.Register, reg(unmanaged), v2 ? RR.WrappingObjectNotFound : RR.ItemNotFound), /elsewhere-kek/);
      const lying = withBlock(wrappedEarlier, (c) => (c.tag === Tag.CryptographicLength ? int(Tag.CryptographicLength, 256) : c));
      assert.match(await fails(v, OP.Register, reg(lying), RR.InvalidField), /says 256 bits but the unwrapped key has 128/);
      // A key without Unwrap Key cannot unwrap at Register.
      const wrapOnly = await registerKey(v, KEK128, UM.WrapKey, [ACTIVE, KW]);
      const viaWrapOnly = withBlock(wrappedEarlier, (c) => (c.tag === Tag.KeyWrappingData ? struct(Tag.KeyWrappingData, [en(Tag.WrappingMethod, WM.Encrypt), keyInfo(Tag.EncryptionKeyInformation, wrapOnly, KW)]) : c));
      assert.match(await fails(v, OP.Register, reg(viaWrapOnly), v2 ? RR.IncompatibleCryptographicUsageMask : RR.PermissionDenied), /does not allow key unwrapping/);
      // A certificate-less object without a Key Block cannot be wrapped.
      const opaque = idOf(await ok(v, OP.Register, [en(Tag.ObjectType, OT.OpaqueObject), attributes(v, []), struct(Tag.OpaqueObject, [en(Tag.OpaqueDataType, 0x80000001), bytes(Tag.OpaqueDataValue, randomBytes(8))])]));
      await fails(v, OP.Get, get(kws(WM.Encrypt, { enc: [kek, KW] }), opaque), v2 ? RR.InvalidObjectType : RR.IllegalOperation);
    });
  });
}

describe('OASIS AX (AES-XTS profile) mandatory cases with key wrapping, in process', () => {
  for (const f of ['cosmian-kmip/v1.4/XML/mandatory/AX-M-2-14.xml', 'cosmian-kmip/v2.1/XML/mandatory/AX-M-2-21.xml', 'cosmian-kmip/v1.4/XML/mandatory/AX-M-1-14.xml', 'cosmian-kmip/v2.1/XML/mandatory/AX-M-1-21.xml']) {
    test(f, async () => assert.equal(await replay(f), undefined));
  }
});
