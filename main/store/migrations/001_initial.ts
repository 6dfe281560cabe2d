// Migration 1: the initial schema.
//
// Design
// - objects: one row per managed object. `seq` (INTEGER PRIMARY KEY = rowid)
//   is the internal key every other table references: an 8-byte integer is
//   cheaper in indexes than the 36-character UUID, and it gives Locate a
//   stable creation order for free. `uid` is the KMIP Unique Identifier.
//   Object Type and State are columns (not attribute rows) because nearly
//   every operation reads or changes them; `owner` is the client that created
//   the object (nullable until the authorization model exists).
// - object_material: the encrypted secret (AES-256-GCM ciphertext + tag, its
//   nonce, and the master key version). A separate table so that Locate and
//   attribute reads never load a page holding key material, and so Destroy can
//   delete it outright (secure_delete zeroes the freed bytes) while the object
//   row stays, Destroyed, as KMIP requires.
// - attributes: one row per attribute instance, keyed (object, name, index).
//   `raw` is the value's exact TTLV bytes, returned on reads; text_value,
//   int_value and date_value are derived copies (see attribute-codec.ts) with
//   partial indexes led by the name, so Locate by Name, Object Group,
//   Cryptographic Algorithm / Length, Application Specific Information, a
//   custom x-/y- attribute or a date range is an index range lookup that yields
//   object seqs directly. WITHOUT ROWID clusters an object's attributes together
//   for Get Attributes.
// - meta: small key/value facts about the database (the master key check).
import type Database from 'better-sqlite3';

export const version = 1;
export const description = 'objects, encrypted material, indexed attributes';

export function up(db: Database.Database): void {
  db.exec(`
    CREATE TABLE meta (
      key   TEXT PRIMARY KEY,
      value BLOB NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE objects (
      seq          INTEGER PRIMARY KEY,
      uid          TEXT    NOT NULL UNIQUE,
      object_type  INTEGER NOT NULL,
      state        INTEGER NOT NULL,
      owner        TEXT,
      created_at   INTEGER NOT NULL,
      modified_at  INTEGER NOT NULL
    );
    CREATE INDEX objects_type_state ON objects (object_type, state);
    CREATE INDEX objects_state ON objects (state);
    CREATE INDEX objects_owner ON objects (owner) WHERE owner IS NOT NULL;

    CREATE TABLE object_material (
      object_seq   INTEGER PRIMARY KEY REFERENCES objects (seq) ON DELETE CASCADE,
      key_version  INTEGER NOT NULL,
      nonce        BLOB    NOT NULL,
      ciphertext   BLOB    NOT NULL
    );

    CREATE TABLE attributes (
      object_seq  INTEGER NOT NULL REFERENCES objects (seq) ON DELETE CASCADE,
      name        TEXT    NOT NULL,
      idx         INTEGER NOT NULL CHECK (idx >= 0),
      vendor      TEXT,
      type        TEXT    NOT NULL,
      text_value  TEXT,
      int_value   INTEGER,
      date_value  INTEGER,
      raw         BLOB    NOT NULL,
      PRIMARY KEY (object_seq, name, idx)
    ) WITHOUT ROWID;
    CREATE INDEX attributes_text ON attributes (name, text_value, object_seq) WHERE text_value IS NOT NULL;
    CREATE INDEX attributes_int  ON attributes (name, int_value, object_seq)  WHERE int_value IS NOT NULL;
    CREATE INDEX attributes_date ON attributes (name, date_value, object_seq) WHERE date_value IS NOT NULL;
  `);
}
