// A small DER reader and writer: enough to build and take apart DSA
// SubjectPublicKeyInfo / PKCS#8 structures (JWK has no DSA form, and node:crypto
// only loads DSA keys from DER) and to read the raw Name and serial number
// fields of an X.509 certificate, which X509Certificate only gives as text.
// The reader is bounds-checked and throws DerError on anything malformed, so
// hostile input becomes a clear Invalid Field, never an out-of-range read.

export class DerError extends Error {}

export const DER = { INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06, SEQUENCE: 0x30, SET: 0x31 } as const;

export interface Tlv {
  tag: number;
  /** The whole element (tag, length and content). */
  raw: Uint8Array;
  /** The content octets. */
  content: Uint8Array;
}

/** Reads the one element starting at `off`; `end` is where it stops. */
export function readTlv(buf: Uint8Array, off = 0): Tlv & { end: number } {
  if (off + 2 > buf.length) throw new DerError('truncated DER element');
  const tag = buf[off]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not supported');
  let len = buf[off + 1]!;
  let head = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    // Four length octets already allow 4 GiB: anything longer is not a real key or certificate.
    if (n === 0 || n > 4) throw new DerError('unsupported DER length encoding');
    if (off + 2 + n > buf.length) throw new DerError('truncated DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[off + 2 + i]!;
    head += n;
  }
  const end = off + head + len;
  if (end > buf.length) throw new DerError('DER element runs past the end of its container');
  return { tag, raw: buf.subarray(off, end), content: buf.subarray(off + head, end), end };
}

/** The elements inside a constructed element's content. */
export function children(content: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  for (let off = 0; off < content.length; ) {
    const t = readTlv(content, off);
    out.push(t);
    off = t.end;
  }
  return out;
}

/** The element of `tag` at `i` in `list`, or DerError naming what was expected. */
export function expectAt(list: readonly Tlv[], i: number, tag: number, what: string): Tlv {
  const t = list[i];
  if (t === undefined || t.tag !== tag) throw new DerError(`${what} is missing`);
  return t;
}

/** Dotted text of an OBJECT IDENTIFIER's content. */
export function oidText(content: Uint8Array): string {
  if (content.length === 0) throw new DerError('empty OBJECT IDENTIFIER');
  const parts: number[] = [];
  let v = 0;
  for (const b of content) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const a = first < 80 ? Math.floor(first / 40) : 2;
  return [a, first - a * 40, ...parts].join('.');
}

function lengthOctets(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) out.unshift(x % 256);
  return [0x80 | out.length, ...out];
}

export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(content);
  return new Uint8Array(Buffer.concat([Buffer.from([tag, ...lengthOctets(body.length)]), body]));
}

/** A non-negative INTEGER from unsigned big-endian bytes. */
export function uint(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const v = bytes.length === 0 ? new Uint8Array([0]) : bytes.subarray(i);
  return tlv(DER.INTEGER, v[0]! & 0x80 ? new Uint8Array([0]) : new Uint8Array(0), v);
}

/** Unsigned big-endian bytes of a non-negative INTEGER's content (DerError when negative). */
export function uintValue(content: Uint8Array): Uint8Array {
  if (content.length === 0 || content[0]! & 0x80) throw new DerError('INTEGER is empty or negative');
  let i = 0;
  while (i < content.length - 1 && content[i] === 0) i++;
  return content.subarray(i);
}

export function oid(dotted: string): Uint8Array {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const bytes: number[] = [];
  for (const n of [a * 40 + b, ...rest]) {
    const enc = [n & 0x7f];
    for (let x = Math.floor(n / 128); x > 0; x = Math.floor(x / 128)) enc.unshift(0x80 | (x & 0x7f));
    bytes.push(...enc);
  }
  return tlv(DER.OID, new Uint8Array(bytes));
}

export const seq = (...c: Uint8Array[]): Uint8Array => tlv(DER.SEQUENCE, ...c);
