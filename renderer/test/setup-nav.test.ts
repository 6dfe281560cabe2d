// The setup wizard in the navigation: listed while setup is not complete
// (the app opens on it), gone once it is (DIR/setup.json says complete), and
// then reachable from Settings, which says that running it again deletes no
// keys. Finishing the wizard takes it out of the navigation at once.
import { cleanup, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SetupState } from '../../shared/ipc/calls/setup.js';
import type { EngineStatus } from '../../shared/ipc/contract.js';
import App from '../src/App.svelte';
import { i18n } from '../src/i18n/index.svelte.js';
import { router } from '../src/router.svelte.js';
import { setupStatus } from '../src/screens/setup/setup-status.svelte.js';
import { SetupWizard } from '../src/screens/setup/wizard.svelte.js';
import { AdminState } from '../src/state.svelte.js';
import { fakeClient } from './fake-client.js';

const status: EngineStatus = { state: 'stopped', since: '2026-11-28T10:00:00.000Z', endpoint: null, lastError: null };
const setupState = (complete: boolean): SetupState => ({ complete, step: complete ? 6 : 2, completedAt: complete ? '2026-11-28T10:00:00.000Z' : null, existing: false });

function mountApp(complete: boolean) {
  const fake = fakeClient({
    'app.info': () => ({ name: 'Keyhold', id: 'keyhold', version: '0.0.0', mode: 'headless' }),
    'engine.status': () => status,
    'setup.state': () => setupState(complete),
    'settings.get': () => ({ serverName: 'Keyhold', kmipPort: 5696, tlsMin: '1.2', tlsProfile: 'modern', app: { startServerAtLaunch: true, openAtLogin: false } }),
  });
  render(App, { props: { admin: new AdminState(fake.client), client: fake.client } });
  return fake;
}

const navLinks = () => [...document.querySelectorAll('nav a')].map((a) => a.getAttribute('href'));
const settled = async (fake: ReturnType<typeof fakeClient>) => {
  await waitFor(() => expect(fake.calls.some((c) => c.name === 'setup.state')).toBe(true));
  await waitFor(() => expect(setupStatus.complete).not.toBeNull());
};

beforeEach(async () => {
  i18n.set('en');
  setupStatus.complete = null;
  location.hash = '#/';
  await waitFor(() => expect(router.path).toBe('/'));
});
afterEach(() => {
  cleanup();
  location.hash = '';
});

describe('the setup wizard in the navigation', () => {
  it('is listed while setup is not complete, and the app opens on it', async () => {
    const fake = mountApp(false);
    await settled(fake);
    await waitFor(() => expect(navLinks()).toContain('#/setup'));
    await waitFor(() => expect(router.path).toBe('/setup/2'));
  });

  it('is not listed once setup is complete; Settings links to it and says re-running deletes no keys', async () => {
    const fake = mountApp(true);
    await settled(fake);
    expect(navLinks()).not.toContain('#/setup');
    expect(navLinks()).toContain('#/settings');
    expect(router.path).toBe('/'); // not sent to the wizard

    router.go('/settings');
    const link = await screen.findByTestId('settings-setup-again');
    expect(link.getAttribute('href')).toBe('#/setup/1');
    expect(link.textContent).toBe('Run the setup wizard again');
    expect(screen.getByText(/does not delete any keys/)).toBeTruthy();
    // The wizard's route still works after setup, without coming back into the navigation.
    router.go('/setup/1');
    await waitFor(() => expect(document.querySelector('nav a[aria-current="page"]')).toBeNull());
    expect(navLinks()).not.toContain('#/setup');
  });

  it('leaves the navigation when the wizard finishes', async () => {
    setupStatus.complete = false;
    const fake = fakeClient({ 'setup.complete': () => setupState(true) });
    const wizard = new SetupWizard(fake.client);
    expect(await wizard.finish(true)).toBe(true);
    expect(setupStatus.complete).toBe(true);
  });
});
