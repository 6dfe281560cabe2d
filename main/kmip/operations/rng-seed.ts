// RNG Seed (1.4 §4.36, 2.1 §6.1.50). The server's random source is
// node:crypto, i.e. OpenSSL's DRBG seeded and reseeded from the operating
// system; Node offers no way to add entropy to it (there is no RAND_add /
// RAND_seed binding), and mixing client bytes into a generator of our own
// would give a remote party influence over key generation for no gain. The
// spec allows exactly this answer: "The server MAY elect to ignore the
// information provided by the client (i.e. not accept the seeding material)
// and MAY indicate this to the client by returning zero as the value in the
// Data Length response. A client SHALL NOT consider a response from a server
// which does not use the provided data as an error." (2.1 §6.1.50; 1.4 §4.36
// says the same). The OASIS CS-RNG-O-3 case is that answer (Data Length 0).
// Operation Not Supported would also be allowed, but it fails clients that
// seed before use (CS-RNG-O-1 and -2 expect Success), while 0 tells them
// truthfully that nothing was used. The seed bytes are not kept or logged.
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { expectType, onlyTags } from './payload.js';

export const operation = Enum.Operation.RNGSeed;

export function handler(payload: StructureItem, _ctx: OperationContext): OperationResult {
  onlyTags(payload, [Tag.Data], 'RNG Seed');
  const it = payload.value.find((c) => c.tag === Tag.Data);
  if (it === undefined) throw new KmipOperationError('MissingData', 'RNG Seed needs Data (the seeding material)');
  expectType(it, 'ByteString');
  return { payload: [item(Tag.DataLength, 'Integer', 0)] };
}
