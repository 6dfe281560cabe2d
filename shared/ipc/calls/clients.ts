// Registered KMIP clients (DIR/clients.json): list, add with a certificate
// issued, signed from the client's CSR or imported, change, disable, remove,
// and a new certificate bundle. The bundle is the one result that carries key
// material: the operator asked to download it.
import { call } from '../spec.js';
import { array, boolean, noArgs, object, oneOf, optional, string, type NoArgs, type Validator } from '../validate.js';
import { CLIENT_NAME_PATTERN } from '../../forms/fields.js';

export interface ClientSummary {
  name: string;
  description: string;
  /** The client's IP allow-list (empty: any address the server-wide list allows). */
  addresses: string[];
  /** The grants as the CLI shows them, e.g. "query:all,get:own,use:own". */
  permissions: string;
  groups: string[];
  enabled: boolean;
  /** The pinned certificate; null for a client recognised by a client CA alone. */
  certificate: { fingerprint: string; notAfter: string | null; imported: boolean } | null;
  /** A trusted client CA and subject pattern ("CN=Corp CA: CN=esx-*"), or null. */
  clientCa: string | null;
  /** Newest connection or request of this client among the newest 20,000 audit records; null when none is there. */
  lastSeen: string | null;
}

export interface BundleFile {
  /** NAME.crt, NAME.key, ca.crt, NAME.p12: as `keyhold client add --out` writes them. */
  name: string;
  contentBase64: string;
}
export interface ClientBundle {
  files: BundleFile[];
}

export type ClientCertificateSource = { kind: 'issue' } | { kind: 'csr'; csrPem: string } | { kind: 'import'; certPem: string };

export interface AddClientArgs {
  name: string;
  description?: string;
  addresses: string[];
  /** The CLI's permissions text; "none" for no grants. */
  permissions: string;
  groups?: string[];
  certificate: ClientCertificateSource;
  /** With kind 'issue': also a NAME.p12 under this passphrase (at least 8 characters). */
  p12Passphrase?: string;
}

export interface AddClientResult {
  client: ClientSummary;
  bundle?: ClientBundle;
  /** Wide address ranges and other things the operator should know; the change was made. */
  warnings: string[];
}

export interface UpdateClientArgs {
  name: string;
  description?: string;
  addresses?: string[];
  permissions?: string;
  groups?: string[];
  enabled?: boolean;
}

const name = string({ minLength: 1, maxLength: 64, pattern: CLIENT_NAME_PATTERN });
const description = string({ maxLength: 200 });
const addresses = array(string({ maxLength: 100 }), { maxLength: 1000 });
const permissions = string({ maxLength: 2000 });
const groups = array(string({ minLength: 1, maxLength: 64, pattern: /^[A-Za-z0-9._-]+$/ }), { maxLength: 100 });
const pem = string({ minLength: 1, maxLength: 64 * 1024 });
const p12Passphrase = string({ minLength: 8, maxLength: 1024 });

/** One of the three ways to give a client its certificate, told apart by `kind`. */
const certificateSource: Validator<ClientCertificateSource> = (value, path = 'args') => {
  const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
  if (kind === 'issue') return object({ kind: oneOf('issue') })(value, path) as ReturnType<Validator<ClientCertificateSource>>;
  if (kind === 'csr') return object({ kind: oneOf('csr'), csrPem: pem })(value, path) as ReturnType<Validator<ClientCertificateSource>>;
  if (kind === 'import') return object({ kind: oneOf('import'), certPem: pem })(value, path) as ReturnType<Validator<ClientCertificateSource>>;
  return { ok: false, message: `${path}.kind: expected one of "issue", "csr", "import"` };
};

export const clientsCalls = {
  'clients.list': call<NoArgs, { clients: ClientSummary[] }>(noArgs),
  'clients.add': call<AddClientArgs, AddClientResult>(
    object({ name, description: optional(description), addresses, permissions, groups: optional(groups), certificate: certificateSource, p12Passphrase: optional(p12Passphrase) }),
  ),
  'clients.update': call<UpdateClientArgs, { client: ClientSummary; warnings: string[] }>(
    object({ name, description: optional(description), addresses: optional(addresses), permissions: optional(permissions), groups: optional(groups), enabled: optional(boolean) }),
  ),
  'clients.remove': call<{ name: string }, { name: string }>(object({ name })),
  /** A new certificate and key (like `keyhold client cert`): the previous certificate is refused from then on. */
  'clients.bundle': call<{ name: string; p12Passphrase?: string }, { client: ClientSummary; bundle: ClientBundle }>(object({ name, p12Passphrase: optional(p12Passphrase) })),
} as const;

export const clientsEvents = {} as const;
