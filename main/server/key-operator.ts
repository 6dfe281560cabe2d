// The operator's key actions (issue 7, the Keys screen): search the managed
// objects, and Activate, Revoke and Destroy one of them. The actions run the
// KMIP operation handlers themselves (main/kmip/operations/activate.ts,
// revoke.ts, destroy.ts) on the server's store, so the state rules, the date
// attributes and soft delete are exactly those a KMIP client gets; only the
// caller differs: no client, no access grants, and an audit record of kind
// 'admin' instead of a request record. Writes run under the batch gate held
// shared, like every request (an Undo batch's open transaction must not take
// an operator's change with it when it rolls back). Never reachable from KMIP;
// the engine worker runs these for the admin UI.
import { Enum, enumeration, enumValueByNameOf, enumValueName, Tag } from '../../shared/kmip/registry/index.js';
import { item, struct, type StructureItem } from '../../shared/kmip/ttlv/index.js';
import type { Attribute } from '../../shared/kmip/message/index.js';
import { KEY_STATES, type KeyActionResult, type KeyList, type KeyRow, type KeysListArgs, type RevocationReason } from '../../shared/ipc/calls/keys.js';
import type { ServerSummary } from '../../shared/engine/protocol.js';
import type { AuditRecord } from '../audit/audit-log.js';
import type { BatchGate } from '../kmip/batch-gate.js';
import type { ObjectsPort, OperationContext, OperationHandler } from '../kmip/context.js';
import { KmipOperationError } from '../kmip/errors.js';
import { nameValue } from '../kmip/objects/name-uniqueness.js';
import { handler as activateHandler } from '../kmip/operations/activate.js';
import { handler as destroyHandler } from '../kmip/operations/destroy.js';
import { handler as revokeHandler } from '../kmip/operations/revoke.js';
import type { KeyPolicy } from '../policy/key-policy.js';
import { StoreError, type KeyStore } from '../store/index.js';

export type OperatorStore = Pick<KeyStore, 'getObject' | 'locate' | 'retained'>;

export interface KeyOperatorDeps {
  store: OperatorStore;
  /** The same port the KMIP requests use (storeObjectsPort). */
  port: ObjectsPort;
  gate: Pick<BatchGate, 'shared'>;
  /** The current key policy (soft delete and its retention for Destroy). */
  policy: () => KeyPolicy;
  clock: () => Date;
  audit?: (r: Omit<AuditRecord, 'at'>) => void;
  /** Open KMIP connections now (the TLS listener's count). */
  connections?: () => number;
}

/** Searching reads at most this many identifiers (newest first); beyond it the total says so by being capped. */
export const SEARCH_SCAN_MAX = 100_000;

const typeName = (v: number) => enumValueName(enumeration('ObjectType')!, v) ?? String(v);
const stateName = (v: number) => enumValueName(enumeration('State')!, v) ?? String(v);
const iso = (ms: number) => new Date(ms).toISOString();
const SERVER = { vendorIdentification: 'Keyhold', serverName: 'Keyhold', productName: 'Keyhold' };
const ROW_ATTRIBUTES = ['Name', 'CryptographicAlgorithm', 'CryptographicLength', 'ActivationDate', 'DeactivationDate'] as const;

function algorithmOf(attrs: readonly Required<Attribute>[]): string | null {
  const alg = attrs.find((a) => a.name === 'CryptographicAlgorithm')?.value;
  const len = attrs.find((a) => a.name === 'CryptographicLength')?.value;
  if (alg?.type !== 'Enumeration') return null;
  const name = enumValueName(enumeration('CryptographicAlgorithm')!, alg.value) ?? String(alg.value);
  return len?.type === 'Integer' ? `${name}-${len.value}` : name;
}

function dateOf(attrs: readonly Required<Attribute>[], name: string): string | null {
  const v = attrs.find((a) => a.name === name)?.value;
  return v?.type === 'DateTime' ? iso(Number(v.value) * 1000) : null;
}

/** The operator's sentence for a refusal from the KMIP handlers or the store. */
function operatorError(e: unknown): unknown {
  if (e instanceof KmipOperationError) {
    if (e.resultReason === 'ObjectNotFound' || e.resultReason === 'ItemNotFound') return new Error(`no object with identifier ${idOf(e.message)}; it may have been removed: refresh the list`);
    return new Error(e.message.replace(/^object '([^']*)'/, 'object $1'));
  }
  if (e instanceof StoreError && e.code === 'NOT_FOUND') return new Error(`${e.message}; it may have been removed: refresh the list`);
  return e;
}
const idOf = (message: string) => /'([^']*)'/.exec(message)?.[1] ?? /identifier (\S+)/.exec(message)?.[1] ?? '?';

export class KeyOperator {
  constructor(private readonly deps: KeyOperatorDeps) {}

  /** Newest first; search is case-insensitive on every Name and the identifier. */
  search(p: KeysListArgs): KeyList {
    const { store } = this.deps;
    const type = p.objectType === undefined ? undefined : enumValueByNameOf(enumeration('ObjectType')!, p.objectType);
    const state = p.state === undefined ? undefined : enumValueByNameOf(enumeration('State')!, p.state);
    if (p.objectType !== undefined && type === undefined) throw new Error(`unknown object type ${p.objectType}`);
    if (p.state !== undefined && state === undefined) throw new Error(`unknown state ${p.state}`);
    const limit = p.limit ?? 50;
    const offset = p.offset ?? 0;
    const filter = {
      ...(type === undefined ? {} : { objectType: type }),
      ...(state === undefined ? {} : { state }),
      ...(p.owner === undefined ? {} : { owner: p.owner }),
      newestFirst: true,
    };
    const needle = (p.search ?? '').trim().toLowerCase();
    let ids: string[];
    let total: number;
    if (needle === '') {
      ids = store.locate({ ...filter, maxItems: limit, offset });
      total = store.locate({ ...filter, maxItems: SEARCH_SCAN_MAX }).length;
    } else {
      const matching = store.locate({ ...filter, maxItems: SEARCH_SCAN_MAX }).filter((id) => {
        if (id.toLowerCase().includes(needle)) return true;
        return store.getObject(id, ['Name']).attributes.some((a) => nameValue(a.name, a.value)?.toLowerCase().includes(needle) ?? false);
      });
      total = matching.length;
      ids = matching.slice(offset, offset + limit);
    }
    return { rows: ids.map((id) => this.row(id)), total };
  }

  private row(id: string): KeyRow {
    const o = this.deps.store.getObject(id, [...ROW_ATTRIBUTES]);
    return {
      id,
      names: o.attributes.flatMap((a) => nameValue(a.name, a.value) ?? []),
      objectType: typeName(o.objectType),
      algorithm: algorithmOf(o.attributes),
      state: stateName(o.state),
      owner: o.owner,
      createdAt: iso(o.createdAt),
      activationDate: dateOf(o.attributes, 'ActivationDate'),
      deactivationDate: dateOf(o.attributes, 'DeactivationDate'),
      restorable: this.deps.store.retained(id) !== null,
    };
  }

  summary(): ServerSummary {
    const states = enumeration('State')!;
    return {
      objectsByState: KEY_STATES.map((s) => ({ state: s, count: this.deps.store.locate({ state: enumValueByNameOf(states, s)!, maxItems: SEARCH_SCAN_MAX }).length })),
      connections: this.deps.connections?.() ?? 0,
    };
  }

  activate(id: string): Promise<KeyActionResult> {
    return this.act(activateHandler, [item(Tag.UniqueIdentifier, 'TextString', id)], id, 'object activated', 'activated', null);
  }

  revoke(id: string, reason: RevocationReason, message?: string): Promise<KeyActionResult> {
    const code = enumValueByNameOf(enumeration('RevocationReasonCode')!, reason);
    if (code === undefined) throw new Error(`unknown revocation reason ${reason}`);
    const rr = struct(Tag.RevocationReason, [
      item(Tag.RevocationReasonCode, 'Enumeration', code),
      ...(message === undefined || message === '' ? [] : [item(Tag.RevocationMessage, 'TextString', message)]),
    ]);
    return this.act(revokeHandler, [item(Tag.UniqueIdentifier, 'TextString', id), rr], id, 'object revoked', `revoked (${reason})`, reason);
  }

  destroy(id: string): Promise<KeyActionResult> {
    return this.act(destroyHandler, [item(Tag.UniqueIdentifier, 'TextString', id)], id, 'object destroyed', 'destroyed', null);
  }

  /** Runs one KMIP handler as the operator, under the batch gate; audits what it did. */
  private act(handler: OperationHandler, children: StructureItem['value'], id: string, operation: string, verb: string, reason: string | null): Promise<KeyActionResult> {
    const ctx: OperationContext = {
      protocolVersion: { major: 2, minor: 1 },
      kmipVersion: '2.1',
      clock: this.deps.clock,
      server: SERVER,
      objects: this.deps.port,
      idPlaceholder: undefined,
      operations: () => [Enum.Operation.Activate, Enum.Operation.Revoke, Enum.Operation.Destroy],
      keyPolicy: { policy: this.deps.policy(), client: undefined },
    };
    return this.deps.gate.shared(async () => {
      try {
        await handler(struct(Tag.RequestPayload, children), ctx);
      } catch (e) {
        throw operatorError(e);
      }
      const o = this.deps.store.getObject(id, []);
      const state = stateName(o.state);
      const kept = this.deps.store.retained(id);
      const note = kept === null ? '' : `; material kept until ${iso(kept.purgeAfter)} (restorable)`;
      this.deps.audit?.({ kind: 'admin', client: null, address: null, operation, objects: [id], result: 'applied', reason, message: `object ${id} ${verb} by the operator; state ${state}${note}` });
      return { id, state };
    });
  }
}
