import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCa, createCsr, readCsr, signClientCsr, inspectCertificate, type CaMaterial } from '../main/pki/index.js';

let tmp: string;
let rsaCa: CaMaterial;
let ecCa: CaMaterial;
const f = (name: string) => path.join(tmp, name);
const write = (name: string, text: string | Buffer) => { fs.writeFileSync(f(name), text); return f(name); };
const read = (name: string) => fs.readFileSync(f(name), 'utf8');

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `openssl req -verify`: prints its verdict on stderr, and fails (exit 1) when the signature does not verify. */
function reqVerify(file: string): string {
  const r = spawnSync('openssl', ['req', '-in', file, '-noout', '-verify'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr + r.stdout;
}

/** A CSR made by `openssl req -new` with a fresh key of the given algorithm options. */
function opensslCsr(name: string, keyArgs: string[], subj: string, ...extra: string[]): string {
  openssl('genpkey', ...keyArgs, '-out', f(`${name}.key`));
  openssl('req', '-new', '-key', f(`${name}.key`), '-subj', subj, '-out', f(`${name}.csr`), ...extra);
  return read(`${name}.csr`);
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keyhold-pki-csr-'));
  [rsaCa, ecCa] = await Promise.all([
    createCa({ commonName: 'CSR RSA CA', key: { type: 'rsa', bits: 2048 }, validityDays: 30 }),
    createCa({ commonName: 'CSR EC CA', key: { type: 'ec', curve: 'P-256' }, validityDays: 30 }),
  ]);
  write('rsa-ca.crt', rsaCa.certPem);
  write('ec-ca.crt', ecCa.certPem);
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('createCsr with a new RSA key: openssl verifies it and shows the SAN extension request', async () => {
  const { csrPem, keyPem } = await createCsr({
    commonName: 'kms.example.test', dnsNames: ['kms.example.test', 'kmip.example.test'],
    ipAddresses: ['192.0.2.7', '2001:db8::7'], key: { type: 'rsa', bits: 2048 },
  });
  assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.match(csrPem, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
  assert.match(reqVerify(write('k1.csr', csrPem)), /verify OK/);
  const t = openssl('req', '-in', f('k1.csr'), '-noout', '-text');
  assert.match(t, /Subject: CN ?= ?kms\.example\.test/);
  assert.match(t, /Requested Extensions:\s+X509v3 Subject Alternative Name: \s*DNS:kms\.example\.test, DNS:kmip\.example\.test, IP Address:192\.0\.2\.7, IP Address:2001:DB8:0:0:0:0:0:7\n/);
  assert.match(t, /Signature Algorithm: sha256WithRSAEncryption/);
  assert.deepEqual(readCsr(csrPem), {
    subject: 'CN=kms.example.test',
    commonName: 'kms.example.test',
    dnsNames: ['kms.example.test', 'kmip.example.test'],
    ipAddresses: ['192.0.2.7', '2001:db8::7'],
    publicKeyPem: openssl('pkey', '-in', write('k1.key', keyPem), '-pubout'),
    keyType: 'rsa', bits: 2048, curve: null,
    signatureAlgorithm: 'sha256WithRSAEncryption',
    signatureValid: true,
  });
});

test('createCsr with EC keys (new P-384, existing SEC1 P-256 key) and without SANs', async () => {
  const p384 = await createCsr({ commonName: 'ec-client', key: { type: 'ec', curve: 'P-384' } });
  assert.match(reqVerify(write('e1.csr', p384.csrPem)), /verify OK/);
  const t = openssl('req', '-in', f('e1.csr'), '-noout', '-text');
  assert.match(t, /Signature Algorithm: ecdsa-with-SHA384/);
  assert.match(t, /ASN1 OID: secp384r1/);
  assert.match(t, /Attributes:\s*\n\s*\(none\)|Attributes:\s*\n\s*a0:00/);
  const info = readCsr(p384.csrPem);
  assert.equal(info.signatureValid, true);
  assert.deepEqual([info.keyType, info.bits, info.curve, info.dnsNames, info.ipAddresses], ['ec', 384, 'P-384', [], []]);

  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('sec1.key'));
  assert.match(read('sec1.key'), /BEGIN EC PRIVATE KEY/);
  const own = await createCsr({ commonName: 'appliance', dnsNames: ['nas.example.test'], key: read('sec1.key') });
  assert.match(own.keyPem, /^-----BEGIN PRIVATE KEY-----\n/); // returned as PKCS#8
  assert.equal(openssl('pkey', '-in', write('own.key', own.keyPem), '-pubout'), openssl('pkey', '-in', f('sec1.key'), '-pubout'));
  assert.match(reqVerify(write('own.csr', own.csrPem)), /verify OK/);
  assert.equal(readCsr(own.csrPem).curve, 'P-256');

  await assert.rejects(createCsr({ commonName: 'x', key: 'not a key' }), /not a readable PEM private key/);
  await assert.rejects(createCsr({ commonName: 'x', dnsNames: ['bad name'], key: own.keyPem }), /Invalid DNS name/);
  await assert.rejects(createCsr({ commonName: 'x', ipAddresses: ['300.1.1.1'], key: own.keyPem }), /Invalid IP address/);
  openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', f('weak.key'));
  await assert.rejects(createCsr({ commonName: 'x', key: read('weak.key') }), /1024-bit RSA key/);
});

test('readCsr and signClientCsr on requests made by openssl req (RSA, EC P-256, EC P-521)', () => {
  const cases = [
    { name: 'o-rsa', key: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], type: 'rsa', bits: 2048, curve: null },
    { name: 'o-p256', key: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], type: 'ec', bits: 256, curve: 'P-256' },
    { name: 'o-p521', key: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'], type: 'ec', bits: 521, curve: 'P-521' },
  ];
  for (const c of cases) {
    const csr = opensslCsr(c.name, c.key, `/C=DE/O=Acme Tape/CN=${c.name}_01`,
      '-addext', 'subjectAltName=DNS:tape.example.test,IP:10.1.2.3,IP:::ffff:10.1.2.4');
    const info = readCsr(csr);
    assert.equal(info.subject, `C=DE, O=Acme Tape, CN=${c.name}_01`);
    assert.equal(info.commonName, `${c.name}_01`);
    assert.deepEqual(info.dnsNames, ['tape.example.test']);
    assert.deepEqual(info.ipAddresses, ['10.1.2.3', '10.1.2.4']);
    assert.deepEqual([info.keyType, info.bits, info.curve, info.signatureValid], [c.type, c.bits, c.curve, true]);
    assert.equal(info.publicKeyPem, openssl('pkey', '-in', f(`${c.name}.key`), '-pubout'));

    for (const [caName, ca] of [['rsa-ca', rsaCa], ['ec-ca', ecCa]] as const) {
      const signed = signClientCsr(ca, csr, { validityDays: 3 });
      const crt = write(`${c.name}-${caName}.crt`, signed.certPem);
      assert.match(openssl('verify', '-CAfile', f(`${caName}.crt`), '-purpose', 'sslclient', crt), /OK/);
      const t = openssl('x509', '-in', crt, '-noout', '-text');
      assert.match(t, new RegExp(`Subject: CN ?= ?${c.name}_01\\n`));
      assert.match(t, /X509v3 Extended Key Usage: \s*TLS Web Client Authentication\n/);
      assert.match(t, c.type === 'rsa' ? /Key Usage: critical\s+Digital Signature, Key Encipherment\n/ : /Key Usage: critical\s+Digital Signature\n/);
      assert.ok(!t.includes('Subject Alternative Name'), 'requested SANs are not copied into client certificates');
      assert.equal(openssl('x509', '-in', crt, '-noout', '-pubkey'), info.publicKeyPem);
      assert.equal(inspectCertificate(signed.certPem).fingerprintSha256, signed.fingerprint);
    }
  }
  const renamed = signClientCsr(rsaCa, read('o-rsa.csr'), { name: 'vsphere-02' });
  assert.equal(inspectCertificate(renamed.certPem).commonName, 'vsphere-02');
});

test('signClientCsr refuses a tampered request, a weak RSA key, an unsupported curve or key type, and a missing name', () => {
  const good = opensslCsr('t', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=honest-client');
  const der = Buffer.from(good.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const at = der.indexOf(Buffer.from('honest'));
  assert.ok(at > 0);
  der.write('evil__', at, 'latin1');
  const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
  const info = readCsr(tampered);
  assert.equal(info.commonName, 'evil__-client');
  assert.equal(info.signatureValid, false);
  assert.throws(() => signClientCsr(ecCa, tampered), /signature \(ecdsa-with-SHA256\) does not verify with its own key/);

  const rsa1024 = opensslCsr('w', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'], '/CN=weak');
  assert.equal(readCsr(rsa1024).signatureValid, true);
  assert.throws(() => signClientCsr(ecCa, rsa1024), /Refusing the certificate request: it has a 1024-bit RSA key, below the 2048-bit minimum/);

  const k1 = opensslCsr('k1', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1'], '/CN=bitcoinish');
  assert.equal(readCsr(k1).curve, 'secp256k1');
  assert.throws(() => signClientCsr(ecCa, k1), /EC key on the curve secp256k1, and only P-256, P-384 and P-521 are accepted/);

  const ed = opensslCsr('ed', ['-algorithm', 'ED25519'], '/CN=edwards');
  assert.deepEqual([readCsr(ed).keyType, readCsr(ed).signatureValid], ['ed25519', true]);
  assert.throws(() => signClientCsr(ecCa, ed), /ed25519 key, and only RSA and EC/);

  const noCn = opensslCsr('ncn', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/O=Nobody');
  assert.equal(readCsr(noCn).commonName, null);
  assert.throws(() => signClientCsr(ecCa, noCn), /no common name/);
  assert.match(inspectCertificate(signClientCsr(ecCa, noCn, { name: 'named' }).certPem).commonName ?? '', /^named$/);
  const spaced = opensslCsr('sp', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=has space');
  assert.throws(() => signClientCsr(ecCa, spaced), /Invalid client name/);

  assert.throws(() => readCsr('hello'), /Not a PEM certificate request/);
  assert.throws(() => readCsr('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n'), /Not a readable PKCS#10 certificate request/);
});
