// The admin password in a real browser: `keyhold serve` on a data dir with
// an admin password says so at start; a page opened WITHOUT the token in its
// URL shows the login form, a wrong password gets the server's sentence, the
// right one opens the app over a session token (calls and the live event
// WebSocket), and Log out brings the form back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { setAdminPassword } from '../main/admin/admin-password.js';
import { e2eUnavailable, startE2e, type E2eSession } from './support/e2e.js';

const skip = e2eUnavailable();
// Never skipped: without Chromium or the built UI the tests fail and say what to install (.ci/run and npm test provide both).
if (skip !== null) throw new Error(`e2e: ${skip}`);

const PASSWORD = 'a long enough admin password';

interface InPage {
  sessionStorage: { getItem(key: string): string | null };
}
const stored = (page: Page) => page.evaluate(() => (globalThis as unknown as InPage).sessionStorage.getItem('keyhold.token'));

describe('password login in a browser against keyhold serve', { timeout: 120_000 }, () => {
  let s: E2eSession;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    // The lowest scrypt cost the server accepts keeps the test quick; the CLI writes 2^17.
    s = await startE2e({ beforeStart: (dir) => setAdminPassword(dir, PASSWORD, { N: 2 ** 14, r: 8, p: 1 }).then(() => {}) });
    context = await s.browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
  });
  after(async () => {
    await context?.close();
    await s?.close();
  });

  test('keyhold serve says at start that the UI also takes the admin password', () => {
    assert.match(s.output(), new RegExp(`^The admin UI also accepts the admin password: open ${s.origin.replace(/[.]/g, '\\.')}/ and log in`, 'm'));
  });

  test('without the token: the login form; a wrong password shows the server\'s sentence', async () => {
    await page.goto(`${s.origin}/`);
    await page.getByTestId('login-form').waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('nav').count(), 0, 'no screens before logging in');
    await page.getByTestId('login-password').fill('not the admin password');
    await page.getByTestId('login-submit').click();
    await page.locator('#login-password-problem', { hasText: 'Wrong password' }).waitFor({ timeout: 10_000 });
    await s.screenshot('login-wrong-password', page);
  });

  test('the right password opens the dashboard, with live engine state over the WebSocket', async () => {
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    // The app's own navigation (a fresh data dir also shows the wizard's step list, a second nav).
    await page.getByRole('navigation', { name: 'Sections' }).waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId('login-form').count(), 0);
    const token = await stored(page);
    assert.match(token ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(token, s.token, 'a session token, not the admin token');
    await page.getByRole('navigation', { name: 'Sections' }).locator('a[href="#/dashboard"]').click();
    await page.locator('[data-testid="engine-state"]', { hasText: 'Running' }).waitFor({ timeout: 15_000 });
    await page.locator('[data-testid="header-state"]', { hasText: 'Running' }).waitFor();
    await s.screenshot('login-dashboard', page);
    // A state change reaches this page only over its event socket.
    const stopped = await page.evaluate(async (t) => {
      const r = await fetch('/api/engine.stop', { method: 'POST', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, body: '{}' });
      return r.status;
    }, s.token);
    assert.equal(stopped, 200);
    await page.locator('[data-testid="header-state"]', { hasText: 'Stopped' }).waitFor({ timeout: 10_000 });
  });

  test('Log out ends the session: the form is back and the old token is refused', async () => {
    const token = await stored(page);
    await page.getByTestId('logout').click();
    await page.getByTestId('login-form').waitFor({ timeout: 10_000 });
    const status = await page.evaluate(async (t) => (await fetch('/api/engine.status', { method: 'POST', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, body: '{}' })).status, token);
    assert.equal(status, 403);
  });
});
