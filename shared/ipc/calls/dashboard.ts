// What the Dashboard shows beyond engine.status: the server certificate's
// expiry, open connections, objects by state, the newest verified backup and
// the warnings (certificates, keys expiring soon, no backup configured). The
// requests/s sparkline is drawn from the live `audit.records` event.
import { call } from '../spec.js';
import { noArgs, type NoArgs } from '../validate.js';

export interface DashboardWarning {
  kind: 'certificate' | 'keys' | 'backup';
  /** English sentence (the same as `keyhold status`); the UI shows its own text for keys and backup. */
  message: string;
  /** certificate: days left (negative: expired); keys: how many expire soon. */
  count?: number;
}

export interface DashboardSummary {
  /** The server certificate (pki/server.crt): its expiry, or null when it cannot be read. */
  certificate: { subject: string; notAfter: string; daysLeft: number } | null;
  /** Open KMIP connections; null while the server is not running. */
  connections: number | null;
  /** Objects per KMIP state, lifecycle order; null while the server is not running. */
  objectsByState: { state: string; count: number }[] | null;
  backup: {
    /** A backup folder is set in backup.json. */
    configured: boolean;
    /** The schedule in words ("daily at 02:30"), null when not configured. */
    schedule: string | null;
    /** The newest verified backup: when it was made and how many objects it holds. */
    newest: { created: string; objects: number; file: string } | null;
  };
  warnings: DashboardWarning[];
}

export const dashboardCalls = {
  'dashboard.summary': call<NoArgs, DashboardSummary>(noArgs),
} as const;

export const dashboardEvents = {} as const;
