// Operator actions on managed objects: list them with their owners and
// shares, transfer ownership, share with clients or groups and withdraw
// shares. Never reachable from KMIP: the running server runs these for
// `keyhold object …` through its control socket (control-socket.ts), and the
// CLI runs them on the store directly when no server is running. Each change
// is one store transaction and one admin record in the audit log.
//
// Names are checked against clients.json: an owner or share grantee must be
// a registered client (or a group some client is in), because a typo would
// silently hand a key to nobody, and a retired name must never own objects
// again (its successor could otherwise inherit them).
import { enumeration, enumValueName } from '../../shared/kmip/registry/index.js';
import type { ObjectSummary } from '../../shared/engine/protocol.js';
import type { AuditRecord } from '../audit/audit-log.js';
import type { KeyStore } from '../store/types.js';
import { nameValue } from '../kmip/objects/name-uniqueness.js';
import type { ClientsDoc } from './clients.js';

export type { ObjectSummary };

export interface ListObjectsParams {
  /** Only this client's objects. */
  owner?: string;
  /** At most this many (default 100, at most 10,000), after `offset`. */
  limit?: number;
  offset?: number;
}

export interface TransferParams {
  /** These objects; or, with `from`, every object that client owns. */
  ids?: readonly string[];
  from?: string;
  to: string;
}

export interface ShareParams {
  ids: readonly string[];
  clients?: readonly string[];
  groups?: readonly string[];
  /** Withdraw these shares instead of adding them. */
  withdraw?: boolean;
}

export type ObjectStore = Pick<KeyStore, 'getObject' | 'locate' | 'setOwner' | 'reassignOwner' | 'share' | 'unshare' | 'ownerCounts'>;

export interface ObjectAdminDeps {
  store: ObjectStore;
  /** The current clients.json (read per call: it changes while the server runs). */
  clients: () => Promise<ClientsDoc> | ClientsDoc;
  audit?: (r: Omit<AuditRecord, 'at'>) => void;
  /**
   * Runs a write outside any KMIP batch with the Undo option (the running
   * server's batch gate, held shared): such a batch keeps a store transaction
   * open across awaits, and a transfer written meanwhile would join it and be
   * rolled back with it. Absent (offline CLI): the write runs as is.
   */
  serialize?: <T>(fn: () => Promise<T>) => Promise<T>;
}

const MAX_IDS = 10_000;
const typeName = (v: number) => enumValueName(enumeration('ObjectType')!, v) ?? String(v);
const stateName = (v: number) => enumValueName(enumeration('State')!, v) ?? String(v);

function checkIds(ids: readonly string[] | undefined): readonly string[] {
  if (ids === undefined || ids.length === 0) throw new Error('name at least one object (its Unique Identifier)');
  if (ids.length > MAX_IDS) throw new Error(`at most ${MAX_IDS} objects at a time`);
  return ids;
}

function registered(doc: ClientsDoc, name: string, role: string): void {
  if (doc.clients.some((c) => c.name === name)) return;
  if (doc.retired.includes(name)) throw new Error(`"${name}" is a removed client; ${role} must be a registered one`);
  throw new Error(`no client named "${name}" is registered`);
}

export class ObjectAdmin {
  constructor(private readonly deps: ObjectAdminDeps) {}

  list(p: ListObjectsParams = {}): ObjectSummary[] {
    const limit = p.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) throw new Error('the limit must be between 1 and 10000');
    const ids = this.deps.store.locate({ ...(p.owner === undefined ? {} : { owner: p.owner }), maxItems: limit, offset: p.offset ?? 0 });
    return ids.map((id) => {
      const o = this.deps.store.getObject(id, ['Name']);
      return {
        id,
        objectType: typeName(o.objectType),
        state: stateName(o.state),
        owner: o.owner,
        names: o.attributes.flatMap((a) => nameValue(a.name, a.value) ?? []),
        sharedWith: [...o.sharedWith],
      };
    });
  }

  /** How many objects each client owns (null: nobody). */
  owners(): { owner: string | null; count: number }[] {
    return this.deps.store.ownerCounts();
  }

  private write<T>(fn: () => T): Promise<T> {
    const f = async () => fn();
    return this.deps.serialize ? this.deps.serialize(f) : f();
  }

  async transfer(p: TransferParams): Promise<{ count: number }> {
    const doc = await this.deps.clients();
    registered(doc, p.to, 'the new owner');
    let count: number;
    let objects: string[];
    let detail: string;
    if (p.from !== undefined) {
      if (p.ids !== undefined) throw new Error('give the objects or --from CLIENT, not both');
      if (p.from === p.to) throw new Error('the objects already belong to that client');
      count = await this.write(() => this.deps.store.reassignOwner(p.from!, p.to));
      objects = [];
      detail = `every object of "${p.from}" (${count}) to "${p.to}"`;
    } else {
      const ids = checkIds(p.ids);
      count = await this.write(() => this.deps.store.setOwner(ids, p.to));
      objects = ids.slice(0, 16);
      detail = `${count} object${count === 1 ? '' : 's'} to "${p.to}"`;
    }
    this.deps.audit?.({ kind: 'admin', client: p.to, address: null, operation: 'objects transferred', objects, result: 'applied', reason: null, message: detail });
    return { count };
  }

  async share(p: ShareParams): Promise<{ count: number }> {
    const ids = checkIds(p.ids);
    const doc = await this.deps.clients();
    const clients = p.clients ?? [];
    const groups = p.groups ?? [];
    if (clients.length + groups.length === 0) throw new Error('share with at least one client or group');
    if (!p.withdraw) {
      for (const c of clients) registered(doc, c, 'a share');
      for (const g of groups) if (!doc.clients.some((c) => c.groups.includes(g))) throw new Error(`no client is in group "${g}"`);
    }
    const grantees = [...clients.map((c) => `client:${c}`), ...groups.map((g) => `group:${g}`)];
    const count = await this.write(() => (p.withdraw ? this.deps.store.unshare(ids, grantees) : this.deps.store.share(ids, grantees)));
    const whom = grantees.join(', ');
    this.deps.audit?.({
      kind: 'admin',
      client: null,
      address: null,
      operation: p.withdraw ? 'shares withdrawn' : 'objects shared',
      objects: ids.slice(0, 16),
      result: 'applied',
      reason: null,
      message: `${ids.length} object${ids.length === 1 ? '' : 's'} ${p.withdraw ? 'no longer shared with' : 'shared with'} ${whom} (${count} ${p.withdraw ? 'removed' : 'new'})`,
    });
    return { count };
  }
}
