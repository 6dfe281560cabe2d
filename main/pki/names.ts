import net from 'node:net';
import forge from 'node-forge';
import { bytesOf, childrenOf, fromDer, oidOf } from './der.js';

/**
 * Names in certificates: IP address bytes, host-name matching, and Name
 * (distinguished name) text. Matching follows RFC 6125 as TLS clients apply
 * it: DNS names compare case-insensitively without a trailing dot, a wildcard
 * is a whole left-most label standing for exactly one label, and IP
 * addresses match only IP SAN entries, byte for byte.
 */

/** The 4 or 16 bytes of an IP address text, or null. Handles "::" and dotted tails (::ffff:192.0.2.1). */
export function ipBytes(text: string): Buffer | null {
  const s = text.replace(/^\[|\]$/g, '').split('%')[0] ?? '';
  const kind = net.isIP(s);
  if (kind === 4) return Buffer.from(s.split('.').map(Number));
  if (kind !== 6) return null;
  // WHATWG URL parsing rewrites any valid IPv6 text to hex groups with at most one "::".
  const host = new URL(`http://[${s}]/`).hostname.slice(1, -1);
  const [head = '', tail] = host.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

/** 16 bytes for any IP; IPv4 as IPv4-mapped IPv6 so that 192.0.2.1 and ::ffff:192.0.2.1 compare equal. */
export function ipKey(ip: string | Buffer): string | null {
  const b = Buffer.isBuffer(ip) ? ip : ipBytes(ip);
  if (!b || (b.length !== 4 && b.length !== 16)) return null;
  const full = b.length === 4 ? Buffer.concat([Buffer.alloc(10), Buffer.from([0xff, 0xff]), b]) : b;
  return full.toString('hex');
}

/** Display form: dotted IPv4 (also for IPv4-mapped), compressed lowercase IPv6. */
export function ipToString(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) {
    return [...b.subarray(12)].join('.');
  }
  if (b.length !== 16) return b.toString('hex');
  const groups = [...Array(8).keys()].map((i) => b.readUInt16BE(i * 2).toString(16)).join(':');
  return new URL(`http://[${groups}]/`).hostname.replace(/^\[|\]$/g, ''); // WHATWG URL compresses IPv6 canonically
}

export function isIpAddress(name: string): boolean {
  return ipKey(name) !== null;
}

function normDns(n: string): string {
  return n.toLowerCase().replace(/\.$/, '');
}

/** Does the SAN DNS entry `pattern` cover `host`? */
export function dnsMatches(pattern: string, host: string): boolean {
  const p = normDns(pattern);
  const h = normDns(host);
  if (!p.startsWith('*.')) return p === h;
  const base = p.slice(2);
  // "*.com" style wildcards (fewer than two labels after the star) match nothing, as in browsers and OpenSSL.
  if (!base.includes('.') || base.includes('*')) return false;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === base;
}

/** Does a SAN (DNS names and IP bytes) cover `name` (a host name or an IP address)? */
export function sanCovers(san: { dns: string[]; ips: Buffer[] }, name: string): boolean {
  const ip = ipKey(name);
  if (ip !== null) return san.ips.some((b) => ipKey(b) === ip);
  return san.dns.some((p) => dnsMatches(p, name));
}

const SHORT: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber', '2.5.4.4': 'SN', '2.5.4.42': 'GN', '2.5.4.12': 'title',
  '0.9.2342.19200300.100.1.25': 'DC', '0.9.2342.19200300.100.1.1': 'UID', '1.2.840.113549.1.9.1': 'emailAddress',
};

function stringValue(node: forge.asn1.Asn1): string {
  if (node.type === forge.asn1.Type.BMPSTRING && typeof node.value === 'string') return node.value; // forge decoded it already
  const b = bytesOf(node);
  return node.type === forge.asn1.Type.UTF8 ? b.toString('utf8') : b.toString('latin1');
}

/** The attributes of a DER Name in encoding order, e.g. [['O', 'Example'], ['CN', 'host']]. */
export function nameAttributes(der: Buffer): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const rdn of childrenOf(fromDer(der))) {
    for (const atv of childrenOf(rdn)) {
      const [type, value] = childrenOf(atv);
      const oid = oidOf(type);
      out.push([SHORT[oid] ?? oid, value ? stringValue(value) : '']);
    }
  }
  return out;
}

/** "O=Example, CN=host" in encoding order; RFC 4514 special characters are backslash-escaped. */
export function nameText(der: Buffer): string {
  return nameAttributes(der).map(([k, v]) => `${k}=${v.replace(/([,+"\\<>;=])/g, '\\$1')}`).join(', ');
}
