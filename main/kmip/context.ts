// What an operation handler sees and returns. Handlers are transport- and
// storage-independent: everything they may touch comes in through this context.
import type { ProtocolVersion } from '../../shared/kmip/message/index.js';
import type { KmipVersion } from '../../shared/kmip/registry/index.js';
import type { StructureItem, TtlvItem } from '../../shared/kmip/ttlv/index.js';
import type { Attribute, AttributeName, AttributeValue } from '../../shared/kmip/message/index.js';
import type { BatchTransaction, DestroyOptions, LocateFilter, NewObject, StoredObject } from '../store/types.js';
import type { KeyPolicy } from '../policy/key-policy.js';

/** Returns the current time; injected so that tests and replays get fixed time stamps. */
export type Clock = () => Date;

export interface ServerInfo {
  /** Vendor Identification in Query Server Information. */
  vendorIdentification: string;
  /** KMIP 2.x Server Information fields (1.x sends an empty, vendor-specific structure). */
  serverName?: string;
  serverVersion?: string;
  productName?: string;
  buildLevel?: string;
}

/**
 * The managed-object store as operations see it. Deliberately minimal: it
 * grows with the operations that need it (the store implements it).
 */
export interface ObjectsPort {
  /** Object Type enumeration values the store can hold (Query Objects). */
  readonly objectTypes: readonly number[];
  /** The managed objects themselves; absent in a server without a store (object operations then fail). */
  readonly managed?: ManagedObjects;
}

/**
 * Managed objects as the key operations use them (main/kmip/objects/ implements
 * it over the KeyStore). A missing object throws KmipOperationError Item Not Found.
 */
export interface ManagedObjects {
  /** fn runs in one store transaction: a state change and its date attributes commit together. */
  transaction<T>(fn: () => T): T;
  /** A transaction that spans a whole batch (Batch Error Continuation Option Undo); see KeyStore.beginBatch. */
  beginBatch(): BatchTransaction;
  create(obj: NewObject): string;
  /** With `names`, only those attributes are read (see KeyStore.getObject). */
  get(id: string, names?: readonly AttributeName[]): StoredObject;
  /** The stored object encoding (see objects/), null once destroyed. */
  material(id: string): Uint8Array | null;
  attributes(id: string, names?: readonly AttributeName[]): Required<Attribute>[];
  attributeNames(id: string): AttributeName[];
  /** Replace every instance of name by this one value. */
  set(id: string, name: AttributeName, value: AttributeValue): void;
  /** Add an instance at the next free index (or the given one); returns the index. */
  addAttribute(id: string, name: AttributeName, value: AttributeValue, index?: number): number;
  /** Change the value of the instance at index. */
  modifyAttribute(id: string, name: AttributeName, value: AttributeValue, index: number): void;
  /** Delete the instance at index, or every instance when index is undefined; returns how many. */
  deleteAttribute(id: string, name: AttributeName, index?: number): number;
  setState(id: string, state: number): void;
  /**
   * Wipe the material; the state becomes Destroyed (Destroyed Compromised from Compromised).
   * With retainUntil (soft delete) the store keeps the encrypted material aside until then, for the operator only.
   */
  destroy(id: string, options?: DestroyOptions): void;
  locate(filter: LocateFilter): string[];
}

export interface OperationContext {
  /** The version the response is written in (the request's, see versions.ts). */
  readonly protocolVersion: ProtocolVersion;
  readonly kmipVersion: KmipVersion;
  readonly clock: Clock;
  readonly server: ServerInfo;
  readonly objects: ObjectsPort | undefined;
  /**
   * The ID Placeholder (1.4 §4, 2.1 §6.1): the Unique Identifier returned by
   * an earlier item of this batch, for items that omit theirs. Undefined when
   * no earlier item set one.
   */
  readonly idPlaceholder: string | undefined;
  /** Operations the router serves (Query Operations). */
  readonly operations: () => readonly number[];
  /** The server log, for events a client asks to have recorded (Log, Interop); absent: not recorded. Never pass key material. */
  readonly log?: (line: string) => void;
  /**
   * The key policy new objects must pass (operations/key-policy-gate.ts), and
   * the client asking. Absent: every key the handlers support is allowed
   * (in-process use: tests, replays).
   */
  readonly keyPolicy?: { readonly policy: KeyPolicy; readonly client: string | undefined };
  /**
   * The backup rule "serve only keys a verified backup holds" (backup.json
   * refuseUnbackedKeys, main/server/backup-service.ts): true when this
   * object's material must not be returned yet. Absent: no such rule.
   */
  readonly notBackedUp?: (obj: StoredObject) => boolean;
  /**
   * The authenticated client's registered name (absent: no access control,
   * in-process use). Multi-part cryptographic operations bind their streams
   * to it (crypto/streams.ts).
   */
  readonly client?: string;
  /**
   * The managed objects as the client's `use` grant reaches them: a key that
   * one operation uses on behalf of another (the wrapping key of a Get or
   * Register, operations/key-wrapping.ts; the base objects of Derive Key) is
   * checked against `use`, not the
   * operation's own grant. Throws Permission Denied when the client has no
   * `use` permission. Absent: no access control (in-process use).
   */
  readonly objectsForUse?: () => ManagedObjects;
}

export interface OperationResult {
  /** Children of the Response Payload. */
  payload: TtlvItem[];
  /**
   * The Unique Identifier to copy into the ID Placeholder: set by the
   * operations the spec names (Create, Create Key Pair, Register, Derive Key,
   * Re-key, Re-key Key Pair, Certify, Re-Certify, Locate, Recover). null
   * empties it (Locate returning other than exactly one identifier).
   */
  idPlaceholder?: string | null;
}

/** `payload` is the request's Request Payload. Throw KmipOperationError to fail the item. */
export type OperationHandler = (payload: StructureItem, ctx: OperationContext) => OperationResult | Promise<OperationResult>;

export interface OperationModule {
  /** Operation enumeration value. */
  readonly operation: number;
  readonly handler: OperationHandler;
}
