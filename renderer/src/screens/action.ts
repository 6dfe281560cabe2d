// What the screens' state classes share: failures as plain {code, message},
// and the "busy / error / run an action" pattern — a flag on while the call
// runs, the error cleared when it succeeds and set (verbatim) when it fails.
import type { IpcError } from '../../../shared/ipc/errors.js';
import { KeyholdError } from '../api.js';

export function toIpcError(err: unknown): IpcError {
  if (err instanceof KeyholdError) return err.toJSON();
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

/** Runs `fn` with `busy(true)` around it; the target's error is cleared on success and set on failure. True when it succeeded. */
export async function runAction(target: { error: IpcError | null }, busy: (on: boolean) => void, fn: () => Promise<void>): Promise<boolean> {
  busy(true);
  try {
    await fn();
    target.error = null;
    return true;
  } catch (err) {
    target.error = toIpcError(err);
    return false;
  } finally {
    busy(false);
  }
}

/** A form's submit handler that runs `fn` instead of the browser's submission. */
export function submitWith(fn: () => Promise<unknown>): (e: SubmitEvent) => void {
  return (e) => {
    e.preventDefault();
    void fn();
  };
}
