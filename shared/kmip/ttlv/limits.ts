// Decoder limits. They are checked against the lengths a message *declares*,
// before anything is allocated for it, so a hostile header cannot make the
// server reserve memory it never receives.

export interface TtlvLimits {
  /** Largest message in bytes, header included. */
  maxMessageSize: number;
  /** Deepest structure nesting; the outermost structure is depth 1. */
  maxDepth: number;
  /** Most items in one message, structures included. */
  maxItems: number;
}

/**
 * Generous for real traffic: the largest OASIS vector is a few KiB, an RSA-4096
 * private key with its certificate chain stays well under 64 KiB, and the
 * deepest real message nests about ten structures.
 */
export const DEFAULT_LIMITS: Readonly<TtlvLimits> = Object.freeze({
  maxMessageSize: 4 * 1024 * 1024,
  maxDepth: 32,
  maxItems: 100_000,
});

export function resolveLimits(limits?: Partial<TtlvLimits>): TtlvLimits {
  return { ...DEFAULT_LIMITS, ...limits };
}
