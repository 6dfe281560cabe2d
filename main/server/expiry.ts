// Certificates that expire soon (issue 5): the server certificate, the CA
// clients trust for it, Keyhold's internal CA and the clients' pinned
// certificates (clients.json records when each expires) and client CAs. An
// expired server certificate stops every client at once; warning 30 days
// ahead leaves time to renew. `keyhold status` shows these, and the running
// server records them in the audit log at start and once a day.
import { ensurePki, inspectCertificate } from '../pki/index.js';
import { readClientsDoc } from './clients.js';

export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

export interface ExpiryWarning {
  what: string;
  notAfter: string;
  /** Negative: already expired. */
  daysLeft: number;
  message: string;
}

function warning(what: string, notAfter: string, now: Date): ExpiryWarning | undefined {
  const daysLeft = Math.floor((Date.parse(notAfter) - now.getTime()) / DAY_MS);
  if (daysLeft > EXPIRY_WARNING_DAYS) return undefined;
  const when = notAfter.slice(0, 10);
  const message = daysLeft < 0 ? `${what} expired on ${when}` : `${what} expires on ${when} (in ${daysLeft} day${daysLeft === 1 ? '' : 's'})`;
  return { what, notAfter, daysLeft, message };
}

export async function expiryWarnings(dataDir: string, now = new Date()): Promise<ExpiryWarning[]> {
  const pki = await ensurePki(dataDir, { readOnly: true });
  const out: (ExpiryWarning | undefined)[] = [
    warning('the server certificate', inspectCertificate(pki.server.certPem).notAfter, now),
    warning("Keyhold's CA certificate", inspectCertificate(pki.ca.certPem).notAfter, now),
  ];
  if (pki.serverCaPem !== null) out.push(warning("the server certificate's CA", inspectCertificate(pki.serverCaPem).notAfter, now));
  for (const c of (await readClientsDoc(dataDir)).clients) {
    if (!c.enabled) continue;
    if (c.certificateExpires !== undefined) out.push(warning(`client "${c.name}"'s certificate`, c.certificateExpires, now));
    if (c.ca !== undefined) out.push(warning(`client "${c.name}"'s CA "${c.ca.name}"`, inspectCertificate(c.ca.pem).notAfter, now));
  }
  return out.filter((w): w is ExpiryWarning => w !== undefined);
}
