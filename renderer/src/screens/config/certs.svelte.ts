// The Certificates screen's state: the report (server certificate, chain,
// CAs and every check), and the three ways to change the server certificate.
// RSA-4096 takes seconds to generate: `busy` names what is running.
import { checkAddressList, checkDays, checkDnsList } from '../../../../shared/forms/fields.js';
import type { CertReport, KeyType } from '../../../../shared/ipc/calls/certs.js';
import type { IpcError } from '../../../../shared/ipc/errors.js';
import type { KeyholdClient } from '../../api.js';
import { ProgressTracker } from '../../progress.svelte.js';
import { problemOf, runAction, toBase64, toIpcError, type Problem } from './common.js';

export type CertAction = 'selfSigned' | 'csr' | 'import';
export const MAX_CERT_DAYS = 825;

export interface CertForm {
  action: CertAction;
  dns: string;
  ip: string;
  cn: string;
  key: KeyType;
  days: string;
  /** import: PEM texts, or a PKCS#12 file with its passphrase. */
  importKind: 'pem' | 'p12';
  certPem: string;
  keyPem: string;
  chainPem: string;
  p12: Uint8Array | null;
  p12Name: string;
  passphrase: string;
}

export class CertsState {
  report = $state.raw<CertReport | null>(null);
  error = $state.raw<IpcError | null>(null);
  loading = $state(false);
  /** What is running, for the busy line (generation of a large key takes a while). */
  busy = $state<CertAction | null>(null);
  warnings = $state.raw<string[]>([]);
  done = $state<CertAction | null>(null);
  /** The CSR just made, to download and give to the CA. */
  csrPem = $state('');
  form = $state<CertForm | null>(null);
  submitted = $state(false);

  readonly problems = $derived.by((): Record<string, Problem | undefined> => {
    const f = this.form;
    if (f === null || f.action === 'import') return {};
    const dns = checkDnsList(f.dns);
    const ip = checkAddressList(f.ip);
    const none = dns.ok && ip.ok && dns.value.length + ip.value.length === 0 ? { key: 'certs.form.namesMissing', params: {} } : undefined;
    return {
      dns: problemOf(dns) ?? none,
      ip: problemOf(ip),
      days: f.action === 'selfSigned' ? problemOf(checkDays(f.days, 1, MAX_CERT_DAYS)) : undefined,
    };
  });
  readonly valid = $derived(Object.values(this.problems).every((p) => p === undefined));

  /** Key generation (new certificate, CSR): stages and seconds elapsed, done once it answered. */
  readonly keygen: ProgressTracker;
  readonly #client: KeyholdClient;

  constructor(client: KeyholdClient) {
    this.#client = client;
    this.keygen = new ProgressTracker(client);
  }

  async load(): Promise<void> {
    await runAction(this, (on) => (this.loading = on), async () => {
      this.report = await this.#client.call('certs.report');
    });
  }

  open(action: CertAction): void {
    const s = this.report?.server;
    this.form = {
      action,
      dns: s?.dnsNames.join(', ') ?? '',
      ip: s?.ipAddresses.join(', ') ?? '',
      cn: '',
      key: 'ec-p256',
      days: '825',
      importKind: 'pem',
      certPem: '',
      keyPem: '',
      chainPem: '',
      p12: null,
      p12Name: '',
      passphrase: '',
    };
    this.submitted = false;
    this.done = null;
    this.keygen.clear();
    this.warnings = [];
    this.error = null;
  }

  cancel(): void {
    this.form = null;
  }

  async submit(): Promise<void> {
    const f = this.form;
    if (f === null) return;
    this.submitted = true;
    if (!this.valid) return;
    await runAction(this, (on) => (this.busy = on ? f.action : null), async () => {
      const dns = checkDnsList(f.dns);
      const ip = checkAddressList(f.ip);
      const names = { dns: dns.ok ? dns.value : [], ip: ip.ok ? ip.value : [], ...(f.cn.trim() === '' ? {} : { cn: f.cn.trim() }), key: f.key };
      if (f.action === 'selfSigned') {
        const r = await this.keygen.run('keygen', (progressId) => this.#client.call('certs.selfSigned', { ...names, days: Number(f.days), progressId }));
        this.report = r.report;
        this.warnings = r.warnings;
      } else if (f.action === 'csr') {
        this.csrPem = (await this.keygen.run('keygen', (progressId) => this.#client.call('certs.csr', { ...names, progressId }))).csrPem;
        await this.load();
      } else {
        const args = f.importKind === 'p12'
          ? { pkcs12Base64: toBase64(f.p12 ?? new Uint8Array()), passphrase: f.passphrase }
          : { certPem: f.certPem.trim(), ...(f.keyPem.trim() === '' ? {} : { keyPem: f.keyPem.trim() }), ...(f.chainPem.trim() === '' ? {} : { chainPem: f.chainPem.trim() }) };
        const r = await this.#client.call('certs.import', args);
        this.report = r.report;
        this.warnings = r.warnings;
        this.csrPem = '';
      }
      this.done = f.action;
      this.form = null;
    });
  }

  async exportCa(): Promise<string | null> {
    try {
      return (await this.#client.call('certs.exportCa')).pem;
    } catch (err) {
      this.error = toIpcError(err);
      return null;
    }
  }
}
