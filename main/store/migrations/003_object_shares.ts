// Migration 3: objects the operator shared with clients or groups of clients.
//
// Ownership says whose an object is (the client that created or registered
// it, or whom the operator transferred it to); a share lets other clients'
// `shared`-scope grants reach one object without transferring it (main/access
// /policy.ts). A grantee is "client:NAME" or "group:NAME". Rows go with their
// object (ON DELETE CASCADE; objects are never deleted today, only destroyed,
// which keeps the shares for the audit trail of who could reach what).
import type Database from 'better-sqlite3';

export const version = 3;
export const description = 'object shares (client or group grantees)';

export function up(db: Database.Database): void {
  db.exec(`
    CREATE TABLE object_shares (
      object_seq INTEGER NOT NULL REFERENCES objects (seq) ON DELETE CASCADE,
      grantee    TEXT    NOT NULL,
      PRIMARY KEY (object_seq, grantee)
    ) WITHOUT ROWID;
    CREATE INDEX object_shares_grantee ON object_shares (grantee, object_seq);
  `);
}
