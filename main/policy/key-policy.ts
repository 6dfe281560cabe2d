// The key policy: which new keys the server accepts, from whom, with which
// attributes, and what it picks when a Create leaves the algorithm or length
// out. Policy as data (DIR/policy.json, parsed here) and pure decisions over
// it; no I/O. The KMIP handlers ask through operations/key-policy-gate.ts,
// the server keeps the file current (main/server/key-policy-file.ts).
//
// A key is named by a token: AES-256, 3DES, HMAC-SHA256, RSA-2048, EC-P256
// (any other algorithm: its KMIP name and length, e.g. CAMELLIA-256). A new
// key is allowed when its token is in `algorithms`, or it is a legacy one
// (DES, 3DES, RSA and DSA under 2048 bits, HMAC-SHA1/MD5, EC-P192/P224,
// RC2, RC4) and `allowLegacy` is on. Legacy tokens cannot be listed in
// `algorithms`: one switch says whether legacy keys are allowed, so turning
// it off is certain. `*` in `algorithms` allows every key that is not legacy
// (the OASIS conformance runner uses it: its vectors use secp256k1, ChaCha20).
import type { Attribute, AttributeValue } from '../../shared/kmip/message/index.js';
import { attributeDef } from '../../shared/kmip/message/index.js';
import { Enum } from '../../shared/kmip/registry/index.js';

export interface KeyPolicy {
  /** Tokens of the keys clients may create, register or re-key (upper case); `*`: any that is not legacy. */
  algorithms: readonly string[];
  /** Legacy keys (isLegacy) are allowed too. */
  allowLegacy: boolean;
  /** What Create uses when the client omits the Cryptographic Algorithm (KMIP 2.x) or the AES length: AES-n or HMAC-SHAn. */
  defaultSymmetric: string;
  /** Server-wide: may clients generate keys (Create, Create Key Pair, Re-key, Re-key Key Pair)? */
  clientsMayCreate: boolean;
  /** Server-wide: may clients register objects (Register)? */
  clientsMayRegister: boolean;
  /** Clients that may generate keys even when clientsMayCreate is off. */
  allowCreate: readonly string[];
  /** Clients that may register objects even when clientsMayRegister is off. */
  allowRegister: readonly string[];
  /** Attributes every new object must carry, by their KMIP name without spaces (Name, ObjectGroup, ContactInformation …). */
  requiredAttributes: readonly string[];
  /**
   * Lifetime of a new key in days: its Deactivation Date is set this far from
   * its creation when the request gives none, and the server deactivates it
   * when the date passes. 0: new keys do not expire.
   */
  defaultLifetimeDays: number;
  /** Per-client lifetime in days, overriding defaultLifetimeDays (0: that client's keys do not expire). */
  lifetimeByClient: Readonly<Record<string, number>>;
  /** Warn (log and audit) this many days before a key's Deactivation Date; 0: no warning. */
  expiryWarningDays: number;
  /** Destroy keeps the encrypted material for softDeleteRetentionDays so the operator can restore it; off: Destroy erases it at once. */
  softDelete: boolean;
  /** Days a soft-deleted object's material is kept before the purge job erases it. */
  softDeleteRetentionDays: number;
}

export const POLICY_FILE = 'policy.json';

export const DEFAULT_KEY_POLICY: KeyPolicy = Object.freeze({
  algorithms: Object.freeze(['AES-128', 'AES-192', 'AES-256', 'RSA-2048', 'RSA-3072', 'RSA-4096', 'EC-P256', 'EC-P384', 'EC-P521', 'HMAC-SHA256', 'HMAC-SHA384', 'HMAC-SHA512']),
  allowLegacy: false,
  defaultSymmetric: 'AES-256',
  clientsMayCreate: true,
  clientsMayRegister: true,
  allowCreate: Object.freeze([]),
  allowRegister: Object.freeze([]),
  requiredAttributes: Object.freeze([]),
  defaultLifetimeDays: 365,
  lifetimeByClient: Object.freeze({}),
  expiryWarningDays: 30,
  softDelete: true,
  softDeleteRetentionDays: 30,
});

/** The longest lifetime, warning or retention the policy accepts (100 years). */
export const MAX_POLICY_DAYS = 36_500;

/** The lifetime in days of a key a client creates (0: no Deactivation Date is set). */
export function lifetimeDaysFor(policy: KeyPolicy, client: string | undefined): number {
  if (client !== undefined && Object.hasOwn(policy.lifetimeByClient, client)) return policy.lifetimeByClient[client]!;
  return policy.defaultLifetimeDays;
}

const CA = Enum.CryptographicAlgorithm;
const EC_ALGORITHMS: readonly number[] = [CA.EC, CA.ECDSA, CA.ECDH, CA.ECMQV];
const EC_BITS: Readonly<Record<number, string>> = { 192: 'P192', 224: 'P224', 256: 'P256', 384: 'P384', 521: 'P521' };

/** Broken or too short by today's guidance (NIST SP 800-131A): allowed only with allowLegacy. */
export function isLegacy(token: string): boolean {
  if (['DES', '3DES', 'HMAC-SHA1', 'HMAC-MD5', 'EC-P192', 'EC-P224'].includes(token) || /^RC[24](-\d+)?$/.test(token)) return true;
  const m = /^(RSA|DSA)-(\d+)$/.exec(token);
  return m !== null && Number(m[2]) < 2048;
}

function enumName(values: Record<string, number>, v: number): string | undefined {
  return Object.keys(values).find((k) => values[k] === v);
}

/** The key a new object holds, as far as the request or its material tells. */
export interface KeyFacts {
  algorithm: number;
  length?: number;
  /** Recommended Curve (EC). */
  curve?: number;
}

/** The policy token of a key (see the file comment). */
export function keyToken(k: KeyFacts): string {
  if (k.algorithm === CA.AES) return `AES-${k.length ?? '?'}`;
  if (k.algorithm === CA.DES3) return '3DES';
  if (k.algorithm === CA.DES) return 'DES';
  if (k.algorithm === CA.RSA) return `RSA-${k.length ?? '?'}`;
  const name = enumName(CA, k.algorithm) ?? `ALGORITHM-${k.algorithm}`;
  if (name.startsWith('HMAC_')) return name.replace(/_/g, '-').toUpperCase();
  if (EC_ALGORITHMS.includes(k.algorithm)) {
    const curve = k.curve === undefined ? undefined : enumName(Enum.RecommendedCurve, k.curve);
    if (curve !== undefined) return `EC-${curve.replace(/_/g, '')}`;
    return `EC-${(k.length === undefined ? undefined : EC_BITS[k.length]) ?? k.length ?? '?'}`;
  }
  const base = name.replace(/_/g, '-').toUpperCase();
  return k.length === undefined ? base : `${base}-${k.length}`;
}

export function isAllowed(policy: KeyPolicy, token: string): boolean {
  if (isLegacy(token)) return policy.allowLegacy;
  return policy.algorithms.includes(token) || policy.algorithms.includes('*');
}

/** Derive Key makes a key like Create does: the same clientsMayCreate rule and algorithm list apply. */
export type NewObjectOperation = 'Create' | 'CreateKeyPair' | 'Register' | 'ReKey' | 'ReKeyKeyPair' | 'DeriveKey';

/** What checkNewKey decides on: one new object of a request. */
export interface NewObjectFacts {
  operation: NewObjectOperation;
  /** The registered client asking; undefined for an in-process caller (tests, replays). */
  client: string | undefined;
  objectType: number;
  /** The key, for Symmetric / Private / Public Keys whose algorithm is known; absent: no algorithm rule applies. */
  key?: KeyFacts;
  /** Names of the attributes the new object will carry. */
  attributes: readonly string[];
}

export type PolicyDecision = { ok: true } | { ok: false; reason: 'PermissionDenied' | 'InvalidField' | 'MissingData'; message: string };

const KEY_TYPES: readonly number[] = [Enum.ObjectType.SymmetricKey, Enum.ObjectType.PrivateKey, Enum.ObjectType.PublicKey];

/**
 * May this object be made? Checked in the order a client can act on: who may
 * (Permission Denied), what key (Invalid Field), then what it lacks (Missing
 * Data: the request is otherwise right, it needs one more attribute). Every
 * message starts "key policy:" and names the policy.json field at fault.
 */
export function checkNewKey(policy: KeyPolicy, f: NewObjectFacts): PolicyDecision {
  const who = f.client === undefined ? '' : ` (client "${f.client}")`;
  if (f.operation === 'Register') {
    if (!policy.clientsMayRegister && !(f.client !== undefined && policy.allowRegister.includes(f.client))) {
      return { ok: false, reason: 'PermissionDenied', message: `key policy: clients may not register objects (policy.json clientsMayRegister)${who}` };
    }
  } else if (!policy.clientsMayCreate && !(f.client !== undefined && policy.allowCreate.includes(f.client))) {
    return { ok: false, reason: 'PermissionDenied', message: `key policy: clients may not generate keys (policy.json clientsMayCreate)${who}` };
  }
  if (f.key !== undefined && KEY_TYPES.includes(f.objectType)) {
    const token = keyToken(f.key);
    if (!isAllowed(policy, token)) {
      const why = isLegacy(token) ? 'legacy algorithms are off (policy.json allowLegacy)' : `not in policy.json algorithms (${policy.algorithms.join(', ')})`;
      return { ok: false, reason: 'InvalidField', message: `key policy: ${token} keys are not allowed: ${why}` };
    }
  }
  for (const name of policy.requiredAttributes) {
    if (!f.attributes.includes(name)) {
      const spec = attributeDef(name)?.specName ?? name;
      return { ok: false, reason: 'MissingData', message: `key policy: a new object needs a ${spec} attribute (policy.json requiredAttributes)` };
    }
  }
  return { ok: true };
}

/** The algorithm and length of a default symmetric token (AES-n, HMAC-SHAn, 3DES). */
export function symmetricOf(token: string): { algorithm: number; length: number } | undefined {
  const aes = /^AES-(128|192|256)$/.exec(token);
  if (aes) return { algorithm: CA.AES, length: Number(aes[1]) };
  const hmac = /^HMAC-SHA(256|384|512)$/.exec(token);
  if (hmac) return { algorithm: CA[`HMAC_SHA${hmac[1] as '256' | '384' | '512'}`], length: Number(hmac[1]) };
  if (token === '3DES') return { algorithm: CA.DES3, length: 168 };
  return undefined;
}

/**
 * Create's attributes with the policy's default filled in where the server
 * may choose: the Cryptographic Length when the client asks for the default's
 * algorithm without one (no version requires it, 1.4 Table 165 / 2.1 §6.1.8),
 * and the algorithm too when `mayChooseAlgorithm` (KMIP 2.x, whose Set
 * Defaults, §6.1.53, lets the server supply mandatory attributes; 1.4 Table
 * 165 makes the client send the Cryptographic Algorithm).
 */
export function applyDefaults(policy: KeyPolicy, attrs: readonly Attribute[], mayChooseAlgorithm: boolean): Attribute[] {
  const d = symmetricOf(policy.defaultSymmetric);
  if (d === undefined) return [...attrs];
  const get = (name: string): AttributeValue | undefined => attrs.find((a) => a.name === name)?.value;
  const alg = get('CryptographicAlgorithm');
  const out = [...attrs];
  if (alg === undefined) {
    if (!mayChooseAlgorithm) return out;
    out.push({ name: 'CryptographicAlgorithm', value: { type: 'Enumeration', value: d.algorithm } });
  } else if (alg.type !== 'Enumeration' || alg.value !== d.algorithm) return out;
  if (get('CryptographicLength') === undefined) out.push({ name: 'CryptographicLength', value: { type: 'Integer', value: d.length } });
  return out;
}

const FIELDS: Record<keyof KeyPolicy, 'list' | 'boolean' | 'string' | 'days' | 'daysByName'> = {
  algorithms: 'list', allowLegacy: 'boolean', defaultSymmetric: 'string', clientsMayCreate: 'boolean',
  clientsMayRegister: 'boolean', allowCreate: 'list', allowRegister: 'list', requiredAttributes: 'list',
  defaultLifetimeDays: 'days', lifetimeByClient: 'daysByName', expiryWarningDays: 'days', softDelete: 'boolean', softDeleteRetentionDays: 'days',
};

const isDays = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_POLICY_DAYS;

const TOKEN = /^[A-Z0-9]+(-[A-Z0-9]+)*$/;

/**
 * policy.json → KeyPolicy; absent fields take DEFAULT_KEY_POLICY's value.
 * Throws one line naming the file and the field.
 */
export function parseKeyPolicy(text: string, file: string): KeyPolicy {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${file}: expected an object of policy settings`);
  const out: Record<string, unknown> = { ...DEFAULT_KEY_POLICY };
  for (const [k, v] of Object.entries(raw)) {
    const kind = FIELDS[k as keyof KeyPolicy];
    if (kind === undefined) throw new Error(`${file}: unknown field "${k}" (one of ${Object.keys(FIELDS).join(', ')})`);
    if (kind === 'boolean' && typeof v !== 'boolean') throw new Error(`${file}: ${k} must be true or false`);
    if (kind === 'string' && typeof v !== 'string') throw new Error(`${file}: ${k} must be a string`);
    if (kind === 'list' && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) throw new Error(`${file}: ${k} must be a list of strings`);
    if (kind === 'days' && !isDays(v)) throw new Error(`${file}: ${k} must be a whole number of days from 0 to ${MAX_POLICY_DAYS}`);
    if (kind === 'daysByName') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${file}: ${k} must map client names to days, like {"esx-01": 90}`);
      for (const [name, days] of Object.entries(v)) {
        if (!isDays(days)) throw new Error(`${file}: ${k}: "${name}" must be a whole number of days from 0 to ${MAX_POLICY_DAYS} (0: no expiry)`);
      }
    }
    out[k] = kind === 'list' ? [...new Set(v as string[])] : kind === 'daysByName' ? { ...(v as Record<string, number>) } : v;
  }
  const p = out as unknown as KeyPolicy;
  const algorithms = p.algorithms.map((t) => t.trim().toUpperCase());
  for (const t of algorithms) {
    if (!TOKEN.test(t) && t !== '*') throw new Error(`${file}: algorithms: "${t}" is not a key name like AES-256, RSA-3072, EC-P256 or HMAC-SHA256`);
    if (isLegacy(t)) throw new Error(`${file}: algorithms: ${t} is a legacy algorithm; allow legacy keys with allowLegacy instead`);
  }
  const defaultSymmetric = p.defaultSymmetric.trim().toUpperCase();
  if (symmetricOf(defaultSymmetric) === undefined) throw new Error(`${file}: defaultSymmetric must be AES-128, AES-192, AES-256, HMAC-SHA256/384/512 or 3DES, not "${p.defaultSymmetric}"`);
  const policy: KeyPolicy = { ...p, algorithms, defaultSymmetric };
  if (!isAllowed(policy, defaultSymmetric)) throw new Error(`${file}: defaultSymmetric ${defaultSymmetric} is not an allowed algorithm (policy.json algorithms / allowLegacy)`);
  for (const name of p.requiredAttributes) {
    if (attributeDef(name) === undefined) throw new Error(`${file}: requiredAttributes: unknown attribute "${name}" (KMIP names without spaces: Name, ObjectGroup, ContactInformation …)`);
  }
  return policy;
}

/** The file form: every field, so that an operator sees the whole policy. */
export function formatKeyPolicy(p: KeyPolicy): string {
  return JSON.stringify(p, null, 2) + '\n';
}

/** Readable differences, one per changed field ("allowLegacy false → true"), for the audit log. */
export function policyChanges(before: KeyPolicy, after: KeyPolicy): string[] {
  const show = (v: unknown): string => {
    if (Array.isArray(v)) return v.length === 0 ? 'none' : v.join(',');
    if (typeof v === 'object' && v !== null) {
      const e = Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return e.length === 0 ? 'none' : e.map(([n, d]) => `${n}=${String(d)}`).join(',');
    }
    return String(v);
  };
  return (Object.keys(FIELDS) as (keyof KeyPolicy)[])
    .filter((k) => show(before[k]) !== show(after[k]))
    .map((k) => `${k} ${show(before[k])} → ${show(after[k])}`);
}
