// Which TLS cipher suites the KMIP listener offers.
//
// modern (default): forward secrecy and AEAD only. TLS 1.3's three suites are
// all AEAD with ephemeral key exchange; for TLS 1.2, ECDHE with AES-GCM or
// ChaCha20-Poly1305, ECDSA or RSA server keys.
//
// compatible: also the suites of the KMIP 1.x TLS profiles (KMIP Profiles
// 1.0–1.4 "Basic Authentication Suite": TLS_RSA_WITH_AES_256_CBC_SHA256,
// TLS_RSA_WITH_AES_128_CBC_SHA256 and the SHA-1 CBC ones), which some older
// clients (tape libraries, older storage arrays) offer and nothing else. RSA
// key exchange has no forward secrecy and CBC-with-HMAC is the construction
// that keeps breaking, so this is an explicit choice, never a fallback.
export type TlsProfile = 'modern' | 'compatible';

const TLS13 = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'];

const MODERN12 = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
];

/** The KMIP 1.x profile suites (OpenSSL names), after every modern one. */
export const KMIP_PROFILE_SUITES = [
  'ECDHE-RSA-AES256-SHA384',
  'ECDHE-RSA-AES128-SHA256',
  'AES256-GCM-SHA384',
  'AES128-GCM-SHA256',
  'AES256-SHA256', // TLS_RSA_WITH_AES_256_CBC_SHA256
  'AES128-SHA256', // TLS_RSA_WITH_AES_128_CBC_SHA256
  'AES256-SHA', // TLS_RSA_WITH_AES_256_CBC_SHA
  'AES128-SHA', // TLS_RSA_WITH_AES_128_CBC_SHA
];

/** The OpenSSL cipher string for a profile (TLS 1.3 and 1.2 suites, in preference order). */
export function cipherList(profile: TlsProfile): string {
  if (profile !== 'modern' && profile !== 'compatible') throw new Error(`TLS profile must be modern or compatible, not ${String(profile)}`);
  return [...TLS13, ...MODERN12, ...(profile === 'compatible' ? KMIP_PROFILE_SUITES : [])].join(':');
}
