// `npm run screenshots`: the README's screenshots, taken from the real UI.
// A real `keyhold serve` on a temporary data dir and Debian's Chromium
// (test/support/e2e.ts) go through the setup wizard in English; then an
// enrolled client creates a few keys over KMIP (and activates, revokes and
// destroys some) so the Dashboard, Keys and Logs screens show real numbers.
// Each screen is saved as docs/screenshots/NAME.png at 1280x800 (the
// viewport only, not the full page), replacing what was there.
//
// Needs /usr/bin/chromium (or KEYHOLD_CHROMIUM) and a built UI; the npm
// script builds the UI first.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type tls from 'node:tls';
import type { Page } from 'playwright-core';
import { parseGrants } from '../main/access/policy.js';
import { parseResponseMessage } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, item, struct } from '../shared/kmip/ttlv/index.js';
import { e2eUnavailable, startE2e, type E2eSession } from '../test/support/e2e.js';
import { byId, createAes, request } from '../test/support/kmip-requests.js';
import { call, connect, enrolHere } from '../test/support/kmip-tls.js';
import { REPO_ROOT } from '../test/support/reference.js';

export const OUT_DIR = join(REPO_ROOT, 'docs', 'screenshots');
export const VIEWPORT = { width: 1280, height: 800 } as const;

/** The files this script writes, in order. */
export const SHOTS = ['wizard-1-environment', 'wizard-2-certificate', 'wizard-5-client', 'dashboard', 'keys', 'logs'] as const;
export type Shot = (typeof SHOTS)[number];

async function shot(page: Page, name: Shot): Promise<void> {
  // From the top of the page, whatever the last click scrolled to.
  await page.mouse.move(VIEWPORT.width - 10, VIEWPORT.height - 10);
  await page.mouse.wheel(0, -100_000);
  await page.waitForTimeout(200);
  // Nothing blinking or half-drawn: no caret, animations finished.
  await page.screenshot({ path: join(OUT_DIR, `${name}.png`), fullPage: false, animations: 'disabled', caret: 'hide' });
  console.log(`docs/screenshots/${name}.png`);
}

async function step(page: Page, n: number): Promise<void> {
  await page.getByTestId(`setup-step-${n}`).waitFor({ timeout: 30_000 });
}

/** One KMIP request; fails with the server's message unless it succeeded. Returns the Unique Identifier answered, if any. */
async function kmip(socket: tls.TLSSocket, bytes: Uint8Array): Promise<string | undefined> {
  const [res] = parseResponseMessage(decodeTtlv(await call(socket, bytes))).batchItems;
  if (res === undefined || res.resultStatus !== Enum.ResultStatus.Success) throw new Error(`KMIP request failed: ${res?.resultMessage ?? 'no batch item'}`);
  const uid = res.responsePayload?.value.find((i) => i.tag === Tag.UniqueIdentifier);
  return typeof uid?.value === 'string' ? uid.value : undefined;
}

async function wizard(s: E2eSession): Promise<void> {
  const { page } = s;
  await step(page, 1);
  await page.getByTestId('env-checks').locator('li').first().waitFor();
  await page.locator('[data-check="clock"][data-ok]').waitFor();
  await shot(page, 'wizard-1-environment');
  await page.getByTestId('setup-next').click();

  await step(page, 2);
  // A new server certificate from the internal CA (P-256: quick), with its checklist.
  const report = page.getByTestId('cert-report');
  await report.waitFor();
  const first = await report.getAttribute('data-fingerprint');
  await page.locator('#cert-key').selectOption('ec-p256');
  await page.getByTestId('cert-issue').click();
  await page.locator(`[data-testid="cert-report"]:not([data-fingerprint="${first}"])`).waitFor({ timeout: 60_000 });
  await page.getByTestId('cert-checks').locator('li').first().waitFor();
  await shot(page, 'wizard-2-certificate');
  await page.getByTestId('setup-next').click();

  await step(page, 3);
  await page.getByTestId('server-name').fill('keyhold_demo');
  await page.getByTestId('setup-next').click();
  await step(page, 4);
  await page.getByTestId('setup-next').click();

  await step(page, 5);
  await page.getByTestId('client-name').fill('billing_app');
  await page.getByTestId('perm-create').check();
  await page.getByTestId('client-name').blur();
  await shot(page, 'wizard-5-client');
  await page.getByTestId('client-add').click();
  await page.getByTestId('client-added').waitFor({ timeout: 60_000 });
  await page.getByTestId('setup-next').click();

  await step(page, 6);
  await page.getByTestId('test-run').click();
  await page.getByTestId('test-passed').waitFor({ timeout: 60_000 });
  await page.getByTestId('setup-finish').click();
  await page.waitForURL(/#\/dashboard$/, { timeout: 30_000 });
}

/**
 * A client creates keys over KMIP and changes the state of some, so every
 * screen has something to show. Returns its connection, still open, so the
 * Dashboard counts it.
 */
async function traffic(s: E2eSession, page: Page): Promise<tls.TLSSocket> {
  const creds = await enrolHere(s.dataDir, join(s.dataDir, 'screenshots-client'), 'payments', { grants: parseGrants('all') });
  let socket: tls.TLSSocket | undefined;
  const until = Date.now() + 5_000;
  // clients.json is picked up within a second: retry the first connection.
  for (;;) {
    try {
      socket = await connect(s.kmipPort, creds);
      await kmip(socket, request(Enum.Operation.DiscoverVersions, []));
      break;
    } catch (e) {
      socket?.destroy();
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    const ids: string[] = [];
    for (const name of ['payments-db-tde', 'payments-backup', 'orders-column-key', 'orders-archive', 'hr-files', 'logs-signing-wrap', 'old-tape-key']) {
      const id = await kmip(socket, createAes(name));
      if (id === undefined) throw new Error(`Create of ${name} answered no Unique Identifier`);
      ids.push(id);
    }
    const locate = (name: string) =>
      request(Enum.Operation.Locate, [struct(Tag.Attributes, [struct(Tag.Name, [item(Tag.NameValue, 'TextString', name), item(Tag.NameType, 'Enumeration', Enum.NameType.UninterpretedTextString)])])]);
    const old = ids[6]!;
    const ops: Uint8Array[] = [
      ...ids.slice(0, 5).map((id) => byId(Enum.Operation.Activate, id)),
      ...ids.slice(0, 5).flatMap((id) => [byId(Enum.Operation.Get, id), byId(Enum.Operation.Get, id)]),
      locate('orders-archive'),
      byId(Enum.Operation.Get, ids[0]!),
      // The old tape key: revoked, then destroyed (restorable: soft delete).
      byId(Enum.Operation.Activate, old),
      request(Enum.Operation.Revoke, [
        item(Tag.UniqueIdentifier, 'TextString', old),
        struct(Tag.RevocationReason, [item(Tag.RevocationReasonCode, 'Enumeration', Enum.RevocationReasonCode.CessationOfOperation)]),
      ]),
      byId(Enum.Operation.Destroy, old),
      locate('payments-db-tde'),
      locate('orders-column-key'),
    ];
    // Spread over a few seconds, in rounds of 1 to 4, for the requests-per-second line (drawn from what the open page saw).
    for (let i = 0; ops.length > 0; i++) {
      for (const op of ops.splice(0, 1 + (i % 4))) await kmip(socket, op);
      await page.waitForTimeout(400);
    }
  } catch (e) {
    socket.destroy();
    throw e;
  }
  return socket;
}

async function main(): Promise<void> {
  const why = e2eUnavailable();
  if (why !== null) throw new Error(`cannot take screenshots: ${why}`);
  mkdirSync(OUT_DIR, { recursive: true });
  const s = await startE2e();
  let socket: tls.TLSSocket | undefined;
  try {
    await s.page.setViewportSize(VIEWPORT);
    await s.page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
    await wizard(s);
    socket = await traffic(s, s.page);

    const { page } = s;
    // The Dashboard counts objects when it opens or on Refresh.
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.locator('[data-testid="engine-state"]', { hasText: 'Running' }).waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="objects-by-state"]', { hasText: /Total\s*7/ }).waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="connections"]', { hasText: /^[1-9]/ }).waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="sparkline"] polyline').waitFor({ state: 'attached', timeout: 10_000 });
    await shot(page, 'dashboard');

    await page.click('nav a[href="#/keys"]');
    await page.getByTestId('key-row').filter({ hasText: 'old-tape-key' }).waitFor({ timeout: 10_000 });
    await shot(page, 'keys');

    await page.click('nav a[href="#/logs"]');
    await page.getByTestId('log-row').filter({ hasText: 'Locate' }).first().waitFor({ timeout: 10_000 });
    await shot(page, 'logs');
  } finally {
    socket?.destroy();
    const backups = `${s.dataDir}-backups`;
    await s.close();
    rmSync(backups, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
