// Derive Key (1.4 §4.6, 2.1 §6.1.14): a new Symmetric Key or Secret Data
// from a base object (a Symmetric Key or Secret Data with the Derive Key bit
// in its Usage Mask, Active, before its Protect Stop Date: useKey 'derive')
// and the Derivation Parameters (2.1 §7.12). Methods:
//   PBKDF2  PKCS#5 v2.1 with HMAC-<hash>: the base object's bytes are the
//           password; Salt and Iteration Count are required; the PRF is the
//           Cryptographic Parameters' Hashing Algorithm (or an HMAC
//           Cryptographic Algorithm), default HMAC-SHA1 as PKCS#5 says.
//           Iteration Count × output blocks is at most MAX_ITERATIONS (the
//           only iterated method; the others cost one hash or cipher pass).
//   HKDF    RFC 5869: the base object's bytes are the input key material,
//           Salt the salt, the Derivation Data the info; hash default SHA-256
//           (2.1 §7.12), or the Cryptographic Parameters' Hashing Algorithm.
//   HMAC    HMAC(base key, Derivation Data); the hash is the base key's own
//           when it is an HMAC key ("the attributes of the derivation key
//           provide enough information about the PRF"), else the Hashing
//           Algorithm of the Cryptographic Parameters.
//   HASH    Hash(base object's bytes); the spec's "either a derivation key
//           or derivation data": the base object is always given here, so
//           Derivation Data with HASH is refused rather than guessed at.
//   ENCRYPT AES in ECB or CBC (Block Cipher Mode of the Cryptographic
//           Parameters, IV from the Derivation Parameters, zeros when none)
//           over the Derivation Data, without padding; the output is the
//           first Cryptographic Length bits of the cipher text.
// NIST SP 800-108, asymmetric and AWS Signature V4 derivations answer
// Feature Not Supported. Derivation Data may also come from a second Unique
// Identifier naming a Secret Data object (not both, 2.1 §7.12).
// A longer output than the method gives is refused (Invalid Field).
//
// The new object gets the request's attributes (a Symmetric Key needs its
// Cryptographic Algorithm and Length, Secret Data its Length), what Create
// sets (dates, Digest, Fresh, protection attributes, a default Usage Mask),
// the key policy's check and default lifetime (key-policy-gate.ts, as
// 'DeriveKey': the clientsMayCreate rule and algorithm list apply), a Link
// of type Derivation Base Object to each base object, and each base object a
// Link of type Derived Key to it, in one transaction. Access: Derive Key is in
// the `create` permission group (main/access/operation-groups.ts), for the new
// object; the base objects are read through the client's `use` grant
// (OperationContext.objectsForUse), so deriving needs both.
import { createCipheriv, createHash, createHmac, hkdf, pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import type { Attribute, AttributeValue } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, struct, type StructureItem, type TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import type { OperationContext, OperationResult } from '../context.js';
import { badParameters, parseParameters, unsupported, useKey, valueName, type CryptoParams, type UsableKey } from '../crypto/index.js';
import { KmipOperationError } from '../errors.js';
import { digest, encodeMaterial, symmetricKey } from '../objects/material.js';
import { digestBytes, hashName } from './hash.js';
import { admitNewObject, withDefaultLifetime } from './key-policy-gate.js';
import { link } from './key-pair-gen.js';
import { forUse } from './key-wrapping.js';
import { booleanAttribute, enumField, initialState, managedObjects, now, protectionAttributes, rejectServerOnly, requestAttributes } from './managed.js';
import { describeTag, expectType, onlyTags } from './payload.js';

export const operation = Enum.Operation.DeriveKey;

const OT = Enum.ObjectType;
const CA = Enum.CryptographicAlgorithm;
const DM = Enum.DerivationMethod;
const HA = Enum.HashingAlgorithm;
const UM = Enum.CryptographicUsageMask;

const SUPPORTED_METHODS: readonly number[] = [DM.PBKDF2, DM.HKDF, DM.HMAC, DM.HASH, DM.ENCRYPT];

/**
 * The most PBKDF2 work one request may ask for, in PRF iterations: Iteration
 * Count × output blocks (ceil(length / hash length)), as PBKDF2 runs the full
 * count once per block. About a second of one core with SHA-1; the bound is
 * on the product, so a long output cannot multiply it (8192 bytes are 410
 * SHA-1 blocks).
 */
export const MAX_ITERATIONS = 1_000_000;

const pbkdf2Async = promisify(pbkdf2);
const hkdfAsync = promisify(hkdf);

const HMAC_HASH: ReadonlyMap<number, number> = new Map([
  [CA.HMAC_SHA1, HA.SHA_1],
  [CA.HMAC_SHA224, HA.SHA_224],
  [CA.HMAC_SHA256, HA.SHA_256],
  [CA.HMAC_SHA384, HA.SHA_384],
  [CA.HMAC_SHA512, HA.SHA_512],
  [CA.HMAC_SHA3_224, HA.SHA3_224],
  [CA.HMAC_SHA3_256, HA.SHA3_256],
  [CA.HMAC_SHA3_384, HA.SHA3_384],
  [CA.HMAC_SHA3_512, HA.SHA3_512],
]);

interface DerivationParameters {
  params: CryptoParams;
  iv: Uint8Array | undefined;
  data: Uint8Array[];
  salt: Uint8Array | undefined;
  iterations: number | undefined;
}

function parseDerivationParameters(payload: StructureItem, ctx: OperationContext): DerivationParameters {
  const it = payload.value.find((c) => c.tag === Tag.DerivationParameters);
  if (it === undefined) throw new KmipOperationError('MissingData', 'Derive Key needs Derivation Parameters');
  const s = expectType(it, 'Structure');
  onlyTags(s, [Tag.CryptographicParameters, Tag.InitializationVector, Tag.DerivationData, Tag.Salt, Tag.IterationCount], 'Derivation Parameters');
  const one = (tag: number): TtlvItem | undefined => {
    const all = s.value.filter((c) => c.tag === tag);
    if (all.length > 1) throw new KmipOperationError('InvalidField', `Derivation Parameters: ${describeTag(tag)} is given more than once`);
    return all[0];
  };
  const cp = one(Tag.CryptographicParameters);
  const iv = one(Tag.InitializationVector);
  const salt = one(Tag.Salt);
  const ic = one(Tag.IterationCount);
  return {
    params: cp === undefined ? {} : parseParameters(expectType(cp, 'Structure').value, ctx),
    iv: iv === undefined ? undefined : expectType(iv, 'ByteString').value,
    data: s.value.filter((c) => c.tag === Tag.DerivationData).map((c) => expectType(c, 'ByteString').value),
    salt: salt === undefined ? undefined : expectType(salt, 'ByteString').value,
    iterations: ic === undefined ? undefined : expectType(ic, 'Integer').value,
  };
}

const concat = (parts: readonly Uint8Array[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));

function tooLong(bytes: number, most: number, what: string): KmipOperationError {
  return new KmipOperationError('InvalidField', `Cryptographic Length ${bytes * 8} exceeds what ${what} gives (${most * 8} bits)`);
}

/** The hash a PRF-based method uses: the Hashing Algorithm, or the hash of an HMAC Cryptographic Algorithm, else `fallback`. */
function prfHash(ctx: OperationContext, p: CryptoParams, fallback: number | undefined, method: string): number {
  const fromAlg = p.cryptographicAlgorithm === undefined ? undefined : HMAC_HASH.get(p.cryptographicAlgorithm);
  if (p.cryptographicAlgorithm !== undefined && fromAlg === undefined) throw unsupported(ctx, `${method}: Cryptographic Algorithm ${valueName('CryptographicAlgorithm', p.cryptographicAlgorithm)} is not an HMAC PRF`);
  if (fromAlg !== undefined && p.hashingAlgorithm !== undefined && p.hashingAlgorithm !== fromAlg) throw badParameters(ctx, `${method}: the Hashing Algorithm contradicts the Cryptographic Algorithm`);
  const h = p.hashingAlgorithm ?? fromAlg ?? fallback;
  if (h === undefined) throw badParameters(ctx, `${method} needs a Hashing Algorithm in the Cryptographic Parameters of the Derivation Parameters`);
  return h;
}

async function derive(ctx: OperationContext, method: number, base: UsableKey, dp: DerivationParameters, data: Buffer | undefined, length: number): Promise<Buffer> {
  const secret = base.bytes!;
  const noData = (name: string): void => {
    if (data !== undefined) throw new KmipOperationError('InvalidField', `${name} derives from the base object alone; leave out Derivation Data`);
  };
  switch (method) {
    case DM.PBKDF2: {
      noData('PBKDF2');
      if (dp.salt === undefined) throw new KmipOperationError('MissingData', 'PBKDF2 needs a Salt in the Derivation Parameters');
      if (dp.iterations === undefined) throw new KmipOperationError('MissingData', 'PBKDF2 needs an Iteration Count in the Derivation Parameters');
      if (dp.iterations < 1 || dp.iterations > MAX_ITERATIONS) throw new KmipOperationError('InvalidField', `Iteration Count must be 1 to ${MAX_ITERATIONS}, not ${dp.iterations}`);
      const h = hashName(prfHash(ctx, dp.params, HA.SHA_1, 'PBKDF2'));
      const blocks = Math.ceil(length / digestBytes(h));
      if (dp.iterations * blocks > MAX_ITERATIONS) {
        throw new KmipOperationError(
          'InvalidField',
          `PBKDF2 work is Iteration Count × output blocks, at most ${MAX_ITERATIONS}: ${length * 8} bits with ${h} are ${blocks} blocks, so the Iteration Count may be at most ${Math.floor(MAX_ITERATIONS / blocks)}, not ${dp.iterations}; lower it or ask for a shorter Cryptographic Length`,
        );
      }
      return pbkdf2Async(secret, dp.salt, dp.iterations, length, h);
    }
    case DM.HKDF: {
      const h = hashName(prfHash(ctx, dp.params, HA.SHA_256, 'HKDF'));
      const most = 255 * digestBytes(h);
      if (length > most) throw tooLong(length, most, `HKDF with ${h}`);
      return Buffer.from(await hkdfAsync(h, secret, dp.salt ?? new Uint8Array(0), data ?? new Uint8Array(0), length));
    }
    case DM.HMAC: {
      if (data === undefined) throw new KmipOperationError('MissingData', 'HMAC derivation needs Derivation Data (the data to HMAC)');
      const own = base.algorithm === undefined ? undefined : HMAC_HASH.get(base.algorithm);
      const h = hashName(own ?? prfHash(ctx, dp.params, undefined, 'HMAC derivation'));
      const mac = createHmac(h, secret).update(data).digest();
      if (length > mac.length) throw tooLong(length, mac.length, `HMAC with ${h}`);
      return mac.subarray(0, length);
    }
    case DM.HASH: {
      noData('HASH');
      const h = hashName(prfHash(ctx, dp.params, undefined, 'HASH derivation'));
      const d = createHash(h).update(secret).digest();
      if (length > d.length) throw tooLong(length, d.length, h);
      return d.subarray(0, length);
    }
    case DM.ENCRYPT: {
      if (data === undefined) throw new KmipOperationError('MissingData', 'ENCRYPT derivation needs Derivation Data (the data to encrypt)');
      if (base.objectType !== OT.SymmetricKey || base.algorithm !== CA.AES || ![16, 24, 32].includes(secret.length)) {
        throw unsupported(ctx, 'ENCRYPT derivation works with an AES Symmetric Key here');
      }
      const mode = dp.params.blockCipherMode ?? Enum.BlockCipherMode.ECB;
      if (mode !== Enum.BlockCipherMode.ECB && mode !== Enum.BlockCipherMode.CBC) throw unsupported(ctx, `ENCRYPT derivation supports the ECB and CBC Block Cipher Modes, not ${valueName('BlockCipherMode', mode)}`);
      if (dp.params.paddingMethod !== undefined && dp.params.paddingMethod !== Enum.PaddingMethod.None) throw unsupported(ctx, 'ENCRYPT derivation uses no padding: give Derivation Data in whole 16-byte blocks');
      if (data.length === 0 || data.length % 16 !== 0) throw new KmipOperationError('InvalidField', `ENCRYPT derivation needs Derivation Data in whole 16-byte blocks, not ${data.length} bytes`);
      const iv = mode === Enum.BlockCipherMode.CBC ? Buffer.from(dp.iv ?? new Uint8Array(16)) : null;
      if (iv !== null && iv.length !== 16) throw badParameters(ctx, `the Initialization Vector must be 16 bytes for AES-CBC, not ${iv.length}`);
      const c = createCipheriv(`aes-${secret.length * 8}-${mode === Enum.BlockCipherMode.CBC ? 'cbc' : 'ecb'}`, secret, iv);
      c.setAutoPadding(false);
      const out = Buffer.concat([c.update(data), c.final()]);
      if (length > out.length) throw tooLong(length, out.length, 'encrypting the Derivation Data');
      return out.subarray(0, length);
    }
    default:
      if ((Object.values(DM) as number[]).includes(method)) throw new KmipOperationError('FeatureNotSupported', `the ${valueName('DerivationMethod', method)} derivation method is not supported (PBKDF2, HKDF, HMAC, HASH, ENCRYPT)`);
      throw new KmipOperationError('InvalidField', `Derivation Method ${method} is not a defined value`);
  }
}

function attrValue(attrs: readonly Attribute[], name: string): AttributeValue | undefined {
  return attrs.find((a) => a.name === name)?.value;
}

export async function handler(payload: StructureItem, ctx: OperationContext): Promise<OperationResult> {
  onlyTags(payload, [Tag.ObjectType, Tag.UniqueIdentifier, Tag.DerivationMethod, Tag.DerivationParameters, Tag.TemplateAttribute, Tag.Attributes], 'Derive Key');
  const objects = managedObjects(ctx);
  const objectType = enumField(payload, Tag.ObjectType);
  if (objectType === undefined) throw new KmipOperationError('MissingData', 'Derive Key needs an Object Type');
  if (objectType !== OT.SymmetricKey && objectType !== OT.SecretData) throw new KmipOperationError('InvalidField', 'Derive Key makes a Symmetric Key or Secret Data');
  // "the current value of the ID Placeholder SHALL NOT be used in place of a Unique Identifier in this operation" (2.1 §6.1.14).
  const ids = payload.value.filter((c) => c.tag === Tag.UniqueIdentifier).map((c) => expectType(c, 'TextString').value);
  if (ids.length === 0) throw new KmipOperationError('MissingData', 'Derive Key needs the Unique Identifier of the object to derive from (the ID Placeholder is not used here)');
  if (ids.length > 2) throw new KmipOperationError('InvalidField', 'Derive Key takes a base object and at most one Secret Data object with the Derivation Data');
  const method = enumField(payload, Tag.DerivationMethod);
  if (method === undefined) throw new KmipOperationError('MissingData', 'Derive Key needs a Derivation Method');
  if (!SUPPORTED_METHODS.includes(method)) {
    if ((Object.values(DM) as number[]).includes(method)) throw new KmipOperationError('FeatureNotSupported', `the ${valueName('DerivationMethod', method)} derivation method is not supported (PBKDF2, HKDF, HMAC, HASH, ENCRYPT)`);
    throw new KmipOperationError('InvalidField', `Derivation Method ${method} is not a defined value`);
  }
  const dp = parseDerivationParameters(payload, ctx);
  const attrs = requestAttributes(payload, ctx);
  rejectServerOnly(attrs);
  const lenAttr = attrValue(attrs, 'CryptographicLength');
  if (lenAttr?.type !== 'Integer') throw new KmipOperationError('MissingData', 'Derive Key needs the Cryptographic Length of the new object');
  const bits = lenAttr.value;
  if (bits <= 0 || bits % 8 !== 0 || bits > 8 * 8192) throw new KmipOperationError('InvalidField', `Cryptographic Length ${bits} must be a positive multiple of 8 bits, at most 65536`);
  const algAttr = attrValue(attrs, 'CryptographicAlgorithm');
  let algorithm: number | undefined;
  if (objectType === OT.SymmetricKey) {
    if (algAttr?.type !== 'Enumeration') throw new KmipOperationError('MissingData', 'a derived Symmetric Key needs a Cryptographic Algorithm');
    algorithm = algAttr.value;
    if (algorithm === CA.AES) {
      if (![128, 192, 256].includes(bits)) throw new KmipOperationError('InvalidField', `an AES key is 128, 192 or 256 bits, not ${bits}`);
    } else if (!HMAC_HASH.has(algorithm)) {
      throw new KmipOperationError('InvalidField', `derived Symmetric Keys are AES or HMAC keys, not ${valueName('CryptographicAlgorithm', algorithm)}`);
    }
  }
  admitNewObject(ctx, 'DeriveKey', objectType, algorithm === undefined ? undefined : { algorithm, length: bits }, attrs);

  // The base objects are used, not made: the client's use grant must reach them (as a wrapping key, key-wrapping.ts);
  // the new object is made under the operation's own create grant.
  const using = forUse(ctx);
  const base = useKey(using, ids[0]!, 'derive');
  let extra: UsableKey | undefined;
  let derived: Buffer | undefined;
  try {
    if (base.bytes === undefined) throw new KmipOperationError('InvalidObjectType', `object '${base.id}' has no secret bytes to derive from`);
    let data = dp.data.length > 0 ? concat(dp.data) : undefined;
    if (ids.length === 2) {
      extra = useKey(using, ids[1]!, 'derive');
      if (extra.objectType !== OT.SecretData) throw new KmipOperationError('InvalidField', `the second Unique Identifier must name a Secret Data object with the Derivation Data; '${extra.id}' is not one`);
      if (data !== undefined) throw new KmipOperationError('InvalidField', 'give the Derivation Data either in the Derivation Parameters or as a Secret Data object, not both');
      data = Buffer.from(extra.bytes!);
    }
    derived = await derive(ctx, method, base, dp, data, bits / 8);
    if (derived.length !== bits / 8) throw new KmipOperationError('CryptographicFailure', 'the derivation gave fewer bytes than asked for');
    const key = derived;
    const t = now(ctx);
    const stored: Attribute[] = [...attrs];
    // Derived from a Sensitive (or non-Extractable) object, the new one is too: served plain, a HASH or HMAC of a
    // low-entropy base (a password) with data the client chose would let it test guesses offline. Asking otherwise is refused.
    const baseFlags = ids.map((b) => managedObjects(using).attributes(b, ['Sensitive', 'Extractable']));
    const inherited: Attribute[] = [];
    if (baseFlags.some((a) => booleanAttribute(a, 'Sensitive') === true)) {
      if (booleanAttribute(attrs, 'Sensitive') === false) throw new KmipOperationError('PermissionDenied', 'a base object is Sensitive, so what is derived from it is Sensitive too; leave out Sensitive or set it True');
      if (booleanAttribute(attrs, 'Sensitive') === undefined) inherited.push({ name: 'Sensitive', value: { type: 'Boolean', value: true } });
    }
    if (baseFlags.some((a) => booleanAttribute(a, 'Extractable') === false)) {
      if (booleanAttribute(attrs, 'Extractable') === true) throw new KmipOperationError('PermissionDenied', 'a base object is not Extractable, so what is derived from it is not Extractable either; leave out Extractable or set it False');
      if (booleanAttribute(attrs, 'Extractable') === undefined) inherited.push({ name: 'Extractable', value: { type: 'Boolean', value: false } });
    }
    stored.push(...inherited);
    const format = objectType === OT.SymmetricKey ? Enum.KeyFormatType.Raw : Enum.KeyFormatType.Opaque;
    if (attrValue(attrs, 'CryptographicUsageMask') === undefined) {
      const usage = objectType === OT.SecretData ? UM.DeriveKey : algorithm === CA.AES ? UM.Encrypt | UM.Decrypt : UM.MACGenerate | UM.MACVerify;
      stored.push({ name: 'CryptographicUsageMask', value: { type: 'Integer', value: usage } });
    }
    stored.push(
      { name: 'Digest', value: digest(key, format) },
      { name: 'InitialDate', value: t },
      { name: 'LastChangeDate', value: t },
      { name: 'OriginalCreationDate', value: t },
      { name: 'Fresh', value: { type: 'Boolean', value: true } },
      ...(objectType === OT.SymmetricKey ? [{ name: 'KeyFormatType', value: { type: 'Enumeration', value: format } } as Attribute] : []),
      ...protectionAttributes([...attrs, ...inherited]),
      ...ids.map((id) => link(Enum.LinkType.DerivationBaseObjectLink, id)),
    );
    const material =
      objectType === OT.SymmetricKey
        ? symmetricKey(key, algorithm!, bits)
        : struct(Tag.SecretData, [item(Tag.SecretDataType, 'Enumeration', Enum.SecretDataType.Seed), struct(Tag.KeyBlock, [item(Tag.KeyFormatType, 'Enumeration', format), struct(Tag.KeyValue, [item(Tag.KeyMaterial, 'ByteString', key)])])]);
    const id = objects.transaction(() => {
      const newId = objects.create({ origin: 'derived', objectType, state: initialState(attrs, ctx), attributes: withDefaultLifetime(ctx, objectType, stored), material: encodeMaterial(material) });
      const bases = managedObjects(using);
      for (const b of ids) bases.addAttribute(b, 'Link', link(Enum.LinkType.DerivedKeyLink, newId).value);
      return newId;
    });
    return { payload: [item(Tag.UniqueIdentifier, 'TextString', id)], idPlaceholder: id };
  } finally {
    base.dispose();
    extra?.dispose();
    derived?.fill(0);
  }
}
