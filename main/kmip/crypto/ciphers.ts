// The ciphers behind Encrypt and Decrypt (operations/encrypt.ts,
// decrypt.ts), all from node:crypto:
//   AES-128/192/256   ECB, CBC (Padding Method None or PKCS5), CTR, GCM
//                     (Tag Length 12–16, Authenticated Encryption Additional
//                     Data and Tag), XTS (a 256- or 512-bit AES key is the
//                     XTS key pair: AES-128-XTS / AES-256-XTS)
//   ChaCha20          8-byte nonce (64-bit counter, the original) or 12-byte
//                     nonce (RFC 8439, 32-bit counter); Initial Counter
//                     Value, default 0
//   ChaCha20-Poly1305 RFC 8439 AEAD, 12-byte nonce, Tag Length 12–16
//   RSA               OAEP (Hashing Algorithm default SHA-1, Mask Generator
//                     MGF1 with its own hash, default the OAEP hash; P
//                     Source = label) and PKCS#1 v1.5. PKCS#1 v1.5
//                     decryption uses implicit rejection (rsa-pkcs1.ts): a
//                     bad padding gives a synthetic message, not an error, so
//                     it is no Bleichenbacher / Marvin padding oracle
//                     (CVE-2023-46809). Single-part only.
// Triple DES and the other Block Cipher Modes (CFB, OFB, CCM, key wrap modes
// …) answer Unsupported Cryptographic Parameters (1.x Invalid Field).
//
// IV/Counter/Nonce: the client's, or when it gives none and the parameters
// say Random IV, one from the server's random source (IV Length if given,
// else 16 bytes; 12 for GCM, ChaCha20 and ChaCha20-Poly1305), returned in
// the Encrypt response. A server-made GCM IV is at least 96 bits (shorter
// random IVs repeat within a key's life, and a repeated GCM IV gives away
// the authentication key); ChaCha20-Poly1305 nonces are exactly 96 bits. A missing IV otherwise is Invalid Message, as the
// OASIS CS-BC-M-11..13 cases answer (1.4 §11.1 "error parsing ... payload").
import { constants, createCipheriv, createDecipheriv, privateDecrypt, publicEncrypt, type Cipher, type Decipher } from 'node:crypto';
import { Enum } from '../../../shared/kmip/registry/index.js';
import type { OperationContext } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { digestBytes, HASH_NAMES } from '../operations/hash.js';
import { badParameters, unsupported, valueName, type CryptoParams } from './parameters.js';
import { oaepDecrypt, oaepEncrypt } from './rsa-oaep.js';
import { pkcs1v15Decrypt } from './rsa-pkcs1.js';
import { pooledRandom } from './random-pool.js';
import type { UsableKey } from './use-key.js';

const CA = Enum.CryptographicAlgorithm;
const BCM = Enum.BlockCipherMode;
const PM = Enum.PaddingMethod;
const OT = Enum.ObjectType;

export type Direction = 'encrypt' | 'decrypt';

/** What a request gives besides the data. */
export interface CipherInputs {
  iv: Uint8Array | undefined;
  aad: Uint8Array | undefined;
  /** Decrypt only: the Authenticated Encryption Tag. */
  tag: Uint8Array | undefined;
}

/** A symmetric cipher ready for data: one part or many. */
export interface SymmetricRun {
  cipher: Cipher | Decipher;
  /** The IV the server generated (Random IV): returned in the Encrypt response. */
  generatedIv: Uint8Array | undefined;
  /** AEAD (GCM, ChaCha20-Poly1305): Encrypt returns the tag at the end. */
  aead: boolean;
  /** A description for messages ("AES-128-GCM"). */
  name: string;
}

/** The AEAD methods node's GCM / ChaCha20-Poly1305 ciphers add. */
interface Aead {
  setAAD(data: Uint8Array, options?: { plaintextLength: number }): unknown;
  setAuthTag(tag: Uint8Array): unknown;
  getAuthTag(): Buffer;
}

const missing = (what: string): KmipOperationError => new KmipOperationError('InvalidMessage', what);

/** The algorithm of the operation: the parameters' Cryptographic Algorithm where given (it must fit the key), else the key's. */
function algorithmOf(ctx: OperationContext, key: UsableKey, params: CryptoParams): number {
  const keyAlg = key.algorithm;
  const asked = params.cryptographicAlgorithm;
  if (asked === undefined || asked === keyAlg) {
    if (keyAlg === undefined) throw badParameters(ctx, `object '${key.id}' has no Cryptographic Algorithm; give one in the Cryptographic Parameters`);
    return keyAlg;
  }
  // A ChaCha20 key serves ChaCha20-Poly1305 and the other way round (the same 256-bit key; symmetricCipher keeps a ChaCha20-Poly1305 key authenticated).
  const chacha = [CA.ChaCha20, CA.ChaCha20Poly1305] as number[];
  if (keyAlg === undefined || (chacha.includes(asked) && chacha.includes(keyAlg))) return asked;
  throw badParameters(ctx, `the Cryptographic Parameters ask for ${valueName('CryptographicAlgorithm', asked)} but object '${key.id}' is a ${valueName('CryptographicAlgorithm', keyAlg)} key`);
}

/** The largest IV Length the server generates (GCM accepts any length; 1024 bits is far beyond any use). */
const MAX_IV_BITS = 1024;

function ivFor(ctx: OperationContext, dir: Direction, params: CryptoParams, given: Uint8Array | undefined, defaultBytes: number, what: string): { iv: Uint8Array; generated: boolean } {
  if (given !== undefined) return { iv: given, generated: false };
  if (dir === 'encrypt' && params.randomIV === true) {
    const bits = params.ivLength ?? defaultBytes * 8;
    if (bits % 8 !== 0) throw badParameters(ctx, `IV Length ${bits} bits is not a whole number of bytes`);
    // No cipher here takes an IV over 128 bytes; a larger IV Length would only make the server allocate.
    if (bits <= 0 || bits > MAX_IV_BITS) throw badParameters(ctx, `IV Length ${bits} bits is out of range: give 8 to ${MAX_IV_BITS} bits`);
    return { iv: pooledRandom(bits / 8), generated: true };
  }
  throw missing(
    dir === 'encrypt'
      ? `${what} needs an IV/Counter/Nonce: send one, or set Random IV true in the Cryptographic Parameters for the server to make one`
      : `${what} needs the IV/Counter/Nonce the data was encrypted with`,
  );
}

function checkLength(ctx: OperationContext, iv: Uint8Array, allowed: readonly number[], what: string): void {
  if (!allowed.includes(iv.length)) throw badParameters(ctx, `${what} needs an IV/Counter/Nonce of ${allowed.join(' or ')} bytes, not ${iv.length}`);
}

function tagLengthOf(ctx: OperationContext, params: CryptoParams, dir: Direction, tag: Uint8Array | undefined, what: string): number {
  const n = params.tagLength ?? (dir === 'decrypt' && tag !== undefined ? tag.length : 16);
  if (n < 12 || n > 16) throw badParameters(ctx, `Tag Length ${n} is not supported for ${what} (12 to 16 bytes)`);
  if (dir === 'decrypt') {
    if (tag === undefined) throw missing(`${what} decryption needs the Authenticated Encryption Tag`);
    if (tag.length !== n) throw badParameters(ctx, `the Authenticated Encryption Tag has ${tag.length} bytes but the Tag Length is ${n}`);
  }
  return n;
}

/** Sets up a symmetric cipher for the key, parameters and inputs; every refusal names what to change. */
export function symmetricCipher(ctx: OperationContext, key: UsableKey, params: CryptoParams, dir: Direction, inputs: CipherInputs): SymmetricRun {
  const alg = algorithmOf(ctx, key, params);
  const bytes = key.bytes;
  if (bytes === undefined) throw new KmipOperationError('GeneralFailure', 'symmetric key without key bytes');
  const padding = params.paddingMethod;
  const make = (name: string, iv: Uint8Array | null, options?: { authTagLength: number }): Cipher | Decipher => {
    try {
      return dir === 'encrypt' ? createCipheriv(name, bytes, iv, options as never) : createDecipheriv(name, bytes, iv, options as never);
    } catch (e) {
      // e.g. XTS with two equal key halves; never echo material.
      throw new KmipOperationError('CryptographicFailure', `${name.toUpperCase()} cannot use this key and IV: ${(e as Error).message.replace(/^error:[0-9A-F]+:[^:]*::/, '')}`);
    }
  };
  const aadOnlyForAead = (name: string, aead: boolean): void => {
    if (!aead && inputs.aad !== undefined) throw badParameters(ctx, `${name} is not an authenticated mode; Authenticated Encryption Additional Data needs GCM or ChaCha20-Poly1305`);
    if (!aead && dir === 'decrypt' && inputs.tag !== undefined) throw badParameters(ctx, `${name} is not an authenticated mode; an Authenticated Encryption Tag needs GCM or ChaCha20-Poly1305`);
  };
  const noPadding = (name: string): void => {
    if (padding !== undefined && padding !== PM.None) throw unsupported(ctx, `${name} takes no Padding Method (got ${valueName('PaddingMethod', padding)})`);
  };

  if (alg === CA.AES) {
    const mode = params.blockCipherMode;
    if (mode === undefined) throw badParameters(ctx, `AES needs a Block Cipher Mode (ECB, CBC, CTR, GCM or XTS): give Cryptographic Parameters with one, or set the key's Cryptographic Parameters attribute`);
    const bits = bytes.length * 8;
    if (mode === BCM.XTS) {
      if (bits !== 256 && bits !== 512) throw badParameters(ctx, `AES-XTS needs a 256-bit (AES-128-XTS) or 512-bit (AES-256-XTS) key; object '${key.id}' has ${bits} bits`);
      const name = `aes-${bits / 2}-xts`;
      noPadding('XTS');
      aadOnlyForAead('XTS', false);
      const { iv, generated } = ivFor(ctx, dir, params, inputs.iv, 16, 'XTS');
      checkLength(ctx, iv, [16], 'XTS (the tweak)');
      return { cipher: make(name, iv), generatedIv: generated ? iv : undefined, aead: false, name: `AES-${bits / 2}-XTS` };
    }
    if (![128, 192, 256].includes(bits)) throw badParameters(ctx, `object '${key.id}' has ${bits} bits; AES keys are 128, 192 or 256 bits`);
    if (mode === BCM.ECB || mode === BCM.CBC) {
      const m = mode === BCM.ECB ? 'ECB' : 'CBC';
      if (padding !== undefined && padding !== PM.None && padding !== PM.PKCS5) throw unsupported(ctx, `${m} supports Padding Method None or PKCS5, not ${valueName('PaddingMethod', padding)}`);
      aadOnlyForAead(m, false);
      let iv: Uint8Array | null = null;
      let generated = false;
      if (mode === BCM.CBC) {
        ({ iv, generated } = ivFor(ctx, dir, params, inputs.iv, 16, 'CBC'));
        checkLength(ctx, iv, [16], 'CBC');
      }
      const c = make(`aes-${bits}-${m.toLowerCase()}`, iv);
      c.setAutoPadding(padding === PM.PKCS5);
      return { cipher: c, generatedIv: generated ? iv ?? undefined : undefined, aead: false, name: `AES-${bits}-${m}` };
    }
    if (mode === BCM.CTR) {
      noPadding('CTR');
      aadOnlyForAead('CTR', false);
      const { iv, generated } = ivFor(ctx, dir, params, inputs.iv, 16, 'CTR');
      if (iv.length < 1 || iv.length > 16) throw badParameters(ctx, `CTR needs a counter block of 16 bytes, or a nonce of up to 15 bytes followed by the Initial Counter Value; got ${iv.length} bytes`);
      // A full 16-byte counter block as given; a shorter nonce is completed by the Initial Counter Value (RFC 3686 starts at 1).
      const block = Buffer.alloc(16);
      Buffer.from(iv).copy(block);
      if (iv.length < 16) {
        let counter = BigInt(params.initialCounterValue ?? 1);
        for (let i = 15; i >= iv.length; i--, counter >>= 8n) block[i] = Number(counter & 0xffn);
      }
      return { cipher: make(`aes-${bits}-ctr`, block), generatedIv: generated ? iv : undefined, aead: false, name: `AES-${bits}-CTR` };
    }
    if (mode === BCM.GCM) {
      noPadding('GCM');
      const n = tagLengthOf(ctx, params, dir, inputs.tag, 'GCM');
      const { iv, generated } = ivFor(ctx, dir, params, inputs.iv, 12, 'GCM');
      if (generated && iv.length < 12) throw badParameters(ctx, `a random GCM IV of ${iv.length * 8} bits may repeat under one key; give IV Length 96 or more (or leave it out for 96)`);
      if (iv.length < 1 || iv.length > 128) throw badParameters(ctx, `GCM needs an IV/Counter/Nonce of 1 to 128 bytes (12 recommended), not ${iv.length}`);
      const c = make(`aes-${bits}-gcm`, iv, { authTagLength: n });
      if (inputs.aad !== undefined) (c as unknown as Aead).setAAD(inputs.aad);
      if (dir === 'decrypt') (c as unknown as Aead).setAuthTag(inputs.tag!);
      return { cipher: c, generatedIv: generated ? iv : undefined, aead: true, name: `AES-${bits}-GCM` };
    }
    throw unsupported(ctx, `Block Cipher Mode ${valueName('BlockCipherMode', mode)} is not supported for AES Encrypt / Decrypt (ECB, CBC, CTR, GCM, XTS)`);
  }

  if (alg === CA.ChaCha20 || alg === CA.ChaCha20Poly1305) {
    if (bytes.length !== 32) throw badParameters(ctx, `ChaCha20 needs a 256-bit key; object '${key.id}' has ${bytes.length * 8} bits`);
    const mode = params.blockCipherMode;
    const aead = alg === CA.ChaCha20Poly1305 || mode === BCM.AEAD;
    if (mode !== undefined && mode !== BCM.AEAD) throw unsupported(ctx, `ChaCha20 takes no Block Cipher Mode other than AEAD (got ${valueName('BlockCipherMode', mode)})`);
    // A ChaCha20-Poly1305 key runs authenticated only: plain ChaCha20 under it would give its key stream without the tag check.
    if (!aead && key.algorithm === CA.ChaCha20Poly1305) {
      throw badParameters(ctx, `object '${key.id}' is a ChaCha20-Poly1305 key; it does not run plain ChaCha20 (use Cryptographic Algorithm ChaCha20-Poly1305 or Block Cipher Mode AEAD)`);
    }
    noPadding('ChaCha20');
    if (aead) {
      const n = tagLengthOf(ctx, params, dir, inputs.tag, 'ChaCha20-Poly1305');
      const { iv, generated } = ivFor(ctx, dir, params, inputs.iv, 12, 'ChaCha20-Poly1305');
      checkLength(ctx, iv, [12], 'ChaCha20-Poly1305 (the nonce)');
      const c = make('chacha20-poly1305', iv, { authTagLength: n });
      if (inputs.aad !== undefined) (c as unknown as Aead).setAAD(inputs.aad);
      if (dir === 'decrypt') (c as unknown as Aead).setAuthTag(inputs.tag!);
      return { cipher: c, generatedIv: generated ? iv : undefined, aead: true, name: 'ChaCha20-Poly1305' };
    }
    aadOnlyForAead('ChaCha20', false);
    const { iv, generated } = ivFor(ctx, dir, params, inputs.iv, 12, 'ChaCha20');
    checkLength(ctx, iv, [8, 12], 'ChaCha20 (the nonce)');
    // OpenSSL's ChaCha20 IV is the last four state words: the block counter (little-endian) then the nonce.
    const counter = BigInt(params.initialCounterValue ?? 0);
    const block = Buffer.alloc(16);
    if (iv.length === 8) block.writeBigUInt64LE(BigInt.asUintN(64, counter), 0);
    else block.writeUInt32LE(Number(BigInt.asUintN(32, counter)), 0);
    Buffer.from(iv).copy(block, 16 - iv.length);
    return { cipher: make('chacha20', block), generatedIv: generated ? iv : undefined, aead: false, name: 'ChaCha20' };
  }

  throw unsupported(ctx, `${valueName('CryptographicAlgorithm', alg)} is not supported for Encrypt / Decrypt (AES, ChaCha20, ChaCha20-Poly1305, RSA)`);
}

/** Finishes a symmetric run: the last output, and for AEAD encryption the tag. Tag mismatch and bad padding: Cryptographic Failure. */
export function finishSymmetric(run: SymmetricRun, dir: Direction): { out: Buffer; tag: Uint8Array | undefined } {
  let out: Buffer;
  try {
    out = run.cipher.final();
  } catch (e) {
    const msg = (e as Error).message;
    if (run.aead) throw new KmipOperationError('CryptographicFailure', `${run.name} authentication failed: the tag does not match the key, IV, additional data and data`);
    if (/wrong final block length|data not multiple of block length/i.test(msg)) {
      throw new KmipOperationError(dir === 'encrypt' ? 'InvalidField' : 'CryptographicFailure', `${run.name} without padding needs data in whole 16-byte blocks; use Padding Method PKCS5 or send whole blocks`);
    }
    if (/too short|input length/i.test(msg)) throw new KmipOperationError('CryptographicFailure', `${run.name}: the data is too short for this mode (XTS needs at least 16 bytes)`);
    throw new KmipOperationError('CryptographicFailure', `${run.name} ${dir === 'encrypt' ? 'encryption' : 'decryption'} failed (bad padding or corrupted data)`);
  }
  const tag = dir === 'encrypt' && run.aead ? new Uint8Array((run.cipher as unknown as Aead).getAuthTag()) : undefined;
  return { out, tag };
}

/** One update, with node's faults turned into Cryptographic Failure. */
export function updateSymmetric(run: SymmetricRun, data: Uint8Array): Buffer {
  try {
    return run.cipher.update(data);
  } catch (e) {
    throw new KmipOperationError('CryptographicFailure', `${run.name}: ${(e as Error).message.replace(/^error:[0-9A-F]+:[^:]*::/, '')}`);
  }
}

function hashOf(ctx: OperationContext, alg: number | undefined, fallback: number, what: string): string {
  const a = alg ?? fallback;
  const name = HASH_NAMES.get(a);
  if (name === undefined) throw unsupported(ctx, `${what} ${valueName('HashingAlgorithm', a)} is not supported (SHA-1, SHA-2, SHA-3)`);
  return name;
}

/** RSA encryption (Public Key) or decryption (Private Key), single-part. */
export function rsaCipher(ctx: OperationContext, key: UsableKey, params: CryptoParams, dir: Direction, data: Uint8Array): Buffer {
  const alg = params.cryptographicAlgorithm;
  if (alg !== undefined && alg !== CA.RSA) throw badParameters(ctx, `the Cryptographic Parameters ask for ${valueName('CryptographicAlgorithm', alg)} but object '${key.id}' is an RSA key`);
  if (params.blockCipherMode !== undefined) throw badParameters(ctx, `RSA takes no Block Cipher Mode (got ${valueName('BlockCipherMode', params.blockCipherMode)})`);
  if (key.key.asymmetricKeyType !== 'rsa') throw unsupported(ctx, `Encrypt / Decrypt with ${key.key.asymmetricKeyType ?? 'this'} keys is not supported (RSA only)`);
  const padding = params.paddingMethod;
  if (padding === undefined) throw badParameters(ctx, 'RSA needs a Padding Method (OAEP or PKCS1 v1.5): give Cryptographic Parameters with one, or set the key\'s Cryptographic Parameters attribute');
  const k = Math.ceil((key.key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  if (padding === PM.OAEP) {
    if (params.maskGenerator !== undefined && params.maskGenerator !== Enum.MaskGenerator.MGF1) throw unsupported(ctx, 'OAEP supports the MGF1 Mask Generator only');
    const hash = hashOf(ctx, params.hashingAlgorithm, Enum.HashingAlgorithm.SHA_1, 'OAEP Hashing Algorithm');
    const mgfHash = hashOf(ctx, params.maskGeneratorHashingAlgorithm, params.hashingAlgorithm ?? Enum.HashingAlgorithm.SHA_1, 'Mask Generator Hashing Algorithm');
    const label = params.pSource ?? new Uint8Array(0);
    if (dir === 'encrypt') {
      try {
        return hash === mgfHash ? publicEncrypt({ key: key.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash, oaepLabel: label }, data) : oaepEncrypt(key.key, data, hash, mgfHash, label);
      } catch {
        throw new KmipOperationError('InvalidField', `the data is too long for RSA-OAEP with this ${k * 8}-bit key and ${hash.toUpperCase()}: at most ${Math.max(0, k - 2 * digestBytes(hash) - 2)} bytes`);
      }
    }
    let out: Buffer | undefined;
    if (hash === mgfHash) {
      try {
        out = privateDecrypt({ key: key.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash, oaepLabel: label }, data);
      } catch {
        out = undefined;
      }
    } else out = oaepDecrypt(key.key, data, hash, mgfHash, label);
    // One answer for every decoding fault (no padding oracle).
    if (out === undefined) throw new KmipOperationError('CryptographicFailure', 'RSA-OAEP decryption failed (wrong key, parameters or data)');
    return out;
  }
  if (padding === PM.PKCS1V1_5) {
    if (dir === 'decrypt') {
      if (data.length !== k) throw new KmipOperationError('InvalidField', `an RSA PKCS#1 v1.5 cipher text for this ${k * 8}-bit key is ${k} bytes, not ${data.length}`);
      // Implicit rejection: a bad padding yields a synthetic message, never an error (rsa-pkcs1.ts).
      return pkcs1v15Decrypt(key.key, data);
    }
    if (data.length > k - 11) throw new KmipOperationError('InvalidField', `the data is too long for RSA PKCS#1 v1.5 with this ${k * 8}-bit key: at most ${k - 11} bytes`);
    return publicEncrypt({ key: key.key, padding: constants.RSA_PKCS1_PADDING }, data);
  }
  throw unsupported(ctx, `RSA Encrypt / Decrypt supports Padding Method OAEP or PKCS1 v1.5, not ${valueName('PaddingMethod', padding)}`);
}



/** Whether the key is asymmetric (RSA): single-part only. */
export function isAsymmetric(key: UsableKey): boolean {
  return key.objectType === OT.PublicKey || key.objectType === OT.PrivateKey;
}
