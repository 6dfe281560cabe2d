// One entry point for every transport: name check, argument validation, the
// handler call, and turning any failure into a plain {code, message}. The
// Electron IPC binding and the HTTP transport both go through here, so they
// cannot drift apart in what they accept.

import { isCallName, validateArgs, type ArgsOf, type CallName, type ResultOf } from '../../shared/ipc/contract.js';
import { englishMessage, type ParamsOf, type ServerMessageKey } from '../../shared/ipc/error-messages.js';
import { ipcError, type CallResult, type IpcErrorCode } from '../../shared/ipc/errors.js';
import type { Logger } from './log.js';

export type Handlers = {
  readonly [N in CallName]: (args: ArgsOf<N>) => Promise<ResultOf<N>> | ResultOf<N>;
};

/** The params argument of CallError.of: none for a key without placeholders, else exactly its placeholders. */
type ParamsArg<K extends ServerMessageKey> = [keyof ParamsOf<K>] extends [never] ? [] : [params: ParamsOf<K>];

/**
 * Thrown by handlers for failures the caller should see verbatim. Anything
 * else becomes 'internal'. With a message key (CallError.of), the UI shows
 * the sentence in its language; `message` is always the English one.
 */
export class CallError extends Error {
  readonly code: IpcErrorCode;
  readonly key: ServerMessageKey | undefined;
  readonly params: Readonly<Record<string, string | number>> | undefined;
  constructor(code: IpcErrorCode, message: string, keyed?: { key: ServerMessageKey; params?: Readonly<Record<string, string | number>> }) {
    super(message);
    this.name = 'CallError';
    this.code = code;
    this.key = keyed?.key;
    this.params = keyed?.params;
  }

  /** The error of a key of shared/ipc/error-messages.ts (or shared/forms/messages.ts), its English text filled from params. */
  static of<K extends ServerMessageKey>(code: IpcErrorCode, key: K, ...[params]: ParamsArg<K>): CallError {
    const p = (params ?? {}) as ParamsOf<K>;
    return new CallError(code, englishMessage(key, p), params === undefined ? { key } : { key, params: p });
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
    if (err instanceof CallError) return { ok: false, error: ipcError(err.code, err.message, err.key, err.params) };
    // Internal details stay in the log (name only, never args: they may carry secrets later).
    log.error(`call ${name} failed:`, err);
    return { ok: false, error: ipcError('internal', 'Internal error', 'errors.internal') };
  }
}
