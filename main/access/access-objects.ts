// The managed objects as one client may see them for one operation: every
// call on an identifier checks the object against the operation's grant
// first, Create and Register record the client as the owner, and Locate only
// finds what the grant reaches. Operation handlers get this instead of the
// plain store view (pipeline.ts), so none of them can forget a check.
//
// Not revealing existence: when the grant's scope is not `all`, a missing
// object and an object out of reach answer the same Permission Denied with
// the same message. With scope all (and no type restriction) nothing is out
// of reach, and a missing object is Object Not Found as before.
import type { AttributeName, AttributeValue } from '../../shared/kmip/message/index.js';
import type { Attribute } from '../../shared/kmip/message/index.js';
import type { BatchTransaction, DestroyOptions, LocateFilter, NewObject, StoredObject } from '../store/types.js';
import type { ManagedObjects } from '../kmip/context.js';
import { KmipOperationError } from '../kmip/errors.js';
import { mayCreate, mayTouch, reachableOwners, shareGrantees, type Grant, type Principal } from './policy.js';

/** The view for one operation: the store itself when the grant reaches everything. */
export function objectsFor(inner: ManagedObjects, principal: Principal, grant: Grant): ManagedObjects {
  if (grant.scope === 'all' && grant.objectTypes === undefined) return new OwnerStamping(inner, principal);
  return new AccessObjects(inner, principal, grant);
}

/** Scope all: every object is reachable; new objects still record their owner. */
class OwnerStamping implements ManagedObjects {
  constructor(
    private readonly inner: ManagedObjects,
    private readonly principal: Principal,
  ) {}
  transaction<T>(fn: () => T): T {
    return this.inner.transaction(fn);
  }
  beginBatch(): BatchTransaction {
    return this.inner.beginBatch();
  }
  create(obj: NewObject): string {
    return this.inner.create({ ...obj, owner: this.principal.name });
  }
  get(id: string, names?: readonly AttributeName[]): StoredObject {
    return this.inner.get(id, names);
  }
  material(id: string): Uint8Array | null {
    return this.inner.material(id);
  }
  attributes(id: string, names?: readonly AttributeName[]): Required<Attribute>[] {
    return this.inner.attributes(id, names);
  }
  attributeNames(id: string): AttributeName[] {
    return this.inner.attributeNames(id);
  }
  set(id: string, name: AttributeName, value: AttributeValue): void {
    this.inner.set(id, name, value);
  }
  addAttribute(id: string, name: AttributeName, value: AttributeValue, index?: number): number {
    return this.inner.addAttribute(id, name, value, index);
  }
  modifyAttribute(id: string, name: AttributeName, value: AttributeValue, index: number): void {
    this.inner.modifyAttribute(id, name, value, index);
  }
  deleteAttribute(id: string, name: AttributeName, index?: number): number {
    return this.inner.deleteAttribute(id, name, index);
  }
  setState(id: string, state: number): void {
    this.inner.setState(id, state);
  }
  destroy(id: string, options?: DestroyOptions): void {
    this.inner.destroy(id, options);
  }
  locate(filter: LocateFilter): string[] {
    return this.inner.locate(filter);
  }
}

class AccessObjects implements ManagedObjects {
  constructor(
    private readonly inner: ManagedObjects,
    private readonly principal: Principal,
    private readonly grant: Grant,
  ) {}

  #denied(id: string): KmipOperationError {
    // The same words whether the object exists or not.
    return new KmipOperationError('PermissionDenied', `client "${this.principal.name}" has no ${this.grant.group} permission on object '${id}'`);
  }

  /** The object, when this grant reaches it; Permission Denied when it does not or does not exist. */
  #reach(id: string, names: readonly AttributeName[] = []): StoredObject {
    let o: StoredObject;
    try {
      o = this.inner.get(id, names);
    } catch (e) {
      if (e instanceof KmipOperationError && e.resultReason === 'ObjectNotFound') throw this.#denied(id);
      throw e;
    }
    if (!mayTouch(this.principal, this.grant, o)) throw this.#denied(id);
    return o;
  }

  transaction<T>(fn: () => T): T {
    return this.inner.transaction(fn);
  }
  beginBatch(): BatchTransaction {
    return this.inner.beginBatch();
  }
  create(obj: NewObject): string {
    if (!mayCreate(this.grant, obj.objectType)) {
      throw new KmipOperationError('PermissionDenied', `client "${this.principal.name}" may not create objects of this Object Type`);
    }
    return this.inner.create({ ...obj, owner: this.principal.name });
  }
  get(id: string, names?: readonly AttributeName[]): StoredObject {
    // One read: the object with the attributes asked for, checked before it is returned.
    if (names === undefined) {
      this.#reach(id);
      return this.inner.get(id);
    }
    return this.#reach(id, names);
  }
  material(id: string): Uint8Array | null {
    this.#reach(id);
    return this.inner.material(id);
  }
  attributes(id: string, names?: readonly AttributeName[]): Required<Attribute>[] {
    this.#reach(id);
    return this.inner.attributes(id, names);
  }
  attributeNames(id: string): AttributeName[] {
    this.#reach(id);
    return this.inner.attributeNames(id);
  }
  set(id: string, name: AttributeName, value: AttributeValue): void {
    this.#reach(id);
    this.inner.set(id, name, value);
  }
  addAttribute(id: string, name: AttributeName, value: AttributeValue, index?: number): number {
    this.#reach(id);
    return this.inner.addAttribute(id, name, value, index);
  }
  modifyAttribute(id: string, name: AttributeName, value: AttributeValue, index: number): void {
    this.#reach(id);
    this.inner.modifyAttribute(id, name, value, index);
  }
  deleteAttribute(id: string, name: AttributeName, index?: number): number {
    this.#reach(id);
    return this.inner.deleteAttribute(id, name, index);
  }
  setState(id: string, state: number): void {
    this.#reach(id);
    this.inner.setState(id, state);
  }
  destroy(id: string, options?: DestroyOptions): void {
    this.#reach(id);
    this.inner.destroy(id, options);
  }
  locate(filter: LocateFilter): string[] {
    const owners = reachableOwners(this.principal, this.grant);
    const sharedWith = shareGrantees(this.principal, this.grant);
    const types = this.grant.objectTypes;
    if (types !== undefined && filter.objectType !== undefined && !types.includes(filter.objectType)) return [];
    return this.inner.locate({
      ...filter,
      ...(owners === undefined ? {} : { owners, ...(sharedWith.length === 0 ? {} : { sharedWith }) }),
      ...(types === undefined || filter.objectType !== undefined ? {} : { objectTypes: types }),
    });
  }
}
