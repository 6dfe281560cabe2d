import fs from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { randomBytes, createPrivateKey, X509Certificate } from 'node:crypto';
import { createCa, type CaMaterial } from './ca.js';
import { issueServerCert, type ServerCertOptions } from './issue.js';
import type { KeySpec } from './keys.js';
import { checkCertificate, firstProblem } from './checks.js';

export interface EnsurePkiOptions extends ServerCertOptions {
  /** Defaults to "Keyhold CA (<hostname>)". */
  caCommonName?: string;
  caValidityDays?: number;
  /** Key of a new CA; default RSA-3072. (`key` is the server certificate's.) */
  caKey?: KeySpec;
  serverValidityDays?: number;
  /**
   * Read what is there and write nothing: no CA or server certificate is
   * created and no staged install is completed or discarded. For readers
   * (the running server's certificate poll, `status`, `cert show`), which
   * must never race a writer that is staging files.
   */
  readOnly?: boolean;
}

export interface PkiFiles {
  dir: string;
  caCert: string;
  caKey: string;
  /** The server certificate followed by its intermediates (what the server sends). */
  serverCert: string;
  serverKey: string;
  /** Present only when the server certificate comes from another CA: the root clients must trust. */
  serverCa: string;
  /** A key waiting for the certificate a CA will sign from its CSR (`keyhold cert csr`). */
  pendingKey: string;
  pendingCsr: string;
}

export interface PkiState {
  files: PkiFiles;
  ca: CaMaterial;
  server: { certPem: string; keyPem: string };
  /** The root of a server certificate from another CA (server-ca.crt), else null: the internal CA issued it. */
  serverCaPem: string | null;
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
    serverCa: path.join(dir, 'server-ca.crt'),
    pendingKey: path.join(dir, 'pending.key'),
    pendingCsr: path.join(dir, 'pending.csr'),
  };
}

// Windows has no POSIX mode bits: the 0600 rule is enforced on POSIX only.
const POSIX = process.platform !== 'win32';

/**
 * Write temp file + fsync + rename + fsync(dir): a crash leaves either the old
 * file or the complete new one, never a truncated key or certificate.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode: number): Promise<void> {
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

  if (opts.readOnly !== true) await finishCaInstall(files);
  const [caCrt, caKey] = [await exists(files.caCert), await exists(files.caKey)];
  let ca: CaMaterial;
  if (opts.readOnly === true && !(caCrt && caKey)) throw new Error(`no complete internal CA in ${files.dir} (it is created when the server first starts)`);
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

  if (opts.readOnly !== true) await finishServerInstall(files);
  const [srvCrt, srvKey] = [await exists(files.serverCert), await exists(files.serverKey)];
  if (opts.readOnly === true && !(srvCrt && srvKey)) throw new Error(`no server certificate and key in ${files.dir}`);
  let server: { certPem: string; keyPem: string };
  let serverCaPem: string | null = null;
  if (created.ca || !srvCrt || !srvKey) {
    const issued = await issueServerCert(ca, { ...opts, validityDays: opts.serverValidityDays ?? opts.validityDays ?? 825 });
    await installServerPair(files, issued.keyPem, issued.certPem, null);
    server = { certPem: issued.certPem, keyPem: issued.keyPem };
    created.server = true;
  } else {
    server = await loadPair(files.serverCert, files.serverKey);
    serverCaPem = (await exists(files.serverCa)) ? await fs.readFile(files.serverCa, 'utf8') : null;
    // Every check that makes a certificate unusable stops the start, with the sentence that says how to fix it.
    const problem = firstProblem(checkCertificate({ role: 'server', certPem: server.certPem, keyPem: server.keyPem, trustedCaPems: [serverCaPem ?? ca.certPem] }));
    if (problem !== null) throw new Error(`${files.serverCert}: ${problem}`);
  }
  return { files, ca, server, serverCaPem, created };
}

/**
 * Replaces the server key and certificate (and server-ca.crt: written when
 * given, removed when null) so that a crash at any point leaves either the
 * old pair or the new one: both are staged as *.next files first, the
 * certificate last, and finishServerInstall completes a staged install.
 */
export async function installServerPair(files: PkiFiles, keyPem: string, certPem: string, serverCaPem: string | null): Promise<void> {
  const next = (f: string) => `${f}.next`;
  await writeFileAtomic(next(files.serverKey), keyPem, 0o600);
  // Empty: "no server-ca.crt" (the internal CA issued the certificate).
  await writeFileAtomic(next(files.serverCa), serverCaPem ?? '', 0o644);
  // Written last: its presence means the whole set is staged.
  await writeFileAtomic(next(files.serverCert), certPem, 0o644);
  await finishServerInstall(files);
}

/** Completes a staged install (see installServerPair), or discards an incomplete one. */
export async function finishServerInstall(files: PkiFiles): Promise<void> {
  const next = (f: string) => `${f}.next`;
  if (!(await exists(next(files.serverCert)))) {
    await fs.rm(next(files.serverKey), { force: true });
    await fs.rm(next(files.serverCa), { force: true });
    return;
  }
  if (await exists(next(files.serverKey))) await renameIfThere(next(files.serverKey), files.serverKey);
  if (await exists(next(files.serverCa))) {
    if ((await fs.readFile(next(files.serverCa), 'utf8')) === '') {
      await fs.rm(files.serverCa, { force: true });
      await fs.rm(next(files.serverCa), { force: true });
    } else await renameIfThere(next(files.serverCa), files.serverCa);
  }
  await renameIfThere(next(files.serverCert), files.serverCert);
}

/** Replaces the internal CA's key and certificate, staged like installServerPair (a crash leaves the old pair or the new one). */
export async function installCaPair(files: PkiFiles, keyPem: string, certPem: string): Promise<void> {
  await writeFileAtomic(`${files.caKey}.next`, keyPem, 0o600);
  await writeFileAtomic(`${files.caCert}.next`, certPem, 0o644);
  await finishCaInstall(files);
}

async function finishCaInstall(files: PkiFiles): Promise<void> {
  if (!(await exists(`${files.caCert}.next`))) {
    await fs.rm(`${files.caKey}.next`, { force: true });
    return;
  }
  if (await exists(`${files.caKey}.next`)) await renameIfThere(`${files.caKey}.next`, files.caKey);
  await renameIfThere(`${files.caCert}.next`, files.caCert);
}

/** A rename another process may have done first (two writers completing the same staged install). */
async function renameIfThere(from: string, to: string): Promise<void> {
  try {
    await fs.rename(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
