// Registered KMIP clients: DIR/clients.json, a list of {name, fingerprint,
// permissions, groups} (permissions in the form of main/access/policy.ts
// parseGrants; absent: the least-privilege defaults).
// `keyhold client add` writes it (atomically, so a reader never sees half a
// file) while the server may be running; the server watches it and swaps in
// the new fingerprint set, so a new client is accepted without a restart.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../pki/index.js';
import { DEFAULT_GRANTS, formatGrants, parseGrants, type Grant, type Principal } from '../access/policy.js';

export const CLIENTS_FILE = 'clients.json';

export interface ClientEntry {
  name: string;
  /** SHA-256 of the DER certificate, lowercase hex (pki fingerprintOf). */
  fingerprint: string;
  added: string;
  grants: Grant[];
  /** Groups for sharing: clients with a group in common reach each other's objects with scope `shared`. */
  groups: string[];
}

const FINGERPRINT = /^[0-9a-f]{64}$/;

export function clientsFile(dataDir: string): string {
  return path.join(dataDir, CLIENTS_FILE);
}

/** Parses the file's text; anything malformed is an error naming the file (never silently "no clients"). */
export function parseClients(text: string, file: string): ClientEntry[] {
  let doc: unknown;
  try { doc = JSON.parse(text); } catch (e) { throw new Error(`${file} is not valid JSON: ${(e as Error).message}`); }
  const list = (doc as { clients?: unknown } | null)?.clients;
  if (!Array.isArray(list)) throw new Error(`${file}: expected {"clients": [...]}`);
  return list.map((c: unknown, i) => {
    const e = c as Partial<ClientEntry> | null;
    if (typeof e?.name !== 'string' || typeof e.fingerprint !== 'string' || !FINGERPRINT.test(e.fingerprint)) {
      throw new Error(`${file}: client #${i + 1} needs a name and a 64-hex-digit SHA-256 fingerprint`);
    }
    const raw = e as { permissions?: unknown; groups?: unknown };
    let grants: Grant[];
    try {
      grants = raw.permissions === undefined ? DEFAULT_GRANTS.map((g) => ({ ...g })) : parseGrants(String(raw.permissions));
    } catch (err) {
      throw new Error(`${file}: client "${e.name}": ${(err as Error).message}`);
    }
    const groups = raw.groups === undefined ? [] : raw.groups;
    if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string' && g !== '')) throw new Error(`${file}: client "${e.name}": groups must be a list of names`);
    return { name: e.name, fingerprint: e.fingerprint, added: typeof e.added === 'string' ? e.added : '', grants, groups: groups as string[] };
  });
}

function serialise(c: ClientEntry): object {
  return { name: c.name, fingerprint: c.fingerprint, added: c.added, permissions: formatGrants(c.grants), ...(c.groups.length > 0 ? { groups: c.groups } : {}) };
}

/** Principals by fingerprint: each client with the names of the clients it shares a group with. */
export function principals(clients: readonly ClientEntry[]): Map<string, Principal> {
  return new Map(
    clients.map((c) => [
      c.fingerprint,
      { name: c.name, grants: c.grants, sharesWith: clients.filter((o) => o.groups.some((g) => c.groups.includes(g))).map((o) => o.name) },
    ]),
  );
}

export async function readClients(dataDir: string): Promise<ClientEntry[]> {
  const file = clientsFile(dataDir);
  let text: string;
  try { text = await fsp.readFile(file, 'utf8'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return parseClients(text, file);
}

/**
 * Adds a client (read, append, atomic replace). A name already registered is
 * refused, so a typo cannot silently replace a live client's certificate.
 * Two `client add` running at the very same moment could lose one entry; an
 * operator enrols clients one at a time, so no cross-process lock is taken.
 */
export async function addClient(dataDir: string, name: string, fingerprint: string, access: { grants?: readonly Grant[]; groups?: readonly string[] } = {}): Promise<void> {
  const clients = await readClients(dataDir);
  if (clients.some((c) => c.name === name)) throw new Error(`a client named "${name}" is already registered`);
  clients.push({ name, fingerprint, added: new Date().toISOString(), grants: [...(access.grants ?? DEFAULT_GRANTS)], groups: [...(access.groups ?? [])] });
  await writeFileAtomic(clientsFile(dataDir), JSON.stringify({ clients: clients.map(serialise) }, null, 2) + '\n', 0o600);
}

/** Changes a registered client's permissions and/or groups (read, change, atomic replace); the running server applies it within a second. */
export async function updateClient(dataDir: string, name: string, change: { grants?: readonly Grant[]; groups?: readonly string[] }): Promise<ClientEntry> {
  const clients = await readClients(dataDir);
  const c = clients.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no client named "${name}" is registered`);
  if (change.grants !== undefined) c.grants = [...change.grants];
  if (change.groups !== undefined) c.groups = [...change.groups];
  await writeFileAtomic(clientsFile(dataDir), JSON.stringify({ clients: clients.map(serialise) }, null, 2) + '\n', 0o600);
  return c;
}

export interface ClientRegistry {
  /** The registered client's name, or undefined when the fingerprint is unknown. */
  lookup(fingerprint: string): string | undefined;
  /** The client with its current permissions (changes to the file apply within a second), or undefined. */
  principal(fingerprint: string): Principal | undefined;
  close(): void;
}

/**
 * Loads the clients and keeps them current: fs.watch on the directory (the
 * atomic rename replaces the file's inode, so watching the file itself would
 * go deaf after the first write) plus a stat poll, because fs.watch is not
 * reliable on every file system (network shares, some containers). A file
 * that cannot be read or parsed keeps the last good set and is reported.
 */
export async function watchClients(dataDir: string, opts: { pollMs?: number; onError?: (e: unknown) => void } = {}): Promise<ClientRegistry> {
  const file = clientsFile(dataDir);
  let byFp = principals(await readClients(dataDir));
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
        try { byFp = principals(await readClients(dataDir)); } catch (e) { opts.onError?.(e); }
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
    lookup: (fp) => byFp.get(fp)?.name,
    principal: (fp) => byFp.get(fp),
    close() { clearInterval(poll); watcher?.close(); },
  };
}

function stamp(file: string): string {
  try {
    const st = fs.statSync(file, { bigint: true });
    return `${st.ino}:${st.size}:${st.mtimeNs}`;
  } catch { return 'absent'; }
}
