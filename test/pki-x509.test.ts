import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import {
  createCa, issueServerCert, issueClientCert, generateKey, describeKey, inspectCertificate,
  type CaMaterial, type IssuedCert,
} from '../main/pki/index.js';
import { createPrivateKey } from 'node:crypto';

// One RSA CA and one EC CA; every leaf below is checked by openssl against its CA.
let tmp: string;
let rsaCa: CaMaterial;
let ecCa: CaMaterial;
let ecServerFromRsa: IssuedCert;
let rsaServerFromEc: IssuedCert;
let ecClientFromEc: IssuedCert;
let rsaClientFromEc: IssuedCert;
const f = (name: string) => path.join(tmp, name);
const write = (name: string, text: string) => { fs.writeFileSync(f(name), text); return f(name); };

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
const text = (pem: string) => openssl('x509', '-in', write('t.crt', pem), '-noout', '-text');

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keyhold-pki-x509-'));
  [rsaCa, ecCa] = await Promise.all([
    createCa({ commonName: 'RSA Test CA', key: { type: 'rsa', bits: 2048 }, validityDays: 30 }),
    createCa({ commonName: 'EC Test CA', key: { type: 'ec', curve: 'P-384' }, validityDays: 30 }),
  ]);
  [ecServerFromRsa, rsaServerFromEc, ecClientFromEc, rsaClientFromEc] = await Promise.all([
    issueServerCert(rsaCa, {
      commonName: 'kms.example.test', dnsNames: ['kms.example.test', '*.kmip.example.test'],
      ipAddresses: ['192.0.2.10', '2001:db8::10'], includeMachineNames: false,
      key: { type: 'ec', curve: 'P-256' }, validityDays: 5,
    }),
    issueServerCert(ecCa, { hostName: 'localhost', interfaces: {}, key: { type: 'rsa', bits: 2048 }, validityDays: 5 }),
    issueClientCert(ecCa, { name: 'ec-client', key: { type: 'ec', curve: 'P-256' }, validityDays: 5 }),
    issueClientCert(ecCa, { name: 'rsa-client', key: { type: 'rsa', bits: 2048 }, validityDays: 5 }),
  ]);
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('generateKey: RSA and EC, PKCS#8 PEM; unsupported specs are refused', async () => {
  const ec = await generateKey({ type: 'ec', curve: 'P-384' });
  assert.match(ec.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.deepEqual(describeKey(createPrivateKey(ec.privateKeyPem)), { type: 'ec', bits: 384, curve: 'P-384' });
  const rsa = await generateKey({ type: 'rsa', bits: 2048 });
  assert.deepEqual(describeKey(createPrivateKey(rsa.privateKeyPem)), { type: 'rsa', bits: 2048, curve: null });
  await assert.rejects(generateKey({ type: 'rsa', bits: 1024 } as never), /Unsupported key type/);
  await assert.rejects(generateKey({ type: 'ec', curve: 'P-521' } as never), /Unsupported key type/);
});

test('EC P-384 CA: ecdsa-with-SHA384, CA:TRUE pathlen 0, keyCertSign+cRLSign, SKI, 128-bit serial, self-signed', () => {
  const t = text(ecCa.certPem);
  assert.match(t, /Version: 3 \(0x2\)/);
  assert.match(t, /Signature Algorithm: ecdsa-with-SHA384/);
  assert.match(t, /ASN1 OID: secp384r1/);
  assert.match(t, /X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
  assert.match(t, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
  assert.match(t, /X509v3 Subject Key Identifier/);
  assert.ok(!t.includes('Authority Key Identifier'), 'a self-signed root needs no AKI');
  assert.match(openssl('verify', '-CAfile', write('ec-ca.crt', ecCa.certPem), f('ec-ca.crt')), /OK/);
  const serial = openssl('x509', '-in', f('ec-ca.crt'), '-noout', '-serial').trim().replace('serial=', '');
  assert.match(serial, /^[4-7][0-9A-F]{31}$/);
  assert.match(ecCa.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
});

test('RSA CA signs an EC server key: SHA-256 RSA signature, EC key usage, exact SANs with IPv6 and a wildcard', () => {
  const t = text(ecServerFromRsa.certPem);
  assert.match(t, /Signature Algorithm: sha256WithRSAEncryption/);
  assert.match(t, /ASN1 OID: prime256v1/);
  assert.match(t, /X509v3 Key Usage: critical\s+Digital Signature, Key Agreement\n/);
  assert.match(t, /X509v3 Extended Key Usage: \s*TLS Web Server Authentication\n/);
  assert.match(t, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
  assert.match(t, /DNS:kms\.example\.test, DNS:\*\.kmip\.example\.test, IP Address:192\.0\.2\.10, IP Address:2001:DB8:0:0:0:0:0:10\n/);
  assert.match(t, /Subject: CN ?= ?kms\.example\.test/);
  write('rsa-ca.crt', rsaCa.certPem);
  assert.match(openssl('verify', '-CAfile', f('rsa-ca.crt'), '-purpose', 'sslserver', write('s1.crt', ecServerFromRsa.certPem)), /OK/);
  const caSki = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(text(rsaCa.certPem))?.[1];
  assert.ok(caSki && t.includes(caSki), 'AKI equals the CA SKI');
});

test('EC CA signs RSA server and client keys and an EC client key: SHA-384 ECDSA signatures, verified by openssl', () => {
  write('ec-ca.crt', ecCa.certPem);
  const s = text(rsaServerFromEc.certPem);
  assert.match(s, /Signature Algorithm: ecdsa-with-SHA384/);
  assert.match(s, /Public-Key: \(2048 bit\)/);
  assert.match(s, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment, Key Agreement\n/);
  assert.match(s, /DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1\n/);
  assert.match(openssl('verify', '-CAfile', f('ec-ca.crt'), '-purpose', 'sslserver', write('s2.crt', rsaServerFromEc.certPem)), /OK/);

  const c = text(ecClientFromEc.certPem);
  assert.match(c, /Signature Algorithm: ecdsa-with-SHA384/);
  assert.match(c, /X509v3 Key Usage: critical\s+Digital Signature\n/);
  assert.match(c, /X509v3 Extended Key Usage: \s*TLS Web Client Authentication\n/);
  assert.match(c, /Subject: CN ?= ?ec-client/);
  assert.match(openssl('verify', '-CAfile', f('ec-ca.crt'), '-purpose', 'sslclient', write('c1.crt', ecClientFromEc.certPem)), /OK/);
  assert.throws(() => openssl('verify', '-CAfile', f('ec-ca.crt'), '-purpose', 'sslserver', f('c1.crt')));

  const r = text(rsaClientFromEc.certPem);
  assert.match(r, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
  assert.match(openssl('verify', '-CAfile', f('ec-ca.crt'), '-purpose', 'sslclient', write('c2.crt', rsaClientFromEc.certPem)), /OK/);
  // The wrong CA does not verify them.
  assert.throws(() => openssl('verify', '-CAfile', f('rsa-ca.crt'), f('c1.crt')));
});

test('inspectCertificate reads the EC certificates; keys are PKCS#8 and match', () => {
  const i = inspectCertificate(ecServerFromRsa.certPem);
  assert.deepEqual(i.publicKey, { type: 'ec', bits: null, curve: 'prime256v1' });
  assert.deepEqual(i.dnsNames, ['kms.example.test', '*.kmip.example.test']);
  assert.deepEqual(i.ipAddresses, ['192.0.2.10', '2001:db8::10']);
  assert.deepEqual(i.keyUsage, ['digitalSignature', 'keyAgreement']);
  assert.equal(i.keyUsageCritical, true);
  for (const c of [ecServerFromRsa, rsaServerFromEc, ecClientFromEc, rsaClientFromEc]) {
    assert.match(c.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(
      openssl('x509', '-in', write('k.crt', c.certPem), '-noout', '-pubkey'),
      openssl('pkey', '-in', write('k.key', c.keyPem), '-pubout'),
    );
  }
});

test('the leaf never outlives its CA, and bad inputs are refused before a key is generated', async () => {
  const long = await issueClientCert(ecCa, { name: 'long', key: { type: 'ec', curve: 'P-256' }, validityDays: 3000 });
  assert.equal(inspectCertificate(long.certPem).notAfter, inspectCertificate(ecCa.certPem).notAfter);
  await assert.rejects(issueServerCert(rsaCa, { includeMachineNames: false }), /at least one DNS name or IP address/);
  await assert.rejects(issueServerCert(rsaCa, { includeMachineNames: false, dnsNames: ['bad name'] }), /Invalid DNS name/);
  await assert.rejects(issueServerCert(rsaCa, { interfaces: {}, commonName: ' x' }), /common name/);
  await assert.rejects(issueServerCert(rsaCa, { interfaces: {}, key: { type: 'ec', curve: 'P-192' } as never }), /Unsupported key type/);
  await assert.rejects(issueClientCert({ certPem: ecCa.certPem, keyPem: rsaCa.keyPem }, { name: 'x' }), /CA key does not match/);
  await assert.rejects(issueClientCert({ certPem: ecServerFromRsa.certPem, keyPem: ecServerFromRsa.keyPem }, { name: 'x' }), /not a CA/);
});

test('mutual TLS 1.2 and 1.3 with an RSA server certificate from the EC CA and an EC client certificate', async () => {
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    const srv = tls.createServer({
      key: rsaServerFromEc.keyPem, cert: rsaServerFromEc.certPem, ca: [ecCa.certPem], requestCert: true, rejectUnauthorized: true,
    }, (sock) => sock.end(`hello ${sock.getPeerCertificate().subject.CN}`));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const got = await new Promise<string>((resolve, reject) => {
        let data = '';
        const sock = tls.connect({
          host: '127.0.0.1', port: (srv.address() as AddressInfo).port, ca: [ecCa.certPem],
          cert: ecClientFromEc.certPem, key: ecClientFromEc.keyPem, minVersion: version, maxVersion: version,
        });
        sock.on('data', (d) => { data += d.toString(); });
        sock.on('error', reject);
        sock.on('close', () => resolve(data));
      });
      assert.equal(got, 'hello ec-client', version);
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
    }
  }
});
