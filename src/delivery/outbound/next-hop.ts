// Where to connect for a recipient domain (RFC 5321 §5.1): a configured route (tests, split
// delivery), else a smarthost, else the domain's MX hosts by preference, else the domain itself
// (implicit MX, its A/AAAA records). A null MX (RFC 7505) and a domain that does not exist are final.
import { promises as dns } from 'node:dns';

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
}

export type HopResolution =
  | { ok: true; hops: NextHop[] }
  | { ok: false; permanent: boolean; status: string; message: string };

export class NextHopResolver {
  private readonly resolveMx: ResolveMx;
  constructor(private readonly options: NextHopOptions) {
    this.resolveMx = options.resolveMx ?? ((d) => dns.resolveMx(d));
  }

  async resolve(domain: string): Promise<HopResolution> {
    const d = domain.toLowerCase();
    const route = this.options.routes?.[d] ?? this.options.routes?.['*'];
    if (route) {
      return { ok: true, hops: [{ host: route.host, ...(route.address ? { address: route.address } : {}), port: route.port, secure: false, requireTls: false }] };
    }
    const sh = this.options.smarthost;
    if (sh) {
      const requireTls = sh.requireTls ?? sh.auth !== undefined;
      return {
        ok: true,
        hops: sh.hosts.map((h) => ({ host: h.host, port: h.port, secure: sh.secure === true, ...(sh.auth ? { auth: sh.auth } : {}), requireTls })),
      };
    }
    const port = this.options.mxPort ?? 25;
    if (d.startsWith('[')) {
      const literal = d.slice(1, -1).replace(/^ipv6:/i, '');
      return { ok: true, hops: [{ host: literal, port, secure: false, requireTls: false }] };
    }
    let records: Array<{ exchange: string; priority: number }>;
    try {
      records = await this.resolveMx(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND') return { ok: false, permanent: true, status: '5.1.2', message: `Domain ${d} does not exist` };
      if (code === 'ENODATA') return { ok: true, hops: [{ host: d, port, secure: false, requireTls: false }] };
      return { ok: false, permanent: false, status: '4.4.3', message: `DNS lookup for ${d} failed: ${code ?? String(err)}` };
    }
    if (records.length === 0) return { ok: true, hops: [{ host: d, port, secure: false, requireTls: false }] };
    if (records.length === 1 && (records[0]!.exchange === '' || records[0]!.exchange === '.')) {
      return { ok: false, permanent: true, status: '5.1.10', message: `Domain ${d} accepts no mail (null MX)` };
    }
    const hops = [...records]
      .sort((a, b) => a.priority - b.priority)
      .map((r) => ({ host: r.exchange.replace(/\.$/, ''), port, secure: false, requireTls: false }));
    return { ok: true, hops };
  }
}
