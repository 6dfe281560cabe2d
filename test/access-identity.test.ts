// The ways a client is recognised, on the live server over real TLS:
// a certificate issued by Keyhold's CA, an imported certificate pinned by its
// SHA-256, any certificate of an imported client CA whose subject matches a
// pattern, and a KMIP Username and Password credential on top. Certificates
// "made elsewhere" are built here with node-forge, independently of main/pki.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import forge from 'node-forge';
import { buildRequestMessage, parseResponseMessage, type Authentication, type ResponseBatchItem } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, struct } from '../shared/kmip/ttlv/index.js';
import { parseGrants } from '../main/access/policy.js';
import { ConnectionCredentials, hashPassword, LoginFailures, MISSING_CREDENTIAL, TOO_MANY_FAILURES, WRONG_CREDENTIAL } from '../main/access/credentials.js';
import { enrolClient, importClient, startServer, type RunningServer } from '../main/server/serve.js';
import { pinnedCertificate, readClientsDoc, registryOf, trustedClientCa, type PeerCertificate } from '../main/server/clients.js';
import { queryAudit } from '../main/audit/audit-log.js';
import { capturingLogger, call, connect, type Creds } from './support/kmip-tls.js';
import { REPO_ROOT } from './support/reference.js';

const BIN = join(REPO_ROOT, 'bin', 'keyhold.mjs');
const DAY = 86_400_000;

interface Made {
  certPem: string;
  keyPem: string;
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

/** A certificate "made elsewhere": self-signed, or signed by `issuer`. */
function makeCert(cn: string, o: { issuer?: Made; ca?: boolean; eku?: 'clientAuth' | 'serverAuth' | 'none'; from?: Date; to?: Date; org?: string } = {}): Made {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '0' + forge.util.bytesToHex(forge.random.getBytesSync(8));
  cert.validity.notBefore = o.from ?? new Date(Date.now() - DAY);
  cert.validity.notAfter = o.to ?? new Date(Date.now() + 365 * DAY);
  const subject = [{ name: 'commonName', value: cn }, ...(o.org === undefined ? [] : [{ name: 'organizationName', value: o.org }])];
  cert.setSubject(subject);
  cert.setIssuer(o.issuer === undefined ? subject : o.issuer.cert.subject.attributes);
  const exts: object[] = [];
  if (o.ca) exts.push({ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true });
  else {
    exts.push({ name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true });
    const eku = o.eku ?? 'clientAuth';
    if (eku !== 'none') exts.push({ name: 'extKeyUsage', [eku]: true });
  }
  exts.push({ name: 'subjectKeyIdentifier' });
  cert.setExtensions(exts);
  cert.sign(o.issuer?.key ?? key, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(key), cert, key };
}

const query = (auth?: Authentication) =>
  encodeTtlv(buildRequestMessage({
    header: { protocolVersion: { major: 2, minor: 1 }, ...(auth === undefined ? {} : { authentication: auth }) },
    batchItems: [{ operation: Enum.Operation.Query, requestPayload: struct(Tag.RequestPayload, []) }],
  }));
const userPass = (username: string, password?: string): Authentication => ({
  credentials: [{ type: 'UsernameAndPassword', username, ...(password === undefined ? {} : { password }) }],
});

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return cliWithInput(undefined, ...args);
}

function cliWithInput(input: string | undefined, ...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1 });
    });
    child.stdin!.end(input ?? '');
  });
}

describe('client identities over TLS', { timeout: 180_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-identity-'));
  const dir = join(root, 'data');
  let server: RunningServer;
  const captured = capturingLogger();
  let keyholdCa: string;
  // Made elsewhere: a corporate CA and certificates it issued, and a self-signed one.
  const corpCa = makeCert('Corp Issuing CA', { ca: true, org: 'Corp' });
  const esx01 = makeCert('esx-01.corp.example', { issuer: corpCa, org: 'Corp' });
  const esx02 = makeCert('esx-02.corp.example', { issuer: corpCa, org: 'Corp' });
  const intruder = makeCert('laptop.corp.example', { issuer: corpCa, org: 'Corp' });
  const selfSigned = makeCert('tape-library-7');
  const strangerSelfSigned = makeCert('tape-library-8');
  const serverOnly = makeCert('web.corp.example', { issuer: corpCa, eku: 'serverAuth' });
  const expired = makeCert('old-client', { from: new Date(Date.now() - 400 * DAY), to: new Date(Date.now() - DAY) });
  const PASSWORD = 'correct horse battery staple 7';
  const file = (name: string, text: string) => {
    const f = join(root, name);
    writeFileSync(f, text);
    return f;
  };
  const creds = (m: Made): Creds => ({ cert: m.certPem, key: m.keyPem, ca: keyholdCa });

  /** Connects and runs one Query; the registry reloads clients.json asynchronously, so retry up to 2 s. */
  async function queryAs(c: Creds, auth?: Authentication, retryMs = 2000): Promise<ResponseBatchItem> {
    const until = Date.now() + retryMs;
    for (;;) {
      try {
        const s = await connect(server.address.port, c);
        try {
          return parseResponseMessage(decodeTtlv(await call(s, query(auth)))).batchItems[0]!;
        } finally {
          s.destroy();
        }
      } catch (e) {
        if (Date.now() > until) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
  /** The connection is closed without an answer (refused after the handshake). */
  async function refused(c: Creds): Promise<void> {
    await assert.rejects(queryAs(c, undefined, 0));
  }
  async function auditSays(pred: (r: ReturnType<typeof queryAudit>[number]) => boolean, what: string): Promise<void> {
    const until = Date.now() + 3000;
    while (!queryAudit(dir).some(pred)) {
      if (Date.now() > until) assert.fail(`no audit record: ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  before(async () => {
    server = await startServer({ dataDir: dir, host: '127.0.0.1', port: 0, log: captured.log });
    keyholdCa = readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8');
  });
  after(async () => {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('I01 an imported self-signed certificate, pinned by SHA-256, is accepted; another self-signed one is not', async () => {
    const r = await cli('client', 'add', 'tape7', '--data-dir', dir, '--cert', file('tape7.crt', selfSigned.certPem), '--permissions', 'query');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /client "tape7" registered: certificate "CN=tape-library-7", valid until/);
    assert.equal((await queryAs(creds(selfSigned))).resultStatus, Enum.ResultStatus.Success);
    await refused(creds(strangerSelfSigned));
    await auditSays((x) => x.kind === 'connection' && x.result === 'refused' && /not registered and not from a trusted CA/.test(x.reason ?? ''), 'stranger refused');
  });

  it('I02 import refuses, in one line, a CA certificate, a server-only certificate and an expired one', async () => {
    const cases: [string, string, RegExp][] = [
      ['ca', corpCa.certPem, /is a CA certificate; to trust the certificates it issues, use --ca FILE --subject PATTERN/],
      ['web', serverOnly.certPem, /extended key usage \(serverAuth\) lacks clientAuth/],
      ['old', expired.certPem, /the client certificate expired on \d{4}-/],
      ['junk', 'not a certificate', /not a readable PEM certificate/],
    ];
    for (const [name, pem, why] of cases) {
      const r = await cli('client', 'add', name, '--data-dir', dir, '--cert', file(`${name}.pem`, pem));
      assert.equal(r.code, 1, `${name}: ${r.stdout}`);
      assert.match(r.stderr, why);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.equal((await readClientsDoc(dir)).clients.some((c) => ['ca', 'web', 'old', 'junk'].includes(c.name)), false);
  });

  it('I03 a trusted client CA with a subject pattern: matching certificates are that client, others of the CA are refused', async () => {
    // Imported while the server runs: the TLS layer must start trusting the CA without a restart.
    const r = await cli('client', 'add', 'esx-hosts', '--data-dir', dir, '--ca', file('corp-ca.crt', corpCa.certPem), '--subject', 'CN=esx-*.corp.example, O=Corp', '--permissions', 'query,create:own,get:own');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /certificates of CA "CN=Corp Issuing CA, O=Corp" whose subject matches CN=esx-\*\.corp\.example, O=Corp/);
    assert.equal((await queryAs(creds(esx01))).resultStatus, Enum.ResultStatus.Success);
    assert.equal((await queryAs(creds(esx02))).resultStatus, Enum.ResultStatus.Success);
    await auditSays((x) => x.kind === 'connection' && x.client === 'esx-hosts' && x.result === 'accepted', 'esx accepted as esx-hosts');
    await refused(creds(intruder));
    await auditSays((x) => x.kind === 'connection' && x.result === 'refused' && /"CN=laptop\.corp\.example, O=Corp" from CA "CN=Corp Issuing CA, O=Corp" matches no client's subject pattern/.test(x.reason ?? ''), 'intruder refused');
  });

  it('I04 narrowing the pattern refuses the certificates it no longer matches, at their next connection', async () => {
    const r = await cli('client', 'set', 'esx-hosts', '--data-dir', dir, '--subject', 'CN=esx-01.corp.example');
    assert.equal(r.code, 0, r.stderr);
    const until = Date.now() + 2000;
    for (;;) {
      try {
        await refused(creds(esx02));
        break;
      } catch (e) {
        if (Date.now() > until) throw e;
        await new Promise((res) => setTimeout(res, 50));
      }
    }
    assert.equal((await queryAs(creds(esx01))).resultStatus, Enum.ResultStatus.Success);
  });

  it('I11 a second client trusting the same CA is told how overlapping patterns resolve', async () => {
    const r = await cli('client', 'trust-ca', 'esx-spare', '--data-dir', dir, '--ca', file('corp-ca.crt', corpCa.certPem), '--subject', 'CN=spare-*');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: client "esx-hosts" also trusts this CA \(subject CN=esx-.*\); a certificate matching both belongs to a disabled one if any, else to the one listed first/);
  });

  it("I05 Keyhold's own CA cannot be a client CA, added or set", async () => {
    await assert.rejects(importClient(dir, 'sneaky', { caPem: keyholdCa, subject: '*' }), /Keyhold's own CA/);
    const r = await cli('client', 'set', 'tape7', '--data-dir', dir, '--ca', file('keyhold-ca.crt', keyholdCa), '--subject', '*');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Keyhold's own CA/);
  });

  it('I06 a client with a password: no credential or a wrong one answers Authentication Not Successful; the right one works', async () => {
    const out = join(root, 'vc');
    const r = await cliWithInput(`${PASSWORD}\n`, 'client', 'add', 'vcenter', '--data-dir', dir, '--out', out, '--password-stdin', '--username', 'vc-kms', '--permissions', 'query');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /password for username vc-kms/);
    const vc: Creds = { cert: readFileSync(join(out, 'vcenter.crt'), 'utf8'), key: readFileSync(join(out, 'vcenter.key'), 'utf8'), ca: keyholdCa };
    const failed = (x: ResponseBatchItem, message: string) => {
      assert.equal(x.resultStatus, Enum.ResultStatus.OperationFailed);
      assert.equal(x.resultReason, Enum.ResultReason.AuthenticationNotSuccessful);
      assert.equal(x.resultMessage, message);
    };
    failed(await queryAs(vc), MISSING_CREDENTIAL);
    failed(await queryAs(vc, userPass('vc-kms', 'wrong password, quite long')), WRONG_CREDENTIAL);
    failed(await queryAs(vc, userPass('vcenter', PASSWORD)), WRONG_CREDENTIAL); // the right password under another username
    failed(await queryAs(vc, userPass('vc-kms')), WRONG_CREDENTIAL);
    assert.equal((await queryAs(vc, userPass('vc-kms', PASSWORD))).resultStatus, Enum.ResultStatus.Success);
    await auditSays((x) => x.kind === 'request' && x.client === 'vcenter' && x.reason === 'AuthenticationNotSuccessful', 'failed authentication recorded');

    // The password is a slow salted hash in clients.json, and never appears in the log, the audit log or the file.
    const text = readFileSync(join(dir, 'clients.json'), 'utf8');
    assert.match(text, /"password": "scrypt\$15\$8\$1\$/);
    // The database and its WAL (recent records may not be checkpointed yet).
    const audit = Buffer.concat(readdirSync(dir).filter((f) => f.startsWith('audit.db')).map((f) => readFileSync(join(dir, f))));
    const csv = await cli('log', 'export', '--format', 'csv', '--data-dir', dir);
    const jsonl = await cli('log', 'export', '--format', 'jsonl', '--data-dir', dir);
    assert.match(jsonl.stdout, /AuthenticationNotSuccessful/); // the exports do hold the failed attempts
    for (const haystack of [text, audit.toString('latin1'), captured.lines.join('\n'), r.stdout, r.stderr, csv.stdout, jsonl.stdout]) {
      assert.equal(haystack.includes(PASSWORD), false);
      assert.equal(haystack.includes('wrong password, quite long'), false);
    }

    // --no-password: certificate alone again.
    assert.equal((await cli('client', 'set', 'vcenter', '--data-dir', dir, '--no-password')).code, 0);
    const until = Date.now() + 2000;
    let last: ResponseBatchItem;
    while ((last = await queryAs(vc)).resultStatus !== Enum.ResultStatus.Success && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
    assert.equal(last.resultStatus, Enum.ResultStatus.Success);
  });

  it('I07 --password-stdin refuses a short password in one line, and nothing is registered', async () => {
    const r = await cliWithInput('short\n', 'client', 'add', 'weak', '--data-dir', dir, '--out', join(root, 'weak'), '--password-stdin');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--password-stdin: the password must have at least 12 characters/);
    assert.equal((await readClientsDoc(dir)).clients.some((c) => c.name === 'weak'), false);
  });

  it('I08 client show and list say how each client is recognised', async () => {
    const show = await cli('client', 'show', 'esx-hosts', '--data-dir', dir);
    assert.match(show.stdout, /^recognised: +certificates of CA "CN=Corp Issuing CA, O=Corp" \(SHA-256 [0-9a-f]{16}…\) with subject CN=esx-01\.corp\.example$/m);
    const list = await cli('client', 'list', '--data-dir', dir);
    assert.match(list.stdout, /^tape7\tSHA-256 [0-9a-f]{16}…\t/m);
    assert.match(list.stdout, /^esx-hosts\tCA [0-9a-f]{16}… CN=esx-01\.corp\.example\t/m);
  });

  it('I10 a replaced pinned certificate stops serving its open connection at the next request', async () => {
    const s = await connect(server.address.port, creds(selfSigned));
    assert.equal(parseResponseMessage(decodeTtlv(await call(s, query()))).batchItems[0]!.resultStatus, Enum.ResultStatus.Success);
    const r = await cli('client', 'set', 'tape7', '--data-dir', dir, '--cert', file('tape8.crt', strangerSelfSigned.certPem));
    assert.equal(r.code, 0, r.stderr);
    const until = Date.now() + 3000;
    let closed = false;
    while (!closed && Date.now() < until) {
      closed = await call(s, query(), 1000).then(() => false, () => true);
      if (!closed) await new Promise((res) => setTimeout(res, 100));
    }
    s.destroy();
    assert.ok(closed, 'the old certificate kept its connection');
    await auditSays((x) => x.kind === 'connection' && x.client === 'tape7' && x.result === 'closed', 'closed recorded');
    assert.equal((await queryAs(creds(strangerSelfSigned))).resultStatus, Enum.ResultStatus.Success);
  });

  it('I09 the username defaults to the client name', async () => {
    const out = join(root, 'p2');
    await enrolClient(dir, 'db-node', out, { grants: parseGrants('query') }, { password: PASSWORD });
    const c: Creds = { cert: readFileSync(join(out, 'db-node.crt'), 'utf8'), key: readFileSync(join(out, 'db-node.key'), 'utf8'), ca: keyholdCa };
    assert.equal((await queryAs(c, userPass('db-node', PASSWORD))).resultStatus, Enum.ResultStatus.Success);
    assert.equal((await queryAs(c)).resultReason, Enum.ResultReason.AuthenticationNotSuccessful);
  });
});

describe('recognising a certificate (registry, pure)', () => {
  const base = { added: '', grants: [], groups: [], ips: [], description: '', enabled: true };
  const fp = 'a'.repeat(64);
  const any = makeCert('x');
  const der = (m: Made) => new X509Certificate(m.certPem).raw;
  const peer = (over: Partial<PeerCertificate> = {}): PeerCertificate => ({
    fingerprint: fp, der: der(any), chain: [], subject: { CN: 'x' }, trusted: false, error: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + DAY), ...over,
  });
  const reg = registryOf({ clients: [{ ...base, name: 'pinned', fingerprint: fp, imported: true }], allow: [], retired: [] });

  it('R01 a pinned certificate is recognised whoever issued it, while it is valid and usable for clientAuth', () => {
    assert.deepEqual(reg.recognise(peer()), { name: 'pinned' });
    assert.match((reg.recognise(peer({ notAfter: new Date(Date.now() - 1000) })) as { refusal: string }).refusal, /client "pinned": client certificate expired on/);
    assert.match((reg.recognise(peer({ notBefore: new Date(Date.now() + DAY) })) as { refusal: string }).refusal, /not valid before/);
    assert.match((reg.recognise(peer({ extendedKeyUsage: ['1.3.6.1.5.5.7.3.1'] })) as { refusal: string }).refusal, /lacks the clientAuth extended key usage/);
    assert.deepEqual(reg.recognise(peer({ extendedKeyUsage: ['1.3.6.1.5.5.7.3.2'] })), { name: 'pinned' });
    // A chain error other than "unknown issuer" (a bad signature, say) is never overridden by the pin.
    assert.match((reg.recognise(peer({ error: 'CERT_SIGNATURE_FAILURE' })) as { refusal: string }).refusal, /not accepted \(CERT_SIGNATURE_FAILURE\)/);
  });

  it('R02 an unpinned certificate needs a trusted chain and a matching pattern', () => {
    assert.match((reg.recognise(peer({ fingerprint: 'b'.repeat(64) })) as { refusal: string }).refusal, /not registered and not from a trusted CA/);
    assert.match((reg.recognise(peer({ fingerprint: 'b'.repeat(64), trusted: true, error: null })) as { refusal: string }).refusal, /is not registered$/);
  });

  it('R04 a client CA counts only when signatures lead to it, not a CA with the same name sent in the chain', () => {
    // Two CAs with the same name: X trusts A, Y trusts B. Y holds B's key and sends A's public certificate as "its" issuer.
    const caA = makeCert('Same Name CA', { ca: true });
    const caB = makeCert('Same Name CA', { ca: true });
    const leaf = makeCert('esx-evil', { issuer: caB });
    const entry = (name: string, ca: Made) => ({ ...base, name, ca: trustedClientCa(ca.certPem, '*') });
    const r = registryOf({ clients: [entry('X-victim', caA), entry('Y', caB)], allow: [], retired: [] });
    const p = peer({ fingerprint: 'c'.repeat(64), der: der(leaf), chain: [der(caA)], subject: { CN: 'esx-evil' }, trusted: true, error: null });
    assert.deepEqual(r.recognise(p), { name: 'Y' });
    const onlyX = registryOf({ clients: [entry('X-victim', caA)], allow: [], retired: [] });
    assert.match((onlyX.recognise(p) as { refusal: string }).refusal, /is not registered$/);
  });

  it("R05 Keyhold's own CA is never a client CA, and a disabled client that matches is not shadowed by a broader pattern", () => {
    const ca = makeCert('Corp CA', { ca: true });
    const host = makeCert('esx-7.corp', { issuer: ca });
    const p = peer({ fingerprint: 'd'.repeat(64), der: der(host), chain: [der(ca)], subject: { CN: 'esx-7.corp' }, trusted: true, error: null });
    const fleet = { ...base, name: 'fleet', ca: trustedClientCa(ca.certPem, 'CN=esx-*') };
    const seven = { ...base, name: 'esx-7', enabled: false, ca: trustedClientCa(ca.certPem, 'CN=esx-7.corp') };
    assert.deepEqual(registryOf({ clients: [fleet, seven], allow: [], retired: [] }).recognise(p), { name: 'esx-7' });
    assert.deepEqual(registryOf({ clients: [fleet], allow: [], retired: [] }).recognise(p), { name: 'fleet' });
    const internal = registryOf({ clients: [fleet], allow: [], retired: [] }, { internalCa: () => fleet.ca.fingerprint });
    assert.match((internal.recognise(p) as { refusal: string }).refusal, /is not registered$/);
  });

  it('R06 after 10 wrong passwords in a minute a client is refused without a password check, for that minute', async () => {
    let t = 1_000_000;
    const failures = new LoginFailures(() => t);
    const required = { username: 'vc', hash: await hashPassword('the right password 1') };
    const conn = new ConnectionCredentials('vc', failures);
    for (let i = 0; i < 10; i++) assert.equal(await conn.check(required, userPass('vc', `wrong password ${i}xx`)), WRONG_CREDENTIAL);
    // Even the right password now waits out the minute (from another connection too), and costs no scrypt.
    const other = new ConnectionCredentials('vc', failures);
    const started = performance.now();
    assert.equal(await other.check(required, userPass('vc', 'the right password 1')), TOO_MANY_FAILURES);
    assert.ok(performance.now() - started < 20, 'a locked check should not run scrypt');
    t += 60_001;
    assert.equal(await other.check(required, userPass('vc', 'the right password 1')), undefined);
  });

  it('R03 pinnedCertificate accepts a certificate without Extended Key Usage (any use)', () => {
    const m = makeCert('no-eku', { eku: 'none' });
    assert.match(pinnedCertificate(m.certPem).fingerprint, /^[0-9a-f]{64}$/);
  });
});
