// The DNS resolver SPF, DKIM, DMARC and ARC verification asks (dnsservice.xml): node:dns's own
// resolver, pointed at the configured servers with `setServers`, or the system's when none are set.
// mailauth takes it as its `resolver` option, which has dns.promises.resolve's signature.
import { promises as dns } from 'node:dns';
import type { DNSResolver } from 'mailauth';
import type { DnsConfig } from '../../config/types.js';

/** Per-query timeout and attempts: a dead server delays a message by seconds, not minutes. */
const TIMEOUT_MS = 3000;
const TRIES = 2;

export function createDnsResolver(config: DnsConfig): DNSResolver {
  const resolver = new dns.Resolver({ timeout: TIMEOUT_MS, tries: TRIES });
  if (config.servers.length > 0) {
    resolver.setServers([...config.servers, ...(config.useSystem ? dns.getServers() : [])]);
  }
  // mailauth asks for TXT, MX, A, AAAA and PTR records, which resolve() answers for any rrtype.
  return (name, rrtype) => resolver.resolve(name, rrtype) as Promise<string[][] | string[]>;
}
