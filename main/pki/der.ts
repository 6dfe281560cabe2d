import forge from 'node-forge';

/**
 * DER helpers shared by the certificate, CSR and PKCS#12 code. Structures are
 * built with forge's ASN.1 layer (forge.asn1); this file adds the conversions
 * to and from Buffers, PEM, and a raw TLV slicer. The slicer exists because a
 * signature covers the exact bytes that were signed: re-encoding a parsed
 * structure could change them (e.g. a non-minimal length from another tool),
 * so signed parts (TBSCertificate, CertificationRequestInfo, a CA's subject
 * name reused as issuer) are always taken byte for byte from the input.
 */

export type Asn1 = forge.asn1.Asn1;
const { Class, Type } = forge.asn1;

const bin = (b: Buffer): string => b.toString('binary');

export const asn = {
  seq: (items: Asn1[]): Asn1 => forge.asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, items),
  set: (items: Asn1[]): Asn1 => forge.asn1.create(Class.UNIVERSAL, Type.SET, true, items),
  oid: (oid: string): Asn1 => forge.asn1.create(Class.UNIVERSAL, Type.OID, false, forge.asn1.oidToDer(oid).getBytes()),
  /** A non-negative INTEGER from big-endian magnitude bytes (a 0x00 is prepended when the top bit is set). */
  uint: (b: Buffer): Asn1 => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0 && ((b[i + 1] ?? 0) & 0x80) === 0) i++;
    const m = b.subarray(i);
    const v = ((m[0] ?? 0) & 0x80) !== 0 ? Buffer.concat([Buffer.of(0), m]) : (m.length ? m : Buffer.of(0));
    return forge.asn1.create(Class.UNIVERSAL, Type.INTEGER, false, bin(v));
  },
  int: (n: number): Asn1 => forge.asn1.create(Class.UNIVERSAL, Type.INTEGER, false, forge.asn1.integerToDer(n).getBytes()),
  octets: (b: Buffer): Asn1 => forge.asn1.create(Class.UNIVERSAL, Type.OCTETSTRING, false, bin(b)),
  /** BIT STRING holding whole bytes (0 unused bits), as signatures and keys are. */
  bits: (b: Buffer): Asn1 => forge.asn1.create(Class.UNIVERSAL, Type.BITSTRING, false, '\x00' + bin(b)),
  nul: (): Asn1 => forge.asn1.create(Class.UNIVERSAL, Type.NULL, false, ''),
  utf8: (s: string): Asn1 => forge.asn1.create(Class.UNIVERSAL, Type.UTF8, false, forge.util.encodeUtf8(s)),
  /** BMPString: forge's encoder writes each UTF-16 code unit as two bytes itself (and its decoder reverses it). */
  bmp: (s: string): Asn1 => forge.asn1.create(Class.UNIVERSAL, Type.BMPSTRING, false, s),
  /** [n] EXPLICIT / constructed context-specific wrapper. */
  explicit: (n: number, items: Asn1[]): Asn1 => forge.asn1.create(Class.CONTEXT_SPECIFIC, n as forge.asn1.Type, true, items),
  /** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
  time: (d: Date): Asn1 => (d.getUTCFullYear() < 2050
    ? forge.asn1.create(Class.UNIVERSAL, Type.UTCTIME, false, forge.asn1.dateToUtcTime(d))
    : forge.asn1.create(Class.UNIVERSAL, Type.GENERALIZEDTIME, false, forge.asn1.dateToGeneralizedTime(d))),
  /** Embeds DER produced elsewhere (a name, a public key) as a forge node, without decoding BIT STRINGs. */
  raw: (der: Buffer): Asn1 => fromDer(der),
};

export function toDer(node: Asn1): Buffer {
  return Buffer.from(forge.asn1.toDer(node).getBytes(), 'binary');
}

/**
 * decodeBitStrings off: forge otherwise tries to parse BIT STRING contents
 * (keys, signatures) as ASN.1 and may re-encode them differently.
 */
export function fromDer(der: Buffer): Asn1 {
  const opts = { strict: true, decodeBitStrings: false, parseAllBytes: true };
  return (forge.asn1.fromDer as unknown as (b: string, o: object) => Asn1)(bin(der), opts);
}

export function bytesOf(node: Asn1 | undefined): Buffer {
  if (!node) return Buffer.alloc(0);
  if (Array.isArray(node.value)) return Buffer.concat(node.value.map((c) => bytesOf(c))); // BER constructed strings
  return Buffer.from(node.value, 'binary');
}

export function oidOf(node: Asn1 | undefined): string {
  if (!node || node.type !== Type.OID || Array.isArray(node.value)) throw new Error('expected an OBJECT IDENTIFIER');
  return forge.asn1.derToOid(node.value);
}

export function childrenOf(node: Asn1 | undefined): Asn1[] {
  return node && Array.isArray(node.value) ? node.value : [];
}

export interface Tlv { tag: number; start: number; contentStart: number; end: number }

/** One DER TLV at `off` (definite lengths only: DER has no others). */
export function readTlv(buf: Buffer, off = 0): Tlv {
  const tag = buf[off];
  let len = buf[off + 1];
  if (tag === undefined || len === undefined || (tag & 0x1f) === 0x1f) throw new Error('truncated or unsupported DER');
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[p++] ?? NaN);
  }
  const end = p + len;
  if (!Number.isFinite(end) || end > buf.length) throw new Error('truncated DER');
  return { tag, start: off, contentStart: p, end };
}

/** The exact encodings of the children of the constructed element `der` (a SEQUENCE, say). */
export function rawChildren(der: Buffer): Buffer[] {
  const outer = readTlv(der, 0);
  const out: Buffer[] = [];
  for (let p = outer.contentStart; p < outer.end;) {
    const t = readTlv(der, p);
    out.push(der.subarray(t.start, t.end));
    p = t.end;
  }
  return out;
}

/** The DER in the first PEM block with one of `labels`; `what` names the expected thing in the error. */
export function pemToDer(pem: string, labels: string[], what: string): Buffer {
  if (typeof pem !== 'string') throw new Error(`${what} must be given as PEM text`);
  for (const label of labels) {
    const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem);
    if (m?.[1]) return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
  }
  throw new Error(`Not ${what}: expected a PEM block "-----BEGIN ${labels[0]}-----"`);
}

export function derToPem(der: Buffer, label: string): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** Every PEM certificate in a text (a chain file may hold several). */
export function splitPemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----/g)?.map((s) => `${s}\n`) ?? [];
}
