// Key wrapping as Get and Register see it (1.4 §2.1.5–2.1.6, 2.1 §3.3 and
// §7.18): the Key Wrapping Specification of a Get request, the Key
// Wrapping Data of a wrapped Key Block, and the wrapping itself. The
// mechanisms are crypto/key-wrap.ts (AES Key Wrap RFC 3394 / 5649,
// RSA-OAEP); MACs are crypto/mac.ts, signatures crypto/signing.ts.
//
// Wrapping Methods: Encrypt; MAC/sign (the Key Value travels as its plain
// encoding, with the MAC or signature over those bytes in MAC/Signature);
// Encrypt then MAC/sign (the MAC or signature is over the wrapped bytes);
// MAC/sign then encrypt (over the plain encoding, then the encoding is
// encrypted; the MAC/Signature field carries it as computed). TR-31 is not
// supported (Feature Not Supported).
//
// Encoding Option: No Encoding wraps the bytes of a Byte String Key
// Material (a Transparent key cannot: Encoding Option Error); TTLV Encoding,
// the default, wraps the TTLV encoding of the Key Value structure, with the
// attributes the specification names inside it (1.x Attribute structures,
// 2.x one Attributes structure). Attribute Names with No Encoding are an
// Encoding Option Error (1.4 §11.12).
//
// The keys: the Encryption Key Information's must pass useKey 'wrap' (Get:
// Active, Wrap Key bit, Symmetric or Public Key) or 'unwrap' (Register);
// the MAC/Signature Key Information's 'mac' / 'sign' (Get) or 'macVerify' /
// 'verify' (Register). A wrapping key that does not exist, is archived or
// is destroyed answers the 2.x Wrapping Object Not Found / Archived /
// Destroyed (1.x Item Not Found / Object Archived / Item Not Found); an
// object that is not a key, 1.x Illegal Operation (1.4 §11.12).
//
// Cryptographic Parameters (1.4 §2.1.6, 2.1 §7.18): given in a Key
// Information, they must agree with one of the key's Cryptographic
// Parameters attribute instances (agree: no field both have with different
// values; the instance's other fields complete them), else 1.x Item Not
// Found / 2.x Bad Cryptographic Parameters. Omitted, the instance with the
// lowest index is used. A key without the attribute has no recorded
// restriction (as in crypto/use-key.ts) and wraps with what the request
// names: the spec would refuse it, which would leave keys registered without
// parameters unusable for wrapping.
//
// Access control: the wrapping and MAC / signing keys are checked against
// the client's `use` grant (OperationContext.objectsForUse), the wrapped
// object against the operation's own (Get, or create for Register).
//
// Sensitive objects (2.1 §4.55: served "only wrapped by another key"): the
// encrypting key (a Public Key: its linked Private Key, which unwraps) must be
// one whose value has never been outside the server, else whoever knows it
// unwraps the Sensitive object outside (PKCS#11's CKA_WRAP_WITH_TRUSTED):
// generated here (store origin, migration 5), and Always Sensitive or Never
// Extractable, so never served in plain since. A key a client registered is
// never trusted, whatever its flags: the client knew its value (and Register
// with Sensitive True is Always Sensitive, as the spec words it); nor is a
// derived key, nor one stored before Keyhold recorded origins. Refused with
// Result Reason Sensitive. No object is wrapped or MACed with itself (Invalid
// Field). What Register unwraps is stored Sensitive (register.ts).
//
// Register (2.1 Unwrap Mode "Processed"): a wrapped key whose wrapping key is
// managed here is unwrapped (integrity, MAC / signature checked) and stored
// plain; one whose wrapping key is not managed here is refused (Wrapping
// Object Not Found): Keyhold keeps no key it cannot use. Any failure to
// unwrap or verify is one Cryptographic Failure that says nothing about why.
import { attributeKey, attributeNameFromV1, type AttributeName } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, item, struct, type StructureItem, type TtlvItem } from '../../../shared/kmip/ttlv/index.js';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { ObjectState, type StoredObject } from '../../store/types.js';
import type { OperationContext } from '../context.js';
import { equalConstantTime, parseParameters, useKey, type CryptoParams, type KeyPurpose, type UsableKey } from '../crypto/index.js';
import { wrapMechanism } from '../crypto/key-wrap.js';
import { startMac } from '../crypto/mac.js';
import { accumulator, signatureScheme, signFinal, verifyFinal } from '../crypto/signing.js';
import { KmipOperationError } from '../errors.js';
import { keyBlock, openMaterial } from '../objects/material.js';
import { loadKey } from '../objects/asymmetric.js';
import { isArchived } from './archive.js';
import { allAttributes, booleanAttribute, isV1, managedObjects, parsed, responseAttributes } from './managed.js';
import { describeTag, expectType } from './payload.js';

const WM = Enum.WrappingMethod;
const EO = Enum.EncodingOption;
const OT = Enum.ObjectType;

/** A Key Information structure (Encryption or MAC/Signature) as the client sent it. */
interface KeyInformation {
  id: string;
  /** The Cryptographic Parameters structure, when given. */
  parameters: StructureItem | undefined;
}

/** What a Key Wrapping Specification (Get) or Key Wrapping Data (Register) says. */
export interface WrappingRequest {
  method: number;
  encryption: KeyInformation | undefined;
  mac: KeyInformation | undefined;
  /** Key Wrapping Specification only. */
  attributeNames: AttributeName[];
  /** As given; undefined means TTLV Encoding. */
  encoding: number | undefined;
  /** Key Wrapping Data only. */
  macSignature?: Uint8Array;
  iv?: Uint8Array;
}

const encrypts = (m: number): boolean => m === WM.Encrypt || m === WM.EncryptThenMACSign || m === WM.MACSignThenEncrypt;
const macs = (m: number): boolean => m === WM.MACSign || m === WM.EncryptThenMACSign || m === WM.MACSignThenEncrypt;
const METHOD_NAMES: Record<number, string> = { [WM.Encrypt]: 'Encrypt', [WM.MACSign]: 'MAC/sign', [WM.EncryptThenMACSign]: 'Encrypt then MAC/sign', [WM.MACSignThenEncrypt]: 'MAC/sign then encrypt', [WM.TR_31]: 'TR-31' };

function keyInformation(it: TtlvItem, what: string): KeyInformation {
  const s = expectType(it, 'Structure');
  let id: string | undefined;
  let parameters: StructureItem | undefined;
  for (const c of s.value) {
    if (c.tag === Tag.UniqueIdentifier) id = expectType(c, 'TextString').value;
    else if (c.tag === Tag.CryptographicParameters) parameters = expectType(c, 'Structure');
    else throw new KmipOperationError('InvalidField', `${what}: unexpected field ${describeTag(c.tag)}`);
  }
  if (id === undefined) throw new KmipOperationError('MissingData', `${what} needs the Unique Identifier of the key`);
  return { id, parameters };
}

/**
 * Parses a Key Wrapping Specification (kind 'spec') or Key Wrapping Data
 * ('data'); checks that the Wrapping Method is supported and has the Key
 * Information it needs.
 */
export function parseWrapping(it: TtlvItem, ctx: OperationContext, kind: 'spec' | 'data'): WrappingRequest {
  const what = kind === 'spec' ? 'Key Wrapping Specification' : 'Key Wrapping Data';
  const s = expectType(it, 'Structure');
  const r: WrappingRequest = { method: 0, encryption: undefined, mac: undefined, attributeNames: [], encoding: undefined };
  let method: number | undefined;
  const once = new Set<number>();
  for (const c of s.value) {
    if (c.tag !== Tag.AttributeName) {
      if (once.has(c.tag)) throw new KmipOperationError('InvalidMessage', `${what}: ${describeTag(c.tag)} is given more than once`);
      once.add(c.tag);
    }
    switch (c.tag) {
      case Tag.WrappingMethod:
        method = expectType(c, 'Enumeration').value;
        break;
      case Tag.EncryptionKeyInformation:
        r.encryption = keyInformation(c, 'Encryption Key Information');
        break;
      case Tag.MACSignatureKeyInformation:
        r.mac = keyInformation(c, 'MAC/Signature Key Information');
        break;
      case Tag.EncodingOption: {
        const v = expectType(c, 'Enumeration').value;
        if (v !== EO.NoEncoding && v !== EO.TTLVEncoding) throw new KmipOperationError('EncodingOptionError', `Encoding Option 0x${v.toString(16)} is not supported (No Encoding, TTLV Encoding)`);
        r.encoding = v;
        break;
      }
      case Tag.AttributeName:
        if (kind !== 'spec') throw new KmipOperationError('InvalidField', `${what}: unexpected field Attribute Name`);
        r.attributeNames.push(parsed(ctx, () => attributeNameFromV1(expectType(c, 'TextString').value)));
        break;
      case Tag.MACSignature:
        if (kind !== 'data') throw new KmipOperationError('InvalidField', `${what}: unexpected field MAC/Signature`);
        r.macSignature = expectType(c, 'ByteString').value;
        break;
      case Tag.IVCounterNonce:
        if (kind !== 'data') throw new KmipOperationError('InvalidField', `${what}: unexpected field IV/Counter/Nonce`);
        r.iv = expectType(c, 'ByteString').value;
        break;
      default:
        throw new KmipOperationError('InvalidField', `${what}: unexpected field ${describeTag(c.tag)}`);
    }
  }
  if (method === undefined) throw new KmipOperationError('MissingData', `${what} needs a Wrapping Method`);
  const name = METHOD_NAMES[method];
  if (name === undefined) throw new KmipOperationError('InvalidField', `${what}: Wrapping Method 0x${method.toString(16)} is not defined`);
  if (method === WM.TR_31) throw new KmipOperationError('FeatureNotSupported', 'Wrapping Method TR-31 is not supported (Encrypt, MAC/sign, Encrypt then MAC/sign, MAC/sign then encrypt)');
  r.method = method;
  if (encrypts(method) !== (r.encryption !== undefined)) {
    throw new KmipOperationError(r.encryption === undefined ? 'MissingData' : 'InvalidField', r.encryption === undefined ? `Wrapping Method ${name} needs Encryption Key Information` : `Wrapping Method ${name} does not encrypt: leave out the Encryption Key Information`);
  }
  if (macs(method) !== (r.mac !== undefined)) {
    throw new KmipOperationError(r.mac === undefined ? 'MissingData' : 'InvalidField', r.mac === undefined ? `Wrapping Method ${name} needs MAC/Signature Key Information` : `Wrapping Method ${name} does not MAC or sign: leave out the MAC/Signature Key Information`);
  }
  if (r.encoding === EO.NoEncoding && r.attributeNames.length > 0) {
    throw new KmipOperationError('EncodingOptionError', 'attributes can only be wrapped with the key in TTLV Encoding: leave out the Attribute Names or the Encoding Option No Encoding');
  }
  return r;
}

/** Whether the method hides the key (a Sensitive key may only leave encrypted). */
export function hidesKey(r: WrappingRequest): boolean {
  return encrypts(r.method);
}

const KEY_TYPES: readonly number[] = [OT.SymmetricKey, OT.PublicKey, OT.PrivateKey, OT.SplitKey, OT.PGPKey];

/** The context whose managed objects are those the client's `use` grant reaches (the same context without access control). */
export function forUse(ctx: OperationContext): OperationContext {
  return ctx.objectsForUse === undefined || ctx.objects === undefined ? ctx : { ...ctx, objects: { ...ctx.objects, managed: ctx.objectsForUse() } };
}

/**
 * The wrapping (or MAC / signing) key `id`, opened for the purpose that
 * `purposeFor` picks from its Object Type, with the wrapping-object reasons
 * for a key that is missing, archived or destroyed.
 *
 * `ctx` must come from forUse(): the key is used, not read, so the `use` grant decides.
 */
function wrappingKey(ctx: OperationContext, id: string, role: string, purposeFor: (objectType: number) => KeyPurpose): UsableKey {
  let obj: StoredObject;
  try {
    obj = managedObjects(ctx).get(id, ['ArchiveDate']);
  } catch (e) {
    if (e instanceof KmipOperationError && (e.resultReason === 'ObjectNotFound' || e.resultReason === 'ItemNotFound')) {
      throw new KmipOperationError('WrappingObjectNotFound', `the ${role} names '${id}', which is not a key this server holds for this client`);
    }
    throw e;
  }
  if (isArchived(obj)) throw new KmipOperationError('WrappingObjectArchived', `the ${role} key '${id}' is archived; Recover it first`);
  if (obj.state === ObjectState.Destroyed || obj.state === ObjectState.DestroyedCompromised || !obj.hasMaterial) {
    throw new KmipOperationError('WrappingObjectDestroyed', `the ${role} key '${id}' is destroyed`);
  }
  if (isV1(ctx) && !KEY_TYPES.includes(obj.objectType)) throw new KmipOperationError('IllegalOperation', `the ${role} object '${id}' is not a key`);
  return useKey(ctx, id, purposeFor(obj.objectType));
}

function sameParam(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(Buffer.from(b));
  return a === b;
}

/**
 * The Cryptographic Parameters a key wraps with (see the file comment), and
 * the structure to name in the answer's Key Information.
 */
function wrappingParameters(ctx: OperationContext, key: UsableKey, info: KeyInformation, role: string): { params: CryptoParams; echo: StructureItem | undefined } {
  // useKey read them (by index) through the same context.
  const instances = key.storedParameterSets;
  const stored = instances.flatMap((children) => {
    try {
      return [parseParameters(children, ctx)];
    } catch {
      return []; // a value this version cannot name: as if the instance did not exist
    }
  });
  if (info.parameters === undefined) {
    return { params: stored[0] ?? {}, echo: instances[0] === undefined ? undefined : struct(Tag.CryptographicParameters, [...instances[0]]) };
  }
  const asked = parseParameters(info.parameters.value, ctx);
  if (stored.length === 0) return { params: asked, echo: info.parameters };
  const agrees = stored.find((s) => Object.entries(asked).every(([k, v]) => !(k in s) || sameParam((s as Record<string, unknown>)[k], v)));
  if (agrees === undefined) {
    throw new KmipOperationError(isV1(ctx) ? 'ItemNotFound' : 'BadCryptographicParameters', `the Cryptographic Parameters of the ${role} do not match any Cryptographic Parameters attribute of key '${key.id}'; send matching ones or leave them out`);
  }
  return { params: { ...agrees, ...asked }, echo: info.parameters };
}

/**
 * Why `key` may not wrap a Sensitive object (undefined: it may): its value
 * (for a Public Key, its linked Private Key's) must never have been outside
 * the server (the top of this file). `ctx` from forUse().
 */
function untrustedBecause(ctx: OperationContext, key: UsableKey): string | undefined {
  const objects = managedObjects(ctx);
  /** Why the value of `id` may be known outside (undefined: it is not). */
  const known = (id: string): string | undefined => {
    const o = objects.get(id, TRUST_READ);
    if (o.origin !== 'generated') {
      return o.origin === 'imported' ? 'was registered by a client' : o.origin === 'derived' ? 'was derived from other objects' : 'was stored before Keyhold recorded where keys come from';
    }
    if (booleanAttribute(o.attributes, 'AlwaysSensitive') !== true && booleanAttribute(o.attributes, 'NeverExtractable') !== true) return 'has not always been Sensitive or never Extractable';
    // A key that also decrypts would give back what it wrapped (AES Key Wrap undone block by block with ECB, an OAEP
    // cipher text decrypted): it must have a usage mask, without Decrypt (fixed from then on: attribute-rules.ts).
    const mask = o.attributes.find((a) => a.name === 'CryptographicUsageMask')?.value;
    if (mask?.type !== 'Integer') return 'has no Cryptographic Usage Mask (so nothing stops it from decrypting)';
    if ((mask.value & Enum.CryptographicUsageMask.Decrypt) !== 0) return 'may also Decrypt (a wrapping key must not: Decrypt would undo the wrapping)';
    return undefined;
  };
  if (key.objectType === OT.SymmetricKey) {
    const why = known(key.id);
    return why === undefined ? undefined : `key '${key.id}' ${why}`;
  }
  if (key.objectType !== OT.PublicKey) return `'${key.id}' is not a Symmetric Key or a Public Key with its Private Key held here`;
  const linked = objects
    .attributes(key.id, ['Link'])
    .flatMap((a) => {
      if (a.value.type !== 'Structure') return [];
      const type = a.value.value.find((c) => c.tag === Tag.LinkType);
      const target = a.value.value.find((c) => c.tag === Tag.LinkedObjectIdentifier);
      return type?.value === Enum.LinkType.PrivateKeyLink && target?.type === 'TextString' ? [target.value] : [];
    });
  if (linked.length === 0) return `the Public Key '${key.id}' has no linked Private Key held here, so the server cannot vouch that the wrapped value stays in it`;
  let why: string | undefined;
  for (const id of linked) {
    try {
      // A Link alone proves nothing (a client can add one): the Private Key must be this Public Key's other half.
      if (!privateHalfOf(objects, id, key.key)) {
        why ??= `'${id}' is not its private half`;
        continue;
      }
      why = known(id);
      if (why === undefined) return undefined;
    } catch (e) {
      if (!(e instanceof KmipOperationError)) throw e;
    }
  }
  return `the Private Key of the Public Key '${key.id}' ${why ?? 'is not one this client may use'}`;
}

/** What untrustedBecause reads of a wrapping key. */
const TRUST_READ = ['AlwaysSensitive', 'NeverExtractable', 'CryptographicUsageMask'] as const;

/** Whether the Private Key `id` holds the private half of `pub` (compared by their SubjectPublicKeyInfo). */
function privateHalfOf(objects: ReturnType<typeof managedObjects>, id: string, pub: KeyObject): boolean {
  const material = objects.material(id);
  if (material === null) return false;
  const structure = openMaterial(material);
  const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
  try {
    return spki(createPublicKey(loadKey(structure))).equals(spki(pub));
  } catch {
    return false;
  }
}

/** A MAC (symmetric key) or signature (private key) over data. */
function macOrSign(ctx: OperationContext, key: UsableKey, p: CryptoParams, data: Uint8Array): Uint8Array {
  if (key.objectType === OT.SymmetricKey) {
    const m = startMac(ctx, key, p);
    m.update(data);
    return new Uint8Array(m.digest());
  }
  const s = signatureScheme(ctx, key.key, key.length, p);
  const acc = accumulator(s, false);
  acc.h.update(data);
  return new Uint8Array(signFinal(key.key, s, acc));
}

/** Checks a MAC (symmetric key, constant time) or signature (public key). */
function macOrSignatureValid(ctx: OperationContext, key: UsableKey, p: CryptoParams, data: Uint8Array, given: Uint8Array): boolean {
  if (key.objectType === OT.SymmetricKey) {
    const m = startMac(ctx, key, p);
    m.update(data);
    return equalConstantTime(m.digest(), given);
  }
  const s = signatureScheme(ctx, key.key, key.length, p);
  const acc = accumulator(s, true);
  acc.h.update(data);
  return verifyFinal(key.key, s, acc, given);
}

function child(s: StructureItem, tag: number): TtlvItem | undefined {
  return s.value.find((c) => c.tag === tag);
}

function notWrappable(ctx: OperationContext, message: string): KmipOperationError {
  return new KmipOperationError(isV1(ctx) ? 'IllegalOperation' : 'InvalidObjectType', message);
}

/**
 * Get with a Key Wrapping Specification: `obj` (the object structure, already
 * in the requested Key Format Type) with its Key Value wrapped and Key
 * Wrapping Data added. `stored` is the managed object (for Attribute Names).
 */
export function wrapObject(ctx: OperationContext, obj: StructureItem, stored: StoredObject, r: WrappingRequest): StructureItem {
  const block0 = child(obj, Tag.KeyBlock);
  if (block0?.type !== 'Structure') throw notWrappable(ctx, `object '${stored.id}' has no Key Block; only keys and Secret Data can be returned wrapped`);
  const block = block0;
  if (child(block, Tag.KeyWrappingData) !== undefined) throw new KmipOperationError('GeneralFailure', 'stored key is already wrapped');
  const value = child(block, Tag.KeyValue);
  if (value?.type !== 'Structure') throw new KmipOperationError('GeneralFailure', 'stored key has no Key Value structure');
  const material = child(value, Tag.KeyMaterial);
  let encoded: Uint8Array;
  if (r.encoding === EO.NoEncoding) {
    if (material?.type !== 'ByteString') throw new KmipOperationError('EncodingOptionError', 'this key\'s Key Material is a structure (Transparent format); it can only be wrapped in TTLV Encoding, or ask for a Key Format Type with Byte String material (e.g. Raw, PKCS#8)');
    encoded = Buffer.from(material.value);
  } else {
    const wanted = new Set(r.attributeNames.map(attributeKey));
    const attrs = wanted.size === 0 ? [] : responseAttributes(allAttributes(managedObjects(ctx).get(stored.id)).filter((a) => wanted.has(attributeKey(a.name))), ctx);
    encoded = Buffer.from(encodeTtlv(struct(Tag.KeyValue, [...value.value.filter((c) => c.tag === Tag.KeyMaterial), ...attrs])));
  }
  for (const info of [r.encryption, r.mac]) {
    if (info?.id === stored.id) throw new KmipOperationError('InvalidField', `object '${stored.id}' cannot wrap itself; name another key in the ${info === r.encryption ? 'Encryption' : 'MAC/Signature'} Key Information`);
  }
  const sensitive = booleanAttribute(stored.attributes, 'Sensitive') === true;
  const opened: UsableKey[] = [];
  try {
    const uctx = forUse(ctx);
    let wrapped: Uint8Array = encoded;
    let signature: Uint8Array | undefined;
    const kwd: TtlvItem[] = [item(Tag.WrappingMethod, 'Enumeration', r.method)];
    let encrypt: ((d: Uint8Array) => Uint8Array) | undefined;
    let mac: ((d: Uint8Array) => Uint8Array) | undefined;
    if (r.encryption !== undefined) {
      const key = wrappingKey(uctx, r.encryption.id, 'Encryption Key Information', () => 'wrap');
      opened.push(key);
      const why = sensitive ? untrustedBecause(uctx, key) : undefined;
      if (why !== undefined) {
        throw new KmipOperationError('Sensitive', `object '${stored.id}' is Sensitive, and ${why}: whoever knows the wrapping key could unwrap it outside the server; wrap it with a key this server generated that has always been Sensitive or never Extractable (e.g. Create an AES key with Sensitive True and the Wrap Key bit)`);
      }
      const { params, echo } = wrappingParameters(uctx, key, r.encryption, 'Encryption Key Information');
      const m = wrapMechanism(ctx, key, params);
      encrypt = (d) => m.wrap(d);
      kwd.push(struct(Tag.EncryptionKeyInformation, [item(Tag.UniqueIdentifier, 'TextString', key.id), ...(echo === undefined ? [] : [echo])]));
    }
    if (sensitive && r.method === WM.MACSignThenEncrypt) {
      // The MAC or signature would be over the plain value and sent in clear: with a MAC key the client knows, a test for guesses of a low-entropy value (a password).
      throw new KmipOperationError('Sensitive', `object '${stored.id}' is Sensitive: MAC/sign then encrypt would send a MAC or signature of its plain value; use Encrypt, or Encrypt then MAC/sign`);
    }
    if (r.mac !== undefined) {
      const key = wrappingKey(uctx, r.mac.id, 'MAC/Signature Key Information', (t) => (t === OT.SymmetricKey ? 'mac' : 'sign'));
      opened.push(key);
      const { params, echo } = wrappingParameters(uctx, key, r.mac, 'MAC/Signature Key Information');
      mac = (d) => macOrSign(ctx, key, params, d);
      kwd.push(struct(Tag.MACSignatureKeyInformation, [item(Tag.UniqueIdentifier, 'TextString', key.id), ...(echo === undefined ? [] : [echo])]));
    }
    if (r.method === WM.Encrypt) wrapped = encrypt!(encoded);
    else if (r.method === WM.MACSign) signature = mac!(encoded);
    else if (r.method === WM.EncryptThenMACSign) {
      wrapped = encrypt!(encoded);
      signature = mac!(wrapped);
    } else {
      signature = mac!(encoded);
      wrapped = encrypt!(encoded);
    }
    if (signature !== undefined) kwd.push(item(Tag.MACSignature, 'ByteString', signature));
    if (r.encoding !== undefined) kwd.push(item(Tag.EncodingOption, 'Enumeration', r.encoding));
    const newBlock = struct(Tag.KeyBlock, [
      ...block.value.filter((c) => c.tag !== Tag.KeyWrappingData).map((c) => (c.tag === Tag.KeyValue ? item(Tag.KeyValue, 'ByteString', new Uint8Array(wrapped)) : c)),
      struct(Tag.KeyWrappingData, kwd),
    ]);
    return struct(obj.tag, obj.value.map((c) => (c === block ? newBlock : c)));
  } finally {
    encoded.fill(0);
    for (const k of opened) k.dispose();
  }
}

/** The Key Block of a Register request carries Key Wrapping Data. */
export function isWrapped(obj: StructureItem): boolean {
  const block = child(obj, Tag.KeyBlock);
  return block?.type === 'Structure' && child(block, Tag.KeyWrappingData) !== undefined;
}

const DES_LIKE: readonly number[] = [Enum.CryptographicAlgorithm.DES, Enum.CryptographicAlgorithm.DES3];

/**
 * Register of a wrapped key: the object with its Key Value unwrapped and the
 * Key Wrapping Data removed, for Register to validate and store like any
 * plain object.
 */
export function unwrapObject(ctx: OperationContext, obj: StructureItem): StructureItem {
  const block = keyBlock(obj);
  const r = parseWrapping(child(block, Tag.KeyWrappingData)!, ctx, 'data');
  const value = child(block, Tag.KeyValue);
  let wrapped: Uint8Array;
  if (value?.type === 'ByteString') wrapped = value.value;
  else if (value?.type === 'Structure' && r.encoding === EO.NoEncoding && child(value, Tag.KeyMaterial)?.type === 'ByteString' && value.value.length === 1) {
    // Some clients (and the TC-WRAP-1 draft vectors) keep the Key Value structure and put the wrapped bytes in its Key Material.
    wrapped = (child(value, Tag.KeyMaterial) as Extract<TtlvItem, { type: 'ByteString' }>).value;
  } else throw new KmipOperationError('InvalidField', 'a wrapped Key Block carries its Key Value as a Byte String (the wrapped bytes)');
  if (r.iv !== undefined) throw new KmipOperationError('InvalidField', 'the supported wrapping mechanisms (AES Key Wrap, RSA-OAEP) take no IV/Counter/Nonce');
  if (macs(r.method) && r.macSignature === undefined) throw new KmipOperationError('MissingData', `Wrapping Method ${METHOD_NAMES[r.method]} needs the MAC/Signature in the Key Wrapping Data`);
  if (!macs(r.method) && r.macSignature !== undefined) throw new KmipOperationError('InvalidField', 'a MAC/Signature belongs to a MAC/sign Wrapping Method');
  const failed = (): KmipOperationError => new KmipOperationError('CryptographicFailure', 'the wrapped key could not be unwrapped and verified with the named keys and parameters');
  const opened: UsableKey[] = [];
  let plain: Uint8Array | undefined;
  try {
    const uctx = forUse(ctx);
    let decrypt: ((d: Uint8Array) => Uint8Array | undefined) | undefined;
    let check: ((d: Uint8Array) => boolean) | undefined;
    if (r.encryption !== undefined) {
      const key = wrappingKey(uctx, r.encryption.id, 'Encryption Key Information', () => 'unwrap');
      opened.push(key);
      const m = wrapMechanism(ctx, key, wrappingParameters(uctx, key, r.encryption, 'Encryption Key Information').params);
      decrypt = (d) => m.unwrap(d);
    }
    if (r.mac !== undefined) {
      const key = wrappingKey(uctx, r.mac.id, 'MAC/Signature Key Information', (t) => {
        if (t === OT.PrivateKey) throw new KmipOperationError(isV1(ctx) ? 'PermissionDenied' : 'InvalidObjectType', `the MAC/Signature Key Information names the Private Key '${r.mac!.id}'; to verify the signature, name its Public Key`);
        return t === OT.SymmetricKey ? 'macVerify' : 'verify';
      });
      opened.push(key);
      const params = wrappingParameters(uctx, key, r.mac, 'MAC/Signature Key Information').params;
      check = (d) => macOrSignatureValid(ctx, key, params, d, r.macSignature!);
    }
    if (r.method === WM.Encrypt) plain = decrypt!(wrapped);
    else if (r.method === WM.MACSign) plain = check!(wrapped) ? Buffer.from(wrapped) : undefined;
    else if (r.method === WM.EncryptThenMACSign) plain = check!(wrapped) ? decrypt!(wrapped) : undefined;
    else {
      plain = decrypt!(wrapped);
      if (plain !== undefined && !check!(plain)) plain = undefined;
    }
    if (plain === undefined) throw failed();
    let keyValue: StructureItem;
    if (r.encoding === EO.NoEncoding) {
      keyValue = struct(Tag.KeyValue, [item(Tag.KeyMaterial, 'ByteString', new Uint8Array(plain))]);
    } else {
      let decoded: TtlvItem;
      try {
        decoded = decodeTtlv(plain);
      } catch {
        throw new KmipOperationError('EncodingOptionError', 'the unwrapped bytes are not a TTLV-encoded Key Value structure; if the Key Material alone was wrapped, say Encoding Option No Encoding');
      }
      if (decoded.tag !== Tag.KeyValue || decoded.type !== 'Structure') {
        throw new KmipOperationError('EncodingOptionError', 'the unwrapped bytes are not a TTLV-encoded Key Value structure; if the Key Material alone was wrapped, say Encoding Option No Encoding');
      }
      keyValue = decoded;
    }
    const material = child(keyValue, Tag.KeyMaterial);
    const declared = child(block, Tag.CryptographicLength);
    const alg = child(block, Tag.CryptographicAlgorithm);
    if (obj.tag === Tag.SymmetricKey && material?.type === 'ByteString' && declared?.type === 'Integer' && !(alg?.type === 'Enumeration' && DES_LIKE.includes(alg.value)) && declared.value !== material.value.length * 8) {
      throw new KmipOperationError('InvalidField', `the Key Block says ${declared.value} bits but the unwrapped key has ${material.value.length * 8}`);
    }
    const newBlock = struct(Tag.KeyBlock, block.value.filter((c) => c.tag !== Tag.KeyWrappingData).map((c) => (c.tag === Tag.KeyValue ? keyValue : c)));
    return struct(obj.tag, obj.value.map((c) => (c === block ? newBlock : c)));
  } finally {
    plain?.fill(0);
    for (const k of opened) k.dispose();
  }
}
