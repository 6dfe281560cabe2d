// The Clients area: DIR/clients.json through the functions `keyhold client …`
// uses (main/server/clients.ts, serve.ts enrolClient/importClient,
// client-certs.ts). A running server picks every change up within a second.
// Bundles are written by the CLI's own writeBundle into a private temporary
// folder, read back as base64 and removed.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AddClientArgs, BundleFile, ClientSummary, clientsCalls } from '../../../shared/ipc/calls/clients.js';
import { checkClientName, checkDescription, checkIpList } from '../../../shared/forms/fields.js';
import { formatGrants, parseGrants, type Grant } from '../../access/policy.js';
import { queryAudit } from '../../audit/audit-log.js';
import { readClientsDoc, removeClient, updateClient, type ClientAccessChange, type ClientEntry } from '../../server/clients.js';
import { reissueClientCert, signClientRequest, type ClientFiles } from '../../server/client-certs.js';
import { checkNewName, enrolClient, importClient } from '../../server/serve.js';
import { CallError } from '../dispatch.js';
import type { AdminDeps, AreaHandlers } from './types.js';
import { callError, dataDirOf, field, oneLine, withTempDir } from './util.js';

/** How many of the newest audit records lastSeen looks through: reading them takes a few tens of milliseconds. */
export const LAST_SEEN_RECORDS = 20_000;

/** Newest time each client connected or sent a request, among the newest LAST_SEEN_RECORDS audit records. */
export function lastSeenByClient(dataDir: string): Map<string, string> {
  const seen = new Map<string, string>();
  let rows;
  try {
    rows = queryAudit(dataDir, { limit: LAST_SEEN_RECORDS });
  } catch {
    return seen; // no audit log yet
  }
  for (const r of rows) {
    if (r.client === null || r.kind === 'admin') continue;
    const was = seen.get(r.client);
    if (was === undefined || r.at > was) seen.set(r.client, r.at);
  }
  return seen;
}

export function clientSummary(c: ClientEntry, lastSeen: string | null): ClientSummary {
  return {
    name: c.name,
    description: c.description,
    addresses: [...c.ips],
    permissions: formatGrants(c.grants),
    groups: [...c.groups],
    enabled: c.enabled,
    certificate: c.fingerprint === undefined ? null : { fingerprint: c.fingerprint, notAfter: c.certificateExpires ?? null, imported: c.imported === true },
    clientCa: c.ca === undefined ? null : `${c.ca.name}: ${c.ca.subject.text}`,
    lastSeen,
  };
}

function grantsOf(text: string): Grant[] {
  try {
    return parseGrants(text);
  } catch (e) {
    throw CallError.of('bad_request', 'errors.clients.permissions', { reason: (e as Error).message });
  }
}

/** The access fields of add and update, checked with the shared field validators; wide ranges become warnings. */
function accessOf(args: { description?: string; addresses?: string[]; permissions?: string; groups?: string[] }, warnings: string[]): ClientAccessChange {
  const access: ClientAccessChange = {};
  if (args.description !== undefined) access.description = field(checkDescription(args.description));
  if (args.addresses !== undefined) {
    const ips = field(checkIpList(args.addresses));
    for (const w of ips.wide) warnings.push(`${w} is a wide range (more than a /16 of IPv4 or a /48 of IPv6); allow only the addresses the client uses`);
    access.ips = ips.entries;
  }
  if (args.permissions !== undefined) access.grants = grantsOf(args.permissions);
  if (args.groups !== undefined) access.groups = [...new Set(args.groups)];
  return access;
}

async function bundleOf(files: ClientFiles): Promise<{ files: BundleFile[] }> {
  const out: BundleFile[] = [];
  for (const file of [files.cert, files.key, files.ca, files.p12]) {
    if (file === undefined) continue;
    out.push({ name: path.basename(file), contentBase64: (await fs.readFile(file)).toString('base64') });
  }
  return { files: out };
}

async function summaryOf(dataDir: string, name: string): Promise<ClientSummary> {
  const c = (await readClientsDoc(dataDir)).clients.find((x) => x.name === name);
  if (c === undefined) throw CallError.of('not_found', 'errors.clients.notFound', { name });
  return clientSummary(c, lastSeenByClient(dataDir).get(name) ?? null);
}

async function add(dataDir: string, args: AddClientArgs) {
  const name = field(checkClientName(args.name));
  const warnings: string[] = [];
  const access = accessOf(args, warnings);
  if (args.p12Passphrase !== undefined && args.certificate.kind !== 'issue') {
    throw CallError.of('bad_request', 'errors.clients.p12NotIssued');
  }
  await oneLine(() => checkNewName(dataDir, name));
  const source = args.certificate;
  let bundle: { files: BundleFile[] } | undefined;
  if (source.kind === 'issue') {
    bundle = await withTempDir(async (dir) => bundleOf((await oneLine(() => enrolClient(dataDir, name, dir, access, undefined, args.p12Passphrase))).files));
  } else if (source.kind === 'csr') {
    bundle = await withTempDir(async (dir) => bundleOf((await oneLine(() => signClientRequest(dataDir, name, source.csrPem, dir, access))).files));
  } else {
    const r = await oneLine(() => importClient(dataDir, name, { certPem: source.certPem }, access));
    warnings.push(...r.warnings);
  }
  return { client: await summaryOf(dataDir, name), ...(bundle === undefined ? {} : { bundle }), warnings };
}

export function clientsHandlers(deps: AdminDeps): AreaHandlers<typeof clientsCalls> {
  return {
    'clients.list': async () => {
      const dataDir = dataDirOf(deps);
      const doc = await oneLine(() => readClientsDoc(dataDir), 'internal');
      const seen = lastSeenByClient(dataDir);
      return { clients: doc.clients.map((c) => clientSummary(c, seen.get(c.name) ?? null)) };
    },
    'clients.add': (args) => add(dataDirOf(deps), args),
    'clients.update': async (args) => {
      const dataDir = dataDirOf(deps);
      const warnings: string[] = [];
      const change: ClientAccessChange = { ...accessOf(args, warnings), ...(args.enabled === undefined ? {} : { enabled: args.enabled }) };
      if (Object.keys(change).length === 0) throw CallError.of('bad_request', 'errors.clients.nothingToChange');
      await oneLine(() => updateClient(dataDir, args.name, change));
      return { client: await summaryOf(dataDir, args.name), warnings };
    },
    'clients.remove': async ({ name }) => {
      await oneLine(() => removeClient(dataDirOf(deps), name));
      return { name };
    },
    'clients.bundle': async ({ name, p12Passphrase }) => {
      const dataDir = dataDirOf(deps);
      const bundle = await withTempDir(async (dir) => {
        try {
          return await bundleOf((await reissueClientCert(dataDir, name, dir, p12Passphrase)).files);
        } catch (e) {
          throw callError(e);
        }
      });
      return { client: await summaryOf(dataDir, name), bundle };
    },
  };
}
