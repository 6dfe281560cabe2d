// Operation enumeration value → handler. A map, so that the set of served
// operations is data: Query Operations lists exactly what is registered, and
// anything absent answers Operation Not Supported.
import type { OperationHandler, OperationModule } from './context.js';
import * as activate from './operations/activate.js';
import * as archive from './operations/archive.js';
import * as addAttribute from './operations/add-attribute.js';
import * as adjustAttribute from './operations/adjust-attribute.js';
import * as check from './operations/check.js';
import * as reKey from './operations/re-key.js';
import * as reKeyKeyPair from './operations/re-key-key-pair.js';
import * as create from './operations/create.js';
import * as createKeyPair from './operations/create-key-pair.js';
import * as deleteAttribute from './operations/delete-attribute.js';
import * as decrypt from './operations/decrypt.js';
import * as destroy from './operations/destroy.js';
import * as discoverVersions from './operations/discover-versions.js';
import * as encrypt from './operations/encrypt.js';
import * as get from './operations/get.js';
import * as getAttributeList from './operations/get-attribute-list.js';
import * as getAttributes from './operations/get-attributes.js';
import * as interop from './operations/interop.js';
import * as locate from './operations/locate.js';
import * as log from './operations/log.js';
import * as modifyAttribute from './operations/modify-attribute.js';
import * as obtainLease from './operations/obtain-lease.js';
import * as query from './operations/query.js';
import * as recover from './operations/recover.js';
import * as register from './operations/register.js';
import * as revoke from './operations/revoke.js';
import * as rngRetrieve from './operations/rng-retrieve.js';
import * as rngSeed from './operations/rng-seed.js';
import * as hash from './operations/hash.js';
import * as sign from './operations/sign.js';
import * as signatureVerify from './operations/signature-verify.js';
import * as mac from './operations/mac.js';
import * as macVerify from './operations/mac-verify.js';
import * as deriveKey from './operations/derive-key.js';
import * as setAttribute from './operations/set-attribute.js';

export class Router {
  readonly #handlers = new Map<number, OperationHandler>();

  constructor(modules: readonly OperationModule[] = []) {
    for (const m of modules) this.register(m);
  }

  register(m: OperationModule): this {
    if (this.#handlers.has(m.operation)) throw new Error(`operation 0x${m.operation.toString(16)} is registered twice`);
    this.#handlers.set(m.operation, m.handler);
    return this;
  }

  handler(operation: number): OperationHandler | undefined {
    return this.#handlers.get(operation);
  }

  /** Registered Operation values, ascending. */
  operations(): number[] {
    return [...this.#handlers.keys()].sort((a, b) => a - b);
  }
}

/** Every operation module the server ships. New operations are added here. */
export const OPERATION_MODULES: readonly OperationModule[] = [
  discoverVersions,
  query,
  create,
  createKeyPair,
  register,
  get,
  getAttributes,
  getAttributeList,
  activate,
  revoke,
  destroy,
  locate,
  obtainLease,
  archive,
  recover,
  interop,
  log,
  addAttribute,
  modifyAttribute,
  deleteAttribute,
  setAttribute,
  check,
  reKey,
  reKeyKeyPair,
  adjustAttribute,
  encrypt,
  decrypt,
  rngRetrieve,
  rngSeed,
  hash,
  sign,
  signatureVerify,
  mac,
  macVerify,
  deriveKey,
];

/** The shipped operations plus `extra`; an extra module replaces the shipped one for its operation (tests, stubs). */
export function createRouter(extra: readonly OperationModule[] = []): Router {
  const replaced = new Set(extra.map((m) => m.operation));
  return new Router([...OPERATION_MODULES.filter((m) => !replaced.has(m.operation)), ...extra]);
}
