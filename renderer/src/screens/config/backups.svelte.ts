// The Backups screen's state: the settings (as `keyhold backup configure`),
// the backups in the folder, a backup now, verify, and restore behind a typed
// confirmation (the file name). Passphrases live only in these fields and are
// cleared after each call.
import { checkSchedule } from '../../../../shared/forms/schedule.js';
import type { BackupEntry, BackupSettingsView } from '../../../../shared/ipc/calls/backups.js';
import type { IpcError } from '../../../../shared/ipc/errors.js';
import type { KeyholdClient } from '../../api.js';
import { ProgressTracker } from '../../progress.svelte.js';
import { problemOf, runAction, type Problem } from './common.js';

export type BackupBusy = 'save' | 'run' | 'verify' | 'restore';
export const MIN_BACKUP_PASSPHRASE = 12;

export interface BackupForm {
  folder: string;
  schedule: string;
  keep: string;
  protection: 'passphrase' | 'master-key';
  /** A new backup passphrase; empty: keep the one set. */
  passphrase: string;
  passphraseAgain: string;
  refuseUnbackedKeys: boolean;
  includeAudit: boolean;
}

export type BackupNotice =
  | { key: 'backups.notice.saved'; params: { changes: string } }
  | { key: 'backups.notice.unchanged'; params: Record<string, never> }
  | { key: 'backups.notice.ran'; params: { name: string; objects: number; ms: number } }
  | { key: 'backups.notice.verified'; params: { name: string; objects: number } }
  | { key: 'backups.notice.restored'; params: { name: string; objects: number; aside: string } };

export class BackupsState {
  settings = $state.raw<BackupSettingsView | null>(null);
  folder = $state.raw<string | null>(null);
  backups = $state.raw<BackupEntry[] | null>(null);
  error = $state.raw<IpcError | null>(null);
  notice = $state.raw<BackupNotice | null>(null);
  loading = $state(false);
  busy = $state<BackupBusy | null>(null);
  form = $state<BackupForm | null>(null);
  /** The verify or restore dialog: which file, its passphrase, and (restore) the typed confirmation. */
  dialog = $state<{ kind: 'verify' | 'restore'; file: string; passphrase: string; confirm: string } | null>(null);

  readonly problems = $derived.by((): Record<string, Problem | undefined> => {
    const f = this.form;
    if (f === null) return {};
    const keep = /^\d{1,5}$/.test(f.keep.trim()) && Number(f.keep) >= 1 && Number(f.keep) <= 10_000;
    const needsPass = f.protection === 'passphrase' && !this.settings?.passphraseSet;
    return {
      folder: f.folder.trim() === '' && f.schedule.trim() !== 'off' ? { key: 'backups.form.folderMissing', params: {} } : undefined,
      schedule: problemOf(checkSchedule(f.schedule)),
      keep: keep ? undefined : { key: 'backups.form.keepInvalid', params: { max: 10_000 } },
      passphrase:
        f.protection === 'passphrase' && (needsPass || f.passphrase !== '') && f.passphrase.length < MIN_BACKUP_PASSPHRASE
          ? { key: 'backups.form.passphraseShort', params: { min: MIN_BACKUP_PASSPHRASE } }
          : undefined,
      passphraseAgain: f.passphrase !== '' && f.passphrase !== f.passphraseAgain ? { key: 'backups.form.passphraseMismatch', params: {} } : undefined,
    };
  });
  readonly valid = $derived(Object.values(this.problems).every((p) => p === undefined));
  /** The restore may go ahead: the file name typed exactly. */
  readonly confirmed = $derived(this.dialog?.kind === 'restore' && this.dialog.confirm === this.dialog.file);

  /** The progress of a backup now, a verify or a restore (stays at done once it answered, until the next action). */
  readonly progress: ProgressTracker;
  readonly #client: KeyholdClient;

  constructor(client: KeyholdClient) {
    this.#client = client;
    this.progress = new ProgressTracker(client);
  }

  async load(): Promise<void> {
    await runAction(this, (on) => (this.loading = on), async () => {
      const [settings, list] = await Promise.all([this.#client.call('backups.settings'), this.#client.call('backups.list')]);
      this.settings = settings;
      this.folder = list.folder;
      this.backups = list.backups;
    });
  }

  edit(): void {
    const s = this.settings;
    this.form = {
      folder: s?.folder ?? '',
      schedule: s?.schedule ?? 'off',
      keep: String(s?.keep ?? 14),
      protection: s?.protection ?? 'passphrase',
      passphrase: '',
      passphraseAgain: '',
      refuseUnbackedKeys: s?.refuseUnbackedKeys ?? false,
      includeAudit: s?.includeAudit ?? true,
    };
    this.notice = null;
    this.error = null;
  }

  cancel(): void {
    this.form = null;
  }

  #run(what: BackupBusy, fn: () => Promise<void>): Promise<boolean> {
    this.notice = null;
    this.progress.clear();
    return runAction(this, (on) => (this.busy = on ? what : null), fn);
  }

  async save(): Promise<void> {
    const f = this.form;
    if (f === null || !this.valid) return;
    const ok = await this.#run('save', async () => {
      const r = await this.#client.call('backups.configure', {
        ...(f.folder.trim() === '' ? {} : { folder: f.folder.trim() }),
        schedule: f.schedule.trim(),
        keep: Number(f.keep),
        protection: f.protection,
        ...(f.protection === 'passphrase' && f.passphrase !== '' ? { passphrase: f.passphrase } : {}),
        refuseUnbackedKeys: f.refuseUnbackedKeys,
        includeAudit: f.includeAudit,
      });
      this.settings = r.settings;
      this.notice = r.changes.length === 0 ? { key: 'backups.notice.unchanged', params: {} } : { key: 'backups.notice.saved', params: { changes: r.changes.join('; ') } };
    });
    if (this.form !== null) {
      this.form.passphrase = '';
      this.form.passphraseAgain = '';
    }
    if (ok) {
      this.form = null;
      await this.load();
    }
  }

  async runNow(): Promise<void> {
    if (await this.#run('run', async () => {
      const r = await this.progress.run('backup', (progressId) => this.#client.call('backups.run', { progressId }));
      this.notice = { key: 'backups.notice.ran', params: { name: r.name, objects: r.objects, ms: r.ms } };
    })) await this.load();
  }

  open(kind: 'verify' | 'restore', file: string): void {
    this.dialog = { kind, file, passphrase: '', confirm: '' };
    this.error = null;
  }

  closeDialog(): void {
    this.dialog = null;
  }

  async confirmDialog(): Promise<void> {
    const d = this.dialog;
    if (d === null) return;
    const passphrase = d.passphrase === '' ? {} : { passphrase: d.passphrase };
    let ok: boolean;
    if (d.kind === 'verify') {
      ok = await this.#run('verify', async () => {
        const r = await this.progress.run('verify', (progressId) => this.#client.call('backups.verify', { file: d.file, ...passphrase, progressId }));
        this.notice = { key: 'backups.notice.verified', params: { name: r.name, objects: r.objects } };
      });
    } else {
      if (!this.confirmed) return;
      ok = await this.#run('restore', async () => {
        const r = await this.progress.run('restore', (progressId) => this.#client.call('backups.restore', { file: d.file, ...passphrase, confirm: d.confirm, progressId }));
        this.notice = { key: 'backups.notice.restored', params: { name: r.name, objects: r.objects, aside: r.setAside ?? '—' } };
      });
    }
    if (this.dialog !== null) this.dialog.passphrase = '';
    if (ok) {
      this.dialog = null;
      await this.load();
    }
  }
}
