// IP allow-lists: single addresses and CIDR ranges, IPv4 and IPv6. A client
// connection must come from an address its own list allows (when it has one)
// and that the server-wide list allows (when there is one); an empty or
// absent list restricts nothing. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d,
// what a dual-stack socket reports for an IPv4 peer) count as IPv4.
import net from 'node:net';
import { checkIpEntry, WIDE_PREFIX } from '../../shared/forms/fields.js';

/** Ranges wider than these are allowed but warned about (the issue: /16 for IPv4, /48 for IPv6). */
const WIDE = WIDE_PREFIX;

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
    // The syntax is shared with the admin forms (shared/forms/fields.ts), so both refuse the same entries with the same sentence.
    const checked = checkIpEntry(raw);
    if (!checked.ok) throw new Error(checked.message.replace(/\.$/, ''));
    const { address: addr, family, prefix } = checked.value;
    const max = family === 'ipv4' ? 32 : 128;
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
