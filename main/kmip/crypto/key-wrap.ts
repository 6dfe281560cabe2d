// Key wrapping mechanisms for Get with a Key Wrapping Specification and
// Register of wrapped keys (operations/key-wrapping.ts does the KMIP
// structures):
//   AES Key Wrap, RFC 3394        Block Cipher Mode NISTKeyWrap: data of 16
//                                 bytes or more, a multiple of 8 (a
//                                 TTLV-encoded Key Value always is)
//   AES Key Wrap with Padding,    Block Cipher Mode AESKeyWrapPadding: any
//   RFC 5649                      length from 1 byte
//   RSA-OAEP                      Padding Method OAEP with a Public Key
//                                 (unwrap: its Private Key); Hashing
//                                 Algorithm (default SHA-1), Mask Generator
//                                 Hashing Algorithm and P Source as
//                                 ciphers.ts rsaCipher takes them
// All from node:crypto (OpenSSL's id-aes*-wrap / id-aes*-wrap-pad ciphers,
// which need their default IVs passed explicitly). Unwrapping answers
// undefined on any integrity or padding failure: the caller turns every one
// into the same Cryptographic Failure, so a client learns nothing about why.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { Enum } from '../../../shared/kmip/registry/index.js';
import type { OperationContext } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { rsaCipher } from './ciphers.js';
import { badParameters, unsupported, valueName, type CryptoParams } from './parameters.js';
import type { UsableKey } from './use-key.js';

const CA = Enum.CryptographicAlgorithm;
const BCM = Enum.BlockCipherMode;
const PM = Enum.PaddingMethod;
const OT = Enum.ObjectType;

/** RFC 3394 §2.2.3.1 default initial value. */
const KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
/** RFC 5649 §3 alternative initial value (the 32-bit constant; OpenSSL adds the length). */
const KWP_IV = Buffer.from('a65959a6', 'hex');

function aesBits(kek: Uint8Array): number {
  const bits = kek.length * 8;
  if (bits !== 128 && bits !== 192 && bits !== 256) throw new RangeError(`an AES key wrapping key is 128, 192 or 256 bits, not ${bits}`);
  return bits;
}

function run(name: string, kek: Uint8Array, iv: Buffer, data: Uint8Array, dir: 'wrap' | 'unwrap'): Buffer {
  const c = dir === 'wrap' ? createCipheriv(name, kek, iv) : createDecipheriv(name, kek, iv);
  return Buffer.concat([c.update(data), c.final()]);
}

/** RFC 3394 key wrap. RangeError when the data is shorter than 16 bytes or not a multiple of 8. */
export function aesKeyWrap(kek: Uint8Array, data: Uint8Array): Buffer {
  const bits = aesBits(kek);
  if (data.length < 16 || data.length % 8 !== 0) throw new RangeError(`AES Key Wrap (RFC 3394) wraps 16 bytes or more in whole 8-byte blocks; this is ${data.length} bytes (use AES Key Wrap with Padding)`);
  return run(`id-aes${bits}-wrap`, kek, KW_IV, data, 'wrap');
}

/** RFC 3394 key unwrap; undefined when the integrity check fails or the length cannot be a wrapped key. */
export function aesKeyUnwrap(kek: Uint8Array, wrapped: Uint8Array): Buffer | undefined {
  const bits = aesBits(kek);
  if (wrapped.length < 24 || wrapped.length % 8 !== 0) return undefined;
  try {
    return run(`id-aes${bits}-wrap`, kek, KW_IV, wrapped, 'unwrap');
  } catch {
    return undefined;
  }
}

/** RFC 5649 key wrap with padding: 1 byte or more. */
export function aesKeyWrapPad(kek: Uint8Array, data: Uint8Array): Buffer {
  const bits = aesBits(kek);
  if (data.length < 1) throw new RangeError('AES Key Wrap with Padding needs at least 1 byte');
  return run(`id-aes${bits}-wrap-pad`, kek, KWP_IV, data, 'wrap');
}

/** RFC 5649 key unwrap; undefined when the integrity check or the padding check fails. */
export function aesKeyUnwrapPad(kek: Uint8Array, wrapped: Uint8Array): Buffer | undefined {
  const bits = aesBits(kek);
  if (wrapped.length < 16 || wrapped.length % 8 !== 0) return undefined;
  try {
    return run(`id-aes${bits}-wrap-pad`, kek, KWP_IV, wrapped, 'unwrap');
  } catch {
    return undefined;
  }
}

/** A wrapping mechanism chosen for a key and its parameters. */
export interface WrapMechanism {
  /** For messages: "AES-256 Key Wrap (RFC 3394)". */
  readonly name: string;
  /** Wraps; KmipOperationError when the data does not fit the mechanism. */
  wrap(data: Uint8Array): Buffer;
  /** Unwraps; undefined on any integrity / padding failure. */
  unwrap(data: Uint8Array): Buffer | undefined;
}

export const SUPPORTED_WRAPPING = 'AES Key Wrap (Block Cipher Mode NISTKeyWrap, RFC 3394), AES Key Wrap with Padding (AESKeyWrapPadding, RFC 5649), RSA-OAEP (Padding Method OAEP)';

/**
 * The mechanism the wrapping key and the effective Cryptographic Parameters
 * ask for. An AES key wraps with NISTKeyWrap or AESKeyWrapPadding; an RSA
 * Public Key (unwrap: Private Key) with OAEP. Anything else is Unsupported
 * Cryptographic Parameters (1.x Invalid Field), a missing choice Bad
 * Cryptographic Parameters, each saying what to send.
 */
export function wrapMechanism(ctx: OperationContext, key: UsableKey, p: CryptoParams): WrapMechanism {
  if (key.objectType === OT.SymmetricKey) {
    const alg = p.cryptographicAlgorithm ?? key.algorithm;
    if (alg !== undefined && alg !== CA.AES) throw unsupported(ctx, `object '${key.id}' is a ${valueName('CryptographicAlgorithm', alg)} key; key wrapping with a symmetric key needs an AES key (${SUPPORTED_WRAPPING})`);
    const kek = key.bytes!;
    if (![16, 24, 32].includes(kek.length)) throw badParameters(ctx, `object '${key.id}' has ${kek.length * 8} bits; an AES wrapping key has 128, 192 or 256`);
    if (p.paddingMethod !== undefined && p.paddingMethod !== PM.None) throw unsupported(ctx, `AES key wrapping takes no Padding Method (got ${valueName('PaddingMethod', p.paddingMethod)}); for padding use Block Cipher Mode AESKeyWrapPadding`);
    const bits = kek.length * 8;
    const mode = p.blockCipherMode;
    if (mode === undefined) throw badParameters(ctx, `wrapping with AES needs a Block Cipher Mode: NISTKeyWrap (RFC 3394) or AESKeyWrapPadding (RFC 5649), in the Cryptographic Parameters of the Key Information or the key's Cryptographic Parameters attribute`);
    if (mode === BCM.NISTKeyWrap) {
      const name = `AES-${bits} Key Wrap (RFC 3394)`;
      return {
        name,
        wrap(data) {
          try {
            return aesKeyWrap(kek, data);
          } catch (e) {
            throw new KmipOperationError('EncodingOptionError', `${(e as Error).message}; with No Encoding, wrap keys of 16 bytes or more, or use TTLV Encoding`);
          }
        },
        unwrap: (data) => aesKeyUnwrap(kek, data),
      };
    }
    if (mode === BCM.AESKeyWrapPadding) {
      return { name: `AES-${bits} Key Wrap with Padding (RFC 5649)`, wrap: (data) => aesKeyWrapPad(kek, data), unwrap: (data) => aesKeyUnwrapPad(kek, data) };
    }
    throw unsupported(ctx, `Block Cipher Mode ${valueName('BlockCipherMode', mode)} is not supported for key wrapping (${SUPPORTED_WRAPPING})`);
  }
  // Public Key (wrap) or Private Key (unwrap): RSA-OAEP only.
  if (key.key.asymmetricKeyType !== 'rsa') throw unsupported(ctx, `key wrapping with a ${key.key.asymmetricKeyType ?? 'non-RSA'} key is not supported (${SUPPORTED_WRAPPING})`);
  if (p.paddingMethod === undefined) throw badParameters(ctx, 'wrapping with RSA needs Padding Method OAEP, in the Cryptographic Parameters of the Key Information or the key\'s Cryptographic Parameters attribute');
  if (p.paddingMethod !== PM.OAEP) throw unsupported(ctx, `RSA key wrapping supports Padding Method OAEP only, not ${valueName('PaddingMethod', p.paddingMethod)}`);
  return {
    name: 'RSA-OAEP',
    wrap: (data) => rsaCipher(ctx, key, p, 'encrypt', data),
    unwrap(data) {
      try {
        return rsaCipher(ctx, key, p, 'decrypt', data);
      } catch (e) {
        if (e instanceof KmipOperationError && e.resultReason === 'CryptographicFailure') return undefined;
        throw e;
      }
    },
  };
}
