// The setup wizard's form state as plain data, and the checks of each step:
// no runes and no DOM here, so node:test checks them directly
// (test/setup-steps.test.ts). wizard.svelte.ts holds a Draft in $state and
// derives the problems below from it as the operator types.
//
// The draft is kept in sessionStorage so that a reload keeps what was
// entered; it never holds a secret (no private key, no passphrase, no
// PKCS#12 file): those stay in memory only.
import {
  checkAddressList, checkClientName, checkDays, checkDescription, checkDnsList, checkIpList, checkP12Passphrase, checkPort, checkServerName,
  type FieldProblem,
} from '../../../../shared/forms/fields.js';
import { LEAST_PRIVILEGE, PERMISSION_GROUP_NAMES, permissionChoices, type PermissionChoice } from '../../../../shared/forms/permissions.js';
import { checkSchedule } from '../../../../shared/forms/schedule.js';

export const STEP_COUNT = 6;
export const STEP_IDS = ['environment', 'certificate', 'server', 'policy', 'client', 'test'] as const;
export type StepId = (typeof STEP_IDS)[number];

export const KEY_TYPES = ['rsa-2048', 'rsa-3072', 'rsa-4096', 'ec-p256', 'ec-p384'] as const;
export type KeyType = (typeof KEY_TYPES)[number];
export const TLS_VERSIONS = ['1.2', '1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];
/** The algorithms a key policy may allow (main/policy/key-policy.ts DEFAULT_KEY_POLICY). */
export const ALGORITHMS = ['AES-128', 'AES-192', 'AES-256', 'RSA-2048', 'RSA-3072', 'RSA-4096', 'EC-P256', 'EC-P384', 'EC-P521', 'HMAC-SHA256', 'HMAC-SHA384', 'HMAC-SHA512'] as const;
/** What Create uses when a client names no algorithm or size: AES-n or HMAC-SHAn. */
export const DEFAULT_SYMMETRIC = ['AES-128', 'AES-192', 'AES-256', 'HMAC-SHA256', 'HMAC-SHA384', 'HMAC-SHA512'] as const;

/** Server certificates: what browsers and most KMIP clients accept (certs.selfSigned takes 1 to 825). */
export const MAX_CERT_DAYS = 825;
/** Lifetimes and retention: 0 (never) to 100 years. */
export const MAX_DAYS = 36_500;

export interface Draft {
  v: 1;
  /** The furthest step reached: steps up to it may be visited directly. */
  maxStep: number;
  /** Step 1's host names and addresses were copied into the certificate step once. */
  prefilled: boolean;
  cert: {
    mode: 'internal' | 'csr' | 'import';
    dns: string;
    ips: string;
    key: KeyType;
    validityDays: string;
    importKind: 'pem' | 'p12';
    /** The CSR made for an enterprise CA (public; shown and downloadable until its certificate is imported). */
    csrPem: string;
    /** The signed certificate or the certificate to import, as pasted (public). */
    certPem: string;
    chainPem: string;
    /** A certificate was installed by this wizard (the checklist then shows it). */
    installed: boolean;
  };
  server: {
    name: string;
    port: string;
    tlsMin: TlsVersion;
    schedule: string;
    folder: string;
    lifetimeDays: string;
    saved: boolean;
  };
  policy: {
    loaded: boolean;
    defaultSymmetric: string;
    algorithms: string[];
    clientsMayCreate: boolean;
    softDelete: boolean;
    retentionDays: string;
    saved: boolean;
  };
  client: {
    name: string;
    description: string;
    addresses: string;
    source: 'issue' | 'csr' | 'import';
    /** The client's CSR or certificate (public). */
    pem: string;
    permissions: PermissionChoice[];
    /** The client this wizard added, once added. */
    added: string | null;
  };
}

export function newDraft(): Draft {
  return {
    v: 1,
    maxStep: 1,
    prefilled: false,
    cert: { mode: 'internal', dns: '', ips: '', key: 'rsa-3072', validityDays: '825', importKind: 'pem', csrPem: '', certPem: '', chainPem: '', installed: false },
    server: { name: 'keyhold', port: '5696', tlsMin: '1.2', schedule: 'daily at 02:00', folder: '', lifetimeDays: '365', saved: false },
    policy: {
      loaded: false,
      defaultSymmetric: 'AES-256',
      algorithms: [...ALGORITHMS],
      clientsMayCreate: true,
      softDelete: true,
      retentionDays: '30',
      saved: false,
    },
    client: { name: '', description: '', addresses: '', source: 'issue', pem: '', permissions: permissionChoices(LEAST_PRIVILEGE), added: null },
  };
}

/** A server name from a host name: letters, digits and underscores only. */
export function serverNameFrom(hostname: string): string {
  const n = hostname.split('.')[0]!.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 64);
  return /[A-Za-z0-9]/.test(n) ? n : 'keyhold';
}

// --- sessionStorage ------------------------------------------------------------------

const str = (v: unknown, max = 64 * 1024): v is string => typeof v === 'string' && v.length <= max;
const pick = <T extends string>(v: unknown, options: readonly T[], fallback: T): T => (options.includes(v as T) ? (v as T) : fallback);

/**
 * Reads a saved draft back, field by field: anything missing, of the wrong
 * type or too long falls back to the default (sessionStorage belongs to the
 * page, but an older version of the page may have written it).
 */
export function parseDraft(text: string | null): Draft {
  const d = newDraft();
  if (text === null) return d;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return d;
  }
  if (typeof raw !== 'object' || raw === null || (raw as { v?: unknown }).v !== 1) return d;
  const r = raw as Record<string, Record<string, unknown> | unknown>;
  const sect = (k: string) => (typeof r[k] === 'object' && r[k] !== null ? (r[k] as Record<string, unknown>) : {});
  if (Number.isInteger(r.maxStep) && (r.maxStep as number) >= 1 && (r.maxStep as number) <= STEP_COUNT) d.maxStep = r.maxStep as number;
  d.prefilled = r.prefilled === true;
  const c = sect('cert');
  d.cert.mode = pick(c.mode, ['internal', 'csr', 'import'] as const, d.cert.mode);
  d.cert.importKind = pick(c.importKind, ['pem', 'p12'] as const, d.cert.importKind);
  d.cert.key = pick(c.key, KEY_TYPES, d.cert.key);
  for (const k of ['dns', 'ips', 'validityDays', 'csrPem', 'certPem', 'chainPem'] as const) if (str(c[k])) d.cert[k] = c[k];
  d.cert.installed = c.installed === true;
  const s = sect('server');
  for (const k of ['name', 'port', 'schedule', 'folder', 'lifetimeDays'] as const) if (str(s[k], 4096)) d.server[k] = s[k];
  d.server.tlsMin = pick(s.tlsMin, TLS_VERSIONS, d.server.tlsMin);
  d.server.saved = s.saved === true;
  const p = sect('policy');
  d.policy.loaded = p.loaded === true;
  if (str(p.defaultSymmetric, 32)) d.policy.defaultSymmetric = p.defaultSymmetric;
  if (Array.isArray(p.algorithms)) d.policy.algorithms = ALGORITHMS.filter((a) => (p.algorithms as unknown[]).includes(a));
  for (const k of ['clientsMayCreate', 'softDelete', 'saved'] as const) if (typeof p[k] === 'boolean') d.policy[k] = p[k];
  if (str(p.retentionDays, 16)) d.policy.retentionDays = p.retentionDays;
  const cl = sect('client');
  for (const k of ['name', 'description', 'addresses', 'pem'] as const) if (str(cl[k])) d.client[k] = cl[k];
  d.client.source = pick(cl.source, ['issue', 'csr', 'import'] as const, d.client.source);
  if (Array.isArray(cl.permissions)) {
    const given = cl.permissions as Partial<PermissionChoice>[];
    d.client.permissions = d.client.permissions.map((row) => {
      const g = given.find((x) => typeof x === 'object' && x !== null && x.group === row.group);
      if (g === undefined) return row;
      return { group: row.group, enabled: g.enabled === true, scope: row.group === 'query' ? 'all' : pick(g.scope, ['own', 'shared', 'all'] as const, 'own'), types: str(g.types, 200) ? g.types : '' };
    });
  }
  d.client.added = str(cl.added, 64) ? cl.added : null;
  return d;
}

export function serializeDraft(d: Draft): string {
  return JSON.stringify(d);
}

// --- the checks of each step -----------------------------------------------------

/** A problem of one field: a forms.* problem (shared/forms) or one of the wizard's own (setup.problem.*). */
export type Problem = FieldProblem | { ok: false; key: SetupProblemKey; params: Readonly<Record<string, string | number>> };
export type SetupProblemKey =
  | 'setup.problem.namesEmpty'
  | 'setup.problem.algorithmsEmpty'
  | 'setup.problem.defaultNotAllowed'
  | 'setup.problem.folderEmpty'
  | 'setup.problem.pemEmpty'
  | 'setup.problem.keyEmpty'
  | 'setup.problem.p12Empty';

const own = (key: SetupProblemKey, params: Record<string, string | number> = {}): Problem => ({ ok: false, key, params });

export type Problems<F extends string> = Partial<Record<F, Problem>>;

export function certificateProblems(c: Draft['cert']): Problems<'dns' | 'ips' | 'validityDays'> {
  const out: Problems<'dns' | 'ips' | 'validityDays'> = {};
  if (c.mode === 'import') return out;
  const dns = checkDnsList(c.dns);
  const ips = checkAddressList(c.ips);
  if (!dns.ok) out.dns = dns;
  if (!ips.ok) out.ips = ips;
  if (dns.ok && ips.ok && dns.value.length + ips.value.length === 0) out.dns = own('setup.problem.namesEmpty');
  if (c.mode === 'internal') {
    const days = checkDays(c.validityDays, 1, MAX_CERT_DAYS);
    if (!days.ok) out.validityDays = days;
  }
  return out;
}

export function serverProblems(s: Draft['server']): Problems<'name' | 'port' | 'schedule' | 'folder' | 'lifetimeDays'> {
  const out: Problems<'name' | 'port' | 'schedule' | 'folder' | 'lifetimeDays'> = {};
  const name = checkServerName(s.name);
  if (!name.ok) out.name = name;
  const port = checkPort(s.port);
  if (!port.ok) out.port = port;
  const schedule = checkSchedule(s.schedule);
  if (!schedule.ok) out.schedule = schedule;
  else if (schedule.value.kind !== 'off' && s.folder.trim() === '') out.folder = own('setup.problem.folderEmpty');
  const days = checkDays(s.lifetimeDays, 0, MAX_DAYS);
  if (!days.ok) out.lifetimeDays = days;
  return out;
}

export function policyProblems(p: Draft['policy']): Problems<'algorithms' | 'defaultSymmetric' | 'retentionDays'> {
  const out: Problems<'algorithms' | 'defaultSymmetric' | 'retentionDays'> = {};
  if (p.algorithms.length === 0) out.algorithms = own('setup.problem.algorithmsEmpty');
  else if (!p.algorithms.includes(p.defaultSymmetric)) out.defaultSymmetric = own('setup.problem.defaultNotAllowed', { value: p.defaultSymmetric });
  if (p.softDelete) {
    const days = checkDays(p.retentionDays, 1, MAX_DAYS);
    if (!days.ok) out.retentionDays = days;
  }
  return out;
}

export function clientProblems(c: Draft['client'], p12Passphrase: string): Problems<'name' | 'description' | 'addresses' | 'pem' | 'p12Passphrase'> {
  const out: Problems<'name' | 'description' | 'addresses' | 'pem' | 'p12Passphrase'> = {};
  const name = checkClientName(c.name);
  if (!name.ok) out.name = name;
  const description = checkDescription(c.description);
  if (!description.ok) out.description = description;
  const addresses = checkIpList(c.addresses);
  if (!addresses.ok) out.addresses = addresses;
  if (c.source !== 'issue' && c.pem.trim() === '') out.pem = own('setup.problem.pemEmpty');
  if (c.source === 'issue' && p12Passphrase !== '') {
    const p = checkP12Passphrase(p12Passphrase);
    if (!p.ok) out.p12Passphrase = p;
  }
  return out;
}

/** Addresses wider than a /16 (IPv4) or /48 (IPv6): allowed, with a warning. */
export function wideRanges(text: string): string[] {
  const r = checkIpList(text);
  return r.ok ? r.value.wide : [];
}

export function dnsList(text: string): string[] {
  const r = checkDnsList(text);
  return r.ok ? r.value : [];
}

export function addressList(text: string): string[] {
  const r = checkAddressList(text);
  return r.ok ? r.value : [];
}

export { PERMISSION_GROUP_NAMES };
