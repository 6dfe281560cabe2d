// The key policy (DIR/policy.json, main/policy/key-policy.ts): which keys
// clients may create or register, the defaults, lifetimes and soft delete.
// policy.set takes any of the fields and checks the result exactly as the
// server reads the file; a running server applies it within a second.
import { call } from '../spec.js';
import { array, boolean, integer, noArgs, object, optional, string, type NoArgs, type Validator } from '../validate.js';
import { CLIENT_NAME_PATTERN } from '../../forms/fields.js';

/** The KeyPolicy of main/policy/key-policy.ts as data (the handler checks that both agree). */
export interface KeyPolicyData {
  /** AES-256, RSA-3072, EC-P256, HMAC-SHA256…; `*`: any that is not legacy. */
  algorithms: string[];
  allowLegacy: boolean;
  /** AES-n or HMAC-SHAn: what Create uses when the client leaves the algorithm or length out. */
  defaultSymmetric: string;
  clientsMayCreate: boolean;
  clientsMayRegister: boolean;
  allowCreate: string[];
  allowRegister: string[];
  requiredAttributes: string[];
  /** 0: new keys do not expire. */
  defaultLifetimeDays: number;
  lifetimeByClient: Record<string, number>;
  expiryWarningDays: number;
  softDelete: boolean;
  softDeleteRetentionDays: number;
}

export interface PolicyResult {
  policy: KeyPolicyData;
  /** What changed, one phrase each (the same as the audit record); empty: nothing. */
  changes: string[];
  /** Client names the policy mentions that no registered client has: the change stands, but grants nothing to them yet. */
  unknownNames: { field: 'allowCreate' | 'allowRegister' | 'lifetimeByClient'; names: string[] }[];
}

const days = integer({ min: 0, max: 36_500 });
const clientName = string({ minLength: 1, maxLength: 64, pattern: CLIENT_NAME_PATTERN });
const names = array(clientName, { maxLength: 1000 });

/** Client name → days, at most 1000 entries; built with own properties only. */
const daysByClient: Validator<Record<string, number>> = (value, path = 'args') => {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) {
    return { ok: false, message: `${path}: expected an object of client name to days` };
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 1000) return { ok: false, message: `${path}: more than 1000 clients` };
  const out: [string, number][] = [];
  for (const [k, v] of entries) {
    const n = clientName(k, `${path} key`);
    if (!n.ok) return n;
    const d = days(v, `${path}.${k}`);
    if (!d.ok) return d;
    out.push([k, d.value]);
  }
  return { ok: true, value: Object.fromEntries(out) };
};

const policyPatch = object({
  algorithms: optional(array(string({ minLength: 1, maxLength: 40 }), { maxLength: 200 })),
  allowLegacy: optional(boolean),
  defaultSymmetric: optional(string({ minLength: 1, maxLength: 40 })),
  clientsMayCreate: optional(boolean),
  clientsMayRegister: optional(boolean),
  allowCreate: optional(names),
  allowRegister: optional(names),
  requiredAttributes: optional(array(string({ minLength: 1, maxLength: 100 }), { maxLength: 50 })),
  defaultLifetimeDays: optional(days),
  lifetimeByClient: optional(daysByClient),
  expiryWarningDays: optional(days),
  softDelete: optional(boolean),
  softDeleteRetentionDays: optional(days),
});

export const policyCalls = {
  'policy.get': call<NoArgs, KeyPolicyData>(noArgs),
  /** The fields given replace the current ones (a whole KeyPolicy replaces it all). Refused with parseKeyPolicy's one line; nothing is written then. */
  'policy.set': call<Partial<KeyPolicyData>, PolicyResult>(policyPatch),
} as const;

export const policyEvents = {} as const;
