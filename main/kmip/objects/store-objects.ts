// ManagedObjects over the KeyStore: the only translation layer between store
// errors and Result Reasons. A missing object is Item Not Found with a message
// that names the identifier and nothing else (no store detail reaches a client).
import type { Attribute, AttributeName, AttributeValue } from '../../../shared/kmip/message/index.js';
import { StoreError, type KeyStore, type LocateFilter, type NewObject, type StoredObject } from '../../store/index.js';
import type { ManagedObjects } from '../context.js';
import { KmipOperationError } from '../errors.js';

function mapped<T>(id: string | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof StoreError && e.code === 'NOT_FOUND' && id !== undefined) {
      throw new KmipOperationError('ItemNotFound', `no object with Unique Identifier '${id}'`);
    }
    if (e instanceof StoreError && e.code === 'INVALID') throw new KmipOperationError('InvalidField', e.message);
    throw e;
  }
}

export class StoreObjects implements ManagedObjects {
  constructor(private readonly store: KeyStore) {}

  transaction<T>(fn: () => T): T {
    return this.store.transaction(fn);
  }
  create(obj: NewObject): string {
    return mapped(undefined, () => this.store.createObject(obj));
  }
  get(id: string): StoredObject {
    return mapped(id, () => this.store.getObject(id));
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
    mapped(id, () => this.store.setAttribute(id, name, value));
  }
  addAttribute(id: string, name: AttributeName, value: AttributeValue, index?: number): number {
    return mapped(id, () => this.store.addAttribute(id, name, value, index));
  }
  modifyAttribute(id: string, name: AttributeName, value: AttributeValue, index: number): void {
    mapped(id, () => this.store.modifyAttribute(id, name, value, index));
  }
  deleteAttribute(id: string, name: AttributeName, index?: number): number {
    return mapped(id, () => this.store.deleteAttribute(id, name, index));
  }
  setState(id: string, state: number): void {
    mapped(id, () => this.store.setState(id, state));
  }
  destroy(id: string): void {
    mapped(id, () => this.store.destroy(id));
  }
  locate(filter: LocateFilter): string[] {
    return mapped(undefined, () => this.store.locate(filter));
  }
}
