// Helpers the configuration areas (clients, certs, policy, backups, settings)
// share: the data dir they work on, one-line failures as CallErrors, field
// problems, and a private temporary folder for files the CLI's functions write.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FieldResult } from '../../../shared/forms/fields.js';
import type { IpcErrorCode } from '../../../shared/ipc/errors.js';
import { CallError } from '../dispatch.js';
import type { AdminDeps } from './types.js';

export function dataDirOf(deps: AdminDeps): string {
  if (deps.dataDir === undefined) throw CallError.of('not_implemented', 'errors.noDataDir');
  return deps.dataDir;
}

/**
 * The value of a field check, or a CallError with its English sentence and
 * the problem's key (forms.*), which the UI shows in its language (the label
 * is only in the English: each forms.* sentence names what it refuses).
 */
export function field<T>(r: FieldResult<T>, label?: string): T {
  if (!r.ok) throw new CallError('bad_request', label === undefined ? r.message : `${label}: ${r.message}`, { key: r.key, params: r.params });
  return r.value;
}

/**
 * The CLI functions' sentences the UI knows a key for: they are thrown as
 * plain Errors by code the CLI shares (main/server/*.ts), so they are
 * recognised here, in one place.
 */
const KNOWN_MESSAGES: readonly { pattern: RegExp; of: (m: RegExpExecArray, code: IpcErrorCode) => CallError }[] = [
  { pattern: /^no client named "(.*)" is registered$/, of: (m) => CallError.of('not_found', 'errors.clients.notFound', { name: m[1]! }) },
  { pattern: /^a client named "(.*)" is already registered$/, of: (m, code) => CallError.of(code, 'errors.clients.exists', { name: m[1]! }) },
  { pattern: /^"(.*)" belonged to a removed client whose objects still carry that name; choose another name$/, of: (m, code) => CallError.of(code, 'errors.clients.retired', { name: m[1]! }) },
];

/** A failure of the CLI's functions (one line each) as a CallError; CallErrors pass through. */
export function callError(e: unknown, code: IpcErrorCode = 'bad_request'): CallError {
  if (e instanceof CallError) return e;
  const message = e instanceof Error ? e.message : String(e);
  for (const k of KNOWN_MESSAGES) {
    const m = k.pattern.exec(message);
    if (m) return k.of(m, code);
  }
  return new CallError(code, message);
}

/** Runs fn; a thrown Error becomes a CallError with its message. */
export async function oneLine<T>(fn: () => Promise<T> | T, code: IpcErrorCode = 'bad_request'): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw callError(e, code);
  }
}

/** A fresh owner-only folder for files (bundles) that is removed afterwards, whatever happens. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'keyhold-admin-'));
  try {
    await fs.chmod(dir, 0o700);
    return await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
