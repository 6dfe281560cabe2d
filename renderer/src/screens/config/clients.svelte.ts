// The Clients screen's state: the list, the add/edit form (validated as you
// type with shared/forms, the same checks the handlers make), enable/disable,
// remove, and certificate bundles to download. A bundle holds a private key:
// it stays in memory until the operator leaves the screen or closes it.
import { checkClientName, checkDescription, checkIpList, checkP12Passphrase } from '../../../../shared/forms/fields.js';
import { LEAST_PRIVILEGE, permissionChoices, permissionsText, type PermissionChoice } from '../../../../shared/forms/permissions.js';
import type { ClientBundle, ClientSummary } from '../../../../shared/ipc/calls/clients.js';
import type { IpcError } from '../../../../shared/ipc/errors.js';
import type { KeyholdClient } from '../../api.js';
import { problemOf, runAction, type Problem } from './common.js';

export type CertificateSource = 'issue' | 'csr' | 'import';

export interface ClientForm {
  mode: 'add' | 'edit';
  name: string;
  description: string;
  /** Addresses and ranges, separated by commas, spaces or lines; empty: any. */
  addresses: string;
  permissions: PermissionChoice[];
  source: CertificateSource;
  /** The CSR (csr) or certificate (import), PEM. */
  pem: string;
  /** Also a PKCS#12 file (issue only); empty: none. */
  p12Passphrase: string;
}

export type Notice = { key: 'clients.notice.added' | 'clients.notice.saved' | 'clients.notice.removed' | 'clients.notice.disabled' | 'clients.notice.enabled' | 'clients.notice.bundle'; name: string };

function emptyForm(): ClientForm {
  return { mode: 'add', name: '', description: '', addresses: '', permissions: permissionChoices(LEAST_PRIVILEGE), source: 'issue', pem: '', p12Passphrase: '' };
}

export class ClientsState {
  clients = $state.raw<ClientSummary[] | null>(null);
  error = $state.raw<IpcError | null>(null);
  loading = $state(false);
  busy = $state(false);
  notice = $state.raw<Notice | null>(null);
  warnings = $state.raw<string[]>([]);
  /** The bundle just issued, for `bundleFor`: offered for download until dismissed. */
  bundle = $state.raw<ClientBundle | null>(null);
  bundleFor = $state('');
  form = $state<ClientForm | null>(null);
  /** Fields the operator has left once: their problems show from then on (and all of them after a save attempt). */
  touched = $state<Record<string, boolean>>({});

  readonly problems = $derived.by((): Record<string, Problem | undefined> => {
    const f = this.form;
    if (f === null) return {};
    return {
      name: f.mode === 'add' ? problemOf(checkClientName(f.name)) : undefined,
      description: problemOf(checkDescription(f.description)),
      addresses: problemOf(checkIpList(f.addresses)),
      p12: f.mode === 'add' && f.source === 'issue' && f.p12Passphrase !== '' ? problemOf(checkP12Passphrase(f.p12Passphrase)) : undefined,
      pem: f.mode === 'add' && f.source !== 'issue' && f.pem.trim() === '' ? { key: 'clients.form.pemMissing', params: {} } : undefined,
    };
  });
  readonly valid = $derived(Object.values(this.problems).every((p) => p === undefined));
  readonly wide = $derived.by(() => {
    const r = this.form === null ? null : checkIpList(this.form.addresses);
    return r !== null && r.ok ? r.value.wide : [];
  });

  readonly #client: KeyholdClient;

  constructor(client: KeyholdClient) {
    this.#client = client;
  }

  shown(field: string): Problem | undefined {
    return this.touched[field] || this.touched['*'] ? this.problems[field] : undefined;
  }
  touch(field: string): void {
    this.touched = { ...this.touched, [field]: true };
  }

  async load(): Promise<void> {
    await runAction(this, (on) => (this.loading = on), async () => {
      this.clients = (await this.#client.call('clients.list')).clients;
    });
  }

  startAdd(): void {
    this.#start(emptyForm());
  }

  startEdit(c: ClientSummary): void {
    this.#start({ ...emptyForm(), mode: 'edit', name: c.name, description: c.description, addresses: c.addresses.join(', '), permissions: permissionChoices(c.permissions) });
  }

  #start(form: ClientForm): void {
    this.form = form;
    this.touched = {};
    this.notice = null;
    this.warnings = [];
    this.error = null;
  }

  cancel(): void {
    this.form = null;
  }

  #run(fn: () => Promise<void>): Promise<boolean> {
    return runAction(this, (on) => (this.busy = on), fn);
  }

  async save(): Promise<boolean> {
    const f = this.form;
    if (f === null) return false;
    this.touched = { ...this.touched, '*': true };
    if (!this.valid) return false;
    const addresses = checkIpList(f.addresses);
    const common = { description: f.description.trim(), addresses: addresses.ok ? addresses.value.entries : [], permissions: permissionsText(f.permissions) };
    const ok = await this.#run(async () => {
      if (f.mode === 'add') {
        const certificate = f.source === 'issue' ? { kind: 'issue' as const } : f.source === 'csr' ? { kind: 'csr' as const, csrPem: f.pem.trim() } : { kind: 'import' as const, certPem: f.pem.trim() };
        const r = await this.#client.call('clients.add', { name: f.name.trim(), ...common, certificate, ...(f.source === 'issue' && f.p12Passphrase !== '' ? { p12Passphrase: f.p12Passphrase } : {}) });
        this.bundle = r.bundle ?? null;
        this.bundleFor = r.client.name;
        this.warnings = r.warnings;
        this.notice = { key: 'clients.notice.added', name: r.client.name };
      } else {
        const r = await this.#client.call('clients.update', { name: f.name, ...common });
        this.warnings = r.warnings;
        this.notice = { key: 'clients.notice.saved', name: r.client.name };
      }
    });
    if (ok) {
      this.form = null;
      await this.load();
    }
    return ok;
  }

  async setEnabled(name: string, enabled: boolean): Promise<void> {
    if (await this.#run(async () => void (await this.#client.call('clients.update', { name, enabled })))) {
      this.notice = { key: enabled ? 'clients.notice.enabled' : 'clients.notice.disabled', name };
      await this.load();
    }
  }

  async remove(name: string): Promise<void> {
    if (await this.#run(async () => void (await this.#client.call('clients.remove', { name })))) {
      this.notice = { key: 'clients.notice.removed', name };
      if (this.bundleFor === name) this.closeBundle();
      await this.load();
    }
  }

  /** A new certificate and key (the old certificate is refused from then on), offered for download. */
  async newBundle(name: string, p12Passphrase: string): Promise<boolean> {
    const ok = await this.#run(async () => {
      const r = await this.#client.call('clients.bundle', { name, ...(p12Passphrase === '' ? {} : { p12Passphrase }) });
      this.bundle = r.bundle;
      this.bundleFor = name;
      this.notice = { key: 'clients.notice.bundle', name };
    });
    if (ok) await this.load();
    return ok;
  }

  closeBundle(): void {
    this.bundle = null;
    this.bundleFor = '';
  }
}
