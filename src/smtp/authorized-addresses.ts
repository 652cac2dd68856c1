// <authorizedAddresses>: peers that may relay without authenticating. James accepts single addresses,
// CIDRs (10.0.0.0/8) and dotted netmasks (10.0.0.0/255.0.0.0); IPv4-mapped IPv6 peers
// (::ffff:10.1.2.3, as Node reports them on dual-stack sockets) match their IPv4 entries.
import { BlockList, isIP } from 'node:net';

export type AddressMatcher = (ip: string) => boolean;

export class InvalidAddressPatternError extends Error {
  override readonly name = 'InvalidAddressPatternError';
}

export function createAddressMatcher(patterns: string[]): AddressMatcher {
  const list = new BlockList();
  for (const raw of patterns) {
    const pattern = raw.trim();
    if (pattern === '') continue;
    const [addr, mask] = pattern.split('/', 2) as [string, string | undefined];
    const family = isIP(addr);
    if (family === 0) throw new InvalidAddressPatternError(`not an IP address or network: ${pattern}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (mask === undefined) {
      list.addAddress(addr, type);
    } else {
      const prefix = /^\d+$/.test(mask) ? Number(mask) : family === 4 && isIP(mask) === 4 ? netmaskToPrefix(mask) : NaN;
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
        throw new InvalidAddressPatternError(`bad network mask in ${pattern}`);
      }
      list.addSubnet(addr, prefix, type);
    }
  }
  return (ip: string) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (mapped) return list.check(mapped[1]!, 'ipv4');
    const family = isIP(ip);
    if (family === 0) return false;
    return list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  };
}

function netmaskToPrefix(mask: string): number {
  const bits = mask
    .split('.')
    .map((o) => Number(o).toString(2).padStart(8, '0'))
    .join('');
  return /^1*0*$/.test(bits) ? bits.indexOf('0') < 0 ? 32 : bits.indexOf('0') : NaN;
}
