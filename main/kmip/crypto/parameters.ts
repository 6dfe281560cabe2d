// Cryptographic Parameters (1.4 §3.6, 2.1 §4.16 attribute; the same structure
// in the requests of Encrypt, Decrypt, Sign, Signature Verify, MAC, MAC
// Verify, Key Wrapping Specification …) as a typed object.
//
// Which parameters apply: the operations say "If omitted then the
// Cryptographic Parameters associated with the Managed Cryptographic Object
// with the lowest Attribute Index SHALL be used" (1.4 §4.29–4.35, 2.1
// §6.1.17 …). Here the request's fields are laid over the stored ones field by
// field (effectiveParameters): a request that names only a Tag Length for a
// key whose stored parameters say GCM gets GCM with that tag length, and a
// request that gives a whole structure gets exactly what it gave wherever it
// gave something. An empty structure (the OASIS ChaCha20 cases send one) adds
// nothing.
//
// Faults, with the Encrypt error table's reasons (2.1 §6.1.17.1; 1.x has
// none of them and answers Invalid Field / Invalid Message):
//   - a field of the wrong TTLV type: Invalid Message (as every payload
//     reader here, operations/payload.ts expectType);
//   - an unknown field in the structure, or an enumeration value the
//     protocol version does not define: Invalid Field;
//   - a defined value that is not usable (a zero or negative length): 2.x
//     Bad Cryptographic Parameters, 1.x Invalid Field;
// and, left to the operations, a defined value the server does not
// implement: unsupported() gives 2.x Unsupported Cryptographic Parameters,
// 1.x Invalid Field. Every message names the field.
import { enumeration, enumValueName, Tag } from '../../../shared/kmip/registry/index.js';
import type { StructureItem, TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { isV1 } from '../operations/managed.js';
import { describeTag, expectType } from '../operations/payload.js';

export interface CryptoParams {
  blockCipherMode?: number;
  paddingMethod?: number;
  hashingAlgorithm?: number;
  keyRoleType?: number;
  digitalSignatureAlgorithm?: number;
  cryptographicAlgorithm?: number;
  randomIV?: boolean;
  /** IV Length in bits. */
  ivLength?: number;
  /** Tag Length in bytes. */
  tagLength?: number;
  /** Fixed Field Length in bits. */
  fixedFieldLength?: number;
  /** Invocation Field Length in bits. */
  invocationFieldLength?: number;
  /** Counter Length in bits. */
  counterLength?: number;
  initialCounterValue?: number;
  /** Salt Length in bytes (PSS). */
  saltLength?: number;
  maskGenerator?: number;
  maskGeneratorHashingAlgorithm?: number;
  /** P Source (the OAEP label). */
  pSource?: Uint8Array;
  trailerField?: number;
}

type Kind = 'enum' | 'int' | 'bool' | 'bytes';

/** Field tag → property, its TTLV kind and (for enumerations) the enumeration's name. */
const FIELDS: ReadonlyMap<number, { key: keyof CryptoParams; kind: Kind; enumName?: string; name: string }> = new Map([
  [Tag.BlockCipherMode, { key: 'blockCipherMode', kind: 'enum', enumName: 'BlockCipherMode', name: 'Block Cipher Mode' }],
  [Tag.PaddingMethod, { key: 'paddingMethod', kind: 'enum', enumName: 'PaddingMethod', name: 'Padding Method' }],
  [Tag.HashingAlgorithm, { key: 'hashingAlgorithm', kind: 'enum', enumName: 'HashingAlgorithm', name: 'Hashing Algorithm' }],
  [Tag.KeyRoleType, { key: 'keyRoleType', kind: 'enum', enumName: 'KeyRoleType', name: 'Key Role Type' }],
  [Tag.DigitalSignatureAlgorithm, { key: 'digitalSignatureAlgorithm', kind: 'enum', enumName: 'DigitalSignatureAlgorithm', name: 'Digital Signature Algorithm' }],
  [Tag.CryptographicAlgorithm, { key: 'cryptographicAlgorithm', kind: 'enum', enumName: 'CryptographicAlgorithm', name: 'Cryptographic Algorithm' }],
  [Tag.RandomIV, { key: 'randomIV', kind: 'bool', name: 'Random IV' }],
  [Tag.IVLength, { key: 'ivLength', kind: 'int', name: 'IV Length' }],
  [Tag.TagLength, { key: 'tagLength', kind: 'int', name: 'Tag Length' }],
  [Tag.FixedFieldLength, { key: 'fixedFieldLength', kind: 'int', name: 'Fixed Field Length' }],
  [Tag.InvocationFieldLength, { key: 'invocationFieldLength', kind: 'int', name: 'Invocation Field Length' }],
  [Tag.CounterLength, { key: 'counterLength', kind: 'int', name: 'Counter Length' }],
  [Tag.InitialCounterValue, { key: 'initialCounterValue', kind: 'int', name: 'Initial Counter Value' }],
  [Tag.SaltLength, { key: 'saltLength', kind: 'int', name: 'Salt Length' }],
  [Tag.MaskGenerator, { key: 'maskGenerator', kind: 'enum', enumName: 'MaskGenerator', name: 'Mask Generator' }],
  [Tag.MaskGeneratorHashingAlgorithm, { key: 'maskGeneratorHashingAlgorithm', kind: 'enum', enumName: 'HashingAlgorithm', name: 'Mask Generator Hashing Algorithm' }],
  [Tag.PSource, { key: 'pSource', kind: 'bytes', name: 'P Source' }],
  [Tag.TrailerField, { key: 'trailerField', kind: 'int', name: 'Trailer Field' }],
]);

/** The spec name of a Cryptographic Parameters field, for messages. */
export function parameterName(key: keyof CryptoParams): string {
  for (const f of FIELDS.values()) if (f.key === key) return f.name;
  return key;
}

/** A parameter value the server does not implement: 2.x Unsupported Cryptographic Parameters, 1.x Invalid Field. */
export function unsupported(ctx: OperationContext, message: string): KmipOperationError {
  return new KmipOperationError(isV1(ctx) ? 'InvalidField' : 'UnsupportedCryptographicParameters', message);
}

/** A parameter value that cannot work (a bad length, a missing mode): 2.x Bad Cryptographic Parameters, 1.x Invalid Field. */
export function badParameters(ctx: OperationContext, message: string): KmipOperationError {
  return new KmipOperationError(isV1(ctx) ? 'InvalidField' : 'BadCryptographicParameters', message);
}

/** The name of an enumeration value, for messages ("GCM", "PKCS5"); the number when it has none. */
export function valueName(enumName: string, value: number): string {
  const def = enumeration(enumName);
  return (def === undefined ? undefined : enumValueName(def, value)) ?? `0x${value.toString(16)}`;
}

/** Parses the children of a Cryptographic Parameters structure. */
export function parseParameters(children: readonly TtlvItem[], ctx: OperationContext): CryptoParams {
  const out: CryptoParams = {};
  const seen = new Set<number>();
  for (const c of children) {
    const f = FIELDS.get(c.tag);
    if (f === undefined) throw new KmipOperationError('InvalidField', `Cryptographic Parameters: unexpected field ${describeTag(c.tag)}`);
    if (seen.has(c.tag)) throw new KmipOperationError('InvalidMessage', `Cryptographic Parameters: ${f.name} is given more than once`);
    seen.add(c.tag);
    const o = out as Record<string, unknown>;
    switch (f.kind) {
      case 'enum': {
        const v = expectType(c, 'Enumeration').value;
        const def = enumeration(f.enumName!);
        if (def === undefined || enumValueName(def, v, ctx.kmipVersion) === undefined) {
          throw new KmipOperationError('InvalidField', `Cryptographic Parameters: ${f.name} 0x${v.toString(16)} is not defined in KMIP ${ctx.kmipVersion}`);
        }
        o[f.key] = v;
        break;
      }
      case 'int': {
        const v = expectType(c, 'Integer').value;
        if (v < 0 || (v === 0 && f.key !== 'initialCounterValue' && f.key !== 'saltLength')) throw badParameters(ctx, `Cryptographic Parameters: ${f.name} ${v} is not a usable length`);
        o[f.key] = v;
        break;
      }
      case 'bool':
        o[f.key] = expectType(c, 'Boolean').value;
        break;
      case 'bytes':
        o[f.key] = expectType(c, 'ByteString').value;
        break;
    }
  }
  return out;
}

/**
 * The parameters an operation uses: the request payload's Cryptographic
 * Parameters (if any) laid field by field over the key's stored ones
 * (UsableKey.storedParameters). Either may be absent.
 */
export function effectiveParameters(payload: StructureItem, stored: readonly TtlvItem[] | undefined, ctx: OperationContext): CryptoParams {
  const base = stored === undefined ? {} : parseStored(stored, ctx);
  const it = payload.value.find((c) => c.tag === Tag.CryptographicParameters);
  if (it === undefined) return base;
  const asked = parseParameters(expectType(it, 'Structure').value, ctx);
  return { ...base, ...asked };
}

/** A stored attribute was accepted when it was set; a value this version cannot name is dropped rather than failing every use. */
function parseStored(stored: readonly TtlvItem[], ctx: OperationContext): CryptoParams {
  const out: CryptoParams = {};
  for (const c of stored) {
    try {
      Object.assign(out, parseParameters([c], ctx));
    } catch {
      // e.g. a 2.x-only value read by a 1.x client: as if the stored attribute did not name it.
    }
  }
  return out;
}
