// AES-CMAC (NIST SP 800-38B, RFC 4493). Node has no CMAC, so it is built on
// AES here: the subkeys K1, K2 from L = AES-K(0^128), then CBC-MAC with a zero
// IV over the message whose last block is XORed with K1 (complete block) or
// padded 10* and XORed with K2. Incremental: update() may be called with any
// chunking (multi-part MAC); the last block is held back until digest(),
// since only then is it known to be the last. Checked against RFC 4493 §4's
// vectors (test/crypto-kat.test.ts).
import { createCipheriv, type Cipher } from 'node:crypto';

const BLOCK = 16;
const RB = 0x87;

function shiftLeft(b: Buffer): Buffer {
  const out = Buffer.alloc(BLOCK);
  for (let i = 0; i < BLOCK; i++) out[i] = ((b[i]! << 1) & 0xff) | (i + 1 < BLOCK ? b[i + 1]! >> 7 : 0);
  if (b[0]! & 0x80) out[BLOCK - 1]! ^= RB;
  return out;
}

function aesName(key: Uint8Array, mode: 'ecb' | 'cbc'): string {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw new RangeError(`AES-CMAC needs a 128, 192 or 256-bit key, not ${key.length * 8} bits`);
  return `aes-${key.length * 8}-${mode}`;
}

export class AesCmac {
  readonly #k1: Buffer;
  readonly #k2: Buffer;
  readonly #cbc: Cipher;
  /** Bytes not yet fed to the CBC: at most one block once update() returns (the possible last block). */
  #pending: Buffer = Buffer.alloc(0);
  #done = false;

  constructor(key: Uint8Array) {
    const ecb = createCipheriv(aesName(key, 'ecb'), key, null);
    ecb.setAutoPadding(false);
    const l = ecb.update(Buffer.alloc(BLOCK));
    this.#k1 = shiftLeft(l);
    this.#k2 = shiftLeft(this.#k1);
    l.fill(0);
    this.#cbc = createCipheriv(aesName(key, 'cbc'), key, Buffer.alloc(BLOCK));
    this.#cbc.setAutoPadding(false);
  }

  update(data: Uint8Array): this {
    if (this.#done) throw new Error('AES-CMAC: update after digest');
    const all = this.#pending.length === 0 ? Buffer.from(data) : Buffer.concat([this.#pending, data]);
    // Keep the last (possibly complete) block back; feed every block before it.
    const keep = all.length === 0 ? 0 : ((all.length - 1) % BLOCK) + 1;
    const feed = all.length - keep;
    if (feed > 0) this.#cbc.update(all.subarray(0, feed));
    this.#pending = Buffer.from(all.subarray(feed));
    return this;
  }

  /** The 16-byte tag. */
  digest(): Buffer {
    if (this.#done) throw new Error('AES-CMAC: digest called twice');
    this.#done = true;
    const last = Buffer.alloc(BLOCK);
    if (this.#pending.length === BLOCK) {
      for (let i = 0; i < BLOCK; i++) last[i] = this.#pending[i]! ^ this.#k1[i]!;
    } else {
      this.#pending.copy(last);
      last[this.#pending.length] = 0x80;
      for (let i = 0; i < BLOCK; i++) last[i]! ^= this.#k2[i]!;
    }
    const tag = this.#cbc.update(last);
    this.#cbc.final();
    this.#k1.fill(0);
    this.#k2.fill(0);
    this.#pending.fill(0);
    return tag;
  }
}

export function aesCmac(key: Uint8Array, data: Uint8Array): Buffer {
  return new AesCmac(key).update(data).digest();
}
