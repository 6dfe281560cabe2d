// Random bytes for IVs, nonces and correlation values, drawn from a pooled
// buffer: one call into OpenSSL's DRBG per 4 KiB instead of one per IV
// (randomBytes(12) costs about as much as filling 4 KiB: a tenth of an
// AES-GCM Encrypt of 1 KiB here). The bytes are the same CSPRNG output;
// each is handed out once and zeroed in the pool as it leaves.
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

/** `n` fresh random bytes (a new array, the caller's to keep). */
export function pooledRandom(n: number): Uint8Array {
  if (n > POOL_BYTES / 4) return new Uint8Array(randomFillSync(Buffer.alloc(n)));
  if (used + n > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const out = new Uint8Array(pool.subarray(used, used + n));
  pool.fill(0, used, used + n);
  used += n;
  return out;
}
