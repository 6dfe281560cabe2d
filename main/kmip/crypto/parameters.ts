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
// The stored attribute also binds the key (like wrappingParameters does for
// key wrapping, and PKCS#11 CKA_ALLOWED_MECHANISMS): when an instance names
// a Cryptographic Algorithm, Block Cipher Mode, Padding Method, Hashing
// Algorithm, Digital Signature Algorithm, Mask Generator or Mask Generator
// Hashing Algorithm, a request naming a different value is refused (Bad
// Cryptographic Parameters, 1.x Invalid Field) unless another instance of
// the attribute agrees with it; the first agreeing instance is the base.
// Otherwise a key kept for GCM could run in CTR mode (the GCM key stream
// without the tag, or E_K(0) = the GHASH key), around its state and usage
// mask. The spec lets a request give parameters when the attribute has them
// but says nothing of a conflict. Signature Verify is not bound (bind
// false): checking a signature with a public key gives nothing away, and
// the mandatory OASIS CS-AC-M-3 (1.4, 2.1) verifies with SHA-1 under a key
// whose attribute says SHA-256 and expects Validity Invalid, not an error.
// A field the attribute does not name (IV, tag length, Random IV …) stays
// the request's to choose.
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

/** The fields a stored Cryptographic Parameters attribute binds: a request may not name other values (see the file comment). */
const BOUND: readonly (keyof CryptoParams)[] = [
  'cryptographicAlgorithm', 'blockCipherMode', 'paddingMethod', 'hashingAlgorithm', 'digitalSignatureAlgorithm', 'maskGenerator', 'maskGeneratorHashingAlgorithm',
];

const ENUM_OF: Partial<Record<keyof CryptoParams, string>> = {
  cryptographicAlgorithm: 'CryptographicAlgorithm', blockCipherMode: 'BlockCipherMode', paddingMethod: 'PaddingMethod', hashingAlgorithm: 'HashingAlgorithm',
  digitalSignatureAlgorithm: 'DigitalSignatureAlgorithm', maskGenerator: 'MaskGenerator', maskGeneratorHashingAlgorithm: 'HashingAlgorithm',
};

/** The first bound field where the request names another value than the stored instance; undefined when they agree. */
function conflict(stored: CryptoParams, asked: CryptoParams): keyof CryptoParams | undefined {
  return BOUND.find((k) => asked[k] !== undefined && stored[k] !== undefined && asked[k] !== stored[k]);
}

/** The key as effectiveParameters reads it (a UsableKey). */
export interface ParameterSource {
  readonly id: string;
  /** Every Cryptographic Parameters instance's children, lowest Attribute Index first. */
  readonly storedParameterSets: readonly (readonly TtlvItem[])[];
}

/**
 * The parameters an operation uses: the request payload's Cryptographic
 * Parameters (if any) laid field by field over the key's stored ones: the
 * lowest-index instance, or when the request names an algorithm, mode,
 * padding or hash, the first instance that agrees with it (none agreeing:
 * Bad Cryptographic Parameters, 1.x Invalid Field). `bind` false (Signature
 * Verify only) lays the request over the lowest-index instance whatever it
 * names. Either may be absent.
 */
export function effectiveParameters(payload: StructureItem, key: ParameterSource, ctx: OperationContext, bind = true): CryptoParams {
  const sets = key.storedParameterSets.map((s) => parseStored(s, ctx));
  const it = payload.value.find((c) => c.tag === Tag.CryptographicParameters);
  if (it === undefined) return { ...sets[0] };
  const asked = parseParameters(expectType(it, 'Structure').value, ctx);
  if (sets.length === 0) return asked;
  const base = bind ? sets.find((s) => conflict(s, asked) === undefined) : sets[0];
  if (base === undefined) {
    const k = conflict(sets[0]!, asked)!;
    const name = (v: unknown): string => valueName(ENUM_OF[k]!, v as number);
    throw badParameters(
      ctx,
      `object '${key.id}' is kept for ${parameterName(k)} ${name(sets[0]![k])} (its Cryptographic Parameters attribute${sets.length > 1 ? 's' : ''}); the request asks for ${name(asked[k])}: ` +
        `leave ${parameterName(k)} out or use a key made for it`,
    );
  }
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
