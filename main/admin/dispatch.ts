// One entry point for every transport: name check, argument validation, the
// handler call, and turning any failure into a plain {code, message}. The
// Electron IPC binding and the HTTP transport both go through here, so they
// cannot drift apart in what they accept.

import { isCallName, validateArgs, type ArgsOf, type CallName, type ResultOf } from '../../shared/ipc/contract.js';
import { ipcError, type CallResult, type IpcErrorCode } from '../../shared/ipc/errors.js';
import type { Logger } from './log.js';

export type Handlers = {
  readonly [N in CallName]: (args: ArgsOf<N>) => Promise<ResultOf<N>> | ResultOf<N>;
};

/** Thrown by handlers for failures the caller should see verbatim. Anything else becomes 'internal'. */
export class CallError extends Error {
  readonly code: IpcErrorCode;
  constructor(code: IpcErrorCode, message: string) {
    super(message);
    this.name = 'CallError';
    this.code = code;
  }
}

export async function dispatchCall(
  handlers: Handlers,
  name: unknown,
  args: unknown,
  log: Logger,
): Promise<CallResult<unknown>> {
  if (!isCallName(name)) {
    return { ok: false, error: ipcError('unknown_call', `No such call: ${String(name).slice(0, 100)}`) };
  }
  const checked = validateArgs(name, args);
  if (!checked.ok) return { ok: false, error: ipcError('invalid_args', checked.message) };
  try {
    // The cast is the one place the per-name correlation is lost: TS cannot
    // relate handlers[name] to validateArgs(name) for a union-typed name.
    const handler = handlers[name] as (a: unknown) => unknown;
    return { ok: true, value: await handler(checked.value) };
  } catch (err) {
    if (err instanceof CallError) return { ok: false, error: ipcError(err.code, err.message) };
    // Internal details stay in the log (name only, never args: they may carry secrets later).
    log.error(`call ${name} failed:`, err);
    return { ok: false, error: ipcError('internal', 'Internal error') };
  }
}
