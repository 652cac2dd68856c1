// Where a push subscription may point. RFC 8620 §7.2: the URL MUST begin with https://, and §8.6:
// the server connects to an address a client chose, so it must not become a way into the private
// network (SSRF). By default only https URLs whose host resolves to public addresses are accepted;
// the address checked is the one connected to (the lookup is pinned), so a DNS answer that changes
// between the check and the connection cannot redirect the request. `allowPrivate` (jmap.properties
// webpush.prevent.server.side.request.forgery=false, James' key) lifts both rules, for tests and
// push services on the operator's own network.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { CidrList } from '../../../net/index.js';

/**
 * Addresses that are not the public internet (RFC 6890 special-purpose registries, multicast).
 * BlockList matches IPv4-mapped IPv6 addresses (::ffff:10.0.0.1, ::ffff:a00:1) against the IPv4 rules.
 */
const NON_PUBLIC = new CidrList([
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '::/128',
  '::1/128',
  '64:ff9b::/96',
  '64:ff9b:1::/48',
  '100::/64',
  '2001::/23',
  '2001:db8::/32',
  '2002::/16',
  'fc00::/7',
  'fe80::/10',
  'fec0::/10',
  'ff00::/8',
]);

/** The longest URL accepted (push services' URLs are a few hundred octets). */
export const MAX_PUSH_URL_LENGTH = 2048;

export interface PushTargetPolicy {
  /** Accept http:// and loopback/private addresses (tests, push services on a private network). */
  allowPrivate: boolean;
}

/** invalid: not a usable URL (invalidProperties); forbidden: a URL the policy refuses (forbidden). */
export class PushTargetError extends Error {
  override readonly name = 'PushTargetError';
  constructor(
    readonly kind: 'invalid' | 'forbidden',
    message: string,
  ) {
    super(message);
  }
}

/** Checks the URL's syntax and scheme; throws PushTargetError. */
export function parsePushUrl(raw: string, policy: PushTargetPolicy): URL {
  if (raw.length > MAX_PUSH_URL_LENGTH) throw new PushTargetError('invalid', `url is longer than ${MAX_PUSH_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PushTargetError('invalid', 'url is not an absolute URL');
  }
  if (url.protocol !== 'https:' && !(policy.allowPrivate && url.protocol === 'http:')) {
    throw new PushTargetError('invalid', 'url must begin with https://');
  }
  if (url.hostname === '') throw new PushTargetError('invalid', 'url has no host');
  if (url.username !== '' || url.password !== '') throw new PushTargetError('invalid', 'url must not carry credentials');
  return url;
}

export interface ResolvedTarget {
  address: string;
  family: 4 | 6;
}

function isPublic(address: string): boolean {
  return !NON_PUBLIC.contains(address);
}

/**
 * Resolves the URL's host to the address to connect to. Every address the name has must be public
 * (unless allowed): a name with one private address among public ones is refused, since which one
 * a connection would use is not ours to pick.
 */
export async function resolvePushTarget(url: URL, policy: PushTargetPolicy): Promise<ResolvedTarget> {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: Array<{ address: string; family: number }>;
  if (isIP(host) !== 0) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await lookup(host, { all: true, verbatim: true });
    } catch {
      throw new PushTargetError('invalid', `the host ${host} does not resolve`);
    }
  }
  if (addresses.length === 0) throw new PushTargetError('invalid', `the host ${host} does not resolve`);
  if (!policy.allowPrivate && !addresses.every((a) => isPublic(a.address))) {
    throw new PushTargetError('forbidden', `the host ${host} is not on the public internet`);
  }
  const first = addresses[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
