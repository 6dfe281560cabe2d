// The KMIP engine as the admin UI sees it: its state, and the controls the
// tray and the dashboard use (start, stop, unlock).
import { call, event } from '../spec.js';
import { noArgs, object, string, type NoArgs } from '../validate.js';

/** locked: started, but the master key is protected by a passphrase nobody has given yet; nothing is served. */
export type EngineState = 'stopped' | 'starting' | 'running' | 'stopping' | 'locked';

export interface EngineStatus {
  state: EngineState;
  /** ISO-8601 time of the last state change. */
  since: string;
  /** Where the KMIP server listens, e.g. "0.0.0.0:5696"; null while not running. */
  endpoint: string | null;
  /** Why the last start or stop failed, if it did. */
  lastError: { code: string; message: string } | null;
  /**
   * The key expiry job while the server runs (main/server/key-expiry.ts): keys
   * whose Deactivation Date is within warningDays, and keys it deactivated
   * since the server started. Absent while stopped or locked.
   */
  keys?: { expiringSoon: number; warningDays: number; deactivated: number };
}

export const engineCalls = {
  'engine.status': call<NoArgs, EngineStatus>(noArgs),
  /** Starts the KMIP server with the saved settings (settings.get). */
  'engine.start': call<NoArgs, EngineStatus>(noArgs),
  /** Stops it gracefully (in-flight requests finish). */
  'engine.stop': call<NoArgs, EngineStatus>(noArgs),
  /** Gives the master key passphrase to a locked server (the same as keyhold master-key unlock). */
  'engine.unlock': call<{ passphrase: string }, EngineStatus>(object({ passphrase: string({ minLength: 1, maxLength: 1024 }) })),
} as const;

export const engineEvents = {
  'engine.statusChanged': event<EngineStatus>(),
} as const;
