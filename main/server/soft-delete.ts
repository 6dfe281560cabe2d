// Soft delete, the operator's side (issue 6 point 3). With the key policy's
// softDelete on, a KMIP Destroy leaves the object Destroyed for every client
// but the store keeps its encrypted material aside (retained_material,
// migration 4) until the retention period ends. Here:
//  - list the soft-deleted objects, show one object (never its material),
//    restore objects, purge kept material now, and reveal an object's key
//    bytes (only with the identifier repeated as confirmation);
//  - the purge job: erases the material whose retention has passed, at
//    start, hourly and when the next retention ends.
// Never reachable from KMIP: the running server runs these for `keyhold
// objects …` through its control socket, and the CLI on the store directly
// when no server runs. Every change and every reveal is an audit record;
// no key material goes to the log or the audit log.
import { enumeration, enumValueName, Tag, tagName } from '../../shared/kmip/registry/index.js';
import { buildV2Attribute, type Attribute } from '../../shared/kmip/message/index.js';
import { toKmipJson, type KmipJsonObject } from '../../shared/kmip/json/index.js';
import type { TtlvItem } from '../../shared/kmip/ttlv/index.js';
import type { DeletedObjectSummary, ObjectDetails, RevealedMaterial } from '../../shared/engine/protocol.js';
import type { Logger } from '../admin/log.js';
import type { AuditRecord } from '../audit/audit-log.js';
import { KmipOperationError } from '../kmip/errors.js';
import { decodeMaterial } from '../kmip/objects/material.js';
import { assertUniqueName, nameValue } from '../kmip/objects/name-uniqueness.js';
import { StoreError, type KeyStore, type RetainedObject } from '../store/index.js';
import { isDestroyedState } from '../store/types.js';

export type { DeletedObjectSummary, ObjectDetails, RevealedMaterial };

export type SoftDeleteStore = Pick<
  KeyStore,
  'transaction' | 'getObject' | 'getMaterial' | 'locate' | 'getAttributes' | 'retained' | 'listRetained' | 'nextPurgeAfter' | 'getRetainedMaterial' | 'restore' | 'purge' | 'purgeExpired'
>;

export interface SoftDeleteDeps {
  store: SoftDeleteStore;
  audit?: (r: Omit<AuditRecord, 'at'>) => void;
  log?: Logger;
  /** Now (the server's clock, injectable in tests). */
  clock?: () => Date;
  /**
   * Runs a store action where no KMIP batch with the Undo option has a
   * transaction open (the running server's batch gate): otherwise a purge
   * could join that transaction and be rolled back with it after being
   * audited. Absent (the CLI without a server): run directly.
   */
  serialize?: <T>(fn: () => Promise<T>) => Promise<T>;
}

export interface ListDeletedParams {
  /** At most this many (default 100, at most 10,000), after `offset`. */
  limit?: number;
  offset?: number;
}

const MAX_IDS = 10_000;
/** The purge job looks at least this often, whatever the next retention end. */
export const PURGE_INTERVAL_MS = 3_600_000;

const typeName = (v: number) => enumValueName(enumeration('ObjectType')!, v) ?? String(v);
const stateName = (v: number) => enumValueName(enumeration('State')!, v) ?? String(v);
const iso = (ms: number) => new Date(ms).toISOString();

function checkIds(ids: readonly string[] | undefined): readonly string[] {
  if (ids === undefined || ids.length === 0) throw new Error('name at least one object (its Unique Identifier)');
  if (ids.length > MAX_IDS) throw new Error(`at most ${MAX_IDS} objects at a time`);
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw new Error(`object ${id} is named twice`);
    seen.add(id);
  }
  return ids;
}

/** A store NOT_FOUND as the operator's sentence; anything else unchanged. */
function operatorError(e: unknown): unknown {
  if (e instanceof StoreError && e.code === 'NOT_FOUND') return new Error(e.message);
  return e;
}

/** "AES-256", "RSA-2048", or null when the object has no algorithm. */
function algorithmOf(attrs: readonly Required<Attribute>[]): string | null {
  const alg = attrs.find((a) => a.name === 'CryptographicAlgorithm')?.value;
  const len = attrs.find((a) => a.name === 'CryptographicLength')?.value;
  if (alg?.type !== 'Enumeration') return null;
  const name = enumValueName(enumeration('CryptographicAlgorithm')!, alg.value) ?? String(alg.value);
  return len?.type === 'Integer' ? `${name}-${len.value}` : name;
}

/** An attribute value on one line, as the KMIP JSON encoding names it. */
function render(j: KmipJsonObject): string {
  if (Array.isArray(j.value)) return `{ ${j.value.map((c) => `${c.tag}: ${render(c)}`).join(', ')} }`;
  return String(j.value);
}

function attributeText(a: Required<Attribute>): { name: string; index: number; value: string } {
  const name = typeof a.name === 'string' ? a.name : `${a.name.vendorIdentification}:${a.name.attributeName}`;
  let value: string;
  try {
    const built = buildV2Attribute(a);
    value = render(toKmipJson(built.type === 'Structure' && built.tag === Tag.Attribute ? built.value.find((c) => c.tag === Tag.AttributeValue) ?? built : built));
  } catch {
    value = `(${a.value.type})`;
  }
  return { name, index: a.index, value: value.slice(0, 4000) };
}

/** Every byte field of a stored object structure (key material, certificate value, opaque data, transparent key fields). */
function byteFields(it: TtlvItem, out: { name: string; hex: string }[]): void {
  if (it.type === 'ByteString' || it.type === 'BigInteger') out.push({ name: tagName(it.tag) ?? `0x${it.tag.toString(16)}`, hex: Buffer.from(it.value).toString('hex') });
  else if (it.type === 'Structure') for (const c of it.value) byteFields(c, out);
}

function keyFormatOf(it: TtlvItem): string | null {
  if (it.type !== 'Structure') return null;
  for (const c of it.value) {
    if (c.tag === Tag.KeyFormatType && c.type === 'Enumeration') return enumValueName(enumeration('KeyFormatType')!, c.value) ?? String(c.value);
    const inner = keyFormatOf(c);
    if (inner !== null) return inner;
  }
  return null;
}

export class SoftDeleteAdmin {
  private readonly clock: () => Date;
  constructor(private readonly deps: SoftDeleteDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  private run<T>(fn: () => T): Promise<T> {
    const f = async () => {
      try {
        return fn();
      } catch (e) {
        throw operatorError(e);
      }
    };
    return this.deps.serialize ? this.deps.serialize(f) : f();
  }

  private record(operation: string, objects: readonly string[], message: string): void {
    this.deps.audit?.({ kind: 'admin', client: null, address: null, operation, objects: objects.slice(0, 16), result: 'applied', reason: null, message });
  }

  /** Soft-deleted objects whose material is kept, oldest Destroy first. */
  listDeleted(p: ListDeletedParams = {}): Promise<DeletedObjectSummary[]> {
    const limit = p.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_IDS) throw new Error(`the limit must be between 1 and ${MAX_IDS}`);
    return this.run(() =>
      this.deps.store.listRetained({ limit, offset: p.offset ?? 0 }).map((r) => {
        const o = this.deps.store.getObject(r.id, ['Name', 'CryptographicAlgorithm', 'CryptographicLength']);
        return {
          id: r.id,
          objectType: typeName(o.objectType),
          algorithm: algorithmOf(o.attributes),
          names: o.attributes.flatMap((a) => nameValue(a.name, a.value) ?? []),
          owner: o.owner,
          destroyedAt: iso(r.destroyedAt),
          purgeAfter: iso(r.purgeAfter),
        };
      }),
    );
  }

  /** One object: state, owner, shares, whether its material is kept, every attribute; never the material. */
  show(id: string): Promise<ObjectDetails> {
    return this.run(() => {
      const o = this.deps.store.getObject(id);
      const r = this.deps.store.retained(id);
      return {
        id,
        objectType: typeName(o.objectType),
        state: stateName(o.state),
        owner: o.owner,
        sharedWith: [...o.sharedWith],
        createdAt: iso(o.createdAt),
        material: o.hasMaterial ? 'present' : r !== null ? 'retained' : isDestroyedState(o.state) ? 'erased' : 'none',
        retained: r === null ? null : { destroyedAt: iso(r.destroyedAt), purgeAfter: iso(r.purgeAfter), stateBefore: stateName(r.stateBefore) },
        attributes: o.attributes.map(attributeText),
      };
    });
  }

  /**
   * Restores soft-deleted objects, all or none: each gets its material back
   * and the state it had before Destroy. Refused when its Name is now used by
   * a live object (Names are unique among live objects).
   */
  restore(ids: readonly string[]): Promise<{ restored: { id: string; state: string }[] }> {
    checkIds(ids);
    return this.run(() => {
      const restored = this.deps.store.transaction(() =>
        ids.map((id) => {
          const state = this.deps.store.restore(id);
          for (const a of this.deps.store.getAttributes(id, ['Name'])) {
            const n = nameValue(a.name, a.value);
            if (n === undefined) continue;
            try {
              assertUniqueName(this.deps.store as KeyStore, n);
            } catch (e) {
              if (e instanceof KmipOperationError) throw new Error(`the Name "${n}" of object ${id} is now used by another object; rename or destroy that one first`);
              throw e;
            }
          }
          return { id, state: stateName(state) };
        }),
      );
      for (const r of restored) {
        this.deps.log?.info(`kmip: object ${r.id} restored by the operator (${r.state})`);
        this.record('object restored', [r.id], `object ${r.id} restored by the operator; state ${r.state}`);
      }
      return { restored };
    });
  }

  /** Erases the kept material of these soft-deleted objects now, all or none. Irreversible. */
  purge(ids: readonly string[]): Promise<{ count: number }> {
    checkIds(ids);
    return this.run(() => {
      const count = this.deps.store.purge(ids);
      for (const id of ids) {
        this.deps.log?.info(`kmip: material of object ${id} purged by the operator`);
        this.record('object purged', [id], `material of object ${id} erased by the operator before its retention ended`);
      }
      return { count };
    });
  }

  /** The purge job's step: erases every kept material whose retention has ended. */
  purgeDue(): Promise<RetainedObject[]> {
    return this.run(() => {
      const purged = this.deps.store.purgeExpired(this.clock().getTime());
      for (const r of purged) {
        this.deps.log?.info(`kmip: material of object ${r.id} purged (destroyed ${iso(r.destroyedAt)}, retention ended ${iso(r.purgeAfter)})`);
        this.record('object purged', [r.id], `material of object ${r.id} erased: destroyed ${iso(r.destroyedAt)}, retention ended ${iso(r.purgeAfter)}`);
      }
      return purged;
    });
  }

  /**
   * The object's key bytes, as hex: the live material, or the kept material of
   * a soft-deleted object. `confirm` must repeat the identifier. Audited.
   */
  reveal(id: string, confirm: string): Promise<RevealedMaterial> {
    if (confirm !== id) throw new Error('revealing key material needs the identifier repeated as confirmation');
    return this.run(() => {
      const o = this.deps.store.getObject(id, []);
      const live = this.deps.store.getMaterial(id);
      const bytes = live ?? this.deps.store.getRetainedMaterial(id);
      if (bytes === null) throw new Error(`object ${id} has no key material (${isDestroyedState(o.state) ? 'destroyed and erased' : 'none stored'})`);
      let fields: { name: string; hex: string }[];
      let format: string | null;
      try {
        const obj = decodeMaterial(bytes);
        fields = [];
        byteFields(obj, fields);
        format = keyFormatOf(obj);
      } finally {
        bytes.fill(0);
      }
      this.deps.log?.warn(`kmip: key material of object ${id} revealed to the operator`);
      this.record('material revealed', [id], `key material of object ${id} (${typeName(o.objectType)}, ${live === null ? 'kept after soft delete' : 'live'}) shown to the operator`);
      return { id, objectType: typeName(o.objectType), state: stateName(o.state), format, fields };
    });
  }

  /**
   * Runs purgeDue now, then again at the next retention end and at least
   * hourly, until stop(). The timer is unref'd: it never keeps the process up.
   */
  async startPurgeJob(): Promise<{ stop(): void }> {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const tick = async () => {
      timer = undefined;
      try {
        await this.purgeDue();
      } catch (e) {
        this.deps.log?.warn(`kmip: the purge of soft-deleted material failed (retried later): ${(e as Error).message}`);
      }
      if (stopped) return;
      let delay = PURGE_INTERVAL_MS;
      try {
        const next = this.deps.store.nextPurgeAfter();
        if (next !== null) delay = Math.min(delay, Math.max(1_000, next - this.clock().getTime() + 1));
      } catch {
        /* the store is closing: the hourly default */
      }
      timer = setTimeout(() => void tick(), delay);
      timer.unref();
    };
    await tick();
    return {
      stop: () => {
        stopped = true;
        if (timer !== undefined) clearTimeout(timer);
      },
    };
  }
}
