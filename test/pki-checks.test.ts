import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createCa, issueServerCert, issueClientCert, checkCertificate, firstProblem,
  type CaMaterial, type IssuedCert, type CertificateCheck, type CheckCertificateOptions,
} from '../main/pki/index.js';
import { buildCertificate, keyIdentifier, nameDer, type CertificateSpec } from '../main/pki/x509-builder.js';
import { publicKeyDer } from '../main/pki/keys.js';

// Deliberately bad certificates are built with the library's own X.509 builder; good ones come from the public API.
const DAY = 86_400_000;
const NOW = Date.now();
let tmp: string;
let ca: CaMaterial;
let server: IssuedCert;
let client: IssuedCert;

interface Party { key: KeyObject; name: Buffer; keyId: Buffer; pem: string }
const keys = {
  root: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  inter: generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey,
  leaf: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
  rsaLeaf: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  other: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
};
const party = (key: KeyObject, cn: string): Party => ({ key, name: nameDer(cn), keyId: keyIdentifier(publicKeyDer(key)), pem: '' });

function make(issuer: Party | 'self', subject: Party, o: Partial<CertificateSpec> = {}): string {
  const iss = issuer === 'self' ? subject : issuer;
  return buildCertificate({
    subjectName: subject.name, issuerName: iss.name, subjectPublicKey: subject.key, issuerKey: iss.key,
    notBefore: new Date(NOW - DAY), notAfter: new Date(NOW + 365 * DAY),
    ...(issuer === 'self' ? {} : { authorityKeyId: iss.keyId }),
    ...o,
  });
}
const serverLeaf: Partial<CertificateSpec> = {
  basicConstraints: { ca: false }, keyUsage: ['digitalSignature'], extKeyUsage: ['serverAuth'],
  dnsNames: ['kms.example.test', '*.kmip.example.test'], ipAddresses: ['192.0.2.10', '2001:db8::10'],
};

// A three-level PKI: root (RSA) -> intermediate (EC P-384) -> server leaf (EC P-256).
const root = party(keys.root, 'Check Root');
const inter = party(keys.inter, 'Check Intermediate');
const leaf = party(keys.leaf, 'kms.example.test');
root.pem = make('self', root, { basicConstraints: { ca: true }, keyUsage: ['keyCertSign', 'cRLSign'] });
inter.pem = make(root, inter, { basicConstraints: { ca: true, pathLength: 0 }, keyUsage: ['keyCertSign', 'cRLSign'] });
leaf.pem = make(inter, leaf, serverLeaf);
const leafKeyPem = keys.leaf.export({ type: 'pkcs8', format: 'pem' }) as string;

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
const write = (name: string, text: string) => { const p = path.join(tmp, name); fs.writeFileSync(p, text); return p; };

const errors = (checks: CertificateCheck[]) => checks.filter((c) => !c.ok && c.severity === 'error');
const failed = (checks: CertificateCheck[], id: string) => checks.find((c) => c.id === id && !c.ok);
/** Runs the checks and asserts exactly the failures listed (by id), returning the checks. */
function expectFailures(opts: CheckCertificateOptions, ids: string[]): CertificateCheck[] {
  const checks = checkCertificate(opts);
  assert.deepEqual(checks.filter((c) => !c.ok).map((c) => c.id).sort(), [...ids].sort(), JSON.stringify(checks, null, 1));
  for (const c of checks.filter((x) => !x.ok)) {
    // One plain sentence: capitalised, ends with a full stop, no second sentence, no key material.
    assert.match(c.message, /^[A-Z][^\n]*\.$/, c.message);
    assert.ok(!/\.\s+[A-Z]/.test(c.message), `more than one sentence: ${c.message}`);
    assert.ok(!/BEGIN|PRIVATE KEY|MII/.test(c.message), c.message);
  }
  return checks;
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keyhold-pki-checks-'));
  ca = await createCa({ commonName: 'Checks CA', key: { type: 'rsa', bits: 2048 } });
  [server, client] = await Promise.all([
    issueServerCert(ca, { hostName: 'kms.example.test', ipAddresses: ['192.0.2.1'], interfaces: {}, rsaBits: 2048 }),
    issueClientCert(ca, { name: 'vsphere', key: { type: 'ec', curve: 'P-256' } }),
  ]);
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('good certificates pass every check: issued server and client, the internal CA, a three-level chain', () => {
  const s = expectFailures({
    role: 'server', certPem: server.certPem, keyPem: server.keyPem, trustedCaPems: [ca.certPem],
    names: ['kms.example.test', 'KMS.example.test.', 'localhost', '127.0.0.1', '::1', '192.0.2.1', '::ffff:192.0.2.1'],
  }, []);
  assert.deepEqual(s.map((c) => c.id), [
    'readable', 'x509v3', 'not-yet-valid', 'expired', 'key-match', 'key-usage', 'extended-key-usage',
    'key-strength', 'signature-algorithm', 'chain', 'san', 'expires-soon',
  ]);
  assert.equal(firstProblem(s), null);
  assert.match(s.find((c) => c.id === 'chain')?.message ?? '', /trusted CA "CN=Checks CA" \(2 certificates\)/);
  expectFailures({ role: 'client', certPem: client.certPem, keyPem: client.keyPem, trustedCaPems: [ca.certPem] }, []);
  const c = expectFailures({ role: 'ca', certPem: ca.certPem, keyPem: ca.keyPem }, []);
  assert.match(c.find((x) => x.id === 'chain')?.message ?? '', /self-signed/);
  expectFailures({ role: 'ca', certPem: ca.certPem, trustedCaPems: [ca.certPem] }, []);

  const chainOpts = {
    role: 'server' as const, certPem: leaf.pem, keyPem: leafKeyPem, chainPems: [inter.pem], trustedCaPems: [root.pem],
    names: ['kms.example.test', 'a.kmip.example.test', '192.0.2.10', '2001:DB8:0:0::10', '[2001:db8::10]'],
  };
  const three = expectFailures(chainOpts, []);
  assert.match(three.find((x) => x.id === 'chain')?.message ?? '', /"CN=Check Root" \(3 certificates\)/);
  // A "fullchain" file (leaf then intermediate) in certPem, and the root supplied in the chain instead of a trust list.
  expectFailures({ role: 'server', certPem: leaf.pem + inter.pem, chainPems: [root.pem] }, []);
  // openssl agrees.
  assert.match(openssl('verify', '-CAfile', write('root.crt', root.pem), '-untrusted', write('inter.crt', inter.pem),
    '-purpose', 'sslserver', write('leaf.crt', leaf.pem)), /OK/);
});

test('validity: expired, not yet valid, expiring soon (warning only), and the firstProblem sentence', () => {
  const base = { role: 'server' as const, certPem: server.certPem, trustedCaPems: [ca.certPem] };
  const expiredAt = new Date(Date.parse(checkCertificate(base).find((c) => c.id === 'expired')?.message.match(/until (\S+)\./)?.[1] ?? '') + 3 * DAY);
  const e = expectFailures({ ...base, now: expiredAt }, ['expired']);
  assert.match(firstProblem(e) ?? '', /^The server certificate expired on \d{4}-\d\d-\d\d; issue a new one with `keyhold cert selfsigned` or import a renewed one\.$/);

  const early = expectFailures({ ...base, now: new Date(NOW - 2 * DAY) }, ['not-yet-valid', 'chain']); // the CA is not valid yet either
  assert.match(firstProblem(early) ?? '', /not valid before .*; check this computer's clock, or wait until then\./);

  const soon = expectFailures({ ...base, now: new Date(expiredAt.getTime() - 13 * DAY) }, ['expires-soon']);
  const w = failed(soon, 'expires-soon');
  assert.equal(w?.severity, 'warning');
  assert.match(w?.message ?? '', /expires on .*, in 10 days; issue a new one .* before then\./);
  assert.equal(firstProblem(soon), null, 'a warning does not stop the server');

  const past = party(keys.rsaLeaf, 'old.example.test');
  const old = make(root, past, { ...serverLeaf, dnsNames: ['old.example.test'], notBefore: new Date(NOW - 400 * DAY), notAfter: new Date(NOW - 35 * DAY) });
  expectFailures({ role: 'server', certPem: old, trustedCaPems: [root.pem] }, ['expired', 'key-usage']);
  assert.throws(() => openssl('verify', '-CAfile', write('root.crt', root.pem), write('old.crt', old)));
});

test('usage: a client certificate as server, missing keyEncipherment on RSA, missing digitalSignature, absent extensions', () => {
  const asServer = expectFailures({ role: 'server', certPem: client.certPem, trustedCaPems: [ca.certPem] }, ['extended-key-usage', 'san']);
  assert.match(failed(asServer, 'extended-key-usage')?.message ?? '',
    /extended key usage \(clientAuth\) does not include serverAuth, so TLS clients will refuse it; issue a certificate with extended key usage serverAuth\./);
  assert.equal(failed(asServer, 'san')?.severity, 'warning');
  expectFailures({ role: 'client', certPem: server.certPem, trustedCaPems: [ca.certPem] }, ['extended-key-usage']);

  const rsa = party(keys.rsaLeaf, 'rsa.example.test');
  const noKe = make(root, rsa, { ...serverLeaf, keyUsage: ['digitalSignature'] });
  const k = expectFailures({ role: 'server', certPem: noKe, trustedCaPems: [root.pem] }, ['key-usage']);
  assert.match(failed(k, 'key-usage')?.message ?? '', /key usage \(digitalSignature\) lacks keyEncipherment; issue a certificate whose key usage includes digitalSignature and keyEncipherment\./);
  // The same usage is right for an EC key, and keyAgreement alone is not.
  expectFailures({ role: 'server', certPem: make(root, leaf, serverLeaf), trustedCaPems: [root.pem] }, []);
  expectFailures({ role: 'server', certPem: make(root, leaf, { ...serverLeaf, keyUsage: ['keyAgreement'] }), trustedCaPems: [root.pem] }, ['key-usage']);
  // No keyUsage and no EKU at all: permitted (any use), not even a warning.
  const bare = make(root, leaf, { dnsNames: ['kms.example.test'] });
  const b = expectFailures({ role: 'client', certPem: bare, trustedCaPems: [root.pem] }, []);
  assert.match(b.find((c) => c.id === 'extended-key-usage')?.message ?? '', /no extended key usage extension, which permits any purpose/);

  const asCa = expectFailures({ role: 'ca', certPem: server.certPem, trustedCaPems: [ca.certPem] }, ['basic-constraints', 'key-usage']);
  assert.match(firstProblem(asCa) ?? '', /is not a CA \(basicConstraints CA:TRUE is missing\)/);
});

test('names: no SAN for the address, uncovered names, wildcard rules, IPv4-mapped and IPv6 forms', () => {
  const noSan = make(root, leaf, { ...serverLeaf, dnsNames: [], ipAddresses: [] });
  const n = expectFailures({ role: 'server', certPem: noSan, trustedCaPems: [root.pem], names: ['10.0.0.5'] }, ['san']);
  assert.match(firstProblem(n) ?? '', /has no subject alternative names, so clients connecting to the IP address 10\.0\.0\.5 will refuse it/);
  expectFailures({ role: 'server', certPem: noSan, trustedCaPems: [root.pem] }, ['san']); // warning without names

  const opts = { role: 'server' as const, certPem: leaf.pem, chainPems: [inter.pem], trustedCaPems: [root.pem] };
  const m = expectFailures({ ...opts, names: ['kms.example.test', 'a.b.kmip.example.test', 'kmip.example.test', '192.0.2.11', '::ffff:192.0.2.10'] }, ['san']);
  assert.match(firstProblem(m) ?? '',
    /does not cover the name a\.b\.kmip\.example\.test and the name kmip\.example\.test and the IP address 192\.0\.2\.11 \(it lists DNS kms\.example\.test, DNS \*\.kmip\.example\.test, IP 192\.0\.2\.10, IP 2001:db8::10\)/);
  // The common name is no fallback, and a DNS name never matches an IP entry or the reverse.
  expectFailures({ ...opts, names: ['x.kmip.example.test', 'X.KMIP.example.test', '2001:db8:0:0:0:0:0:10'] }, []);
  expectFailures({ ...opts, names: ['192.0.2.10.nip.io'] }, ['san']);
});

test('key match: another key, an unreadable key, an encrypted key', () => {
  const base = { role: 'server' as const, certPem: leaf.pem, chainPems: [inter.pem], trustedCaPems: [root.pem] };
  const other = keys.other.export({ type: 'pkcs8', format: 'pem' }) as string;
  const m = expectFailures({ ...base, keyPem: other }, ['key-match']);
  assert.match(firstProblem(m) ?? '', /^The private key does not belong to the server certificate \(they are from different key pairs\)/);
  expectFailures({ ...base, keyPem: 'junk' }, ['key-match']);
  const enc = keys.leaf.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }) as string;
  const e = expectFailures({ ...base, keyPem: enc }, ['key-match']);
  assert.match(firstProblem(e) ?? '', /is encrypted; decrypt it first/);
});

test('chain: incomplete, untrusted root, a non-CA issuer, a forged issuer, path length, an expired intermediate', () => {
  const inc = expectFailures({ role: 'server', certPem: leaf.pem, trustedCaPems: [root.pem] }, ['chain']);
  assert.match(firstProblem(inc) ?? '',
    /^The chain is incomplete: the certificate of "CN=Check Intermediate", which issued "CN=kms\.example\.test", is missing; add that CA certificate to the chain or to the trusted CAs\.$/);
  expectFailures({ role: 'server', certPem: leaf.pem, chainPems: [inter.pem] }, ['chain']); // no root anywhere
  assert.throws(() => openssl('verify', '-CAfile', write('root.crt', root.pem), write('leaf.crt', leaf.pem)));

  const otherRoot = party(keys.other, 'Other Root');
  otherRoot.pem = make('self', otherRoot, { basicConstraints: { ca: true }, keyUsage: ['keyCertSign'] });
  const u = expectFailures({ role: 'server', certPem: leaf.pem, chainPems: [inter.pem, root.pem], trustedCaPems: [otherRoot.pem] }, ['chain']);
  assert.match(firstProblem(u) ?? '', /ends at the self-signed certificate "CN=Check Root", which is not a trusted CA/);

  const notCa = party(keys.rsaLeaf, 'Not A CA');
  notCa.pem = make(root, notCa, { basicConstraints: { ca: false } });
  const signedByLeaf = make(notCa, leaf, serverLeaf);
  const nc = expectFailures({ role: 'server', certPem: signedByLeaf, chainPems: [notCa.pem], trustedCaPems: [root.pem] }, ['chain']);
  assert.match(firstProblem(nc) ?? '', /"CN=Not A CA", which signed "CN=kms\.example\.test", is not a CA/);

  const forger = { ...party(keys.other, 'Check Root') };
  const forged = make(forger, leaf, { ...serverLeaf, authorityKeyId: root.keyId });
  const fo = expectFailures({ role: 'server', certPem: forged, trustedCaPems: [root.pem] }, ['chain']);
  assert.match(firstProblem(fo) ?? '', /names "CN=Check Root" as its issuer, but its signature does not verify with that CA's key/);

  // The internal CA has pathlen 0: an intermediate below it is refused.
  const caKey = createPrivateKey(ca.keyPem);
  const caParty: Party = { key: caKey, name: nameDer('Checks CA'), keyId: keyIdentifier(publicKeyDer(caKey)), pem: ca.certPem };
  const sub = party(keys.inter, 'Sub CA');
  sub.pem = make(caParty, sub, { basicConstraints: { ca: true }, keyUsage: ['keyCertSign'] });
  const pl = expectFailures({ role: 'server', certPem: make(sub, leaf, serverLeaf), chainPems: [sub.pem], trustedCaPems: [ca.certPem] }, ['chain']);
  assert.match(firstProblem(pl) ?? '', /may only have 0 intermediate CAs below it \(pathlen 0\) but has 1/);

  const oldInter = party(keys.inter, 'Check Intermediate');
  oldInter.pem = make(root, oldInter, {
    basicConstraints: { ca: true, pathLength: 0 }, keyUsage: ['keyCertSign'], notBefore: new Date(NOW - 100 * DAY), notAfter: new Date(NOW - DAY),
  });
  const oi = expectFailures({ role: 'server', certPem: leaf.pem, chainPems: [oldInter.pem], trustedCaPems: [root.pem] }, ['chain']);
  assert.match(firstProblem(oi) ?? '', /The CA certificate "CN=Check Intermediate" in the chain is expired since/);
});

test('weak keys and signatures: RSA-1024, secp256k1, SHA-1 leaf and intermediate; a SHA-1 root self-signature is fine', () => {
  const weak = party(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey, 'weak.example.test');
  const w = expectFailures({ role: 'server', certPem: make(root, weak, { ...serverLeaf, keyUsage: ['digitalSignature', 'keyEncipherment'] }), trustedCaPems: [root.pem] }, ['key-strength']);
  assert.match(firstProblem(w) ?? '', /has a 1024-bit RSA key, below the 2048-bit minimum; issue a new certificate with an RSA key of at least 2048 bits or an EC P-256 or P-384 key\./);
  const k1 = party(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey, 'k1.example.test');
  expectFailures({ role: 'server', certPem: make(root, k1, serverLeaf), trustedCaPems: [root.pem] }, ['key-strength']);

  const sha1Leaf = make(root, leaf, { ...serverLeaf, hash: 'sha1' });
  assert.match(openssl('x509', '-in', write('sha1.crt', sha1Leaf), '-noout', '-text'), /Signature Algorithm: sha1WithRSAEncryption/);
  const s = expectFailures({ role: 'server', certPem: sha1Leaf, trustedCaPems: [root.pem] }, ['signature-algorithm']);
  assert.match(firstProblem(s) ?? '', /is signed with sha1WithRSAEncryption \(SHA1\), which TLS clients reject; have it re-issued with SHA-256 or better\./);

  const sha1Inter = party(keys.inter, 'Check Intermediate');
  sha1Inter.pem = make(root, sha1Inter, { basicConstraints: { ca: true, pathLength: 0 }, keyUsage: ['keyCertSign'], hash: 'sha1' });
  const si = expectFailures({ role: 'server', certPem: leaf.pem, chainPems: [sha1Inter.pem], trustedCaPems: [root.pem] }, ['signature-algorithm']);
  assert.match(firstProblem(si) ?? '', /Its issuing CA "CN=Check Intermediate" is signed with sha1WithRSAEncryption/);

  const sha1Root = party(keys.root, 'Check Root');
  sha1Root.pem = make('self', sha1Root, { basicConstraints: { ca: true }, keyUsage: ['keyCertSign'], hash: 'sha1' });
  expectFailures({ role: 'server', certPem: leaf.pem, chainPems: [inter.pem], trustedCaPems: [sha1Root.pem] }, []);
  expectFailures({ role: 'ca', certPem: sha1Root.pem }, []);
});

test('structure: an X.509 v1 certificate, and unreadable input', () => {
  const v1 = make(root, leaf, { version: 1 });
  assert.match(openssl('x509', '-in', write('v1.crt', v1), '-noout', '-text'), /Version: 1 \(0x0\)/);
  const c = expectFailures({ role: 'server', certPem: v1, trustedCaPems: [root.pem], names: ['kms.example.test'] }, ['x509v3', 'san']);
  assert.match(firstProblem(c) ?? '', /^The server certificate is an X\.509 version 1 certificate, which cannot carry the subject alternative names and key usages TLS needs; issue a version 3 certificate\.$/);

  const junk = checkCertificate({ role: 'client', certPem: 'hello' });
  assert.deepEqual(junk.map((x) => [x.id, x.ok, x.severity]), [['readable', false, 'error']]);
  assert.match(firstProblem(junk) ?? '', /not a readable PEM X\.509 certificate/);
  expectFailures({ role: 'server', certPem: leaf.pem, chainPems: ['junk'], trustedCaPems: [root.pem] }, ['chain']);
});
