// Create Key Pair, Get of asymmetric keys in PKCS#1 / PKCS#8 / X.509, and
// Register of Private Key / Public Key / Certificate, through processRequest
// on a real store in a temp dir. Generated keys are checked to work: sign
// with the Private Key from Get, verify with the Public Key from Get.
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { test } from 'node:test';
import forge from 'node-forge';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { item, struct, type StructureItem, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { en, field, int, kmipHarness, storeBackedContext, uid, V14, V21 } from './support/kmip-ops.js';

const NOW = new Date('2026-01-02T03:04:05Z');
const { ctx } = storeBackedContext('keyhold-keypair-', () => NOW);
const { send, ok, fails, replay } = kmipHarness(ctx);

const OP = Enum.Operation;
const RR = Enum.ResultReason;
const KFT = Enum.KeyFormatType;
const CA = Enum.CryptographicAlgorithm;
const curve = (c: number): TtlvItem => struct(Tag.CryptographicDomainParameters, [en(Tag.RecommendedCurve, c)]);
const text = (s: StructureItem, tag: number): string => field(s, tag)!.value as string;

function attr1(name: string, value: TtlvItem): TtlvItem {
  return struct(Tag.Attribute, [item(Tag.AttributeName, 'TextString', name), { ...value, tag: Tag.AttributeValue } as TtlvItem]);
}

async function createPair21(common: TtlvItem[]): Promise<{ priv: string; pub: string }> {
  const p = await ok(V21, OP.CreateKeyPair, [struct(Tag.CommonAttributes, common), struct(Tag.PrivateKeyAttributes, []), struct(Tag.PublicKeyAttributes, [])]);
  return { priv: text(p, Tag.PrivateKeyUniqueIdentifier), pub: text(p, Tag.PublicKeyUniqueIdentifier) };
}

/** Get in a format; the DER material and the format the Key Block names. */
async function getDer(id: string, format?: number): Promise<{ der: Buffer; format: number; obj: StructureItem }> {
  const p = await ok(V21, OP.Get, [uid(id), ...(format === undefined ? [] : [en(Tag.KeyFormatType, format)])]);
  const obj = (field(p, Tag.PrivateKey) ?? field(p, Tag.PublicKey)) as StructureItem;
  const block = field(obj, Tag.KeyBlock) as StructureItem;
  const km = field(field(block, Tag.KeyValue) as StructureItem, Tag.KeyMaterial)!;
  return { der: Buffer.from(km.value as Uint8Array), format: field(block, Tag.KeyFormatType)!.value as number, obj };
}

function privateFrom(der: Buffer, format: number): KeyObject {
  return createPrivateKey({ key: der, format: 'der', type: format === KFT.PKCS_1 ? 'pkcs1' : 'pkcs8' });
}
function publicFrom(der: Buffer, format: number): KeyObject {
  return createPublicKey({ key: der, format: 'der', type: format === KFT.PKCS_1 ? 'pkcs1' : 'spki' });
}
function works(priv: KeyObject, pub: KeyObject): void {
  const data = Buffer.from('keyhold');
  assert.ok(verify('sha256', data, pub, sign('sha256', data, priv)));
}

function links(id: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const a of ctx.objects!.managed!.attributes(id, ['Link'])) {
    const v = a.value as { type: 'Structure'; value: TtlvItem[] };
    m.set(v.value.find((c) => c.tag === Tag.LinkType)!.value as number, v.value.find((c) => c.tag === Tag.LinkedObjectIdentifier)!.value as string);
  }
  return m;
}

const CASES: [string, TtlvItem[], number][] = [
  ['RSA 2048', [en(Tag.CryptographicAlgorithm, CA.RSA), int(Tag.CryptographicLength, 2048)], KFT.PKCS_1],
  ['RSA 3072', [en(Tag.CryptographicAlgorithm, CA.RSA), int(Tag.CryptographicLength, 3072)], KFT.PKCS_1],
  ['RSA 4096', [en(Tag.CryptographicAlgorithm, CA.RSA), int(Tag.CryptographicLength, 4096)], KFT.PKCS_1],
  ['EC P-256', [en(Tag.CryptographicAlgorithm, CA.EC), curve(Enum.RecommendedCurve.P_256)], KFT.PKCS_8],
  ['ECDSA P-384', [en(Tag.CryptographicAlgorithm, CA.ECDSA), int(Tag.CryptographicLength, 384)], KFT.PKCS_8],
  ['EC P-521', [en(Tag.CryptographicAlgorithm, CA.EC), curve(Enum.RecommendedCurve.P_521)], KFT.PKCS_8],
];

for (const [name, common, privFormat] of CASES) {
  test(`Create Key Pair ${name}: linked keys that sign and verify, in every supported format`, async () => {
    const { priv, pub } = await createPair21(common);
    assert.equal(links(priv).get(Enum.LinkType.PublicKeyLink), pub);
    assert.equal(links(pub).get(Enum.LinkType.PrivateKeyLink), priv);
    assert.equal(ctx.objects!.managed!.get(priv).objectType, Enum.ObjectType.PrivateKey);
    assert.equal(ctx.objects!.managed!.get(pub).objectType, Enum.ObjectType.PublicKey);
    const p = await getDer(priv);
    const q = await getDer(pub);
    assert.equal(p.format, privFormat);
    works(privateFrom(p.der, p.format), publicFrom(q.der, q.format));
    const p8 = await getDer(priv, KFT.PKCS_8);
    const x509 = await getDer(pub, KFT.X_509);
    assert.equal(p8.format, KFT.PKCS_8);
    works(privateFrom(p8.der, KFT.PKCS_8), publicFrom(x509.der, KFT.X_509));
    if (privFormat === KFT.PKCS_1) {
      const q1 = await getDer(pub, KFT.PKCS_1);
      works(privateFrom((await getDer(priv, KFT.PKCS_1)).der, KFT.PKCS_1), publicFrom(q1.der, KFT.PKCS_1));
    } else {
      await fails(V21, OP.Get, [uid(priv), en(Tag.KeyFormatType, KFT.PKCS_1)], RR.KeyFormatTypeNotSupported);
    }
    await fails(V21, OP.Get, [uid(pub), en(Tag.KeyFormatType, KFT.PKCS_8)], RR.KeyFormatTypeNotSupported);
    await fails(V21, OP.Get, [uid(priv), en(Tag.KeyFormatType, KFT.Raw)], RR.KeyFormatTypeNotSupported);
  });
}

test('Create Key Pair 1.4: Template-Attributes, per-key attributes override common, ID Placeholder is the private key', async () => {
  const usage = (v: number) => attr1('Cryptographic Usage Mask', int(Tag.AttributeValue, v));
  const payload = [
    struct(Tag.CommonTemplateAttribute, [attr1('Cryptographic Algorithm', en(Tag.AttributeValue, CA.RSA)), attr1('Cryptographic Length', int(Tag.AttributeValue, 2048)), usage(0)]),
    struct(Tag.PrivateKeyTemplateAttribute, [usage(Enum.CryptographicUsageMask.Sign)]),
    struct(Tag.PublicKeyTemplateAttribute, [usage(Enum.CryptographicUsageMask.Verify)]),
  ];
  const p = await ok(V14, OP.CreateKeyPair, payload);
  const priv = text(p, Tag.PrivateKeyUniqueIdentifier);
  const pub = text(p, Tag.PublicKeyUniqueIdentifier);
  const mask = (id: string) => ctx.objects!.managed!.attributes(id, ['CryptographicUsageMask'])[0]!.value.value;
  assert.equal(mask(priv), Enum.CryptographicUsageMask.Sign);
  assert.equal(mask(pub), Enum.CryptographicUsageMask.Verify);
  const dig = ctx.objects!.managed!.attributes(priv, ['Digest'])[0]!.value as { value: TtlvItem[] };
  assert.equal(dig.value.find((c) => c.tag === Tag.KeyFormatType)!.value, KFT.PKCS_1);
  const [, got] = await send(V14, [[OP.CreateKeyPair, payload], [OP.Get, []]]);
  assert.equal(got!.resultStatus, Enum.ResultStatus.Success, got!.resultMessage);
  assert.ok(field(got!.responsePayload, Tag.PrivateKey) !== undefined, 'the ID Placeholder names the Private Key');
});

test('Create Key Pair refuses unsupported algorithms, lengths and curves, and server-only attributes', async () => {
  const cp = (common: TtlvItem[]) => [struct(Tag.CommonAttributes, common)];
  await fails(V21, OP.CreateKeyPair, cp([en(Tag.CryptographicAlgorithm, CA.RSA), int(Tag.CryptographicLength, 1024)]), RR.InvalidField);
  await fails(V21, OP.CreateKeyPair, cp([en(Tag.CryptographicAlgorithm, CA.RSA)]), RR.MissingData);
  await fails(V21, OP.CreateKeyPair, cp([en(Tag.CryptographicAlgorithm, CA.AES), int(Tag.CryptographicLength, 256)]), RR.InvalidField);
  await fails(V21, OP.CreateKeyPair, cp([en(Tag.CryptographicAlgorithm, CA.EC), curve(Enum.RecommendedCurve.P_192)]), RR.InvalidField);
  await fails(V21, OP.CreateKeyPair, cp([int(Tag.CryptographicLength, 2048)]), RR.MissingData);
  await fails(V21, OP.CreateKeyPair, [struct(Tag.CommonTemplateAttribute, [])], RR.InvalidField);
});

function registerKey(type: number, tag: number, format: number, der: Uint8Array, attrs: TtlvItem[] = []): TtlvItem[] {
  const obj = struct(tag, [struct(Tag.KeyBlock, [en(Tag.KeyFormatType, format), struct(Tag.KeyValue, [item(Tag.KeyMaterial, 'ByteString', der)])])]);
  return [en(Tag.ObjectType, type), struct(Tag.Attributes, attrs), obj];
}

test('Register Private Key / Public Key in PKCS#1, PKCS#8, X.509; Get converts; bad material is Invalid Field', async () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const OT = Enum.ObjectType;
  const inputs: [KeyObject, KeyObject, number, number][] = [
    [rsa.privateKey, rsa.publicKey, KFT.PKCS_1, KFT.PKCS_1],
    [rsa.privateKey, rsa.publicKey, KFT.PKCS_8, KFT.X_509],
    [ec.privateKey, ec.publicKey, KFT.PKCS_8, KFT.X_509],
  ];
  for (const [priv, pub, pf, qf] of inputs) {
    const pder = priv.export({ format: 'der', type: pf === KFT.PKCS_1 ? 'pkcs1' : 'pkcs8' });
    const qder = pub.export({ format: 'der', type: qf === KFT.PKCS_1 ? 'pkcs1' : 'spki' });
    const pid = text(await ok(V21, OP.Register, registerKey(OT.PrivateKey, Tag.PrivateKey, pf, pder)), Tag.UniqueIdentifier);
    const qid = text(await ok(V21, OP.Register, registerKey(OT.PublicKey, Tag.PublicKey, qf, qder)), Tag.UniqueIdentifier);
    works(privateFrom((await getDer(pid, KFT.PKCS_8)).der, KFT.PKCS_8), publicFrom((await getDer(qid, KFT.X_509)).der, KFT.X_509));
    const alg = ctx.objects!.managed!.attributes(pid, ['CryptographicAlgorithm'])[0]!.value.value;
    assert.equal(alg, priv.asymmetricKeyType === 'rsa' ? CA.RSA : CA.EC);
  }
  const junk = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00);
  const m = await fails(V21, OP.Register, registerKey(OT.PrivateKey, Tag.PrivateKey, KFT.PKCS_8, junk), RR.InvalidField);
  assert.match(m, /not a valid PKCS#8 private key/);
  await fails(V21, OP.Register, registerKey(OT.PublicKey, Tag.PublicKey, KFT.X_509, junk), RR.InvalidField);
  await fails(V21, OP.Register, registerKey(OT.PublicKey, Tag.PublicKey, KFT.PKCS_8, rsa.publicKey.export({ format: 'der', type: 'spki' })), RR.KeyFormatTypeNotSupported);
  const length = int(Tag.CryptographicLength, 4096);
  await fails(V21, OP.Register, registerKey(OT.PrivateKey, Tag.PrivateKey, KFT.PKCS_1, rsa.privateKey.export({ format: 'der', type: 'pkcs1' }), [length]), RR.InvalidField);
});

test('Register Certificate: X.509 DER parsed; garbage is Invalid Field', async () => {
  const keys = forge.pki.rsa.generateKeyPair(1024);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date('2026-01-01T00:00:00Z');
  cert.validity.notAfter = new Date('2027-01-01T00:00:00Z');
  cert.setSubject([{ name: 'commonName', value: 'keyhold test' }]);
  cert.setIssuer([{ name: 'commonName', value: 'keyhold test' }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  const reg = (value: Uint8Array) => [
    en(Tag.ObjectType, Enum.ObjectType.Certificate),
    struct(Tag.Attributes, []),
    struct(Tag.Certificate, [en(Tag.CertificateType, Enum.CertificateType.X_509), item(Tag.CertificateValue, 'ByteString', value)]),
  ];
  const id = text(await ok(V21, OP.Register, reg(der)), Tag.UniqueIdentifier);
  const got = await ok(V21, OP.Get, [uid(id)]);
  const c = field(got, Tag.Certificate) as StructureItem;
  assert.deepEqual(Buffer.from(field(c, Tag.CertificateValue)!.value as Uint8Array), der);
  await fails(V21, OP.Get, [uid(id), en(Tag.KeyFormatType, KFT.X_509)], RR.KeyFormatTypeNotSupported);
  await fails(V21, OP.Register, reg(Uint8Array.of(1, 2, 3)), RR.InvalidField);
});

// The vectors' Random Number Generator (ANSI X9.31) is the reference
// server's; ours is Unspecified, so the harness compares it by type only.
for (const [dirName, v] of [['v1.4', '14'], ['v2.1', '21']] as const) {
  for (const n of [1, 2, 3]) {
    const c = `AKLC-M-${n}-${v}`;
    test(`OASIS ${c}`, async () => {
      assert.equal(await replay(`cosmian-kmip/${dirName}/XML/mandatory/${c}.xml`), undefined);
    });
  }
}
