// The setup wizard end to end: `keyhold serve` on a fresh data dir, the built
// UI in Debian's Chromium (test/support/e2e.ts). The first visit opens the
// wizard; it checks the environment, issues the server certificate from the
// internal CA, saves the server settings and the key policy, adds the first
// client and downloads its bundle, and passes the connection test as that
// client. PyKMIP then connects with the downloaded bundle, and the Logs
// screen shows its connection and its Create within seconds. On the way:
// Enter submits a step (keyboard only), a reload keeps the step and what was
// typed, Back and Next keep the entries, and the text switches to Chinese.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { e2eUnavailable, startE2e, type E2eSession } from './support/e2e.js';
import { PYTHON, pykmipProblem } from './support/pykmip.js';

const skip = e2eUnavailable();
// Never skipped: without Chromium or the built UI the tests fail and say what to install (.ci/run and npm test provide both).
if (skip !== null) throw new Error(`e2e: ${skip}`);

const CLIENT = 'pyclient';

/** Polls a field's value (the page's CSP refuses the string evaluation waitForFunction would need). */
async function waitForValue(page: Page, selector: string, want: RegExp, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  let last = '';
  while (!want.test((last = await page.locator(selector).inputValue().catch(() => '')))) {
    if (Date.now() - t0 > timeoutMs) assert.fail(`${selector} still "${last.slice(0, 80)}" after ${timeoutMs} ms`);
    await page.waitForTimeout(100);
  }
}

function openssl(): string | null {
  return spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0 ? null : 'openssl is missing (apt-get install openssl)';
}

/** Waits for step n; when it does not come, fails with what the page says (the error or the blocker shown). */
async function step(page: Page, n: number): Promise<void> {
  try {
    await page.getByTestId(`setup-step-${n}`).waitFor({ timeout: 20_000 });
  } catch (e) {
    const said = await page.locator('[data-testid="setup-error"], [data-testid="setup-blocker"], .field-problem').allTextContents().catch(() => []);
    throw new Error(`step ${n} did not open (${page.url()}): ${said.join(' | ') || (e as Error).message}`);
  }
}

/** Waits for the certificate report to show another certificate than `before`; when it does not come, fails with what the page says. */
async function newReport(page: Page, before: string | null): Promise<ReturnType<Page['locator']>> {
  const report = page.locator(`[data-testid="cert-report"]:not([data-fingerprint="${before}"])`);
  try {
    await report.waitFor({ timeout: 30_000 });
  } catch (e) {
    const said = await page.locator('[data-testid="setup-error"], #cert-import-problem, .field-problem').allTextContents().catch(() => []);
    throw new Error(`no new certificate: ${said.join(' | ') || (e as Error).message}`);
  }
  return report;
}

/** PyKMIP with the bundle's files: connect, create an AES-256 key, print its id. */
const PYKMIP_CREATE = `
import json, sys, tempfile, warnings
warnings.simplefilter("ignore")
from kmip import enums
from kmip.pie.client import ProxyKmipClient
host, port, cert, key, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
conf.close()
c = ProxyKmipClient(hostname=host, port=port, cert=cert, key=key, ca=ca, ssl_version="PROTOCOL_TLS", config="client", config_file=conf.name)
with c:
    uid = c.create(enums.CryptographicAlgorithm.AES, 256)
print(json.dumps({"ok": True, "uid": uid}))
`;

describe('setup wizard in a browser against keyhold serve', { timeout: 240_000 }, () => {
  let s: E2eSession;
  const downloads = mkdtempSync(join(tmpdir(), 'keyhold-e2e-bundle-'));

  before(async () => {
    s = await startE2e();
  });
  after(async () => {
    const backups = s === undefined ? undefined : `${s.dataDir}-backups`;
    await s?.close();
    if (backups !== undefined) rmSync(backups, { recursive: true, force: true });
    rmSync(downloads, { recursive: true, force: true });
  });

  test('first run opens the wizard at step 1 with the environment checks', async () => {
    const { page } = s;
    await step(page, 1);
    assert.match(page.url(), /#\/setup\/1$/);
    const checks = page.getByTestId('env-checks').locator('li');
    await checks.first().waitFor();
    assert.deepEqual(await checks.evaluateAll((els) => els.map((e) => e.getAttribute('data-check'))), ['space', 'port', 'hosts', 'clock']);
    assert.equal(await page.locator('[data-check="clock"]').getAttribute('data-ok'), 'true');
    await s.screenshot('wizard-1-environment');

    // The language switches at run time, wizard included.
    await page.getByTestId('language').selectOption('zh-CN');
    await page.locator('#setup-heading').filter({ hasText: '设置 Keyhold' }).waitFor();
    await s.screenshot('wizard-1-environment-zh');
    await page.getByTestId('language').selectOption('en');
    await page.locator('#setup-heading').filter({ hasText: 'Set up Keyhold' }).waitFor();
    await page.getByTestId('setup-next').click();
    await step(page, 2);
  });

  test('step 2: the internal CA issues the server certificate; its checks pass', async () => {
    const { page } = s;
    // Step 1's names are the defaults.
    assert.match(await page.locator('#cert-dns').inputValue(), /localhost/);
    assert.match(await page.locator('#cert-ips').inputValue(), /127\.0\.0\.1/);
    // A name that is not one is refused as it is typed, with what to do.
    await page.locator('#cert-dns').fill('localhost, not a name!');
    await page.locator('#cert-dns').blur();
    await page.locator('#cert-dns-problem').filter({ hasText: 'is not a host name' }).waitFor();
    await page.locator('#cert-dns').fill('localhost');
    // RSA-4096 takes seconds: the step says what it is doing meanwhile.
    await page.locator('#cert-key').selectOption('rsa-4096');
    // The certificate of the first start is shown until another is installed.
    await page.getByTestId('cert-report').waitFor();
    const first = await page.getByTestId('cert-report').getAttribute('data-fingerprint');
    await page.getByTestId('cert-issue').click();
    await page.getByTestId('setup-busy').filter({ hasText: 'RSA-4096 key can take several seconds' }).waitFor({ timeout: 5_000 });
    assert.equal(await page.getByTestId('setup-step-2').getAttribute('aria-busy'), 'true');
    assert.equal(await page.getByTestId('setup-next').isDisabled(), true);
    await page.locator(`[data-testid="cert-report"]:not([data-fingerprint="${first}"])`).waitFor({ timeout: 60_000 });
    const checks = page.getByTestId('cert-checks').locator('li');
    assert.ok((await checks.count()) > 3);
    assert.equal(await page.locator('[data-testid="cert-checks"] li[data-ok="false"].error').count(), 0);
    assert.match((await page.getByTestId('cert-report').textContent()) ?? '', /localhost/);
    await s.screenshot('wizard-2-certificate');
    await page.getByTestId('setup-next').click();
    await step(page, 3);
  });

  test('step 3: problems show as typed; a reload keeps the step and the entries; Enter goes on', async () => {
    const { page } = s;
    const name = page.getByTestId('server-name');
    await name.fill('my server');
    await name.blur();
    await page.locator('#srv-name-problem').filter({ hasText: 'letters, digits and underscores' }).waitFor();
    await name.fill('vault_e2e');
    await page.locator('#srv-name-problem').waitFor({ state: 'detached' });
    await page.locator('#srv-lifetime').fill('400');

    await page.reload();
    await step(page, 3);
    assert.equal(await page.getByTestId('server-name').inputValue(), 'vault_e2e');
    assert.equal(await page.locator('#srv-lifetime').inputValue(), '400');
    await s.screenshot('wizard-3-server');

    // Keyboard only: Enter in a field submits the step, and the focus moves to the new step's heading.
    await page.getByTestId('server-name').press('Enter');
    await step(page, 4);
    await page.locator('[data-testid="setup-step-4"] h2:focus').waitFor({ timeout: 5_000 });
    // Tab goes on from there into the step's fields.
    await page.keyboard.press('Tab');
    assert.equal(await page.locator('#pol-default:focus').count(), 1);
  });

  test('step 4: the key policy is saved (with step 3\'s lifetime)', async () => {
    const { page } = s;
    await s.screenshot('wizard-4-policy');
    await page.getByTestId('setup-next').click();
    await step(page, 5);
    const policy = JSON.parse(readFileSync(join(s.dataDir, 'policy.json'), 'utf8')) as { defaultLifetimeDays?: number };
    assert.equal(policy.defaultLifetimeDays, 400);
    const backup = JSON.parse(readFileSync(join(s.dataDir, 'backup.json'), 'utf8')) as { folder?: string };
    assert.equal(backup.folder, `${s.dataDir}-backups`);
  });

  test('step 5: Back and Next keep the entries; the first client is added and its bundle downloaded', async () => {
    const { page } = s;
    await page.getByTestId('client-name').fill(CLIENT);
    await page.getByTestId('setup-back').click();
    await step(page, 4);
    await page.getByTestId('setup-next').click();
    await step(page, 5);
    assert.equal(await page.getByTestId('client-name').inputValue(), CLIENT);
    // Least privilege by default; Create ticked here so PyKMIP may create a key.
    assert.equal(await page.getByTestId('perm-query').isChecked(), true);
    assert.equal(await page.getByTestId('perm-destroy').isChecked(), false);
    await page.getByTestId('perm-create').check();
    await s.screenshot('wizard-5-client');
    await page.getByTestId('client-add').click();
    await page.getByTestId('client-added').waitFor({ timeout: 60_000 });
    for (const file of [`${CLIENT}.crt`, `${CLIENT}.key`, 'ca.crt']) {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`bundle-${file}`).click()]);
      assert.equal(dl.suggestedFilename(), file);
      await dl.saveAs(join(downloads, file));
    }
    assert.deepEqual(readdirSync(downloads).sort(), ['ca.crt', `${CLIENT}.crt`, `${CLIENT}.key`]);
    assert.match(readFileSync(join(downloads, `${CLIENT}.key`), 'utf8'), /PRIVATE KEY/);
    await page.getByTestId('setup-next').click();
    await step(page, 6);
  });

  test('step 6: the connection test passes as the first client; then Keyhold opens the dashboard', async () => {
    const { page } = s;
    await page.getByTestId('test-run').click();
    await page.getByTestId('test-passed').waitFor({ timeout: 60_000 });
    const statuses = await page.getByTestId('test-steps').locator('li').evaluateAll((els) => els.map((e) => [e.getAttribute('data-step'), e.getAttribute('data-status')]));
    assert.deepEqual(statuses.map(([st]) => st), ['TCP', 'TLS handshake', 'server certificate', 'client certificate', 'KMIP']);
    assert.ok(statuses.every(([, v]) => v === 'ok' || v === 'warn'), JSON.stringify(statuses));
    assert.match((await page.getByTestId('setup-step-6').textContent()) ?? '', new RegExp(`as "${CLIENT}"`));
    await s.screenshot('wizard-6-test');
    await page.getByTestId('setup-finish').click();
    await page.waitForURL(/#\/dashboard$/, { timeout: 30_000 });
    const setup = JSON.parse(readFileSync(join(s.dataDir, 'setup.json'), 'utf8')) as { complete?: boolean };
    assert.equal(setup.complete, true);
    // Done: opening the app again goes to the dashboard, not the wizard.
    await page.goto(`${s.origin}/#/`);
    await page.waitForTimeout(500);
    assert.doesNotMatch(page.url(), /setup/);
  });

  test('PyKMIP connects with the downloaded bundle; the live log shows it', async () => {
    const problem = pykmipProblem();
    assert.equal(problem, undefined, problem);
    const { page } = s;
    await page.goto(`${s.origin}/#/logs`);
    await page.getByTestId('logs-table').waitFor({ timeout: 20_000 });
    const script = join(downloads, 'create.py');
    writeFileSync(script, PYKMIP_CREATE);
    const started = Date.now();
    const r = spawnSync(PYTHON, [script, '127.0.0.1', String(s.kmipPort), join(downloads, `${CLIENT}.crt`), join(downloads, `${CLIENT}.key`), join(downloads, 'ca.crt')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /"ok": true/);
    const row = page.getByTestId('log-row').filter({ hasText: CLIENT }).filter({ hasText: 'Create' });
    await row.first().waitFor({ timeout: 5_000 });
    const seenAfter = Date.now() - started;
    await s.screenshot('wizard-after-pykmip-logs');
    assert.ok(seenAfter < 10_000, `seen after ${seenAfter} ms`);
  });

  test('last, run again from Settings: a CSR for an enterprise CA, signed outside, its certificate installed, the test passes against it', async () => {
    assert.equal(openssl(), null);
    const { page } = s;
    // Settings offers the wizard again; every step reached before may be opened from the step list.
    await page.goto(`${s.origin}/#/settings`);
    await page.getByTestId('settings-setup-again').click();
    await step(page, 1);
    await page.locator('nav a[href="#/setup/2"]').click();
    await step(page, 2);
    await page.getByTestId('cert-mode-csr').check();
    // Step 1's names are filled in again (the draft was cleared when setup finished).
    await waitForValue(page, '#cert-dns', /localhost/);
    await page.locator('#cert-dns').fill('localhost');
    await page.locator('#cert-ips').fill('127.0.0.1');
    await page.locator('#cert-key').selectOption('ec-p256');
    await page.getByTestId('cert-csr').click();
    await waitForValue(page, '[data-testid="cert-csr-text"]', /BEGIN CERTIFICATE REQUEST/, 60_000);
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('cert-csr-download').click()]);
    const csrFile = join(downloads, 'keyhold-server.csr');
    await dl.saveAs(csrFile);
    await s.screenshot('wizard-2-csr');

    // The enterprise CA: a root made and used with openssl, as an operator's PKI would.
    const ca = (...args: string[]) => {
      const r = spawnSync('openssl', args, { cwd: downloads, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    };
    ca('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'corp-ca.key', '-out', 'corp-ca.crt', '-days', '30', '-subj', '/CN=Corp Root CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    writeFileSync(join(downloads, 'server.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n');
    ca('x509', '-req', '-in', 'keyhold-server.csr', '-CA', 'corp-ca.crt', '-CAkey', 'corp-ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '30', '-extfile', 'server.ext');

    const first = await page.getByTestId('cert-report').getAttribute('data-fingerprint');
    await page.locator('#cert-signed').fill(readFileSync(join(downloads, 'server.crt'), 'utf8'));
    await page.locator('#cert-chain').fill(readFileSync(join(downloads, 'corp-ca.crt'), 'utf8'));
    await page.getByTestId('cert-install-signed').click();
    const report = page.locator(`[data-testid="cert-report"]:not([data-fingerprint="${first}"])`);
    await report.waitFor({ timeout: 30_000 });
    assert.match((await report.textContent()) ?? '', /Corp Root CA/);
    assert.equal(await page.locator('[data-testid="cert-checks"] li[data-ok="false"].error').count(), 0);
    await s.screenshot('wizard-2-csr-installed');

    // The connection test now checks the server against the enterprise root (this page no longer holds the client's key: the built-in client).
    await page.goto(`${s.origin}/#/setup/6`);
    await step(page, 6);
    await page.getByTestId('test-run').click();
    await page.getByTestId('test-passed').waitFor({ timeout: 60_000 });
    assert.match((await page.getByTestId('test-steps').textContent()) ?? '', /issued by CN=Corp Root CA/);
  });
  test('step 2 imports: a certificate and key as PEM, then a PKCS#12 file (a wrong passphrase is refused, nothing changes)', async () => {
    assert.equal(openssl(), null);
    const { page } = s;
    const sh = (...args: string[]) => {
      const r = spawnSync('openssl', args, { cwd: downloads, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    };
    // Two server certificates from the enterprise CA of the test before, each with its own key.
    // RSA keys: TLS 1.2 RSA key exchange needs keyEncipherment too (the checklist refuses a certificate without it).
    writeFileSync(join(downloads, 'server-rsa.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n');
    for (const n of ['pem', 'p12']) {
      sh('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `imp-${n}.key`, '-out', `imp-${n}.csr`, '-subj', `/CN=localhost/O=import-${n}`);
      sh('x509', '-req', '-in', `imp-${n}.csr`, '-CA', 'corp-ca.crt', '-CAkey', 'corp-ca.key', '-CAcreateserial', '-out', `imp-${n}.crt`, '-days', '30', '-extfile', 'server-rsa.ext');
    }
    sh('pkcs12', '-export', '-inkey', 'imp-p12.key', '-in', 'imp-p12.crt', '-certfile', 'corp-ca.crt', '-out', 'server.p12', '-passout', 'pass:correct horse');

    await page.goto(`${s.origin}/#/setup/2`);
    await step(page, 2);
    await page.getByTestId('cert-mode-import').check();
    await page.locator('input[name="cert-import-kind"][value="pem"]').check();
    // The key is required with the certificate: said before anything is sent.
    await page.locator('#cert-pem').fill(readFileSync(join(downloads, 'imp-pem.crt'), 'utf8'));
    await page.getByTestId('cert-import').click();
    await page.locator('#cert-import-problem').filter({ hasText: 'private key' }).waitFor();
    await page.locator('#cert-key-pem').fill(readFileSync(join(downloads, 'imp-pem.key'), 'utf8'));
    await page.locator('#cert-chain2').fill(readFileSync(join(downloads, 'corp-ca.crt'), 'utf8'));
    let before = await page.getByTestId('cert-report').getAttribute('data-fingerprint');
    await page.getByTestId('cert-import').click();
    let report = await newReport(page, before);
    assert.match((await report.textContent()) ?? '', /import-pem/);
    assert.equal(await page.locator('[data-testid="cert-checks"] li[data-ok="false"].error').count(), 0);
    // The pasted key does not stay in the page once installed.
    assert.equal(await page.locator('#cert-key-pem').inputValue(), '');
    assert.match(readFileSync(join(s.dataDir, 'pki', 'server.crt'), 'utf8'), /BEGIN CERTIFICATE/);

    // PKCS#12: a wrong passphrase is refused with a sentence, and the installed certificate stays.
    await page.locator('input[name="cert-import-kind"][value="p12"]').check();
    await page.locator('#cert-p12').setInputFiles(join(downloads, 'server.p12'));
    await page.locator('#cert-p12-pass').fill('wrong horse');
    before = await page.getByTestId('cert-report').getAttribute('data-fingerprint');
    await page.getByTestId('cert-import').click();
    const refused = page.getByTestId('setup-error');
    await refused.waitFor({ timeout: 30_000 });
    assert.match((await refused.textContent()) ?? '', /passphrase|password/i);
    assert.equal(await page.getByTestId('cert-report').getAttribute('data-fingerprint'), before);
    await page.locator('#cert-p12').setInputFiles(join(downloads, 'server.p12'));
    await page.locator('#cert-p12-pass').fill('correct horse');
    await page.getByTestId('cert-import').click();
    report = await newReport(page, before);
    assert.match((await report.textContent()) ?? '', /import-p12/);
    assert.equal(await page.locator('[data-testid="cert-checks"] li[data-ok="false"].error').count(), 0);
    await s.screenshot('wizard-2-imported-p12');
  });

  test('clients that keep their own key: a CSR signed in the wizard, a certificate imported on the Clients screen; PyKMIP connects with each', async () => {
    assert.equal(openssl(), null);
    const problem = pykmipProblem();
    assert.equal(problem, undefined, problem);
    const { page } = s;
    const sh = (...args: string[]) => {
      const r = spawnSync('openssl', args, { cwd: downloads, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    };
    const corpCa = join(downloads, 'corp-ca.crt');
    const pykmip = (name: string) => {
      const r = spawnSync(PYTHON, [join(downloads, 'create.py'), '127.0.0.1', String(s.kmipPort), join(downloads, `${name}.crt`), join(downloads, `${name}.key`), corpCa], { encoding: 'utf8', timeout: 60_000 });
      return r.status === 0 && /"ok": true/.test(r.stdout) ? 'ok' : r.stdout + r.stderr;
    };

    // A client that keeps its key: it sends a CSR; the bundle then holds its certificate and the CA, never a key.
    sh('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'csrclient.key', '-out', 'csrclient.csr', '-subj', '/CN=csrclient');
    await page.goto(`${s.origin}/#/settings`);
    await page.getByTestId('settings-setup-again').click();
    await step(page, 1);
    await page.goto(`${s.origin}/#/setup/5`);
    await step(page, 5);
    await page.getByTestId('client-name').fill('csrclient');
    await page.locator('input[name="client-source"][value="csr"]').check();
    await page.locator('#cl-pem').fill(readFileSync(join(downloads, 'csrclient.csr'), 'utf8'));
    await page.getByTestId('perm-create').check();
    await page.getByTestId('client-add').click();
    await page.getByTestId('client-added').waitFor({ timeout: 60_000 });
    const offered = await page.locator('[data-testid^="bundle-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    assert.ok(offered.includes('bundle-csrclient.crt'), JSON.stringify(offered));
    assert.ok(!offered.some((f) => f !== null && /\.key$|\.p12$/.test(f)), `no key in a CSR client's bundle: ${JSON.stringify(offered)}`);
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('bundle-csrclient.crt').click()]);
    await dl.saveAs(join(downloads, 'csrclient.crt'));
    // The test server's certificate came from the corporate CA (the test before), so PyKMIP trusts that root.
    assert.equal(pykmip('csrclient'), 'ok');

    // A client with a certificate from elsewhere (self-signed, clientAuth): recognised by its pinned fingerprint.
    sh('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'importclient.key', '-out', 'importclient.crt', '-days', '30', '-subj', '/CN=importclient',
      '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'keyUsage=critical,digitalSignature', '-addext', 'extendedKeyUsage=clientAuth');
    // This one through the Clients screen (the wizard adds one client per run).
    await page.goto(`${s.origin}/#/clients`);
    await page.getByTestId('client-add').click();
    await page.getByTestId('client-name').fill('importclient');
    await page.getByTestId('source-import').check();
    await page.locator('#cf-pem').fill(readFileSync(join(downloads, 'importclient.crt'), 'utf8'));
    await page.getByTestId('perm-create').check();
    await page.getByTestId('client-save').click();
    await page.getByTestId('client-row-importclient').waitFor({ timeout: 30_000 });
    assert.equal(pykmip('importclient'), 'ok');
    const clients = JSON.parse(readFileSync(join(s.dataDir, 'clients.json'), 'utf8')) as unknown;
    assert.match(JSON.stringify(clients), /importclient/);
    // Neither client's private key reached the server.
    for (const f of readdirSync(join(s.dataDir, 'pki'), { recursive: true }).map(String)) {
      if (/csrclient|importclient/.test(f)) assert.doesNotMatch(f, /\.key$/, f);
    }
  });
});
