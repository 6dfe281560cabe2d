import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createCa, type CaMaterial } from '../main/pki/ca.js';
import { issueServerCert, issueClientCert, validateClientName, type IssuedCert } from '../main/pki/issue.js';
import { inspectCertificate } from '../main/pki/inspect.js';
import { ensurePki, pkiFiles } from '../main/pki/store-files.js';
import { machineAddresses, type InterfaceMap } from '../main/pki/addresses.js';

// Key generation dominates the run time: one CA, one server, one client and one stranger for the whole file.
let tmp: string;
let ca: CaMaterial;
let server: IssuedCert;
let client: IssuedCert;
let stranger: CaMaterial;
const f = (name: string) => path.join(tmp, name);

const iface = (address: string, internal = false): os.NetworkInterfaceInfo =>
  (address.includes(':')
    ? { address, internal, family: 'IPv6', netmask: 'ffff:ffff:ffff:ffff::', mac: '00:00:00:00:00:00', cidr: null, scopeid: 0 }
    : { address, internal, family: 'IPv4', netmask: '255.255.255.0', mac: '00:00:00:00:00:00', cidr: null });
const fakeIfaces: InterfaceMap = {
  lo: [iface('127.0.0.1', true), iface('::1', true)],
  eth0: [iface('192.0.2.5'), iface('fe80::1234'), iface('2001:db8::5')],
};

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keyhold-pki-'));
  ca = await createCa({ commonName: 'Keyhold Test CA', validityDays: 30 });
  [server, client, stranger] = await Promise.all([
    issueServerCert(ca, {
      hostName: 'kms.example.test', extraNames: ['kmip.local'], ipAddresses: ['10.9.8.7'],
      validityDays: 10, interfaces: fakeIfaces,
    }),
    issueClientCert(ca, { name: 'vsphere_01', validityDays: 10 }),
    createCa({ commonName: 'vsphere_01', validityDays: 10 }), // self-signed impostor with the same name
  ]);
  fs.writeFileSync(f('ca.crt'), ca.certPem);
  fs.writeFileSync(f('server.crt'), server.certPem);
  fs.writeFileSync(f('server.key'), server.keyPem);
  fs.writeFileSync(f('client.crt'), client.certPem);
  fs.writeFileSync(f('client.key'), client.keyPem);
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('machineAddresses keeps non-internal addresses, drops loopback and IPv6 link-local', () => {
  assert.deepEqual(machineAddresses(fakeIfaces), ['192.0.2.5', '2001:db8::5']);
  assert.ok(Array.isArray(machineAddresses())); // the real machine: just must not throw
});

test('openssl verifies server and client certificates against the CA, for their purposes', () => {
  assert.match(openssl('verify', '-CAfile', f('ca.crt'), '-purpose', 'sslserver', f('server.crt')), /server\.crt: OK/);
  assert.match(openssl('verify', '-CAfile', f('ca.crt'), '-purpose', 'sslclient', f('client.crt')), /client\.crt: OK/);
  // Purposes are enforced by the EKUs: the client cert must not pass as a server cert.
  assert.throws(() => openssl('verify', '-CAfile', f('ca.crt'), '-purpose', 'sslserver', f('client.crt')));
  fs.writeFileSync(f('stranger.crt'), stranger.certPem);
  assert.throws(() => openssl('verify', '-CAfile', f('ca.crt'), f('stranger.crt')));
});

test('CA certificate: CA:TRUE pathlen 0 critical, keyCertSign+cRLSign critical, SKI, SHA-256, RSA-3072', () => {
  fs.writeFileSync(f('ca-only.crt'), ca.certPem);
  const t = openssl('x509', '-in', f('ca-only.crt'), '-noout', '-text');
  assert.match(t, /X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
  assert.match(t, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
  assert.match(t, /X509v3 Subject Key Identifier/);
  assert.match(t, /Signature Algorithm: sha256WithRSAEncryption/);
  assert.match(t, /Public-Key: \(3072 bit\)/);
  const serial = openssl('x509', '-in', f('ca-only.crt'), '-noout', '-serial').trim().replace('serial=', '');
  assert.match(serial, /^[4-7][0-9A-F]{31}$/); // 128-bit, positive, minimal DER
  assert.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
});

test('server certificate: SANs, key usage, EKU, AKI', () => {
  const t = openssl('x509', '-in', f('server.crt'), '-noout', '-text');
  for (const n of ['DNS:kms.example.test', 'DNS:kmip.local', 'DNS:localhost', 'IP Address:127.0.0.1',
    'IP Address:0:0:0:0:0:0:0:1', 'IP Address:10.9.8.7', 'IP Address:192.0.2.5', 'IP Address:2001:DB8:0:0:0:0:0:5']) {
    assert.ok(t.includes(n), `missing SAN ${n}`);
  }
  assert.ok(!/FE80/i.test(t), 'link-local must not be in the SAN');
  assert.match(t, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment, Key Agreement\n/);
  assert.match(t, /X509v3 Extended Key Usage: \s*TLS Web Server Authentication\n/);
  assert.match(t, /X509v3 Authority Key Identifier/);
  assert.match(t, /CA:FALSE/);
  assert.match(t, /Signature Algorithm: sha256WithRSAEncryption/);
  assert.match(t, /Subject: CN ?= ?kms\.example\.test/);
  // The AKI equals the CA's SKI.
  const ski = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(openssl('x509', '-in', f('ca-only.crt'), '-noout', '-text'))?.[1];
  assert.ok(ski && t.includes(ski));
});

test('client certificate: CN, key usage, EKU clientAuth, no SAN', () => {
  const t = openssl('x509', '-in', f('client.crt'), '-noout', '-text');
  assert.match(t, /Subject: CN ?= ?vsphere_01/);
  assert.match(t, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
  assert.match(t, /X509v3 Extended Key Usage: \s*TLS Web Client Authentication\n/);
  assert.ok(!t.includes('Subject Alternative Name'));
});

test('keys are PKCS#8 and match their certificates; fingerprints match openssl', () => {
  for (const [name, c] of [['server', server], ['client', client]] as const) {
    assert.match(c.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    const fromCert = openssl('x509', '-in', f(`${name}.crt`), '-noout', '-pubkey');
    const fromKey = openssl('pkey', '-in', f(`${name}.key`), '-pubout');
    assert.equal(fromCert, fromKey);
    const fp = openssl('x509', '-in', f(`${name}.crt`), '-noout', '-fingerprint', '-sha256').trim().split('=')[1];
    assert.equal(c.fingerprint, fp?.replace(/:/g, '').toLowerCase());
    assert.match(c.fingerprint, /^[0-9a-f]{64}$/);
  }
});

test('inspectCertificate reports fields and never key material', () => {
  const s = inspectCertificate(server.certPem);
  assert.equal(s.commonName, 'kms.example.test');
  assert.deepEqual(s.dnsNames, ['kms.example.test', 'kmip.local', 'localhost']);
  assert.deepEqual(s.ipAddresses.slice(0, 3), ['127.0.0.1', '::1', '10.9.8.7']);
  assert.ok(s.ipAddresses.includes('192.0.2.5'));
  assert.deepEqual(s.keyUsage, ['digitalSignature', 'keyEncipherment', 'keyAgreement']);
  assert.equal(s.keyUsageCritical, true);
  assert.deepEqual(s.extendedKeyUsage, ['serverAuth']);
  assert.equal(s.fingerprintSha256, server.fingerprint);
  assert.equal(s.isCA, false);
  assert.equal(s.selfSigned, false);
  assert.deepEqual(s.publicKey, { type: 'rsa', bits: 3072, curve: null });
  assert.ok(Date.parse(s.notAfter) - Date.parse(s.notBefore) <= 10 * 86_400_000 + 10 * 60_000);

  const c = inspectCertificate(ca.certPem);
  assert.equal(c.isCA, true);
  assert.equal(c.pathLength, 0);
  assert.equal(c.selfSigned, true);
  assert.deepEqual(c.keyUsage, ['keyCertSign', 'cRLSign']);
  assert.deepEqual(c.extendedKeyUsage, []);
  assert.equal(c.serialNumber.length, 32);

  const cl = inspectCertificate(client.certPem);
  assert.deepEqual(cl.extendedKeyUsage, ['clientAuth']);
  assert.deepEqual(cl.dnsNames, []);

  for (const info of [s, c, cl]) {
    const json = JSON.stringify(info);
    assert.ok(!/PRIVATE|BEGIN/.test(json));
  }
  assert.throws(() => inspectCertificate('not a cert'), /Not a readable X\.509 certificate/);
});

test('inspectCertificate reads an EC certificate made by openssl (forge cannot parse EC keys itself)', () => {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=ec-peer',
    '-keyout', f('ec.key'), '-out', f('ec.crt'), '-days', '2',
    '-addext', 'keyUsage=critical,digitalSignature', '-addext', 'extendedKeyUsage=clientAuth,1.2.3.4',
    '-addext', 'subjectAltName=DNS:ec.example,IP:192.0.2.9');
  const e = inspectCertificate(fs.readFileSync(f('ec.crt'), 'utf8'));
  assert.equal(e.commonName, 'ec-peer');
  assert.deepEqual(e.keyUsage, ['digitalSignature']);
  assert.deepEqual(e.extendedKeyUsage, ['clientAuth', '1.2.3.4']);
  assert.deepEqual(e.dnsNames, ['ec.example']);
  assert.deepEqual(e.ipAddresses, ['192.0.2.9']);
  assert.deepEqual(e.publicKey, { type: 'ec', bits: null, curve: 'prime256v1' });
});

test('client name validation', async () => {
  for (const bad of ['', 'a'.repeat(65), 'bad name', 'x/y', '../etc', 'é', 'a:b']) {
    await assert.rejects(issueClientCert(ca, { name: bad }), /Invalid client name .*1-64 characters/);
  }
  assert.equal(validateClientName('a'.repeat(64)), 'a'.repeat(64));
  assert.equal(validateClientName('Host-1.example_A'), 'Host-1.example_A');
  await assert.rejects(issueServerCert(ca, { hostName: 'bad host', interfaces: {} }), /Invalid DNS name/);
  await assert.rejects(issueServerCert(ca, { ipAddresses: ['999.1.1.1'], interfaces: {} }), /Invalid IP address/);
  await assert.rejects(createCa({ commonName: '' }), /common name/);
});

type Outcome = { ok: true; protocol: string | null } | { ok: false; error: string };

async function withServer(fn: (port: number, peers: string[], errors: string[]) => Promise<void>): Promise<void> {
  const peers: string[] = [];
  const errors: string[] = [];
  const srv = tls.createServer({
    key: server.keyPem, cert: server.certPem, ca: [ca.certPem],
    requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2',
  }, (sock) => {
    peers.push(sock.getPeerCertificate().fingerprint256.replace(/:/g, '').toLowerCase());
    sock.end('hello');
  });
  srv.on('tlsClientError', (e) => errors.push(e.message));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    await fn((srv.address() as AddressInfo).port, peers, errors);
  } finally {
    await new Promise<void>((r) => srv.close(() => r()));
  }
}

function connect(port: number, version: tls.SecureVersion, cred?: { certPem: string; keyPem: string }): Promise<Outcome> {
  return new Promise((resolve) => {
    let data = '';
    let protocol: string | null = null;
    // No servername: the identity check then runs against 127.0.0.1, exercising the IP SAN.
    const sock = tls.connect({
      host: '127.0.0.1', port, ca: [ca.certPem], minVersion: version, maxVersion: version,
      ...(cred ? { cert: cred.certPem, key: cred.keyPem } : {}),
    });
    sock.on('secureConnect', () => { protocol = sock.getProtocol(); });
    sock.on('data', (d) => { data += d.toString(); });
    sock.on('error', (e) => resolve({ ok: false, error: (e as NodeJS.ErrnoException).code ?? e.message }));
    sock.on('close', () => resolve(data === 'hello' ? { ok: true, protocol } : { ok: false, error: 'closed without data' }));
  });
}

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  test(`mutual TLS over ${version}: CA-issued client accepted, stranger and anonymous refused`, async () => {
    await withServer(async (port, peers, errors) => {
      const good = await connect(port, version, client);
      assert.deepEqual(good, { ok: true, protocol: version });
      assert.deepEqual(peers, [client.fingerprint]); // the identity the server sees is the fingerprint

      const strange = await connect(port, version, stranger);
      assert.equal(strange.ok, false);
      const none = await connect(port, version);
      assert.equal(none.ok, false);
      assert.equal(peers.length, 1, 'no refused client may reach the connection handler');
      assert.equal(errors.length, 2, `server-side refusals: ${errors.join(' | ')}`);
    });
  });
}

test('server refuses TLS 1.1 clients', async () => {
  await withServer(async (port) => {
    const old = await connect(port, 'TLSv1.1', client);
    assert.equal(old.ok, false);
  });
});

test('ensurePki: creates 0600 keys, reloads, refuses loose permissions, mismatches and half a CA', async () => {
  const dataDir = path.join(tmp, 'data');
  const files = pkiFiles(dataDir);
  const first = await ensurePki(dataDir, { hostName: 'kms.example.test', interfaces: fakeIfaces, caCommonName: 'Data CA' });
  assert.deepEqual(first.created, { ca: true, server: true });
  for (const k of [files.caKey, files.serverKey]) assert.equal(fs.statSync(k).mode & 0o777, 0o600);
  for (const c of [files.caCert, files.serverCert]) assert.equal(fs.statSync(c).mode & 0o777, 0o644);
  assert.equal(fs.statSync(files.dir).mode & 0o777, 0o700);
  assert.deepEqual(fs.readdirSync(files.dir).sort(), ['ca.crt', 'ca.key', 'server.crt', 'server.key']); // no temp leftovers
  assert.match(openssl('verify', '-CAfile', files.caCert, files.serverCert), /OK/);

  const second = await ensurePki(dataDir, { interfaces: fakeIfaces });
  assert.deepEqual(second.created, { ca: false, server: false });
  assert.equal(second.ca.certPem, first.ca.certPem);
  assert.equal(second.server.certPem, first.server.certPem);
  assert.equal(second.server.keyPem, first.server.keyPem);

  fs.chmodSync(files.serverKey, 0o644);
  await assert.rejects(ensurePki(dataDir), /Refusing to use .*server\.key: its permissions are 0644/);
  fs.chmodSync(files.serverKey, 0o600);

  const serverKey = fs.readFileSync(files.serverKey, 'utf8');
  fs.copyFileSync(files.caKey, files.serverKey);
  await assert.rejects(ensurePki(dataDir), /server\.key does not match .*server\.crt/);
  fs.writeFileSync(files.serverKey, serverKey);

  // A server cert from another CA (without that CA in server-ca.crt) is refused, not silently trusted, with the check's sentence.
  const foreign = await issueServerCert(ca, { hostName: 'x.test', interfaces: {}, rsaBits: 2048 });
  const ownCert = fs.readFileSync(files.serverCert, 'utf8');
  fs.writeFileSync(files.serverCert, foreign.certPem);
  fs.writeFileSync(files.serverKey, foreign.keyPem);
  await assert.rejects(ensurePki(dataDir), /server\.crt: The chain is incomplete: the certificate of "CN=Keyhold Test CA", which issued "CN=x\.test", is missing/);
  fs.writeFileSync(files.serverCert, ownCert);
  fs.writeFileSync(files.serverKey, serverKey);

  // A missing server pair is re-issued from the same CA.
  fs.rmSync(files.serverCert);
  const third = await ensurePki(dataDir, { hostName: 'kms.example.test', interfaces: {}, rsaBits: 2048 });
  assert.deepEqual(third.created, { ca: false, server: true });
  assert.equal(third.ca.certPem, first.ca.certPem);
  assert.equal(fs.statSync(files.serverKey).mode & 0o777, 0o600);
  assert.match(openssl('verify', '-CAfile', files.caCert, files.serverCert), /OK/);

  // Half a CA is never replaced (that would orphan every enrolled client).
  fs.rmSync(files.caCert);
  await assert.rejects(ensurePki(dataDir), /Incomplete internal CA: .*ca\.key exists but .*ca\.crt is missing/);
  assert.ok(fs.existsSync(files.caKey));
});
