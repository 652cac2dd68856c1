// The one DNS resolver of the delivery core (dnsservice.xml): SPF, DKIM, DMARC and ARC verification
// and the outbound worker's MX, address and MTA-STS lookups all ask it, so one setting governs both.
// It is node:dns's own resolver, pointed at the configured servers with `setServers`, or the
// system's when none are set.
import { promises as dns } from 'node:dns';
import type { DNSResolver } from 'mailauth';
import type { DnsConfig } from '../../config/types.js';

/** Per-query timeout and attempts: a dead server delays a message by seconds, not minutes. */
const TIMEOUT_MS = 3000;
const TRIES = 2;

/** A resolver asking the configured servers (then the system's, with autodiscover); undefined = the system's alone. */
export function configuredResolver(config: DnsConfig): dns.Resolver | undefined {
  if (config.servers.length === 0) return undefined;
  const resolver = new dns.Resolver({ timeout: TIMEOUT_MS, tries: TRIES });
  resolver.setServers([...config.servers, ...(config.useSystem ? dns.getServers() : [])]);
  return resolver;
}

type Answer = string[][] | string[];

/**
 * The same resolver in the shape mailauth takes as its `resolver` option (dns.promises.resolve's
 * signature). A question asked again while the same one is in flight shares its answer: deliveries
 * from one domain arriving together ask the same SPF, DMARC and DKIM questions at once, and a burst
 * of identical queries is what a loaded resolver drops first. Nothing is kept once answered (caching
 * is the recursive resolver's, see config/dnsservice.ts), so a changed record is seen at once.
 */
export function createDnsResolver(config: DnsConfig): DNSResolver {
  const resolver = configuredResolver(config) ?? new dns.Resolver({ timeout: TIMEOUT_MS, tries: TRIES });
  const inFlight = new Map<string, Promise<Answer>>();
  // mailauth asks for TXT, MX, A, AAAA and PTR records, which resolve() answers for any rrtype.
  return (name, rrtype) => {
    const key = `${rrtype ?? 'A'} ${name.toLowerCase()}`;
    let answer = inFlight.get(key);
    if (!answer) {
      answer = (resolver.resolve(name, rrtype) as Promise<Answer>).finally(() => inFlight.delete(key));
      inFlight.set(key, answer);
    }
    // Each asker gets its own copy: an answer is an array a caller may sort or change.
    return answer.then((records) => structuredClone(records));
  };
}
