// Create (1.4 §4.1, 2.1 §6.1.8): a new Symmetric Key from the server's random
// source. Supported: AES 128/192/256, Triple DES (3-key, 168 bits of key in
// 192 with parity), HMAC-SHA256/384/512. The server sets Unique Identifier,
// Object Type, State (Pre-Active; Active when the client's Activation Date
// has passed), Initial / Last Change / Original Creation
// Date, Digest, Fresh, Random Number Generator (rng.ts), and a default
// Cryptographic Usage Mask. The key policy (key-policy-gate.ts) may refuse
// the key and may fill in an omitted algorithm or length.
import { randomBytes } from 'node:crypto';
import type { Attribute, AttributeValue } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { digest, encodeMaterial, symmetricKey } from '../objects/material.js';
import { enumField, initialState, managedObjects, now, onlyKnown, protectionAttributes, rejectServerOnly, requestAttributes } from './managed.js';
import { SERVER_RNG, withoutRequestedRng } from './rng.js';
import { admitNewObject, withDefaultLifetime, withPolicyDefaults } from './key-policy-gate.js';

export const operation = Enum.Operation.Create;

const CA = Enum.CryptographicAlgorithm;
const UM = Enum.CryptographicUsageMask;

interface KeySpec {
  lengths: readonly number[];
  /** Key bytes for a length in bits. */
  bytes: (length: number) => number;
  usage: number;
}

const ENCRYPT = UM.Encrypt | UM.Decrypt;
const MAC = UM.MACGenerate | UM.MACVerify;
const hmac = (bits: number): KeySpec => ({ lengths: [bits], bytes: (l) => l / 8, usage: MAC });

const SPECS: ReadonlyMap<number, KeySpec> = new Map([
  [CA.AES, { lengths: [128, 192, 256], bytes: (l: number) => l / 8, usage: ENCRYPT }],
  // Three-key Triple DES: 168 key bits, carried as 24 bytes with parity bits (some clients say 192).
  [CA.DES3, { lengths: [168, 192], bytes: () => 24, usage: ENCRYPT }],
  [CA.HMAC_SHA256, hmac(256)],
  [CA.HMAC_SHA384, hmac(384)],
  [CA.HMAC_SHA512, hmac(512)],
]);

/** DES keys carry odd parity in the low bit of each byte (FIPS 46-3). */
function withOddParity(key: Buffer): Buffer {
  for (let i = 0; i < key.length; i++) {
    const b = key[i]! & 0xfe;
    let ones = 0;
    for (let x = b; x !== 0; x >>= 1) ones += x & 1;
    key[i] = b | (ones % 2 === 0 ? 1 : 0);
  }
  return key;
}

function single(attrs: readonly Attribute[], name: string): AttributeValue | undefined {
  return attrs.find((a) => a.name === name)?.value;
}

/** New key bytes of a supported algorithm and length from the server's random source (Re-key uses it too). */
export function generateSymmetricKey(algorithm: number, length: number): Buffer {
  const spec = SPECS.get(algorithm);
  if (spec === undefined) throw new KmipOperationError('InvalidField', 'the Cryptographic Algorithm is not supported for Create (AES, Triple DES, HMAC-SHA256/384/512)');
  if (!spec.lengths.includes(length)) throw new KmipOperationError('InvalidField', `Cryptographic Length ${length} is not supported for this algorithm (${spec.lengths.join(', ')})`);
  const raw = randomBytes(spec.bytes(length));
  return algorithm === CA.DES3 ? withOddParity(raw) : raw;
}

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyKnown(payload, [Tag.ObjectType, Tag.TemplateAttribute, Tag.Attributes, Tag.ProtectionStorageMasks], 'Create');
  const objects = managedObjects(ctx);
  const objectType = enumField(payload, Tag.ObjectType);
  if (objectType === undefined) throw new KmipOperationError('MissingData', 'Create needs an Object Type');
  if (objectType !== Enum.ObjectType.SymmetricKey) throw new KmipOperationError('InvalidField', 'Create makes Symmetric Keys only; use Create Key Pair for key pairs');
  const asked = withoutRequestedRng(requestAttributes(payload, ctx));
  rejectServerOnly(asked);
  const attrs = withPolicyDefaults(ctx, asked);
  const alg = single(attrs, 'CryptographicAlgorithm');
  if (alg?.type !== 'Enumeration') throw new KmipOperationError('MissingData', 'Create needs a Cryptographic Algorithm');
  const spec = SPECS.get(alg.value);
  if (spec === undefined) throw new KmipOperationError('InvalidField', 'the Cryptographic Algorithm is not supported for Create (AES, Triple DES, HMAC-SHA256/384/512)');
  const lenAttr = single(attrs, 'CryptographicLength');
  const length = lenAttr?.type === 'Integer' ? lenAttr.value : spec.lengths.length === 1 ? spec.lengths[0]! : undefined;
  if (length === undefined) throw new KmipOperationError('MissingData', 'Create needs a Cryptographic Length');
  admitNewObject(ctx, 'Create', objectType, { algorithm: alg.value, length }, attrs);
  const key = generateSymmetricKey(alg.value, length);
  const t = now(ctx);
  const stored: Attribute[] = [...attrs];
  if (lenAttr === undefined) stored.push({ name: 'CryptographicLength', value: { type: 'Integer', value: length } });
  if (single(attrs, 'CryptographicUsageMask') === undefined) stored.push({ name: 'CryptographicUsageMask', value: { type: 'Integer', value: spec.usage } });
  stored.push(
    { name: 'Digest', value: digest(key, Enum.KeyFormatType.Raw) },
    { name: 'InitialDate', value: t },
    { name: 'LastChangeDate', value: t },
    { name: 'OriginalCreationDate', value: t },
    { name: 'Fresh', value: { type: 'Boolean', value: true } },
    { name: 'RandomNumberGenerator', value: SERVER_RNG },
    { name: 'KeyFormatType', value: { type: 'Enumeration', value: Enum.KeyFormatType.Raw } },
    ...protectionAttributes(attrs),
  );
  const id = objects.create({
    origin: 'generated',
    objectType,
    state: initialState(attrs, ctx),
    attributes: withDefaultLifetime(ctx, objectType, stored),
    material: encodeMaterial(symmetricKey(key, alg.value, length)),
  });
  key.fill(0);
  return { payload: [item(Tag.ObjectType, 'Enumeration', objectType), item(Tag.UniqueIdentifier, 'TextString', id)], idPlaceholder: id };
}
