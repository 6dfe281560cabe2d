// The configuration screens end to end: `keyhold serve` with its real engine,
// the built UI in Debian's Chromium (test/support/e2e.ts). A client added on
// the Clients screen (permissions ticked as checkboxes) downloads its bundle,
// connects over mutual TLS with those very files, and is refused once disabled
// there; the form refuses a bad address as you type; Settings offers a free
// port for a taken one; Backups writes a backup and restores it only behind
// the file name typed again; each screen in English and Chinese is kept as a
// screenshot.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { e2eUnavailable, sidewaysOverflow, startE2e, type E2eSession } from './support/e2e.js';
import { discover, type Creds } from './support/kmip-tls.js';

/**
 * Page script: records the data-stage values the Progress component with this test id shows, in order, in
 * window.__stages[testid] (a MutationObserver, so steps painted and replaced between two looks are seen too).
 */
const watchStages = (testid: string) => `(() => {
  const all = (window.__stages ??= {});
  const seen = (all[${JSON.stringify(testid)}] = []);
  const look = () => {
    const stage = document.querySelector('[data-testid=${JSON.stringify(testid)}]')?.getAttribute('data-stage');
    if (stage && seen[seen.length - 1] !== stage) seen.push(stage);
  };
  new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-stage'] });
})()`;

/** The Progress component shows done at 100%, and showed at least one of `steps` (stages only the server's events bring) before. */
async function assertProgressDone(page: Page, testid: string, steps: string[]): Promise<void> {
  const bar = page.getByTestId(testid).getByRole('progressbar');
  assert.equal(await bar.getAttribute('aria-valuenow'), '100');
  assert.equal(await page.getByTestId(testid).getAttribute('data-stage'), 'done');
  const seen = (await page.evaluate(`window.__stages[${JSON.stringify(testid)}]`)) as string[];
  assert.equal(seen.at(-1), 'done', JSON.stringify(seen));
  assert.ok(seen.some((st) => steps.includes(st)), `a step from the server reached the page: ${JSON.stringify(seen)}`);
}

const skip = e2eUnavailable();
// Never skipped: without Chromium or the built UI the tests fail and say what to install (.ci/run and npm test provide both).
if (skip !== null) throw new Error(`e2e: ${skip}`);

/** Opens a screen from the navigation, as the operator does. */
async function go(page: Page, route: string): Promise<void> {
  await page.click(`nav a[href="${route}"]`);
  await page.waitForURL((u) => u.hash === route || u.hash.startsWith(`${route}/`));
}

/** A contract call from inside the page with the token it took from its URL, as any screen's client.call does. */
async function callFromPage(page: Page, name: string, args: unknown = {}): Promise<{ ok: boolean; value?: unknown; error?: { message: string } }> {
  return page.evaluate(
    async ([call, body]) => {
      const token = (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('keyhold.token');
      const res = await fetch(`/api/${call}`, { method: 'POST', headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return (await res.json()) as { ok: boolean; value?: unknown; error?: { message: string } };
    },
    [name, args] as const,
  );
}

async function download(page: Page, testId: string): Promise<string> {
  const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  const path = await d.path();
  return readFileSync(path!, 'utf8');
}


async function until(what: () => Promise<boolean>, ms: number, why: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error(`not in time: ${why}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('configuration screens in a browser against keyhold serve', { timeout: 240_000 }, () => {
  let s: E2eSession;
  before(async () => {
    s = await startE2e();
    // A fresh data dir opens the setup wizard first (first-run.ts): let that happen before going elsewhere.
    await s.page.waitForURL((u) => u.hash.startsWith('#/setup'), { timeout: 15_000 });
  });
  after(async () => {
    await s?.close();
  });

  test('Clients: add with checkboxes, download the bundle, connect with it, disable and be refused', async () => {
    const page = s.page;
    await go(page, '#/clients');
    await page.getByTestId('clients-empty').waitFor();
    await page.getByTestId('client-add').click();
    await page.getByTestId('client-name').fill('ui-app');
    // A bad address is refused as you type (after leaving the field), with what to do.
    await page.getByTestId('client-addresses').fill('10.0.0.300');
    await page.getByTestId('client-addresses').blur();
    await page.getByText('"10.0.0.300" is not an IP address or CIDR range').waitFor();
    await page.getByTestId('client-addresses').fill('127.0.0.1');
    // Least privilege is ticked by default: query, get, use; create is not.
    assert.equal(await page.getByTestId('perm-query').isChecked(), true);
    assert.equal(await page.getByTestId('perm-use').isChecked(), true);
    assert.equal(await page.getByTestId('perm-create').isChecked(), false);
    await page.getByTestId('perm-create').check();
    await s.screenshot('clients-add');
    await page.getByTestId('client-save').click();
    await page.getByTestId('clients-bundle').waitFor();
    const creds: Creds = { cert: await download(page, 'bundle-ui-app.crt'), key: await download(page, 'bundle-ui-app.key'), ca: await download(page, 'bundle-ca.crt') };
    assert.match(creds.key!, /BEGIN PRIVATE KEY/);
    await page.getByTestId('client-row-ui-app').getByText('query:all,get:own,use:own,create:own').waitFor();
    await until(async () => (await discover(s.kmipPort, creds)) === 'ok', 5_000, 'the client added in the UI connects');
    await page.getByTestId('client-toggle-ui-app').click();
    await page.getByTestId('client-row-ui-app').getByText('Disabled').waitFor();
    await until(async () => (await discover(s.kmipPort, creds)).startsWith('refused'), 5_000, 'the disabled client is refused');
    await s.screenshot('clients');
    // The operator watching the live log sees the next attempt refused, within a second.
    await go(page, '#/logs');
    await page.getByTestId('logs-table').waitFor();
    const refusedRows = page.getByTestId('log-row').filter({ hasText: 'ui-app' }).filter({ hasText: 'refused' });
    const before = await refusedRows.count();
    const t0 = Date.now();
    assert.match(await discover(s.kmipPort, creds), /^refused/);
    await until(async () => (await refusedRows.count()) > before, 5_000, 'the refused connection shows in the live log');
    assert.ok(Date.now() - t0 < 1_500, `shown after ${Date.now() - t0} ms`);
  });

  test('Settings: a taken port is refused as you type with a free one to use', async () => {
    const page = s.page;
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen({ port: 0 }, () => r()));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      await go(page, '#/settings');
      await page.getByTestId('settings-port').fill(String(taken));
      await page.getByText(`Port ${taken} is in use by another program`).waitFor();
      await page.getByTestId('settings-use-port').click();
      assert.notEqual(await page.getByTestId('settings-port').inputValue(), String(taken));
      await page.getByTestId('settings-name').fill('bad name');
      await page.getByText('"bad name" is not a server name').waitFor();
      await page.getByTestId('settings-name').fill('Keyhold_E2E');
      await page.getByTestId('settings-save').click();
      await page.getByTestId('settings-result').waitFor();
      await s.screenshot('settings');
    } finally {
      blocker.close();
    }
  });

  test('Backups: configure, back up now, restore only behind the typed file name', async () => {
    const page = s.page;
    await go(page, '#/backups');
    await page.getByTestId('backup-edit').click();
    await page.getByTestId('backup-folder').fill(`${s.dataDir}-backups`);
    await page.getByTestId('backup-schedule').fill('daily at 25:00');
    await page.getByText('"25:00" is not a time of day').waitFor();
    await page.getByTestId('backup-schedule').fill('daily at 02:00');
    await page.getByTestId('backup-protection-passphrase').check();
    await page.getByTestId('backup-passphrase').fill('a long backup passphrase');
    await page.getByTestId('backup-passphrase-again').fill('a long backup passphrase');
    await page.getByTestId('backup-save').click();
    await page.getByTestId('backup-settings').waitFor();
    await page.evaluate(watchStages('backup-progress'));
    await page.getByTestId('backup-run').click();
    await page.getByTestId('backups-notice').filter({ hasText: 'written and verified' }).waitFor({ timeout: 60_000 });
    // The progress bar ends at 100%, and the server's steps reached the page on the way (a backup of a small store is
    // quick: only the final state and that some step arrived are certain, not that each one was painted).
    await assertProgressDone(page, 'backup-progress', ['encrypt', 'verify']);
    const name = (await page.locator('[data-testid="backups-table"] code').first().textContent())!.trim();
    // A client added after the backup is gone once it is restored.
    const added = await callFromPage(page, 'clients.add', { name: 'after-backup', addresses: [], permissions: 'query', certificate: { kind: 'issue' } });
    assert.equal(added.ok, true, JSON.stringify(added.error));
    await page.getByTestId(`restore-${name}`).click();
    await page.getByTestId('restore-confirm').fill('not the name');
    await page.getByText('That is not the file name').waitFor();
    await page.getByText('Stop the KMIP server first').first().waitFor();
    await s.screenshot('backups-restore');
    await page.keyboard.press('Escape');
    // With the server stopped (this process keeps the data dir's lock), the typed name and the passphrase restore it.
    assert.equal((await callFromPage(page, 'engine.stop')).ok, true);
    await page.getByTestId('header-state').filter({ hasText: 'Stopped' }).waitFor({ timeout: 15_000 });
    await page.getByTestId(`restore-${name}`).click();
    await page.locator('#bk-dlg-pass').fill('a long backup passphrase');
    await page.getByTestId('restore-confirm').fill(name);
    await page.evaluate(watchStages('backup-progress'));
    await page.locator('dialog').getByRole('button', { name: 'Restore' }).click();
    await page.getByTestId('backups-notice').filter({ hasText: 'restored' }).waitFor({ timeout: 60_000 });
    await assertProgressDone(page, 'backup-progress', ['decrypt', 'integrity', 'swap']);
    const list = (await callFromPage(page, 'clients.list')).value as { clients: { name: string }[] };
    assert.deepEqual(list.clients.map((c) => c.name), ['ui-app']);
    assert.equal((await callFromPage(page, 'engine.start')).ok, true);
    await page.getByTestId('header-state').filter({ hasText: 'Running' }).waitFor({ timeout: 30_000 });
    await s.screenshot('backups');
  });

  test('Policy and Certificates: days checked as you type, a policy saved; a new server certificate issued', async () => {
    const page = s.page;
    await go(page, '#/policy');
    await page.getByTestId('pol-lifetime').fill('40000');
    await page.getByText('"40000" is not a number of days').waitFor();
    assert.equal(await page.getByTestId('policy-save').isDisabled(), true);
    await page.getByTestId('pol-lifetime').fill('90');
    await page.getByTestId('alg-AES-128').uncheck();
    await page.getByTestId('policy-save').click();
    await page.getByTestId('policy-result').filter({ hasText: 'Policy saved' }).waitFor();
    const policy = (await callFromPage(page, 'policy.get')).value as { defaultLifetimeDays: number; algorithms: string[] };
    assert.equal(policy.defaultLifetimeDays, 90);
    assert.equal(policy.algorithms.includes('AES-128'), false);

    await go(page, '#/certificates');
    await page.getByTestId('cert-open-selfSigned').click();
    await page.locator('#cert-dns').fill('kmip.e2e.example');
    await page.locator('#cert-ip').fill('127.0.0.1');
    await page.evaluate(watchStages('cert-progress'));
    await page.getByTestId('cert-submit').click();
    await page.getByTestId('certs-done').waitFor({ timeout: 60_000 });
    await assertProgressDone(page, 'cert-progress', ['sign', 'save']);
    await page.getByTestId('cert-checks').waitFor();
    assert.match((await page.locator('.card').first().textContent()) ?? '', /kmip\.e2e\.example/);
  });

  test('every configuration screen in Chinese', async () => {
    const page = s.page;
    await page.getByTestId('language').selectOption('zh-CN');
    for (const [route, heading] of [['clients', '客户端'], ['certificates', '证书'], ['policy', '策略'], ['backups', '备份'], ['settings', '设置']] as const) {
      await go(page, `#/${route}`);
      await page.locator('h1').filter({ hasText: heading }).waitFor();
      await s.screenshot(`${route}-zh`);
    }
    // At 1280x800, with data in their tables, no screen scrolls sideways (in either language).
    assert.deepEqual(page.viewportSize(), { width: 1280, height: 800 });
    for (const locale of ['zh-CN', 'en'] as const) {
      await page.getByTestId('language').selectOption(locale);
      for (const [route, filled] of [['clients', '[data-testid="clients-table"] tbody tr'], ['certificates', '.card'], ['backups', '[data-testid="backups-table"] tbody tr']] as const) {
        await go(page, `#/${route}`);
        await page.locator(filled).first().waitFor();
        const over = await sidewaysOverflow(page);
        assert.ok(over <= 0, `${route} (${locale}): the page scrolls sideways by ${over} px at 1280x800`);
      }
    }
    await page.getByTestId('language').selectOption('zh-CN');
    await go(page, '#/certificates');
    await page.getByTestId('cert-checks').waitFor();
    await page.getByTestId('language').selectOption('en');
    await s.screenshot('certificates');
    await go(page, '#/policy');
    await page.getByTestId('policy-form').waitFor();
    await s.screenshot('policy');
  });
});
