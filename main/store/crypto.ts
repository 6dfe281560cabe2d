// Key material encryption at rest: AES-256-GCM under the master key.
//
// - A fresh random 96-bit nonce per write: GCM is catastrophically broken by
//   nonce reuse under one key, and 2^32 random nonces keep the collision risk
//   below NIST's 2^-32 bound (far beyond any realistic key store).
// - The additional authenticated data binds the ciphertext to its object's
//   unique identifier and the master key version, so ciphertext copied onto
//   another object (or relabelled with another key version) fails to decrypt.
// - A failure is reported as CORRUPT with the identifier only: no key bytes,
//   no plaintext, no ciphertext.
import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { keyCheckValue } from './master-key.js';
import { StoreError } from './errors.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface Sealed {
  nonce: Buffer;
  /** Ciphertext followed by the 16-byte GCM tag. */
  ciphertext: Buffer;
}

function aad(purpose: string, id: string, keyVersion: number): Buffer {
  return Buffer.from(`keyhold/${purpose}/v1\0${id}\0${keyVersion}`, 'utf8');
}

export class MaterialCipher {
  constructor(
    private readonly keys: ReadonlyMap<number, KeyObject>,
    readonly currentVersion: number,
  ) {}

  seal(purpose: string, id: string, plaintext: Uint8Array): Sealed & { keyVersion: number } {
    const keyVersion = this.currentVersion;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key(keyVersion), nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(purpose, id, keyVersion));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { nonce, ciphertext, keyVersion };
  }

  open(purpose: string, id: string, keyVersion: number, sealed: Sealed): Buffer {
    const corrupt = (): never => {
      throw new StoreError('CORRUPT', `stored ${purpose} of object ${id} failed authentication (tampered or damaged)`);
    };
    const key = this.keys.get(keyVersion);
    if (key === undefined) corrupt();
    if (sealed.nonce.length !== NONCE_BYTES || sealed.ciphertext.length < TAG_BYTES) corrupt();
    const body = sealed.ciphertext.subarray(0, sealed.ciphertext.length - TAG_BYTES);
    const tag = sealed.ciphertext.subarray(sealed.ciphertext.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key!, sealed.nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(purpose, id, keyVersion));
      decipher.setAuthTag(tag);
      const out = decipher.update(body);
      // final() throws when the tag does not verify; the partial output is discarded.
      try {
        return Buffer.concat([out, decipher.final()]);
      } finally {
        out.fill(0);
      }
    } catch {
      return corrupt();
    }
  }

  /** Whether `key` is this cipher's current master key (compared by check value, not bytes). */
  isCurrentKey(key: KeyObject): boolean {
    return keyCheckValue(key) === keyCheckValue(this.key(this.currentVersion));
  }

  /**
   * A subkey of the current master key: HKDF-SHA256 with this `info` (and no
   * salt), 32 bytes, as a KeyObject. Distinct infos give independent keys;
   * none of them reveals the master key.
   */
  deriveSubkey(info: string): KeyObject {
    const out = Buffer.from(hkdfSync('sha256', this.key(this.currentVersion), Buffer.alloc(0), Buffer.from(info, 'utf8'), 32));
    try {
      return createSecretKey(out);
    } finally {
      out.fill(0);
    }
  }

  private key(version: number): KeyObject {
    const k = this.keys.get(version);
    if (k === undefined) throw new StoreError('INTERNAL', `no master key version ${version}`);
    return k;
  }
}
