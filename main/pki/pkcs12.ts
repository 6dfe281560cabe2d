import {
  X509Certificate, createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, pbkdf2Sync, randomBytes,
  timingSafeEqual, type KeyObject,
} from 'node:crypto';
import forge from 'node-forge';
import { asn, bytesOf, childrenOf, derToPem, fromDer, oidOf, pemToDer, toDer, type Asn1 } from './der.js';
import { readPrivateKey } from './keys.js';

/**
 * PKCS#12 (RFC 7292) files for moving a key and its certificates to or from
 * Windows, Java, appliances and OpenSSL.
 *
 * Algorithms written: the key is a pkcs8ShroudedKeyBag encrypted with PBES2
 * (PBKDF2 with HMAC-SHA-256, AES-256-CBC) and the file carries an HMAC-SHA-256
 * MAC: the same choice as OpenSSL 3's defaults, readable by `openssl pkcs12`
 * 3.x without -legacy, Windows 10 1709+/Server 2019+, Java 8u301+. The old
 * RC2/3DES-with-SHA-1 schemes would need OpenSSL's legacy provider (RC2) or
 * weaken the passphrase protection, so they are not written. Certificates are
 * public and go in a plain (unencrypted) SafeContents. Iterations: 100,000 for
 * both PBKDF2 and the MAC key (OpenSSL uses 2,048); they must be equal, since
 * a passphrase guesser attacks whichever is cheaper.
 *
 * forge builds the ASN.1 but its high-level PKCS#12 code only handles RSA
 * keys (it converts keys to forge RSA objects), so the bags are assembled and
 * read here; PBKDF2, AES and HMAC come from Node's crypto. Reading also
 * accepts the legacy PBEs (3DES, RC2-40 via forge) that older tools write.
 */

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSHA256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  sha256: '2.16.840.1.101.3.4.2.1',
};

const PRF: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1', '1.2.840.113549.2.8': 'sha224', '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384', '1.2.840.113549.2.11': 'sha512',
};
const CIPHERS: Record<string, { name: string; keyLen: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLen: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLen: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLen: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLen: 24 },
};
const MAC_DIGESTS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1', '2.16.840.1.101.3.4.2.4': 'sha224', '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512',
};
const LEGACY_PBE = new Set(['1.2.840.113549.1.12.1.3', '1.2.840.113549.1.12.1.6']); // 3DES, RC2-40 (forge)

const ITERATIONS = 100_000;
/** Reading: more than this is a broken or hostile file, not a stronger one (it would hang the process). */
const MAX_ITERATIONS = 10_000_000;

export const WRONG_PASSPHRASE = 'the PKCS#12 passphrase is wrong, or the file is damaged';

class WrongPassphrase extends Error {
  constructor() { super(WRONG_PASSPHRASE); }
}

/** BMPString bytes with the two-byte terminator, as RFC 7292 B.1 feeds passwords to its KDF; null = no password. */
function bmpPassword(p: string | null): Buffer {
  if (p === null) return Buffer.alloc(0);
  const b = Buffer.alloc(p.length * 2 + 2);
  for (let i = 0; i < p.length; i++) b.writeUInt16BE(p.charCodeAt(i), i * 2);
  return b;
}

/** RFC 7292 appendix B.2 key derivation (id 3 = MAC key), with Node's hashes. */
function pkcs12Kdf(password: string | null, salt: Buffer, id: number, iterations: number, n: number, hash: string): Buffer {
  const u = createHash(hash).digest().length;
  const v = hash === 'sha384' || hash === 'sha512' ? 128 : 64;
  const fill = (src: Buffer) => {
    const out = Buffer.alloc(src.length ? v * Math.ceil(src.length / v) : 0);
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length] ?? 0;
    return out;
  };
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([fill(salt), fill(bmpPassword(password))]);
  const out: Buffer[] = [];
  for (let done = 0; done < n; done += u) {
    let A = createHash(hash).update(D).update(I).digest();
    for (let k = 1; k < iterations; k++) A = createHash(hash).update(A).digest();
    out.push(A);
    // I_j = (I_j + B + 1) mod 2^(8v) for every v-byte block, B = A repeated to v bytes.
    const B = fill(A).subarray(0, v);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const x = (I[j + k] ?? 0) + (B[k] ?? 0) + carry;
        I[j + k] = x & 0xff;
        carry = x >> 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, n);
}

function bag(oid: string, value: Asn1, attributes: Asn1[]): Asn1 {
  return asn.seq([asn.oid(oid), asn.explicit(0, [value]), ...(attributes.length ? [asn.set(attributes)] : [])]);
}

function attribute(oid: string, value: Asn1): Asn1 {
  return asn.seq([asn.oid(oid), asn.set([value])]);
}

function dataContentInfo(content: Buffer): Asn1 {
  return asn.seq([asn.oid(OID.data), asn.explicit(0, [asn.octets(content)])]);
}

/** EncryptedPrivateKeyInfo with PBES2: PBKDF2-HMAC-SHA-256 and AES-256-CBC; the passphrase is used as UTF-8 (RFC 8018). */
function encryptPkcs8(pkcs8: Buffer, passphrase: string): Asn1 {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, ITERATIONS, 32, 'sha256');
  const c = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([c.update(pkcs8), c.final()]);
  return asn.seq([
    asn.seq([asn.oid(OID.pbes2), asn.seq([
      asn.seq([asn.oid(OID.pbkdf2), asn.seq([asn.octets(salt), asn.int(ITERATIONS), asn.seq([asn.oid(OID.hmacWithSHA256), asn.nul()])])]),
      asn.seq([asn.oid(OID.aes256Cbc), asn.octets(iv)]),
    ])]),
    asn.octets(encrypted),
  ]);
}

export interface ExportPkcs12Options {
  keyPem: string;
  certPem: string;
  /** Intermediate and root CA certificates, leaf's issuer first. */
  chainPems?: string[];
  passphrase: string;
  /** Shown by Windows and keytool; defaults to the certificate's CN. */
  friendlyName?: string;
}

export function exportPkcs12(opts: ExportPkcs12Options): Buffer {
  if (typeof opts.passphrase !== 'string' || opts.passphrase.length === 0) {
    throw new Error('A PKCS#12 file needs a passphrase: without one its private key would be readable by anyone holding the file');
  }
  const key = readPrivateKey(opts.keyPem);
  const certDer = pemToDer(opts.certPem, ['CERTIFICATE'], 'a PEM certificate');
  const cert = new X509Certificate(certDer);
  if (!cert.checkPrivateKey(key)) throw new Error('The private key does not match the certificate (different key pair)');
  const chain = (opts.chainPems ?? []).map((p) => pemToDer(p, ['CERTIFICATE'], 'a PEM chain certificate'));
  const friendly = opts.friendlyName ?? /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? 'keyhold';
  // localKeyId ties the key to its certificate; the SHA-1 of the certificate, as OpenSSL does.
  const attrs = [
    attribute(OID.friendlyName, asn.bmp(friendly)),
    attribute(OID.localKeyId, asn.octets(createHash('sha1').update(certDer).digest())),
  ];
  const certBag = (der: Buffer, a: Asn1[]) => bag(OID.certBag, asn.seq([asn.oid(OID.x509Certificate), asn.explicit(0, [asn.octets(der)])]), a);
  const certs = asn.seq([certBag(certDer, attrs), ...chain.map((d) => certBag(d, []))]);
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  const keys = asn.seq([bag(OID.shroudedKeyBag, encryptPkcs8(pkcs8, opts.passphrase), attrs)]);
  const authSafe = toDer(asn.seq([dataContentInfo(toDer(certs)), dataContentInfo(toDer(keys))]));

  const macSalt = randomBytes(16);
  const macKey = pkcs12Kdf(opts.passphrase, macSalt, 3, ITERATIONS, 32, 'sha256');
  const mac = createHmac('sha256', macKey).update(authSafe).digest();
  return toDer(asn.seq([
    asn.int(3),
    dataContentInfo(authSafe),
    asn.seq([asn.seq([asn.seq([asn.oid(OID.sha256), asn.nul()]), asn.octets(mac)]), asn.octets(macSalt), asn.int(ITERATIONS)]),
  ]));
}

function intOf(node: Asn1 | undefined): number {
  const b = bytesOf(node);
  if (b.length > 6) return Number.MAX_SAFE_INTEGER;
  return b.length ? b.readUIntBE(0, b.length) : 0;
}

function checkIterations(n: number): number {
  if (n < 1 || n > MAX_ITERATIONS) throw new Error(`The PKCS#12 file asks for ${n} key-derivation iterations, outside 1-${MAX_ITERATIONS}; it is damaged or not made by a normal tool`);
  return n;
}

/** Decrypts data protected by an AlgorithmIdentifier (PBES2 or a PKCS#12 legacy PBE) with the passphrase. */
function decrypt(alg: Asn1 | undefined, data: Buffer, passphrase: string): Buffer {
  const [oidNode, params] = childrenOf(alg);
  const oid = oidOf(oidNode);
  if (oid === OID.pbes2) {
    const [kdf, scheme] = childrenOf(params);
    const [kdfOid, kdfParams] = childrenOf(kdf);
    if (oidOf(kdfOid) !== OID.pbkdf2) throw new Error('The PKCS#12 file uses a key derivation other than PBKDF2, which Keyhold cannot read; re-export it with AES-256 (the OpenSSL 3 default)');
    const p = childrenOf(kdfParams);
    const salt = bytesOf(p[0]);
    const iterations = checkIterations(intOf(p[1]));
    const prfNode = p.slice(2).find((n) => n.type === forge.asn1.Type.SEQUENCE);
    const prf = prfNode ? PRF[oidOf(childrenOf(prfNode)[0])] : 'sha1';
    const [encOid, ivNode] = childrenOf(scheme);
    const cipher = CIPHERS[oidOf(encOid)];
    if (!prf || !cipher) throw new Error('The PKCS#12 file uses a cipher Keyhold cannot read; re-export it with AES-256 (the OpenSSL 3 default)');
    const key = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, iterations, cipher.keyLen, prf);
    try {
      const d = createDecipheriv(cipher.name, key, bytesOf(ivNode));
      return Buffer.concat([d.update(data), d.final()]);
    } catch {
      throw new WrongPassphrase(); // bad padding: a wrong key
    }
  }
  if (LEGACY_PBE.has(oid)) {
    checkIterations(intOf(childrenOf(params)[1]));
    // forge implements these (RC2 is absent from OpenSSL 3's default provider); it takes the passphrase as UCS-2.
    const pbe = (forge.pki as unknown as { pbe: { getCipher(o: string, p: unknown, pw: string): forge.cipher.BlockCipher } }).pbe;
    const c = pbe.getCipher(oid, params, passphrase);
    c.update(forge.util.createBuffer(data.toString('binary')));
    if (!c.finish()) throw new WrongPassphrase();
    return Buffer.from(c.output.getBytes(), 'binary');
  }
  throw new Error(`The PKCS#12 file is encrypted with an algorithm Keyhold cannot read (${oid}); re-export it with AES-256 (the OpenSSL 3 default)`);
}

/** Verifies the MAC; an empty passphrase is also tried as "no password", which some tools write. */
function checkMac(macData: Asn1, authSafe: Buffer, passphrase: string): void {
  const [digestInfo, saltNode, iterNode] = childrenOf(macData);
  const [algId, digestNode] = childrenOf(digestInfo);
  const hash = MAC_DIGESTS[oidOf(childrenOf(algId)[0])];
  if (!hash) throw new Error('The PKCS#12 file uses a MAC algorithm Keyhold cannot check; re-export it with SHA-256 (the OpenSSL 3 default)');
  const iterations = checkIterations(iterNode ? intOf(iterNode) : 1);
  const expected = bytesOf(digestNode);
  const size = createHash(hash).digest().length;
  for (const pw of passphrase === '' ? ['', null] : [passphrase]) {
    const mac = createHmac(hash, pkcs12Kdf(pw, bytesOf(saltNode), 3, iterations, size, hash)).update(authSafe).digest();
    if (mac.length === expected.length && timingSafeEqual(mac, expected)) return;
  }
  throw new WrongPassphrase();
}

interface Found { keys: Buffer[]; certs: Buffer[]; friendlyName: string | null }

function readBags(safeContents: Buffer, passphrase: string, found: Found): void {
  for (const safeBag of childrenOf(fromDer(safeContents))) {
    const [idNode, wrapped, attrs] = childrenOf(safeBag);
    const id = oidOf(idNode);
    const value = childrenOf(wrapped)[0];
    if (id === OID.keyBag && value) found.keys.push(toDer(value));
    else if (id === OID.shroudedKeyBag) {
      const [alg, enc] = childrenOf(value);
      found.keys.push(decrypt(alg, bytesOf(enc), passphrase));
    } else if (id === OID.certBag) {
      const [certId, certValue] = childrenOf(value);
      if (oidOf(certId) === OID.x509Certificate) found.certs.push(bytesOf(childrenOf(certValue)[0]));
    } else if (id === OID.safeContentsBag && value) readBags(toDer(value), passphrase, found);
    else continue; // CRLs and secrets: not ours to import
    for (const a of childrenOf(attrs)) {
      const [aOid, aValues] = childrenOf(a);
      const v = childrenOf(aValues)[0];
      // forge has decoded the BMPString into a JS string already.
      if (found.friendlyName === null && oidOf(aOid) === OID.friendlyName && typeof v?.value === 'string') found.friendlyName = v.value;
    }
  }
}

export interface ImportedPkcs12 {
  /** PKCS#8 PEM. */
  keyPem: string;
  /** The certificate whose public key matches the private key. */
  certPem: string;
  /** The other certificates, the leaf's issuer first where it can be told. */
  chainPems: string[];
  friendlyName: string | null;
}

export function importPkcs12(data: Buffer, passphrase: string): ImportedPkcs12 {
  let pfx: Asn1;
  try {
    pfx = fromDer(data);
  } catch {
    throw new Error('Not a readable PKCS#12 file (expected the binary .p12/.pfx content)');
  }
  const state = { macChecked: false };
  try {
    return importParsed(pfx, passphrase, state);
  } catch (e) {
    if (e instanceof WrongPassphrase) throw new Error(WRONG_PASSPHRASE);
    if ((e as Error).message.startsWith('The PKCS#12') || (e as Error).message.startsWith('Not a readable')) throw e;
    // Without a MAC, a wrong passphrase can decrypt to garbage with valid padding (1 in 256) and fail later.
    if (!state.macChecked) throw new Error(WRONG_PASSPHRASE);
    throw new Error('Not a readable PKCS#12 file: its structure is damaged or unsupported');
  }
}

function importParsed(pfx: Asn1, passphrase: string, state: { macChecked: boolean }): ImportedPkcs12 {
  const [version, authSafeInfo, macData] = childrenOf(pfx);
  if (intOf(version) !== 3) throw new Error('Not a readable PKCS#12 file (version is not 3)');
  const [ctype, content] = childrenOf(authSafeInfo);
  if (oidOf(ctype) !== OID.data) {
    throw new Error('The PKCS#12 file is protected with public-key integrity mode, which Keyhold does not support; export it with a passphrase');
  }
  const authSafe = bytesOf(childrenOf(content)[0]);
  if (macData) {
    checkMac(macData, authSafe, passphrase);
    state.macChecked = true;
  }

  const found: Found = { keys: [], certs: [], friendlyName: null };
  for (const ci of childrenOf(fromDer(authSafe))) {
    const [t, c] = childrenOf(ci);
    const type = oidOf(t);
    if (type === OID.data) readBags(bytesOf(childrenOf(c)[0]), passphrase, found);
    else if (type === OID.encryptedData) {
      const [, eci] = childrenOf(childrenOf(c)[0]);
      const [, alg, encrypted] = childrenOf(eci);
      readBags(decrypt(alg, bytesOf(encrypted), passphrase), passphrase, found);
    } else throw new Error('The PKCS#12 file holds enveloped (public-key encrypted) content, which Keyhold does not support');
  }

  if (found.keys.length !== 1) {
    throw new Error(`The PKCS#12 file holds ${found.keys.length} private keys; Keyhold imports a file with exactly one`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: found.keys[0] as Buffer, format: 'der', type: 'pkcs8' });
  } catch {
    throw new WrongPassphrase(); // garbage after a decryption that happened to end in valid padding
  }
  const certs = found.certs.map((d) => new X509Certificate(d));
  const leaf = certs.find((c) => c.checkPrivateKey(key));
  if (!leaf) throw new Error('The PKCS#12 file holds no certificate that matches its private key');
  const others = certs.filter((c) => c !== leaf);
  // Order the chain upward from the leaf; certificates that do not link are appended as found.
  const chain: X509Certificate[] = [];
  for (let cur = leaf; ;) {
    const next = others.find((c) => !chain.includes(c) && cur.checkIssued(c) && c !== cur);
    if (!next || next === cur) break;
    chain.push(next);
    if (next.checkIssued(next)) break;
    cur = next;
  }
  chain.push(...others.filter((c) => !chain.includes(c)));
  return {
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }) as string,
    certPem: derToPem(leaf.raw, 'CERTIFICATE'),
    chainPems: chain.map((c) => derToPem(c.raw, 'CERTIFICATE')),
    friendlyName: found.friendlyName,
  };
}
