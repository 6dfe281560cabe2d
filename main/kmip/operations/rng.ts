// The Random Number Generator attribute (1.4 §3.44, 2.1 §4.46) of the objects
// the server generates (Create, Create Key Pair, Re-key, Re-key Key Pair).
import type { Attribute, AttributeValue } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item } from '../../../shared/kmip/ttlv/index.js';
import { KmipOperationError } from '../errors.js';

/**
 * Key material comes from node:crypto (randomBytes, generateKeyPair), i.e.
 * from OpenSSL's DRBG seeded by the OS. Which DRBG mechanism runs depends on
 * the OpenSSL build and configuration (a provider or openssl.cnf can change
 * it), which the server cannot know for certain, and the spec says the RNG
 * Algorithm SHALL then be Unspecified.
 */
export const SERVER_RNG: AttributeValue = { type: 'Structure', value: [item(Tag.RNGAlgorithm, 'Enumeration', Enum.RNGAlgorithm.Unspecified)] };

function rngAlgorithm(v: AttributeValue): number | undefined {
  if (v.type !== 'Structure') return undefined;
  const a = v.value.find((c) => c.tag === Tag.RNGAlgorithm);
  return a?.type === 'Enumeration' ? a.value : undefined;
}

/**
 * The request's Random Number Generator attributes are a demand (2.1 §4.46:
 * "the server SHALL use a random number generator that matches one of
 * them ... or fail the request"). Only an Unspecified one matches what the
 * server can vouch for. Returns the attributes without them: the server then
 * records its own generator, never the client's claim.
 */
export function withoutRequestedRng(attrs: readonly Attribute[]): Attribute[] {
  const asked = attrs.filter((a) => a.name === 'RandomNumberGenerator');
  if (asked.length > 0 && !asked.some((a) => rngAlgorithm(a.value) === Enum.RNGAlgorithm.Unspecified)) {
    throw new KmipOperationError('FeatureNotSupported', 'the requested Random Number Generator is not available; this server reports its generator as Unspecified');
  }
  return attrs.filter((a) => a.name !== 'RandomNumberGenerator');
}
