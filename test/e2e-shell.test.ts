// The admin UI end to end: `keyhold serve` with its real engine worker, the
// built renderer in Debian's Chromium (test/support/e2e.ts). The shell only:
// the page loads with the token, the header follows the engine's state
// through stop, start, a reload and a crash of the worker, the language
// switches at run time, and a page without the token gets nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { e2eUnavailable, startE2e, type E2eSession } from './support/e2e.js';

const skip = e2eUnavailable();
// Never skipped: without Chromium or the built UI the tests fail and say what to install (.ci/run and npm test provide both).
if (skip !== null) throw new Error(`e2e: ${skip}`);

const STATE = '[data-testid="header-state"]';

/** The few browser globals the page functions below use (this project's tsconfig has no DOM library). */
interface InPage {
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  seen: string[];
}
const inPage = () => globalThis as unknown as InPage;

type Reply = { ok: boolean; value?: { state: string; endpoint: string | null }; error?: { code: string; message: string } };

/** A contract call from inside the page, with the token the page took from its URL: what any screen's client.call does. */
async function callFromPage(page: Page, name: string): Promise<Reply> {
  return page.evaluate(async (call) => {
    const token = (globalThis as unknown as InPage).sessionStorage.getItem('keyhold.token');
    const auth: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
    const res = await fetch(`/api/${call}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
    return (await res.json()) as Reply;
  }, name);
}

/** From now on, window.seen lists every text the first element matching `selector` shows, in order ('' while there is none). */
async function watchTexts(page: Page, selector: string): Promise<void> {
  await page.evaluate(`(() => {
    const seen = [];
    window.seen = seen;
    const note = () => {
      const t = document.querySelector(${JSON.stringify(selector)})?.textContent ?? '';
      if (seen.at(-1) !== t) seen.push(t);
    };
    note();
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true });
  })()`);
}

async function headerState(page: Page, text: string): Promise<void> {
  await page.locator(STATE).filter({ hasText: text }).waitFor({ timeout: 15_000 });
}

describe('admin UI in a browser against keyhold serve', { timeout: 120_000 }, () => {
  let s: E2eSession;

  before(async () => {
    s = await startE2e({ faults: true });
  });
  after(async () => {
    await s?.close();
  });

  test('the page loads with the token and the header shows Running', async () => {
    const { page } = s;
    await headerState(page, 'Running');
    // The token left the address bar (history, copy and paste) for this tab's sessionStorage.
    assert.doesNotMatch(page.url(), /token/);
    assert.equal(await page.evaluate(() => (globalThis as unknown as InPage).sessionStorage.getItem('keyhold.token')), s.token);
    assert.equal(await page.locator('nav a').first().textContent(), 'Dashboard');
    await s.screenshot('shell-running');
  });

  test('stop and start through the contract change the badge; the admin UI stays up', async () => {
    const { page } = s;
    const stopped = await callFromPage(page, 'engine.stop');
    assert.equal(stopped.ok, true, JSON.stringify(stopped));
    assert.equal(stopped.value!.state, 'stopped');
    await headerState(page, 'Stopped');
    await s.screenshot('shell-stopped');
    const started = await callFromPage(page, 'engine.start');
    assert.equal(started.ok, true, JSON.stringify(started));
    assert.equal(started.value!.state, 'running');
    await headerState(page, 'Running');
  });

  test('a reload keeps working (the token is kept for the tab)', async () => {
    const { page } = s;
    await page.reload();
    await headerState(page, 'Running');
    assert.equal(await page.locator('[role="alert"]').count(), 0);
  });

  test('a crash of the engine worker shows, then the restarted server shows Running again', async () => {
    const { page } = s;
    // Every text the badge shows from here on, in order.
    await watchTexts(page, STATE);
    const from = s.output().length;
    s.crash('throw');
    await s.waitForOutput(/the engine was restarted and is listening again/, 20_000, from);
    await page.waitForFunction(() => {
      const seen = (globalThis as unknown as InPage).seen;
      return seen.includes('Stopped') && seen.at(-1) === 'Running';
    }, undefined, { timeout: 15_000 });
    const status = await callFromPage(page, 'engine.status');
    assert.equal(status.value!.state, 'running');
    await s.screenshot('shell-after-crash');
  });

  test('a restart of keyhold serve: the open page shows the outage, reconnects by itself and fetches the state, with the same token (DIR/admin.token)', async () => {
    const { page } = s;
    await watchTexts(page, '[role="alert"]');
    const url = await s.restartServe();
    assert.equal(url, s.url, 'the admin URL and its token survive the restart');
    // No reload: the event socket comes back, the state is fetched afresh and the outage notice goes.
    await page.waitForFunction(() => {
      const seen = (globalThis as unknown as InPage).seen;
      return seen.some((t) => /not reachable/.test(t)) && seen.at(-1) === '';
    }, undefined, { timeout: 15_000 });
    await headerState(page, 'Running');
    const status = await callFromPage(page, 'engine.status');
    assert.equal(status.value!.endpoint, `127.0.0.1:${s.kmipPort}`);
  });

  test('switching to 简体中文 changes the navigation text at run time', async () => {
    const { page } = s;
    await page.selectOption('[data-testid="language"]', 'zh-CN');
    await page.locator('nav a').first().filter({ hasText: '仪表板' }).waitFor({ timeout: 5_000 });
    assert.equal(await page.locator('nav a').filter({ hasText: 'Dashboard' }).count(), 0);
    assert.equal(await page.locator(STATE).textContent(), '运行中');
    await s.screenshot('shell-zh-CN');
    await page.selectOption('[data-testid="language"]', 'en');
  });

  test('a page without the token is refused, and says where the token is', async () => {
    const context = await s.browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${s.origin}/`);
      const alert = page.locator('[role="alert"]');
      await alert.first().waitFor({ timeout: 10_000 });
      assert.match((await alert.first().textContent()) ?? '', /token/i);
      assert.equal(await page.locator(STATE).count(), 0);
      const refused = await callFromPage(page, 'engine.status');
      assert.equal(refused.ok, false);
      assert.equal(refused.error!.code, 'unauthorized');
      // A wrong token is refused too.
      await page.evaluate(() => (globalThis as unknown as InPage).sessionStorage.setItem('keyhold.token', 'x'.repeat(43)));
      assert.equal((await callFromPage(page, 'engine.status')).error!.code, 'forbidden');
      await s.screenshot('shell-no-token', page);
    } finally {
      await context.close();
    }
  });
});
