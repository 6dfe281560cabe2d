// Decrypt (1.4 §4.30, 2.1 §6.1.11): the request's Data decrypted with a
// managed key, which may also be Deactivated or Compromised (processing
// existing protection). GCM and ChaCha20-Poly1305 tags are checked by
// OpenSSL in constant time; a mismatch, like bad padding or an OAEP
// decoding fault, is Cryptographic Failure with one message for all.
// See cipher-operation.ts and crypto/ciphers.ts.
import { Enum } from '../../../shared/kmip/registry/index.js';
import type { StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { cipherOperation } from './cipher-operation.js';

export const operation = Enum.Operation.Decrypt;

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  return cipherOperation(payload, ctx, 'decrypt');
}
