// Certificate rotation without downtime: the running server polls the files
// in DIR/pki and, when the server certificate, its key, its CA or the
// internal CA changed and the new set passes the checks, serves new
// connections with it (tls-listener replaceCredentials); open connections
// keep theirs. A set that fails (half-written, or a key that does not match
// yet) keeps the running one: installServerPair stages the files so the next
// poll sees the complete set. Each change is logged and audited.
import fs from 'node:fs';
import { ensurePki, fingerprintOf, inspectCertificate, pkiFiles } from '../pki/index.js';
import type { TlsCredentials } from './tls-listener.js';

export interface PkiWatch {
  close(): void;
}

export function watchPki(
  dataDir: string,
  apply: (creds: TlsCredentials) => void,
  report: { changed(message: string, fingerprint: string): void; failed(message: string): void },
  pollMs = 500,
): PkiWatch {
  const files = pkiFiles(dataDir);
  const watched = [files.serverCert, files.serverKey, files.serverCa, files.caCert];
  const stamp = () => watched.map((f) => {
    try {
      const st = fs.statSync(f, { bigint: true });
      return `${st.ino}:${st.size}:${st.mtimeNs}`;
    } catch { return '-'; }
  }).join('|');
  let last = stamp();
  let lastFailure = '';
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    const now = stamp();
    if (now === last) return;
    busy = true;
    ensurePki(dataDir, { readOnly: true })
      .then((pki) => {
        last = now;
        lastFailure = '';
        apply({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, caCertPem: pki.ca.certPem });
        const info = inspectCertificate(pki.server.certPem);
        report.changed(`server certificate "${info.subject.replace(/\n/g, ', ')}" (valid until ${info.notAfter.slice(0, 10)}) serves new connections`, fingerprintOf(pki.server.certPem));
      })
      .catch((e: unknown) => {
        // Reported once per distinct problem; retried at the next poll (a staged install may still be completing).
        const message = (e as Error).message;
        if (message !== lastFailure) report.failed(message);
        lastFailure = message;
      })
      .finally(() => { busy = false; });
  }, pollMs);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
