import fs from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { randomBytes, createPrivateKey, X509Certificate } from 'node:crypto';
import { createCa, type CaMaterial } from './ca.js';
import { issueServerCert, type ServerCertOptions } from './issue.js';
import type { KeySpec } from './keys.js';

export interface EnsurePkiOptions extends ServerCertOptions {
  /** Defaults to "Keyhold CA (<hostname>)". */
  caCommonName?: string;
  caValidityDays?: number;
  /** Key of a new CA; default RSA-3072. (`key` is the server certificate's.) */
  caKey?: KeySpec;
  serverValidityDays?: number;
}

export interface PkiFiles {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
}

export interface PkiState {
  files: PkiFiles;
  ca: CaMaterial;
  server: { certPem: string; keyPem: string };
  created: { ca: boolean; server: boolean };
}

export function pkiFiles(dataDir: string): PkiFiles {
  const dir = path.join(dataDir, 'pki');
  return {
    dir,
    caCert: path.join(dir, 'ca.crt'),
    caKey: path.join(dir, 'ca.key'),
    serverCert: path.join(dir, 'server.crt'),
    serverKey: path.join(dir, 'server.key'),
  };
}

// Windows has no POSIX mode bits: the 0600 rule is enforced on POSIX only.
const POSIX = process.platform !== 'win32';

/**
 * Write temp file + fsync + rename + fsync(dir): a crash leaves either the old
 * file or the complete new one, never a truncated key or certificate.
 */
export async function writeFileAtomic(file: string, data: string, mode: number): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await fs.open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    if (POSIX) await fh.chmod(mode); // umask may have cleared bits we want (e.g. 0644 for certs)
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  if (POSIX) {
    const dh = await fs.open(dir, 'r');
    try { await dh.sync(); } finally { await dh.close(); }
  }
}

async function exists(file: string): Promise<boolean> {
  try { await fs.lstat(file); return true; } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Reads a private key file, refusing one that group/others can access (0600 or stricter required). */
export async function readPrivateKeyFile(file: string): Promise<string> {
  const st = await fs.stat(file);
  if (!st.isFile()) throw new Error(`${file} is not a regular file`);
  if (POSIX && (st.mode & 0o077) !== 0) {
    throw new Error(
      `Refusing to use ${file}: its permissions are ${(st.mode & 0o777).toString(8).padStart(4, '0')}; ` +
      `a private key must be readable by its owner only (run: chmod 600 "${file}")`,
    );
  }
  return fs.readFile(file, 'utf8');
}

async function loadPair(certFile: string, keyFile: string): Promise<{ certPem: string; keyPem: string }> {
  const keyPem = await readPrivateKeyFile(keyFile);
  const certPem = await fs.readFile(certFile, 'utf8');
  let cert: X509Certificate;
  try { cert = new X509Certificate(certPem); } catch (e) {
    throw new Error(`${certFile} is not a readable certificate: ${(e as Error).message}`);
  }
  let matches: boolean;
  try { matches = cert.checkPrivateKey(createPrivateKey(keyPem)); } catch (e) {
    throw new Error(`${keyFile} is not a readable private key: ${(e as Error).message}`);
  }
  if (!matches) throw new Error(`${keyFile} does not match ${certFile} (different key pair)`);
  return { certPem, keyPem };
}

/**
 * First start: creates the CA and a server certificate under DATA_DIR/pki.
 * Later starts: loads and checks them. A half-present CA (key without
 * certificate or the reverse) is refused rather than replaced: replacing it
 * would silently invalidate every enrolled client. A missing server pair is
 * simply re-issued from the CA, since nothing else depends on it.
 */
export async function ensurePki(dataDir: string, opts: EnsurePkiOptions = {}): Promise<PkiState> {
  const files = pkiFiles(dataDir);
  await fs.mkdir(files.dir, { recursive: true, mode: 0o700 });
  const created = { ca: false, server: false };

  const [caCrt, caKey] = [await exists(files.caCert), await exists(files.caKey)];
  let ca: CaMaterial;
  if (!caCrt && !caKey) {
    ca = await createCa({
      commonName: opts.caCommonName ?? `Keyhold CA (${os.hostname()})`.slice(0, 64),
      validityDays: opts.caValidityDays ?? 3650,
      ...(opts.caKey ? { key: opts.caKey } : {}),
    });
    // Key first: a crash between the renames leaves an orphan key (refused, recoverable), never a cert without key.
    await writeFileAtomic(files.caKey, ca.keyPem, 0o600);
    await writeFileAtomic(files.caCert, ca.certPem, 0o644);
    created.ca = true;
  } else if (caCrt !== caKey) {
    const [have, missing] = caCrt ? [files.caCert, files.caKey] : [files.caKey, files.caCert];
    throw new Error(
      `Incomplete internal CA: ${have} exists but ${missing} is missing. Restore ${missing}, ` +
      `or move both away to create a new CA (every client certificate will then have to be re-issued).`,
    );
  } else {
    ca = await loadPair(files.caCert, files.caKey);
    if (!new X509Certificate(ca.certPem).ca) throw new Error(`${files.caCert} is not a CA certificate`);
  }

  const [srvCrt, srvKey] = [await exists(files.serverCert), await exists(files.serverKey)];
  let server: { certPem: string; keyPem: string };
  if (created.ca || !srvCrt || !srvKey) {
    const issued = await issueServerCert(ca, { ...opts, validityDays: opts.serverValidityDays ?? opts.validityDays ?? 825 });
    await writeFileAtomic(files.serverKey, issued.keyPem, 0o600);
    await writeFileAtomic(files.serverCert, issued.certPem, 0o644);
    server = { certPem: issued.certPem, keyPem: issued.keyPem };
    created.server = true;
  } else {
    server = await loadPair(files.serverCert, files.serverKey);
    const caX = new X509Certificate(ca.certPem);
    const srvX = new X509Certificate(server.certPem);
    if (!srvX.checkIssued(caX) || !srvX.verify(caX.publicKey)) {
      throw new Error(`${files.serverCert} was not issued by ${files.caCert}; remove server.crt and server.key to re-issue it`);
    }
  }
  return { files, ca, server, created };
}
