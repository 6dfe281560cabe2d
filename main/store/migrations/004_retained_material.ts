// Migration 4: soft delete keeps a destroyed object's material for a while.
//
// With soft delete on (the key policy's softDelete, the default), Destroy
// moves the object's object_material row here unchanged instead of deleting
// it: the object itself is Destroyed for every KMIP client (object_material
// has no row for it, so Get answers exactly as for a hard-destroyed object),
// while the operator can restore it until `purge_after`, when the purge job
// deletes the row for good (secure_delete zeroes the freed bytes and a WAL
// checkpoint drops the old pages from the log).
//
// key_version, nonce and ciphertext mean what they mean in object_material:
// AES-256-GCM under master key `key_version`, the additional authenticated
// data binding the object's Unique Identifier, the purpose 'material' and the
// key version (crypto.ts). Nothing binds the ciphertext to the table it sits
// in, so restore moves the row back without decrypting anything, and a
// master key rotation re-encrypts the rows of both tables the same way.
// destroyed_at and purge_after are milliseconds since the epoch;
// state_before is the State the object had before Destroy (Pre-Active,
// Deactivated or Compromised), the one restore gives back.
import type Database from 'better-sqlite3';

export const version = 4;
export const description = 'retained material of soft-deleted objects';

export function up(db: Database.Database): void {
  db.exec(`
    CREATE TABLE retained_material (
      object_seq   INTEGER PRIMARY KEY REFERENCES objects (seq) ON DELETE CASCADE,
      key_version  INTEGER NOT NULL,
      nonce        BLOB    NOT NULL,
      ciphertext   BLOB    NOT NULL,
      destroyed_at INTEGER NOT NULL,
      purge_after  INTEGER NOT NULL,
      state_before INTEGER NOT NULL
    );
    CREATE INDEX retained_material_purge ON retained_material (purge_after);
  `);
}
