// Typed store errors. Callers (the KMIP layer, the admin API) map codes to
// Result Reasons; they never see raw SQLite errors, whose messages can quote
// SQL and schema details.
import Database from 'better-sqlite3';

export type StoreErrorCode =
  | 'NOT_FOUND' // no such object / attribute instance
  | 'CONFLICT' // an identifier or attribute index already exists
  | 'CORRUPT' // ciphertext fails authentication, or the database file is damaged
  | 'INVALID' // the caller passed something the store cannot hold
  | 'INCOMPATIBLE' // the database was written by a newer Keyhold
  | 'MASTER_KEY' // master key file missing, unreadable, too open or malformed
  | 'BUSY' // another connection held the write lock past the busy timeout
  | 'CLOSED' // the store was closed
  | 'INTERNAL'; // any other database failure

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Convert anything thrown by better-sqlite3 into a StoreError. Only the SQLite
 * result code is kept: the message may contain SQL text or values.
 */
export function toStoreError(e: unknown): unknown {
  if (e instanceof StoreError) return e;
  if (e instanceof Database.SqliteError) {
    const code = e.code;
    if (code.startsWith('SQLITE_CONSTRAINT')) return new StoreError('CONFLICT', `constraint violated (${code})`);
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return new StoreError('BUSY', 'the database is locked by another connection');
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return new StoreError('CORRUPT', `the database file is damaged (${code})`);
    return new StoreError('INTERNAL', `database error (${code})`);
  }
  // Errors thrown by a caller's transaction callback pass through unchanged.
  return e;
}
