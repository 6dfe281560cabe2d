// IP allow-lists: single addresses and CIDR ranges, IPv4 and IPv6. A client
// connection must come from an address its own list allows (when it has one)
// and that the server-wide list allows (when there is one); an empty or
// absent list restricts nothing. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d,
// what a dual-stack socket reports for an IPv4 peer) count as IPv4.
import net from 'node:net';

/** Ranges wider than these are allowed but warned about (the issue: /16 for IPv4, /48 for IPv6). */
const WIDE = { ipv4: 16, ipv6: 48 } as const;

export interface AllowList {
  /** The entries as given (normalised), for display and storage. */
  readonly entries: readonly string[];
  allows(address: string): boolean;
}

export interface ParsedAllowList extends AllowList {
  /** Entries wider than /16 (IPv4) or /48 (IPv6): accepted, but the operator should be told. */
  readonly wide: readonly string[];
}

/** The IPv4 address inside an IPv4-mapped IPv6 address, else the address itself. */
export function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

/** Parses addresses and CIDR ranges; throws one line naming the first bad entry. */
export function parseAllowList(items: readonly string[]): ParsedAllowList {
  const list = new net.BlockList();
  const entries: string[] = [];
  const wide: string[] = [];
  for (const raw of items) {
    const text = raw.trim();
    if (text === '') continue;
    const [addrText, prefixText, extra] = text.split('/');
    const addr = unmapped(addrText!);
    const family = net.isIPv4(addr) ? 'ipv4' : net.isIPv6(addr) ? 'ipv6' : undefined;
    if (family === undefined || extra !== undefined) throw new Error(`"${raw}" is not an IP address or CIDR range (e.g. 10.0.0.5, 10.0.0.0/24, 2001:db8::/48)`);
    const max = family === 'ipv4' ? 32 : 128;
    let prefix = max;
    if (prefixText !== undefined) {
      if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) throw new Error(`"${raw}": the prefix length must be 0 to ${max}`);
      prefix = Number(prefixText);
    }
    if (prefix === max) list.addAddress(addr, family);
    else list.addSubnet(addr, prefix, family);
    const entry = prefix === max ? addr : `${addr}/${prefix}`;
    entries.push(entry);
    if (prefix < WIDE[family]) wide.push(entry);
  }
  return {
    entries,
    wide,
    allows: (address: string) => {
      if (entries.length === 0) return true;
      const a = unmapped(address);
      const family = net.isIPv4(a) ? 'ipv4' : 'ipv6';
      try {
        return list.check(a, family);
      } catch {
        // Not an address BlockList understands (a zone id, say): not on the list.
        return false;
      }
    },
  };
}
