// Registered KMIP clients: DIR/clients.json, {"clients": [{name, fingerprint,
// permissions, groups, ips}], "allow": [...]}. A client is recognised by a
// pinned certificate (`fingerprint`: one Keyhold's CA issued, or one
// imported with `imported: true`), or by any certificate of an imported
// client CA (`ca`, PEM) whose subject matches `subject`; either may be
// combined with a password (`username`, `password`: a scrypt record, see
// main/access/credentials.ts). permissions is the text form
// of main/access/policy.ts (absent: the least-privilege defaults); ips is the
// client's IP allow-list and the top-level allow the server-wide one
// (main/access/ip-allow.ts; absent or empty: no restriction at that level).
// `keyhold client add|set` write the file (atomically, so a reader never
// sees half a file) while the server may be running; the server watches it
// and swaps in the new set, so changes apply without a restart.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../pki/index.js';
import { inspectCertificate, type CertificateInfo } from '../pki/inspect.js';
import { DEFAULT_GRANTS, formatGrants, parseGrants, type Grant, type Principal } from '../access/policy.js';
import { parseAllowList, type AllowList } from '../access/ip-allow.js';
import { checkPasswordRecord, type PasswordCredential } from '../access/credentials.js';
import { formatSubject, parseSubjectPattern, subjectMatches, type Subject, type SubjectPattern } from '../access/subject-pattern.js';
import { X509Certificate } from 'node:crypto';
import { fileStamp, watchFile } from './watch-file.js';

export const CLIENTS_FILE = 'clients.json';

export interface ClientEntry {
  name: string;
  /**
   * SHA-256 of the DER certificate the client must present, lowercase hex
   * (pki fingerprintOf); absent for a client recognised by its CA alone.
   */
  fingerprint?: string;
  /** The pinned certificate was imported (made elsewhere), not issued by Keyhold's CA. */
  imported?: boolean;
  /** When the pinned certificate expires (ISO 8601), for the expiry warnings; absent for entries older than this field. */
  certificateExpires?: string;
  /** A trusted client CA: any certificate it issued whose subject matches the pattern is this client. */
  ca?: TrustedClientCa;
  /** A password the client must also send (KMIP Username and Password credential). */
  password?: PasswordCredential;
  added: string;
  grants: Grant[];
  /** Groups for sharing: clients with a group in common reach each other's objects with scope `shared`. */
  groups: string[];
  /** The client's IP allow-list (addresses, CIDR ranges); empty: any address the server-wide list allows. */
  ips: string[];
  /** Requests per second over all its connections; absent: no limit. */
  rate?: number;
  /** What the client is, for the operator ("vCenter prod"). */
  description: string;
  /** A disabled client is refused like an unknown one, and its open connections close at their next request. */
  enabled: boolean;
}

export interface ClientsDoc {
  clients: ClientEntry[];
  /** The server-wide IP allow-list; empty: any address. */
  allow: string[];
  /**
   * Names of removed clients. Objects record their owner by name, so a new
   * client under an old name would inherit the old one's keys: such names are
   * never given out again.
   */
  retired: string[];
}

/** What a change to a client may set. */
export interface ClientAccessChange {
  grants?: readonly Grant[];
  groups?: readonly string[];
  ips?: readonly string[];
  /** Requests per second; null removes the limit. */
  rate?: number | null;
  description?: string;
  enabled?: boolean;
}

export interface TrustedClientCa {
  /** The CA certificate, PEM. */
  pem: string;
  /** Its SHA-256, lowercase hex. */
  fingerprint: string;
  /** Its subject, for messages ("CN=Corp Issuing CA, O=Corp"). */
  name: string;
  /** Which of its certificates are this client. */
  subject: SubjectPattern;
}

const FINGERPRINT = /^[0-9a-f]{64}$/;

/**
 * Checks a client certificate made elsewhere, to be pinned: its SHA-256, or a
 * one-line reason it cannot serve as a KMIP client certificate.
 */
export function pinnedCertificate(pem: string, now = new Date()): { fingerprint: string; subject: string; notAfter: string } {
  let info: CertificateInfo;
  try { info = inspectCertificate(pem); } catch (e) { throw new Error(`the client certificate is not a readable PEM certificate: ${(e as Error).message}`); }
  if (info.isCA) throw new Error(`"${info.subject.replace(/\n/g, ', ')}" is a CA certificate; to trust the certificates it issues, use --ca FILE --subject PATTERN`);
  if (now < new Date(info.notBefore)) throw new Error(`the client certificate is not valid before ${info.notBefore}`);
  if (now > new Date(info.notAfter)) throw new Error(`the client certificate expired on ${info.notAfter}; ask for a renewed one`);
  const eku = info.extendedKeyUsage;
  if (eku.length > 0 && !eku.includes('clientAuth') && !eku.includes('anyExtendedKeyUsage')) {
    throw new Error(`the client certificate's extended key usage (${eku.join(', ')}) lacks clientAuth, so TLS clients cannot use it; issue it with clientAuth`);
  }
  if (info.publicKey.type === 'rsa' && (info.publicKey.bits ?? 0) < 2048) throw new Error(`the client certificate's RSA key has ${info.publicKey.bits} bits; at least 2048 are needed`);
  return { fingerprint: info.fingerprintSha256, subject: info.subject.replace(/\n/g, ', '), notAfter: info.notAfter };
}

/** Reads an imported client CA certificate; throws a one-line reason. */
export function trustedClientCa(pem: string, subjectPattern: string): TrustedClientCa {
  let x: X509Certificate;
  try { x = new X509Certificate(pem); } catch (e) { throw new Error(`the client CA is not a readable PEM certificate: ${(e as Error).message}`); }
  if (!x.ca) throw new Error(`the client CA certificate "${x.subject.replace(/\n/g, ', ')}" is not a CA certificate (basicConstraints CA:TRUE); to trust one client certificate, import it with --cert instead`);
  return {
    pem: x.toString(),
    fingerprint: x.fingerprint256.replace(/:/g, '').toLowerCase(),
    name: x.subject.replace(/\n/g, ', '),
    subject: parseSubjectPattern(subjectPattern),
  };
}

export function clientsFile(dataDir: string): string {
  return path.join(dataDir, CLIENTS_FILE);
}

function stringList(v: unknown, what: string): string[] {
  const list = v === undefined ? [] : v;
  if (!Array.isArray(list) || !list.every((g) => typeof g === 'string' && g !== '')) throw new Error(`${what} must be a list of non-empty strings`);
  return list as string[];
}

/** A request rate: a positive whole number of requests per second. */
export function requestRate(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new Error(`rate must be a whole number of requests per second, at least 1 (not ${JSON.stringify(v)})`);
  return v;
}

/** Normalised entries of an allow-list; throws on a bad entry. */
function allowEntries(items: readonly string[]): string[] {
  return [...parseAllowList(items).entries];
}

/** Parses the file's text; anything malformed is an error naming the file (never silently "no clients"). */
export function parseClientsDoc(text: string, file: string): ClientsDoc {
  let doc: unknown;
  try { doc = JSON.parse(text); } catch (e) { throw new Error(`${file} is not valid JSON: ${(e as Error).message}`); }
  const list = (doc as { clients?: unknown } | null)?.clients;
  if (!Array.isArray(list)) throw new Error(`${file}: expected {"clients": [...]}`);
  const clients = list.map((c: unknown, i) => {
    const e = c as { name?: unknown; fingerprint?: unknown; added?: unknown } | null;
    if (typeof e?.name !== 'string') throw new Error(`${file}: client #${i + 1} needs a name`);
    const raw = e as { permissions?: unknown; groups?: unknown; ips?: unknown; rate?: unknown; description?: unknown; enabled?: unknown; imported?: unknown; ca?: unknown; subject?: unknown; username?: unknown; password?: unknown };
    try {
      if (e.fingerprint !== undefined && (typeof e.fingerprint !== 'string' || !FINGERPRINT.test(e.fingerprint))) throw new Error('fingerprint must be a 64-hex-digit SHA-256');
      if (e.fingerprint === undefined && raw.ca === undefined) throw new Error('needs a certificate fingerprint or a client CA (ca, subject) to be recognised by');
      if (raw.ca !== undefined && (typeof raw.ca !== 'string' || typeof raw.subject !== 'string')) throw new Error('ca must be a PEM certificate, with subject a pattern such as "CN=esx-*.corp.example"');
      if (raw.password !== undefined) {
        if (typeof raw.password !== 'string') throw new Error('password must be a scrypt record');
        checkPasswordRecord(raw.password);
      }
      const grants = raw.permissions === undefined ? DEFAULT_GRANTS.map((g) => ({ ...g })) : parseGrants(String(raw.permissions));
      return {
        name: e.name,
        ...(e.fingerprint === undefined ? {} : { fingerprint: e.fingerprint as string }),
        ...(raw.imported === true ? { imported: true } : {}),
        ...(typeof (raw as { certificateExpires?: unknown }).certificateExpires === 'string' ? { certificateExpires: (raw as { certificateExpires: string }).certificateExpires } : {}),
        ...(raw.ca === undefined ? {} : { ca: trustedClientCa(raw.ca as string, raw.subject as string) }),
        ...(raw.password === undefined ? {} : { password: { username: typeof raw.username === 'string' ? raw.username : e.name, hash: raw.password as string } }),
        added: typeof e.added === 'string' ? e.added : '',
        grants,
        groups: stringList(raw.groups, 'groups'),
        ips: allowEntries(stringList(raw.ips, 'ips')),
        ...(raw.rate === undefined ? {} : { rate: requestRate(raw.rate) }),
        description: typeof raw.description === 'string' ? raw.description : '',
        enabled: raw.enabled !== false,
      };
    } catch (err) {
      throw new Error(`${file}: client "${e.name}": ${(err as Error).message}`);
    }
  });
  const seen = new Map<string, string>();
  for (const c of clients) {
    if (c.fingerprint === undefined) continue;
    const other = seen.get(c.fingerprint);
    if (other !== undefined) throw new Error(`${file}: clients "${other}" and "${c.name}" have the same certificate; each certificate can belong to one client only`);
    seen.set(c.fingerprint, c.name);
  }
  let allow: string[];
  try {
    allow = allowEntries(stringList((doc as { allow?: unknown }).allow, 'allow'));
  } catch (err) {
    throw new Error(`${file}: allow: ${(err as Error).message}`);
  }
  let retired: string[];
  try {
    retired = stringList((doc as { retired?: unknown }).retired, 'retired');
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  return { clients, allow, retired };
}

/** The clients alone (see parseClientsDoc). */
export function parseClients(text: string, file: string): ClientEntry[] {
  return parseClientsDoc(text, file).clients;
}

function serialise(c: ClientEntry): object {
  return {
    name: c.name,
    ...(c.fingerprint === undefined ? {} : { fingerprint: c.fingerprint }),
    ...(c.imported === true ? { imported: true } : {}),
    ...(c.certificateExpires === undefined ? {} : { certificateExpires: c.certificateExpires }),
    ...(c.ca === undefined ? {} : { ca: c.ca.pem, subject: c.ca.subject.text }),
    ...(c.password === undefined ? {} : { username: c.password.username, password: c.password.hash }),
    added: c.added,
    permissions: formatGrants(c.grants),
    ...(c.groups.length > 0 ? { groups: c.groups } : {}),
    ...(c.ips.length > 0 ? { ips: c.ips } : {}),
    ...(c.rate === undefined ? {} : { rate: c.rate }),
    ...(c.description === '' ? {} : { description: c.description }),
    ...(c.enabled ? {} : { enabled: false }),
  };
}

function docText(doc: ClientsDoc): string {
  const out = { clients: doc.clients.map(serialise), ...(doc.allow.length > 0 ? { allow: doc.allow } : {}), ...(doc.retired.length > 0 ? { retired: doc.retired } : {}) };
  return JSON.stringify(out, null, 2) + '\n';
}

async function writeDoc(dataDir: string, doc: ClientsDoc): Promise<void> {
  await writeFileAtomic(clientsFile(dataDir), docText(doc), 0o600);
}

/**
 * The clients as the audit log last recorded them (DIR/clients.audited.json).
 * Changes made while no server ran (`keyhold client …` on a stopped server,
 * or an edit by hand) are the difference between this and clients.json at
 * the next start, and are recorded then.
 */
export const AUDITED_CLIENTS_FILE = 'clients.audited.json';

/** The last recorded clients; an empty set when none was recorded yet (or the file is unreadable: everything is recorded again). */
export async function readAuditedClients(dataDir: string): Promise<ClientsDoc> {
  const file = path.join(dataDir, AUDITED_CLIENTS_FILE);
  try {
    return parseClientsDoc(await fsp.readFile(file, 'utf8'), file);
  } catch {
    return { clients: [], allow: [], retired: [] };
  }
}

export async function writeAuditedClients(dataDir: string, doc: ClientsDoc): Promise<void> {
  await writeFileAtomic(path.join(dataDir, AUDITED_CLIENTS_FILE), docText(doc), 0o600);
}

/** Principals by client name: each enabled client with the names of the clients it shares a group with. */
export function principals(clients: readonly ClientEntry[]): Map<string, Principal> {
  return new Map(
    clients.filter((c) => c.enabled).map((c) => [
      c.name,
      {
        name: c.name,
        grants: c.grants,
        sharesWith: clients.filter((o) => o.groups.some((g) => c.groups.includes(g))).map((o) => o.name),
        groups: c.groups,
        ...(c.rate === undefined ? {} : { requestsPerSecond: c.rate }),
        ...(c.password === undefined ? {} : { credential: c.password }),
      },
    ]),
  );
}

export async function readClientsDoc(dataDir: string): Promise<ClientsDoc> {
  const file = clientsFile(dataDir);
  let text: string;
  try { text = await fsp.readFile(file, 'utf8'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { clients: [], allow: [], retired: [] };
    throw e;
  }
  return parseClientsDoc(text, file);
}

export async function readClients(dataDir: string): Promise<ClientEntry[]> {
  return (await readClientsDoc(dataDir)).clients;
}

/** How a new client is recognised: a pinned certificate and/or a trusted client CA, optionally with a password. */
export interface ClientIdentity {
  fingerprint?: string;
  imported?: boolean;
  /** When the pinned certificate expires (ISO 8601). */
  certificateExpires?: string;
  ca?: TrustedClientCa;
  password?: PasswordCredential;
}

/** What may change in how a client is recognised; null removes (the client must keep a certificate or a CA). */
export interface ClientIdentityChange {
  /** A new pinned certificate (e.g. the client's was renewed); null: recognise by the CA alone. */
  certificate?: { fingerprint: string; imported: boolean; expires?: string } | null;
  ca?: TrustedClientCa | null;
  password?: PasswordCredential | null;
}

/** The identity of a client without its access: what the CLI and the admin UI show. */
function checkIdentity(dataDir: string, name: string, id: ClientIdentity, others: readonly ClientEntry[]): void {
  if (id.fingerprint === undefined && id.ca === undefined) throw new Error(`client "${name}" needs a certificate or a client CA to be recognised by`);
  if (id.ca !== undefined && id.ca.fingerprint === internalCaFingerprint(dataDir)) {
    throw new Error("that is Keyhold's own CA: issue this client a certificate with `keyhold client add NAME --out DIR` (or `client cert`) instead");
  }
  if (id.fingerprint !== undefined) {
    if (!FINGERPRINT.test(id.fingerprint)) throw new Error('a certificate fingerprint is 64 hex digits (SHA-256)');
    const holder = others.find((c) => c.name !== name && c.fingerprint === id.fingerprint);
    if (holder !== undefined) throw new Error(`that certificate already belongs to client "${holder.name}"`);
  }
}

/**
 * Adds a client (read, append, atomic replace). A name already registered is
 * refused, so a typo cannot silently replace a live client's certificate.
 * Two `client add` running at the very same moment could lose one entry; an
 * operator enrols clients one at a time, so no cross-process lock is taken.
 */
export async function addClient(dataDir: string, name: string, identity: ClientIdentity, access: ClientAccessChange = {}): Promise<void> {
  const doc = await readClientsDoc(dataDir);
  if (doc.clients.some((c) => c.name === name)) throw new Error(`a client named "${name}" is already registered`);
  if (doc.retired.includes(name)) throw new Error(`"${name}" belonged to a removed client whose objects still carry that name; choose another name`);
  checkIdentity(dataDir, name, identity, doc.clients);
  doc.clients.push({
    name,
    ...(identity.fingerprint === undefined ? {} : { fingerprint: identity.fingerprint }),
    ...(identity.imported === true ? { imported: true } : {}),
    ...(identity.certificateExpires === undefined ? {} : { certificateExpires: identity.certificateExpires }),
    ...(identity.ca === undefined ? {} : { ca: identity.ca }),
    ...(identity.password === undefined ? {} : { password: identity.password }),
    added: new Date().toISOString(),
    grants: [...(access.grants ?? DEFAULT_GRANTS)],
    groups: [...(access.groups ?? [])],
    ips: allowEntries(access.ips ?? []),
    ...(access.rate === undefined || access.rate === null ? {} : { rate: requestRate(access.rate) }),
    description: access.description ?? '',
    enabled: access.enabled ?? true,
  });
  await writeDoc(dataDir, doc);
}

/** Changes a registered client (read, change, atomic replace); the running server applies it within a second. */
export async function updateClient(dataDir: string, name: string, change: ClientAccessChange & ClientIdentityChange): Promise<ClientEntry> {
  const doc = await readClientsDoc(dataDir);
  const c = doc.clients.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no client named "${name}" is registered`);
  if (change.grants !== undefined) c.grants = [...change.grants];
  if (change.groups !== undefined) c.groups = [...change.groups];
  if (change.ips !== undefined) c.ips = allowEntries(change.ips);
  if (change.rate === null) delete c.rate;
  else if (change.rate !== undefined) c.rate = requestRate(change.rate);
  if (change.description !== undefined) c.description = change.description;
  if (change.enabled !== undefined) c.enabled = change.enabled;
  if (change.certificate === null) {
    delete c.fingerprint;
    delete c.imported;
    delete c.certificateExpires;
  } else if (change.certificate !== undefined) {
    c.fingerprint = change.certificate.fingerprint;
    if (change.certificate.imported) c.imported = true;
    else delete c.imported;
    if (change.certificate.expires !== undefined) c.certificateExpires = change.certificate.expires;
    else delete c.certificateExpires;
  }
  if (change.ca === null) delete c.ca;
  else if (change.ca !== undefined) c.ca = change.ca;
  if (change.password === null) delete c.password;
  else if (change.password !== undefined) c.password = change.password;
  checkIdentity(dataDir, name, c, doc.clients);
  await writeDoc(dataDir, doc);
  return c;
}

/** Unregisters a client: its certificate is refused from then on (open connections close at their next request). */
export async function removeClient(dataDir: string, name: string): Promise<void> {
  const doc = await readClientsDoc(dataDir);
  const at = doc.clients.findIndex((x) => x.name === name);
  if (at < 0) throw new Error(`no client named "${name}" is registered`);
  doc.clients.splice(at, 1);
  if (!doc.retired.includes(name)) doc.retired.push(name);
  await writeDoc(dataDir, doc);
}

/** Replaces the server-wide IP allow-list (empty: any address). */
export async function setServerAllowList(dataDir: string, items: readonly string[]): Promise<string[]> {
  const doc = await readClientsDoc(dataDir);
  doc.allow = allowEntries(items);
  await writeDoc(dataDir, doc);
  return doc.allow;
}

/** What the TLS layer learned about a client's certificate (main/server/tls-listener.ts). */
export interface PeerCertificate {
  /** SHA-256 of the DER certificate, lowercase hex. */
  fingerprint: string;
  /** The certificate (DER). */
  der: Uint8Array;
  /**
   * The other certificates the TLS layer linked above it (DER), as the client
   * sent them or the trust store supplied them. Node links these by name and
   * key identifier only, not by signature: recognise() verifies every
   * signature itself before it trusts a path to a client CA.
   */
  chain: readonly Uint8Array[];
  subject: Subject;
  /** OpenSSL verified the chain up to a trusted CA (Keyhold's or an imported client CA). */
  trusted: boolean;
  /** OpenSSL's reason when not trusted, e.g. DEPTH_ZERO_SELF_SIGNED_CERT. */
  error: string | null;
  notBefore: Date;
  notAfter: Date;
  /** Extended Key Usage OIDs; absent when the certificate has no such extension (any use). */
  extendedKeyUsage?: readonly string[];
}

export type Recognition = { name: string } | { refusal: string };

export interface ClientRegistry {
  /** Which client this certificate is, or why it is refused (unknown, untrusted, expired…). */
  recognise(peer: PeerCertificate, now?: Date): Recognition;
  /** Changes whenever the clients change: an open connection re-checks its certificate then. */
  generation(): number;
  /** The enabled client with its current permissions (changes to the file apply within a second), or undefined. */
  principal(name: string): Principal | undefined;
  /** Why this client may not connect (unknown, disabled, or from an address outside the server-wide or its own list), or undefined when it may. */
  addressRefusal(name: string, address: string): string | undefined;
  /** The imported client CAs (PEM) the TLS layer must trust besides Keyhold's own. */
  trustedCas(): readonly string[];
  /** Called after a reload that changed trustedCas(); returns an unsubscribe function. */
  onTrustChange(listener: () => void): () => void;
  close(): void;
}

/** Chain errors that only mean "issued by nobody we trust": a pinned certificate does not need a trusted issuer. */
const UNTRUSTED_ISSUER = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_EKU = '2.5.29.37.0';

/** Why a pinned certificate is unusable now, or undefined. OpenSSL does not check these for a chain it could not build. */
function pinnedProblem(peer: PeerCertificate, now: Date): string | undefined {
  if (!peer.trusted && peer.error !== null && !UNTRUSTED_ISSUER.has(peer.error)) return `client certificate not accepted (${peer.error})`;
  if (now < peer.notBefore) return `client certificate is not valid before ${peer.notBefore.toISOString()}`;
  if (now > peer.notAfter) return `client certificate expired on ${peer.notAfter.toISOString()}`;
  const eku = peer.extendedKeyUsage;
  if (eku !== undefined && !eku.includes(CLIENT_AUTH) && !eku.includes(ANY_EKU)) return 'client certificate lacks the clientAuth extended key usage';
  return undefined;
}

interface Loaded {
  principals: Map<string, Principal>;
  /** Every registered client by name, enabled or not. */
  byName: Map<string, ClientEntry>;
  byFingerprint: Map<string, ClientEntry>;
  ipsByName: Map<string, AllowList>;
  allow: AllowList;
  cas: string[];
  /** Parsed client CA certificates by fingerprint. */
  caCerts: Map<string, X509Certificate>;
}

function load(doc: ClientsDoc): Loaded {
  return {
    caCerts: new Map(doc.clients.flatMap((c) => (c.ca === undefined ? [] : [[c.ca.fingerprint, new X509Certificate(c.ca.pem)] as const]))),
    principals: principals(doc.clients),
    byName: new Map(doc.clients.map((c) => [c.name, c])),
    byFingerprint: new Map(doc.clients.flatMap((c) => (c.fingerprint === undefined ? [] : [[c.fingerprint, c] as const]))),
    ipsByName: new Map(doc.clients.map((c) => [c.name, parseAllowList(c.ips)])),
    allow: parseAllowList(doc.allow),
    cas: [...new Map(doc.clients.flatMap((c) => (c.ca === undefined ? [] : [[c.ca.fingerprint, c.ca.pem] as const]))).values()],
  };
}

/**
 * Whether a path of valid signatures leads from `leaf` through CA
 * certificates of `chain` to `anchor` (at most 8 links). OpenSSL verified some
 * chain to some trusted CA; this ties the certificate to this very CA.
 */
function signedUpTo(leaf: X509Certificate, chain: readonly X509Certificate[], anchor: X509Certificate): boolean {
  let current = leaf;
  for (let depth = 0; depth < 8; depth++) {
    if (current.checkIssued(anchor) && current.verify(anchor.publicKey)) return true;
    const next = chain.find((p) => p.ca && p.fingerprint256 !== current.fingerprint256 && current.checkIssued(p) && current.verify(p.publicKey));
    if (next === undefined) return false;
    current = next;
  }
  return false;
}

function recognise(current: Loaded, peer: PeerCertificate, now: Date, internalCa: string | undefined): Recognition {
  const pinned = current.byFingerprint.get(peer.fingerprint);
  if (pinned !== undefined) {
    const problem = pinnedProblem(peer, now);
    return problem === undefined ? { name: pinned.name } : { refusal: `client "${pinned.name}": ${problem}` };
  }
  if (!peer.trusted) return { refusal: `client certificate ${peer.fingerprint} is not registered and not from a trusted CA (${String(peer.error)})` };
  let leaf: X509Certificate;
  let chain: X509Certificate[];
  try {
    leaf = new X509Certificate(peer.der);
    chain = peer.chain.map((d) => new X509Certificate(d));
  } catch {
    return { refusal: `client certificate ${peer.fingerprint} could not be read` };
  }
  const issuedBy = new Map<string, boolean>();
  const byCa = [...current.byName.values()].filter((c) => {
    const ca = c.ca;
    if (ca === undefined || ca.fingerprint === internalCa) return false;
    let ok = issuedBy.get(ca.fingerprint);
    if (ok === undefined) {
      ok = signedUpTo(leaf, chain, current.caCerts.get(ca.fingerprint)!);
      issuedBy.set(ca.fingerprint, ok);
    }
    return ok;
  });
  const matches = byCa.filter((c) => subjectMatches(c.ca!.subject, peer.subject));
  // A disabled client that matches wins: disabling a host's entry must refuse it, even when a broader pattern also matches.
  const match = matches.find((c) => !c.enabled) ?? matches[0];
  if (match !== undefined) return { name: match.name };
  if (byCa.length > 0) return { refusal: `client certificate "${formatSubject(peer.subject)}" from CA "${byCa[0]!.ca!.name}" matches no client's subject pattern` };
  return { refusal: `client certificate ${peer.fingerprint} is not registered` };
}

export interface RegistryOptions {
  /**
   * SHA-256 of Keyhold's own CA: never accepted as a client CA (a client
   * recognised by "any certificate of Keyhold's CA" would make removed and
   * replaced client certificates valid again).
   */
  internalCa?: () => string | undefined;
}

/** A registry over a fixed set of clients (tests, and the core of watchClients). */
export function registryOf(doc: ClientsDoc, opts: RegistryOptions = {}): ClientRegistry & { replace(doc: ClientsDoc): void } {
  let current = load(doc);
  let generation = 0;
  const listeners = new Set<() => void>();
  return {
    replace(next) {
      const before = current.cas.join();
      current = load(next);
      generation++;
      if (current.cas.join() !== before) for (const l of listeners) l();
    },
    recognise: (peer, now = new Date()) => recognise(current, peer, now, opts.internalCa?.()),
    generation: () => generation,
    principal: (name) => current.principals.get(name),
    addressRefusal(name, address) {
      const c = current.byName.get(name);
      if (c === undefined) return 'not registered';
      if (!c.enabled) return 'it is disabled';
      if (!current.allow.allows(address)) return `address ${address} is not in the server's IP allow-list`;
      if (current.ipsByName.get(name)?.allows(address) === false) return `address ${address} is not in client "${c.name}"'s IP allow-list`;
      return undefined;
    },
    trustedCas: () => current.cas,
    onTrustChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() { listeners.clear(); },
  };
}

/** One administrative change between two versions of clients.json, for the audit log. */
export interface ClientChange {
  action: 'client added' | 'client changed' | 'client removed' | 'allow-list changed';
  client: string | null;
  /** What changed, e.g. "permissions query:all,get:own → all"; never key material (the file holds none). */
  detail: string;
}

function describe(c: ClientEntry): Record<string, string> {
  return {
    certificate: c.fingerprint === undefined ? '-' : `${c.fingerprint}${c.imported ? ' (imported)' : ''}`,
    'client CA': c.ca === undefined ? '-' : `${c.ca.name} (${c.ca.fingerprint.slice(0, 16)}…) subject ${c.ca.subject.text}`,
    password: c.password === undefined ? 'none' : `set for username ${c.password.username}`,
    permissions: formatGrants(c.grants),
    groups: c.groups.join(',') || '-',
    addresses: c.ips.join(',') || 'any',
    rate: c.rate === undefined ? 'no limit' : String(c.rate),
    state: c.enabled ? 'enabled' : 'disabled',
    description: c.description || '-',
  };
}

/** The changes from one clients.json to the next, in a stable order. */
export function clientChanges(before: ClientsDoc, after: ClientsDoc): ClientChange[] {
  const out: ClientChange[] = [];
  const old = new Map(before.clients.map((c) => [c.name, c]));
  for (const c of after.clients) {
    const was = old.get(c.name);
    old.delete(c.name);
    if (was === undefined) {
      out.push({ action: 'client added', client: c.name, detail: `permissions ${formatGrants(c.grants)}` });
      continue;
    }
    const a = describe(was);
    const b = describe(c);
    const diffs = Object.keys(b).filter((k) => a[k] !== b[k]).map((k) => `${k} ${a[k]} → ${b[k]}`);
    // Never the hash itself: only that it changed.
    if (was.password !== undefined && c.password !== undefined && was.password.hash !== c.password.hash) diffs.push('password replaced');
    if (diffs.length > 0) out.push({ action: 'client changed', client: c.name, detail: diffs.join('; ') });
  }
  for (const name of old.keys()) out.push({ action: 'client removed', client: name, detail: '' });
  const allowBefore = before.allow.join(',') || 'any';
  const allowAfter = after.allow.join(',') || 'any';
  if (allowBefore !== allowAfter) out.push({ action: 'allow-list changed', client: null, detail: `${allowBefore} → ${allowAfter}` });
  return out;
}

/**
 * Loads the clients and keeps them current (watch-file.ts). A file that
 * cannot be read or parsed keeps the last good set and is reported.
 */
export async function watchClients(
  dataDir: string,
  opts: {
    pollMs?: number;
    onError?: (e: unknown) => void;
    /** Told each change, with the file as it is after it; atStart: the difference from `since`. */
    onChange?: (changes: ClientChange[], doc: ClientsDoc, atStart: boolean) => void;
    /** What the file held before (the last audited version): the difference is reported at once. Absent: nothing is. */
    since?: ClientsDoc;
  } = {},
): Promise<ClientRegistry> {
  let doc = await readClientsDoc(dataDir);
  const registry = registryOf(doc, { internalCa: () => internalCaFingerprint(dataDir) });
  if (opts.since !== undefined) {
    const changes = clientChanges(opts.since, doc);
    if (changes.length > 0) opts.onChange?.(changes, doc, true);
  }
  const watch = watchFile(dataDir, CLIENTS_FILE, async () => {
    try {
      const next = await readClientsDoc(dataDir);
      registry.replace(next);
      const changes = clientChanges(doc, next);
      doc = next;
      if (changes.length > 0) opts.onChange?.(changes, next, false);
    } catch (e) { opts.onError?.(e); }
  }, opts.pollMs);
  return {
    recognise: registry.recognise,
    generation: registry.generation,
    principal: registry.principal,
    addressRefusal: registry.addressRefusal,
    trustedCas: registry.trustedCas,
    onTrustChange: registry.onTrustChange,
    close() { watch.close(); registry.close(); },
  };
}

/** SHA-256 of DIR/pki/ca.crt, cached by the file's stamp (it changes only with `cert new-ca|import-ca`). */
const caCache = new Map<string, { stamp: string; fingerprint: string | undefined }>();
export function internalCaFingerprint(dataDir: string): string | undefined {
  const file = path.join(dataDir, 'pki', 'ca.crt');
  const now = fileStamp(file);
  const hit = caCache.get(file);
  if (hit !== undefined && hit.stamp === now) return hit.fingerprint;
  let fingerprint: string | undefined;
  try {
    fingerprint = new X509Certificate(fs.readFileSync(file)).fingerprint256.replace(/:/g, '').toLowerCase();
  } catch {
    fingerprint = undefined;
  }
  caCache.set(file, { stamp: now, fingerprint });
  return fingerprint;
}
