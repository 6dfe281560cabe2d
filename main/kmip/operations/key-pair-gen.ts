// Key pair generation and the stored form of each half, shared by Create Key
// Pair and Re-key Key Pair: RSA 2048/3072/4096 and EC P-256/P-384/P-521 from
// node:crypto; the server-set attributes of each new key; Links.
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { Attribute, AttributeValue } from '../../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item } from '../../../shared/kmip/ttlv/index.js';
import { KmipOperationError } from '../errors.js';
import { asymmetricKey, CURVES, defaultFormat, exportKey, type KeyInfo } from '../objects/asymmetric.js';
import { digest, encodeMaterial } from '../objects/material.js';
import { SERVER_RNG } from './rng.js';
import { protectionAttributes } from './managed.js';

const CA = Enum.CryptographicAlgorithm;
const RSA_LENGTHS = [2048, 3072, 4096];
const gen = promisify(generateKeyPair);

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function attrValue(attrs: readonly Attribute[], name: string): AttributeValue | undefined {
  return attrs.find((a) => a.name === name)?.value;
}

export function intValue(attrs: readonly Attribute[], name: string): number | undefined {
  const v = attrValue(attrs, name);
  return v?.type === 'Integer' || v?.type === 'Enumeration' ? v.value : undefined;
}

/** The Recommended Curve, inside Cryptographic Domain Parameters. */
export function curveOf(attrs: readonly Attribute[]): number | undefined {
  const dp = attrValue(attrs, 'CryptographicDomainParameters');
  if (dp?.type !== 'Structure') return undefined;
  const c = dp.value.find((x) => x.tag === Tag.RecommendedCurve);
  return c?.type === 'Enumeration' ? c.value : undefined;
}

/** A new pair like `info` (same algorithm and modulus length or curve). */
export function generatePair(info: KeyInfo): Promise<KeyPair> {
  if (info.algorithm === CA.RSA) return gen('rsa', { modulusLength: info.length, publicExponent: 0x10001 });
  const c = info.curve === undefined ? undefined : CURVES.get(info.curve);
  if (c === undefined) throw new KmipOperationError('InvalidField', 'only RSA and EC P-256/P-384/P-521 key pairs can be generated');
  return gen('ec', { namedCurve: c.name });
}

/** The pair a Create Key Pair request asks for, from its (Private Key) attributes. */
export function generateFromAttributes(attrs: readonly Attribute[]): Promise<KeyPair> {
  const alg = intValue(attrs, 'CryptographicAlgorithm');
  if (alg === undefined) throw new KmipOperationError('MissingData', 'Create Key Pair needs a Cryptographic Algorithm');
  const length = intValue(attrs, 'CryptographicLength');
  if (alg === CA.RSA) {
    if (length === undefined) throw new KmipOperationError('MissingData', 'an RSA key pair needs a Cryptographic Length');
    if (!RSA_LENGTHS.includes(length)) throw new KmipOperationError('InvalidField', `RSA Cryptographic Length ${length} is not supported (${RSA_LENGTHS.join(', ')})`);
    return generatePair({ algorithm: CA.RSA, length });
  }
  if (alg === CA.EC || alg === CA.ECDSA) {
    let curve = curveOf(attrs);
    if (curve === undefined && length !== undefined) curve = [...CURVES].find(([, c]) => c.bits === length)?.[0];
    const c = curve === undefined ? undefined : CURVES.get(curve);
    if (c === undefined) throw new KmipOperationError(curve === undefined && length === undefined ? 'MissingData' : 'InvalidField', 'an EC key pair needs a Recommended Curve (or Cryptographic Length) of P-256, P-384 or P-521');
    if (length !== undefined && length !== c.bits) throw new KmipOperationError('InvalidField', `Cryptographic Length ${length} does not match the curve (${c.bits})`);
    return generatePair({ algorithm: CA.EC, length: c.bits, curve });
  }
  throw new KmipOperationError('InvalidField', 'the Cryptographic Algorithm is not supported for Create Key Pair (RSA, EC, ECDSA)');
}

export function link(type: number, id: string): Attribute {
  return { name: 'Link', value: { type: 'Structure', value: [item(Tag.LinkType, 'Enumeration', type), item(Tag.LinkedObjectIdentifier, 'TextString', id)] } };
}

/**
 * One half of a new pair as stored: its attributes (`attrs` plus what the
 * server sets on a generated key) and its encoded material. `t` is now.
 */
export function keyHalf(objectTag: number, key: KeyObject, info: KeyInfo, attrs: readonly Attribute[], usage: number, t: AttributeValue): { stored: Attribute[]; material: Uint8Array } {
  const format = defaultFormat(objectTag, info.algorithm);
  const der = exportKey(key, format);
  const stored: Attribute[] = [...attrs];
  if (intValue(attrs, 'CryptographicLength') === undefined) stored.push({ name: 'CryptographicLength', value: { type: 'Integer', value: info.length } });
  if (intValue(attrs, 'CryptographicUsageMask') === undefined) stored.push({ name: 'CryptographicUsageMask', value: { type: 'Integer', value: usage } });
  stored.push(
    { name: 'Digest', value: digest(der, format) },
    { name: 'InitialDate', value: t },
    { name: 'LastChangeDate', value: t },
    ...(attrValue(attrs, 'OriginalCreationDate') === undefined ? [{ name: 'OriginalCreationDate', value: t }] : []),
    { name: 'Fresh', value: { type: 'Boolean', value: true } },
    { name: 'RandomNumberGenerator', value: SERVER_RNG },
    { name: 'KeyFormatType', value: { type: 'Enumeration', value: format } },
    ...protectionAttributes(attrs),
  );
  return { stored, material: encodeMaterial(asymmetricKey(objectTag, der, format, info)) };
}
