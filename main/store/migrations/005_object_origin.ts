// Migration 5: where an object's value came from.
//
//   'generated': made by this server (Create, Create Key Pair, Re-key, Re-key
//                Key Pair): nobody outside knew it unless the server served it;
//   'imported':  given by a client (Register, wrapped or not): whoever
//                registered it knew it, or could unwrap it, before the server did;
//   'derived':   made by Derive Key from other objects;
//   NULL:        stored before this migration, not known.
//
// Key wrapping (main/kmip/operations/key-wrapping.ts) wraps a Sensitive
// object only under a key whose value never left the server: generated, and
// Always Sensitive or Never Extractable. Those two attributes alone cannot
// say it: Register with Sensitive True gets Always Sensitive True (the spec's
// wording, and the OASIS BL-M-12 case expects it), although the client that
// registered the key knows its value.
import type Database from 'better-sqlite3';

export const version = 5;
export const description = 'object origin (generated, imported, derived)';

export function up(db: Database.Database): void {
  db.exec("ALTER TABLE objects ADD COLUMN origin TEXT CHECK (origin IN ('generated', 'imported', 'derived'))");
}
