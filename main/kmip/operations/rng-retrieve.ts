// RNG Retrieve (1.4 §4.35, 2.1 §6.1.49): Data Length bytes from the server's
// random source (node:crypto randomBytes: OpenSSL's DRBG seeded by the OS,
// the same source as generated keys; see rng.ts). One request returns at
// most MAX_RNG_BYTES, so a client cannot make the server build an arbitrarily
// large answer; more is asked for in several requests.
import { randomBytes } from 'node:crypto';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { expectType, onlyTags } from './payload.js';

export const operation = Enum.Operation.RNGRetrieve;

/** The most one RNG Retrieve returns (64 KiB). */
export const MAX_RNG_BYTES = 65_536;

export function handler(payload: StructureItem, _ctx: OperationContext): OperationResult {
  onlyTags(payload, [Tag.DataLength], 'RNG Retrieve');
  const it = payload.value.find((c) => c.tag === Tag.DataLength);
  if (it === undefined) throw new KmipOperationError('MissingData', 'RNG Retrieve needs a Data Length (the number of random bytes wanted)');
  const n = expectType(it, 'Integer').value;
  if (n <= 0) throw new KmipOperationError('InvalidField', `Data Length must be a positive number of bytes, not ${n}`);
  if (n > MAX_RNG_BYTES) throw new KmipOperationError('InvalidField', `Data Length ${n} is over this server's limit of ${MAX_RNG_BYTES} bytes per RNG Retrieve; ask in several requests`);
  return { payload: [item(Tag.Data, 'ByteString', new Uint8Array(randomBytes(n)))] };
}
