// Query (1.4 §4.25, 2.1 §6.1.37): what this server supports, one group of
// answers per Query Function, in the Response Payload's field order.
// Functions for features this server does not have (application namespaces,
// extensions, attestation, RNGs, validations, profiles, client registration,
// defaults, storage protection masks) answer with no items, which the spec
// allows ("zero or more"/"if the server supports any").
import { enumeration, Enum, Tag, tagByValue, type KmipVersion } from '../../../shared/kmip/registry/index.js';
import { item, struct, type StructureItem, type TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { expectType, onlyTags } from './payload.js';

export const operation = Enum.Operation.Query;

const QF = Enum.QueryFunction;

function definedIn(enumName: string, value: number, v: KmipVersion): boolean {
  return enumeration(enumName)?.values.some((x) => x.value === value && x.versions.includes(v)) ?? false;
}

function tagIn(tag: number, v: KmipVersion): boolean {
  return tagByValue(tag)?.versions.includes(v) ?? false;
}

function serverInformation(ctx: OperationContext): StructureItem {
  // 2.x standardises these fields; in 1.x the structure is vendor-specific, so it stays empty there.
  const fields: [number, string | undefined][] = [
    [Tag.ServerName, ctx.server.serverName],
    [Tag.ServerVersion, ctx.server.serverVersion],
    [Tag.ProductName, ctx.server.productName],
    [Tag.BuildLevel, ctx.server.buildLevel],
  ];
  const children: TtlvItem[] = [];
  for (const [tag, value] of fields) if (value !== undefined && tagIn(tag, ctx.kmipVersion)) children.push(item(tag, 'TextString', value));
  return struct(Tag.ServerInformation, children);
}

function capabilityInformation(ctx: OperationContext): StructureItem {
  // Synchronous only, no streaming or attestation; batches: Stop, Continue and Undo (pipeline.ts).
  const flags: [number, boolean][] = [
    [Tag.StreamingCapability, false],
    [Tag.AsynchronousCapability, false],
    [Tag.AttestationCapability, false],
    [Tag.BatchUndoCapability, true],
    [Tag.BatchContinueCapability, true],
  ];
  return struct(
    Tag.CapabilityInformation,
    flags.filter(([tag]) => tagIn(tag, ctx.kmipVersion)).map(([tag, v]) => item(tag, 'Boolean', v)),
  );
}

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyTags(payload, [Tag.QueryFunction], 'Query');
  const functions = new Set<number>();
  for (const c of payload.value) {
    const f = expectType(c, 'Enumeration').value;
    if (!definedIn('QueryFunction', f, ctx.kmipVersion)) {
      throw new KmipOperationError('InvalidField', `Query Function 0x${f.toString(16).padStart(8, '0')} is not defined in KMIP ${ctx.kmipVersion}`);
    }
    functions.add(f);
  }
  const v = ctx.kmipVersion;
  const out: TtlvItem[] = [];
  if (functions.has(QF.QueryOperations)) {
    for (const op of ctx.operations()) if (definedIn('Operation', op, v)) out.push(item(Tag.Operation, 'Enumeration', op));
  }
  if (functions.has(QF.QueryObjects)) {
    for (const t of ctx.objects?.objectTypes ?? []) if (definedIn('ObjectType', t, v)) out.push(item(Tag.ObjectType, 'Enumeration', t));
  }
  if (functions.has(QF.QueryServerInformation)) {
    out.push(item(Tag.VendorIdentification, 'TextString', ctx.server.vendorIdentification), serverInformation(ctx));
  }
  if (functions.has(QF.QueryCapabilities)) out.push(capabilityInformation(ctx));
  return { payload: out };
}
