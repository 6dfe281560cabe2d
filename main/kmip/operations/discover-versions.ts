// Discover Versions (KMIP 1.1+; 1.4 §4.26, 2.1 §6.1.16): the protocol versions
// this server supports, most preferred first; restricted to the client's
// list when it sends one (an empty answer when none is shared).
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, struct, type StructureItem, type TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { SUPPORTED_VERSIONS } from '../versions.js';
import { expectType, onlyTags } from './payload.js';

export const operation = Enum.Operation.DiscoverVersions;

function readVersion(pv: TtlvItem): { major: number; minor: number } {
  const s = expectType(pv, 'Structure');
  const major = s.value.find((c) => c.tag === Tag.ProtocolVersionMajor);
  const minor = s.value.find((c) => c.tag === Tag.ProtocolVersionMinor);
  if (major === undefined || minor === undefined || s.value.length !== 2) {
    throw new KmipOperationError('InvalidMessage', 'a Protocol Version needs exactly a Protocol Version Major and a Protocol Version Minor');
  }
  return { major: expectType(major, 'Integer').value, minor: expectType(minor, 'Integer').value };
}

export function handler(payload: StructureItem): OperationResult {
  onlyTags(payload, [Tag.ProtocolVersion], 'Discover Versions');
  const wanted = payload.value.map(readVersion);
  // The answer is in the server's order of preference; the spec leaves the
  // order of a filtered list to the server ("ranked in decreasing order of preference").
  const answer = wanted.length === 0 ? SUPPORTED_VERSIONS : SUPPORTED_VERSIONS.filter((s) => wanted.some((w) => w.major === s.major && w.minor === s.minor));
  return {
    payload: answer.map((v) =>
      struct(Tag.ProtocolVersion, [item(Tag.ProtocolVersionMajor, 'Integer', v.major), item(Tag.ProtocolVersionMinor, 'Integer', v.minor)]),
    ),
  };
}
