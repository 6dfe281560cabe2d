// MAC algorithms for MAC / MAC Verify: HMAC with SHA-1, SHA-224/256/384/512
// and SHA3-224/256/384/512, and AES-CMAC (RFC 4493, cmac.ts) with an AES key.
// The algorithm is the request's Cryptographic Algorithm (Cryptographic
// Parameters), else the stored parameters', else the key's own. An HMAC key
// MACs only with its own hash; CMAC needs an AES key of an AES length; HMAC
// accepts any secret (the OASIS cases HMAC with a key registered as AES).
import { createHmac, type Hmac } from 'node:crypto';
import { Enum } from '../../../shared/kmip/registry/index.js';
import type { OperationContext } from '../context.js';
import { AesCmac } from './cmac.js';
import { badParameters, unsupported, valueName, type CryptoParams } from './parameters.js';
import type { UsableKey } from './use-key.js';

const CA = Enum.CryptographicAlgorithm;

const HMACS: ReadonlyMap<number, string> = new Map([
  [CA.HMAC_SHA1, 'sha1'],
  [CA.HMAC_SHA224, 'sha224'],
  [CA.HMAC_SHA256, 'sha256'],
  [CA.HMAC_SHA384, 'sha384'],
  [CA.HMAC_SHA512, 'sha512'],
  [CA.HMAC_SHA3_224, 'sha3-224'],
  [CA.HMAC_SHA3_256, 'sha3-256'],
  [CA.HMAC_SHA3_384, 'sha3-384'],
  [CA.HMAC_SHA3_512, 'sha3-512'],
]);

export const SUPPORTED_MACS = 'HMAC-SHA1, HMAC-SHA224/256/384/512, HMAC-SHA3-224/256/384/512, AES-CMAC';

/** A running MAC: HMAC or AES-CMAC, fed incrementally. */
export type MacState = { update(data: Uint8Array): unknown; digest(): Buffer };

/** The MAC the key and parameters ask for, started. */
export function startMac(ctx: OperationContext, key: UsableKey, p: CryptoParams): MacState {
  const alg = p.cryptographicAlgorithm ?? key.algorithm;
  if (alg === undefined) throw badParameters(ctx, 'no Cryptographic Algorithm for the MAC: give one in the Cryptographic Parameters (e.g. HMAC_SHA256)');
  const name = (a: number): string => valueName('CryptographicAlgorithm', a);
  // The OASIS CS-AC-M-4..6 cases MAC with HMAC-SHA256 under a key registered as AES (the key's stored
  // Cryptographic Parameters name HMAC_SHA256): HMAC takes any secret. An HMAC key is made for its own hash, though.
  if (key.algorithm !== undefined && key.algorithm !== alg && HMACS.has(key.algorithm)) {
    throw badParameters(ctx, `object '${key.id}' is a ${name(key.algorithm)} key; it cannot MAC with ${name(alg)}`);
  }
  const bytes = key.bytes;
  if (bytes === undefined || bytes.length === 0) throw badParameters(ctx, `object '${key.id}' has no secret key bytes to MAC with`);
  const hmac = HMACS.get(alg);
  if (hmac !== undefined) return createHmac(hmac, bytes) as Hmac;
  if (alg === CA.AES) {
    if (key.algorithm !== undefined && key.algorithm !== CA.AES) throw badParameters(ctx, `AES-CMAC needs an AES key; object '${key.id}' is a ${name(key.algorithm)} key`);
    if (![16, 24, 32].includes(bytes.length)) throw badParameters(ctx, `AES-CMAC needs a 128, 192 or 256-bit key; object '${key.id}' has ${bytes.length * 8} bits`);
    return new AesCmac(bytes);
  }
  throw unsupported(ctx, `${name(alg)} is not a supported MAC algorithm (${SUPPORTED_MACS})`);
}
