// Protocol versions this server speaks, and which one answers a request.
import type { ProtocolVersion } from '../../shared/kmip/message/index.js';
import type { KmipVersion } from '../../shared/kmip/registry/index.js';

/** Supported versions in decreasing order of preference (Discover Versions answers in this order). */
export const SUPPORTED_VERSIONS: readonly ProtocolVersion[] = [
  { major: 2, minor: 1 },
  { major: 2, minor: 0 },
  { major: 1, minor: 4 },
  { major: 1, minor: 3 },
  { major: 1, minor: 2 },
  { major: 1, minor: 1 },
  { major: 1, minor: 0 },
];

export function versionKey(v: ProtocolVersion): KmipVersion {
  return `${v.major}.${v.minor}` as KmipVersion;
}

export function isSupported(v: ProtocolVersion): boolean {
  return SUPPORTED_VERSIONS.some((s) => s.major === v.major && s.minor === v.minor);
}

function compare(a: ProtocolVersion, b: ProtocolVersion): number {
  return a.major - b.major || a.minor - b.minor;
}

/**
 * The version to answer an unsupported request version in: the highest
 * supported version below it (the client may speak it: 2.1 §9.16 makes
 * backward compatibility within a major version mandatory), else the lowest.
 */
export function fallbackVersion(requested: ProtocolVersion): ProtocolVersion {
  const below = SUPPORTED_VERSIONS.filter((s) => compare(s, requested) < 0);
  return below[0] ?? SUPPORTED_VERSIONS[SUPPORTED_VERSIONS.length - 1]!;
}
