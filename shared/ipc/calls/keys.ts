// The managed objects (keys, certificates, secret data …) as the Keys screen
// sees them: a searchable, filterable, paged list, one object's detail, and
// the operator's lifecycle actions. Served by main/admin/calls/keys.ts through
// the engine worker (the store belongs to it). Nothing here ever carries key
// material: rows and details hold names, states, owners, dates and attribute
// text only.
import type { ObjectDetails } from '../../engine/protocol.js';
import { call } from '../spec.js';
import { integer, object, oneOf, optional, string, type Validator } from '../validate.js';

/** KMIP State names, in lifecycle order. */
export const KEY_STATES = ['PreActive', 'Active', 'Deactivated', 'Compromised', 'Destroyed', 'DestroyedCompromised'] as const;
export type KeyState = (typeof KEY_STATES)[number];

/** Object Types the store holds (main/kmip/objects MANAGED_OBJECT_TYPES). */
export const KEY_OBJECT_TYPES = ['SymmetricKey', 'PublicKey', 'PrivateKey', 'SecretData', 'Certificate', 'OpaqueObject'] as const;
export type KeyObjectType = (typeof KEY_OBJECT_TYPES)[number];

/** KMIP Revocation Reason Codes. KeyCompromise and CACompromise make the object Compromised; the others take an Active object to Deactivated. */
export const REVOCATION_REASONS = ['Unspecified', 'KeyCompromise', 'CACompromise', 'AffiliationChanged', 'Superseded', 'CessationOfOperation', 'PrivilegeWithdrawn'] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export const KEYS_PAGE_MAX = 200;
export const KEY_SEARCH_MAX = 200;
/** Unique Identifiers Keyhold issues are UUIDs; imported ones may be longer, never this long. */
export const KEY_ID_MAX = 1000;
export const REVOKE_MESSAGE_MAX = 500;

/** One row of the Keys table. Dates are ISO 8601, null when the object has none. */
export interface KeyRow {
  id: string;
  /** Its Name attributes (usually one). */
  names: string[];
  objectType: string;
  /** "AES-256", "RSA-2048" …; null when the object has no Cryptographic Algorithm. */
  algorithm: string | null;
  state: string;
  owner: string | null;
  createdAt: string;
  activationDate: string | null;
  deactivationDate: string | null;
  /** Soft-deleted: Destroyed, its material kept until the retention ends; Restore brings it back. */
  restorable: boolean;
}

export interface KeyList {
  rows: KeyRow[];
  /** How many objects match the search and filters (all pages). */
  total: number;
}

/** One object in full: every attribute as readable text, never its material (the engine's showObject answer). */
export type KeyDetail = ObjectDetails;

/** What an action leaves behind: the object's state afterwards. */
export interface KeyActionResult {
  id: string;
  state: string;
}

const keyId = string({ minLength: 1, maxLength: KEY_ID_MAX });
const clientName = string({ minLength: 1, maxLength: 200 });

export const keysListArgs = object({
  /** Part of a Name or of the Unique Identifier (case-insensitive). */
  search: optional(string({ maxLength: KEY_SEARCH_MAX })),
  objectType: optional(oneOf(...KEY_OBJECT_TYPES)),
  state: optional(oneOf(...KEY_STATES)),
  owner: optional(clientName),
  limit: optional(integer({ min: 1, max: KEYS_PAGE_MAX })),
  offset: optional(integer({ min: 0, max: 1_000_000 })),
});
export type KeysListArgs = typeof keysListArgs extends Validator<infer V> ? V : never;

export const keysCalls = {
  /** Newest first. */
  'keys.list': call<KeysListArgs, KeyList>(keysListArgs),
  'keys.get': call<{ id: string }, KeyDetail>(object({ id: keyId })),
  /** Pre-Active → Active (→ Deactivated at once when its Deactivation Date has passed), as KMIP Activate. */
  'keys.activate': call<{ id: string }, KeyActionResult>(object({ id: keyId })),
  /** As KMIP Revoke: a compromise makes it Compromised, any other reason takes an Active object to Deactivated. */
  'keys.revoke': call<{ id: string; reason: RevocationReason; message?: string }, KeyActionResult>(
    object({ id: keyId, reason: oneOf(...REVOCATION_REASONS), message: optional(string({ maxLength: REVOKE_MESSAGE_MAX })) }),
  ),
  /** As KMIP Destroy (never an Active object; revoke it first). With soft delete on, the material is kept for the retention period. */
  'keys.destroy': call<{ id: string }, KeyActionResult>(object({ id: keyId })),
  /** Brings a soft-deleted object back: its material and the state it had before Destroy. */
  'keys.restore': call<{ id: string }, KeyActionResult>(object({ id: keyId })),
} as const;

export const keysEvents = {} as const;
