// Client certificates beyond `client add --out`: a new certificate for a
// registered client (renewal, or revoking a lost one: the old one is refused
// from the moment the new fingerprint is pinned), a certificate signed from
// the client's own CSR (vCenter's "KMS certificate signing request", Synology
// DSM, NetApp: the key never leaves the client), and PKCS#12 bundles for
// clients that import one file.
import fs from 'node:fs/promises';
import path from 'node:path';
import { ensurePki, exportPkcs12, inspectCertificate, issueClientCert, readCsr, signClientCsr, validateClientName, writeFileAtomic } from '../pki/index.js';
import { addClient, readClientsDoc, updateClient, type ClientAccessChange } from './clients.js';

export interface ClientFiles {
  cert: string;
  key?: string;
  ca: string;
  p12?: string;
}

/** Writes NAME.crt, ca.crt, and with a key NAME.key (0600), and with a passphrase NAME.p12 (0600). */
export async function writeBundle(outDir: string, name: string, certPem: string, caPem: string, keyPem?: string, p12Passphrase?: string): Promise<ClientFiles> {
  await fs.mkdir(outDir, { recursive: true, mode: 0o700 });
  const files: ClientFiles = { cert: path.join(outDir, `${name}.crt`), ca: path.join(outDir, 'ca.crt') };
  if (keyPem !== undefined) {
    files.key = path.join(outDir, `${name}.key`);
    await writeFileAtomic(files.key, keyPem, 0o600);
  }
  await writeFileAtomic(files.cert, certPem, 0o644);
  await writeFileAtomic(files.ca, caPem, 0o644);
  if (p12Passphrase !== undefined && keyPem !== undefined) {
    files.p12 = path.join(outDir, `${name}.p12`);
    const p12 = exportPkcs12({ keyPem, certPem, chainPems: [caPem], passphrase: p12Passphrase, friendlyName: name });
    await writeFileAtomic(files.p12, p12, 0o600);
  }
  return files;
}

/** A new certificate and key for a registered client; its previous certificate is refused from now on. */
export async function reissueClientCert(dataDir: string, name: string, outDir: string, p12Passphrase?: string): Promise<{ fingerprint: string; files: ClientFiles }> {
  const doc = await readClientsDoc(dataDir);
  const c = doc.clients.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no client named "${name}" is registered`);
  const pki = await ensurePki(dataDir);
  const issued = await issueClientCert(pki.ca, { name });
  const files = await writeBundle(outDir, name, issued.certPem, pki.ca.certPem, issued.keyPem, p12Passphrase);
  await updateClient(dataDir, name, { certificate: { fingerprint: issued.fingerprint, imported: false, expires: inspectCertificate(issued.certPem).notAfter } });
  return { fingerprint: issued.fingerprint, files };
}

/**
 * Signs the client's CSR with the internal CA and pins the result: a new
 * client is registered with `access`, a registered one gets its certificate
 * replaced (the old one is refused from then on).
 */
export async function signClientRequest(dataDir: string, name: string, csrPem: string, outDir: string, access: ClientAccessChange = {}): Promise<{ fingerprint: string; files: ClientFiles; registered: boolean }> {
  validateClientName(name);
  const csr = readCsr(csrPem);
  if (!csr.signatureValid) throw new Error('the CSR signature does not verify: the request was altered or damaged; ask the client for a new one');
  const doc = await readClientsDoc(dataDir);
  const existing = doc.clients.find((x) => x.name === name);
  if (existing === undefined && doc.retired.includes(name)) throw new Error(`"${name}" belonged to a removed client whose objects still carry that name; choose another name`);
  const pki = await ensurePki(dataDir);
  const signed = signClientCsr(pki.ca, csrPem, { name });
  const files = await writeBundle(outDir, name, signed.certPem, pki.ca.certPem);
  const expires = inspectCertificate(signed.certPem).notAfter;
  if (existing === undefined) await addClient(dataDir, name, { fingerprint: signed.fingerprint, certificateExpires: expires }, access);
  else await updateClient(dataDir, name, { certificate: { fingerprint: signed.fingerprint, imported: false, expires } });
  return { fingerprint: signed.fingerprint, files, registered: existing === undefined };
}
