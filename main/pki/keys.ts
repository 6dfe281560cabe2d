import { generateKeyPair, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * Key types Keyhold generates. RSA stays the default (old KMIP clients accept
 * nothing else); EC is offered for clients and CAs that want it. P-521 is
 * accepted in requests and imports but not generated: few TLS stacks of KMIP
 * clients handle it and it adds nothing over P-384 for this use.
 */
export type KeySpec = { type: 'rsa'; bits: 2048 | 3072 | 4096 } | { type: 'ec'; curve: 'P-256' | 'P-384' };

export type SignatureHash = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** What a key is, for messages and checks (never the key itself). */
export interface KeyDescription {
  /** Node's asymmetricKeyType: 'rsa', 'ec', 'ed25519', 'rsa-pss', 'dsa', … */
  type: string;
  /** RSA modulus size, or the EC curve's size (256, 384, 521). */
  bits: number | null;
  /** 'P-256' | 'P-384' | 'P-521', or OpenSSL's name for other curves; null for non-EC keys. */
  curve: string | null;
}

const genKeyPair = promisify(generateKeyPair);

const CURVE_NAMES: Record<string, { nist: string; bits: number }> = {
  prime256v1: { nist: 'P-256', bits: 256 },
  secp384r1: { nist: 'P-384', bits: 384 },
  secp521r1: { nist: 'P-521', bits: 521 },
};

export function checkKeySpec(spec: KeySpec): KeySpec {
  const s = spec as { type?: unknown; bits?: unknown; curve?: unknown };
  if (s?.type === 'rsa' && (s.bits === 2048 || s.bits === 3072 || s.bits === 4096)) return spec;
  if (s?.type === 'ec' && (s.curve === 'P-256' || s.curve === 'P-384')) return spec;
  throw new Error(`Unsupported key type ${JSON.stringify(spec)}: use RSA 2048, 3072 or 4096 bits, or EC P-256 or P-384`);
}

/** A new key pair from Node's crypto (async: RSA generation takes a while and must not block the loop). */
export async function generateKey(spec: KeySpec): Promise<{ privateKeyPem: string; publicKeyPem: string }> {
  checkKeySpec(spec);
  const pair = spec.type === 'rsa'
    ? await genKeyPair('rsa', {
      modulusLength: spec.bits,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    })
    : await genKeyPair('ec', {
      namedCurve: spec.curve,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
  return { publicKeyPem: pair.publicKey, privateKeyPem: pair.privateKey };
}

export function describeKey(key: KeyObject): KeyDescription {
  const type = key.asymmetricKeyType ?? 'unknown';
  const d = key.asymmetricKeyDetails ?? {};
  if (type === 'ec') {
    const c = d.namedCurve ? CURVE_NAMES[d.namedCurve] : undefined;
    return { type, bits: c?.bits ?? null, curve: c?.nist ?? d.namedCurve ?? null };
  }
  return { type, bits: d.modulusLength ?? null, curve: null };
}

export function describeKeyText(k: KeyDescription): string {
  if (k.type === 'rsa') return `RSA-${k.bits ?? '?'}`;
  if (k.type === 'ec') return `EC ${k.curve ?? 'unknown curve'}`;
  return k.type;
}

/**
 * Why a key is too weak or of a kind Keyhold does not use, or null if it is
 * fine. RSA below 2048 bits is refused by OpenSSL's default security level and
 * by NIST since 2014; the three NIST curves are what TLS clients support.
 */
export function keyStrengthProblem(k: KeyDescription): string | null {
  if (k.type === 'rsa') return (k.bits ?? 0) >= 2048 ? null : `a ${k.bits ?? '?'}-bit RSA key, below the 2048-bit minimum`;
  if (k.type === 'ec') {
    return ['P-256', 'P-384', 'P-521'].includes(k.curve ?? '') ? null
      : `an EC key on the curve ${k.curve ?? 'unknown'}, and only P-256, P-384 and P-521 are accepted`;
  }
  return `a ${k.type} key, and only RSA and EC (P-256, P-384, P-521) keys are accepted`;
}

/** The hash that matches the key's strength: SHA-256 for RSA and P-256, SHA-384 for P-384, SHA-512 for P-521. */
export function hashFor(key: KeyObject): SignatureHash {
  const k = describeKey(key);
  if (k.type === 'rsa') return 'sha256';
  if (k.type === 'ec' && k.curve === 'P-256') return 'sha256';
  if (k.type === 'ec' && k.curve === 'P-384') return 'sha384';
  if (k.type === 'ec' && k.curve === 'P-521') return 'sha512';
  throw new Error(`Cannot sign with ${describeKeyText(k)}: Keyhold signs with RSA or EC (P-256, P-384, P-521) keys only`);
}

/** Reads a private key PEM (PKCS#8, PKCS#1 or SEC1), with an error that never quotes the key. */
export function readPrivateKey(pem: string, what = 'The private key'): KeyObject {
  if (typeof pem !== 'string') throw new Error(`${what} must be given as PEM text`);
  if (/ENCRYPTED/.test(pem)) throw new Error(`${what} is encrypted; decrypt it first (openssl pkey -in key.pem -out plain.pem)`);
  try {
    return createPrivateKey(pem);
  } catch {
    throw new Error(`${what} is not a readable PEM private key`);
  }
}

export function publicKeyDer(key: KeyObject): Buffer {
  return (key.type === 'public' ? key : createPublicKey(key)).export({ type: 'spki', format: 'der' });
}

export function privateKeyPkcs8Pem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
}
