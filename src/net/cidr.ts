// Address lists: which peers are trusted (JMAP X-User proxies) or authorised (SMTP relay). Accepts
// single addresses, CIDRs (10.0.0.0/8, 2001:db8::/32), IPv4 dotted netmasks (10.0.0.0/255.0.0.0) and
// IPv4-mapped IPv6 rules (::ffff:10.0.0.0/104 = 10.0.0.0/8). A peer written IPv4-mapped
// (::ffff:10.0.0.1, what a dual-stack socket reports) is compared as the IPv4 address it carries.
// James forms such as `10.*` are turned into CIDRs by the config loader before they get here.
import { BlockList, isIP } from 'node:net';

export class InvalidCidrError extends Error {
  override readonly name = 'InvalidCidrError';
}

const MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** "::ffff:1.2.3.4" → "1.2.3.4"; other addresses unchanged (zone ids dropped). */
export function normalizeAddress(address: string): string {
  const noZone = address.split('%')[0] ?? address;
  return MAPPED.exec(noZone)?.[1] ?? noZone;
}

/** 255.255.0.0 → 16; undefined when the bits are not contiguous ones then zeros. */
function netmaskPrefix(mask: string): number | undefined {
  if (isIP(mask) !== 4) return undefined;
  const bits = mask
    .split('.')
    .map((o) => Number(o).toString(2).padStart(8, '0'))
    .join('');
  if (!/^1*0*$/.test(bits)) return undefined;
  const firstZero = bits.indexOf('0');
  return firstZero < 0 ? 32 : firstZero;
}

/** Peers whose answer a list remembers (the list never changes; past this it starts over). */
const MAX_REMEMBERED = 1024;

export class CidrList {
  private readonly list = new BlockList();
  /** Answers given so far, by the address as asked. */
  private readonly answers = new Map<string, boolean>();
  /** Number of entries (blank ones not counted). */
  readonly size: number;

  constructor(patterns: readonly string[]) {
    let size = 0;
    for (const raw of patterns) {
      const pattern = raw.trim();
      if (pattern === '') continue;
      this.add(pattern);
      size++;
    }
    this.size = size;
  }

  private add(pattern: string): void {
    const [addrPart = '', maskPart, ...extra] = pattern.split('/');
    const addr = normalizeAddress(addrPart);
    const family = isIP(addr);
    if (family === 0 || extra.length > 0) throw new InvalidCidrError(`"${pattern}" is not an IP address or CIDR`);
    const max = family === 4 ? 32 : 128;
    let prefix = max;
    if (maskPart !== undefined) {
      if (/^\d{1,3}$/.test(maskPart)) {
        prefix = Number(maskPart);
        // An IPv4-mapped rule like ::ffff:10.0.0.0/104 covers 10.0.0.0/8.
        if (family === 4 && addr !== addrPart) prefix -= 96;
      } else {
        prefix = family === 4 ? (netmaskPrefix(maskPart) ?? -1) : -1;
      }
      if (prefix < 0 || prefix > max) throw new InvalidCidrError(`"${pattern}" has a bad prefix length or netmask`);
    }
    this.list.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }

  contains(address: string): boolean {
    if (this.size === 0) return false;
    // Asked for every connection (SMTP relay rights), mostly for the same few peers: BlockList.check
    // builds a SocketAddress (a transferable object) per call, a tenth of accepting a connection.
    const known = this.answers.get(address);
    if (known !== undefined) return known;
    const addr = normalizeAddress(address);
    const family = isIP(addr);
    const answer = family !== 0 && this.list.check(addr, family === 4 ? 'ipv4' : 'ipv6');
    if (this.answers.size >= MAX_REMEMBERED) this.answers.clear();
    this.answers.set(address, answer);
    return answer;
  }
}
