// PyKMIP (Debian python3-pykmip, an independent client) against Keyhold's
// cryptographic services over mutual TLS: sign, signature_verify, mac and
// derive_key, each compared with node:crypto's own computation of the same
// thing (issue 8 point 7). KMIP 1.2 (PyKMIP's default) and 2.0.
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, pbkdf2Sync, randomBytes, sign } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runStepDriver, serverWithPyClient } from './support/pykmip.js';
import { REPO_ROOT } from './support/reference.js';

const DRIVER = join(REPO_ROOT, 'test', 'interop', 'pykmip_crypto.py');

describe('PyKMIP sign, signature_verify, mac and derive_key', { timeout: 180_000 }, () => {
  const peer = serverWithPyClient('keyhold-pykmip-crypto-');

  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = randomBytes(100);
  const hmacKey = randomBytes(32);
  const password = Buffer.from('pykmip password');
  const salt = randomBytes(16);
  const signature = sign('sha256', data, rsa.privateKey);

  async function run(extra: string[]): Promise<Map<string, string>> {
    const { byName } = await runStepDriver(DRIVER, [
      ...peer.connection(),
      '--rsa-private', rsa.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('hex'),
      '--rsa-public', rsa.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
      '--signature', signature.toString('hex'), '--hmac-key', hmacKey.toString('hex'), '--password', password.toString('hex'), '--salt', salt.toString('hex'), '--data', data.toString('hex'),
      ...extra,
    ]);
    return byName as Map<string, string>;
  }

  for (const [label, extra] of [['KMIP 1.2', ['--tag', '-12']], ['KMIP 2.0', ['--kmip2', '--tag', '-20']]] as const) {
    it(`${label}: every result equals node:crypto's`, async () => {
      const r = await run([...extra]);
      assert.equal(r.get('sign'), signature.toString('hex'), 'PKCS#1 v1.5 is deterministic: the same signature');
      assert.equal(r.get('verify good'), 'ValidityIndicator.VALID');
      assert.equal(r.get('verify other data'), 'ValidityIndicator.INVALID');
      assert.equal(r.get('mac'), createHmac('sha256', hmacKey).update(data).digest('hex'));
      assert.equal(r.get('get derived'), pbkdf2Sync(password, salt, 1000, 32, 'sha256').toString('hex'));
    });
  }
});
