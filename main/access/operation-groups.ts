// Which permission group each KMIP operation needs: the table the access
// decision reads (policy.ts). Every Operation the registry knows (1.0–2.1)
// is listed, supported or not, so a handler added later is covered the day
// it lands; a test keeps the table complete.
//
// Groups (issue: who may do what):
//   create   new objects: Create, Create Key Pair, Register, Re-key, …
//   get      read objects and their attributes, find them: Get, Get
//            Attributes, Get Attribute List, Locate, Check, Obtain Lease, …
//   use      cryptographic services with an object: Encrypt, Sign, MAC, …
//   modify   change attributes, archive and recover
//   activate / revoke / destroy   the lifecycle steps of those names
//   query    about the server, no object: Query, Discover Versions, Log, …
// Operations that would change server-wide settings (Set Defaults, Set
// Constraints, Set Endpoint Role, …) need `modify` with scope all: an
// ordinary client's own-objects grant can never reach them (policy.ts).
import { Enum } from '../../shared/kmip/registry/index.js';

export const PERMISSION_GROUPS = ['create', 'get', 'use', 'modify', 'activate', 'revoke', 'destroy', 'query'] as const;
export type PermissionGroup = (typeof PERMISSION_GROUPS)[number];

type OperationName = keyof typeof Enum.Operation;

export const OPERATION_GROUPS: Readonly<Record<OperationName, PermissionGroup>> = {
  Create: 'create',
  CreateKeyPair: 'create',
  Register: 'create',
  ReKey: 'create',
  ReKeyKeyPair: 'create',
  DeriveKey: 'create',
  Certify: 'create',
  ReCertify: 'create',
  CreateSplitKey: 'create',
  JoinSplitKey: 'create',
  Import: 'create',

  Get: 'get',
  GetAttributes: 'get',
  GetAttributeList: 'get',
  Locate: 'get',
  Check: 'get',
  ObtainLease: 'get',
  GetUsageAllocation: 'get',
  Export: 'get',

  Encrypt: 'use',
  Decrypt: 'use',
  Sign: 'use',
  SignatureVerify: 'use',
  MAC: 'use',
  MACVerify: 'use',
  RNGRetrieve: 'use',
  RNGSeed: 'use',
  Hash: 'use',
  Validate: 'use',

  AddAttribute: 'modify',
  ModifyAttribute: 'modify',
  DeleteAttribute: 'modify',
  SetAttribute: 'modify',
  AdjustAttribute: 'modify',
  Archive: 'modify',
  Recover: 'modify',
  SetDefaults: 'modify',
  SetConstraints: 'modify',
  SetEndpointRole: 'modify',
  ReProvision: 'modify',
  PKCS_11: 'modify',
  Process: 'modify',
  Put: 'modify',
  Notify: 'modify',

  Activate: 'activate',
  Revoke: 'revoke',
  Destroy: 'destroy',

  Query: 'query',
  DiscoverVersions: 'query',
  Log: 'query',
  Interop: 'query',
  Cancel: 'query',
  Poll: 'query',
  QueryAsynchronousRequests: 'query',
  GetConstraints: 'query',
  Ping: 'query',
  Login: 'query',
  Logout: 'query',
  DelegatedLogin: 'query',
};

/** Operations that act on the server rather than on objects: only a `modify` grant with scope all may run them. */
export const SERVER_WIDE: ReadonlySet<OperationName> = new Set(['SetDefaults', 'SetConstraints', 'SetEndpointRole', 'ReProvision', 'PKCS_11', 'Process', 'Put', 'Notify']);

const byValue = new Map<number, { name: OperationName; group: PermissionGroup }>(
  (Object.entries(Enum.Operation) as [OperationName, number][]).map(([name, value]) => [value, { name, group: OPERATION_GROUPS[name] }]),
);

/** The operation's name and group; undefined for a value no KMIP version defines. */
export function operationGroup(operation: number): { name: OperationName; group: PermissionGroup } | undefined {
  return byValue.get(operation);
}
