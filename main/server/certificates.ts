// The server certificate, three ways (issue 5): issued by Keyhold's internal
// CA with chosen names and key type; a CSR whose key never leaves the data
// dir, then the signed certificate imported when it comes back; or a
// certificate and key made elsewhere (PEM or PKCS#12). Every certificate is
// checked before it is installed (main/pki/checks.ts); the first error stops
// the change with its one-sentence explanation, warnings are returned.
//
// These work on the files in DIR/pki whether or not a server runs: a running
// server watches them (pki-watch.ts) and serves new connections with the new
// certificate within a second, without dropping open ones.
import fs from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import {
  checkCertificate, createCsr, ensurePki, firstProblem, importPkcs12, inspectCertificate, issueServerCert, pkiFiles,
  readPrivateKeyFile, writeFileAtomic, type CertificateCheck, type CertificateInfo, type KeySpec,
} from '../pki/index.js';
import { installCaPair, installServerPair } from '../pki/store-files.js';
import { readClientsDoc } from './clients.js';
import { createCa, type CaMaterial } from '../pki/index.js';

export interface ServerCertSpec {
  commonName?: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  key?: KeySpec;
  validityDays?: number;
}

/** "rsa-3072", "ec-p256"… as the CLI takes them. */
export function parseKeySpec(text: string): KeySpec {
  const m = /^(rsa)-(2048|3072|4096)$|^(ec)-p(256|384)$/i.exec(text.trim());
  if (m === null) throw new Error(`key type must be rsa-2048, rsa-3072, rsa-4096, ec-p256 or ec-p384, not "${text}"`);
  return m[1] !== undefined ? { type: 'rsa', bits: Number(m[2]) as 2048 | 3072 | 4096 } : { type: 'ec', curve: m[4] === '256' ? 'P-256' : 'P-384' };
}

const errorsOf = (checks: CertificateCheck[]) => checks.filter((c) => !c.ok && c.severity === 'error');
const warningsOf = (checks: CertificateCheck[]) => checks.filter((c) => !c.ok && c.severity === 'warning').map((c) => c.message);

export interface Installed {
  info: CertificateInfo;
  warnings: string[];
}

/** A new server certificate from the internal CA, with exactly the names given (at least one). */
/** Steps of making a server key and certificate, for a progress display (generation has no measurable fraction). */
export type CertStage = 'generate-key' | 'sign' | 'save';

export async function issueInternalServerCert(dataDir: string, spec: ServerCertSpec, onStage?: (stage: CertStage) => void): Promise<Installed> {
  if ((spec.dnsNames?.length ?? 0) + (spec.ipAddresses?.length ?? 0) === 0) throw new Error('give the host names (--dns) and/or IP addresses (--ip) clients will use to reach the server');
  const pki = await ensurePki(dataDir);
  const issued = await issueServerCert(pki.ca, {
    includeMachineNames: false,
    ...(spec.commonName === undefined ? {} : { commonName: spec.commonName }),
    dnsNames: spec.dnsNames ?? [],
    ipAddresses: spec.ipAddresses ?? [],
    ...(spec.key === undefined ? {} : { key: spec.key }),
    validityDays: spec.validityDays ?? 825,
    ...(onStage === undefined ? {} : { onStage }),
  });
  const checks = checkCertificate({ role: 'server', certPem: issued.certPem, keyPem: issued.keyPem, trustedCaPems: [pki.ca.certPem], names: [...(spec.dnsNames ?? []), ...(spec.ipAddresses ?? [])] });
  const problem = firstProblem(checks);
  if (problem !== null) throw new Error(problem);
  onStage?.('save');
  await installServerPair(pki.files, issued.keyPem, issued.certPem, null);
  return { info: inspectCertificate(issued.certPem), warnings: warningsOf(checks) };
}

/** A CSR for another CA; its key waits in DIR/pki/pending.key until the signed certificate is imported. */
export async function createServerCsr(dataDir: string, spec: ServerCertSpec, onStage?: (stage: CertStage) => void): Promise<{ csrPem: string }> {
  if ((spec.dnsNames?.length ?? 0) + (spec.ipAddresses?.length ?? 0) === 0) throw new Error('give the host names (--dns) and/or IP addresses (--ip) clients will use to reach the server');
  const files = pkiFiles(dataDir);
  await ensurePki(dataDir);
  const { csrPem, keyPem } = await createCsr({
    commonName: spec.commonName ?? spec.dnsNames?.[0] ?? spec.ipAddresses![0]!,
    dnsNames: spec.dnsNames ?? [],
    ipAddresses: spec.ipAddresses ?? [],
    key: spec.key ?? { type: 'rsa', bits: 3072 },
    ...(onStage === undefined ? {} : { onStage }),
  });
  onStage?.('save');
  await writeFileAtomic(files.pendingKey, keyPem, 0o600);
  await writeFileAtomic(files.pendingCsr, csrPem, 0o644);
  return { csrPem };
}

export interface ImportServerCert {
  /** The certificate, optionally followed by its chain (PEM). */
  certPem?: string;
  /** Its key (PEM); absent: the key of the last `cert csr`. */
  keyPem?: string;
  /** The issuing CA's chain up to its root (PEM), if not already after the certificate. */
  chainPem?: string;
  pkcs12?: { data: Buffer; passphrase: string };
  /** Names clients will use, checked against the certificate's SANs. */
  names?: string[];
}

function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

const selfSigned = (pem: string) => {
  const x = new X509Certificate(pem);
  return x.checkIssued(x) && x.verify(x.publicKey);
};

/**
 * Installs a server certificate made elsewhere: the key is the one given, or
 * the CSR's pending key. The chain is split into what the server sends (the
 * certificate and its intermediates) and the root clients trust (server-ca.crt;
 * Keyhold's own CA when it issued the certificate).
 */
export async function importServerCert(dataDir: string, input: ImportServerCert): Promise<Installed> {
  const pki = await ensurePki(dataDir);
  const files = pki.files;
  let certs: string[];
  let keyPem: string | undefined = input.keyPem;
  if (input.pkcs12 !== undefined) {
    const p12 = importPkcs12(input.pkcs12.data, input.pkcs12.passphrase);
    certs = [p12.certPem, ...p12.chainPems];
    keyPem = p12.keyPem;
  } else {
    certs = splitPem(input.certPem ?? '');
    if (certs.length === 0) throw new Error('the certificate file holds no PEM certificate ("-----BEGIN CERTIFICATE-----")');
  }
  certs.push(...splitPem(input.chainPem ?? ''));
  let fromCsr = false;
  if (keyPem === undefined) {
    try {
      keyPem = await readPrivateKeyFile(files.pendingKey);
      fromCsr = true;
    } catch {
      throw new Error('no key was given and no CSR is waiting for its certificate; give --key FILE, or use a PKCS#12 file');
    }
  }
  const [leaf, ...rest] = certs;
  const root = rest.find(selfSigned);
  const intermediates = rest.filter((c) => !selfSigned(c));
  const internal = new X509Certificate(leaf!).checkIssued(new X509Certificate(pki.ca.certPem));
  const trusted = internal ? pki.ca.certPem : root;
  if (trusted === undefined) {
    throw new Error("the certificate's chain does not reach a root CA: add the issuing CA's certificates, up to and including its root, with --chain FILE");
  }
  const certPem = [leaf!, ...intermediates].join('\n') + '\n';
  const checks = checkCertificate({ role: 'server', certPem, keyPem, trustedCaPems: [trusted], ...(input.names === undefined ? {} : { names: input.names }) });
  const errors = errorsOf(checks);
  if (errors.length > 0) {
    if (fromCsr && errors.some((c) => c.id === 'key-match')) throw new Error('this certificate was not made from the last `keyhold cert csr` (its key does not match); import the certificate the CA issued for that request, or give --key FILE');
    throw new Error(errors[0]!.message);
  }
  await installServerPair(files, keyPem, certPem, internal ? null : trusted);
  if (fromCsr) {
    await fs.rm(files.pendingKey, { force: true });
    await fs.rm(files.pendingCsr, { force: true });
  }
  return { info: inspectCertificate(leaf!), warnings: warningsOf(checks) };
}

export interface CertificateReport {
  server: CertificateInfo;
  /** Intermediates the server sends after its certificate. */
  intermediates: CertificateInfo[];
  /** The CA clients must trust for the server certificate. */
  serverCa: CertificateInfo;
  /** Keyhold's internal CA (it signs client certificates). */
  internalCa: CertificateInfo;
  checks: CertificateCheck[];
  /** A CSR is waiting for its signed certificate. */
  pendingCsr: boolean;
}

/** What `keyhold cert show` prints: the certificates in use and every check, with names clients use if given. */
export async function certificateReport(dataDir: string, names?: string[]): Promise<CertificateReport> {
  const pki = await ensurePki(dataDir, { readOnly: true });
  const [leaf, ...intermediates] = splitPem(pki.server.certPem);
  const serverCaPem = pki.serverCaPem ?? pki.ca.certPem;
  const checks = checkCertificate({ role: 'server', certPem: pki.server.certPem, keyPem: pki.server.keyPem, trustedCaPems: [serverCaPem], ...(names === undefined ? {} : { names }) });
  let pendingCsr = false;
  try { await fs.access(pki.files.pendingCsr); pendingCsr = true; } catch { /* none */ }
  return {
    server: inspectCertificate(leaf!),
    intermediates: intermediates.map(inspectCertificate),
    serverCa: inspectCertificate(serverCaPem),
    internalCa: inspectCertificate(pki.ca.certPem),
    checks,
    pendingCsr,
  };
}

/** The CA certificate clients must trust to verify the server (PEM). */
export async function serverTrustPem(dataDir: string): Promise<string> {
  const pki = await ensurePki(dataDir, { readOnly: true });
  return pki.serverCaPem ?? pki.ca.certPem;
}

/**
 * Replaces Keyhold's internal CA: a new one (RSA-3072 or EC P-384…) or an
 * existing CA's certificate and key. A server certificate the old CA issued
 * is re-issued from the new one for the same names. Clients already
 * registered keep working (they are recognised by their pinned certificate),
 * but every client must be given the new CA to verify the server.
 */
export async function replaceInternalCa(dataDir: string, next: { create: { key?: KeySpec; commonName?: string; validityDays?: number } } | { ca: CaMaterial }): Promise<{ info: CertificateInfo; serverReissued: boolean; warnings: string[] }> {
  const pki = await ensurePki(dataDir);
  const ca = 'ca' in next
    ? next.ca
    : await createCa({ commonName: next.create.commonName ?? inspectCertificate(pki.ca.certPem).commonName ?? 'Keyhold CA', ...(next.create.key ? { key: next.create.key } : {}), ...(next.create.validityDays ? { validityDays: next.create.validityDays } : {}) });
  const checks = checkCertificate({ role: 'ca', certPem: ca.certPem, keyPem: ca.keyPem, trustedCaPems: [ca.certPem] });
  const newFingerprint = new X509Certificate(ca.certPem).fingerprint256.replace(/:/g, '').toLowerCase();
  const clash = (await readClientsDoc(dataDir)).clients.find((c) => c.ca?.fingerprint === newFingerprint);
  if (clash !== undefined) throw new Error(`client "${clash.name}" is recognised by this CA's certificates; Keyhold's own CA cannot also be a client CA (change that client first)`);
  const problem = firstProblem(checks);
  if (problem !== null) throw new Error(problem);
  const serverReissued = pki.serverCaPem === null;
  let server: { keyPem: string; certPem: string } | undefined;
  if (serverReissued) {
    const now = inspectCertificate(pki.server.certPem);
    const issued = await issueServerCert(ca, {
      includeMachineNames: false,
      ...(now.commonName === null ? {} : { commonName: now.commonName }),
      dnsNames: now.dnsNames,
      ipAddresses: now.ipAddresses,
      key: now.publicKey.type === 'ec' ? { type: 'ec', curve: now.publicKey.curve === 'prime256v1' || now.publicKey.curve === 'P-256' ? 'P-256' : 'P-384' } : { type: 'rsa', bits: (now.publicKey.bits === 2048 || now.publicKey.bits === 4096 ? now.publicKey.bits : 3072) },
    });
    server = { keyPem: issued.keyPem, certPem: issued.certPem };
  }
  // Two staged installs, not one: a crash between them leaves the new CA with the old server
  // certificate, which the next start refuses with "the chain is incomplete"; `keyhold cert
  // selfsigned` then issues the server certificate from the new CA. Nothing else is lost.
  await installCaPair(pki.files, ca.keyPem, ca.certPem);
  if (server !== undefined) await installServerPair(pki.files, server.keyPem, server.certPem, null);
  return { info: inspectCertificate(ca.certPem), serverReissued, warnings: warningsOf(checks) };
}
