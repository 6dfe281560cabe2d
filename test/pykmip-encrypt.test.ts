// PyKMIP (Debian python3-pykmip, an independent client) against Keyhold's
// Encrypt and Decrypt over mutual TLS: AES-256-CBC with the server's Random
// IV, AES-256-CTR with the client's counter block and RSA-OAEP-SHA256, each
// checked against node:crypto's own computation (issue 8 point 7). KMIP 1.2
// (PyKMIP's default) and 2.0.
import assert from 'node:assert/strict';
import { constants, createCipheriv, createDecipheriv, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runStepDriver, serverWithPyClient } from './support/pykmip.js';
import { REPO_ROOT } from './support/reference.js';

const DRIVER = join(REPO_ROOT, 'test', 'interop', 'pykmip_encrypt.py');

describe('PyKMIP encrypt and decrypt', { timeout: 180_000 }, () => {
  const peer = serverWithPyClient('keyhold-pykmip-encrypt-');

  const aesKey = randomBytes(32);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = randomBytes(100);
  const iv = randomBytes(16);
  const oaep = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };

  async function run(extra: string[]): Promise<Map<string, string>> {
    const { byName } = await runStepDriver(DRIVER, [
      ...peer.connection(),
      '--aes-key', aesKey.toString('hex'),
      '--rsa-private', rsa.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('hex'),
      '--rsa-public', rsa.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
      '--data', data.toString('hex'), '--iv', iv.toString('hex'),
      '--oaep-ciphertext', publicEncrypt({ key: rsa.publicKey, ...oaep }, data).toString('hex'),
      ...extra,
    ]);
    return byName as Map<string, string>;
  }

  for (const [label, extra] of [['KMIP 1.2', []], ['KMIP 2.0', ['--kmip2']]] as const) {
    it(`${label}: every result equals node:crypto's`, async () => {
      const r = await run([...extra]);
      const [cbcData, cbcIv] = r.get('encrypt cbc random iv')!.split('/') as [string, string];
      assert.equal(cbcIv.length, 32, 'the server returned a 16-byte IV');
      const d = createDecipheriv('aes-256-cbc', aesKey, Buffer.from(cbcIv, 'hex'));
      assert.equal(Buffer.concat([d.update(Buffer.from(cbcData, 'hex')), d.final()]).toString('hex'), data.toString('hex'));
      assert.equal(r.get('decrypt cbc'), data.toString('hex'));
      const ctr = createCipheriv('aes-256-ctr', aesKey, iv);
      assert.equal(r.get('encrypt ctr'), `${ctr.update(data).toString('hex')}/`);
      const [oaepData] = r.get('encrypt oaep')!.split('/') as [string];
      assert.equal(privateDecrypt({ key: rsa.privateKey, ...oaep }, Buffer.from(oaepData, 'hex')).toString('hex'), data.toString('hex'));
      assert.equal(r.get('decrypt oaep'), data.toString('hex'));
    });
  }
});
