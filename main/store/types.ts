// The KeyStore contract: everything the server keeps about managed objects.
// The SQLite implementation is in sqlite-store.ts; nothing outside main/store
// writes SQL.
import type { Attribute, AttributeName, AttributeValue } from '../../shared/kmip/message/attributes.js';
import type { TtlvItem } from '../../shared/kmip/ttlv/types.js';

/** KMIP State enumeration values (1.4 §9.1.3.2.17, 2.1 §11.44). */
export const ObjectState = {
  PreActive: 1,
  Active: 2,
  Deactivated: 3,
  Compromised: 4,
  Destroyed: 5,
  DestroyedCompromised: 6,
} as const;

/** The two states of an object whose material is gone. */
export const DESTROYED_STATES: readonly number[] = [ObjectState.Destroyed, ObjectState.DestroyedCompromised];

export function isDestroyedState(state: number): boolean {
  return state === ObjectState.Destroyed || state === ObjectState.DestroyedCompromised;
}

export interface NewObject {
  /** UUID text; generated when absent. */
  id?: string;
  /** KMIP Object Type enumeration value. */
  objectType: number;
  /** KMIP State enumeration value. */
  state: number;
  /** Name of the client that owns the object (main/access); null: nobody (created in-process or before access control). */
  owner?: string | null;
  /**
   * Attributes other than Unique Identifier, Object Type and State, which are
   * columns of the object row (the KMIP layer reports them from there).
   * An instance without index gets the next free index for its name.
   */
  attributes?: Attribute[];
  /** The object's secret content (e.g. an encoded Key Block), encrypted at rest. Absent: no material. */
  material?: Uint8Array;
  /** Where its value came from (migration 5); absent: not recorded. */
  origin?: ObjectOrigin;
}

/**
 * 'generated': made by this server (Create, Create Key Pair, Re-key, Re-key
 * Key Pair); 'imported': given by a client (Register); 'derived': Derive Key.
 */
export type ObjectOrigin = 'generated' | 'imported' | 'derived';

export interface StoredObject {
  id: string;
  /** The store's creation order (SQLite rowid): higher is newer (backups record the highest they hold). */
  seq?: number;
  objectType: number;
  state: number;
  owner: string | null;
  /** Milliseconds since the epoch. */
  createdAt: number;
  modifiedAt: number;
  /** Every stored instance, with its index, ordered by name then index. */
  attributes: Required<Attribute>[];
  hasMaterial: boolean;
  /** Whom the operator shared the object with: "client:NAME" and "group:NAME", sorted. */
  sharedWith: readonly string[];
  /** Where its value came from; null: stored before Keyhold recorded it (or not said). Absent on objects not read from a store. */
  origin?: ObjectOrigin | null;
}

/** One Locate criterion on an attribute; an object matches when some instance of `name` matches. */
export type AttributeFilter =
  /** The exact value (compared on the stored TTLV bytes, narrowed through an index first). */
  | { name: AttributeName; equals: AttributeValue }
  /** Text key: a Text String value, or a structure's first Text String (Name Value, Application Namespace). */
  | { name: AttributeName; text: string }
  /** Integer key: Integer/Long Integer/Enumeration/Boolean/Interval value, or a structure's first such field. */
  | { name: AttributeName; int: number | bigint }
  /** Date range (inclusive, seconds since the epoch) on a Date-Time or Date-Time Extended attribute. */
  | { name: AttributeName; from?: bigint | number; to?: bigint | number }
  /** Every bit of `allBits` set in an integer value (Cryptographic Usage Mask matching, 1.4 §4.9). */
  | { name: AttributeName; allBits: bigint | number }
  /**
   * A structure holding every one of these fields (same tag, same encoded value),
   * whatever other fields it has: the partial structure match of 1.4 §4.9 /
   * 2.1 §6.1.28 (a Link by Linked Object Identifier alone, Application
   * Specific Information by Application Data alone). `text`, when given, must
   * be the structure's first Text String (the text key column) and narrows
   * through the index before the fields are compared.
   */
  | { name: AttributeName; hasFields: readonly TtlvItem[]; text?: string };

/**
 * Where a managed object is kept, for Locate's Storage Status Mask. An object
 * is in exactly one: destroyed (Destroyed or Destroyed Compromised state,
 * whether or not it was archived first), archived (it has an Archive Date),
 * else online.
 */
export type StorageClass = 'online' | 'archived' | 'destroyed';

export interface LocateFilter {
  objectType?: number;
  /** One state or any of several. */
  state?: number | readonly number[];
  owner?: string;
  /** Only objects owned by one of these clients (an empty list matches nothing; unowned objects never match). */
  owners?: readonly string[];
  /** With owners: also objects shared with one of these grantees ("client:NAME", "group:NAME"), whoever owns them. */
  sharedWith?: readonly string[];
  /** Only objects of one of these Object Types (an empty list matches nothing). */
  objectTypes?: readonly number[];
  attributes?: readonly AttributeFilter[];
  /** Storage to search; absent: all three. */
  storage?: readonly StorageClass[];
  /** Most recently created first (default: oldest first). */
  newestFirst?: boolean;
  maxItems?: number;
  offset?: number;
}

export interface DestroyOptions {
  /** Soft delete: keep the encrypted material until this time (milliseconds since the epoch). */
  retainUntil?: number;
}

/** A soft-deleted object whose encrypted material the store still keeps. */
export interface RetainedObject {
  id: string;
  /** Milliseconds since the epoch. */
  destroyedAt: number;
  /** When the purge job erases the material (milliseconds since the epoch). */
  purgeAfter: number;
  /** The State before Destroy: what restore gives back. */
  stateBefore: number;
}

export interface ListRetainedOptions {
  /** At most this many (default 1000), after `offset`. */
  limit?: number;
  offset?: number;
}

export interface KeyStore {
  /** Run fn in one transaction (nested calls become savepoints). fn must be synchronous; a throw rolls back. */
  transaction<T>(fn: () => T): T;
  /**
   * Opens a transaction that stays open across calls (and across awaits of the
   * caller) until commit() or rollback(): KMIP batches with the Undo option.
   * Every store call in between joins it. The caller must keep every other
   * user of the store out meanwhile (the pipeline's batch gate does).
   */
  beginBatch(): BatchTransaction;

  createObject(obj: NewObject): string;
  /** The object without its material; NOT_FOUND when absent. */
  /** With `names`, `attributes` holds only the instances of those attributes (cheaper for hot paths). */
  getObject(id: string, names?: readonly AttributeName[]): StoredObject;
  /** Decrypted material (a fresh buffer the caller may zero after use), null when the object has none (e.g. destroyed); CORRUPT when it fails authentication. */
  getMaterial(id: string): Uint8Array | null;
  /** Replace the material (fresh nonce). */
  setMaterial(id: string, material: Uint8Array): void;

  /** Stored instances (all, or of the given names). Unique Identifier / Object Type / State are object fields, never returned here. */
  getAttributes(id: string, names?: readonly AttributeName[]): Required<Attribute>[];
  listAttributeNames(id: string): AttributeName[];
  /** Add an instance at the given index (CONFLICT if taken) or the next free one; returns the index. */
  addAttribute(id: string, name: AttributeName, value: AttributeValue, index?: number): number;
  /** Change the value of an existing instance (default index 0); NOT_FOUND when it does not exist. */
  modifyAttribute(id: string, name: AttributeName, value: AttributeValue, index?: number): void;
  /** Delete one instance, or every instance when index is undefined; returns how many; NOT_FOUND when none. */
  deleteAttribute(id: string, name: AttributeName, index?: number): number;
  /** Replace every instance of name with this single value at index 0 (KMIP 2.x Set Attribute). */
  setAttribute(id: string, name: AttributeName, value: AttributeValue): void;

  setState(id: string, state: number): void;
  /**
   * Wipe the material and mark the object Destroyed (Destroyed Compromised when it was Compromised). The row stays.
   * With `retainUntil` (soft delete) the encrypted material is kept aside until then instead (see restore, purge).
   */
  destroy(id: string, options?: DestroyOptions): void;

  // Soft delete (operator actions, never reachable from KMIP). A soft-deleted
  // object is destroyed for every other method: getMaterial gives null and
  // hasMaterial is false, exactly as after a hard Destroy.
  /** Whether the object's material is kept (null: it is not soft-deleted); NOT_FOUND when absent. */
  retained(id: string): RetainedObject | null;
  /** Soft-deleted objects whose material is kept, oldest Destroy first. */
  listRetained(options?: ListRetainedOptions): RetainedObject[];
  /** The earliest purgeAfter of all kept material, null when none is kept. */
  nextPurgeAfter(): number | null;
  /** The kept material of a soft-deleted object, decrypted (a fresh buffer), null when none is kept. */
  getRetainedMaterial(id: string): Uint8Array | null;
  /**
   * Undo a soft delete: the material goes back, the state is the one before
   * Destroy (Compromised if revoked as compromised meanwhile), Destroy Date is
   * removed and Last Change Date set to now. Returns the new state; INVALID
   * when no material is kept for it.
   */
  restore(id: string): number;
  /** Erase kept material now, all or none (INVALID for an object that is not soft-deleted); returns how many. */
  purge(ids: readonly string[]): number;
  /** Erase every kept material whose purgeAfter is at or before `now` (ms); returns what was erased. */
  purgeExpired(now: number): RetainedObject[];

  /** Identifiers of matching objects, oldest first (a stable order), after offset, at most maxItems. */
  locate(filter: LocateFilter): string[];

  // Operator actions (never reachable from KMIP): ownership and shares.
  /** Give these objects to `owner` (null: nobody), all or none (NOT_FOUND); returns how many. */
  setOwner(ids: readonly string[], owner: string | null): number;
  /** Give every object of `from` (null: unowned ones) to `to`; returns how many. */
  reassignOwner(from: string | null, to: string | null): number;
  /** Share these objects with grantees ("client:NAME", "group:NAME"), all or none; returns how many shares were new. */
  share(ids: readonly string[], grantees: readonly string[]): number;
  /** Withdraw shares; returns how many there were. */
  unshare(ids: readonly string[], grantees: readonly string[]): number;
  /** How many objects each owner has (null: unowned). */
  ownerCounts(): { owner: string | null; count: number }[];

  // Bookkeeping of the server's own jobs (the meta table), e.g. which keys the
  // expiry job has warned about. Keys are namespaced "job/…" (a slash after a
  // lower-case word), so they never touch the store's own entries.
  /** The value under key, undefined when absent. */
  getMeta(key: string): Uint8Array | undefined;
  /** Sets (or with undefined, deletes) the value under key. */
  setMeta(key: string, value: Uint8Array | undefined): void;
  /** Keys starting with prefix, sorted. */
  metaKeys(prefix: string): string[];

  close(): void;
}

/** An open store transaction (KeyStore.beginBatch). */
export interface BatchTransaction {
  commit(): void;
  /** Undo everything since beginBatch. Safe to call after a failed commit. */
  rollback(): void;
}
