import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createCa, issueServerCert, issueClientCert, exportPkcs12, importPkcs12, type CaMaterial, type IssuedCert,
} from '../main/pki/index.js';

let tmp: string;
let rsaCa: CaMaterial;
let ecCa: CaMaterial;
let rsaServer: IssuedCert;
let ecClient: IssuedCert;
const f = (name: string) => path.join(tmp, name);
const write = (name: string, data: string | Buffer) => { fs.writeFileSync(f(name), data); return f(name); };

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
const pub = (pem: string) => createPublicKey(pem).export({ type: 'spki', format: 'pem' });
const sameCert = (a: string, b: string) => new X509Certificate(a).fingerprint256 === new X509Certificate(b).fingerprint256;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keyhold-pki-p12-'));
  [rsaCa, ecCa] = await Promise.all([
    createCa({ commonName: 'P12 RSA CA', key: { type: 'rsa', bits: 2048 }, validityDays: 30 }),
    createCa({ commonName: 'P12 EC CA', key: { type: 'ec', curve: 'P-384' }, validityDays: 30 }),
  ]);
  [rsaServer, ecClient] = await Promise.all([
    issueServerCert(rsaCa, { hostName: 'kms.example.test', interfaces: {}, rsaBits: 2048, validityDays: 5 }),
    issueClientCert(ecCa, { name: 'ec-client', key: { type: 'ec', curve: 'P-256' }, validityDays: 5 }),
  ]);
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('exportPkcs12 (RSA, with chain): openssl 3 reads it without -legacy: PBES2 AES-256, SHA-256 MAC', () => {
  const p12 = exportPkcs12({
    keyPem: rsaServer.keyPem, certPem: rsaServer.certPem, chainPems: [rsaCa.certPem], passphrase: 'correct horse', friendlyName: 'Keyhold server',
  });
  write('rsa.p12', p12);
  const info = execFileSync('openssl', ['pkcs12', '-in', f('rsa.p12'), '-info', '-passin', 'pass:correct horse', '-noenc'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.match(info, /-----BEGIN PRIVATE KEY-----/);
  const err = execFileSync('sh', ['-c', `openssl pkcs12 -in "${f('rsa.p12')}" -info -passin "pass:correct horse" -noenc 2>&1 >/dev/null`], { encoding: 'utf8' });
  assert.match(err, /MAC: sha256, Iteration 100000/);
  assert.match(err, /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 100000, PRF hmacWithSHA256/);
  assert.match(info, /friendlyName: Keyhold server/);

  const key = openssl('pkcs12', '-in', f('rsa.p12'), '-nocerts', '-noenc', '-passin', 'pass:correct horse');
  assert.equal(openssl('pkey', '-in', write('rsa-out.key', key), '-pubout'), pub(rsaServer.keyPem));
  const certs = openssl('pkcs12', '-in', f('rsa.p12'), '-nokeys', '-passin', 'pass:correct horse');
  assert.equal(certs.match(/BEGIN CERTIFICATE/g)?.length, 2);
  const leaf = openssl('pkcs12', '-in', f('rsa.p12'), '-nokeys', '-clcerts', '-passin', 'pass:correct horse');
  assert.ok(sameCert(leaf, rsaServer.certPem));
  assert.throws(() => openssl('pkcs12', '-in', f('rsa.p12'), '-noout', '-passin', 'pass:wrong'));
});

test('exportPkcs12 with an EC key and a non-ASCII passphrase: openssl reads it, importPkcs12 round-trips it', () => {
  const pass = 'pässwörd-ключ';
  const p12 = exportPkcs12({ keyPem: ecClient.keyPem, certPem: ecClient.certPem, chainPems: [ecCa.certPem], passphrase: pass });
  write('ec.p12', p12);
  const key = openssl('pkcs12', '-in', f('ec.p12'), '-nocerts', '-noenc', '-passin', `pass:${pass}`);
  assert.equal(openssl('pkey', '-in', write('ec-out.key', key), '-pubout'), pub(ecClient.keyPem));
  assert.match(openssl('pkcs12', '-in', f('ec.p12'), '-nokeys', '-clcerts', '-passin', `pass:${pass}`), /friendlyName: ec-client/);

  const back = importPkcs12(p12, pass);
  assert.equal(back.keyPem, ecClient.keyPem);
  assert.ok(sameCert(back.certPem, ecClient.certPem));
  assert.equal(back.chainPems.length, 1);
  assert.ok(sameCert(back.chainPems[0] ?? '', ecCa.certPem));
  assert.equal(back.friendlyName, 'ec-client');
  assert.throws(() => importPkcs12(p12, 'passwörd'), (e: Error) => e.message === 'the PKCS#12 passphrase is wrong, or the file is damaged');
});

test('importPkcs12 reads files made by openssl pkcs12 -export: default (AES-256), 3DES/SHA-1 MAC, -legacy (RC2), no MAC, empty passphrase', () => {
  write('rsa.key', rsaServer.keyPem);
  write('rsa.crt', rsaServer.certPem);
  write('rsa-ca.crt', rsaCa.certPem);
  write('ec.key', ecClient.keyPem);
  write('ec.crt', ecClient.certPem);
  const variants: Array<{ name: string; args: string[]; key: IssuedCert; chain: boolean }> = [
    { name: 'default-rsa-chain', args: ['-inkey', f('rsa.key'), '-in', f('rsa.crt'), '-certfile', f('rsa-ca.crt')], key: rsaServer, chain: true },
    { name: 'default-ec', args: ['-inkey', f('ec.key'), '-in', f('ec.crt')], key: ecClient, chain: false },
    {
      name: '3des-ec', key: ecClient, chain: false,
      args: ['-inkey', f('ec.key'), '-in', f('ec.crt'), '-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1'],
    },
    { name: 'legacy-rsa', args: ['-legacy', '-inkey', f('rsa.key'), '-in', f('rsa.crt'), '-certfile', f('rsa-ca.crt')], key: rsaServer, chain: true },
    { name: 'nomac-ec', args: ['-nomac', '-inkey', f('ec.key'), '-in', f('ec.crt')], key: ecClient, chain: false },
  ];
  for (const v of variants) {
    openssl('pkcs12', '-export', ...v.args, '-passout', 'pass:s3cret', '-out', f(`${v.name}.p12`));
    const got = importPkcs12(fs.readFileSync(f(`${v.name}.p12`)), 's3cret');
    assert.match(got.keyPem, /^-----BEGIN PRIVATE KEY-----\n/, v.name);
    assert.equal(pub(got.keyPem), pub(v.key.keyPem), v.name);
    assert.ok(createPrivateKey(got.keyPem).asymmetricKeyType === createPrivateKey(v.key.keyPem).asymmetricKeyType);
    assert.ok(sameCert(got.certPem, v.key.certPem), v.name);
    assert.equal(got.chainPems.length, v.chain ? 1 : 0, v.name);
    assert.throws(() => importPkcs12(fs.readFileSync(f(`${v.name}.p12`)), 'wrong'), /^Error: the PKCS#12 passphrase is wrong/, v.name);
  }
  openssl('pkcs12', '-export', '-inkey', f('ec.key'), '-in', f('ec.crt'), '-passout', 'pass:', '-out', f('empty.p12'));
  assert.equal(pub(importPkcs12(fs.readFileSync(f('empty.p12')), '').keyPem), pub(ecClient.keyPem));
  assert.throws(() => importPkcs12(fs.readFileSync(f('empty.p12')), 'x'), /passphrase is wrong/);
});

test('importPkcs12 finds the certificate matching the key whatever the order, and puts the issuer first in the chain', () => {
  // openssl writes the leaf first; -certfile before -in is not possible, so a bundle with the CA first is built via -in.
  write('bundle.pem', rsaCa.certPem + rsaServer.certPem);
  openssl('pkcs12', '-export', '-inkey', f('rsa.key'), '-in', f('bundle.pem'), '-passout', 'pass:x', '-out', f('bundle.p12'));
  const got = importPkcs12(fs.readFileSync(f('bundle.p12')), 'x');
  assert.ok(sameCert(got.certPem, rsaServer.certPem));
  assert.ok(sameCert(got.chainPems[0] ?? '', rsaCa.certPem));
});

test('PKCS#12 errors are single clear messages, never stack traces or key material', () => {
  assert.throws(() => importPkcs12(Buffer.from('not a p12'), 'x'), /^Error: Not a readable PKCS#12 file/);
  assert.throws(() => importPkcs12(fs.readFileSync(f('rsa.crt')), 'x'), /^Error: Not a readable PKCS#12 file/);
  const certOnly = write('certonly.p12', '');
  openssl('pkcs12', '-export', '-nokeys', '-in', f('rsa.crt'), '-passout', 'pass:x', '-out', certOnly);
  assert.throws(() => importPkcs12(fs.readFileSync(certOnly), 'x'), /holds 0 private keys/);
  assert.throws(() => exportPkcs12({ keyPem: ecClient.keyPem, certPem: rsaServer.certPem, passphrase: 'x' }), /does not match the certificate/);
  assert.throws(() => exportPkcs12({ keyPem: ecClient.keyPem, certPem: ecClient.certPem, passphrase: '' }), /needs a passphrase/);
  assert.throws(() => exportPkcs12({ keyPem: 'garbage', certPem: ecClient.certPem, passphrase: 'x' }), (e: Error) => !/BEGIN|MII/.test(e.message));
});
