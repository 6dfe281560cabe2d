// Comparisons of secret-dependent values (MACs, authentication tags, signatures
// computed here) in constant time, so that the time an answer takes does not
// tell a client how many leading bytes of its guess were right.
import { timingSafeEqual } from 'node:crypto';

/** a equals b, in time independent of where they differ. Lengths are not secret: different lengths are false at once. */
export function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return timingSafeEqual(a, b);
}
