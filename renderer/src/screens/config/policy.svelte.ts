// The Policy screen's state: the key policy as a draft the operator edits,
// its fields checked as they type (days with shared/forms, client names with
// the client name rule); the engine checks the whole policy on save
// (parseKeyPolicy) and its one line is shown as it comes.
import { checkClientName, checkDays } from '../../../../shared/forms/fields.js';
import type { KeyPolicyData, PolicyResult } from '../../../../shared/ipc/calls/policy.js';
import type { IpcError } from '../../../../shared/ipc/errors.js';
import type { KeyholdClient } from '../../api.js';
import { problemOf, runAction, type Problem } from './common.js';

/** The algorithms offered as checkboxes (main/policy/key-policy.ts DEFAULT_KEY_POLICY); others in the file are kept and shown too. */
export const KNOWN_ALGORITHMS = ['AES-128', 'AES-192', 'AES-256', 'RSA-2048', 'RSA-3072', 'RSA-4096', 'EC-P256', 'EC-P384', 'EC-P521', 'HMAC-SHA256', 'HMAC-SHA384', 'HMAC-SHA512'] as const;
export const DEFAULT_SYMMETRIC = ['AES-128', 'AES-192', 'AES-256', 'HMAC-SHA256', 'HMAC-SHA384', 'HMAC-SHA512'] as const;
export const MAX_DAYS = 36_500;

export interface PolicyDraft {
  algorithms: string[];
  allowLegacy: boolean;
  defaultSymmetric: string;
  clientsMayCreate: boolean;
  clientsMayRegister: boolean;
  /** Comma-separated client names. */
  allowCreate: string;
  allowRegister: string;
  requiredAttributes: string;
  defaultLifetimeDays: string;
  /** name=days, comma-separated. */
  lifetimeByClient: string;
  expiryWarningDays: string;
  softDelete: boolean;
  softDeleteRetentionDays: string;
}

const list = (text: string) => text.split(/[\s,]+/).map((s) => s.trim()).filter((s) => s !== '');

function draftOf(p: KeyPolicyData): PolicyDraft {
  return {
    algorithms: [...p.algorithms],
    allowLegacy: p.allowLegacy,
    defaultSymmetric: p.defaultSymmetric,
    clientsMayCreate: p.clientsMayCreate,
    clientsMayRegister: p.clientsMayRegister,
    allowCreate: p.allowCreate.join(', '),
    allowRegister: p.allowRegister.join(', '),
    requiredAttributes: p.requiredAttributes.join(', '),
    defaultLifetimeDays: String(p.defaultLifetimeDays),
    lifetimeByClient: Object.entries(p.lifetimeByClient).map(([n, d]) => `${n}=${d}`).join(', '),
    expiryWarningDays: String(p.expiryWarningDays),
    softDelete: p.softDelete,
    softDeleteRetentionDays: String(p.softDeleteRetentionDays),
  };
}

function namesProblem(text: string): Problem | undefined {
  for (const n of list(text)) {
    const p = problemOf(checkClientName(n));
    if (p) return p;
  }
  return undefined;
}

function lifetimes(text: string): { value: Record<string, number> } | { problem: Problem } {
  const out: [string, number][] = [];
  for (const item of list(text)) {
    const m = /^([^=]+)=(.*)$/.exec(item);
    if (m === null) return { problem: { key: 'policy.form.lifetimePair', params: { value: item } } };
    const name = problemOf(checkClientName(m[1]!));
    if (name) return { problem: name };
    const days = checkDays(m[2]!, 0, MAX_DAYS);
    if (!days.ok) return { problem: { key: days.key, params: days.params } };
    out.push([m[1]!.trim(), days.value]);
  }
  return { value: Object.fromEntries(out) };
}

export class PolicyState {
  policy = $state.raw<KeyPolicyData | null>(null);
  draft = $state<PolicyDraft | null>(null);
  error = $state.raw<IpcError | null>(null);
  result = $state.raw<PolicyResult | null>(null);
  loading = $state(false);
  busy = $state(false);

  readonly problems = $derived.by((): Record<string, Problem | undefined> => {
    const d = this.draft;
    if (d === null) return {};
    const lt = lifetimes(d.lifetimeByClient);
    return {
      algorithms: d.algorithms.length === 0 ? { key: 'policy.form.noAlgorithms', params: {} } : undefined,
      allowCreate: namesProblem(d.allowCreate),
      allowRegister: namesProblem(d.allowRegister),
      defaultLifetimeDays: problemOf(checkDays(d.defaultLifetimeDays, 0, MAX_DAYS)),
      expiryWarningDays: problemOf(checkDays(d.expiryWarningDays, 0, MAX_DAYS)),
      softDeleteRetentionDays: problemOf(checkDays(d.softDeleteRetentionDays, 0, MAX_DAYS)),
      lifetimeByClient: 'problem' in lt ? lt.problem : undefined,
    };
  });
  readonly valid = $derived(Object.values(this.problems).every((p) => p === undefined));
  /** Algorithms of the policy beyond the known ones (kept as they are). */
  readonly otherAlgorithms = $derived((this.draft?.algorithms ?? []).filter((a) => !(KNOWN_ALGORITHMS as readonly string[]).includes(a)));

  readonly #client: KeyholdClient;

  constructor(client: KeyholdClient) {
    this.#client = client;
  }

  async load(): Promise<void> {
    await runAction(this, (on) => (this.loading = on), async () => {
      this.policy = await this.#client.call('policy.get');
      this.draft = draftOf(this.policy);
    });
  }

  toggleAlgorithm(a: string, on: boolean): void {
    if (this.draft === null) return;
    const rest = this.draft.algorithms.filter((x) => x !== a);
    this.draft.algorithms = on ? [...rest, a] : rest;
  }

  reset(): void {
    if (this.policy) this.draft = draftOf(this.policy);
    this.result = null;
  }

  async save(): Promise<void> {
    const d = this.draft;
    if (d === null || !this.valid) return;
    const lt = lifetimes(d.lifetimeByClient);
    const ok = await runAction(this, (on) => (this.busy = on), async () => {
      const r = await this.#client.call('policy.set', {
        algorithms: d.algorithms,
        allowLegacy: d.allowLegacy,
        defaultSymmetric: d.defaultSymmetric,
        clientsMayCreate: d.clientsMayCreate,
        clientsMayRegister: d.clientsMayRegister,
        allowCreate: list(d.allowCreate),
        allowRegister: list(d.allowRegister),
        requiredAttributes: list(d.requiredAttributes),
        defaultLifetimeDays: Number(d.defaultLifetimeDays),
        lifetimeByClient: 'value' in lt ? lt.value : {},
        expiryWarningDays: Number(d.expiryWarningDays),
        softDelete: d.softDelete,
        softDeleteRetentionDays: Number(d.softDeleteRetentionDays),
      });
      this.result = r;
      this.policy = r.policy;
      this.draft = draftOf(r.policy);
    });
    if (!ok) this.result = null;
  }
}
