// Issue 8's cryptographic services other than Encrypt / Decrypt: RNG
// Retrieve, RNG Seed, Hash, Sign, Signature Verify, MAC, MAC Verify and
// Derive Key, through processRequest on a real store in a temp dir.
// Known-answer vectors for every algorithm (RFC 4231 HMAC, RFC 4493 CMAC,
// RFC 6070 / RFC 7914 PBKDF2, RFC 5869 HKDF, FIPS 180 SHA, a fixed RSA
// PKCS#1 v1.5 signature, ECDSA verified against a known public key), the
// key state / usage mask / date rules, hostile inputs with their exact Result
// Reasons, and multi-part streams.
import assert from 'node:assert/strict';
import { constants, createCipheriv, createHash, createHmac, createPublicKey, generateKeyPairSync, pbkdf2Sync, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { describe, test } from 'node:test';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { item, struct, type StructureItem, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { aesCmac, AesCmac } from '../main/kmip/crypto/cmac.js';
import { MAX_RNG_BYTES } from '../main/kmip/operations/rng-retrieve.js';
import { cryptoStreams } from '../main/kmip/crypto/streams.js';
import { signatureScheme } from '../main/kmip/crypto/signing.js';
import type { OperationContext } from '../main/kmip/context.js';
import { en, field, int, kmipHarness, storeBackedContext, uid, V14, V21 } from './support/kmip-ops.js';
import { FIXED_NOW } from './support/kmip-text-vectors.js';
import { DEFAULT_KEY_POLICY } from '../main/policy/key-policy.js';
import { parseGrants, type Principal } from '../main/access/policy.js';

// The OASIS files' $NOW (test/support/kmip-text-vectors.ts FIXED_NOW), so their relative dates mean what they say.
const NOW = new Date(Number(FIXED_NOW) * 1000);
const { ctx } = storeBackedContext('keyhold-crypto-services-', () => NOW);
const { send, ok, fails, replay } = kmipHarness(ctx);

const OP = Enum.Operation;
const RR = Enum.ResultReason;
const HA = Enum.HashingAlgorithm;
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const bytes = (tag: number, b: Uint8Array | string): TtlvItem => item(tag, 'ByteString', typeof b === 'string' ? hex(b) : new Uint8Array(b));
const bool = (tag: number, v: boolean): TtlvItem => item(tag, 'Boolean', v);
const params = (...c: TtlvItem[]): TtlvItem => struct(Tag.CryptographicParameters, c);
const out = (p: StructureItem, tag: number): Buffer => Buffer.from(field(p, tag)!.value as Uint8Array);

describe('RNG Retrieve and RNG Seed', () => {
  test('RNG Retrieve returns exactly Data Length bytes, different each time', async () => {
    const a = out(await ok(V21, OP.RNGRetrieve, [int(Tag.DataLength, 32)]), Tag.Data);
    const b = out(await ok(V14, OP.RNGRetrieve, [int(Tag.DataLength, 32)]), Tag.Data);
    assert.equal(a.length, 32);
    assert.notDeepEqual(a, b);
    assert.equal(out(await ok(V21, OP.RNGRetrieve, [int(Tag.DataLength, MAX_RNG_BYTES)]), Tag.Data).length, MAX_RNG_BYTES);
  });

  test('RNG Retrieve refuses a missing, zero, negative or over-limit Data Length, saying why', async () => {
    assert.match(await fails(V21, OP.RNGRetrieve, [], RR.MissingData), /needs a Data Length/);
    assert.match(await fails(V21, OP.RNGRetrieve, [int(Tag.DataLength, 0)], RR.InvalidField), /positive/);
    assert.match(await fails(V21, OP.RNGRetrieve, [int(Tag.DataLength, -5)], RR.InvalidField), /positive/);
    assert.match(await fails(V21, OP.RNGRetrieve, [int(Tag.DataLength, MAX_RNG_BYTES + 1)], RR.InvalidField), /limit of 65536 bytes.*several requests/);
    await fails(V21, OP.RNGRetrieve, [bytes(Tag.DataLength, '01')], RR.InvalidMessage);
    await fails(V21, OP.RNGRetrieve, [int(Tag.DataLength, 4), int(Tag.CryptographicLength, 4)], RR.InvalidField);
  });

  test('RNG Seed accepts the seed and says it used none of it (Data Length 0, as the spec allows)', async () => {
    const p = await ok(V14, OP.RNGSeed, [bytes(Tag.Data, '333c06587706225099a67438f263f8f9')]);
    assert.deepEqual(p.value, [item(Tag.DataLength, 'Integer', 0)]);
    assert.match(await fails(V21, OP.RNGSeed, [], RR.MissingData), /needs Data/);
  });

  for (const f of ['cosmian-kmip/v1.4/XML/mandatory/CS-RNG-M-1-14.xml', 'cosmian-kmip/v2.1/XML/mandatory/CS-RNG-M-1-21.xml', 'cosmian-kmip/v1.4/XML/optional/CS-RNG-O-3-14.xml']) {
    test(`OASIS ${f}`, async () => assert.equal(await replay(f), undefined));
  }
});

describe('Hash', () => {
  const msg = Buffer.from('abc');
  // FIPS 180-4 / FIPS 202 examples for "abc".
  const ABC: [number, string][] = [
    [HA.SHA_1, 'a9993e364706816aba3e25717850c26c9cd0d89d'],
    [HA.SHA_224, '23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7'],
    [HA.SHA_256, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [HA.SHA_384, 'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7'],
    [HA.SHA_512, 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f'],
    [HA.SHA_512_256, '53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23'],
    [HA.SHA3_256, '3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532'],
    [HA.SHA3_512, 'b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0'],
  ];
  for (const [alg, want] of ABC) {
    test(`Hash ${Object.entries(HA).find(([, v]) => v === alg)![0]} of "abc"`, async () => {
      assert.equal(out(await ok(V21, OP.Hash, [params(en(Tag.HashingAlgorithm, alg)), bytes(Tag.Data, msg)]), Tag.Data).toString('hex'), want);
    });
  }

  test('Hash refuses what it cannot do, with the reason', async () => {
    assert.match(await fails(V21, OP.Hash, [bytes(Tag.Data, msg)], RR.MissingData), /Cryptographic Parameters/);
    assert.match(await fails(V21, OP.Hash, [params(), bytes(Tag.Data, msg)], RR.MissingData), /Hashing Algorithm/);
    assert.match(await fails(V21, OP.Hash, [params(en(Tag.HashingAlgorithm, HA.MD5)), bytes(Tag.Data, msg)], RR.FeatureNotSupported), /not supported \(SHA-1/);
    assert.match(await fails(V21, OP.Hash, [params(en(Tag.HashingAlgorithm, 0x7777)), bytes(Tag.Data, msg)], RR.InvalidField), /not a defined value/);
  });

  for (const f of ['cosmian-kmip/v1.4/XML/mandatory/CS-AC-M-7-14.xml', 'cosmian-kmip/v2.1/XML/mandatory/CS-AC-M-7-21.xml']) {
    test(`OASIS ${f}`, async () => assert.equal(await replay(f), undefined));
  }
});

describe('AES-CMAC (RFC 4493 §4)', () => {
  const key = hex('2b7e151628aed2a6abf7158809cf4f3c');
  const m = hex('6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710');
  const vectors: [number, string][] = [
    [0, 'bb1d6929e95937287fa37d129b756746'],
    [16, '070a16b46b4d4144f79bdd9dd04a287c'],
    [40, 'dfa66747de9ae63030ca32611497c827'],
    [64, '51f0bebf7e3b9d92fc49741779363cfe'],
  ];
  for (const [len, tag] of vectors) {
    test(`Example ${len} bytes`, () => {
      assert.equal(aesCmac(key, m.subarray(0, len)).toString('hex'), tag);
      // Any chunking gives the same tag (multi-part MAC).
      for (const step of [1, 7, 16, 17]) {
        const c = new AesCmac(key);
        for (let i = 0; i < len; i += step) c.update(m.subarray(i, Math.min(i + step, len)));
        if (len === 0) c.update(new Uint8Array(0));
        assert.equal(c.digest().toString('hex'), tag, `chunks of ${step}`);
      }
    });
  }
  test('NIST SP 800-38B AES-256 example (64 bytes)', () => {
    const k256 = hex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4');
    assert.equal(aesCmac(k256, m).toString('hex'), 'e1992190549f6ed5696a2c056c315410');
  });
  test('a key that is not an AES key is refused', () => {
    assert.throws(() => aesCmac(new Uint8Array(15), m), /128, 192 or 256-bit/);
  });
});

// ---------------------------------------------------------------------------
// Keys for the keyed operations, registered over KMIP 2.1.

const OT = Enum.ObjectType;
const CA = Enum.CryptographicAlgorithm;
const UM = Enum.CryptographicUsageMask;
const KFT = Enum.KeyFormatType;
const ACTIVE = item(Tag.ActivationDate, 'DateTime', FIXED_NOW - 60n);
const idOf = (p: StructureItem): string => field(p, Tag.UniqueIdentifier)!.value as string;

async function registerSymmetric(key: Uint8Array, alg: number, usage: number, extra: TtlvItem[] = [ACTIVE]): Promise<string> {
  const block = struct(Tag.KeyBlock, [en(Tag.KeyFormatType, KFT.Raw), struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, key)]), en(Tag.CryptographicAlgorithm, alg), int(Tag.CryptographicLength, key.length * 8)]);
  return idOf(await ok(V21, OP.Register, [en(Tag.ObjectType, OT.SymmetricKey), struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, usage), ...extra]), struct(Tag.SymmetricKey, [block])]));
}

async function registerAsymmetric(key: KeyObject, usage: number, extra: TtlvItem[] = [ACTIVE]): Promise<string> {
  const priv = key.type === 'private';
  const der = priv ? key.export({ format: 'der', type: 'pkcs8' }) : key.export({ format: 'der', type: 'spki' });
  const rsa = key.asymmetricKeyType === 'rsa';
  const bits = rsa ? key.asymmetricKeyDetails!.modulusLength! : ({ prime256v1: 256, secp384r1: 384, secp521r1: 521, secp256k1: 256 } as Record<string, number>)[key.asymmetricKeyDetails!.namedCurve!]!;
  const block = struct(Tag.KeyBlock, [en(Tag.KeyFormatType, priv ? KFT.PKCS_8 : KFT.X_509), struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, der)]), en(Tag.CryptographicAlgorithm, rsa ? CA.RSA : CA.ECDSA), int(Tag.CryptographicLength, bits)]);
  return idOf(await ok(V21, OP.Register, [en(Tag.ObjectType, priv ? OT.PrivateKey : OT.PublicKey), struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, usage), ...extra]), struct(priv ? Tag.PrivateKey : Tag.PublicKey, [block])]));
}

const VI = Enum.ValidityIndicator;
const validity = (p: StructureItem): number => field(p, Tag.ValidityIndicator)!.value as number;
const PM = Enum.PaddingMethod;
const DSA = Enum.DigitalSignatureAlgorithm;

describe('Sign and Signature Verify', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = Buffer.from('Keyhold signs this');
  let priv = '';
  let pub = '';
  test('register an RSA-2048 pair', async () => {
    priv = await registerAsymmetric(rsa.privateKey, UM.Sign);
    pub = await registerAsymmetric(rsa.publicKey, UM.Verify);
  });

  test('RSA PKCS#1 v1.5 is deterministic: the signature equals OpenSSL\'s own (node:crypto sign) for SHA-1/256/384/512 and SHA3-256', async () => {
    for (const [dsa, h] of [[DSA.SHA_1WithRSAEncryption, 'sha1'], [DSA.SHA_256WithRSAEncryption, 'sha256'], [DSA.SHA_384WithRSAEncryption, 'sha384'], [DSA.SHA_512WithRSAEncryption, 'sha512'], [DSA.SHA3_256WithRSAEncryption, 'sha3-256']] as const) {
      const sig = out(await ok(V21, OP.Sign, [uid(priv), params(en(Tag.DigitalSignatureAlgorithm, dsa)), bytes(Tag.Data, data)]), Tag.SignatureData);
      assert.deepEqual(sig, nodeSign(h, data, rsa.privateKey), h);
      assert.equal(validity(await ok(V21, OP.SignatureVerify, [uid(pub), params(en(Tag.DigitalSignatureAlgorithm, dsa)), bytes(Tag.Data, data), bytes(Tag.SignatureData, sig)])), VI.Valid);
    }
    // No parameters at all: PKCS#1 v1.5 with SHA-256.
    const sig = out(await ok(V21, OP.Sign, [uid(priv), bytes(Tag.Data, data)]), Tag.SignatureData);
    assert.ok(nodeVerify('sha256', data, rsa.publicKey, sig));
  });

  test('RSA-PSS: salt length and MGF1 hash as asked; OpenSSL verifies what the server signs and the server verifies what OpenSSL signs', async () => {
    const pss = (h: number, salt?: number, mgf?: number) => params(en(Tag.PaddingMethod, PM.PSS), en(Tag.HashingAlgorithm, h), ...(salt === undefined ? [] : [int(Tag.SaltLength, salt)]), ...(mgf === undefined ? [] : [en(Tag.MaskGeneratorHashingAlgorithm, mgf)]));
    for (const salt of [0, 20, 32, 222]) {
      const sig = out(await ok(V21, OP.Sign, [uid(priv), pss(HA.SHA_256, salt), bytes(Tag.Data, data)]), Tag.SignatureData);
      assert.ok(nodeVerify('sha256', data, { key: rsa.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: salt }, sig), `salt ${salt}`);
      assert.equal(validity(await ok(V21, OP.SignatureVerify, [uid(pub), pss(HA.SHA_256, salt), bytes(Tag.Data, data), bytes(Tag.SignatureData, sig)])), VI.Valid);
      // Another salt length or another hash: Invalid, not an error.
      assert.equal(validity(await ok(V21, OP.SignatureVerify, [uid(pub), pss(HA.SHA_256, salt + 1), bytes(Tag.Data, data), bytes(Tag.SignatureData, sig)])), VI.Invalid);
      assert.equal(validity(await ok(V21, OP.SignatureVerify, [uid(pub), pss(HA.SHA_1), bytes(Tag.Data, data), bytes(Tag.SignatureData, sig)])), VI.Invalid);
    }
    const theirs = nodeSign('sha384', data, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 });
    assert.equal(validity(await ok(V21, OP.SignatureVerify, [uid(pub), pss(HA.SHA_384), bytes(Tag.Data, data), bytes(Tag.SignatureData, theirs)])), VI.Valid, 'salt recovered');
    // MGF1 with another hash than the message's (node:crypto cannot, so checked by a round trip and a mismatch).
    const mixed = out(await ok(V21, OP.Sign, [uid(priv), pss(HA.SHA_256, 32, HA.SHA_1), bytes(Tag.Data, data)]), Tag.SignatureData);
    assert.equal(validity(await ok(V21, OP.SignatureVerify, [uid(pub), pss(HA.SHA_256, 32, HA.SHA_1), bytes(Tag.Data, data), bytes(Tag.SignatureData, mixed)])), VI.Valid);
    assert.equal(validity(await ok(V21, OP.SignatureVerify, [uid(pub), pss(HA.SHA_256, 32), bytes(Tag.Data, data), bytes(Tag.SignatureData, mixed)])), VI.Invalid);
    assert.match(await fails(V21, OP.Sign, [uid(priv), pss(HA.SHA_512, 300), bytes(Tag.Data, data)], RR.CryptographicFailure), /salt of 300 bytes does not fit/);
  });

  test('Digested Data: the client hashes, the server signs the digest (PKCS#1 v1.5 and PSS); a digest of the wrong length is refused', async () => {
    const digest = createHash('sha256').update(data).digest();
    const sig = out(await ok(V21, OP.Sign, [uid(priv), bytes(Tag.DigestedData, digest)]), Tag.SignatureData);
    assert.deepEqual(sig, nodeSign('sha256', data, rsa.privateKey));
    const pssSig = out(await ok(V21, OP.Sign, [uid(priv), params(en(Tag.PaddingMethod, PM.PSS)), bytes(Tag.DigestedData, digest)]), Tag.SignatureData);
    assert.ok(nodeVerify('sha256', data, { key: rsa.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, pssSig));
    assert.equal(validity(await ok(V21, OP.SignatureVerify, [uid(pub), params(en(Tag.PaddingMethod, PM.PSS)), bytes(Tag.DigestedData, digest), bytes(Tag.SignatureData, pssSig)])), VI.Valid);
    assert.match(await fails(V21, OP.Sign, [uid(priv), bytes(Tag.DigestedData, digest.subarray(1))], RR.InvalidField), /31 bytes; a SHA_256 digest is 32/);
    assert.match(await fails(V21, OP.Sign, [uid(priv), bytes(Tag.Data, data), bytes(Tag.DigestedData, digest)], RR.InvalidField), /not both/);
  });

  test('ECDSA P-256: RFC 6979 A.2.5 signature of "sample" verifies under its public key; a changed bit does not', async () => {
    const x = hex('60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6');
    const y = hex('7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299');
    const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: x.toString('base64url'), y: y.toString('base64url') }, format: 'jwk' });
    const id = await registerAsymmetric(key, UM.Verify);
    const r = hex('EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716');
    const s2 = hex('F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8');
    const int = (b: Buffer) => (b[0]! & 0x80 ? Buffer.concat([Buffer.of(0), b]) : b);
    const seq = Buffer.concat([Buffer.of(0x02, int(r).length), int(r), Buffer.of(0x02, int(s2).length), int(s2)]);
    const der = Buffer.concat([Buffer.of(0x30, seq.length), seq]);
    const verify = async (sig: Buffer) => validity(await ok(V21, OP.SignatureVerify, [uid(id), params(en(Tag.DigitalSignatureAlgorithm, DSA.ECDSAWithSHA256)), bytes(Tag.Data, Buffer.from('sample')), bytes(Tag.SignatureData, sig)]));
    assert.equal(await verify(der), VI.Valid);
    const bad = Buffer.from(der);
    bad[bad.length - 1]! ^= 1;
    assert.equal(await verify(bad), VI.Invalid);
    assert.equal(await verify(Buffer.from('not DER')), VI.Invalid);
    // The same signature on the Digested Data SHA-256("sample") (ecdsa-digest.ts, not node:crypto).
    const digest = createHash('sha256').update('sample').digest();
    const verifyDigested = async (sig: Buffer, d = digest) => validity(await ok(V21, OP.SignatureVerify, [uid(id), params(en(Tag.DigitalSignatureAlgorithm, DSA.ECDSAWithSHA256)), bytes(Tag.DigestedData, d), bytes(Tag.SignatureData, sig)]));
    assert.equal(await verifyDigested(der), VI.Valid);
    assert.equal(await verifyDigested(bad), VI.Invalid);
    assert.equal(await verifyDigested(der, createHash('sha256').update('simple').digest()), VI.Invalid);
    assert.equal(await verifyDigested(Buffer.from('not DER')), VI.Invalid);
  });

  for (const [curve, hash] of [['P-256', 'sha256'], ['P-384', 'sha384'], ['P-521', 'sha512']] as const) {
    test(`ECDSA ${curve}: the server's DER signature verifies with OpenSSL (default hash ${hash}) and with the server`, async () => {
      const ec = generateKeyPairSync('ec', { namedCurve: curve });
      const sk = await registerAsymmetric(ec.privateKey, UM.Sign);
      const pk = await registerAsymmetric(ec.publicKey, UM.Verify);
      const sig = out(await ok(V21, OP.Sign, [uid(sk), bytes(Tag.Data, data)]), Tag.SignatureData);
      assert.equal(sig[0], 0x30, 'DER SEQUENCE');
      assert.ok(nodeVerify(hash, data, ec.publicKey, sig));
      assert.equal(validity(await ok(V21, OP.SignatureVerify, [uid(pk), bytes(Tag.Data, data), bytes(Tag.SignatureData, sig)])), VI.Valid);
      assert.equal(validity(await ok(V21, OP.SignatureVerify, [uid(pk), bytes(Tag.Data, Buffer.from('other')), bytes(Tag.SignatureData, sig)])), VI.Invalid);
      // Digested Data: the client hashes, the server signs the digest; OpenSSL verifies it as a signature of the data, and the other way round.
      const digest = createHash(hash).update(data).digest();
      const dsig = out(await ok(V21, OP.Sign, [uid(sk), bytes(Tag.DigestedData, digest)]), Tag.SignatureData);
      assert.equal(dsig[0], 0x30, 'DER SEQUENCE');
      assert.ok(nodeVerify(hash, data, ec.publicKey, dsig), 'OpenSSL verifies the signature made on the digest');
      assert.notDeepEqual(out(await ok(V21, OP.Sign, [uid(sk), bytes(Tag.DigestedData, digest)]), Tag.SignatureData), dsig, 'hedged nonces: two signatures differ');
      const viaDigest = (sg: Buffer, d: Buffer) => ok(V21, OP.SignatureVerify, [uid(pk), bytes(Tag.DigestedData, d), bytes(Tag.SignatureData, sg)]).then(validity);
      assert.equal(await viaDigest(nodeSign(hash, data, ec.privateKey), digest), VI.Valid, 'an OpenSSL signature verifies on the digest');
      assert.equal(await viaDigest(dsig, createHash(hash).update('other').digest()), VI.Invalid);
      assert.match(await fails(V21, OP.Sign, [uid(sk), bytes(Tag.DigestedData, digest.subarray(1))], RR.InvalidField), /Digested Data is \d+ bytes/);
    });
  }

  test('multi-part Sign and Signature Verify over Data in three parts equal the one-part result', async () => {
    const parts = [data.subarray(0, 5), data.subarray(5, 11), data.subarray(11)];
    const p1 = await ok(V21, OP.Sign, [uid(priv), bool(Tag.InitIndicator, true), bytes(Tag.Data, parts[0]!)]);
    const cv = out(p1, Tag.CorrelationValue);
    assert.equal(field(p1, Tag.SignatureData), undefined);
    await ok(V21, OP.Sign, [uid(priv), bytes(Tag.CorrelationValue, cv), bytes(Tag.Data, parts[1]!)]);
    const sig = out(await ok(V21, OP.Sign, [uid(priv), bytes(Tag.CorrelationValue, cv), bytes(Tag.Data, parts[2]!), bool(Tag.FinalIndicator, true)]), Tag.SignatureData);
    assert.deepEqual(sig, nodeSign('sha256', data, rsa.privateKey));
    // Finished: the correlation value is gone.
    await fails(V21, OP.Sign, [uid(priv), bytes(Tag.CorrelationValue, cv), bytes(Tag.Data, parts[2]!)], RR.InvalidCorrelationValue);
    await fails(V14, OP.Sign, [uid(priv), bytes(Tag.CorrelationValue, cv), bytes(Tag.Data, parts[2]!)], RR.ItemNotFound);

    const v1 = await ok(V21, OP.SignatureVerify, [uid(pub), bool(Tag.InitIndicator, true), bytes(Tag.Data, parts[0]!)]);
    assert.equal(field(v1, Tag.ValidityIndicator), undefined, 'no Validity Indicator before the last part');
    const vcv = out(v1, Tag.CorrelationValue);
    // Another key cannot continue this stream.
    await fails(V21, OP.SignatureVerify, [uid(priv), bytes(Tag.CorrelationValue, vcv), bytes(Tag.Data, parts[1]!)], RR.InvalidObjectType);
    await ok(V21, OP.SignatureVerify, [uid(pub), bytes(Tag.CorrelationValue, vcv), bytes(Tag.Data, Buffer.concat([parts[1]!, parts[2]!]))]);
    assert.equal(validity(await ok(V21, OP.SignatureVerify, [uid(pub), bytes(Tag.CorrelationValue, vcv), bytes(Tag.SignatureData, sig), bool(Tag.FinalIndicator, true)])), VI.Valid);
  });

  test('hostile and wrong requests get the exact Result Reason', async () => {
    await fails(V21, OP.Sign, [uid(priv)], RR.MissingData);
    await fails(V21, OP.Sign, [uid(pub), bytes(Tag.Data, data)], RR.InvalidObjectType);
    await fails(V14, OP.Sign, [uid(pub), bytes(Tag.Data, data)], RR.PermissionDenied);
    await fails(V21, OP.Sign, [uid('no-such-key'), bytes(Tag.Data, data)], RR.ObjectNotFound);
    await fails(V21, OP.Sign, [uid(priv), params(en(Tag.PaddingMethod, PM.OAEP)), bytes(Tag.Data, data)], RR.UnsupportedCryptographicParameters);
    await fails(V14, OP.Sign, [uid(priv), params(en(Tag.PaddingMethod, PM.OAEP)), bytes(Tag.Data, data)], RR.InvalidField);
    await fails(V21, OP.Sign, [uid(priv), params(en(Tag.DigitalSignatureAlgorithm, DSA.ECDSAWithSHA256)), bytes(Tag.Data, data)], RR.UnsupportedCryptographicParameters);
    // A defined hash the server does not implement: the same reason as every other unsupported parameter (1.x Invalid Field), for the PSS MGF1 hash too.
    await fails(V21, OP.Sign, [uid(priv), params(en(Tag.HashingAlgorithm, HA.MD5)), bytes(Tag.Data, data)], RR.UnsupportedCryptographicParameters);
    await fails(V14, OP.Sign, [uid(priv), params(en(Tag.HashingAlgorithm, HA.MD5)), bytes(Tag.Data, data)], RR.InvalidField);
    await fails(V21, OP.Sign, [uid(priv), params(en(Tag.PaddingMethod, PM.PSS), en(Tag.MaskGeneratorHashingAlgorithm, HA.MD5)), bytes(Tag.Data, data)], RR.UnsupportedCryptographicParameters);
    await fails(V21, OP.SignatureVerify, [uid(pub), params(en(Tag.HashingAlgorithm, HA.MD5)), bytes(Tag.Data, data), bytes(Tag.SignatureData, Buffer.alloc(256))], RR.UnsupportedCryptographicParameters);
    await fails(V21, OP.Sign, [uid(priv), params(en(Tag.HashingAlgorithm, 0x7777)), bytes(Tag.Data, data)], RR.InvalidField);
    await fails(V21, OP.Sign, [uid(priv), item(Tag.Data, 'TextString', 'x')], RR.InvalidMessage);
    await fails(V21, OP.Sign, [uid(priv), bytes(Tag.Data, data), item(Tag.MACData, 'ByteString', new Uint8Array(1))], RR.InvalidField);
    await fails(V21, OP.Sign, [uid(priv), bool(Tag.InitIndicator, true), bytes(Tag.CorrelationValue, Buffer.alloc(16)), bytes(Tag.Data, data)], RR.InvalidMessage);
    await fails(V21, OP.Sign, [uid(priv), bytes(Tag.CorrelationValue, Buffer.alloc(16)), bytes(Tag.Data, data)], RR.InvalidCorrelationValue);
    await fails(V21, OP.SignatureVerify, [uid(pub), bytes(Tag.Data, data)], RR.MissingData);
    // A signature longer than the modulus or of garbage: Invalid, not a failure.
    assert.equal(validity(await ok(V21, OP.SignatureVerify, [uid(pub), bytes(Tag.Data, data), bytes(Tag.SignatureData, Buffer.alloc(256, 0xff))])), VI.Invalid);
    assert.equal(validity(await ok(V21, OP.SignatureVerify, [uid(pub), params(en(Tag.PaddingMethod, PM.PSS)), bytes(Tag.Data, data), bytes(Tag.SignatureData, Buffer.alloc(256, 0xff))])), VI.Invalid);
    assert.equal(validity(await ok(V21, OP.SignatureVerify, [uid(pub), bytes(Tag.Data, data), bytes(Tag.SignatureData, Buffer.alloc(3))])), VI.Invalid);
  });

  test('state, dates and usage mask: Pre-Active keys do not sign; a Deactivated key still verifies but no longer signs; a Verify-only key does not sign', async () => {
    const pre = await registerAsymmetric(rsa.privateKey, UM.Sign, []);
    await fails(V21, OP.Sign, [uid(pre), bytes(Tag.Data, data)], RR.WrongKeyLifecycleState);
    await fails(V14, OP.Sign, [uid(pre), bytes(Tag.Data, data)], RR.PermissionDenied);
    const noSign = await registerAsymmetric(rsa.privateKey, UM.Decrypt);
    assert.match(await fails(V21, OP.Sign, [uid(noSign), bytes(Tag.Data, data)], RR.IncompatibleCryptographicUsageMask), /Usage Mask/);
    const sig = out(await ok(V21, OP.Sign, [uid(priv), bytes(Tag.Data, data)]), Tag.SignatureData);
    const later = await registerAsymmetric(rsa.publicKey, UM.Verify, [ACTIVE, item(Tag.DeactivationDate, 'DateTime', FIXED_NOW + 3600n)]);
    await ok(V21, OP.Revoke, [uid(later), struct(Tag.RevocationReason, [en(Tag.RevocationReasonCode, Enum.RevocationReasonCode.CessationOfOperation)])]);
    assert.equal(validity(await ok(V21, OP.SignatureVerify, [uid(later), bytes(Tag.Data, data), bytes(Tag.SignatureData, sig)])), VI.Valid, 'Deactivated keys verify');
    const deactPriv = await registerAsymmetric(rsa.privateKey, UM.Sign);
    await ok(V21, OP.Revoke, [uid(deactPriv), struct(Tag.RevocationReason, [en(Tag.RevocationReasonCode, Enum.RevocationReasonCode.CessationOfOperation)])]);
    await fails(V21, OP.Sign, [uid(deactPriv), bytes(Tag.Data, data)], RR.WrongKeyLifecycleState);
  });

  test('a key kept for PSS with SHA-256 does not sign with SHA-1 or PKCS#1 v1.5; Signature Verify is not bound (OASIS CS-AC-M-3 verifies with SHA-1 and expects Invalid)', async () => {
    const kept = params(en(Tag.PaddingMethod, PM.PSS), en(Tag.HashingAlgorithm, HA.SHA_256));
    const sk = await registerAsymmetric(rsa.privateKey, UM.Sign, [ACTIVE, kept]);
    const pk = await registerAsymmetric(rsa.publicKey, UM.Verify, [ACTIVE, kept]);
    const sig = out(await ok(V21, OP.Sign, [uid(sk), bytes(Tag.Data, data)]), Tag.SignatureData);
    assert.ok(nodeVerify('sha256', data, { key: rsa.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING }, sig));
    assert.match(await fails(V21, OP.Sign, [uid(sk), params(en(Tag.HashingAlgorithm, HA.SHA_1)), bytes(Tag.Data, data)], RR.BadCryptographicParameters), /kept for Hashing Algorithm SHA_256/);
    await fails(V14, OP.Sign, [uid(sk), params(en(Tag.HashingAlgorithm, HA.SHA_1)), bytes(Tag.Data, data)], RR.InvalidField);
    await fails(V21, OP.Sign, [uid(sk), params(en(Tag.PaddingMethod, PM.PKCS1V1_5)), bytes(Tag.DigestedData, createHash('sha256').update(data).digest())], RR.BadCryptographicParameters);
    // A field the attribute does not name stays the request's (here the MGF1 hash).
    await ok(V21, OP.Sign, [uid(sk), params(en(Tag.PaddingMethod, PM.PSS), en(Tag.MaskGeneratorHashingAlgorithm, HA.SHA_1)), bytes(Tag.Data, data)]);
    assert.equal(validity(await ok(V21, OP.SignatureVerify, [uid(pk), params(en(Tag.HashingAlgorithm, HA.SHA_1)), bytes(Tag.Data, data), bytes(Tag.SignatureData, sig)])), VI.Invalid);
    assert.equal(validity(await ok(V21, OP.SignatureVerify, [uid(pk), bytes(Tag.Data, data), bytes(Tag.SignatureData, sig)])), VI.Valid);
  });

  test('a Sign stream whose key is revoked is aborted by the failed part; Usage Limits (Object) take one use per multi-part Sign (findings 6, 9)', async () => {
    const limits = struct(Tag.UsageLimits, [item(Tag.UsageLimitsTotal, 'LongInteger', 1n), en(Tag.UsageLimitsUnit, Enum.UsageLimitsUnit.Object)]);
    const sk = await registerAsymmetric(rsa.privateKey, UM.Sign, [ACTIVE, limits]);
    const cv = out(await ok(V21, OP.Sign, [uid(sk), bool(Tag.InitIndicator, true), bytes(Tag.Data, data.subarray(0, 4))]), Tag.CorrelationValue);
    await ok(V21, OP.Sign, [uid(sk), bytes(Tag.CorrelationValue, cv), bytes(Tag.Data, data.subarray(4, 9))]);
    const sig = out(await ok(V21, OP.Sign, [uid(sk), bytes(Tag.CorrelationValue, cv), bytes(Tag.Data, data.subarray(9)), bool(Tag.FinalIndicator, true)]), Tag.SignatureData);
    assert.ok(nodeVerify('sha256', data, rsa.publicKey, sig));
    assert.match(await fails(V21, OP.Sign, [uid(sk), bytes(Tag.Data, data)], RR.PermissionDenied), /0 uses left/);

    const sk2 = await registerAsymmetric(rsa.privateKey, UM.Sign);
    const cv2 = out(await ok(V21, OP.Sign, [uid(sk2), bool(Tag.InitIndicator, true), bytes(Tag.Data, data)]), Tag.CorrelationValue);
    const mac = await registerSymmetric(Buffer.alloc(32, 7), CA.HMAC_SHA256, UM.MACGenerate);
    const cv3 = out(await ok(V21, OP.MAC, [uid(mac), bool(Tag.InitIndicator, true), bytes(Tag.Data, data)]), Tag.CorrelationValue);
    const open = cryptoStreams.size;
    await ok(V21, OP.Revoke, [uid(sk2), struct(Tag.RevocationReason, [en(Tag.RevocationReasonCode, Enum.RevocationReasonCode.CessationOfOperation)])]);
    await ok(V21, OP.Revoke, [uid(mac), struct(Tag.RevocationReason, [en(Tag.RevocationReasonCode, Enum.RevocationReasonCode.CessationOfOperation)])]);
    await fails(V21, OP.Sign, [uid(sk2), bytes(Tag.CorrelationValue, cv2), bytes(Tag.Data, data)], RR.WrongKeyLifecycleState);
    assert.equal(cryptoStreams.size, open - 1, 'the Sign stream is gone');
    // A part naming another key does not end this stream (that key's check fails or passes on its own).
    await fails(V21, OP.MAC, [uid(sk2), bytes(Tag.CorrelationValue, cv3), bytes(Tag.Data, data)], RR.InvalidObjectType);
    assert.equal(cryptoStreams.size, open - 1);
    await fails(V21, OP.MAC, [uid(mac), bytes(Tag.CorrelationValue, cv3), bytes(Tag.Data, data), bool(Tag.FinalIndicator, true)], RR.WrongKeyLifecycleState);
    assert.equal(cryptoStreams.size, open - 2, 'the MAC stream is gone');
  });

  test('ECDSA on secp256k1 (a curve the server holds, TC-ECC-3) over Data (OpenSSL) and Digested Data (@noble/curves), verified by OpenSSL; a curve it does not hold is Unsupported Cryptographic Parameters (finding 7b)', async () => {
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const sk = await registerAsymmetric(k1.privateKey, UM.Sign);
    const pk = await registerAsymmetric(k1.publicKey, UM.Verify);
    const digest = createHash('sha256').update(data).digest();
    const onDigest = out(await ok(V21, OP.Sign, [uid(sk), bytes(Tag.DigestedData, digest)]), Tag.SignatureData);
    const onData = out(await ok(V21, OP.Sign, [uid(sk), bytes(Tag.Data, data)]), Tag.SignatureData);
    for (const sig of [onDigest, onData]) assert.ok(nodeVerify('sha256', data, k1.publicKey, sig));
    assert.equal(validity(await ok(V21, OP.SignatureVerify, [uid(pk), bytes(Tag.DigestedData, digest), bytes(Tag.SignatureData, nodeSign('sha256', data, k1.privateKey))])), VI.Valid);
    // brainpoolP256r1 cannot be registered (objects/transparent.ts), so the scheme is asked directly.
    const bp = generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' });
    for (const [c, reason] of [[{ protocolVersion: { major: 2, minor: 1 } }, 'UnsupportedCryptographicParameters'], [{ protocolVersion: { major: 1, minor: 4 } }, 'InvalidField']] as const) {
      assert.throws(() => signatureScheme(c as OperationContext, bp.privateKey, 256, {}), (e: { resultReason?: string; message: string }) => e.resultReason === reason && /curve brainpoolP256r1 is not supported \(P-256, P-384, P-521, secp256k1\)/.test(e.message));
    }
  });

  test('an id-RSASSA-PSS key (node type rsa-pss) is a KMIP error for PKCS#1 v1.5 and PSS, not an OpenSSL throw (finding 7c)', () => {
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
    for (const [c, reason] of [[{ protocolVersion: { major: 2, minor: 1 } }, 'UnsupportedCryptographicParameters'], [{ protocolVersion: { major: 1, minor: 4 } }, 'InvalidField']] as const) {
      for (const p of [{ paddingMethod: PM.PKCS1V1_5 }, { paddingMethod: PM.PSS }, {}]) {
        assert.throws(() => signatureScheme(c as OperationContext, pss.privateKey, 2048, p), (e: { resultReason?: string; message: string }) => e.resultReason === reason && /RSASSA-PSS-restricted keys/.test(e.message));
      }
    }
  });

  for (const f of ['1-14', '2-14', '3-14', '8-14', '1-21', '2-21', '3-21', '8-21']) {
    const v = f.endsWith('14') ? 'v1.4' : 'v2.1';
    test(`OASIS CS-AC-M-${f}`, async () => assert.equal(await replay(`cosmian-kmip/${v}/XML/mandatory/CS-AC-M-${f}.xml`), undefined));
  }
});

describe('MAC and MAC Verify', () => {
  // RFC 4231 test case 2 (and RFC 2202 for SHA-1): key "Jefe".
  const jefe = Buffer.from('Jefe');
  const what = Buffer.from('what do ya want for nothing?');
  const RFC4231: [number, string][] = [
    [CA.HMAC_SHA1, 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79'],
    [CA.HMAC_SHA224, 'a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44'],
    [CA.HMAC_SHA256, '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
    [CA.HMAC_SHA384, 'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649'],
    [CA.HMAC_SHA512, '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737'],
  ];
  for (const [alg, want] of RFC4231) {
    test(`${Object.entries(CA).find(([, v]) => v === alg)![0]}: RFC 4231 / 2202 test case 2, one part and three parts, and MAC Verify`, async () => {
      const id = await registerSymmetric(jefe, alg, UM.MACGenerate | UM.MACVerify);
      assert.equal(out(await ok(V21, OP.MAC, [uid(id), bytes(Tag.Data, what)]), Tag.MACData).toString('hex'), want);
      const cv = out(await ok(V14, OP.MAC, [uid(id), bool(Tag.InitIndicator, true), bytes(Tag.Data, what.subarray(0, 4))]), Tag.CorrelationValue);
      await ok(V14, OP.MAC, [uid(id), bytes(Tag.CorrelationValue, cv), bytes(Tag.Data, what.subarray(4, 20))]);
      assert.equal(out(await ok(V14, OP.MAC, [uid(id), bytes(Tag.CorrelationValue, cv), bytes(Tag.Data, what.subarray(20)), bool(Tag.FinalIndicator, true)]), Tag.MACData).toString('hex'), want);
      assert.equal(validity(await ok(V21, OP.MACVerify, [uid(id), bytes(Tag.Data, what), bytes(Tag.MACData, want)])), VI.Valid);
      const wrong = hex(want);
      wrong[wrong.length - 1]! ^= 1;
      assert.equal(validity(await ok(V21, OP.MACVerify, [uid(id), bytes(Tag.Data, what), bytes(Tag.MACData, wrong)])), VI.Invalid);
      assert.equal(validity(await ok(V21, OP.MACVerify, [uid(id), bytes(Tag.Data, what), bytes(Tag.MACData, wrong.subarray(0, 10))])), VI.Invalid, 'truncated');
    });
  }

  test('AES-CMAC through MAC: RFC 4493 example 3 (40 bytes), multi-part MAC Verify', async () => {
    const id = await registerSymmetric(hex('2b7e151628aed2a6abf7158809cf4f3c'), CA.AES, UM.MACGenerate | UM.MACVerify);
    const m = hex('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411');
    assert.equal(out(await ok(V21, OP.MAC, [uid(id), bytes(Tag.Data, m)]), Tag.MACData).toString('hex'), 'dfa66747de9ae63030ca32611497c827');
    assert.equal(out(await ok(V21, OP.MAC, [uid(id), params(en(Tag.CryptographicAlgorithm, CA.AES)), bytes(Tag.Data, m)]), Tag.MACData).toString('hex'), 'dfa66747de9ae63030ca32611497c827');
    const cv = out(await ok(V21, OP.MACVerify, [uid(id), bool(Tag.InitIndicator, true), bytes(Tag.Data, m.subarray(0, 16))]), Tag.CorrelationValue);
    assert.equal(validity(await ok(V21, OP.MACVerify, [uid(id), bytes(Tag.CorrelationValue, cv), bytes(Tag.Data, m.subarray(16)), bytes(Tag.MACData, 'dfa66747de9ae63030ca32611497c827'), bool(Tag.FinalIndicator, true)])), VI.Valid);
  });

  test('MAC refuses keys and algorithms it must not use, with the exact Result Reason', async () => {
    const hmacKey = await registerSymmetric(jefe, CA.HMAC_SHA256, UM.MACGenerate | UM.MACVerify);
    assert.match(await fails(V21, OP.MAC, [uid(hmacKey), params(en(Tag.CryptographicAlgorithm, CA.HMAC_SHA512)), bytes(Tag.Data, what)], RR.BadCryptographicParameters), /HMAC_SHA256 key; it cannot MAC with HMAC_SHA512/);
    await fails(V14, OP.MAC, [uid(hmacKey), params(en(Tag.CryptographicAlgorithm, CA.HMAC_SHA512)), bytes(Tag.Data, what)], RR.InvalidField);
    const desKey = await registerSymmetric(Buffer.alloc(24, 1), CA.DES3, UM.MACGenerate);
    assert.match(await fails(V21, OP.MAC, [uid(desKey), bytes(Tag.Data, what)], RR.UnsupportedCryptographicParameters), /not a supported MAC algorithm/);
    assert.match(await fails(V21, OP.MAC, [uid(desKey), params(en(Tag.CryptographicAlgorithm, CA.AES)), bytes(Tag.Data, what)], RR.BadCryptographicParameters), /needs an AES key/);
    const encOnly = await registerSymmetric(Buffer.alloc(16, 2), CA.AES, UM.Encrypt);
    await fails(V21, OP.MAC, [uid(encOnly), bytes(Tag.Data, what)], RR.IncompatibleCryptographicUsageMask);
    await fails(V14, OP.MAC, [uid(encOnly), bytes(Tag.Data, what)], RR.PermissionDenied);
    const macOnly = await registerSymmetric(jefe, CA.HMAC_SHA256, UM.MACGenerate);
    await fails(V21, OP.MACVerify, [uid(macOnly), bytes(Tag.Data, what), bytes(Tag.MACData, '00')], RR.IncompatibleCryptographicUsageMask);
    await fails(V21, OP.MAC, [uid(hmacKey)], RR.MissingData);
    await fails(V21, OP.MACVerify, [uid(hmacKey), bytes(Tag.Data, what)], RR.MissingData);
    const pre = await registerSymmetric(jefe, CA.HMAC_SHA256, UM.MACGenerate, []);
    await fails(V21, OP.MAC, [uid(pre), bytes(Tag.Data, what)], RR.WrongKeyLifecycleState);
    // A MAC stream cannot be continued as MAC Verify.
    const cv = out(await ok(V21, OP.MAC, [uid(hmacKey), bool(Tag.InitIndicator, true), bytes(Tag.Data, what)]), Tag.CorrelationValue);
    await fails(V21, OP.MACVerify, [uid(hmacKey), bytes(Tag.CorrelationValue, cv), bytes(Tag.MACData, '00'), bool(Tag.FinalIndicator, true)], RR.InvalidCorrelationValue);
  });

  for (const f of ['4-14', '5-14', '6-14', '4-21', '5-21', '6-21']) {
    const v = f.endsWith('14') ? 'v1.4' : 'v2.1';
    test(`OASIS CS-AC-M-${f}`, async () => assert.equal(await replay(`cosmian-kmip/${v}/XML/mandatory/CS-AC-M-${f}.xml`), undefined));
  }
});

describe('Derive Key', () => {
  const DM = Enum.DerivationMethod;
  const LT = Enum.LinkType;
  async function registerSecret(secret: Uint8Array, usage: number = UM.DeriveKey, extra: TtlvItem[] = [ACTIVE]): Promise<string> {
    const obj = struct(Tag.SecretData, [en(Tag.SecretDataType, Enum.SecretDataType.Password), struct(Tag.KeyBlock, [en(Tag.KeyFormatType, KFT.Opaque), struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, secret)])])]);
    return idOf(await ok(V21, OP.Register, [en(Tag.ObjectType, OT.SecretData), struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, usage), ...extra]), obj]));
  }
  const dparams = (...c: TtlvItem[]): TtlvItem => struct(Tag.DerivationParameters, c);
  const deriveReq = (type: number, ids: string[], method: number, dp: TtlvItem, attrs: TtlvItem[]): TtlvItem[] => [en(Tag.ObjectType, type), ...ids.map(uid), en(Tag.DerivationMethod, method), dp, struct(Tag.Attributes, attrs)];
  async function material(id: string): Promise<Buffer> {
    const p = await ok(V21, OP.Get, [uid(id)]);
    const obj = (field(p, Tag.SymmetricKey) ?? field(p, Tag.SecretData)) as StructureItem;
    const block = field(obj, Tag.KeyBlock) as StructureItem;
    return Buffer.from(field(field(block, Tag.KeyValue) as StructureItem, Tag.KeyMaterial)!.value as Uint8Array);
  }
  async function deriveSecret(ids: string[], method: number, dp: TtlvItem, bits: number): Promise<Buffer> {
    return material(idOf(await ok(V21, OP.DeriveKey, deriveReq(OT.SecretData, ids, method, dp, [int(Tag.CryptographicLength, bits)]))));
  }

  test('PBKDF2-HMAC-SHA1: RFC 6070 vectors (c = 1, 2, 4096; long password and salt)', async () => {
    const pw = await registerSecret(Buffer.from('password'));
    const salt = bytes(Tag.Salt, Buffer.from('salt'));
    for (const [c, want] of [[1, '0c60c80f961f0e71f3a9b524af6012062fe037a6'], [2, 'ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957'], [4096, '4b007901b765489abead49d926f721d065a429c1']] as const) {
      assert.equal((await deriveSecret([pw], DM.PBKDF2, dparams(salt, int(Tag.IterationCount, c)), 160)).toString('hex'), want, `c=${c}`);
    }
    const long = await registerSecret(Buffer.from('passwordPASSWORDpassword'));
    const out25 = await deriveSecret([long], DM.PBKDF2, dparams(params(en(Tag.HashingAlgorithm, HA.SHA_1)), bytes(Tag.Salt, Buffer.from('saltSALTsaltSALTsaltSALTsaltSALTsalt')), int(Tag.IterationCount, 4096)), 200);
    assert.equal(out25.toString('hex'), '3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038');
  });

  test('PBKDF2-HMAC-SHA256: RFC 7914 §11 vector (c = 1, 64 bytes), by Hashing Algorithm and by HMAC Cryptographic Algorithm', async () => {
    const pw = await registerSecret(Buffer.from('passwd'));
    const want = '55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783';
    const salt = bytes(Tag.Salt, Buffer.from('salt'));
    assert.equal((await deriveSecret([pw], DM.PBKDF2, dparams(params(en(Tag.HashingAlgorithm, HA.SHA_256)), salt, int(Tag.IterationCount, 1)), 512)).toString('hex'), want);
    assert.equal((await deriveSecret([pw], DM.PBKDF2, dparams(params(en(Tag.CryptographicAlgorithm, CA.HMAC_SHA256)), salt, int(Tag.IterationCount, 1)), 512)).toString('hex'), want);
  });

  test('HKDF-SHA256: RFC 5869 test case 1 (and the default hash is SHA-256)', async () => {
    const ikm = await registerSecret(Buffer.alloc(22, 0x0b));
    const dp = (...c: TtlvItem[]) => dparams(...c, bytes(Tag.Salt, '000102030405060708090a0b0c'), bytes(Tag.DerivationData, 'f0f1f2f3f4f5f6f7f8f9'));
    const want = '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865';
    assert.equal((await deriveSecret([ikm], DM.HKDF, dp(), 42 * 8)).toString('hex'), want);
    assert.equal((await deriveSecret([ikm], DM.HKDF, dp(params(en(Tag.HashingAlgorithm, HA.SHA_256))), 42 * 8)).toString('hex'), want);
    await fails(V21, OP.DeriveKey, deriveReq(OT.SecretData, [ikm], DM.HKDF, dp(), [int(Tag.CryptographicLength, 8 * 8161)]), RR.InvalidField);
  });

  test('HMAC, HASH and ENCRYPT derivations equal the local computation; Derivation Data from a Secret Data object', async () => {
    const k = Buffer.alloc(32, 7);
    const base = await registerSymmetric(k, CA.HMAC_SHA256, UM.DeriveKey);
    const info = Buffer.from('context label');
    const hm = await deriveSecret([base], DM.HMAC, dparams(bytes(Tag.DerivationData, info)), 256);
    assert.deepEqual(hm, createHmac('sha256', k).update(info).digest());
    const dataObj = await registerSecret(info);
    assert.deepEqual(await deriveSecret([base, dataObj], DM.HMAC, dparams(), 256), hm, 'Derivation Data as a Secret Data object');
    await fails(V21, OP.DeriveKey, deriveReq(OT.SecretData, [base, dataObj], DM.HMAC, dparams(bytes(Tag.DerivationData, info)), [int(Tag.CryptographicLength, 256)]), RR.InvalidField);
    assert.deepEqual(await deriveSecret([base], DM.HASH, dparams(params(en(Tag.HashingAlgorithm, HA.SHA_384))), 384), createHash('sha384').update(k).digest());
    const aes = await registerSymmetric(Buffer.alloc(16, 9), CA.AES, UM.DeriveKey);
    const block = Buffer.alloc(32, 0x42);
    const ecb = createCipheriv('aes-128-ecb', Buffer.alloc(16, 9), null).setAutoPadding(false).update(block);
    assert.deepEqual(await deriveSecret([aes], DM.ENCRYPT, dparams(bytes(Tag.DerivationData, block)), 256), ecb);
    const iv = Buffer.alloc(16, 3);
    const cbc = createCipheriv('aes-128-cbc', Buffer.alloc(16, 9), iv).setAutoPadding(false).update(block);
    assert.deepEqual(await deriveSecret([aes], DM.ENCRYPT, dparams(params(en(Tag.BlockCipherMode, Enum.BlockCipherMode.CBC)), bytes(Tag.InitializationVector, iv), bytes(Tag.DerivationData, block)), 128), cbc.subarray(0, 16));
  });

  test('a derived AES key: its attributes, links both ways, Pre-Active by default, the material as PBKDF2 gives it', async () => {
    const pw = await registerSecret(Buffer.from('correct horse'));
    const p = await ok(V21, OP.DeriveKey, deriveReq(OT.SymmetricKey, [pw], DM.PBKDF2, dparams(params(en(Tag.HashingAlgorithm, HA.SHA_256)), bytes(Tag.Salt, Buffer.from('NaCl')), int(Tag.IterationCount, 1000)), [en(Tag.CryptographicAlgorithm, CA.AES), int(Tag.CryptographicLength, 256), item(Tag.ContactInformation, 'TextString', 'ops')]));
    const id = idOf(p);
    const m = ctx.objects!.managed!;
    const o = m.get(id);
    assert.equal(o.objectType, OT.SymmetricKey);
    assert.equal(o.state, Enum.State.PreActive);
    const a = (name: string) => o.attributes.filter((x) => x.name === name).map((x) => x.value);
    assert.deepEqual(a('CryptographicAlgorithm'), [{ type: 'Enumeration', value: CA.AES }]);
    assert.deepEqual(a('CryptographicUsageMask'), [{ type: 'Integer', value: UM.Encrypt | UM.Decrypt }]);
    assert.deepEqual(a('ContactInformation'), [{ type: 'TextString', value: 'ops' }]);
    assert.equal(a('Digest').length, 1);
    assert.equal(a('Fresh')[0]?.value, true);
    assert.deepEqual(await material(id), pbkdf2Sync('correct horse', 'NaCl', 1000, 32, 'sha256'));
    const links = (x: string) => m.attributes(x, ['Link']).map((l) => (l.value as { value: TtlvItem[] }).value.map((c) => c.value));
    assert.deepEqual(links(id), [[LT.DerivationBaseObjectLink, pw]]);
    assert.deepEqual(links(pw), [[LT.DerivedKeyLink, id]]);
    // The ID Placeholder is set for the next batch item.
    const [d, g] = await send(V21, [[OP.DeriveKey, deriveReq(OT.SecretData, [pw], DM.HASH, dparams(params(en(Tag.HashingAlgorithm, HA.SHA_256))), [int(Tag.CryptographicLength, 128)])], [OP.GetAttributes, []]]);
    assert.equal(d!.resultStatus, Enum.ResultStatus.Success);
    assert.equal(g!.resultStatus, Enum.ResultStatus.Success, g!.resultMessage);
  });

  test('review 8: a key derived from a Sensitive (non-Extractable) base is Sensitive (non-Extractable) too, and never a trusted wrapping key', async () => {
    const secret = await registerSecret(Buffer.from('base'), UM.DeriveKey, [ACTIVE, item(Tag.Sensitive, 'Boolean', true)]);
    const req = (extra: TtlvItem[]) => deriveReq(OT.SymmetricKey, [secret], DM.HASH, dparams(params(en(Tag.HashingAlgorithm, HA.SHA_256))), [en(Tag.CryptographicAlgorithm, CA.AES), int(Tag.CryptographicLength, 256), ACTIVE, ...extra]);
    const m = ctx.objects!.managed!;
    const flags = (id: string) => Object.fromEntries(m.attributes(id, ['Sensitive', 'AlwaysSensitive']).map((a) => [a.name, a.value.value]));
    const inherited = idOf(await ok(V21, OP.DeriveKey, req([])));
    assert.deepEqual(flags(inherited), { Sensitive: true, AlwaysSensitive: true });
    assert.equal(m.get(inherited).origin, 'derived');
    await fails(V21, OP.Get, [uid(inherited)], RR.Sensitive);
    // Asked for plain: refused (a HASH of a Sensitive password, served plain, would let the client test guesses offline).
    assert.match(await fails(V21, OP.DeriveKey, req([item(Tag.Sensitive, 'Boolean', false)]), RR.PermissionDenied), /derived from it is Sensitive too/);
    // Not Extractable is inherited the same way.
    const fixed = await registerSecret(Buffer.from('fixed'), UM.DeriveKey, [ACTIVE, item(Tag.Extractable, 'Boolean', false)]);
    const fromFixed = idOf(await ok(V21, OP.DeriveKey, deriveReq(OT.SymmetricKey, [fixed], DM.HASH, dparams(params(en(Tag.HashingAlgorithm, HA.SHA_256))), [en(Tag.CryptographicAlgorithm, CA.AES), int(Tag.CryptographicLength, 256), ACTIVE])));
    assert.equal(m.attributes(fromFixed, ['Extractable'])[0]?.value.value, false);
    await fails(V21, OP.DeriveKey, deriveReq(OT.SymmetricKey, [fixed], DM.HASH, dparams(params(en(Tag.HashingAlgorithm, HA.SHA_256))), [en(Tag.CryptographicAlgorithm, CA.AES), int(Tag.CryptographicLength, 256), item(Tag.Extractable, 'Boolean', true)]), RR.PermissionDenied);
    // From a plain base: plain, as before.
    const open = await registerSecret(Buffer.from('open'));
    const fromOpen = idOf(await ok(V21, OP.DeriveKey, deriveReq(OT.SecretData, [open], DM.HASH, dparams(params(en(Tag.HashingAlgorithm, HA.SHA_256))), [int(Tag.CryptographicLength, 128)])));
    assert.deepEqual(flags(fromOpen), { Sensitive: false, AlwaysSensitive: false });
  });

  test('the key policy applies to derived keys as to created ones; default lifetime too', async () => {
    const pw = await registerSecret(Buffer.from('pw'));
    const req = (alg: number, bits: number) => deriveReq(OT.SymmetricKey, [pw], DM.HKDF, dparams(), [en(Tag.CryptographicAlgorithm, alg), int(Tag.CryptographicLength, bits)]);
    const closed = kmipHarness({ ...ctx, keyPolicy: () => ({ ...DEFAULT_KEY_POLICY, clientsMayCreate: false }) });
    assert.match(await closed.fails(V21, OP.DeriveKey, req(CA.AES, 256), RR.PermissionDenied), /clients may not generate keys/);
    const aesOnly = kmipHarness({ ...ctx, keyPolicy: () => ({ ...DEFAULT_KEY_POLICY, algorithms: ['AES-256'], defaultLifetimeDays: 30 }) });
    assert.match(await aesOnly.fails(V21, OP.DeriveKey, req(CA.HMAC_SHA256, 256), RR.InvalidField), /HMAC-SHA256 keys are not allowed/);
    const id = idOf(await aesOnly.ok(V21, OP.DeriveKey, req(CA.AES, 256)));
    const deact = ctx.objects!.managed!.attributes(id, ['DeactivationDate'])[0]?.value;
    assert.deepEqual(deact, { type: 'DateTime', value: FIXED_NOW + 30n * 86_400n });
  });

  test('base object rules and hostile requests: exact Result Reasons', async () => {
    const pw = await registerSecret(Buffer.from('pw'));
    const noDerive = await registerSecret(Buffer.from('pw'), UM.Encrypt);
    const pre = await registerSecret(Buffer.from('pw'), UM.DeriveKey, []);
    const dp = dparams(bytes(Tag.Salt, Buffer.from('s')), int(Tag.IterationCount, 1));
    const req = (ids: string[], attrs: TtlvItem[] = [int(Tag.CryptographicLength, 128)], method: number = DM.PBKDF2, d: TtlvItem = dp, type: number = OT.SecretData) => deriveReq(type, ids, method, d, attrs);
    await fails(V21, OP.DeriveKey, req([noDerive]), RR.IncompatibleCryptographicUsageMask);
    await fails(V14, OP.DeriveKey, [en(Tag.ObjectType, OT.SecretData), uid(noDerive), en(Tag.DerivationMethod, DM.PBKDF2), dp, struct(Tag.TemplateAttribute, [struct(Tag.Attribute, [item(Tag.AttributeName, 'TextString', 'Cryptographic Length'), int(Tag.AttributeValue, 128)])])], RR.PermissionDenied);
    await fails(V21, OP.DeriveKey, req([pre]), RR.WrongKeyLifecycleState);
    await fails(V21, OP.DeriveKey, req(['nope']), RR.ObjectNotFound);
    const rsaPub = await registerAsymmetric(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey, UM.DeriveKey);
    await fails(V21, OP.DeriveKey, req([rsaPub]), RR.InvalidObjectType);
    assert.match(await fails(V21, OP.DeriveKey, req([]), RR.MissingData), /ID Placeholder is not used/);
    assert.match(await fails(V21, OP.DeriveKey, req([pw], []), RR.MissingData), /Cryptographic Length/);
    assert.match(await fails(V21, OP.DeriveKey, req([pw], [int(Tag.CryptographicLength, 12)]), RR.InvalidField), /multiple of 8/);
    assert.match(await fails(V21, OP.DeriveKey, req([pw], [int(Tag.CryptographicLength, 128)], DM.PBKDF2, dparams(int(Tag.IterationCount, 1))), RR.MissingData), /Salt/);
    assert.match(await fails(V21, OP.DeriveKey, req([pw], [int(Tag.CryptographicLength, 128)], DM.PBKDF2, dparams(bytes(Tag.Salt, 's'.padEnd(2, '0')), int(Tag.IterationCount, 2_000_000))), RR.InvalidField), /Iteration Count must be 1 to 1000000/);
    // The bound is on Iteration Count × output blocks (PBKDF2 runs the count once per block): 8192 bytes are 410 SHA-1 blocks.
    const pbkdf2 = (iterations: number, bits: number) => req([pw], [int(Tag.CryptographicLength, bits)], DM.PBKDF2, dparams(bytes(Tag.Salt, Buffer.from('s')), int(Tag.IterationCount, iterations)));
    assert.match(await fails(V21, OP.DeriveKey, pbkdf2(2500, 8192 * 8), RR.InvalidField), /at most 1000000: 65536 bits with sha1 are 410 blocks, so the Iteration Count may be at most 2439, not 2500/);
    assert.match(await fails(V21, OP.DeriveKey, pbkdf2(1_000_000, 168), RR.InvalidField), /2 blocks, so the Iteration Count may be at most 500000/);
    const pw2 = await registerSecret(Buffer.from('pw'));
    assert.equal((await deriveSecret([pw2], DM.PBKDF2, dparams(bytes(Tag.Salt, Buffer.from('s')), int(Tag.IterationCount, 2)), 8192 * 8)).length, 8192, 'a long output with few iterations is within the bound');
    assert.match(await fails(V21, OP.DeriveKey, req([pw], [int(Tag.CryptographicLength, 512)], DM.HASH, dparams(params(en(Tag.HashingAlgorithm, HA.SHA_256)))), RR.InvalidField), /exceeds what sha256 gives \(256 bits\)/);
    assert.match(await fails(V21, OP.DeriveKey, req([pw], [int(Tag.CryptographicLength, 128)], DM.HASH, dparams()), RR.BadCryptographicParameters), /needs a Hashing Algorithm/);
    assert.match(await fails(V21, OP.DeriveKey, req([pw], [int(Tag.CryptographicLength, 128)], DM.NIST800_108_C, dparams()), RR.FeatureNotSupported), /not supported/);
    assert.match(await fails(V21, OP.DeriveKey, req([pw], [int(Tag.CryptographicLength, 128)], DM.ENCRYPT, dparams(bytes(Tag.DerivationData, Buffer.alloc(16)))), RR.UnsupportedCryptographicParameters), /AES Symmetric Key/);
    assert.match(await fails(V21, OP.DeriveKey, [en(Tag.ObjectType, OT.SecretData), uid(pw), en(Tag.DerivationMethod, DM.PBKDF2), struct(Tag.Attributes, [int(Tag.CryptographicLength, 128)])], RR.MissingData), /Derivation Parameters/);
    assert.match(await fails(V21, OP.DeriveKey, req([pw], [int(Tag.CryptographicLength, 100 * 8)], DM.PBKDF2, dp, OT.SymmetricKey), RR.MissingData), /Cryptographic Algorithm/);
    assert.match(await fails(V21, OP.DeriveKey, req([pw], [en(Tag.CryptographicAlgorithm, CA.AES), int(Tag.CryptographicLength, 64)], DM.PBKDF2, dp, OT.SymmetricKey), RR.InvalidField), /128, 192 or 256/);
    await fails(V21, OP.DeriveKey, req([pw], [int(Tag.CryptographicLength, 128)], DM.PBKDF2, dp, OT.PrivateKey), RR.InvalidField);
    await fails(V21, OP.DeriveKey, [...req([pw]), item(Tag.Data, 'ByteString', new Uint8Array(1))], RR.InvalidField);
    // Nothing was stored by the failed requests: the base object has no Derived Key link.
    assert.deepEqual(ctx.objects!.managed!.attributes(pw, ['Link']), []);
  });
});

describe('access control', () => {
  const principal = (name: string, grants: string): Principal => ({ name, grants: parseGrants(grants), sharesWith: [name] });
  const as = (p: Principal) => kmipHarness({ ...ctx, principal: p });
  const data = Buffer.from('who may');

  test('Sign / MAC need the use permission on the key; a key of another client answers like a missing one', async () => {
    const alice = as(principal('alice', 'create,get,use'));
    const bob = as(principal('bob', 'create,get,use'));
    const carol = as(principal('carol', 'create,get'));
    const block = struct(Tag.KeyBlock, [en(Tag.KeyFormatType, KFT.Raw), struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, Buffer.alloc(32, 1))]), en(Tag.CryptographicAlgorithm, CA.HMAC_SHA256), int(Tag.CryptographicLength, 256)]);
    const id = idOf(await alice.ok(V21, OP.Register, [en(Tag.ObjectType, OT.SymmetricKey), struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, UM.MACGenerate | UM.DeriveKey), ACTIVE]), struct(Tag.SymmetricKey, [block])]));
    await alice.ok(V21, OP.MAC, [uid(id), bytes(Tag.Data, data)]);
    const theirs = await bob.fails(V21, OP.MAC, [uid(id), bytes(Tag.Data, data)], RR.PermissionDenied);
    const missing = await bob.fails(V21, OP.MAC, [uid('no-such-id'), bytes(Tag.Data, data)], RR.PermissionDenied);
    assert.equal(theirs.replace(id, 'X'), missing.replace('no-such-id', 'X'), 'the same words whether the key exists or not');
    assert.match(await carol.fails(V21, OP.MAC, [uid(id), bytes(Tag.Data, data)], RR.PermissionDenied), /no use permission/);
    // Derive Key is in the create group (the new object) and uses the base object through the use grant.
    const derive = (h: ReturnType<typeof as>, reason?: number) => {
      const req = [en(Tag.ObjectType, OT.SecretData), uid(id), en(Tag.DerivationMethod, Enum.DerivationMethod.HMAC), struct(Tag.DerivationParameters, [bytes(Tag.DerivationData, data)]), struct(Tag.Attributes, [int(Tag.CryptographicLength, 128)])];
      return reason === undefined ? h.ok(V21, OP.DeriveKey, req) : h.fails(V21, OP.DeriveKey, req, reason);
    };
    await derive(alice);
    assert.match(await derive(bob, RR.PermissionDenied) as string, /client "bob" has no use permission on object/);
    assert.match(await derive(as(principal('erin', 'create,get')), RR.PermissionDenied) as string, /no use permission \(needed to wrap, unwrap or derive/);
    assert.match(await derive(as(principal('dave', 'get,use:all')), RR.PermissionDenied) as string, /no create permission/);
  });
});
