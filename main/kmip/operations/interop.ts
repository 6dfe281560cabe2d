// Interop (2.1 §6.1.26): a test harness (the OASIS baseline test cases)
// brackets each test case with Begin and End, naming it by Interop
// Identifier; Reset asks to return to a known state. Keyhold records each
// call in the server log and otherwise does nothing, which is why it can be
// served at all (the spec says Interop "SHALL NOT be available in a
// production server": here it has no effect a production server must fear).
// In particular Reset deletes and changes no stored object: an operator's
// keys are never wiped by a client message.
import { enumValueName, enumeration, Enum, Tag } from '../../../shared/kmip/registry/index.js';
import type { StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { quoteForLog } from './log.js';
import { onlyKnown } from './managed.js';
import { expectType } from './payload.js';

export const operation = Enum.Operation.Interop;

/** Interop Identifiers are test case names; longer ones are cut in the log. */
const MAX_IDENTIFIER_LOGGED = 200;

function single(payload: StructureItem, tag: number, name: string): StructureItem['value'][number] {
  const items = payload.value.filter((c) => c.tag === tag);
  if (items.length !== 1) throw new KmipOperationError('InvalidField', `Interop needs exactly one ${name}`);
  return items[0]!;
}

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyKnown(payload, [Tag.InteropFunction, Tag.InteropIdentifier], 'Interop');
  const fn = expectType(single(payload, Tag.InteropFunction, 'Interop Function'), 'Enumeration').value;
  const def = enumeration('InteropFunction');
  const fnName = def === undefined ? undefined : enumValueName(def, fn, ctx.kmipVersion);
  if (fnName === undefined) throw new KmipOperationError('InvalidField', `Interop Function ${fn} is not Begin, End or Reset`);
  const id = expectType(single(payload, Tag.InteropIdentifier, 'Interop Identifier'), 'TextString').value;
  // Reset: logged only; no stored object is touched (see the top of this file).
  ctx.log?.(`interop ${fnName} ${quoteForLog(id, MAX_IDENTIFIER_LOGGED)}`);
  return { payload: [] };
}
