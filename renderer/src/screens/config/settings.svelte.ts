// The Settings screen's state: server name, KMIP port (checked as you type,
// and asked whether it is free: a taken port comes with a free one to use),
// minimum TLS version, TLS profile, and the desktop app's options.
import { checkPort, checkServerName } from '../../../../shared/forms/fields.js';
import type { PortCheck, SettingsResult, SettingsView } from '../../../../shared/ipc/calls/settings.js';
import type { IpcError } from '../../../../shared/ipc/errors.js';
import type { KeyholdClient } from '../../api.js';
import { problemOf, runAction, type Problem } from './common.js';

const PORT_CHECK_DELAY_MS = 300;

export interface SettingsDraft {
  serverName: string;
  kmipPort: string;
  tlsMin: '1.2' | '1.3';
  tlsProfile: 'modern' | 'compatible';
  startServerAtLaunch: boolean;
  openAtLogin: boolean;
}

const draftOf = (s: SettingsView): SettingsDraft => ({
  serverName: s.serverName,
  kmipPort: String(s.kmipPort),
  tlsMin: s.tlsMin,
  tlsProfile: s.tlsProfile,
  startServerAtLaunch: s.app.startServerAtLaunch,
  openAtLogin: s.app.openAtLogin,
});

export class SettingsState {
  settings = $state.raw<SettingsView | null>(null);
  draft = $state<SettingsDraft | null>(null);
  error = $state.raw<IpcError | null>(null);
  result = $state.raw<SettingsResult | null>(null);
  /** The last answer of settings.checkPort for the port in the field. */
  port = $state.raw<PortCheck | null>(null);
  loading = $state(false);
  busy = $state(false);

  readonly problems = $derived.by((): Record<string, Problem | undefined> => {
    const d = this.draft;
    if (d === null) return {};
    return { serverName: problemOf(checkServerName(d.serverName)), kmipPort: problemOf(checkPort(d.kmipPort)) };
  });
  readonly valid = $derived(Object.values(this.problems).every((p) => p === undefined));

  readonly #client: KeyholdClient;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(client: KeyholdClient) {
    this.#client = client;
  }

  async load(): Promise<void> {
    await runAction(this, (on) => (this.loading = on), async () => {
      this.settings = await this.#client.call('settings.get');
      this.draft = draftOf(this.settings);
      this.port = null;
    });
  }

  /** Called as the port field changes: asks whether the new port is free, a moment after typing stops. */
  portChanged(): void {
    clearTimeout(this.#timer);
    this.port = null;
    const d = this.draft;
    const p = d === null ? null : checkPort(d.kmipPort);
    if (p === null || !p.ok || p.value === this.settings?.kmipPort) return;
    const port = p.value;
    this.#timer = setTimeout(async () => {
      try {
        const r = await this.#client.call('settings.checkPort', { port });
        if (this.draft !== null && this.draft.kmipPort.trim() === String(port)) this.port = r;
      } catch {
        /* the save says why, if it matters */
      }
    }, PORT_CHECK_DELAY_MS);
  }

  useSuggested(): void {
    if (this.draft !== null && this.port?.suggested != null) {
      this.draft.kmipPort = String(this.port.suggested);
      this.portChanged();
    }
  }

  async save(): Promise<void> {
    const d = this.draft;
    if (d === null || !this.valid) return;
    const ok = await runAction(this, (on) => (this.busy = on), async () => {
      const r = await this.#client.call('settings.set', {
        serverName: d.serverName.trim(),
        kmipPort: Number(d.kmipPort),
        tlsMin: d.tlsMin,
        tlsProfile: d.tlsProfile,
        app: { startServerAtLaunch: d.startServerAtLaunch, openAtLogin: d.openAtLogin },
      });
      this.result = r;
      this.settings = r.settings;
      this.draft = draftOf(r.settings);
      this.port = null;
    });
    if (!ok) this.result = null;
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }
}
