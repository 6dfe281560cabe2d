// ManagedObjects over the KeyStore: the only translation layer between store
// errors and Result Reasons. A missing object is Object Not Found (Item Not
// Found in 1.x, see errors.ts) with a message that names the identifier and
// nothing else (no store detail reaches a client). Name uniqueness is
// enforced here, at the end of each operation's outermost transaction
// (name-uniqueness.ts).
import type { Attribute, AttributeName, AttributeValue } from '../../../shared/kmip/message/index.js';
import { StoreError, type BatchTransaction, type DestroyOptions, type KeyStore, type LocateFilter, type NewObject, type StoredObject } from '../../store/index.js';
import type { ManagedObjects } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { assertUniqueName, nameValue } from './name-uniqueness.js';

function mapped<T>(id: string | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof StoreError && e.code === 'NOT_FOUND' && id !== undefined) {
      throw new KmipOperationError('ObjectNotFound', `no object with Unique Identifier '${id}'`);
    }
    if (e instanceof StoreError && e.code === 'INVALID') throw new KmipOperationError('InvalidField', e.message);
    throw e;
  }
}

export class StoreObjects implements ManagedObjects {
  /** Depth of transaction() calls; names written inside are checked when the outermost one ends. */
  #depth = 0;
  #pendingNames = new Set<string>();

  constructor(private readonly store: KeyStore) {}

  transaction<T>(fn: () => T): T {
    return this.store.transaction(() => {
      this.#depth++;
      try {
        const r = fn();
        if (this.#depth === 1) this.#checkNames();
        return r;
      } finally {
        this.#depth--;
        if (this.#depth === 0) this.#pendingNames.clear();
      }
    });
  }

  beginBatch(): BatchTransaction {
    return this.store.beginBatch();
  }

  /** Runs a write that may add Names: checked now outside a transaction (the write and the check in one), else at its end. */
  #namesWrite<T>(names: readonly string[], fn: () => T): T {
    if (names.length === 0) return fn();
    if (this.#depth > 0) {
      for (const n of names) this.#pendingNames.add(n);
      return fn();
    }
    return this.transaction(() => {
      for (const n of names) this.#pendingNames.add(n);
      return fn();
    });
  }

  #checkNames(): void {
    for (const n of this.#pendingNames) assertUniqueName(this.store, n);
  }

  create(obj: NewObject): string {
    const names = (obj.attributes ?? []).flatMap((a) => nameValue(a.name, a.value) ?? []);
    return this.#namesWrite(names, () => mapped(undefined, () => this.store.createObject(obj)));
  }
  get(id: string, names?: readonly AttributeName[]): StoredObject {
    return mapped(id, () => this.store.getObject(id, names));
  }
  material(id: string): Uint8Array | null {
    return mapped(id, () => this.store.getMaterial(id));
  }
  attributes(id: string, names?: readonly AttributeName[]): Required<Attribute>[] {
    return mapped(id, () => this.store.getAttributes(id, names));
  }
  attributeNames(id: string): AttributeName[] {
    return mapped(id, () => this.store.listAttributeNames(id));
  }
  set(id: string, name: AttributeName, value: AttributeValue): void {
    this.#namesWrite(nameValue(name, value) === undefined ? [] : [nameValue(name, value)!], () => mapped(id, () => this.store.setAttribute(id, name, value)));
  }
  addAttribute(id: string, name: AttributeName, value: AttributeValue, index?: number): number {
    const n = nameValue(name, value);
    return this.#namesWrite(n === undefined ? [] : [n], () => mapped(id, () => this.store.addAttribute(id, name, value, index)));
  }
  modifyAttribute(id: string, name: AttributeName, value: AttributeValue, index: number): void {
    const n = nameValue(name, value);
    this.#namesWrite(n === undefined ? [] : [n], () => mapped(id, () => this.store.modifyAttribute(id, name, value, index)));
  }
  deleteAttribute(id: string, name: AttributeName, index?: number): number {
    return mapped(id, () => this.store.deleteAttribute(id, name, index));
  }
  setState(id: string, state: number): void {
    mapped(id, () => this.store.setState(id, state));
  }
  destroy(id: string, options?: DestroyOptions): void {
    mapped(id, () => this.store.destroy(id, options));
  }
  locate(filter: LocateFilter): string[] {
    return mapped(undefined, () => this.store.locate(filter));
  }
}
