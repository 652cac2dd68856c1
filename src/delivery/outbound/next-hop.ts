// Where to connect for a recipient domain (RFC 5321 §5.1): a configured route (tests, split
// delivery), else a smarthost, else the domain's MX hosts by preference, else the domain itself
// (implicit MX, its A/AAAA records). A null MX (RFC 7505) and a domain that does not exist are final.
import { promises as dns } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { DnsConfig } from '../../config/types.js';
import { configuredResolver } from '../authentication/resolver.js';

export interface NextHop {
  /** The host name: what TLS certificates are verified against. */
  host: string;
  /** Where to connect when not `host` itself (a route's loopback address). */
  address?: string;
  port: number;
  /** Implicit TLS (smarthost on 465). */
  secure: boolean;
  auth?: { user: string; pass: string };
  /** Refuse to continue without STARTTLS with a verified certificate (a smarthost, see SmarthostConfig). */
  requireTls: boolean;
}

/**
 * A relay host all remote mail goes through (James RemoteDelivery `gateway`, `gatewayPort`,
 * `gatewayUsername`, `gatewayPassword`, `sslEnable`, `startTLS`): tried in order.
 */
export interface SmarthostConfig {
  hosts: Array<{ host: string; port: number }>;
  /** Implicit TLS (port 465). */
  secure?: boolean;
  auth?: { user: string; pass: string };
  /**
   * STARTTLS with a verified certificate is required (default: whenever credentials are sent, so a
   * password never crosses the network in clear or to an impostor).
   */
  requireTls?: boolean;
}

export type ResolveMx = (domain: string) => Promise<Array<{ exchange: string; priority: number }>>;

export interface NextHopOptions {
  /** domain (lower case) or "*" → host:port. Checked first; how tests reach a loopback sink. */
  routes?: Record<string, { host: string; port: number; address?: string }>;
  smarthost?: SmarthostConfig;
  resolveMx?: ResolveMx;
  /** Port for MX hosts (25; tests never use the real default). */
  mxPort?: number;
  /**
   * dnsservice.xml's servers for MX, address and MTA-STS lookups, the same the inbound checks ask
   * (default: the system's resolver). With servers set, MX hosts are resolved to addresses here, so
   * every answer comes from them.
   */
  dns?: DnsConfig;
}

export type HopResolution =
  /** source: where the hops came from; only MX hosts are subject to the domain's MTA-STS policy. */
  | { ok: true; hops: NextHop[]; source: 'route' | 'smarthost' | 'mx' }
  | { ok: false; permanent: boolean; status: string; message: string };

export class NextHopResolver {
  private readonly resolveMx: ResolveMx;
  /** The configured resolver (options.dns), or undefined for the system's. */
  private readonly resolver: dns.Resolver | undefined;
  constructor(private readonly options: NextHopOptions) {
    this.resolver = options.dns ? configuredResolver(options.dns) : undefined;
    const r = this.resolver;
    this.resolveMx = options.resolveMx ?? (r ? (d) => r.resolveMx(d) : (d) => dns.resolveMx(d));
  }

  /** TXT lookups through the same resolver (MTA-STS). */
  resolveTxt(name: string): Promise<string[][]> {
    return this.resolver ? this.resolver.resolveTxt(name) : dns.resolveTxt(name);
  }

  /** An address lookup through the configured resolver, for HTTPS (MTA-STS policies); undefined = the system's. */
  lookup(): LookupFunction | undefined {
    const r = this.resolver;
    if (!r) return undefined;
    return ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
      r.resolve4(hostname).then(
        (addresses) => (options.all ? callback(null, addresses.map((address) => ({ address, family: 4 }))) : callback(null, addresses[0], 4)),
        (err: unknown) => callback(err),
      );
    }) as unknown as LookupFunction;
  }

  /** With a configured resolver, MX hosts are connected to by the addresses it gives. */
  private async withAddresses(hops: NextHop[]): Promise<NextHop[]> {
    const r = this.resolver;
    if (!r) return hops;
    const out: NextHop[] = [];
    for (const hop of hops) {
      const addresses = await r.resolve4(hop.host).catch(() => [] as string[]);
      for (const address of addresses) out.push({ ...hop, address });
    }
    return out;
  }

  async resolve(domain: string): Promise<HopResolution> {
    const d = domain.toLowerCase();
    const route = this.options.routes?.[d] ?? this.options.routes?.['*'];
    if (route) {
      return { ok: true, source: 'route', hops: [{ host: route.host, ...(route.address ? { address: route.address } : {}), port: route.port, secure: false, requireTls: false }] };
    }
    const sh = this.options.smarthost;
    if (sh) {
      const requireTls = sh.requireTls ?? sh.auth !== undefined;
      return {
        ok: true,
        source: 'smarthost',
        hops: sh.hosts.map((h) => ({ host: h.host, port: h.port, secure: sh.secure === true, ...(sh.auth ? { auth: sh.auth } : {}), requireTls })),
      };
    }
    const port = this.options.mxPort ?? 25;
    if (d.startsWith('[')) {
      const literal = d.slice(1, -1).replace(/^ipv6:/i, '');
      return { ok: true, source: 'route', hops: [{ host: literal, port, secure: false, requireTls: false }] };
    }
    let records: Array<{ exchange: string; priority: number }>;
    try {
      records = await this.resolveMx(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND') return { ok: false, permanent: true, status: '5.1.2', message: `Domain ${d} does not exist` };
      if (code === 'ENODATA') return { ok: true, source: 'mx', hops: await this.withAddresses([{ host: d, port, secure: false, requireTls: false }]) };
      return { ok: false, permanent: false, status: '4.4.3', message: `DNS lookup for ${d} failed: ${code ?? String(err)}` };
    }
    if (records.length === 0) return { ok: true, source: 'mx', hops: await this.withAddresses([{ host: d, port, secure: false, requireTls: false }]) };
    if (records.length === 1 && (records[0]!.exchange === '' || records[0]!.exchange === '.')) {
      return { ok: false, permanent: true, status: '5.1.10', message: `Domain ${d} accepts no mail (null MX)` };
    }
    const hops = [...records]
      .sort((a, b) => a.priority - b.priority)
      .map((r) => ({ host: r.exchange.replace(/\.$/, ''), port, secure: false, requireTls: false }));
    return { ok: true, source: 'mx', hops: await this.withAddresses(hops) };
  }
}
