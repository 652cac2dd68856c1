// Trusted-proxy matching: CIDR lists over IPv4 and IPv6, with IPv4-mapped IPv6 peers
// (::ffff:10.0.0.1, what a dual-stack socket reports) compared as the IPv4 address they carry.
import { BlockList, isIP } from 'node:net';

export class InvalidCidrError extends Error {
  override readonly name = 'InvalidCidrError';
}

const MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** "::ffff:1.2.3.4" → "1.2.3.4"; other addresses unchanged (zone ids dropped). */
export function normalizeAddress(address: string): string {
  const noZone = address.split('%')[0] ?? address;
  const m = MAPPED.exec(noZone);
  return m?.[1] ?? noZone;
}

export class CidrList {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(cidrs: readonly string[]) {
    for (const raw of cidrs) {
      const [addrPart, prefixPart] = raw.trim().split('/');
      const addr = normalizeAddress(addrPart ?? '');
      const family = isIP(addr);
      if (family === 0) throw new InvalidCidrError(`"${raw}" is not an IP address or CIDR`);
      const max = family === 4 ? 32 : 128;
      let prefix = max;
      if (prefixPart !== undefined) {
        if (!/^\d+$/.test(prefixPart)) throw new InvalidCidrError(`"${raw}" has a bad prefix length`);
        prefix = Number(prefixPart);
        // An IPv4-mapped rule like ::ffff:10.0.0.0/104 becomes 10.0.0.0/8.
        if (family === 4 && addr !== addrPart) prefix -= 96;
        if (prefix < 0 || prefix > max) throw new InvalidCidrError(`"${raw}" has a bad prefix length`);
      }
      this.list.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
    }
    this.size = cidrs.length;
  }

  contains(address: string): boolean {
    const addr = normalizeAddress(address);
    const family = isIP(addr);
    if (family === 0) return false;
    return this.list.check(addr, family === 4 ? 'ipv4' : 'ipv6');
  }
}
