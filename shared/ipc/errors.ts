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
  /** Too many attempts (failed admin logins): try again later. */
  'rate_limited',
  'bad_request',
  'not_implemented',
  /** The transport could not reach main (HTTP server gone, network error). */
  'unavailable',
  'internal',
] as const;

export type IpcErrorCode = (typeof IPC_ERROR_CODES)[number];

export interface IpcError {
  code: IpcErrorCode;
  /** The English sentence: logs, the CLI, and the UI when it has no text for `key`. */
  message: string;
  /**
   * A message key of the renderer's catalogue (errors.* and forms.*, English
   * text in shared/ipc/error-messages.ts) for the UI to show `message` in its
   * language, with the values of its {placeholders}.
   */
  key?: string;
  params?: Readonly<Record<string, string | number>>;
}

/** What every call resolves to on the wire, whichever the transport. */
export type CallResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

export function ipcError(code: IpcErrorCode, message: string, key?: string, params?: Readonly<Record<string, string | number>>): IpcError {
  return { code, message, ...(key === undefined ? {} : { key, ...(params === undefined ? {} : { params }) }) };
}

const isParams = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string' || typeof x === 'number');

export function isIpcError(value: unknown): value is IpcError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.code === 'string' &&
    (IPC_ERROR_CODES as readonly string[]).includes(v.code) &&
    typeof v.message === 'string' &&
    (v.key === undefined || typeof v.key === 'string') &&
    (v.params === undefined || isParams(v.params))
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
