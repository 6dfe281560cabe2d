// Encrypt and Decrypt (issue 8): through processRequest on a real store in a
// temp dir. Known-answer vectors for every cipher (sources in each test),
// the OASIS CS-BC and CS-AC OAEP cases replayed in process, the key rules
// (state, usage mask, dates, Usage Limits, object type), hostile requests
// with their exact Result Reasons, multi-part streams (and whose they are),
// and the `use` permission.
import assert from 'node:assert/strict';
import { constants, createHash, generateKeyPairSync, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { describe, test } from 'node:test';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { item, struct, type StructureItem, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { parseGrants, type Principal } from '../main/access/policy.js';
import { cryptoStreams, CryptoStreams } from '../main/kmip/crypto/streams.js';
import { oaepDecrypt, oaepEncrypt } from '../main/kmip/crypto/rsa-oaep.js';
import { pkcs1v15Decrypt } from '../main/kmip/crypto/rsa-pkcs1.js';
import type { OperationContext } from '../main/kmip/context.js';
import { isRequired, readCases } from './conformance/cases.js';
import { en, field, int, kmipHarness, storeBackedContext, uid, V14, V21, type Version } from './support/kmip-ops.js';
import { FIXED_NOW } from './support/kmip-text-vectors.js';

const NOW = new Date(Number(FIXED_NOW) * 1000);
const { ctx } = storeBackedContext('keyhold-crypto-encrypt-', () => NOW);
const { ok, fails, replay, send } = kmipHarness(ctx);

const OP = Enum.Operation;
const RR = Enum.ResultReason;
const OT = Enum.ObjectType;
const CA = Enum.CryptographicAlgorithm;
const UM = Enum.CryptographicUsageMask;
const KFT = Enum.KeyFormatType;
const BCM = Enum.BlockCipherMode;
const PM = Enum.PaddingMethod;
const HA = Enum.HashingAlgorithm;
const ED = UM.Encrypt | UM.Decrypt;

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const bytes = (tag: number, b: Uint8Array | string): TtlvItem => item(tag, 'ByteString', typeof b === 'string' ? new Uint8Array(hex(b)) : new Uint8Array(b));
const bool = (tag: number, v: boolean): TtlvItem => item(tag, 'Boolean', v);
const date = (tag: number, offsetSeconds: number): TtlvItem => item(tag, 'DateTime', FIXED_NOW + BigInt(offsetSeconds));
const params = (...c: TtlvItem[]): TtlvItem => struct(Tag.CryptographicParameters, c);
const mode = (m: number): TtlvItem => en(Tag.BlockCipherMode, m);
const out = (p: StructureItem, tag: number): string => Buffer.from(field(p, tag)!.value as Uint8Array).toString('hex');
const idOf = (p: StructureItem): string => field(p, Tag.UniqueIdentifier)!.value as string;
const ACTIVE = date(Tag.ActivationDate, -60);

async function registerKey(key: Uint8Array | string, alg: number = CA.AES, usage: number = ED, extra: TtlvItem[] = [ACTIVE], version: Version = V21, objectType: number = OT.SymmetricKey): Promise<string> {
  const k = typeof key === 'string' ? hex(key) : Buffer.from(key);
  const block = struct(Tag.KeyBlock, [en(Tag.KeyFormatType, KFT.Raw), struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, k)]), en(Tag.CryptographicAlgorithm, alg), int(Tag.CryptographicLength, k.length * 8)]);
  const tag = objectType === OT.SecretData ? Tag.SecretData : Tag.SymmetricKey;
  const body = objectType === OT.SecretData ? struct(tag, [en(Tag.SecretDataType, Enum.SecretDataType.Password), block]) : struct(tag, [block]);
  if (version.major < 2) {
    const attr = (name: string, v: TtlvItem): TtlvItem => struct(Tag.Attribute, [item(Tag.AttributeName, 'TextString', name), { ...v, tag: Tag.AttributeValue }]);
    const names: Record<number, string> = { [Tag.ActivationDate]: 'Activation Date', [Tag.ProcessStartDate]: 'Process Start Date', [Tag.ProtectStopDate]: 'Protect Stop Date', [Tag.CryptographicParameters]: 'Cryptographic Parameters' };
    return idOf(await ok(version, OP.Register, [en(Tag.ObjectType, objectType), struct(Tag.TemplateAttribute, [attr('Cryptographic Usage Mask', int(0, usage)), ...extra.map((e) => attr(names[e.tag]!, e))]), body]));
  }
  return idOf(await ok(version, OP.Register, [en(Tag.ObjectType, objectType), struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, usage), ...extra]), body]));
}

async function registerRsa(key: KeyObject, usage: number, extra: TtlvItem[] = [ACTIVE]): Promise<string> {
  const priv = key.type === 'private';
  const der = key.export({ format: 'der', type: 'pkcs1' });
  const block = struct(Tag.KeyBlock, [en(Tag.KeyFormatType, KFT.PKCS_1), struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, der)]), en(Tag.CryptographicAlgorithm, CA.RSA), int(Tag.CryptographicLength, 2048)]);
  return idOf(await ok(V21, OP.Register, [en(Tag.ObjectType, priv ? OT.PrivateKey : OT.PublicKey), struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, usage), ...extra]), struct(priv ? Tag.PrivateKey : Tag.PublicKey, [block])]));
}

const enc = (id: string, ...rest: TtlvItem[]) => ok(V21, OP.Encrypt, [uid(id), ...rest]);
const dec = (id: string, ...rest: TtlvItem[]) => ok(V21, OP.Decrypt, [uid(id), ...rest]);

/** Encrypts, checks the expected cipher text (and tag), decrypts back. */
async function kat(id: string, p: TtlvItem, plain: string, cipher: string, iv?: string, aad?: string, tag?: string): Promise<void> {
  const extra = [...(iv === undefined ? [] : [bytes(Tag.IVCounterNonce, iv)]), ...(aad === undefined ? [] : [bytes(Tag.AuthenticatedEncryptionAdditionalData, aad)])];
  const e = await enc(id, p, bytes(Tag.Data, plain), ...extra);
  assert.equal(out(e, Tag.Data), cipher.replace(/\s+/g, '').toLowerCase());
  if (tag !== undefined) assert.equal(out(e, Tag.AuthenticatedEncryptionTag), tag);
  else assert.equal(field(e, Tag.AuthenticatedEncryptionTag), undefined);
  assert.equal(field(e, Tag.IVCounterNonce), undefined, 'a client IV is not echoed');
  const d = await dec(id, p, bytes(Tag.Data, cipher), ...extra, ...(tag === undefined ? [] : [bytes(Tag.AuthenticatedEncryptionTag, tag)]));
  assert.equal(out(d, Tag.Data), plain.replace(/\s+/g, '').toLowerCase());
}

// NIST SP 800-38A Appendix F test data (the four-block plaintext).
const SP38A_PLAIN = '6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51';
const SP38A_K128 = '2b7e151628aed2a6abf7158809cf4f3c';
const SUNSCREEN = Buffer.from("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.").toString('hex');

describe('known-answer vectors through Encrypt and Decrypt', () => {
  test('AES-128-ECB and AES-256-ECB (SP 800-38A F.1.1, F.1.5)', async () => {
    await kat(await registerKey(SP38A_K128), params(mode(BCM.ECB)), SP38A_PLAIN, '3ad77bb40d7a3660a89ecaf32466ef97 f5d3d58503b9699de785895a96fdbaaf');
    const k256 = await registerKey('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4');
    await kat(k256, params(mode(BCM.ECB)), '6bc1bee22e409f96e93d7e117393172a', 'f3eed1bdb5d2a03c064b5a7e3db181f8');
  });

  test('AES-128-CBC without padding (SP 800-38A F.2.1), and PKCS5 padding adds a block', async () => {
    const id = await registerKey(SP38A_K128);
    await kat(id, params(mode(BCM.CBC)), SP38A_PLAIN, '7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2', '000102030405060708090a0b0c0d0e0f');
    const padded = await enc(id, params(mode(BCM.CBC), en(Tag.PaddingMethod, PM.PKCS5)), bytes(Tag.Data, SP38A_PLAIN), bytes(Tag.IVCounterNonce, '000102030405060708090a0b0c0d0e0f'));
    assert.equal(out(padded, Tag.Data).length, 96, 'two blocks and a full padding block');
    assert.ok(out(padded, Tag.Data).startsWith('7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2'));
  });

  test('AES-128-CTR with a 16-byte counter block (SP 800-38A F.5.1) and RFC 3686 nonce + IV + Initial Counter Value', async () => {
    await kat(await registerKey(SP38A_K128), params(mode(BCM.CTR)), SP38A_PLAIN, '874d6191b620e3261bef6864990db6ce 9806f66b7970fdff8617187bb9fffdff', 'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff');
    // RFC 3686 §6 Test Vector #2: nonce 006CB6DB, IV C0543B59DA48D90B, counter from 1.
    const rfc = await registerKey('7E24067817FAE0D743D6CE1F32539163');
    const c = '5104A106168A72D9790D41EE8EDAD388EB2E1EFC46DA57C8FCE630DF9141BE28';
    await kat(rfc, params(mode(BCM.CTR), int(Tag.InitialCounterValue, 1)), '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F', c, '006CB6DBC0543B59DA48D90B');
    // The Initial Counter Value defaults to 1 (2.1 §4.16: "for [RFC3686] it is 1"); 0 gives another stream.
    await kat(rfc, params(mode(BCM.CTR)), '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F', c, '006CB6DBC0543B59DA48D90B');
    const zero = await enc(rfc, params(mode(BCM.CTR), int(Tag.InitialCounterValue, 0)), bytes(Tag.Data, '000102030405060708090A0B0C0D0E0F'), bytes(Tag.IVCounterNonce, '006CB6DBC0543B59DA48D90B'));
    assert.notEqual(out(zero, Tag.Data), c.slice(0, 32).toLowerCase());
  });

  test('AES-128-GCM with additional data (McGrew & Viega test case 4, as in SP 800-38D), truncated tag, tampering', async () => {
    const id = await registerKey('feffe9928665731c6d6a8f9467308308');
    const p = 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39';
    const c = '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091';
    const iv = 'cafebabefacedbaddecaf888';
    const aad = 'feedfacedeadbeeffeedfacedeadbeefabaddad2';
    await kat(id, params(mode(BCM.GCM), int(Tag.TagLength, 16)), p, c, iv, aad, '5bc94fbc3221a5db94fae95ae7121a47');
    await kat(id, params(mode(BCM.GCM), int(Tag.TagLength, 12)), p, c, iv, aad, '5bc94fbc3221a5db94fae95a');
    const bad = [uid(id), params(mode(BCM.GCM)), bytes(Tag.Data, c), bytes(Tag.IVCounterNonce, iv), bytes(Tag.AuthenticatedEncryptionAdditionalData, aad)];
    await fails(V21, OP.Decrypt, [...bad, bytes(Tag.AuthenticatedEncryptionTag, '5bc94fbc3221a5db94fae95ae7121a48')], RR.CryptographicFailure);
    await fails(V21, OP.Decrypt, [...bad.slice(0, 4), bytes(Tag.AuthenticatedEncryptionAdditionalData, 'feed'), bytes(Tag.AuthenticatedEncryptionTag, '5bc94fbc3221a5db94fae95ae7121a47')], RR.CryptographicFailure);
  });

  test('AES-128-XTS from a 256-bit AES key (IEEE 1619-2007 Annex B vector 2)', async () => {
    const id = await registerKey('11111111111111111111111111111111 22222222222222222222222222222222');
    // Data unit sequence number 0x3333333333, as the 16-byte little-endian tweak.
    await kat(id, params(mode(BCM.XTS)), '44'.repeat(32), 'c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0', '33333333330000000000000000000000');
  });

  test('ChaCha20 with a 12-byte nonce and Initial Counter Value 1 (RFC 8439 §2.4.2)', async () => {
    const id = await registerKey(Buffer.from(Array.from({ length: 32 }, (_, i) => i)), CA.ChaCha20);
    const c = '6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d';
    await kat(id, params(int(Tag.InitialCounterValue, 1)), SUNSCREEN, c, '000000000000004a00000000');
  });

  test('ChaCha20-Poly1305 (RFC 8439 §2.8.2)', async () => {
    const id = await registerKey('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f', CA.ChaCha20Poly1305);
    const c =
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116';
    await kat(id, params(mode(BCM.AEAD)), SUNSCREEN, c, '070000004041424344454647', '50515253c0c1c2c3c4c5c6c7', '1ae10b594f09e26a7e902ecbd0600691');
  });

  describe('RSA', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const oaep = (hash: number, mgf?: number, label?: string): TtlvItem =>
      params(en(Tag.PaddingMethod, PM.OAEP), en(Tag.HashingAlgorithm, hash), ...(mgf === undefined ? [] : [en(Tag.MaskGenerator, Enum.MaskGenerator.MGF1), en(Tag.MaskGeneratorHashingAlgorithm, mgf)]), ...(label === undefined ? [] : [bytes(Tag.PSource, label)]));

    test('OAEP with SHA-1, SHA-256, and SHA-384 over MGF1-SHA-256 with a label: encrypt with the Public Key, node decrypts; decrypt with the Private Key', async () => {
      const pub = await registerRsa(publicKey, UM.Encrypt);
      const priv = await registerRsa(privateKey, UM.Decrypt);
      for (const [h, name] of [[HA.SHA_1, 'sha1'], [HA.SHA_256, 'sha256']] as const) {
        const c = await enc(pub, oaep(h), bytes(Tag.Data, '00112233'));
        assert.equal(out(c, Tag.Data).length, 512);
        assert.equal(privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: name }, hex(out(c, Tag.Data))).toString('hex'), '00112233');
        assert.equal(out(await dec(priv, oaep(h), bytes(Tag.Data, out(c, Tag.Data))), Tag.Data), '00112233');
      }
      // Different hashes: encoded here (rsa-oaep.ts); decoded by the same code and refused under another label.
      const c = await enc(pub, oaep(HA.SHA_384, HA.SHA_256, 'abcd'), bytes(Tag.Data, 'cafe'));
      assert.equal(out(await dec(priv, oaep(HA.SHA_384, HA.SHA_256, 'abcd'), bytes(Tag.Data, out(c, Tag.Data))), Tag.Data), 'cafe');
      await fails(V21, OP.Decrypt, [uid(priv), oaep(HA.SHA_384, HA.SHA_256, 'abce'), bytes(Tag.Data, out(c, Tag.Data))], RR.CryptographicFailure);
      await fails(V21, OP.Decrypt, [uid(priv), oaep(HA.SHA_256), bytes(Tag.Data, '00'.repeat(256))], RR.CryptographicFailure);
      await fails(V21, OP.Encrypt, [uid(pub), oaep(HA.SHA_256), bytes(Tag.Data, '00'.repeat(191))], RR.InvalidField);
    });

    test('the separate-hash OAEP encoder agrees with node where the hashes are equal, and its decoder rejects tampering', () => {
      const c = oaepEncrypt(publicKey, hex('0badcafe'), 'sha256', 'sha256', hex('4c'));
      assert.equal(privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: hex('4c') }, c).toString('hex'), '0badcafe');
      assert.equal(oaepDecrypt(privateKey, c, 'sha256', 'sha256', hex('4c'))?.toString('hex'), '0badcafe');
      const t = Buffer.from(c);
      t[10]! ^= 1;
      assert.equal(oaepDecrypt(privateKey, t, 'sha256', 'sha256', hex('4c')), undefined);
      assert.equal(oaepDecrypt(privateKey, c, 'sha256', 'sha1', hex('4c')), undefined);
    });

    test('PKCS#1 v1.5: encryption gives 00 02 PS 00 M; decryption returns M, and a bad padding a synthetic message, never an error (implicit rejection)', async () => {
      const pub = await registerRsa(publicKey, UM.Encrypt);
      const priv = await registerRsa(privateKey, UM.Decrypt);
      const p = params(en(Tag.PaddingMethod, PM.PKCS1V1_5));
      const c = await enc(pub, p, bytes(Tag.Data, 'c0ffee'));
      const em = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, hex(out(c, Tag.Data)));
      assert.equal(em.subarray(0, 2).toString('hex'), '0002');
      assert.ok(!em.subarray(2, 256 - 4).includes(0), 'nonzero padding');
      assert.equal(em.subarray(256 - 4).toString('hex'), '00c0ffee');
      assert.equal(out(await dec(priv, p, bytes(Tag.Data, out(c, Tag.Data))), Tag.Data), 'c0ffee');
      // Ciphertexts made outside (node's publicEncrypt), of every length up to the limit k - 11.
      for (const len of [0, 1, 16, 100, 245]) {
        const m = Buffer.alloc(len, 0x5a);
        const outside = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, m);
        assert.equal(out(await dec(priv, p, bytes(Tag.Data, outside.toString('hex'))), Tag.Data), m.toString('hex'), `length ${len}`);
      }
      // Wrong paddings (raw RSA of chosen encoded messages): each answers Success with a synthetic
      // message, the same one every time for the same cipher text, and different cipher texts differ.
      const raw = (encoded: Buffer) => publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, encoded).toString('hex');
      const good = Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(250, 0x11), Buffer.from([0]), Buffer.from('c0ffee', 'hex')]);
      const wrong = {
        'block type 01': Buffer.concat([Buffer.from([0, 1]), good.subarray(2)]),
        'leading byte 01': Buffer.concat([Buffer.from([1]), good.subarray(1)]),
        'no zero separator': Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(254, 0x11)]),
        'padding of 7 bytes': Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(7, 0x11), Buffer.from([0]), Buffer.alloc(246, 0x22)]),
      };
      assert.equal(out(await dec(priv, p, bytes(Tag.Data, raw(good))), Tag.Data), 'c0ffee', 'the hand-made good encoding decrypts');
      const seen = new Set<string>();
      for (const [what, encoded] of Object.entries(wrong)) {
        const first = out(await dec(priv, p, bytes(Tag.Data, raw(encoded))), Tag.Data);
        assert.equal(out(await dec(priv, p, bytes(Tag.Data, raw(encoded))), Tag.Data), first, `${what}: deterministic`);
        assert.notEqual(first, 'c0ffee', what);
        assert.ok(first.length / 2 <= 245, `${what}: at most k - 11 bytes`);
        assert.ok(!seen.has(first), `${what}: its own synthetic message`);
        seen.add(first);
      }
      // The cipher text length is public: a wrong one is refused as such.
      await fails(V21, OP.Decrypt, [uid(priv), p, bytes(Tag.Data, '00'.repeat(255))], RR.InvalidField);
      await fails(V21, OP.Encrypt, [uid(pub), params()], RR.InvalidMessage);
      await fails(V21, OP.Encrypt, [uid(pub), params(), bytes(Tag.Data, '00')], RR.BadCryptographicParameters);
    });

    test('implicit rejection: the synthetic message depends on the private key (another key, another message)', () => {
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const c = publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(254, 0x33)]));
      const a = pkcs1v15Decrypt(privateKey, c);
      assert.deepEqual(pkcs1v15Decrypt(privateKey, c), a);
      // The same bytes under another key of the same size: whatever they decrypt to, not the same synthetic message.
      assert.notDeepEqual(pkcs1v15Decrypt(other.privateKey, c), a);
      assert.throws(() => pkcs1v15Decrypt(privateKey, c.subarray(1)), /256 bytes/);
    });
  });
});

describe('OASIS CS-BC and CS-AC OAEP cases, replayed in process', () => {
  for (const c of readCases().filter((x) => isRequired(x) && (x.family === 'CS-BC' || /OAEP/.test(x.path)))) {
    test(c.path, async () => assert.equal(await replay(c.path), undefined));
  }
});

describe('key rules', () => {
  const P = params(mode(BCM.ECB));
  const block = bytes(Tag.Data, '00'.repeat(16));

  test('state: Pre-Active nothing; Deactivated and Compromised decrypt only; Destroyed nothing (2.1 Wrong Key Lifecycle State, 1.4 Permission Denied)', async () => {
    const pre = await registerKey(SP38A_K128, CA.AES, ED, []);
    await fails(V21, OP.Encrypt, [uid(pre), P, block], RR.WrongKeyLifecycleState);
    await fails(V21, OP.Decrypt, [uid(pre), P, block], RR.WrongKeyLifecycleState);
    await fails(V14, OP.Encrypt, [uid(pre), P, block], RR.PermissionDenied);
    for (const reason of [Enum.RevocationReasonCode.CessationOfOperation, Enum.RevocationReasonCode.KeyCompromise]) {
      const id = await registerKey(SP38A_K128);
      await ok(V21, OP.Revoke, [uid(id), struct(Tag.RevocationReason, [en(Tag.RevocationReasonCode, reason)]), ...(reason === Enum.RevocationReasonCode.KeyCompromise ? [date(Tag.CompromiseOccurrenceDate, -10)] : [])]);
      await fails(V21, OP.Encrypt, [uid(id), P, block], RR.WrongKeyLifecycleState);
      assert.equal(out(await dec(id, P, bytes(Tag.Data, '3ad77bb40d7a3660a89ecaf32466ef97')), Tag.Data), '6bc1bee22e409f96e93d7e117393172a');
      await ok(V21, OP.Destroy, [uid(id)]);
      const m = await fails(V21, OP.Decrypt, [uid(id), P, block], RR.WrongKeyLifecycleState);
      assert.match(m, /Destroyed/);
    }
  });

  test('usage mask: each direction needs its bit (2.1 Incompatible Cryptographic Usage Mask, 1.4 Permission Denied)', async () => {
    const encOnly = await registerKey(SP38A_K128, CA.AES, UM.Encrypt);
    await enc(encOnly, P, block);
    await fails(V21, OP.Decrypt, [uid(encOnly), P, block], RR.IncompatibleCryptographicUsageMask);
    await fails(V14, OP.Decrypt, [uid(encOnly), P, block], RR.PermissionDenied);
    const decOnly = await registerKey(SP38A_K128, CA.AES, UM.Decrypt);
    await fails(V21, OP.Encrypt, [uid(decOnly), P, block], RR.IncompatibleCryptographicUsageMask);
    await dec(decOnly, P, block);
  });

  test('Process Start Date in the future stops Decrypt only; Protect Stop Date in the past stops Encrypt only', async () => {
    const later = await registerKey(SP38A_K128, CA.AES, ED, [ACTIVE, date(Tag.ProcessStartDate, 3600)]);
    await enc(later, P, block);
    await fails(V21, OP.Decrypt, [uid(later), P, block], RR.WrongKeyLifecycleState);
    const stopped = await registerKey(SP38A_K128, CA.AES, ED, [ACTIVE, date(Tag.ProtectStopDate, -1)], V14);
    await fails(V14, OP.Encrypt, [uid(stopped), P, block], RR.PermissionDenied);
    await ok(V14, OP.Decrypt, [uid(stopped), P, block]);
  });

  test('Usage Limits in Objects: each Encrypt takes one; Decrypt takes none; the count is kept', async () => {
    const limits = struct(Tag.UsageLimits, [item(Tag.UsageLimitsTotal, 'LongInteger', 2n), en(Tag.UsageLimitsUnit, Enum.UsageLimitsUnit.Object)]);
    const id = await registerKey(SP38A_K128, CA.AES, ED, [ACTIVE, limits]);
    await enc(id, P, block);
    await dec(id, P, block);
    await enc(id, P, block);
    const m = await fails(V21, OP.Encrypt, [uid(id), P, block], RR.PermissionDenied);
    assert.match(m, /0 uses left/);
    const attrs = await ok(V21, OP.GetAttributes, [uid(id), struct(Tag.AttributeReference, [en(Tag.AttributeReference, Tag.UsageLimits)]).value[0]!]);
    const ul = (field(attrs, Tag.Attributes) as StructureItem).value.find((c) => c.tag === Tag.UsageLimits) as StructureItem;
    assert.deepEqual(field(ul, Tag.UsageLimitsCount), item(Tag.UsageLimitsCount, 'LongInteger', 0n));
  });

  test('object type: Secret Data, a Public Key for Decrypt, an HMAC key, a missing object', async () => {
    const secret = await registerKey('00'.repeat(16), CA.AES, ED, [ACTIVE], V21, OT.SecretData);
    await fails(V21, OP.Encrypt, [uid(secret), P, block], RR.InvalidObjectType);
    await fails(V14, OP.Encrypt, [uid(secret), P, block], RR.PermissionDenied);
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await fails(V21, OP.Decrypt, [uid(await registerRsa(publicKey, ED)), block], RR.InvalidObjectType);
    const hmac = await registerKey('00'.repeat(32), CA.HMAC_SHA256, ED);
    await fails(V21, OP.Encrypt, [uid(hmac), P, block], RR.UnsupportedCryptographicParameters);
    await fails(V21, OP.Encrypt, [uid('no-such-key'), P, block], RR.ObjectNotFound);
    await fails(V14, OP.Encrypt, [uid('no-such-key'), P, block], RR.ItemNotFound);
  });
});

describe('hostile requests', () => {
  test('each fault has its Result Reason and a message naming the field', async () => {
    const id = await registerKey(SP38A_K128);
    const cbc = params(mode(BCM.CBC));
    const d16 = bytes(Tag.Data, '00'.repeat(16));
    const cases: [number, TtlvItem[], number, RegExp][] = [
      [OP.Encrypt, [cbc, d16, bytes(Tag.IVCounterNonce, '00'.repeat(15))], RR.BadCryptographicParameters, /16 bytes, not 15/],
      [OP.Encrypt, [cbc, d16], RR.InvalidMessage, /IV\/Counter\/Nonce/],
      [OP.Decrypt, [cbc, d16], RR.InvalidMessage, /IV\/Counter\/Nonce/],
      [OP.Encrypt, [cbc, bytes(Tag.IVCounterNonce, '00'.repeat(16))], RR.InvalidMessage, /needs Data/],
      [OP.Encrypt, [params(), d16], RR.BadCryptographicParameters, /Block Cipher Mode/],
      [OP.Encrypt, [params(mode(BCM.OFB)), d16], RR.UnsupportedCryptographicParameters, /OFB/],
      [OP.Encrypt, [params(item(Tag.BlockCipherMode, 'Enumeration', 0x99)), d16], RR.InvalidField, /Block Cipher Mode 0x99/],
      [OP.Encrypt, [params(mode(BCM.ECB), en(Tag.PaddingMethod, PM.OAEP)), d16], RR.UnsupportedCryptographicParameters, /Padding Method/],
      [OP.Encrypt, [params(mode(BCM.GCM), int(Tag.TagLength, 8)), d16, bytes(Tag.IVCounterNonce, '00'.repeat(12))], RR.BadCryptographicParameters, /Tag Length 8/],
      [OP.Decrypt, [params(mode(BCM.GCM), int(Tag.TagLength, 12)), d16, bytes(Tag.IVCounterNonce, '00'.repeat(12)), bytes(Tag.AuthenticatedEncryptionTag, '00'.repeat(16))], RR.BadCryptographicParameters, /Tag Length is 12/],
      [OP.Decrypt, [params(mode(BCM.GCM)), d16, bytes(Tag.IVCounterNonce, '00'.repeat(12))], RR.InvalidMessage, /Authenticated Encryption Tag/],
      [OP.Encrypt, [params(mode(BCM.ECB)), bytes(Tag.Data, '00'.repeat(15))], RR.InvalidField, /whole 16-byte blocks/],
      [OP.Decrypt, [params(mode(BCM.ECB), en(Tag.PaddingMethod, PM.PKCS5)), d16], RR.CryptographicFailure, /bad padding/],
      [OP.Encrypt, [params(mode(BCM.ECB)), d16, bytes(Tag.AuthenticatedEncryptionAdditionalData, '00')], RR.BadCryptographicParameters, /not an authenticated mode/],
      [OP.Encrypt, [params(mode(BCM.ECB)), item(Tag.Data, 'TextString', 'x')], RR.InvalidMessage, /Data must be a ByteString/],
      [OP.Encrypt, [params(mode(BCM.ECB)), d16, item(Tag.KeyFormatType, 'Enumeration', 1)], RR.InvalidField, /unexpected field/],
      [OP.Encrypt, [params(mode(BCM.ECB), int(Tag.IVLength, -8)), d16], RR.BadCryptographicParameters, /IV Length -8/],
      // A server-made IV is bounded: a huge IV Length must not make the server allocate it.
      [OP.Encrypt, [params(mode(BCM.GCM), bool(Tag.RandomIV, true), int(Tag.IVLength, 1 << 30)), d16], RR.BadCryptographicParameters, /IV Length 1073741824 bits is out of range/],
      [OP.Encrypt, [params(mode(BCM.ECB)), d16, bool(Tag.InitIndicator, true), bytes(Tag.CorrelationValue, '00')], RR.InvalidMessage, /Init Indicator/],
      [OP.Encrypt, [params(mode(BCM.ECB)), d16, bool(Tag.FinalIndicator, true)], RR.InvalidMessage, /Correlation Value/],
      [OP.Encrypt, [params(mode(BCM.ECB), en(Tag.CryptographicAlgorithm, CA.RSA)), d16], RR.BadCryptographicParameters, /RSA/],
    ];
    for (const [op, payload, reason, msg] of cases) assert.match(await fails(V21, op, [uid(id), ...payload], reason), msg);
    // 1.x has none of the 2.x parameter reasons: Invalid Field.
    await fails(V14, OP.Encrypt, [uid(id), cbc, d16, bytes(Tag.IVCounterNonce, '00'.repeat(15))], RR.InvalidField);
    await fails(V14, OP.Encrypt, [uid(id), params(mode(BCM.OFB)), d16], RR.InvalidField);
  });

  test('Random IV: the server makes one of the right length, returns it, and Decrypt needs it back', async () => {
    const id = await registerKey(SP38A_K128, CA.AES, ED, [ACTIVE, params(mode(BCM.CBC), en(Tag.PaddingMethod, PM.PKCS5), bool(Tag.RandomIV, true))]);
    const a = await enc(id, bytes(Tag.Data, 'abcdef'));
    const b = await enc(id, bytes(Tag.Data, 'abcdef'));
    assert.equal(out(a, Tag.IVCounterNonce).length, 32);
    assert.notEqual(out(a, Tag.IVCounterNonce), out(b, Tag.IVCounterNonce));
    await fails(V21, OP.Decrypt, [uid(id), bytes(Tag.Data, out(a, Tag.Data))], RR.InvalidMessage);
    assert.equal(out(await dec(id, bytes(Tag.Data, out(a, Tag.Data)), bytes(Tag.IVCounterNonce, out(a, Tag.IVCounterNonce))), Tag.Data), 'abcdef');
    // The key is kept for CBC (finding 4): a GCM request under it is refused; a GCM key makes GCM IVs.
    await fails(V21, OP.Encrypt, [uid(id), params(mode(BCM.GCM), int(Tag.IVLength, 96)), bytes(Tag.Data, 'abcdef')], RR.BadCryptographicParameters);
    const gk = await registerKey(SP38A_K128, CA.AES, ED, [ACTIVE, params(mode(BCM.GCM), en(Tag.PaddingMethod, PM.None), bool(Tag.RandomIV, true))]);
    const g = await enc(gk, params(mode(BCM.GCM), en(Tag.PaddingMethod, PM.None), int(Tag.IVLength, 96)), bytes(Tag.Data, 'abcdef'));
    assert.equal(out(g, Tag.IVCounterNonce).length, 24);
    assert.equal(out(g, Tag.AuthenticatedEncryptionTag).length, 32);
    assert.equal(out(await enc(gk, bytes(Tag.Data, 'ab')), Tag.IVCounterNonce).length, 24, 'GCM default: 96 bits');
    assert.equal(out(await enc(gk, params(int(Tag.IVLength, 128)), bytes(Tag.Data, 'ab')), Tag.IVCounterNonce).length, 32);
    // A server-made GCM IV under 96 bits would repeat under one key (finding 11); a client's own short IV is its business.
    for (const bits of [8, 64, 88]) {
      assert.match(await fails(V21, OP.Encrypt, [uid(gk), params(int(Tag.IVLength, bits)), bytes(Tag.Data, 'ab')], RR.BadCryptographicParameters), /IV Length 96 or more/);
    }
    await fails(V14, OP.Encrypt, [uid(gk), params(int(Tag.IVLength, 64)), bytes(Tag.Data, 'ab')], RR.InvalidField);
    await enc(gk, bytes(Tag.IVCounterNonce, '0011223344556677'), bytes(Tag.Data, 'ab'));
    const ck = await registerKey('00'.repeat(32), CA.ChaCha20Poly1305, ED, [ACTIVE, params(bool(Tag.RandomIV, true))]);
    assert.equal(out(await enc(ck, bytes(Tag.Data, 'ab')), Tag.IVCounterNonce).length, 24);
    await fails(V21, OP.Encrypt, [uid(ck), params(int(Tag.IVLength, 64)), bytes(Tag.Data, 'ab')], RR.BadCryptographicParameters);
    // Server-made IVs come from a pooled buffer (random-pool.ts): across pool refills, never one twice.
    const ivs = new Set<string>();
    for (let i = 0; i < 400; i++) ivs.add(out(await enc(gk, params(mode(BCM.GCM), en(Tag.PaddingMethod, PM.None), int(Tag.IVLength, 96)), bytes(Tag.Data, 'ab')), Tag.IVCounterNonce));
    assert.equal(ivs.size, 400);
    assert.ok(![...ivs].includes('00'.repeat(12)));
  });
});

describe('multi-part streams', () => {
  const gcm = params(mode(BCM.GCM), int(Tag.TagLength, 16));
  const iv = bytes(Tag.IVCounterNonce, 'cafebabefacedbaddecaf888');
  const P = 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39';

  test('GCM in three parts gives the single-part cipher text and tag; Decrypt in parts with the tag up front', async () => {
    const id = await registerKey('feffe9928665731c6d6a8f9467308308');
    const one = await enc(id, gcm, bytes(Tag.Data, P), iv);
    const a = await enc(id, gcm, bytes(Tag.Data, P.slice(0, 10)), iv, bool(Tag.InitIndicator, true));
    const cv = field(a, Tag.CorrelationValue)!;
    assert.equal((cv.value as Uint8Array).length, 16);
    const b = await enc(id, bytes(Tag.Data, P.slice(10, 70)), cv);
    const c = await enc(id, bytes(Tag.Data, P.slice(70)), cv, bool(Tag.FinalIndicator, true));
    assert.equal(out(a, Tag.Data) + out(b, Tag.Data) + out(c, Tag.Data), out(one, Tag.Data));
    assert.equal(out(c, Tag.AuthenticatedEncryptionTag), out(one, Tag.AuthenticatedEncryptionTag));
    assert.equal(field(c, Tag.CorrelationValue), undefined);
    await fails(V21, OP.Encrypt, [uid(id), bytes(Tag.Data, '00'), cv], RR.InvalidCorrelationValue);
    // Decrypt: tag on the first part; no plaintext leaves before the Final part has checked it (review finding 5).
    const C = out(one, Tag.Data);
    const tag = bytes(Tag.AuthenticatedEncryptionTag, out(one, Tag.AuthenticatedEncryptionTag));
    const d1 = await dec(id, gcm, bytes(Tag.Data, C.slice(0, 50)), iv, tag, bool(Tag.InitIndicator, true));
    const dcv = field(d1, Tag.CorrelationValue)!;
    const d2 = await dec(id, bytes(Tag.Data, C.slice(50, 90)), dcv);
    assert.equal(out(d1, Tag.Data) + out(d2, Tag.Data), '', 'nothing before the tag is verified');
    assert.equal(cryptoStreams.heldBytes, 45, 'the 45 bytes so far are held in the stream');
    const d3 = await dec(id, bytes(Tag.Data, C.slice(90)), dcv, bool(Tag.FinalIndicator, true));
    assert.equal(out(d3, Tag.Data), P, 'the Final part returns the whole plaintext, as single-part Decrypt does');
    assert.equal(out(await dec(id, gcm, bytes(Tag.Data, C), iv, tag), Tag.Data), P);
    assert.equal(cryptoStreams.heldBytes, 0);
    // A wrong tag: the init and middle parts return nothing, the Final part Cryptographic Failure, and the stream is gone.
    const badTag = bytes(Tag.AuthenticatedEncryptionTag, '00'.repeat(16));
    const e1 = await dec(id, gcm, bytes(Tag.Data, C.slice(0, 60)), iv, badTag, bool(Tag.InitIndicator, true));
    assert.equal(out(e1, Tag.Data), '', 'a wrong tag gives no plaintext at init');
    const e2 = await dec(id, bytes(Tag.Data, C.slice(60)), field(e1, Tag.CorrelationValue)!);
    assert.equal(out(e2, Tag.Data), '');
    await fails(V21, OP.Decrypt, [uid(id), bytes(Tag.Data, ''), field(e1, Tag.CorrelationValue)!, bool(Tag.FinalIndicator, true)], RR.CryptographicFailure);
    await fails(V21, OP.Decrypt, [uid(id), bytes(Tag.Data, ''), field(e1, Tag.CorrelationValue)!, bool(Tag.FinalIndicator, true)], RR.InvalidCorrelationValue);
    assert.equal(cryptoStreams.heldBytes, 0, 'the failed stream\'s held plaintext is released');
    // Non-AEAD modes stream their output as before.
    const ctrIv = bytes(Tag.IVCounterNonce, 'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff');
    const ctr = params(mode(BCM.CTR));
    const ctrOne = out(await enc(id, ctr, bytes(Tag.Data, P), ctrIv), Tag.Data);
    const c1 = await dec(id, ctr, bytes(Tag.Data, ctrOne.slice(0, 40)), ctrIv, bool(Tag.InitIndicator, true));
    assert.equal(out(c1, Tag.Data), P.slice(0, 40));
    await dec(id, bytes(Tag.Data, ctrOne.slice(40)), field(c1, Tag.CorrelationValue)!, bool(Tag.FinalIndicator, true));
  });

  test('ChaCha20-Poly1305 Decrypt in three parts: nothing before the tag, the single-part plaintext at the end; a wrong tag gives nothing', async () => {
    const id = await registerKey('80818283848586878889' + '8a8b8c8d8e8f909192939495969798999a9b9c9d9e9f', CA.ChaCha20Poly1305);
    const nonce = bytes(Tag.IVCounterNonce, '070000004041424344454647');
    const aad = bytes(Tag.AuthenticatedEncryptionAdditionalData, '50515253c0c1c2c3c4c5c6c7');
    const plain = Buffer.from('Ladies and Gentlemen of the class of \'99: If I could offer you only one tip for the future, sunscreen would be it.').toString('hex');
    const e = await enc(id, bytes(Tag.Data, plain), nonce, aad);
    const C = out(e, Tag.Data);
    const run = async (tagHex: string): Promise<string[]> => {
      const t = bytes(Tag.AuthenticatedEncryptionTag, tagHex);
      const a = await dec(id, bytes(Tag.Data, C.slice(0, 30)), nonce, aad, t, bool(Tag.InitIndicator, true));
      const cv = field(a, Tag.CorrelationValue)!;
      const b = await dec(id, bytes(Tag.Data, C.slice(30, 100)), cv);
      return [out(a, Tag.Data), out(b, Tag.Data), out(await dec(id, bytes(Tag.Data, C.slice(100)), cv, bool(Tag.FinalIndicator, true)), Tag.Data)];
    };
    assert.deepEqual(await run(out(e, Tag.AuthenticatedEncryptionTag)), ['', '', plain]);
    const a = await dec(id, bytes(Tag.Data, C.slice(0, 30)), nonce, aad, bytes(Tag.AuthenticatedEncryptionTag, 'ff'.repeat(16)), bool(Tag.InitIndicator, true));
    assert.equal(out(a, Tag.Data), '');
    assert.match(await fails(V21, OP.Decrypt, [uid(id), bytes(Tag.Data, C.slice(30)), field(a, Tag.CorrelationValue)!, bool(Tag.FinalIndicator, true)], RR.CryptographicFailure), /authentication failed/);
    assert.equal(cryptoStreams.heldBytes, 0);
  });

  test('a multi-part AEAD Decrypt counts what it holds: beyond the budget, Server Limit Exceeded (1.x Permission Denied) and the stream is gone', async () => {
    const id = await registerKey('feffe9928665731c6d6a8f9467308308');
    const mib = 1024 * 1024;
    const tag = bytes(Tag.AuthenticatedEncryptionTag, '00'.repeat(16));
    // Two streams of this (in-process) client holding 16 MiB each, counted only (nothing allocated): the client's 32 MiB are spent.
    const owner = { client: undefined, operation: OP.Decrypt, keyId: 'filler' };
    const oc = { protocolVersion: { major: 2, minor: 1 } } as OperationContext;
    const fill = [cryptoStreams.open(oc, owner, 'x'), cryptoStreams.open(oc, owner, 'y')];
    for (const f of fill) cryptoStreams.reserveHeld(oc, f, 16 * mib, 'filler');
    const before = cryptoStreams.size;
    try {
      assert.match(await fails(V21, OP.Decrypt, [uid(id), gcm, iv, tag, bytes(Tag.Data, '00'.repeat(32)), bool(Tag.InitIndicator, true)], RR.ServerLimitExceeded), /this client's open multi-part operations already hold 32 MiB/);
      await fails(V14, OP.Decrypt, [uid(id), gcm, iv, tag, bytes(Tag.Data, '00'.repeat(32)), bool(Tag.InitIndicator, true)], RR.PermissionDenied);
      assert.equal(cryptoStreams.size, before, 'the refused stream is not left open');
      // Room for a stream of 16 bytes, then its next part goes over: the stream is aborted.
      cryptoStreams.abort(fill.pop()!);
      const g = cryptoStreams.open(oc, owner, 'z');
      cryptoStreams.reserveHeld(oc, g, 16 * mib - 16, 'filler');
      const a = await dec(id, gcm, iv, tag, bytes(Tag.Data, '00'.repeat(16)), bool(Tag.InitIndicator, true));
      assert.equal(out(a, Tag.Data), '');
      const cv = field(a, Tag.CorrelationValue)!;
      assert.match(await fails(V21, OP.Decrypt, [uid(id), bytes(Tag.Data, '00'.repeat(16)), cv], RR.ServerLimitExceeded), /already hold 32 MiB/);
      await fails(V21, OP.Decrypt, [uid(id), bytes(Tag.Data, ''), cv, bool(Tag.FinalIndicator, true)], RR.InvalidCorrelationValue);
      cryptoStreams.abort(g);
    } finally {
      for (const f of fill) cryptoStreams.abort(f);
    }
    assert.equal(cryptoStreams.heldBytes, 0);
  });

  test('CBC with PKCS5 padding across parts of odd sizes', async () => {
    const id = await registerKey(SP38A_K128);
    const p = params(mode(BCM.CBC), en(Tag.PaddingMethod, PM.PKCS5));
    const ivb = bytes(Tag.IVCounterNonce, '000102030405060708090a0b0c0d0e0f');
    const data = 'ab'.repeat(45);
    const one = out(await enc(id, p, bytes(Tag.Data, data), ivb), Tag.Data);
    const a = await enc(id, p, bytes(Tag.Data, data.slice(0, 14)), ivb, bool(Tag.InitIndicator, true));
    assert.equal(out(a, Tag.Data), '', 'less than a block: nothing yet');
    const b = await enc(id, bytes(Tag.Data, data.slice(14)), field(a, Tag.CorrelationValue)!, bool(Tag.FinalIndicator, true));
    assert.equal(out(b, Tag.Data), one);
  });

  test('a correlation value is the opener\'s: another key, another operation, a stranger\'s value, a revoked key', async () => {
    const id = await registerKey(SP38A_K128);
    const other = await registerKey(SP38A_K128);
    const ecb = params(mode(BCM.ECB));
    const a = await enc(id, ecb, bytes(Tag.Data, '00'.repeat(16)), bool(Tag.InitIndicator, true));
    const cv = field(a, Tag.CorrelationValue)!;
    const unknown = await fails(V21, OP.Encrypt, [uid(id), bytes(Tag.Data, '00'), bytes(Tag.CorrelationValue, '00'.repeat(16))], RR.InvalidCorrelationValue);
    assert.equal(await fails(V21, OP.Encrypt, [uid(other), bytes(Tag.Data, '00'), cv], RR.InvalidCorrelationValue), unknown);
    assert.equal(await fails(V21, OP.Decrypt, [uid(id), bytes(Tag.Data, '00'), cv], RR.InvalidCorrelationValue), unknown);
    await fails(V14, OP.Encrypt, [uid(id), bytes(Tag.Data, '00'), bytes(Tag.CorrelationValue, '00'.repeat(16))], RR.ItemNotFound);
    // Still open for its owner; revoking the key stops it at the next part, and that part aborts the stream (finding 6).
    await enc(id, bytes(Tag.Data, '00'.repeat(16)), cv);
    const open = cryptoStreams.size;
    await ok(V21, OP.Revoke, [uid(id), struct(Tag.RevocationReason, [en(Tag.RevocationReasonCode, Enum.RevocationReasonCode.CessationOfOperation)])]);
    await fails(V21, OP.Encrypt, [uid(id), bytes(Tag.Data, '00'.repeat(16)), cv, bool(Tag.FinalIndicator, true)], RR.WrongKeyLifecycleState);
    assert.equal(cryptoStreams.size, open - 1, 'the failed continuation aborted the stream');
    // A Decrypt stream on a key destroyed mid-stream: aborted too.
    const d = await registerKey(SP38A_K128);
    const da = await dec(d, ecb, bytes(Tag.Data, '00'.repeat(16)), bool(Tag.InitIndicator, true));
    await ok(V21, OP.Revoke, [uid(d), struct(Tag.RevocationReason, [en(Tag.RevocationReasonCode, Enum.RevocationReasonCode.CessationOfOperation)])]);
    await ok(V21, OP.Destroy, [uid(d)]);
    const before = cryptoStreams.size;
    await fails(V21, OP.Decrypt, [uid(d), bytes(Tag.Data, '00'.repeat(16)), field(da, Tag.CorrelationValue)!], RR.WrongKeyLifecycleState);
    assert.equal(cryptoStreams.size, before - 1);
  });

  test('the stream table: bounded per client and per server, expires after its TTL, drops wipe', () => {
    let t = 0;
    const s = new CryptoStreams({ now: () => t, max: 3, perClient: 2, ttlMs: 1000 });
    const c = { protocolVersion: { major: 2, minor: 1 } } as OperationContext;
    const owner = (client: string) => ({ client, operation: OP.Encrypt, keyId: 'k' });
    let dropped = 0;
    const a = s.open(c, owner('a'), 'sa', () => dropped++);
    s.open(c, owner('a'), 'sa2');
    assert.throws(() => s.open(c, owner('a'), 'x'), (e: { resultReason?: string }) => e.resultReason === 'ServerLimitExceeded' && /this client already has 2/.test(String(e)));
    s.open(c, owner('b'), 'sb');
    assert.equal(s.get<string>(c, a, owner('a')), 'sa');
    assert.throws(() => s.get(c, a, owner('b')), /no open multi-part operation/);
    t = 999;
    assert.equal(s.get<string>(c, a, owner('a')), 'sa', 'use renews');
    t = 1500;
    assert.equal(s.size, 1, 'the two not used since 0 expired');
    t = 2000;
    assert.equal(s.size, 0);
    assert.equal(dropped, 1, 'an expired stream is dropped with its wipe');
  });

  test('a full server table evicts the least recently used stream of the client holding the most, so clients together cannot lock others out (finding 10)', () => {
    let t = 0;
    const s = new CryptoStreams({ now: () => t, max: 4, perClient: 3, ttlMs: 10_000 });
    const c = { protocolVersion: { major: 2, minor: 1 } } as OperationContext;
    const owner = (client: string) => ({ client, operation: OP.Encrypt, keyId: 'k' });
    const dropped: string[] = [];
    const open = (client: string, name: string): Uint8Array => s.open(c, owner(client), name, () => dropped.push(name));
    const a1 = open('a', 'a1');
    t = 1;
    const a2 = open('a', 'a2');
    t = 2;
    open('b', 'b1');
    t = 3;
    const a3 = open('a', 'a3');
    t = 4;
    s.get(c, a1, owner('a')); // a1 used again: a2 is a's least recently used
    // The table is full (4); a newcomer gets in, and a (3 streams) loses its least recently used one.
    t = 5;
    const c1 = open('c', 'c1');
    assert.deepEqual(dropped, ['a2']);
    assert.equal(s.size, 4);
    assert.throws(() => s.get(c, a2, owner('a')), /no open multi-part operation/);
    assert.equal(s.get<string>(c, a1, owner('a')), 'a1');
    assert.equal(s.get<string>(c, a3, owner('a')), 'a3');
    assert.equal(s.get<string>(c, c1, owner('c')), 'c1');
    // Many clients at the per-client limit cannot fill it for a newcomer either.
    for (let i = 0; i < 10; i++) {
      t++;
      open(`d${i}`, `d${i}`);
    }
    assert.equal(s.size, 4);
    t++;
    const e = open('e', 'e');
    assert.equal(s.get<string>(c, e, owner('e')), 'e');
  });

  test('abortOwned ends a stream for its owner only; the held-plaintext budget is per stream, per client and per server', () => {
    const s = new CryptoStreams({ held: { stream: 10, client: 15, server: 20 } });
    const c = { protocolVersion: { major: 2, minor: 1 } } as OperationContext;
    const c1 = { protocolVersion: { major: 1, minor: 4 } } as OperationContext;
    const owner = (client: string, keyId = 'k') => ({ client, operation: OP.Decrypt, keyId });
    let dropped = 0;
    const a = s.open(c, owner('a'), 'sa', () => dropped++);
    s.abortOwned(a, owner('b'));
    s.abortOwned(a, owner('a', 'other key'));
    s.abortOwned(a, { ...owner('a'), operation: OP.Encrypt });
    assert.equal(s.get<string>(c, a, owner('a')), 'sa', 'a stranger, another key or operation does not end it');
    s.abortOwned(a, owner('a'));
    assert.equal(dropped, 1);
    assert.equal(s.size, 0);

    const x = s.open(c, owner('a'), 'x');
    s.reserveHeld(c, x, 8, 'multi-part AES-128-GCM Decrypt');
    assert.throws(() => s.reserveHeld(c, x, 3, 'multi-part AES-128-GCM Decrypt'), (e: { resultReason?: string }) => e.resultReason === 'ServerLimitExceeded' && /per multi-part operation/.test(String(e)));
    assert.throws(() => s.reserveHeld(c1, x, 3, 'm'), (e: { resultReason?: string }) => e.resultReason === 'PermissionDenied');
    const y = s.open(c, owner('a'), 'y');
    assert.throws(() => s.reserveHeld(c, y, 8, 'm'), /this client's open multi-part operations already hold/);
    s.reserveHeld(c, y, 7, 'm');
    const z = s.open(c, owner('b'), 'z');
    assert.throws(() => s.reserveHeld(c, z, 6, 'm'), /the server's open multi-part operations already hold/);
    s.reserveHeld(c, z, 5, 'm');
    assert.equal(s.heldBytes, 20);
    s.finish(x);
    s.abort(y);
    assert.equal(s.heldBytes, 5, 'finished and aborted streams release what they held');
  });
});

describe('a key\'s Cryptographic Parameters attribute binds its algorithm, mode, padding and hashes (review finding 4)', () => {
  const K = 'feffe9928665731c6d6a8f9467308308';
  const IV = 'cafebabefacedbaddecaf888';
  const P = 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72';
  const gcmAttr = params(mode(BCM.GCM), int(Tag.TagLength, 16));
  const ctr = (counter: string): TtlvItem[] => [params(mode(BCM.CTR)), bytes(Tag.IVCounterNonce, counter)];

  test('an Encrypt-only key kept for GCM does not run CTR (which would decrypt its GCM cipher texts); GCM as kept, or naming only other fields, still works', async () => {
    const id = await registerKey(K, CA.AES, UM.Encrypt, [ACTIVE, gcmAttr]);
    const e = await enc(id, bytes(Tag.Data, P), bytes(Tag.IVCounterNonce, IV));
    const C = out(e, Tag.Data);
    await fails(V21, OP.Decrypt, [uid(id), bytes(Tag.Data, C), bytes(Tag.IVCounterNonce, IV), bytes(Tag.AuthenticatedEncryptionTag, out(e, Tag.AuthenticatedEncryptionTag))], RR.IncompatibleCryptographicUsageMask);
    // The attack: GCM's key stream for IV is CTR from IV || 00000002; Encrypt in CTR over the cipher text gives the plaintext.
    const m = await fails(V21, OP.Encrypt, [uid(id), ...ctr(IV + '00000002'), bytes(Tag.Data, C)], RR.BadCryptographicParameters);
    assert.match(m, new RegExp(`object '${id}' is kept for Block Cipher Mode GCM .*asks for CTR: leave Block Cipher Mode out or use a key made for it`));
    await fails(V14, OP.Encrypt, [uid(id), ...ctr(IV + '00000002'), bytes(Tag.Data, C)], RR.InvalidField);
    for (const other of [BCM.ECB, BCM.CBC, BCM.XTS]) await fails(V21, OP.Encrypt, [uid(id), params(mode(other)), bytes(Tag.IVCounterNonce, '00'.repeat(16)), bytes(Tag.Data, C)], RR.BadCryptographicParameters);
    assert.equal(out(await enc(id, params(mode(BCM.GCM)), bytes(Tag.Data, P), bytes(Tag.IVCounterNonce, IV)), Tag.Data), C);
    assert.equal(out(await enc(id, params(int(Tag.TagLength, 12)), bytes(Tag.Data, P), bytes(Tag.IVCounterNonce, IV)), Tag.Data), C, 'a request naming only the tag length is laid over the attribute');
    await fails(V21, OP.Encrypt, [uid(id), params(en(Tag.CryptographicAlgorithm, CA.ChaCha20)), bytes(Tag.Data, P), bytes(Tag.IVCounterNonce, IV)], RR.BadCryptographicParameters);
  });

  test('a Deactivated key kept for GCM does not Decrypt in CTR or ECB (E(0) is the GHASH key, E(IV||1) the tag mask); GCM Decrypt still works', async () => {
    const id = await registerKey(K, CA.AES, ED, [ACTIVE, gcmAttr]);
    const e = await enc(id, bytes(Tag.Data, P), bytes(Tag.IVCounterNonce, IV));
    await ok(V21, OP.Revoke, [uid(id), struct(Tag.RevocationReason, [en(Tag.RevocationReasonCode, Enum.RevocationReasonCode.CessationOfOperation)])]);
    await fails(V21, OP.Encrypt, [uid(id), bytes(Tag.Data, P), bytes(Tag.IVCounterNonce, IV)], RR.WrongKeyLifecycleState);
    assert.match(await fails(V21, OP.Decrypt, [uid(id), ...ctr('00'.repeat(16)), bytes(Tag.Data, '00'.repeat(16))], RR.BadCryptographicParameters), /kept for Block Cipher Mode GCM/);
    await fails(V21, OP.Decrypt, [uid(id), ...ctr(IV + '00000001'), bytes(Tag.Data, '00'.repeat(16))], RR.BadCryptographicParameters);
    await fails(V21, OP.Decrypt, [uid(id), params(mode(BCM.ECB)), bytes(Tag.Data, '00'.repeat(16))], RR.BadCryptographicParameters);
    // A multi-part CTR Decrypt is refused at its first part too.
    await fails(V21, OP.Decrypt, [uid(id), ...ctr('00'.repeat(16)), bytes(Tag.Data, '00'.repeat(16)), bool(Tag.InitIndicator, true)], RR.BadCryptographicParameters);
    const d = await dec(id, bytes(Tag.Data, out(e, Tag.Data)), bytes(Tag.IVCounterNonce, IV), bytes(Tag.AuthenticatedEncryptionTag, out(e, Tag.AuthenticatedEncryptionTag)));
    assert.equal(out(d, Tag.Data), P);
  });

  test('several Cryptographic Parameters instances: a request may use any one of them, and nothing else', async () => {
    const id = await registerKey(SP38A_K128, CA.AES, ED, [ACTIVE, gcmAttr, params(mode(BCM.CBC), en(Tag.PaddingMethod, PM.PKCS5))]);
    const cbcIv = bytes(Tag.IVCounterNonce, '000102030405060708090a0b0c0d0e0f');
    const c = await enc(id, params(mode(BCM.CBC)), bytes(Tag.Data, 'abcdef'), cbcIv);
    assert.equal(out(c, Tag.Data).length, 32, 'CBC from the second instance, with its PKCS5 padding');
    await enc(id, bytes(Tag.Data, 'abcdef'), bytes(Tag.IVCounterNonce, IV)); // no parameters: the first instance (GCM)
    await fails(V21, OP.Encrypt, [uid(id), params(mode(BCM.CBC), en(Tag.PaddingMethod, PM.None)), bytes(Tag.Data, '00'.repeat(16)), cbcIv], RR.BadCryptographicParameters);
    await fails(V21, OP.Encrypt, [uid(id), ...ctr('00'.repeat(16)), bytes(Tag.Data, '00')], RR.BadCryptographicParameters);
  });

  test('a ChaCha20-Poly1305 key does not run plain ChaCha20 (its key stream without the tag)', async () => {
    const id = await registerKey('00'.repeat(32), CA.ChaCha20Poly1305, ED);
    const nonce = bytes(Tag.IVCounterNonce, '000000000000000000000000');
    await enc(id, bytes(Tag.Data, 'abcd'), nonce);
    assert.match(await fails(V21, OP.Encrypt, [uid(id), params(en(Tag.CryptographicAlgorithm, CA.ChaCha20)), bytes(Tag.Data, 'abcd'), nonce], RR.BadCryptographicParameters), /does not run plain ChaCha20/);
    await fails(V21, OP.Decrypt, [uid(id), params(en(Tag.CryptographicAlgorithm, CA.ChaCha20)), bytes(Tag.Data, 'abcd'), nonce], RR.BadCryptographicParameters);
    // A ChaCha20 key still serves ChaCha20-Poly1305.
    const plain = await registerKey('00'.repeat(32), CA.ChaCha20, ED);
    await enc(plain, params(en(Tag.CryptographicAlgorithm, CA.ChaCha20Poly1305)), bytes(Tag.Data, 'abcd'), nonce);
  });

  test('RSA: a key kept for OAEP with SHA-256 refuses PKCS#1 v1.5 and another OAEP hash', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const oaep = params(en(Tag.PaddingMethod, PM.OAEP), en(Tag.HashingAlgorithm, HA.SHA_256));
    const pub = await registerRsa(publicKey, UM.Encrypt, [ACTIVE, oaep]);
    const priv = await registerRsa(privateKey, UM.Decrypt, [ACTIVE, oaep]);
    const c = out(await enc(pub, bytes(Tag.Data, 'abcd')), Tag.Data);
    assert.equal(privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, hex(c)).toString('hex'), 'abcd');
    await fails(V21, OP.Encrypt, [uid(pub), params(en(Tag.PaddingMethod, PM.PKCS1V1_5)), bytes(Tag.Data, 'abcd')], RR.BadCryptographicParameters);
    assert.match(await fails(V21, OP.Decrypt, [uid(priv), params(en(Tag.HashingAlgorithm, HA.SHA_1)), bytes(Tag.Data, c)], RR.BadCryptographicParameters), /kept for Hashing Algorithm SHA_256/);
    assert.equal(out(await dec(priv, params(en(Tag.PaddingMethod, PM.OAEP)), bytes(Tag.Data, c)), Tag.Data), 'abcd');
  });
});

describe('Usage Limits are taken per operation, after the stream is found (review finding 9)', () => {
  const P = params(mode(BCM.ECB));
  const block = bytes(Tag.Data, '00'.repeat(16));
  const limits = (total: bigint, unit: number) => struct(Tag.UsageLimits, [item(Tag.UsageLimitsTotal, 'LongInteger', total), en(Tag.UsageLimitsUnit, unit)]);

  test('Unit Object: a multi-part Encrypt takes one use for all its parts, even empty ones', async () => {
    const id = await registerKey(SP38A_K128, CA.AES, ED, [ACTIVE, limits(1n, Enum.UsageLimitsUnit.Object)]);
    const a = await enc(id, P, block, bool(Tag.InitIndicator, true));
    const cv = field(a, Tag.CorrelationValue)!;
    await enc(id, block, cv);
    await enc(id, bytes(Tag.Data, ''), cv);
    await enc(id, block, cv, bool(Tag.FinalIndicator, true));
    assert.match(await fails(V21, OP.Encrypt, [uid(id), P, block], RR.PermissionDenied), /0 uses left/);
  });

  test('Unit Byte: a part with an unknown Correlation Value takes nothing; bad parameters take nothing; each part its bytes', async () => {
    const id = await registerKey(SP38A_K128, CA.AES, ED, [ACTIVE, limits(48n, Enum.UsageLimitsUnit.Byte)]);
    for (let i = 0; i < 3; i++) await fails(V21, OP.Encrypt, [uid(id), block, bytes(Tag.CorrelationValue, '00'.repeat(16))], RR.InvalidCorrelationValue);
    await fails(V21, OP.Encrypt, [uid(id), params(mode(BCM.CBC)), block], RR.InvalidMessage); // no IV
    const a = await enc(id, P, block, bool(Tag.InitIndicator, true));
    await enc(id, block, field(a, Tag.CorrelationValue)!, bool(Tag.FinalIndicator, true));
    await enc(id, P, block);
    assert.match(await fails(V21, OP.Encrypt, [uid(id), P, block], RR.PermissionDenied), /0 bytes left/);
  });
});

describe('access: Encrypt and Decrypt need `use` on the key', () => {
  const principal = (name: string, grants: string): Principal => ({ name, grants: parseGrants(grants), sharesWith: [name] });
  const as = (p: Principal) => kmipHarness({ ...ctx, principal: p });
  const ecb = params(mode(BCM.ECB));
  const d16 = bytes(Tag.Data, '00'.repeat(16));

  test('own key: allowed; another client\'s key: the same Permission Denied as a missing one; no `use`: denied', async () => {
    const alice = as(principal('alice', 'create,get,use'));
    const bob = as(principal('bob', 'create,get,use'));
    const carol = as(principal('carol', 'create,get'));
    const block = struct(Tag.KeyBlock, [en(Tag.KeyFormatType, KFT.Raw), struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, SP38A_K128)]), en(Tag.CryptographicAlgorithm, CA.AES), int(Tag.CryptographicLength, 128)]);
    const id = idOf(await alice.ok(V21, OP.Register, [en(Tag.ObjectType, OT.SymmetricKey), struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, ED), ACTIVE]), struct(Tag.SymmetricKey, [block])]));
    assert.equal(out(await alice.ok(V21, OP.Encrypt, [uid(id), ecb, bytes(Tag.Data, '6bc1bee22e409f96e93d7e117393172a')]), Tag.Data), '3ad77bb40d7a3660a89ecaf32466ef97');
    const theirs = await bob.fails(V21, OP.Encrypt, [uid(id), ecb, d16], RR.PermissionDenied);
    const missing = await bob.fails(V21, OP.Encrypt, [uid('00000000-0000-4000-8000-000000000000'), ecb, d16], RR.PermissionDenied);
    assert.equal(theirs.replace(id, 'ID'), missing.replace('00000000-0000-4000-8000-000000000000', 'ID'));
    assert.match(await carol.fails(V21, OP.Decrypt, [uid(id), ecb, d16], RR.PermissionDenied), /no use permission/);
  });

  test('a stream is bound to the client that opened it, even for a client that may use the key', async () => {
    const alice = as(principal('alice', 'create,get,use:all'));
    const dave = as(principal('dave', 'use:all'));
    const block = struct(Tag.KeyBlock, [en(Tag.KeyFormatType, KFT.Raw), struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, SP38A_K128)]), en(Tag.CryptographicAlgorithm, CA.AES), int(Tag.CryptographicLength, 128)]);
    const id = idOf(await alice.ok(V21, OP.Register, [en(Tag.ObjectType, OT.SymmetricKey), struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, ED), ACTIVE]), struct(Tag.SymmetricKey, [block])]));
    const a = await alice.ok(V21, OP.Encrypt, [uid(id), ecb, d16, bool(Tag.InitIndicator, true)]);
    await dave.ok(V21, OP.Encrypt, [uid(id), ecb, d16]);
    const stolen = await dave.fails(V21, OP.Encrypt, [uid(id), d16, field(a, Tag.CorrelationValue)!], RR.InvalidCorrelationValue);
    const unknown = await dave.fails(V21, OP.Encrypt, [uid(id), d16, bytes(Tag.CorrelationValue, '11'.repeat(16))], RR.InvalidCorrelationValue);
    assert.equal(stolen, unknown);
    await alice.ok(V21, OP.Encrypt, [uid(id), d16, field(a, Tag.CorrelationValue)!, bool(Tag.FinalIndicator, true)]);
  });
});

void send;
void createHash;
