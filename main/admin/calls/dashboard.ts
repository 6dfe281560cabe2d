// The Dashboard's facts beyond engine.status, from the data dir's files (the
// same as `keyhold status`: certificates, backup settings and the newest
// verified backup) and, while the server runs, from the engine worker
// (objects by state, open connections).
import path from 'node:path';
import type { DashboardSummary, DashboardWarning, dashboardCalls } from '../../../shared/ipc/calls/dashboard.js';
import { newestVerified } from '../../backup/backup.js';
import { formatSchedule, readBackupSettings } from '../../backup/settings.js';
import { ensurePki, inspectCertificate } from '../../pki/index.js';
import { expiryWarnings } from '../../server/expiry.js';
import { hostOf } from './engine-call.js';
import { dataDirOf } from './util.js';
import type { AdminDeps, AreaHandlers } from './types.js';

const DAY_MS = 86_400_000;

async function certificate(dir: string, now: Date): Promise<DashboardSummary['certificate']> {
  try {
    const pki = await ensurePki(dir, { readOnly: true });
    const c = inspectCertificate(pki.server.certPem);
    return { subject: c.subject.replace(/\n/g, ', '), notAfter: c.notAfter, daysLeft: Math.floor((Date.parse(c.notAfter) - now.getTime()) / DAY_MS) };
  } catch {
    return null;
  }
}

async function backup(dir: string): Promise<DashboardSummary['backup']> {
  try {
    const s = await readBackupSettings(dir);
    if (s.folder === null) return { configured: false, schedule: null, newest: null };
    const n = newestVerified(s.folder);
    return { configured: true, schedule: formatSchedule(s.schedule), newest: n === null ? null : { created: n.record.created, objects: n.record.objects, file: path.basename(n.file) } };
  } catch {
    return { configured: false, schedule: null, newest: null };
  }
}

export function dashboardHandlers(deps: AdminDeps): AreaHandlers<typeof dashboardCalls> {
  return {
    'dashboard.summary': async () => {
      const dir = dataDirOf(deps);
      const now = new Date();
      const status = await deps.engine.status();
      const [cert, backups, certWarnings, server] = await Promise.all([
        certificate(dir, now),
        backup(dir),
        expiryWarnings(dir, now).catch(() => []),
        status.state === 'running' && deps.host !== undefined
          ? hostOf(deps).request('serverSummary', {}, { timeoutMs: 5_000 }).catch(() => null)
          : Promise.resolve(null),
      ]);
      const warnings: DashboardWarning[] = certWarnings.map((w) => ({ kind: 'certificate', message: w.message, count: w.daysLeft }));
      const keys = status.keys;
      if (keys !== undefined && keys.expiringSoon > 0) {
        warnings.push({ kind: 'keys', message: `${keys.expiringSoon} keys reach their Deactivation Date within ${keys.warningDays} days`, count: keys.expiringSoon });
      }
      if (!backups.configured) warnings.push({ kind: 'backup', message: 'No backup is configured: set a backup folder and schedule on the Backups page' });
      return {
        certificate: cert,
        connections: server?.connections ?? null,
        objectsByState: server?.objectsByState ?? null,
        backup: backups,
        warnings,
      };
    },
  };
}
