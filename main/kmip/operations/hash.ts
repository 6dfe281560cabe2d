// Hash (1.4 §4.38, 2.1 §6.1.24): the digest of Data under the Hashing
// Algorithm of the request's Cryptographic Parameters. Supported: SHA-1,
// SHA-224/256/384/512, SHA-512/224, SHA-512/256, SHA3-224/256/384/512 (all
// from node:crypto). Multi-part: Init Indicator starts a stream whose
// Correlation Value the answer carries; later parts send it back, and the
// part with Final Indicator returns the digest (parts.ts, crypto/streams.ts).
import { createHash, type Hash } from 'node:crypto';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { streamPart } from '../crypto/index.js';
import { optionalBytes, runParts } from './parts.js';
import { expectType, onlyTags } from './payload.js';

export const operation = Enum.Operation.Hash;

const HA = Enum.HashingAlgorithm;

/** Hashing Algorithm → node:crypto digest name, for every algorithm the server's operations hash with. */
export const HASH_NAMES: ReadonlyMap<number, string> = new Map([
  [HA.SHA_1, 'sha1'],
  [HA.SHA_224, 'sha224'],
  [HA.SHA_256, 'sha256'],
  [HA.SHA_384, 'sha384'],
  [HA.SHA_512, 'sha512'],
  [HA.SHA_512_224, 'sha512-224'],
  [HA.SHA_512_256, 'sha512-256'],
  [HA.SHA3_224, 'sha3-224'],
  [HA.SHA3_256, 'sha3-256'],
  [HA.SHA3_384, 'sha3-384'],
  [HA.SHA3_512, 'sha3-512'],
]);

/** Output bytes of each node:crypto hash above: a table, not a hash of nothing per request. */
const DIGEST_BYTES: ReadonlyMap<string, number> = new Map([
  ['sha1', 20],
  ['sha224', 28],
  ['sha256', 32],
  ['sha384', 48],
  ['sha512', 64],
  ['sha512-224', 28],
  ['sha512-256', 32],
  ['sha3-224', 28],
  ['sha3-256', 32],
  ['sha3-384', 48],
  ['sha3-512', 64],
]);

/** The digest length in bytes of a node:crypto hash name. */
export function digestBytes(name: string): number {
  return DIGEST_BYTES.get(name) ?? createHash(name).digest().length;
}

export const SUPPORTED_HASHES = 'SHA-1, SHA-224, SHA-256, SHA-384, SHA-512, SHA-512/224, SHA-512/256, SHA3-224/256/384/512';

/** The node:crypto name of a Hashing Algorithm, or Feature Not Supported / Invalid Field. */
export function hashName(alg: number): string {
  const name = HASH_NAMES.get(alg);
  if (name !== undefined) return name;
  if ((Object.values(HA) as number[]).includes(alg)) throw new KmipOperationError('FeatureNotSupported', `this Hashing Algorithm is not supported (${SUPPORTED_HASHES})`);
  throw new KmipOperationError('InvalidField', `Hashing Algorithm ${alg} is not a defined value`);
}

function hashingAlgorithm(payload: StructureItem): number {
  const cp = payload.value.find((c) => c.tag === Tag.CryptographicParameters);
  if (cp === undefined) throw new KmipOperationError('MissingData', 'Hash needs Cryptographic Parameters with a Hashing Algorithm');
  const ha = expectType(cp, 'Structure').value.find((c) => c.tag === Tag.HashingAlgorithm);
  if (ha === undefined) throw new KmipOperationError('MissingData', 'Hash needs a Hashing Algorithm in its Cryptographic Parameters');
  return expectType(ha, 'Enumeration').value;
}

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyTags(payload, [Tag.CryptographicParameters, Tag.Data, Tag.CorrelationValue, Tag.InitIndicator, Tag.FinalIndicator], 'Hash');
  const items = runParts<Hash>(ctx, payload, {
    operation,
    keyId: '',
    start: () => createHash(hashName(hashingAlgorithm(payload))),
    update: (h, p) => {
      const data = optionalBytes(p, Tag.Data);
      if (data !== undefined) h.update(data);
      else if (streamPart(p).kind === 'single') throw new KmipOperationError('MissingData', 'Hash needs Data');
    },
    finish: (h) => [item(Tag.Data, 'ByteString', new Uint8Array(h.digest()))],
    drop: () => {},
  });
  return { payload: items };
}
