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

/**
 * The defaults, overridden by whatever `limits` sets. A key present but
 * undefined (`{ maxDepth: config.maxDepth }` with nothing configured) keeps its
 * default. Anything else must be a positive whole number: NaN, Infinity, 0 or
 * a negative value would make every comparison against the limit false or
 * meaningless and silently switch it off, so they are refused outright.
 */
export function resolveLimits(limits?: Partial<TtlvLimits>): TtlvLimits {
  const out: TtlvLimits = { ...DEFAULT_LIMITS };
  if (limits) {
    for (const key of Object.keys(DEFAULT_LIMITS) as (keyof TtlvLimits)[]) {
      const v = limits[key];
      if (v === undefined) continue;
      if (!Number.isSafeInteger(v) || v < 1) {
        throw new RangeError(`TTLV limit ${key} must be a positive whole number, not ${String(v)}`);
      }
      out[key] = v;
    }
  }
  return out;
}
