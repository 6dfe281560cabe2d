// The setup wizard's state: what the operator entered in each step (a Draft,
// kept in sessionStorage so a reload keeps it), the problems derived from it
// as they type, the results of the calls, and which call is running. The
// final call of each step belongs to its area (certs.*, settings.*,
// backups.*, policy.*, clients.*); step 1 and step 6 use setup.*.
import type { SetupEnvironment, SetupState, SetupTestResult } from '../../../../shared/ipc/calls/setup.js';
import type { CertReport, ImportCertArgs } from '../../../../shared/ipc/calls/certs.js';
import type { ClientBundle } from '../../../../shared/ipc/calls/clients.js';
import { checkDays, checkPort } from '../../../../shared/forms/fields.js';
import { permissionsText } from '../../../../shared/forms/permissions.js';
import { KeyholdError, type KeyholdClient } from '../../api.js';
import { ProgressTracker } from '../../progress.svelte.js';
import type { IpcError } from '../../../../shared/ipc/errors.js';
import { setupStatus } from './setup-status.svelte.js';
import {
  ALGORITHMS, STEP_COUNT, addressList, certificateProblems, clientProblems, dnsList, newDraft, parseDraft, policyProblems, serializeDraft, serverNameFrom,
  serverProblems, wideRanges, type Draft, type Problem,
} from './steps.js';

const STORAGE_KEY = 'keyhold.setup.draft';

/** The certificate checks as certs.report gives them (main/pki/checks.ts). */
export interface CertCheck {
  id: string;
  ok: boolean;
  severity: 'error' | 'warning' | 'info';
  message: string;
}
export interface CertReportView {
  fingerprint: string;
  subject: string;
  issuer: string;
  notAfter: string;
  names: string[];
  checks: CertCheck[];
  pendingCsr: boolean;
}

/** A file the operator picked, read in the page. */
export interface PickedFile {
  name: string;
  bytes: Uint8Array;
}

export type BusyAction = 'environment' | 'report' | 'issue' | 'csr' | 'import' | 'server' | 'policy' | 'client' | 'test' | 'start' | 'finish';

function loadDraft(): Draft {
  try {
    return parseDraft(sessionStorage.getItem(STORAGE_KEY));
  } catch {
    return newDraft();
  }
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A failure as main sent it: the English message, and the key and params the screen translates. */
function errorOf(e: unknown): Pick<IpcError, 'message' | 'key' | 'params'> {
  if (e instanceof KeyholdError) return { message: e.message, ...(e.key === undefined ? {} : { key: e.key }), ...(e.params === undefined ? {} : { params: e.params }) };
  return { message: e instanceof Error ? e.message : String(e) };
}

export class SetupWizard {
  /** Deeply reactive: the forms bind straight into it. */
  draft = $state<Draft>(loadDraft());
  state = $state.raw<SetupState | null>(null);
  env = $state.raw<SetupEnvironment | null>(null);
  report = $state.raw<CertReportView | null>(null);
  test = $state.raw<SetupTestResult | null>(null);
  /** The running call; the buttons that start calls are disabled meanwhile. */
  busy = $state<BusyAction | null>(null);
  /** The last failure, per step, as the server said it. */
  error = $state.raw<({ step: number } & Pick<IpcError, 'message' | 'key' | 'params'>) | null>(null);
  /** Warnings a step's call returned (the change was made). */
  warnings = $state.raw<string[]>([]);
  /** Next was pressed on a step with problems: show all of them, touched or not. */
  attempted = $state<Record<number, boolean>>({});
  /** Fields the operator has left once: their problems show from then on. */
  touched = $state<Record<string, boolean>>({});
  /** The port check of step 3 for the port typed there. */
  portCheck = $state.raw<SetupEnvironment | null>(null);

  // Secrets: memory only, never in the draft.
  certKeyPem = $state('');
  certP12: PickedFile | null = $state.raw(null);
  certP12Passphrase = $state('');
  clientP12Passphrase = $state('');
  /** The bundle clients.add returned: offered for download, and its certificate and key used by the connection test. */
  bundle = $state.raw<ClientBundle | null>(null);

  /** Step 2's key generation (an RSA-4096 key takes seconds): its stages and the seconds elapsed. */
  readonly keygen: ProgressTracker;
  readonly #client: KeyholdClient;

  constructor(client: KeyholdClient) {
    this.#client = client;
    this.keygen = new ProgressTracker(client);
    $effect.root(() => {
      // Keep the draft across reloads (sessionStorage: this tab only, gone when it closes).
      $effect(() => {
        const text = serializeDraft(this.draft);
        try {
          sessionStorage.setItem(STORAGE_KEY, text);
        } catch {
          /* storage full or disabled: the draft then lasts until a reload */
        }
      });
    });
  }

  // --- problems, derived as the operator types ------------------------------------

  certProblems = $derived(certificateProblems(this.draft.cert));
  serverProblems = $derived(serverProblems(this.draft.server));
  policyProblems = $derived(policyProblems(this.draft.policy));
  clientProblems = $derived(clientProblems(this.draft.client, this.clientP12Passphrase));
  /** Addresses wider than a /16 or /48: allowed, with a warning. */
  wideAddresses = $derived(wideRanges(this.draft.client.addresses));

  /** The problem to show for a field: once it was touched or Next was pressed. */
  shown(step: number, field: string, problems: Partial<Record<string, Problem>>): Problem | undefined {
    const p = problems[field];
    if (p === undefined) return undefined;
    return this.touched[`${step}.${field}`] || this.attempted[step] ? p : undefined;
  }

  touch(step: number, field: string): void {
    this.touched[`${step}.${field}`] = true;
  }

  // --- navigation ---------------------------------------------------------------

  /** Whether Next may leave this step, and if not, why (an i18n key). */
  blocker(step: number): 'setup.block.environment' | 'setup.block.certificate' | 'setup.block.problems' | 'setup.block.client' | 'setup.block.test' | null {
    switch (step) {
      case 1:
        if (this.env === null || this.env.checks.some((c) => c.severity === 'error' && c.id !== 'port')) return 'setup.block.environment';
        return null;
      case 2:
        if (this.report === null || this.report.checks.some((c) => !c.ok && c.severity === 'error')) return 'setup.block.certificate';
        return null;
      case 3:
        return Object.keys(this.serverProblems).length > 0 ? 'setup.block.problems' : null;
      case 4:
        return Object.keys(this.policyProblems).length > 0 ? 'setup.block.problems' : null;
      case 5:
        return this.draft.client.added === null ? 'setup.block.client' : null;
      case 6:
        return this.test?.ok === true ? null : 'setup.block.test';
      default:
        return null;
    }
  }

  /** Runs what leaving a step saves (steps 3 and 4), then reports whether Next may go on. */
  async next(step: number): Promise<boolean> {
    this.attempted[step] = true;
    if (this.blocker(step) !== null) return false;
    if (step === 3 && !(await this.saveServer())) return false;
    if (step === 4 && !(await this.savePolicy())) return false;
    const to = Math.min(STEP_COUNT, step + 1);
    this.draft.maxStep = Math.max(this.draft.maxStep, to);
    await this.progress(to);
    return true;
  }

  /** Records the step in DIR/setup.json (a reload or a later visit reopens it there). */
  async progress(step: number): Promise<void> {
    try {
      this.state = await this.#client.call('setup.progress', { step });
    } catch {
      /* the step is also in the URL and the draft: not worth an error on screen */
    }
  }

  /** setup.state has answered (or failed): until then the step in the URL is not corrected. */
  stateLoaded = $state(false);

  async loadState(): Promise<void> {
    try {
      this.state = await this.#client.call('setup.state');
      this.draft.maxStep = Math.max(this.draft.maxStep, this.state.step);
    } catch (e) {
      this.error = { step: 0, ...errorOf(e) };
    } finally {
      this.stateLoaded = true;
    }
  }

  async #run<T>(step: number, action: BusyAction, fn: () => Promise<T>): Promise<T | undefined> {
    this.busy = action;
    this.error = null;
    this.warnings = [];
    try {
      return await fn();
    } catch (e) {
      this.error = { step, ...errorOf(e) };
      return undefined;
    } finally {
      this.busy = null;
    }
  }

  // --- step 1 ---------------------------------------------------------------------

  async checkEnvironment(): Promise<void> {
    const port = checkPort(this.draft.server.port);
    const env = await this.#run(1, 'environment', () => this.#client.call('setup.environment', port.ok ? { port: port.value } : {}));
    if (env === undefined) return;
    this.env = env;
    const d = this.draft;
    if (!d.prefilled) {
      // Once: step 1's findings are the defaults of later steps, which the operator may then change.
      d.cert.dns = env.hostNames.join(', ');
      d.cert.ips = env.addresses.join(', ');
      d.server.name = serverNameFrom(env.hostNames[0] ?? 'keyhold');
      if (env.suggestedPort !== null) d.server.port = String(env.suggestedPort);
      // Next to the data folder, not in it (a restore sets the data folder aside); ideally the operator picks another disk.
      d.server.folder = `${env.dataDir.replace(/[\\/]+$/, '')}-backups`;
      d.prefilled = true;
    }
  }

  // --- step 2 ---------------------------------------------------------------------

  async loadReport(): Promise<void> {
    const r = await this.#run(2, 'report', () => this.#client.call('certs.report'));
    if (r !== undefined) this.report = toReportView(r);
  }

  async issueCertificate(): Promise<void> {
    this.attempted[2] = true;
    if (Object.keys(this.certProblems).length > 0) return;
    const c = this.draft.cert;
    const done = await this.#run(2, 'issue', () =>
      this.keygen.run('keygen', (progressId) => this.#client.call('certs.selfSigned', { dns: dnsList(c.dns), ip: addressList(c.ips), key: c.key, days: Number(c.validityDays), progressId })),
    );
    if (done === undefined) return;
    this.warnings = done.warnings;
    this.report = toReportView(done.report);
    c.installed = true;
  }

  async createCsr(): Promise<void> {
    this.attempted[2] = true;
    if (Object.keys(this.certProblems).length > 0) return;
    const c = this.draft.cert;
    const r = await this.#run(2, 'csr', () => this.keygen.run('keygen', (progressId) => this.#client.call('certs.csr', { dns: dnsList(c.dns), ip: addressList(c.ips), key: c.key, progressId })));
    if (r !== undefined) c.csrPem = r.csrPem;
  }

  /** Installs the signed certificate of the CSR, or a certificate + key, or a PKCS#12 file. */
  async importCertificate(): Promise<void> {
    const c = this.draft.cert;
    let args: ImportCertArgs;
    if (c.mode === 'import' && c.importKind === 'p12') {
      if (this.certP12 === null) {
        this.importProblem = 'setup.problem.p12Empty';
        return;
      }
      args = { pkcs12Base64: base64(this.certP12.bytes), passphrase: this.certP12Passphrase };
    } else {
      if (c.certPem.trim() === '') {
        this.importProblem = 'setup.problem.pemEmpty';
        return;
      }
      if (c.mode === 'import' && this.certKeyPem.trim() === '') {
        this.importProblem = 'setup.problem.keyEmpty';
        return;
      }
      args = {
        certPem: c.certPem,
        ...(c.mode === 'import' ? { keyPem: this.certKeyPem } : {}),
        ...(c.chainPem.trim() === '' ? {} : { chainPem: c.chainPem }),
      };
    }
    this.importProblem = null;
    const done = await this.#run(2, 'import', () => this.#client.call('certs.import', args));
    if (done === undefined) return;
    this.warnings = done.warnings;
    this.report = toReportView(done.report);
    c.csrPem = '';
    this.certKeyPem = '';
    this.certP12Passphrase = '';
    this.certP12 = null;
  }

  importProblem = $state<'setup.problem.p12Empty' | 'setup.problem.pemEmpty' | 'setup.problem.keyEmpty' | null>(null);

  // --- step 3 ---------------------------------------------------------------------

  /** Checks the port typed in step 3 (free, or the running server's own); a taken one comes back with a free one to use. */
  async checkPortFree(): Promise<void> {
    const port = checkPort(this.draft.server.port);
    if (!port.ok) return;
    try {
      this.portCheck = await this.#client.call('setup.environment', { port: port.value });
    } catch {
      this.portCheck = null;
    }
  }

  portStatus = $derived(this.portCheck?.checks.find((c) => c.id === 'port') ?? null);

  /** The saved port or TLS settings differ from those of the running server (it keeps them until restarted). */
  restartNeeded = $state(false);

  async saveServer(): Promise<boolean> {
    const s = this.draft.server;
    const ok = await this.#run(3, 'server', async () => {
      const settings = await this.#client.call('settings.set', { serverName: s.name.trim(), kmipPort: Number(s.port), tlsMin: s.tlsMin });
      const schedule = s.schedule.trim();
      const backups = await this.#client.call('backups.configure', schedule === 'off' ? { schedule } : { schedule, folder: s.folder.trim() });
      await this.#client.call('policy.set', { defaultLifetimeDays: Number(s.lifetimeDays) });
      this.restartNeeded = settings.restartNeeded;
      this.warnings = backups.settings.sameDeviceWarning === null ? [] : [backups.settings.sameDeviceWarning];
      return true;
    });
    s.saved = ok === true;
    return ok === true;
  }

  // --- step 4 ---------------------------------------------------------------------

  /** The policy in force, once, as the starting point of step 4 (and of the lifetime in step 3). */
  async loadPolicy(): Promise<void> {
    if (this.draft.policy.loaded) return;
    const p = await this.#run(4, 'policy', () => this.#client.call('policy.get'));
    if (p === undefined) return;
    const d = this.draft.policy;
    d.algorithms = ALGORITHMS.filter((a) => p.algorithms.includes(a) || p.algorithms.includes('*'));
    d.defaultSymmetric = p.defaultSymmetric;
    d.clientsMayCreate = p.clientsMayCreate;
    d.softDelete = p.softDelete;
    d.retentionDays = String(p.softDeleteRetentionDays);
    if (!this.draft.server.saved) this.draft.server.lifetimeDays = String(p.defaultLifetimeDays);
    d.loaded = true;
  }

  async savePolicy(): Promise<boolean> {
    const p = this.draft.policy;
    const retention = checkDays(p.retentionDays, 1, 36_500);
    const ok = await this.#run(4, 'policy', async () => {
      await this.#client.call('policy.set', {
        algorithms: [...p.algorithms],
        defaultSymmetric: p.defaultSymmetric,
        clientsMayCreate: p.clientsMayCreate,
        softDelete: p.softDelete,
        ...(retention.ok ? { softDeleteRetentionDays: retention.value } : {}),
      });
      return true;
    });
    p.saved = ok === true;
    return ok === true;
  }

  // --- step 5 ---------------------------------------------------------------------

  async addClient(): Promise<void> {
    this.attempted[5] = true;
    if (Object.keys(this.clientProblems).length > 0) return;
    const c = this.draft.client;
    const addresses = c.addresses.trim() === '' ? [] : c.addresses.split(/[\s,]+/).filter((a) => a !== '');
    const certificate = c.source === 'issue' ? ({ kind: 'issue' } as const) : c.source === 'csr' ? ({ kind: 'csr', csrPem: c.pem } as const) : ({ kind: 'import', certPem: c.pem } as const);
    const r = await this.#run(5, 'client', () =>
      this.#client.call('clients.add', {
        name: c.name.trim(),
        ...(c.description.trim() === '' ? {} : { description: c.description.trim() }),
        addresses,
        permissions: permissionsText(c.permissions),
        certificate,
        ...(c.source === 'issue' && this.clientP12Passphrase !== '' ? { p12Passphrase: this.clientP12Passphrase } : {}),
      }),
    );
    if (r === undefined) return;
    this.warnings = r.warnings;
    this.bundle = r.bundle ?? null;
    this.clientP12Passphrase = '';
    c.added = r.client.name;
  }

  /** The certificate and key of the first client's bundle, when this page still has them. */
  #credentials(): { certPem: string; keyPem: string } | null {
    const name = this.draft.client.added;
    if (this.bundle === null || name === null) return null;
    const text = (file: string) => {
      const f = this.bundle!.files.find((x) => x.name === file);
      return f === undefined ? null : new TextDecoder().decode(fromBase64(f.contentBase64));
    };
    const certPem = text(`${name}.crt`);
    const keyPem = text(`${name}.key`);
    return certPem === null || keyPem === null ? null : { certPem, keyPem };
  }

  /** The connection test will run as the built-in test client: the first client's key is not in this page (imported, signed from a CSR, or the page was reloaded). */
  testAsSelftest = $derived(this.bundle === null);

  // --- step 6 ---------------------------------------------------------------------

  /** Starts the server if it is not running, then runs the connection test. */
  async runTest(running: boolean): Promise<void> {
    this.test = null;
    if (!running) {
      const started = await this.#run(6, 'start', () => this.#client.call('engine.start'));
      if (started === undefined) return;
    }
    const creds = this.#credentials();
    const r = await this.#run(6, 'test', () =>
      this.#client.call('setup.testConnection', creds === null ? {} : { client: this.draft.client.added!, ...creds }),
    );
    if (r !== undefined) this.test = r;
  }

  /** Marks setup done, starts the server if needed; true when the dashboard may open. */
  async finish(running: boolean): Promise<boolean> {
    const ok = await this.#run(6, 'finish', async () => {
      if (!running) await this.#client.call('engine.start');
      this.state = await this.#client.call('setup.complete');
      setupStatus.complete = this.state.complete;
      return true;
    });
    if (ok === true) {
      try {
        sessionStorage.removeItem(STORAGE_KEY);
      } catch {
        /* nothing kept */
      }
    }
    return ok === true;
  }
}

function toReportView(r: CertReport): CertReportView {
  return {
    fingerprint: r.server.fingerprintSha256,
    subject: r.server.subject,
    issuer: r.server.issuer,
    notAfter: r.server.notAfter,
    names: [...r.server.dnsNames, ...r.server.ipAddresses],
    checks: r.checks.map((c) => ({ id: c.id, ok: c.ok, severity: c.severity === 'error' || c.severity === 'warning' ? c.severity : 'info', message: c.message })),
    pendingCsr: r.pendingCsr,
  };
}
