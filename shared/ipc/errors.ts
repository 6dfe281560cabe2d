// Errors cross the IPC and HTTP boundaries as plain data, never as Error
// objects: structured clone and JSON both drop an Error's own fields, and a
// stack trace is nothing a renderer should see.

export const IPC_ERROR_CODES = [
  'unknown_call',
  'invalid_args',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'unsupported_media_type',
  'payload_too_large',
  'bad_request',
  'not_implemented',
  /** The transport could not reach main (HTTP server gone, network error). */
  'unavailable',
  'internal',
] as const;

export type IpcErrorCode = (typeof IPC_ERROR_CODES)[number];

export interface IpcError {
  code: IpcErrorCode;
  message: string;
}

/** What every call resolves to on the wire, whichever the transport. */
export type CallResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

export function ipcError(code: IpcErrorCode, message: string): IpcError {
  return { code, message };
}

export function isIpcError(value: unknown): value is IpcError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.code === 'string' &&
    (IPC_ERROR_CODES as readonly string[]).includes(v.code) &&
    typeof v.message === 'string'
  );
}

/** Checks the envelope shape only; the value itself is trusted (it comes from our own main process). */
export function isCallResult(value: unknown): value is CallResult<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (v.ok === true) return 'value' in v;
  if (v.ok === false) return isIpcError(v.error);
  return false;
}
