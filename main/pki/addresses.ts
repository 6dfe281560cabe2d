import os from 'node:os';
import net from 'node:net';

export type InterfaceMap = NodeJS.Dict<os.NetworkInterfaceInfo[]>;

/**
 * The machine's non-internal IP addresses, for the server certificate's SAN so
 * that clients configured with an IP (common for appliances) can verify it.
 * IPv6 link-local addresses (fe80::/10) are skipped: they are only usable with
 * a zone id, which a certificate cannot carry. `ifaces` is injectable for tests.
 */
export function machineAddresses(ifaces: InterfaceMap = os.networkInterfaces()): string[] {
  const out = new Set<string>();
  for (const list of Object.values(ifaces)) {
    for (const info of list ?? []) {
      if (info.internal) continue;
      const addr = info.address.split('%')[0] ?? '';
      const kind = net.isIP(addr);
      if (kind === 0) continue;
      if (kind === 6 && /^fe[89ab]/i.test(addr)) continue;
      out.add(addr);
    }
  }
  return [...out];
}
