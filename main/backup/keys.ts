// How a backup's random data key is protected.
//
// passphrase: backups run unattended, so the passphrase cannot be asked for
// each time. At configure time an X25519 key pair is made; backup.json keeps
// the public key and the private key sealed under scrypt(passphrase). Each
// backup wraps its data key to the public key (ephemeral ECDH, HKDF-SHA256,
// AES-256-GCM) and carries the sealed private key in its header: the backup
// file and the passphrase restore everything, and the server never holds the
// passphrase.
//
// master-key: the data key is wrapped (AES-256-GCM) under HKDF-SHA256 of the
// store's current master key with a random salt; the header records the
// master key version and a check value (HMAC of a constant under the derived
// key), so a wrong master key is told apart from a damaged file. The backup
// does not contain the master key: the operator keeps DIR/master.key.
import { createCipheriv, createDecipheriv, createHmac, createPrivateKey, createPublicKey, createSecretKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, scryptSync, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { PassphraseKey } from './settings.js';

export class BackupKeyError extends Error {
  override readonly name = 'BackupKeyError';
  constructor(
    readonly code: 'WRONG_PASSPHRASE' | 'WRONG_MASTER_KEY' | 'DAMAGED',
    message: string,
  ) {
    super(message);
  }
}

const SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
export const MIN_PASSPHRASE = 12;

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64');

function rawPublic(key: KeyObject): Buffer {
  return (key.export({ type: 'spki', format: 'der' }) as Buffer).subarray(X25519_SPKI_PREFIX.length);
}
function publicFromRaw(raw: Buffer): KeyObject {
  if (raw.length !== 32) throw new BackupKeyError('DAMAGED', 'the backup key is malformed');
  return createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

function gcmSeal(key: KeyObject | Buffer, plaintext: Uint8Array, aad: Uint8Array): { nonce: Buffer; ciphertext: Buffer } {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(aad);
  return { nonce, ciphertext: Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]) };
}

/** Throws (any error) when authentication fails. */
function gcmOpen(key: KeyObject | Buffer, nonce: Buffer, ciphertext: Buffer, aad: Uint8Array): Buffer {
  if (nonce.length !== 12 || ciphertext.length < 16) throw new Error('malformed');
  const d = createDecipheriv('aes-256-gcm', key, nonce);
  d.setAAD(aad);
  d.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  return Buffer.concat([d.update(ciphertext.subarray(0, ciphertext.length - 16)), d.final()]);
}

export function passphraseProblem(p: string): string | undefined {
  if (p.length < MIN_PASSPHRASE) return `the backup passphrase must have at least ${MIN_PASSPHRASE} characters`;
  if (p.length > 1024) return 'the backup passphrase is longer than 1024 characters';
  return undefined;
}

function scryptKey(passphrase: string, salt: Buffer, N: number, r: number, p: number): Buffer {
  return scryptSync(Buffer.from(passphrase.normalize('NFC'), 'utf8'), salt, 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
}

const PRIVATE_AAD = (publicKey: string) => Buffer.from(`keyhold backup private key v1\0${publicKey}`);

/** A new key pair for passphrase protection (configure time). */
export function newPassphraseKey(passphrase: string): PassphraseKey {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const pub = b64(rawPublic(publicKey));
  const salt = randomBytes(32);
  const kek = scryptKey(passphrase, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p);
  const der = privateKey.export({ type: 'pkcs8', format: 'der' }) as Buffer;
  try {
    const sealed = gcmSeal(kek, der, PRIVATE_AAD(pub));
    return { publicKey: pub, sealedPrivateKey: { kdf: 'scrypt', ...SCRYPT, salt: b64(salt), nonce: b64(sealed.nonce), ciphertext: b64(sealed.ciphertext) } };
  } finally {
    kek.fill(0);
    der.fill(0);
  }
}

/** The private key of a passphrase key; WRONG_PASSPHRASE when it does not open. */
export function openPassphraseKey(k: PassphraseKey, passphrase: string): KeyObject {
  const s = k.sealedPrivateKey;
  const kek = scryptKey(passphrase, unb64(s.salt), s.N, s.r, s.p);
  let der: Buffer;
  try {
    der = gcmOpen(kek, unb64(s.nonce), unb64(s.ciphertext), PRIVATE_AAD(k.publicKey));
  } catch {
    throw new BackupKeyError('WRONG_PASSPHRASE', 'the backup passphrase is wrong');
  } finally {
    kek.fill(0);
  }
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

/** The header's record of how the data key is wrapped. */
export type KeyWrap =
  | { kind: 'passphrase'; recipient: PassphraseKey; ephemeralPublicKey: string; nonce: string; wrappedKey: string }
  | { kind: 'master-key'; masterKeyVersion: number; salt: string; check: string; nonce: string; wrappedKey: string };

const WRAP_INFO = 'keyhold backup data key v1';
const MK_INFO = 'keyhold backup master-key wrap v1';
const CHECK_TEXT = 'keyhold backup master key check v1';

function ecdhKek(priv: KeyObject, pub: KeyObject, ephemeralRaw: Buffer, recipientRaw: Buffer): Buffer {
  const shared = diffieHellman({ privateKey: priv, publicKey: pub });
  try {
    return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeralRaw, recipientRaw]), WRAP_INFO, 32));
  } finally {
    shared.fill(0);
  }
}

export function wrapToPassphraseKey(dataKey: Buffer, recipient: PassphraseKey, aad: Uint8Array): KeyWrap {
  const eph = generateKeyPairSync('x25519');
  const ephRaw = rawPublic(eph.publicKey);
  const recRaw = unb64(recipient.publicKey);
  const kek = ecdhKek(eph.privateKey, publicFromRaw(recRaw), ephRaw, recRaw);
  try {
    const s = gcmSeal(kek, dataKey, aad);
    return { kind: 'passphrase', recipient, ephemeralPublicKey: b64(ephRaw), nonce: b64(s.nonce), wrappedKey: b64(s.ciphertext) };
  } finally {
    kek.fill(0);
  }
}

/** The data key of a passphrase backup. */
export function unwrapWithPassphrase(w: Extract<KeyWrap, { kind: 'passphrase' }>, passphrase: string, aad: Uint8Array): Buffer {
  const priv = openPassphraseKey(w.recipient, passphrase);
  const ephRaw = unb64(w.ephemeralPublicKey);
  const recRaw = unb64(w.recipient.publicKey);
  const kek = ecdhKek(priv, publicFromRaw(ephRaw), ephRaw, recRaw);
  try {
    return gcmOpen(kek, unb64(w.nonce), unb64(w.wrappedKey), aad);
  } catch {
    throw new BackupKeyError('DAMAGED', 'the backup header is damaged (its data key does not authenticate)');
  } finally {
    kek.fill(0);
  }
}

/**
 * The key a master key wraps backups under: HKDF-SHA256(master, no salt,
 * info = label and this backup's random salt), the same derivation as the
 * store's deriveSubkey(info), so the running server derives it without the
 * master key leaving the store and the CLI derives it from a key file.
 */
export function wrapInfo(salt: Uint8Array): string {
  return `${MK_INFO}\0${b64(salt)}`;
}

export function masterWrapKey(master: KeyObject, salt: Uint8Array): KeyObject {
  const raw = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), Buffer.from(wrapInfo(salt), 'utf8'), 32));
  try {
    return createSecretKey(raw);
  } finally {
    raw.fill(0);
  }
}

function checkValue(kek: KeyObject): Buffer {
  return createHmac('sha256', kek).update(CHECK_TEXT).digest().subarray(0, 16);
}

/** `derive(info)`: the store's deriveSubkey (the current master key's wrap key for this info, and its version). */
export function wrapWithMasterKey(dataKey: Buffer, derive: (info: string) => { version: number; key: KeyObject }, aad: Uint8Array): KeyWrap {
  const salt = randomBytes(32);
  const { version, key } = derive(wrapInfo(salt));
  const s = gcmSeal(key, dataKey, aad);
  return { kind: 'master-key', masterKeyVersion: version, salt: b64(salt), check: b64(checkValue(key)), nonce: b64(s.nonce), wrappedKey: b64(s.ciphertext) };
}

/**
 * The data key of a master-key backup. `candidates(info, version)` gives the
 * wrap keys of the master keys at hand (the one of `version` first, when
 * known); the one whose check value matches is used.
 */
export function unwrapWithMasterKey(w: Extract<KeyWrap, { kind: 'master-key' }>, candidates: (info: string, version: number) => KeyObject[], aad: Uint8Array): Buffer {
  const expected = unb64(w.check);
  const key = candidates(wrapInfo(unb64(w.salt)), w.masterKeyVersion).find((k) => {
    const got = checkValue(k);
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
  if (key === undefined) {
    throw new BackupKeyError('WRONG_MASTER_KEY', `the backup was made under master key version ${w.masterKeyVersion}, and no master key at hand matches it`);
  }
  try {
    return gcmOpen(key, unb64(w.nonce), unb64(w.wrappedKey), aad);
  } catch {
    throw new BackupKeyError('DAMAGED', 'the backup header is damaged (its data key does not authenticate)');
  }
}

/** Which of these master keys a master-key backup was wrapped under (index), or -1. */
export function matchingMasterKey(w: Extract<KeyWrap, { kind: 'master-key' }>, masters: readonly KeyObject[]): number {
  const expected = unb64(w.check);
  const salt = unb64(w.salt);
  return masters.findIndex((m) => {
    const got = checkValue(masterWrapKey(m, salt));
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
