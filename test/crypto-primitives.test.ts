// The primitives under Decrypt (RSA PKCS#1 v1.5 with implicit rejection) and
// Sign / Signature Verify on Digested Data (ECDSA), checked directly: the
// private values are read from DER (never a JWK string), a cipher text ≥ the
// modulus is a KMIP error, and the synthetic message follows the draft's
// construction (draft-irtf-cfrg-rsa-guidance) computed here independently.
import assert from 'node:assert/strict';
import { constants, createHash, createHmac, generateKeyPairSync, publicEncrypt, sign, verify } from 'node:crypto';
import { describe, test } from 'node:test';
import { ecdsaSignDigest, ecdsaVerifyDigest } from '../main/kmip/crypto/ecdsa-digest.js';
import { pkcs1v15Decrypt } from '../main/kmip/crypto/rsa-pkcs1.js';
import { KmipOperationError } from '../main/kmip/errors.js';

describe('RSA PKCS#1 v1.5 decryption', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const k = 256;

  test('a cipher text of the right length but not below the modulus is Invalid Field, not a thrown OpenSSL error', () => {
    const n = Buffer.from(publicKey.export({ format: 'jwk' }).n!, 'base64url');
    for (const c of [Buffer.alloc(k, 0xff), n]) {
      assert.throws(() => pkcs1v15Decrypt(privateKey, c), (e: unknown) => e instanceof KmipOperationError && e.resultReason === 'InvalidField' && /modulus/.test(e.message));
    }
  });

  test('a wrong padding gives the draft\'s synthetic message: HMAC-SHA256 keyed by SHA-256(d), PRF "length" and "message"', () => {
    // Computed here from the JWK (the test may; the product reads d from DER).
    const d = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
    const prf = (key: Buffer, label: string, bytes: number) => {
      const out: Buffer[] = [];
      for (let i = 0; out.length * 32 < bytes; i++) {
        out.push(createHmac('sha256', key).update(Buffer.from([i >> 8, i & 0xff])).update(label).update(Buffer.from([(bytes * 8) >> 8, (bytes * 8) & 0xff])).digest());
      }
      return Buffer.concat(out).subarray(0, bytes);
    };
    const bad = publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(k - 2, 0x42)]));
    const kdk = createHmac('sha256', createHash('sha256').update(Buffer.concat([Buffer.alloc(k - d.length), d])).digest()).update(bad).digest();
    const lengths = prf(kdk, 'length', 256);
    const max = k - 11;
    let mask = max;
    for (let s = 1; s < 16; s <<= 1) mask |= mask >> s;
    let len = 0;
    for (let i = 0; i < 128; i++) {
      const c = ((lengths[2 * i]! << 8) | lengths[2 * i + 1]!) & mask;
      if (c <= max) len = c;
    }
    const expected = prf(kdk, 'message', k).subarray(k - len);
    assert.deepEqual(pkcs1v15Decrypt(privateKey, bad), expected);
  });
});

describe('ECDSA on a digest', () => {
  for (const [curve, hash] of [['P-256', 'sha256'], ['P-384', 'sha384'], ['P-521', 'sha512']] as const) {
    test(`${curve}: signs with the scalar read from SEC 1 DER; OpenSSL verifies; a private key verifies through its public half`, () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const data = Buffer.from(`data for ${curve}`);
      const digest = createHash(hash).update(data).digest();
      for (let i = 0; i < 5; i++) {
        const sig = ecdsaSignDigest(privateKey, digest);
        assert.ok(verify(hash, data, publicKey, sig), 'OpenSSL verifies');
        assert.ok(ecdsaVerifyDigest(privateKey, digest, sig));
      }
      assert.ok(ecdsaVerifyDigest(publicKey, digest, sign(hash, data, privateKey)));
      assert.equal(ecdsaVerifyDigest(publicKey, createHash(hash).update('other').digest(), sign(hash, data, privateKey)), false);
    });
  }
});
