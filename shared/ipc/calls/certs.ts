// The server certificate (issue 5's three ways): issued by Keyhold's internal
// CA, a CSR for an enterprise CA and the import of what it signs, or a
// certificate and key / PKCS#12 made elsewhere; the checks `keyhold cert show`
// prints; and the CA certificate clients must trust. No private key ever
// leaves: the CSR's key waits in DIR/pki.
import { call } from '../spec.js';
import { array, integer, noArgs, object, oneOf, optional, string, type NoArgs, type Validator } from '../validate.js';
import { progressId } from './progress.js';

/** A certificate as main/pki/inspect.ts describes it: never a key. */
export interface CertInfo {
  subject: string;
  commonName: string | null;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  dnsNames: string[];
  ipAddresses: string[];
  keyUsage: string[];
  extendedKeyUsage: string[];
  fingerprintSha256: string;
  isCA: boolean;
  selfSigned: boolean;
  publicKey: { type: string; bits: number | null; curve: string | null };
}

export interface CertCheck {
  /** readable, expired, expires-soon, key-match, chain, san, key-strength … (main/pki/checks.ts). */
  id: string;
  ok: boolean;
  severity: 'error' | 'warning';
  message: string;
}

export interface CertReport {
  server: CertInfo;
  /** Intermediates the server sends after its certificate. */
  intermediates: CertInfo[];
  /** The CA clients must trust for the server certificate. */
  serverCa: CertInfo;
  /** Keyhold's internal CA (it signs client certificates). */
  internalCa: CertInfo;
  checks: CertCheck[];
  /** A CSR is waiting for its signed certificate. */
  pendingCsr: boolean;
}

export const KEY_TYPES = ['rsa-2048', 'rsa-3072', 'rsa-4096', 'ec-p256', 'ec-p384'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export interface ServerCertArgs {
  /** Host names clients use to reach the server. */
  dns: string[];
  /** IP addresses clients use. At least one name or address in all. */
  ip: string[];
  cn?: string;
  key: KeyType;
  /** Validity in days (1 to 825: what browsers and most KMIP clients accept). */
  days: number;
  /** Asks for `progress.update` events (operation keygen) with this id while the key is made. */
  progressId?: string;
}

export type ImportCertArgs = { certPem: string; keyPem?: string; chainPem?: string } | { pkcs12Base64: string; passphrase: string };

/** After a change: the new state with every check, and the warnings of the change (the certificate was installed). */
export interface CertChange {
  report: CertReport;
  warnings: string[];
}

const names = array(string({ minLength: 1, maxLength: 253 }), { maxLength: 100 });
const addrs = array(string({ minLength: 1, maxLength: 45 }), { maxLength: 100 });
const cn = string({ minLength: 1, maxLength: 64 });
const key = oneOf(...KEY_TYPES);
const pem = string({ minLength: 1, maxLength: 256 * 1024 });

const importArgs: Validator<ImportCertArgs> = (value, path = 'args') =>
  typeof value === 'object' && value !== null && Object.hasOwn(value, 'pkcs12Base64')
    ? object({ pkcs12Base64: string({ minLength: 1, maxLength: 512 * 1024, pattern: /^[A-Za-z0-9+/]+={0,2}$/ }), passphrase: string({ maxLength: 1024 }) })(value, path)
    : object({ certPem: pem, keyPem: optional(pem), chainPem: optional(pem) })(value, path);

export const certsCalls = {
  'certs.report': call<NoArgs, CertReport>(noArgs),
  /** A new server certificate from the internal CA with exactly these names; RSA-4096 takes seconds. */
  'certs.selfSigned': call<ServerCertArgs, CertChange>(object({ dns: names, ip: addrs, cn: optional(cn), key, days: integer({ min: 1, max: 825 }), progressId: optional(progressId) })),
  /** A CSR for another CA; its key stays in DIR/pki until certs.import installs the signed certificate. */
  'certs.csr': call<Omit<ServerCertArgs, 'days'> & { days?: number }, { csrPem: string }>(
    object({ dns: names, ip: addrs, cn: optional(cn), key, days: optional(integer({ min: 1, max: 825 })), progressId: optional(progressId) }),
  ),
  /** Installs a certificate made elsewhere: with its key, without (the CSR's key), or a PKCS#12 file. Checked first; a failure changes nothing. */
  'certs.import': call<ImportCertArgs, CertChange>(importArgs),
  /** The CA certificate clients must trust to verify this server (PEM). */
  'certs.exportCa': call<NoArgs, { pem: string }>(noArgs),
} as const;

export const certsEvents = {} as const;
