// KeyStore on better-sqlite3. Every public method is one transaction; the
// caller's transaction(fn) nests them as savepoints, so a multi-step KMIP
// operation commits or rolls back as a whole.
import { randomUUID, type KeyObject } from 'node:crypto';
import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { attributeKey, type Attribute, type AttributeName, type AttributeValue } from '../../shared/kmip/message/attributes.js';
import { decodeValue, encodeValue, keyColumns, nameColumns, nameFromColumns } from './attribute-codec.js';
import { MaterialCipher } from './crypto.js';
import { StoreError, toStoreError } from './errors.js';
import { discardNextKey, finishRotationFiles, loadKeyFiles, type MasterKeys } from './master-key.js';
import { buildLocateQuery, registerLocateFunctions } from './locate-query.js';
import { CommitDurable, WalSyncer, type Durable, type DurabilityStats, type FsyncFile } from './durability.js';
import { migrate } from './migrations/index.js';
import { ReadCache, type ReadCacheStats } from './read-cache.js';
import { isDestroyedState, ObjectState, type BatchTransaction, type DestroyOptions, type KeyStore, type ListRetainedOptions, type LocateFilter, type NewObject, type ObjectOrigin, type RetainedObject, type StoredObject } from './types.js';

export const DB_FILE = 'keyhold.db';
const MATERIAL = 'material';
const KEY_CHECK = 'key-check';
/** meta row: the master key version the material is sealed under (absent: 1). */
const KEY_VERSION = 'master-key-version';
/** Key versions are one byte in the key-check row. */
export const MAX_KEY_VERSION = 255;

export interface OpenStoreOptions {
  /** Milliseconds to wait for another connection's write lock (default 5000). */
  busyTimeoutMs?: number;
  /** Clock for created/modified times (tests). */
  now?: () => number;
  /**
   * 'commit' (default): synchronous=FULL, each commit is durable when it
   * returns. 'group': synchronous=NORMAL, a commit survives the process being
   * killed when it returns and an OS crash once sync() has resolved; the
   * caller must await sync() before acknowledging a change (durability.ts).
   */
  durability?: 'commit' | 'group';
  /** Replaces fsync in group mode (tests). */
  fsync?: FsyncFile;
  /** SQLite page cache per connection, in MiB (default 64). */
  cacheMiB?: number;
  /**
   * The master keys, already unwrapped (passphrase protection: unlockKeyFiles).
   * Absent: DIR/master.key (created for a new database), which fails with
   * MASTER_KEY when the key is protected by a passphrase.
   */
  keys?: MasterKeys;
}

interface ObjectRow {
  seq: number;
  uid: string;
  object_type: number;
  state: number;
  owner: string | null;
  created_at: number;
  modified_at: number;
}

interface ObjectRowWithMaterial extends ObjectRow {
  has_material: number;
  /** Grantees joined by newlines, or null. */
  shared_with: string | null;
  origin: ObjectOrigin | null;
}

interface RetainedRow {
  destroyed_at: number;
  purge_after: number;
  state_before: number;
}

interface AttributeRow {
  name: string;
  idx: number;
  vendor: string | null;
  raw: Buffer;
}

/** A directory (DIR/keyhold.db, DIR/master.key) or a database file path (the key file sits beside it). */
function resolvePaths(path: string): { dir: string; dbFile: string } {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    isDir = !/\.(db|sqlite3?)$/i.test(path);
  }
  const dir = isDir ? path : dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return { dir, dbFile: isDir ? join(dir, DB_FILE) : path };
}

export function openStore(path: string, options: OpenStoreOptions = {}): SqliteKeyStore {
  const { dir, dbFile } = resolvePaths(path);
  let db: Database.Database | undefined;
  try {
    // Create the file owner-only: SQLite gives the -wal file the database
    // file's permissions, and attribute values (names, groups) are nobody
    // else's business even though key material is encrypted.
    closeSync(openSync(dbFile, 'a', 0o600));
    db = new Database(dbFile);
    // One connection owns the database: the engine worker (a second server on
    // the same data dir is refused by its lock file, and everything else goes
    // through the engine). EXCLUSIVE locking, set before WAL, keeps the WAL
    // index in this process's memory instead of a shared -shm file, so a
    // transaction takes no shared-memory locks: they were a quarter of a Get's
    // time. Another process cannot open the file while the store is open.
    //
    // WAL: a commit appends to the log instead of rewriting pages in place.
    // synchronous=FULL ('commit'): each commit is fsynced before it returns,
    // so a change acknowledged after its commit survives the process being
    // killed and also an OS crash or power loss. 'group' (the KMIP server):
    // NORMAL, which alone survives only the former; the server acknowledges
    // after sync(), one fsync shared by the commits of concurrent requests
    // (durability.ts). secure_delete: freed pages (destroyed key material)
    // are zeroed.
    db.pragma('locking_mode = EXCLUSIVE');
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal') throw new StoreError('INTERNAL', `cannot enable WAL mode (got ${String(mode)})`);
    const group = options.durability === 'group';
    db.pragma(group ? 'synchronous = NORMAL' : 'synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // Savepoints (every store call nested in a KMIP transaction) keep a
    // sub-journal of the pages they change: in a temporary *file* by default,
    // two writes per page, ~45 per Create. In memory it costs nothing, and no
    // attribute content reaches an unnamed temp file.
    db.pragma('temp_store = MEMORY');
    // The default 2 MiB cache thrashes once the indexes outgrow it (a big
    // transaction then spills dirty pages and reads them back): 64 MiB keeps
    // the hot upper levels of every index of a million-object store resident.
    db.pragma(`cache_size = ${-1024 * Math.max(2, Math.floor(options.cacheMiB ?? 64))}`);
    db.pragma('secure_delete = ON');
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    migrate(db);
    const { cipher, notes } = settleRotation(db, dir, options.keys);
    const opened = db;
    const durable = group ? new WalSyncer(`${dbFile}-wal`, () => opened.open, options.fsync) : new CommitDurable();
    // Opening may have written (schema, key check): the first sync covers it.
    durable.committed();
    const store = new SqliteKeyStore(db, cipher, options.now ?? Date.now, dbFile, durable);
    store.masterKeyNotes = notes;
    return store;
  } catch (e) {
    db?.close();
    throw toStoreError(e);
  }
}

/** The master key version recorded in meta (1 for a database from before rotation existed). */
function metaKeyVersion(db: Database.Database): number {
  const v = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(KEY_VERSION) as Buffer | string | number | undefined;
  return v === undefined ? 1 : Number(String(v));
}

/** Whether `key` opens the key-check row (sealed under the version in its first byte). */
function keyCheckOpens(row: Buffer, key: KeyObject): boolean {
  const version = row[0]!;
  try {
    new MaterialCipher(new Map([[version, key]]), version).open(KEY_CHECK, 'meta', version, { nonce: row.subarray(1, 13), ciphertext: row.subarray(13) });
    return true;
  } catch {
    return false;
  }
}

/**
 * The cipher for this database, after finishing or discarding a master key
 * rotation a crash interrupted (master-key-admin.ts rotateMasterKey): the
 * next key was written first, then the material re-encrypted in one
 * transaction that also moved the key check and meta's master-key-version,
 * then the files renamed. So a next key that opens the key check means the
 * transaction committed: finish the renames; one that does not was never
 * used: remove it. A key that opens nothing is refused (key-check: a wrong
 * key file is caught at open, not at the first Get).
 */
function settleRotation(db: Database.Database, dir: string, given: MasterKeys | undefined): { cipher: MaterialCipher; notes: string[] } {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(KEY_CHECK) as Buffer | undefined;
  // A missing key file is created only for a database that has never held
  // encrypted data; otherwise a fresh key would silently orphan every secret.
  const keys = given ?? loadKeyFiles(dir, row === undefined);
  const version = metaKeyVersion(db);
  const notes: string[] = [];
  let current = keys.current;
  if (keys.next !== null) {
    if (row !== undefined && keyCheckOpens(row, keys.next)) {
      finishRotationFiles(dir, keys.protection, version - 1);
      current = keys.next;
      notes.push(`finished an interrupted master key rotation (now version ${version}; version ${version - 1} kept as retired)`);
    } else {
      discardNextKey(dir, keys.protection);
      notes.push(`discarded the next key of a master key rotation that did not commit (still version ${version})`);
    }
  }
  const cipher = new MaterialCipher(new Map([[version, current]]), version);
  if (row === undefined) {
    const s = cipher.seal(KEY_CHECK, 'meta', Buffer.alloc(16));
    const value = Buffer.concat([Buffer.from([s.keyVersion]), s.nonce, s.ciphertext]);
    db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(KEY_CHECK, value);
  } else if (row[0] !== version || !keyCheckOpens(row, current)) {
    throw new StoreError('MASTER_KEY', keys.protection === 'passphrase' ? 'the wrapped master key does not belong to this database' : 'the master key file does not belong to this database');
  }
  return { cipher, notes };
}

/** A job's meta key ("word/…", see KeyStore.getMeta): never one of the store's own entries (the key check). */
function jobMetaKey(key: string): string {
  if (!/^[a-z][a-z0-9-]*\/[^\n]{0,300}$/.test(key)) throw new StoreError('INVALID', `a job's meta key is "name/…", not ${JSON.stringify(key.slice(0, 80))}`);
  return key;
}

/** A read cache key part per list of attribute names; callers pass a few constant lists, so each is joined once. */
const namesKeys = new WeakMap<readonly AttributeName[], string>();
function namesKey(names: readonly AttributeName[]): string {
  let k = namesKeys.get(names);
  if (k === undefined) namesKeys.set(names, (k = names.map((n) => attributeKey(n)).join('\n')));
  return k;
}

function checkGrantee(g: string): string {
  if (!/^(client|group):[^\n]{1,200}$/.test(g)) throw new StoreError('INVALID', `a share goes to "client:NAME" or "group:NAME", not ${JSON.stringify(g.slice(0, 80))}`);
  return g;
}

export class SqliteKeyStore implements KeyStore, Durable {
  private readonly s;
  /** One wrapper for every transaction: db.transaction(fn) builds a new one per call, a visible cost in a Get profile. */
  private readonly runTx: Database.Transaction<(fn: () => unknown) => unknown>;

  constructor(
    private readonly db: Database.Database,
    private cipher: MaterialCipher,
    private readonly now: () => number,
    /** The database file path. */
    readonly file: string,
    private readonly durable: (Durable & { committed(): void }) = new CommitDurable(),
  ) {
    registerLocateFunctions(db);
    this.runTx = db.transaction((fn: () => unknown) => fn());
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insertObject: p('INSERT INTO objects (uid, object_type, state, owner, created_at, modified_at, origin) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      objectByUid: p(
        'SELECT seq, uid, object_type, state, owner, created_at, modified_at, origin, EXISTS (SELECT 1 FROM object_material WHERE object_seq = objects.seq) AS has_material, ' +
          "(SELECT group_concat(grantee, char(10)) FROM object_shares WHERE object_seq = objects.seq) AS shared_with FROM objects WHERE uid = ?",
      ),
      materialByUid: p('SELECT m.key_version, m.nonce, m.ciphertext FROM objects o LEFT JOIN object_material m ON m.object_seq = o.seq WHERE o.uid = ?'),
      seqByUid: p('SELECT seq, state FROM objects WHERE uid = ?'),
      touch: p('UPDATE objects SET modified_at = ? WHERE seq = ?'),
      setState: p('UPDATE objects SET state = ?, modified_at = ? WHERE seq = ?'),
      upsertMaterial: p('INSERT OR REPLACE INTO object_material (object_seq, key_version, nonce, ciphertext) VALUES (?, ?, ?, ?)'),
      deleteMaterial: p('DELETE FROM object_material WHERE object_seq = ?'),
      insertAttr: p('INSERT INTO attributes (object_seq, name, idx, vendor, type, text_value, int_value, date_value, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      updateAttr: p('UPDATE attributes SET type = ?, text_value = ?, int_value = ?, date_value = ?, raw = ? WHERE object_seq = ? AND name = ? AND idx = ?'),
      attrs: p('SELECT name, idx, vendor, raw FROM attributes WHERE object_seq = ? ORDER BY name, idx'),
      attrsByName: p('SELECT name, idx, vendor, raw FROM attributes WHERE object_seq = ? AND name = ? ORDER BY idx'),
      attrNames: p('SELECT DISTINCT name, vendor FROM attributes WHERE object_seq = ? ORDER BY name'),
      nextIdx: p('SELECT coalesce(max(idx) + 1, 0) FROM attributes WHERE object_seq = ? AND name = ?').pluck(),
      deleteAttr: p('DELETE FROM attributes WHERE object_seq = ? AND name = ? AND idx = ?'),
      deleteAttrAll: p('DELETE FROM attributes WHERE object_seq = ? AND name = ?'),
      totalChanges: p('SELECT total_changes()').pluck(),
      setOwner: p('UPDATE objects SET owner = ? WHERE seq = ?'),
      reassignOwner: p('UPDATE objects SET owner = ? WHERE owner IS ?'),
      addShare: p('INSERT OR IGNORE INTO object_shares (object_seq, grantee) VALUES (?, ?)'),
      removeShare: p('DELETE FROM object_shares WHERE object_seq = ? AND grantee = ?'),
      ownerCounts: p('SELECT owner, count(*) AS n FROM objects GROUP BY owner ORDER BY owner'),
      // Soft delete (migration 4): the material row moves between the two tables unchanged.
      retainMaterial: p(
        'INSERT INTO retained_material (object_seq, key_version, nonce, ciphertext, destroyed_at, purge_after, state_before) ' +
          'SELECT object_seq, key_version, nonce, ciphertext, ?, ?, ? FROM object_material WHERE object_seq = ?',
      ),
      unretainMaterial: p('INSERT INTO object_material (object_seq, key_version, nonce, ciphertext) SELECT object_seq, key_version, nonce, ciphertext FROM retained_material WHERE object_seq = ?'),
      deleteRetained: p('DELETE FROM retained_material WHERE object_seq = ?'),
      retainedBySeq: p('SELECT destroyed_at, purge_after, state_before FROM retained_material WHERE object_seq = ?'),
      retainedMaterialByUid: p('SELECT r.key_version, r.nonce, r.ciphertext FROM objects o LEFT JOIN retained_material r ON r.object_seq = o.seq WHERE o.uid = ?'),
      listRetained: p(
        'SELECT o.uid, r.destroyed_at, r.purge_after, r.state_before FROM retained_material r JOIN objects o ON o.seq = r.object_seq ORDER BY r.destroyed_at, r.object_seq LIMIT ? OFFSET ?',
      ),
      dueRetained: p(
        'SELECT o.seq, o.uid, r.destroyed_at, r.purge_after, r.state_before FROM retained_material r JOIN objects o ON o.seq = r.object_seq WHERE r.purge_after <= ? ORDER BY r.purge_after, r.object_seq',
      ),
      nextPurge: p('SELECT min(purge_after) FROM retained_material').pluck(),
    };
  }

  // -- plumbing -------------------------------------------------------------

  /**
   * Run fn as one transaction (a savepoint when nested), mapping SQLite errors
   * to StoreError. Writes take the lock up front (IMMEDIATE), so they wait on
   * busy_timeout instead of failing when upgrading a read lock; reads stay
   * DEFERRED so they never block a writer in another connection.
   */
  private tx<T>(fn: () => T, mode: 'immediate' | 'deferred' = 'immediate'): T {
    if (!this.db.open) throw new StoreError('CLOSED', 'the store is closed');
    const nested = this.db.inTransaction;
    // Only a top-level write transaction commits; nested ones are savepoints.
    const commits = mode === 'immediate' && !nested;
    try {
      // A read inside a transaction needs no savepoint: it has nothing to roll back.
      if (nested && mode === 'deferred') return fn();
      return (mode === 'immediate' ? this.runTx.immediate(fn) : this.runTx.deferred(fn)) as T;
    } catch (e) {
      throw toStoreError(e);
    } finally {
      if (commits) this.noteCommit();
    }
  }

  /**
   * Tells the durability barrier about a commit when rows changed: a write
   * transaction that changed nothing (Get of a key that is no longer Fresh)
   * needs no fsync. total_changes() also counts rolled-back rows, which only
   * costs a spare fsync.
   */
  private totalChanges = -1;

  /** Objects and material read lately (read-cache.ts). */
  private readonly hot = new ReadCache();

  /** The read cache's entries and hit counts (read-cache.ts). */
  get readCacheStats(): ReadCacheStats {
    return this.hot.stats;
  }

  /** Whether a read may use the read cache: outside a transaction only, after dropping what any change since made stale. */
  private cacheable(): boolean {
    if (!this.db.open || this.db.inTransaction) return false;
    this.hot.sync(this.s.totalChanges.get() as number);
    return true;
  }

  private noteCommit(): void {
    let n: number;
    try {
      n = this.s.totalChanges.get() as number;
    } catch {
      // Cannot tell (connection closing): assume a commit; a spare fsync is harmless.
      this.durable.committed();
      return;
    }
    if (n !== this.totalChanges) {
      this.totalChanges = n;
      this.durable.committed();
    }
    // Not waiting for the next read: a destroyed key's material leaves the read cache now.
    this.hot.sync(n);
  }

  private object(id: string): { seq: number; state: number } {
    const row = this.s.seqByUid.get(id) as { seq: number; state: number } | undefined;
    if (row === undefined) throw new StoreError('NOT_FOUND', `no object with identifier ${id}`);
    return row;
  }

  /**
   * `nextFree`: for an object created in this call, the next free index per
   * name, kept here instead of asked of SQLite with one query per instance
   * (a Create stores about ten attributes).
   */
  private insertAttribute(seq: number, name: AttributeName, value: AttributeValue, index: number | undefined, nextFree?: Map<string, number>): number {
    const n = nameColumns(name);
    if (index !== undefined && (!Number.isSafeInteger(index) || index < 0)) throw new StoreError('INVALID', 'attribute index must be a non-negative integer');
    const idx = index ?? (nextFree !== undefined ? (nextFree.get(n.name) ?? 0) : (this.s.nextIdx.get(seq, n.name) as number));
    if (nextFree !== undefined) nextFree.set(n.name, Math.max(nextFree.get(n.name) ?? 0, idx + 1));
    const k = keyColumns(value);
    try {
      this.s.insertAttr.run(seq, n.name, idx, n.vendor, value.type, k.text, k.int, k.date, encodeValue(value));
    } catch (e) {
      const err = toStoreError(e);
      if (err instanceof StoreError && err.code === 'CONFLICT') throw new StoreError('CONFLICT', `attribute ${n.name} index ${idx} already exists`);
      throw err;
    }
    return idx;
  }

  private rowToAttribute(r: AttributeRow): Required<Attribute> {
    return { name: nameFromColumns(r.name, r.vendor), index: r.idx, value: decodeValue(r.raw, `attribute ${r.name}[${r.idx}]`) };
  }

  private sealInto(seq: number, id: string, material: Uint8Array): void {
    const s = this.cipher.seal(MATERIAL, id, material);
    this.s.upsertMaterial.run(seq, s.keyVersion, s.nonce, s.ciphertext);
  }

  /** The instances of n names in one statement (one per n: callers ask for a handful of fixed sets). */
  private readonly byNames = new Map<number, Database.Statement>();
  private attrsByNames(n: number): Database.Statement {
    let st = this.byNames.get(n);
    if (st === undefined) {
      st = this.db.prepare(`SELECT name, idx, vendor, raw FROM attributes WHERE object_seq = ? AND name IN (${Array(n).fill('?').join(', ')}) ORDER BY name, idx`);
      if (n <= 64) this.byNames.set(n, st);
    }
    return st;
  }

  /** Locate statements by SQL text: filters repeat in shape, so preparing each once pays. */
  private readonly locateCache = new Map<string, Database.Statement>();
  private locateStatement(sql: string): Database.Statement {
    let st = this.locateCache.get(sql);
    if (st === undefined) {
      st = this.db.prepare(sql).pluck();
      if (this.locateCache.size >= 128) this.locateCache.delete(this.locateCache.keys().next().value!);
      this.locateCache.set(sql, st);
    }
    return st;
  }

  // -- KeyStore ---------------------------------------------------------------

  transaction<T>(fn: () => T): T {
    return this.tx(fn);
  }

  beginBatch(): BatchTransaction {
    if (!this.db.open) throw new StoreError('CLOSED', 'the store is closed');
    if (this.db.inTransaction) throw new StoreError('INTERNAL', 'a batch transaction cannot start inside another transaction');
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (e) {
      throw toStoreError(e);
    }
    let open = true;
    return {
      commit: () => {
        if (!open) throw new StoreError('INTERNAL', 'the batch transaction is already finished');
        try {
          this.db.exec('COMMIT');
          open = false;
        } catch (e) {
          throw toStoreError(e);
        } finally {
          if (!open) this.noteCommit();
        }
      },
      rollback: () => {
        if (!open) return;
        open = false;
        // SQLite may already have rolled back on its own after an error (then inTransaction is false).
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        this.hot.sync(this.s.totalChanges.get() as number);
      },
    };
  }

  createObject(obj: NewObject): string {
    const id = obj.id ?? randomUUID();
    if (typeof id !== 'string' || id === '') throw new StoreError('INVALID', 'the identifier must be a non-empty string');
    return this.tx(() => {
      const t = this.now();
      let seq: number;
      try {
        seq = Number(this.s.insertObject.run(id, obj.objectType, obj.state, obj.owner ?? null, t, t, obj.origin ?? null).lastInsertRowid);
      } catch (e) {
        const err = toStoreError(e);
        if (err instanceof StoreError && err.code === 'CONFLICT') throw new StoreError('CONFLICT', `an object with identifier ${id} already exists`);
        throw err;
      }
      const nextFree = new Map<string, number>();
      for (const a of obj.attributes ?? []) this.insertAttribute(seq, a.name, a.value, a.index, nextFree);
      if (obj.material !== undefined) this.sealInto(seq, id, obj.material);
      return id;
    });
  }

  getObject(id: string, names?: readonly AttributeName[]): StoredObject {
    // Length-prefixed: an identifier or an attribute name can hold any character, so no separator alone is safe.
    const nk = names === undefined ? '*' : namesKey(names);
    const cacheKey = this.cacheable() ? `${nk.length}:${nk}${id}` : undefined;
    const hit = cacheKey === undefined ? undefined : this.hot.object(cacheKey);
    if (hit !== undefined) return hit;
    const o = this.readObject(id, names);
    if (cacheKey !== undefined) this.hot.putObject(cacheKey, o);
    return o;
  }

  private readObject(id: string, names?: readonly AttributeName[]): StoredObject {
    return this.tx(() => {
      const row = this.s.objectByUid.get(id) as ObjectRowWithMaterial | undefined;
      if (row === undefined) throw new StoreError('NOT_FOUND', `no object with identifier ${id}`);
      const rows = names === undefined ? this.s.attrs.all(row.seq) : this.attrsByNames(names.length).all(row.seq, ...names.map((n) => attributeKey(n)));
      return {
        id: row.uid,
        seq: row.seq,
        objectType: row.object_type,
        state: row.state,
        owner: row.owner,
        createdAt: row.created_at,
        modifiedAt: row.modified_at,
        attributes: (rows as AttributeRow[]).map((r) => this.rowToAttribute(r)),
        hasMaterial: row.has_material === 1,
        sharedWith: row.shared_with === null ? [] : row.shared_with.split('\n').sort(),
        origin: row.origin,
      };
    }, 'deferred');
  }

  getMaterial(id: string): Uint8Array | null {
    const cached = this.cacheable();
    const hit = cached ? this.hot.material(id) : undefined;
    if (hit !== undefined) return hit;
    const m = this.readMaterial(id);
    if (cached) this.hot.putMaterial(id, m);
    return m;
  }

  private readMaterial(id: string): Uint8Array | null {
    return this.tx(() => {
      const m = this.s.materialByUid.get(id) as { key_version: number | null; nonce: Buffer | null; ciphertext: Buffer | null } | undefined;
      if (m === undefined) throw new StoreError('NOT_FOUND', `no object with identifier ${id}`);
      if (m.key_version === null || m.nonce === null || m.ciphertext === null) return null;
      return this.cipher.open(MATERIAL, id, m.key_version, { nonce: m.nonce, ciphertext: m.ciphertext });
    }, 'deferred');
  }

  setMaterial(id: string, material: Uint8Array): void {
    this.tx(() => {
      const { seq } = this.object(id);
      this.sealInto(seq, id, material);
      this.s.touch.run(this.now(), seq);
    });
  }

  getAttributes(id: string, names?: readonly AttributeName[]): Required<Attribute>[] {
    return this.tx(() => {
      const { seq } = this.object(id);
      if (names === undefined) return (this.s.attrs.all(seq) as AttributeRow[]).map((r) => this.rowToAttribute(r));
      return names.flatMap((n) => (this.s.attrsByName.all(seq, attributeKey(n)) as AttributeRow[]).map((r) => this.rowToAttribute(r)));
    }, 'deferred');
  }

  listAttributeNames(id: string): AttributeName[] {
    return this.tx(() => {
      const { seq } = this.object(id);
      return (this.s.attrNames.all(seq) as { name: string; vendor: string | null }[]).map((r) => nameFromColumns(r.name, r.vendor));
    }, 'deferred');
  }

  addAttribute(id: string, name: AttributeName, value: AttributeValue, index?: number): number {
    return this.tx(() => {
      const { seq } = this.object(id);
      const idx = this.insertAttribute(seq, name, value, index);
      this.s.touch.run(this.now(), seq);
      return idx;
    });
  }

  modifyAttribute(id: string, name: AttributeName, value: AttributeValue, index = 0): void {
    this.tx(() => {
      const { seq } = this.object(id);
      const n = nameColumns(name);
      const k = keyColumns(value);
      const changed = this.s.updateAttr.run(value.type, k.text, k.int, k.date, encodeValue(value), seq, n.name, index).changes;
      if (changed === 0) throw new StoreError('NOT_FOUND', `object ${id} has no attribute ${n.name} with index ${index}`);
      this.s.touch.run(this.now(), seq);
    });
  }

  deleteAttribute(id: string, name: AttributeName, index?: number): number {
    return this.tx(() => {
      const { seq } = this.object(id);
      const n = nameColumns(name);
      const changed = index === undefined ? this.s.deleteAttrAll.run(seq, n.name).changes : this.s.deleteAttr.run(seq, n.name, index).changes;
      if (changed === 0) throw new StoreError('NOT_FOUND', `object ${id} has no attribute ${n.name}${index === undefined ? '' : ` with index ${index}`}`);
      this.s.touch.run(this.now(), seq);
      return changed;
    });
  }

  setAttribute(id: string, name: AttributeName, value: AttributeValue): void {
    this.tx(() => {
      const { seq } = this.object(id);
      this.s.deleteAttrAll.run(seq, nameColumns(name).name);
      this.insertAttribute(seq, name, value, 0);
      this.s.touch.run(this.now(), seq);
    });
  }

  setState(id: string, state: number): void {
    this.tx(() => {
      const { seq } = this.object(id);
      this.s.setState.run(state, this.now(), seq);
    });
  }

  destroy(id: string, options: DestroyOptions = {}): void {
    const retainUntil = options.retainUntil;
    if (retainUntil !== undefined && !Number.isSafeInteger(retainUntil)) throw new StoreError('INVALID', 'retainUntil must be a time in whole milliseconds');
    this.tx(() => {
      const { seq, state } = this.object(id);
      const t = this.now();
      // Soft delete: the sealed row moves to retained_material as it is (its
      // AAD names the object, not the table); an object without material
      // leaves nothing to keep. A destroyed object keeps its first record.
      if (retainUntil !== undefined && !isDestroyedState(state)) this.s.retainMaterial.run(t, Math.max(t, retainUntil), state, seq);
      else if (retainUntil === undefined) this.s.deleteRetained.run(seq);
      // With secure_delete on, SQLite zeroes the freed ciphertext bytes in the
      // database file; the WAL's copy of the old page is overwritten once the
      // WAL is checkpointed and reused.
      this.s.deleteMaterial.run(seq);
      const next = state === ObjectState.Compromised || state === ObjectState.DestroyedCompromised ? ObjectState.DestroyedCompromised : ObjectState.Destroyed;
      this.s.setState.run(next, t, seq);
    });
  }

  // -- soft delete (operator actions, not KMIP) -------------------------------

  retained(id: string): RetainedObject | null {
    return this.tx(() => {
      const { seq } = this.object(id);
      const r = this.s.retainedBySeq.get(seq) as RetainedRow | undefined;
      return r === undefined ? null : { id, destroyedAt: r.destroyed_at, purgeAfter: r.purge_after, stateBefore: r.state_before };
    }, 'deferred');
  }

  listRetained(options: ListRetainedOptions = {}): RetainedObject[] {
    const limit = options.limit ?? 1000;
    const offset = options.offset ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 0 || !Number.isSafeInteger(offset) || offset < 0) throw new StoreError('INVALID', 'limit and offset must be non-negative integers');
    return this.tx(
      () => (this.s.listRetained.all(limit, offset) as (RetainedRow & { uid: string })[]).map((r) => ({ id: r.uid, destroyedAt: r.destroyed_at, purgeAfter: r.purge_after, stateBefore: r.state_before })),
      'deferred',
    );
  }

  nextPurgeAfter(): number | null {
    return this.tx(() => (this.s.nextPurge.get() as number | null) ?? null, 'deferred');
  }

  getRetainedMaterial(id: string): Uint8Array | null {
    return this.tx(() => {
      const m = this.s.retainedMaterialByUid.get(id) as { key_version: number | null; nonce: Buffer | null; ciphertext: Buffer | null } | undefined;
      if (m === undefined) throw new StoreError('NOT_FOUND', `no object with identifier ${id}`);
      if (m.key_version === null || m.nonce === null || m.ciphertext === null) return null;
      return this.cipher.open(MATERIAL, id, m.key_version, { nonce: m.nonce, ciphertext: m.ciphertext });
    }, 'deferred');
  }

  restore(id: string): number {
    return this.tx(() => {
      const { seq, state } = this.object(id);
      const r = this.s.retainedBySeq.get(seq) as RetainedRow | undefined;
      if (r === undefined || !isDestroyedState(state)) throw new StoreError('INVALID', `object ${id} is not soft-deleted (its material is not kept)`);
      // Revoked as compromised while soft-deleted (Destroyed → Destroyed Compromised): it comes back Compromised.
      const next = state === ObjectState.DestroyedCompromised ? ObjectState.Compromised : r.state_before;
      this.s.unretainMaterial.run(seq);
      this.s.deleteRetained.run(seq);
      const t = this.now();
      this.s.setState.run(next, t, seq);
      this.s.deleteAttrAll.run(seq, nameColumns('DestroyDate').name);
      this.s.deleteAttrAll.run(seq, nameColumns('LastChangeDate').name);
      this.insertAttribute(seq, 'LastChangeDate', { type: 'DateTime', value: BigInt(Math.floor(t / 1000)) }, 0);
      return next;
    });
  }

  purge(ids: readonly string[]): number {
    const n = this.tx(() => {
      for (const id of ids) {
        const { seq } = this.object(id);
        if (this.s.deleteRetained.run(seq).changes === 0) throw new StoreError('INVALID', `object ${id} is not soft-deleted (there is no kept material to purge)`);
      }
      return ids.length;
    });
    if (n > 0) this.checkpoint();
    return n;
  }

  purgeExpired(now: number): RetainedObject[] {
    const purged = this.tx(() => {
      const due = this.s.dueRetained.all(now) as (RetainedRow & { seq: number; uid: string })[];
      for (const r of due) this.s.deleteRetained.run(r.seq);
      return due.map((r) => ({ id: r.uid, destroyedAt: r.destroyed_at, purgeAfter: r.purge_after, stateBefore: r.state_before }));
    });
    if (purged.length > 0) this.checkpoint();
    return purged;
  }

  /**
   * Copies the log into the database file and truncates it, so that pages
   * holding erased material are gone from the -wal file too (secure_delete
   * already zeroed them in the database). Skipped inside a caller's
   * transaction: it cannot run there, and the erase is not committed yet.
   */
  private checkpoint(): void {
    if (this.db.inTransaction) return;
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (e) {
      throw toStoreError(e);
    }
  }

  // -- ownership and shares (operator actions, not KMIP) ----------------------

  setOwner(ids: readonly string[], owner: string | null): number {
    return this.tx(() => {
      for (const id of ids) this.s.setOwner.run(owner, this.object(id).seq);
      return ids.length;
    });
  }

  reassignOwner(from: string | null, to: string | null): number {
    return this.tx(() => this.s.reassignOwner.run(to, from).changes);
  }

  share(ids: readonly string[], grantees: readonly string[]): number {
    return this.tx(() => {
      let n = 0;
      for (const id of ids) {
        const seq = this.object(id).seq;
        for (const g of grantees) n += this.s.addShare.run(seq, checkGrantee(g)).changes;
      }
      return n;
    });
  }

  unshare(ids: readonly string[], grantees: readonly string[]): number {
    return this.tx(() => {
      let n = 0;
      for (const id of ids) {
        const seq = this.object(id).seq;
        for (const g of grantees) n += this.s.removeShare.run(seq, g).changes;
      }
      return n;
    });
  }

  ownerCounts(): { owner: string | null; count: number }[] {
    return this.tx(() => (this.s.ownerCounts.all() as { owner: string | null; n: number }[]).map((r) => ({ owner: r.owner, count: r.n })), 'deferred');
  }

  getMeta(key: string): Uint8Array | undefined {
    const row = this.tx(() => this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(jobMetaKey(key)) as Buffer | undefined, 'deferred');
    return row === undefined ? undefined : new Uint8Array(row);
  }

  setMeta(key: string, value: Uint8Array | undefined): void {
    const k = jobMetaKey(key);
    this.tx(() => {
      if (value === undefined) this.db.prepare('DELETE FROM meta WHERE key = ?').run(k);
      else this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(k, Buffer.from(value));
    });
  }

  metaKeys(prefix: string): string[] {
    jobMetaKey(prefix);
    // A range, not LIKE: the prefix may hold % or _.
    return this.tx(() => this.db.prepare('SELECT key FROM meta WHERE key >= ? AND key < ? ORDER BY key').pluck().all(prefix, `${prefix}\uffff`) as string[], 'deferred');
  }

  locate(filter: LocateFilter): string[] {
    const q = buildLocateQuery(filter);
    return this.tx(() => this.locateStatement(q.sql).all(...q.params) as string[], 'deferred');
  }

  // -- master key (main/server/master-key-admin.ts) ---------------------------

  /** What opening the store did about an interrupted master key rotation (for the log). */
  masterKeyNotes: readonly string[] = [];

  /** The master key version the material is sealed under. */
  get masterKeyVersion(): number {
    return this.cipher.currentVersion;
  }

  /** Whether `key` is the master key this store is open with (compared by a one-way check value). */
  isMasterKey(key: KeyObject): boolean {
    return this.cipher.isCurrentKey(key);
  }

  /**
   * A key derived from the current master key (HKDF-SHA256, 32 bytes) for
   * `info`, e.g. the backups' key-encryption key, with the master key version
   * it came from: record the version to find the retired key after a rotation.
   * The master key itself never leaves the store.
   */
  deriveSubkey(info: string): { key: KeyObject; version: number } {
    if (typeof info !== 'string' || info === '') throw new StoreError('INVALID', 'a subkey needs a non-empty info label');
    return { key: this.cipher.deriveSubkey(info), version: this.cipher.currentVersion };
  }

  /**
   * Re-encrypts every sealed row (object_material, retained_material when the
   * table exists, the key check) under `next` as version current+1, and
   * records that version in meta, in one transaction; the store uses the new
   * key from then on. Returns how many rows of each table were re-encrypted.
   * The caller writes the next key file before and renames it after
   * (rotateMasterKey), and must await sync() before the rename.
   */
  rotateMaterial(next: KeyObject): { version: number; objects: number; retained: number } {
    const from = this.cipher.currentVersion;
    const to = from + 1;
    if (to > MAX_KEY_VERSION) throw new StoreError('INVALID', `the master key has been rotated ${MAX_KEY_VERSION - 1} times, the most this database format records`);
    // Never as a savepoint of someone else's transaction (an Undo batch): its rollback would undo the re-encryption behind the new cipher's back.
    if (this.db.inTransaction) throw new StoreError('INTERNAL', 'the master key cannot be rotated inside another transaction');
    const old = this.cipher;
    const fresh = new MaterialCipher(new Map([[to, next]]), to);
    const result = this.tx(() => {
      const hasRetained = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'retained_material'").get() !== undefined;
      const tables = hasRetained ? (['object_material', 'retained_material'] as const) : (['object_material'] as const);
      const counts = { object_material: 0, retained_material: 0 };
      for (const table of tables) {
        // Pages by seq: better-sqlite3 cannot run the UPDATE while an iterator is open on the connection.
        const page = this.db.prepare(`SELECT m.object_seq AS seq, o.uid, m.key_version, m.nonce, m.ciphertext FROM ${table} m JOIN objects o ON o.seq = m.object_seq WHERE m.object_seq > ? ORDER BY m.object_seq LIMIT 500`);
        const update = this.db.prepare(`UPDATE ${table} SET key_version = ?, nonce = ?, ciphertext = ? WHERE object_seq = ?`);
        let after = -1;
        for (;;) {
          const rows = page.all(after) as { seq: number; uid: string; key_version: number; nonce: Buffer; ciphertext: Buffer }[];
          if (rows.length === 0) break;
          for (const r of rows) {
            const plain = old.open(MATERIAL, r.uid, r.key_version, { nonce: r.nonce, ciphertext: r.ciphertext });
            try {
              const sealed = fresh.seal(MATERIAL, r.uid, plain);
              update.run(sealed.keyVersion, sealed.nonce, sealed.ciphertext, r.seq);
            } finally {
              plain.fill(0);
            }
            counts[table]++;
          }
          after = rows[rows.length - 1]!.seq;
        }
      }
      const s = fresh.seal(KEY_CHECK, 'meta', Buffer.alloc(16));
      this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(KEY_CHECK, Buffer.concat([Buffer.from([s.keyVersion]), s.nonce, s.ciphertext]));
      this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(KEY_VERSION, String(to));
      return { version: to, objects: counts.object_material, retained: counts.retained_material };
    });
    this.cipher = fresh;
    return result;
  }

  sync(): Promise<void> {
    return this.durable.sync();
  }

  get durabilityStats(): DurabilityStats {
    return this.durable.durabilityStats;
  }

  close(): void {
    this.hot.clear();
    if (!this.db.open) return;
    // Keep planner statistics current for the next open (cheap; SQLite decides what to analyse).
    try {
      this.db.pragma('optimize');
    } catch {
      /* best effort */
    }
    this.db.close();
  }

  // -- backups (main/backup) --------------------------------------------------

  /**
   * An online copy of the database into `file` (which must not exist), by
   * the SQLite backup API on this connection (the only one: EXCLUSIVE
   * locking), WAL included. `stepPages` (default: all at once) pages are
   * copied per step, with other work in between: SQLite applies every change
   * this connection commits meanwhile to the copy as well, so the finished
   * copy is the database as of its last step, every earlier commit included.
   * A transaction left open across awaits (a KMIP Undo batch) during a step
   * would put its uncommitted pages into the copy: the caller knows whether
   * one ran (the batch gate) and copies again if so; this refuses to start
   * inside one.
   */
  async backupTo(file: string, stepPages = 0x7fffffff): Promise<void> {
    if (!this.db.open) throw new StoreError('CLOSED', 'the store is closed');
    if (this.db.inTransaction) throw new StoreError('BUSY', 'a transaction is open; the backup must wait for it');
    try {
      await this.db.backup(file, { progress: () => stepPages });
    } catch (e) {
      throw toStoreError(e);
    }
  }

  /** Objects in the store, and the highest object sequence number (0: none). */
  objectCount(): { count: number; maxSeq: number } {
    return this.tx(() => this.db.prepare('SELECT count(*) AS count, coalesce(max(seq), 0) AS maxSeq FROM objects').get() as { count: number; maxSeq: number }, 'deferred');
  }

  /** The underlying connection, for tests and diagnostics inside main/store only. */
  get connection(): Database.Database {
    return this.db;
  }
}
