// The first-run setup wizard (#/setup/N): whether setup is done and how far
// it got (DIR/setup.json), the environment checks of step 1, the connection
// test of step 6, and the final "done". The steps in between use the calls
// of their own areas (certs.*, settings.*, policy.*, backups.*, clients.*).
import { call } from '../spec.js';
import { integer, noArgs, object, optional, string, type NoArgs } from '../validate.js';

export const SETUP_STEPS = 6;

export interface SetupState {
  /** setup.complete was called for this data dir. */
  complete: boolean;
  /** The furthest step reached (1..6), for reopening the wizard where it was left. */
  step: number;
  /** ISO-8601, when setup was completed; null before. */
  completedAt: string | null;
  /** The data dir already holds a server certificate and registered clients (set up with the CLI, say): the wizard may be skipped. */
  existing: boolean;
}

/** What a check's message says, as an i18n code (renderer: `setup.env.<code>`) with its parameters. */
export type EnvMessageCode =
  | 'space.ok'
  | 'space.low'
  | 'space.critical'
  | 'space.unknown'
  | 'port.free'
  | 'port.ours'
  | 'port.inUse'
  | 'port.inUseNoFree'
  | 'port.denied'
  | 'port.error'
  | 'hosts.ok'
  | 'hosts.loopbackOnly'
  | 'clock.ok'
  | 'clock.year'
  | 'clock.beforeBuild';

export type EnvCheckId = 'space' | 'port' | 'hosts' | 'clock';

export interface EnvCheck {
  id: EnvCheckId;
  ok: boolean;
  /** info when ok; warning: setup may go on, but look at it; error: fix before going on. */
  severity: 'info' | 'warning' | 'error';
  /** The English sentence (logs, CLI); the UI shows code + params from its catalogue. */
  message: string;
  code: EnvMessageCode;
  params: Record<string, string | number>;
}

export interface SetupEnvironment {
  checks: EnvCheck[];
  dataDir: string;
  /** Bytes free for this user in the data folder; null when the system would not say. */
  freeBytes: number | null;
  /** The port checked, and a free one near it when it is taken. */
  port: number;
  suggestedPort: number | null;
  /** Defaults for the server certificate: names (host name, localhost) and addresses (loopback and the machine's own). */
  hostNames: string[];
  addresses: string[];
}

/** One step of the connection test (main/cli/connection-test.ts). */
export interface SetupTestStep {
  step: 'TCP' | 'TLS handshake' | 'server certificate' | 'client certificate' | 'KMIP';
  status: 'ok' | 'warn' | 'fail' | 'skipped';
  detail: string;
  hint?: string;
}

export interface SetupTestResult {
  ok: boolean;
  /** Where the test connected, e.g. "127.0.0.1:5696", and the name the server certificate was checked for. */
  target: string;
  serverName: string;
  /** The client the test connected as; selftest: the built-in Query-only client, used when no credentials were given. */
  client: string;
  selftest: boolean;
  steps: SetupTestStep[];
  tls?: { protocol: string; cipher: string };
  kmip?: { versions: string[]; version: string; operations: number; objectTypes: number; vendorIdentification?: string };
}

const PEM_MAX = 64 * 1024;
const pem = string({ minLength: 1, maxLength: PEM_MAX });

export interface SetupTestArgs {
  /** The first client's certificate and key (PEM) as its bundle gave them; absent: the built-in self-test client. */
  client?: string;
  certPem?: string;
  keyPem?: string;
  /** The name to check the server certificate for; default: one the certificate carries (127.0.0.1, localhost, …). */
  serverName?: string;
}

export const setupCalls = {
  'setup.state': call<NoArgs, SetupState>(noArgs),
  /** Records the step the wizard is on (so a reload or a later visit reopens it there). */
  'setup.progress': call<{ step: number }, SetupState>(object({ step: integer({ min: 1, max: SETUP_STEPS }) })),
  /** Step 1. port: the KMIP port to check; default the one the server is configured for (5696). */
  'setup.environment': call<{ port?: number }, SetupEnvironment>(object({ port: optional(integer({ min: 1, max: 65535 })) })),
  /** Step 6: the built-in connection test against the running server. */
  'setup.testConnection': call<SetupTestArgs, SetupTestResult>(
    object({
      client: optional(string({ minLength: 1, maxLength: 64 })),
      certPem: optional(pem),
      keyPem: optional(pem),
      serverName: optional(string({ minLength: 1, maxLength: 253, pattern: /^[A-Za-z0-9.:-]+$/ })),
    }),
  ),
  /** Marks setup done. The wizard stays reachable (Settings offers it again); finishing it again changes nothing else. */
  'setup.complete': call<NoArgs, SetupState>(noArgs),
} as const;

export const setupEvents = {} as const;
