// The address part of a throttle key: IPv4 as written (IPv4-mapped IPv6 unwrapped), IPv6 cut to its
// network prefix, since one client is normally given a whole /64 and could otherwise rotate addresses.
import { isIPv6 } from 'node:net';
import { normalizeAddress } from '../../net/cidr.js';

export function throttleAddress(peer: string, ipv6Prefix: number): string {
  const address = normalizeAddress(peer);
  if (!isIPv6(address) || ipv6Prefix >= 128) return address.toLowerCase();
  const groups = expandIpv6(address);
  const kept: string[] = [];
  for (let i = 0; i < 8; i++) {
    const bits = Math.max(0, Math.min(16, ipv6Prefix - i * 16));
    const mask = bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff;
    kept.push(((groups[i] ?? 0) & mask).toString(16));
  }
  return `${kept.join(':')}/${ipv6Prefix}`;
}

/** "2001:db8::1" → eight 16-bit numbers; an embedded dotted IPv4 tail counts as two groups. */
function expandIpv6(address: string): number[] {
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16));
}
