// Encrypt (1.4 §4.29, 2.1 §6.1.17): the request's Data under a managed key.
// Algorithms, modes and IV handling: crypto/ciphers.ts; key rules:
// crypto/use-key.ts; parts, parameters and the answer: cipher-operation.ts.
// A key with Usage Limits gives an allocation of the Data's length (Unit
// Byte) or one use (Unit Object) first, or the request is Permission Denied.
import { Enum } from '../../../shared/kmip/registry/index.js';
import type { StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { cipherOperation } from './cipher-operation.js';

export const operation = Enum.Operation.Encrypt;

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  return cipherOperation(payload, ctx, 'encrypt');
}
