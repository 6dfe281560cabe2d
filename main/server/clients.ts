// Registered KMIP clients: DIR/clients.json, {"clients": [{name, fingerprint,
// permissions, groups, ips}], "allow": [...]}. permissions is the text form
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
import { DEFAULT_GRANTS, formatGrants, parseGrants, type Grant, type Principal } from '../access/policy.js';
import { parseAllowList, type AllowList } from '../access/ip-allow.js';

export const CLIENTS_FILE = 'clients.json';

export interface ClientEntry {
  name: string;
  /** SHA-256 of the DER certificate, lowercase hex (pki fingerprintOf). */
  fingerprint: string;
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

const FINGERPRINT = /^[0-9a-f]{64}$/;

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
    const e = c as Partial<ClientEntry> | null;
    if (typeof e?.name !== 'string' || typeof e.fingerprint !== 'string' || !FINGERPRINT.test(e.fingerprint)) {
      throw new Error(`${file}: client #${i + 1} needs a name and a 64-hex-digit SHA-256 fingerprint`);
    }
    const raw = e as { permissions?: unknown; groups?: unknown; ips?: unknown; rate?: unknown; description?: unknown; enabled?: unknown };
    try {
      const grants = raw.permissions === undefined ? DEFAULT_GRANTS.map((g) => ({ ...g })) : parseGrants(String(raw.permissions));
      return {
        name: e.name,
        fingerprint: e.fingerprint,
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
    fingerprint: c.fingerprint,
    added: c.added,
    permissions: formatGrants(c.grants),
    ...(c.groups.length > 0 ? { groups: c.groups } : {}),
    ...(c.ips.length > 0 ? { ips: c.ips } : {}),
    ...(c.rate === undefined ? {} : { rate: c.rate }),
    ...(c.description === '' ? {} : { description: c.description }),
    ...(c.enabled ? {} : { enabled: false }),
  };
}

async function writeDoc(dataDir: string, doc: ClientsDoc): Promise<void> {
  const out = { clients: doc.clients.map(serialise), ...(doc.allow.length > 0 ? { allow: doc.allow } : {}), ...(doc.retired.length > 0 ? { retired: doc.retired } : {}) };
  await writeFileAtomic(clientsFile(dataDir), JSON.stringify(out, null, 2) + '\n', 0o600);
}

/** Principals by fingerprint: each client with the names of the clients it shares a group with. */
export function principals(clients: readonly ClientEntry[]): Map<string, Principal> {
  return new Map(
    clients.filter((c) => c.enabled).map((c) => [
      c.fingerprint,
      {
        name: c.name,
        grants: c.grants,
        sharesWith: clients.filter((o) => o.groups.some((g) => c.groups.includes(g))).map((o) => o.name),
        ...(c.rate === undefined ? {} : { requestsPerSecond: c.rate }),
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

/**
 * Adds a client (read, append, atomic replace). A name already registered is
 * refused, so a typo cannot silently replace a live client's certificate.
 * Two `client add` running at the very same moment could lose one entry; an
 * operator enrols clients one at a time, so no cross-process lock is taken.
 */
export async function addClient(dataDir: string, name: string, fingerprint: string, access: ClientAccessChange = {}): Promise<void> {
  const doc = await readClientsDoc(dataDir);
  if (doc.clients.some((c) => c.name === name)) throw new Error(`a client named "${name}" is already registered`);
  if (doc.retired.includes(name)) throw new Error(`"${name}" belonged to a removed client whose objects still carry that name; choose another name`);
  doc.clients.push({
    name,
    fingerprint,
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

/** Changes a registered client's access (read, change, atomic replace); the running server applies it within a second. */
export async function updateClient(dataDir: string, name: string, change: ClientAccessChange): Promise<ClientEntry> {
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

export interface ClientRegistry {
  /** The registered client's name, or undefined when the fingerprint is unknown. */
  lookup(fingerprint: string): string | undefined;
  /** The client with its current permissions (changes to the file apply within a second), or undefined. */
  principal(fingerprint: string): Principal | undefined;
  /** Why this client may not connect (unknown, disabled, or from an address outside the server-wide or its own list), or undefined when it may. */
  addressRefusal(fingerprint: string, address: string): string | undefined;
  close(): void;
}

interface Loaded {
  byFp: Map<string, Principal>;
  /** Every registered client by fingerprint, enabled or not. */
  entries: Map<string, ClientEntry>;
  ipsByFp: Map<string, AllowList>;
  allow: AllowList;
}

function load(doc: ClientsDoc): Loaded {
  return {
    byFp: principals(doc.clients),
    entries: new Map(doc.clients.map((c) => [c.fingerprint, c])),
    ipsByFp: new Map(doc.clients.map((c) => [c.fingerprint, parseAllowList(c.ips)])),
    allow: parseAllowList(doc.allow),
  };
}

/**
 * Loads the clients and keeps them current: fs.watch on the directory (the
 * atomic rename replaces the file's inode, so watching the file itself would
 * go deaf after the first write) plus a stat poll, because fs.watch is not
 * reliable on every file system (network shares, some containers). A file
 * that cannot be read or parsed keeps the last good set and is reported.
 */
/** One administrative change between two versions of clients.json, for the audit log. */
export interface ClientChange {
  action: 'client added' | 'client changed' | 'client removed' | 'allow-list changed';
  client: string | null;
  /** What changed, e.g. "permissions query:all,get:own → all"; never key material (the file holds none). */
  detail: string;
}

function describe(c: ClientEntry): Record<string, string> {
  return {
    certificate: c.fingerprint,
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
    if (diffs.length > 0) out.push({ action: 'client changed', client: c.name, detail: diffs.join('; ') });
  }
  for (const name of old.keys()) out.push({ action: 'client removed', client: name, detail: '' });
  const allowBefore = before.allow.join(',') || 'any';
  const allowAfter = after.allow.join(',') || 'any';
  if (allowBefore !== allowAfter) out.push({ action: 'allow-list changed', client: null, detail: `${allowBefore} → ${allowAfter}` });
  return out;
}

export async function watchClients(
  dataDir: string,
  opts: { pollMs?: number; onError?: (e: unknown) => void; onChange?: (changes: ClientChange[]) => void } = {},
): Promise<ClientRegistry> {
  const file = clientsFile(dataDir);
  let doc = await readClientsDoc(dataDir);
  let current = load(doc);
  let lastStamp = stamp(file);
  let reloading = false;
  let again = false;
  const reload = async (): Promise<void> => {
    if (reloading) { again = true; return; }
    reloading = true;
    try {
      do {
        again = false;
        lastStamp = stamp(file);
        try {
          const next = await readClientsDoc(dataDir);
          current = load(next);
          const changes = clientChanges(doc, next);
          doc = next;
          if (changes.length > 0) opts.onChange?.(changes);
        } catch (e) { opts.onError?.(e); }
      } while (again);
    } finally { reloading = false; }
  };
  let watcher: fs.FSWatcher | undefined;
  try {
    watcher = fs.watch(dataDir, { persistent: false }, (_event, name) => {
      if (name === null || name === CLIENTS_FILE) void reload();
    });
    watcher.on('error', () => { watcher?.close(); watcher = undefined; }); // the poll carries on
  } catch { /* no watch support: polling only */ }
  const poll = setInterval(() => { if (stamp(file) !== lastStamp) void reload(); }, opts.pollMs ?? 250);
  poll.unref();
  return {
    lookup: (fp) => current.entries.get(fp)?.name,
    principal: (fp) => current.byFp.get(fp),
    addressRefusal(fp, address) {
      const c = current.entries.get(fp);
      if (c === undefined) return 'not registered';
      if (!c.enabled) return 'it is disabled';
      if (!current.allow.allows(address)) return `address ${address} is not in the server's IP allow-list`;
      if (current.ipsByFp.get(fp)?.allows(address) === false) return `address ${address} is not in client "${c.name}"'s IP allow-list`;
      return undefined;
    },
    close() { clearInterval(poll); watcher?.close(); },
  };
}

function stamp(file: string): string {
  try {
    const st = fs.statSync(file, { bigint: true });
    return `${st.ino}:${st.size}:${st.mtimeNs}`;
  } catch { return 'absent'; }
}
