// What the store read lately, kept for the next read of the same thing: an
// object (per set of attribute names asked for) and its opened material.
//
// Why: every cryptographic request reads its key's object and material, and
// on the Encrypt benchmark (AES-256-GCM of 1 KiB) those two read
// transactions and the AES-GCM open of the material were about a third of
// the request's cost in the engine.
//
// When it is right: the database has one connection (EXCLUSIVE locking), and
// SQLite's total_changes() on it counts every row any statement inserted,
// updated or deleted, committed or rolled back. While that count stands where
// it stood when an entry was taken, no row has changed since. The store asks
// for the count before each read and hands it to sync(): a different count
// empties the whole cache (the material wiped first). Only reads outside a
// transaction use the cache or fill it: inside one, a read can see that
// transaction's own uncommitted rows.
//
// Material: the copies held here are wiped when they leave (a change, an
// eviction, close()); callers get their own copy each time, which they wipe
// as before. The store also empties the cache after every commit or rollback
// that changed rows, so a destroyed key's material does not wait for the next
// read. Bounded: the least recently used entry goes first, and material over
// 16 KiB is not kept.
import type { StoredObject } from './types.js';

export const READ_CACHE_ENTRIES = 1024;
/** Material larger than this is not kept (key material is at most a few KiB; Secret Data and Opaque Objects can be megabytes). */
export const READ_CACHE_MAX_MATERIAL = 16 * 1024;

export interface ReadCacheStats {
  objects: number;
  material: number;
  hits: number;
  misses: number;
}

export class ReadCache {
  #stamp = -1;
  #hits = 0;
  #misses = 0;
  readonly #objects = new Map<string, StoredObject>();
  readonly #material = new Map<string, Uint8Array | null>();

  constructor(private readonly limit = READ_CACHE_ENTRIES) {}

  /** The connection's total_changes() now: anything taken at another count is dropped. */
  sync(stamp: number): void {
    if (stamp !== this.#stamp) {
      this.clear();
      this.#stamp = stamp;
    }
  }

  /** A copy of the cached object (arrays copied; attributes frozen, so a caller that edits one fails loudly instead of changing the cache). */
  object(key: string): StoredObject | undefined {
    const o = this.#use(this.#objects, key);
    return o === undefined ? undefined : copy(o);
  }

  /** Keeps a copy of `o` (the caller keeps `o`). */
  putObject(key: string, o: StoredObject): void {
    const kept = copy(o);
    for (const a of kept.attributes) Object.freeze(Object.freeze(a).value);
    this.#objects.delete(key);
    this.#objects.set(key, kept);
    if (this.#objects.size > this.limit) this.#objects.delete(this.#objects.keys().next().value!);
  }

  /** undefined: not cached; null: cached as "no material". Otherwise the caller's own copy. */
  material(id: string): Uint8Array | null | undefined {
    const m = this.#use(this.#material, id);
    return m === undefined || m === null ? m : Uint8Array.prototype.slice.call(m);
  }

  /** Keeps a copy of `m` (the caller keeps, and wipes, `m`), unless it is larger than READ_CACHE_MAX_MATERIAL. */
  putMaterial(id: string, m: Uint8Array | null): void {
    this.#dropMaterial(id);
    if (m !== null && m.length > READ_CACHE_MAX_MATERIAL) return;
    this.#material.set(id, m === null ? null : Uint8Array.prototype.slice.call(m));
    if (this.#material.size > this.limit) this.#dropMaterial(this.#material.keys().next().value!);
  }

  /** Entries held, and lookups answered from the cache or not since it was made (diagnostics and tests). */
  get stats(): ReadCacheStats {
    return { objects: this.#objects.size, material: this.#material.size, hits: this.#hits, misses: this.#misses };
  }

  clear(): void {
    for (const m of this.#material.values()) m?.fill(0);
    this.#material.clear();
    this.#objects.clear();
  }

  /** The entry under `key`, now the most recently used; counts the hit or the miss. */
  #use<V>(map: Map<string, V>, key: string): V | undefined {
    const v = map.get(key);
    if (v === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    map.delete(key);
    map.set(key, v);
    return v;
  }

  #dropMaterial(id: string): void {
    this.#material.get(id)?.fill(0);
    this.#material.delete(id);
  }
}

function copy(o: StoredObject): StoredObject {
  return { ...o, attributes: o.attributes.slice(), sharedWith: o.sharedWith.slice() };
}
