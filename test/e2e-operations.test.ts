// The operational screens end to end: `keyhold serve` with its real engine,
// the built UI in Debian's Chromium (test/support/e2e.ts). A key created over
// KMIP by an enrolled client appears in the Keys table; Activate, Revoke and
// Destroy from its detail view (each through the confirmation dialog, driven
// by keyboard) change its state; the operations show in the live log of a
// second tab within a second; the Dashboard counts the object.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type tls from 'node:tls';
import type { Page } from 'playwright-core';
import { buildAttributes, buildRequestMessage, parseResponseMessage, type ResponseBatchItem } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, item, struct, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { parseGrants } from '../main/access/policy.js';
import { e2eUnavailable, sidewaysOverflow, startE2e, type E2eSession } from './support/e2e.js';
import { call, connect, enrolHere } from './support/kmip-tls.js';

const skip = e2eUnavailable();
// Never skipped: without Chromium or the built UI the tests fail and say what to install (.ci/run and npm test provide both).
if (skip !== null) throw new Error(`e2e: ${skip}`);

const createAes = (name: string) =>
  encodeTtlv(
    buildRequestMessage({
      header: { protocolVersion: { major: 2, minor: 1 } },
      batchItems: [
        {
          operation: Enum.Operation.Create,
          requestPayload: struct(Tag.RequestPayload, [
            item(Tag.ObjectType, 'Enumeration', Enum.ObjectType.SymmetricKey),
            buildAttributes([
              { name: 'CryptographicAlgorithm', value: { type: 'Enumeration', value: Enum.CryptographicAlgorithm.AES } },
              { name: 'CryptographicLength', value: { type: 'Integer', value: 256 } },
              { name: 'CryptographicUsageMask', value: { type: 'Integer', value: Enum.CryptographicUsageMask.Encrypt } },
              { name: 'Name', value: { type: 'Structure', value: [item(Tag.NameValue, 'TextString', name), item(Tag.NameType, 'Enumeration', Enum.NameType.UninterpretedTextString)] } },
            ]),
          ]),
        },
      ],
    }),
  );

/** Resolves with how long until a row of the live log shows this operation (and, when given, this object). */
async function logShows(page: Page, operation: string, object?: string): Promise<void> {
  const row = page.locator('[data-testid="log-row"]').filter({ has: page.locator('[data-testid="log-operation"]', { hasText: operation }) });
  await (object === undefined ? row : row.filter({ hasText: object })).first().waitFor({ timeout: 1_000 });
}

describe('Keys, Logs and Dashboard in a browser against keyhold serve', { timeout: 180_000 }, () => {
  let s: E2eSession;
  let logsPage: Page;
  let socket: tls.TLSSocket | undefined;

  before(async () => {
    s = await startE2e();
  });
  after(async () => {
    socket?.destroy();
    await s?.close();
  });

  test('a key created over KMIP appears in the Keys table, and in the live log within a second', async () => {
    // A second tab on the Logs screen, tailing live.
    logsPage = await s.context.newPage();
    await logsPage.goto(s.url);
    await logsPage.click('nav a[href="#/logs"]');
    // Loaded: the table, or (a fresh data dir has no audit record yet) the empty notice; live rows fill it.
    await logsPage.locator('[data-testid="logs-table"], [data-testid="logs-empty"]').first().waitFor();

    const creds = await enrolHere(s.dataDir, join(s.dataDir, 'e2e-client'), 'e2e-app', { grants: parseGrants('all') });
    // clients.json is reloaded within a second: retry the first connection until it is accepted.
    const until = Date.now() + 5_000;
    let created: ResponseBatchItem | undefined;
    while (created === undefined) {
      try {
        socket = await connect(s.kmipPort, creds);
        created = parseResponseMessage(decodeTtlv(await call(socket, createAes('e2e-key')))).batchItems[0]!;
      } catch (e) {
        socket?.destroy();
        if (Date.now() > until) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    assert.equal(created.resultStatus, Enum.ResultStatus.Success, created.resultMessage);
    await logShows(logsPage, 'Create');

    await s.page.click('nav a[href="#/keys"]');
    const row = s.page.locator('[data-testid="key-row"]').filter({ hasText: 'e2e-key' });
    await row.waitFor({ timeout: 5_000 });
    assert.match((await row.locator('[data-testid="key-state"]').textContent()) ?? '', /Pre-Active/);
    assert.match((await row.textContent()) ?? '', /AES-256/);
    await s.screenshot('keys-table');

    // The search finds it by name.
    await s.page.fill('[data-testid="keys-search"]', 'e2e-k');
    await row.waitFor();
  });

  test('Activate, Revoke and Destroy from the UI change its state; each shows in the live log within a second', async () => {
    const page = s.page;
    await page.locator('[data-testid="key-row"] a', { hasText: 'e2e-key' }).click();
    const state = page.locator('[data-testid="detail-state"]');
    await state.waitFor();
    assert.equal(await state.textContent(), 'Pre-Active');
    const id = decodeURIComponent(new URL(page.url()).hash.replace(/^#\/keys\//, ''));
    assert.match(id, /^[0-9a-f-]{36}$/);

    const run = async (action: 'activate' | 'revoke' | 'destroy', expected: string, operation: string) => {
      await page.click(`[data-testid="action-${action}"]`);
      const dialog = page.locator('[data-testid="confirm-dialog"]');
      await dialog.waitFor({ state: 'visible' });
      // The confirmation names the key.
      assert.match((await dialog.textContent()) ?? '', /e2e-key/);
      if (action === 'revoke') await page.selectOption('[data-testid="revoke-reason"]', 'Superseded');
      // Keyboard: the confirm button, then Enter.
      await page.focus('[data-testid="confirm-button"]');
      await page.keyboard.press('Enter');
      await page.locator('[data-testid="detail-state"]', { hasText: new RegExp(`^${expected}$`) }).waitFor({ timeout: 5_000 });
      await logShows(logsPage, operation, id);
    };

    // Escape cancels: nothing changes.
    await page.click('[data-testid="action-activate"]');
    await page.locator('[data-testid="confirm-dialog"]').waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    await page.locator('[data-testid="confirm-dialog"]').waitFor({ state: 'hidden' });
    assert.equal(await state.textContent(), 'Pre-Active');

    await run('activate', 'Active', 'object activated');
    await run('revoke', 'Deactivated', 'object revoked');
    await s.screenshot('key-detail');
    await run('destroy', 'Destroyed', 'object destroyed');
    await s.screenshot('logs', logsPage);

    // Back in the table the key is Destroyed, and restorable (soft delete is on by default).
    await page.click('a[href="#/keys"]');
    const row = page.locator('[data-testid="key-row"]').filter({ hasText: 'e2e-key' });
    await row.locator('[data-testid="key-state"]', { hasText: 'Destroyed' }).waitFor({ timeout: 5_000 });
  });

  test('pause holds live records back until resume', async () => {
    await logsPage.click('[data-testid="logs-pause"]');
    const created = parseResponseMessage(decodeTtlv(await call(socket!, createAes('e2e-paused')))).batchItems[0]!;
    assert.equal(created.resultStatus, Enum.ResultStatus.Success);
    const resume = logsPage.locator('[data-testid="logs-resume"]');
    await resume.filter({ hasText: /\(1/ }).waitFor({ timeout: 2_000 });
    const creates = logsPage.locator('[data-testid="log-operation"]', { hasText: 'Create' });
    assert.equal(await creates.count(), 1, 'the held record is not shown while paused');
    await resume.click();
    await creates.nth(1).waitFor({ timeout: 1_000 });
    assert.equal(await creates.count(), 2);
  });

  test('the Dashboard shows the state, the objects by state and the connection', async () => {
    await s.page.click('nav a[href="#/dashboard"]');
    await s.page.locator('[data-testid="engine-state"]', { hasText: 'Running' }).waitFor();
    const table = s.page.locator('[data-testid="objects-by-state"]');
    await table.waitFor({ timeout: 10_000 });
    const text = (await table.textContent()) ?? '';
    assert.match(text, /Destroyed\s*1/);
    assert.match(text, /Pre-Active\s*1/);
    assert.match((await s.page.locator('[data-testid="connections"]').textContent()) ?? '', /^[1-9]\d*$/);
    await s.page.locator('[data-testid="sparkline"] polyline').waitFor({ state: 'attached' });
    await s.screenshot('dashboard');
  });

  test('at 1280x800 no screen scrolls sideways, with long values in its tables', async () => {
    // A long name without a break, and a failed request whose message lands in the Logs table.
    const long = `e2e-${'long_key_name_without_any_break_'.repeat(4)}`;
    const created = parseResponseMessage(decodeTtlv(await call(socket!, createAes(long)))).batchItems[0]!;
    assert.equal(created.resultStatus, Enum.ResultStatus.Success, created.resultMessage);
    assert.deepEqual(s.page.viewportSize(), { width: 1280, height: 800 });
    assert.deepEqual(logsPage.viewportSize(), { width: 1280, height: 800 });
    await logShows(logsPage, 'Create');
    await logsPage.locator('[data-testid="log-row"]').nth(3).waitFor();
    assert.ok((await sidewaysOverflow(logsPage)) <= 0, `Logs: the page scrolls sideways by ${await sidewaysOverflow(logsPage)} px`);

    const screens: [string, string][] = [
      ['keys', '[data-testid="key-row"]'],
      ['clients', '[data-testid="clients-table"]'],
      ['certificates', '[data-testid="cert-checks"], .card'],
      ['dashboard', '[data-testid="objects-by-state"]'],
      ['logs', '[data-testid="log-row"]'],
    ];
    for (const [route, filled] of screens) {
      await s.page.click(`nav a[href="#/${route}"]`);
      await s.page.locator(filled).first().waitFor({ timeout: 10_000 });
      if (route === 'keys') {
        await s.page.fill('[data-testid="keys-search"]', '');
        await s.page.locator('[data-testid="key-row"]', { hasText: long }).waitFor();
      }
      const over = await sidewaysOverflow(s.page);
      await s.screenshot(`width-1280-${route}`);
      assert.ok(over <= 0, `${route}: the page scrolls sideways by ${over} px at 1280x800`);
    }
  });
});
