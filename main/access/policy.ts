// Who may do what: a client's permissions as data, and pure decisions over
// them. No I/O here; the KMIP pipeline asks, the client registry supplies the
// data (main/server/clients.ts).
//
// A grant opens one permission group (operation-groups.ts) over a scope of
// objects:
//   own     objects this client created or registered;
//   shared  also objects owned by clients that share a group with it, and
//           objects the operator shared with it or with one of its groups;
//   all     every object, including those with no recorded owner.
// optionally only for some Object Types. Nothing is allowed without a grant
// (deny by default) except Discover Versions, which every registered client
// needs to negotiate the protocol. A new client gets DEFAULT_GRANTS: Query,
// and get/use of its own objects (least privilege).
//
// A denial must not reveal whether an object exists: for a client whose scope
// is not `all`, an identifier it may not see and one that does not exist get
// the same Permission Denied, word for word (access-objects.ts).
import { Enum } from '../../shared/kmip/registry/index.js';
import { operationGroup, PERMISSION_GROUPS, SERVER_WIDE, type PermissionGroup } from './operation-groups.js';
import type { PasswordCredential } from './credentials.js';

export type Scope = 'own' | 'shared' | 'all';
const SCOPES: readonly Scope[] = ['own', 'shared', 'all'];

export interface Grant {
  group: PermissionGroup;
  scope: Scope;
  /** Object Type enumeration values; absent: every type. */
  objectTypes?: readonly number[];
}

/** A connected client as the access decisions see it. */
export interface Principal {
  /** The client's registered name: what objects record as their owner. */
  name: string;
  grants: readonly Grant[];
  /** Clients whose objects `shared` reaches: those sharing a group with this one, itself included. */
  sharesWith: readonly string[];
  /** The client's own groups: objects the operator shared with one of them are reachable with scope `shared`. */
  groups?: readonly string[];
  /** Requests per second this client may send (over all its connections); absent: no limit. */
  requestsPerSecond?: number;
  /** A password every request must carry besides the certificate (main/access/credentials.ts); absent: none. */
  credential?: PasswordCredential;
}

export const DEFAULT_GRANTS: readonly Grant[] = [
  { group: 'query', scope: 'all' },
  { group: 'get', scope: 'own' },
  { group: 'use', scope: 'own' },
];

export const ALL_GRANTS: readonly Grant[] = PERMISSION_GROUPS.map((group) => ({ group, scope: 'all' as const }));

const OBJECT_TYPES = Enum.ObjectType as Record<string, number>;

/**
 * Parses the CLI / clients.json form: `all`, or a comma-separated list of
 * `group[:scope][:Type+Type…]` (scope defaults to own; query is always all),
 * e.g. `query,get:own,create:own:SymmetricKey`. Throws a one-line message.
 */
export function parseGrants(text: string): Grant[] {
  const t = text.trim();
  if (t === 'all') return ALL_GRANTS.map((g) => ({ ...g }));
  if (t === '' || t === 'none') return [];
  const seen = new Set<string>();
  return t.split(',').map((part) => {
    const [group, scope = 'own', types, extra] = part.trim().split(':');
    if (extra !== undefined) throw new Error(`permission "${part}": expected group[:scope][:Type+Type]`);
    if (!(PERMISSION_GROUPS as readonly string[]).includes(group!)) throw new Error(`permission "${part}": unknown group "${group}" (one of ${PERMISSION_GROUPS.join(', ')})`);
    if (!(SCOPES as readonly string[]).includes(scope)) throw new Error(`permission "${part}": unknown scope "${scope}" (one of ${SCOPES.join(', ')})`);
    if (seen.has(group!)) throw new Error(`permission "${group}" is given twice`);
    seen.add(group!);
    const grant: Grant = { group: group as PermissionGroup, scope: group === 'query' ? 'all' : (scope as Scope) };
    if (types !== undefined) {
      grant.objectTypes = types.split('+').map((name) => {
        const v = OBJECT_TYPES[name];
        if (v === undefined) throw new Error(`permission "${part}": unknown Object Type "${name}" (e.g. ${Object.keys(OBJECT_TYPES).slice(0, 6).join(', ')})`);
        return v;
      });
    }
    return grant;
  });
}

/** The inverse of parseGrants (what clients.json stores and `client list` shows). */
export function formatGrants(grants: readonly Grant[]): string {
  if (grants.length === 0) return 'none';
  const typeName = (v: number) => Object.keys(OBJECT_TYPES).find((k) => OBJECT_TYPES[k] === v) ?? String(v);
  return grants.map((g) => [g.group, g.scope, ...(g.objectTypes ? [g.objectTypes.map(typeName).join('+')] : [])].join(':')).join(',');
}

export type Decision = { allow: true; grant: Grant } | { allow: false; message: string };

/** Discover Versions needs no grant: a client must negotiate the protocol to say anything, and it reveals only the versions. */
const VERSION_NEGOTIATION: Grant = { group: 'query', scope: 'all' };

/** May this client run this operation at all (before any object is read)? */
export function mayRun(p: Principal, operation: number): Decision {
  const op = operationGroup(operation);
  if (op === undefined) return { allow: false, message: `client "${p.name}" may not run operation ${operation}` };
  if (op.name === 'DiscoverVersions') return { allow: true, grant: VERSION_NEGOTIATION };
  const grant = p.grants.find((g) => g.group === op.group);
  if (grant === undefined) return { allow: false, message: `client "${p.name}" has no ${op.group} permission (needed for ${op.name})` };
  if (SERVER_WIDE.has(op.name) && grant.scope !== 'all') return { allow: false, message: `client "${p.name}" needs ${op.group} permission on all objects for ${op.name}` };
  return { allow: true, grant };
}

/** The owners a grant reaches; undefined: every object, owned or not. */
export function reachableOwners(p: Principal, grant: Grant): readonly string[] | undefined {
  if (grant.scope === 'all') return undefined;
  if (grant.scope === 'own') return [p.name];
  return p.sharesWith.includes(p.name) ? p.sharesWith : [p.name, ...p.sharesWith];
}

/** The share grantees ("client:NAME", "group:NAME") through which a `shared` grant reaches objects; empty for other scopes. */
export function shareGrantees(p: Principal, grant: Grant): string[] {
  if (grant.scope !== 'shared') return [];
  return [`client:${p.name}`, ...(p.groups ?? []).map((g) => `group:${g}`)];
}

/** May the grant touch this object? */
export function mayTouch(p: Principal, grant: Grant, object: { owner: string | null; objectType: number; sharedWith?: readonly string[] }): boolean {
  if (grant.objectTypes !== undefined && !grant.objectTypes.includes(object.objectType)) return false;
  const owners = reachableOwners(p, grant);
  if (owners === undefined || (object.owner !== null && owners.includes(object.owner))) return true;
  const shared = object.sharedWith ?? [];
  return shared.length > 0 && shareGrantees(p, grant).some((g) => shared.includes(g));
}

/** May the grant create an object of this type? */
export function mayCreate(grant: Grant, objectType: number): boolean {
  return grant.objectTypes === undefined || grant.objectTypes.includes(objectType);
}
