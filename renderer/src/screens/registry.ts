// The screens of the admin UI after setup, in navigation order. Each area adds
// its screen here; App.svelte builds the navigation and the routes from this
// list (route #/<id>, title from the i18n key).
import type { Component } from 'svelte';
import type { MessageKey } from '../i18n/index.svelte.js';
import type { KeyholdClient } from '../api.js';
import type { AdminState } from '../state.svelte.js';
import Dashboard from './Dashboard.svelte';
import Settings from './Settings.svelte';
import Backups from './Backups.svelte';
import Policy from './Policy.svelte';
import Certificates from './Certificates.svelte';
import Clients from './Clients.svelte';
import Keys from './Keys.svelte';
import Logs from './Logs.svelte';
import Setup from './Setup.svelte';

/** What every screen receives. */
export interface ScreenProps {
  client: KeyholdClient;
  admin: AdminState;
  /** Path segments after the screen's id (#/keys/ID → ['ID']). */
  params: string[];
}

export interface ScreenDef {
  id: string;
  title: MessageKey;
  component: Component<ScreenProps>;
  /** 'untilSetup': in the navigation only while setup is not complete (the route stays reachable). */
  nav?: 'untilSetup';
}

export const SCREENS: readonly ScreenDef[] = [
  { id: 'dashboard', title: 'nav.dashboard', component: Dashboard },
  { id: 'keys', title: 'nav.keys', component: Keys },
  { id: 'logs', title: 'nav.logs', component: Logs },
  { id: 'clients', title: 'nav.clients', component: Clients },
  { id: 'certificates', title: 'nav.certificates', component: Certificates },
  { id: 'policy', title: 'nav.policy', component: Policy },
  { id: 'backups', title: 'nav.backups', component: Backups },
  { id: 'settings', title: 'nav.settings', component: Settings },
  // The setup wizard, #/setup/1 … #/setup/6; opened on first run (setup/first-run.ts).
  // Once setup is complete it leaves the navigation: Settings links to it.
  { id: 'setup', title: 'nav.setup', component: Setup, nav: 'untilSetup' },
];

/** The screens the navigation lists: the wizard only while setup is known to be incomplete. */
export function navScreens(setupComplete: boolean | null): readonly ScreenDef[] {
  return SCREENS.filter((s) => s.nav !== 'untilSetup' || setupComplete === false);
}
