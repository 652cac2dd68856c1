// Opens LDAP connections with fail-over across the configured hosts. Each connection's TCP (or TLS)
// socket is opened here, with the connect timeout, and handed to ldapts exactly once: if the socket
// later dies, ldapts' transparent reconnect gets a dead socket and the operation fails. That is on
// purpose: a silent reconnect would run the service account's searches anonymously (finding nobody)
// or skip StartTLS; failing lets the pool open a proper connection instead.
import { isIP, Socket, connect as netConnect } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { Client } from 'ldapts';
import type { Logger } from '../../log/logger.js';
import { UsersRepositoryUnavailableError } from '../users/types.js';
import { LdapConfigError, describeError, isConnectionFailure } from './errors.js';
import { startTls } from './starttls.js';

export interface LdapEndpoint {
  url: string;
  host: string;
  port: number;
  secure: boolean;
}

export interface ConnectorSettings {
  hosts: LdapEndpoint[];
  connectTimeoutMs: number;
  /** Per-operation limit (ldapts `timeout`): a server that accepts but never answers is abandoned. */
  readTimeoutMs: number;
  /** Upgrade ldap:// connections with StartTLS before anything else is sent; never fall back. */
  startTLS: boolean;
  /** Extra TLS settings (CA bundle, client certificate) for ldaps:// and StartTLS. */
  tlsOptions?: ConnectionOptions;
  /** How long a host that failed is tried only after the others. */
  hostRetryDelayMs: number;
  now: () => number;
}

export interface LdapConnection {
  readonly client: Client;
  readonly endpoint: LdapEndpoint;
}

export function parseEndpoint(url: string): LdapEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new LdapConfigError(`ldapHost "${url}" is not a URL: use ldap://host:389 or ldaps://host:636`);
  }
  const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
  if (scheme !== 'ldap' && scheme !== 'ldaps') {
    throw new LdapConfigError(`ldapHost "${url}" must start with ldap:// or ldaps://`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new LdapConfigError(`ldapHost "${url}" names no host`);
  const secure = scheme === 'ldaps';
  const port = parsed.port ? Number(parsed.port) : secure ? 636 : 389;
  return { url: `${scheme}://${parsed.host}`, host, port, secure };
}

function tlsTarget(endpoint: LdapEndpoint, extra: ConnectionOptions | undefined): ConnectionOptions {
  // SNI must not carry an IP address; certificate checks then use `host` against IP SANs.
  const servername = isIP(endpoint.host) ? undefined : endpoint.host;
  return { ...extra, host: endpoint.host, port: endpoint.port, ...(servername ? { servername } : {}) };
}

function openSocket(endpoint: LdapEndpoint, s: ConnectorSettings): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket: Socket = endpoint.secure
      ? tlsConnect(tlsTarget(endpoint, s.tlsOptions))
      : netConnect({ host: endpoint.host, port: endpoint.port });
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      socket.destroy();
      reject(new Error(`connect timed out after ${s.connectTimeoutMs} ms`));
    }, s.connectTimeoutMs);
    // Stays attached until ldapts takes the socket over (it replaces all error listeners), so an
    // error in between cannot crash the process.
    socket.on('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
    socket.once(endpoint.secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      resolve(socket);
    });
  });
}

function deadSocket(endpoint: LdapEndpoint): Socket {
  const socket = new Socket();
  process.nextTick(() => socket.destroy(new Error(`connection to ${endpoint.url} was lost`)));
  return socket;
}

/** An ldapts client whose one and only connection is `socket` (plain, or already TLS when `secure`). */
function clientOn(socket: Socket, endpoint: LdapEndpoint, secure: boolean, s: ConnectorSettings): Client {
  let handedOver = false;
  const once = (): Socket => {
    if (handedOver) return deadSocket(endpoint);
    handedOver = true;
    return socket;
  };
  // ldapts calls createSecureConnection for ldaps:// URLs and createConnection otherwise; after our
  // own StartTLS the socket is TLS, so the client is told it talks ldaps to the same host and port.
  const url = `${secure ? 'ldaps' : 'ldap'}://${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`;
  return new Client({
    url,
    connectTimeout: s.connectTimeoutMs,
    timeout: s.readTimeoutMs,
    ...(secure
      ? { createSecureConnection: once as unknown as (...args: unknown[]) => TLSSocket }
      : { createConnection: once as unknown as (...args: unknown[]) => Socket }),
  } as ConstructorParameters<typeof Client>[0]);
}

export class LdapConnector {
  private readonly downUntil = new Map<string, number>();

  constructor(
    private readonly s: ConnectorSettings,
    private readonly logger: Logger,
  ) {}

  /** Hosts in configured order, those that failed recently moved to the end. */
  private orderedHosts(): LdapEndpoint[] {
    const now = this.s.now();
    const healthy = this.s.hosts.filter((h) => (this.downUntil.get(h.url) ?? 0) <= now);
    const recentlyDown = this.s.hosts.filter((h) => (this.downUntil.get(h.url) ?? 0) > now);
    return [...healthy, ...recentlyDown];
  }

  /** Remembers that a host failed, so that new connections try the others first for a while. */
  markDown(endpoint: LdapEndpoint, err: unknown): void {
    if (!this.downUntil.has(endpoint.url) || (this.downUntil.get(endpoint.url) ?? 0) <= this.s.now()) {
      this.logger.warn({ ldapHost: endpoint.url, err: describeError(err) }, 'LDAP server failed; trying other hosts first');
    }
    this.downUntil.set(endpoint.url, this.s.now() + this.s.hostRetryDelayMs);
  }

  /**
   * A connected client on the first host that answers, StartTLS'd if configured, and bound with
   * `bind` when given (the service account). Throws UsersRepositoryUnavailableError naming every
   * host and why it failed.
   */
  async open(bind?: { dn: string; password: string }): Promise<LdapConnection> {
    const failures: string[] = [];
    for (const endpoint of this.orderedHosts()) {
      let client: Client | undefined;
      try {
        let socket = await openSocket(endpoint, this.s);
        const upgrade = this.s.startTLS && !endpoint.secure;
        if (upgrade) {
          const plain = socket;
          socket = await startTls(plain, tlsTarget(endpoint, this.s.tlsOptions), this.s.readTimeoutMs).catch((err: unknown) => {
            plain.destroy();
            throw err;
          });
        }
        client = clientOn(socket, endpoint, endpoint.secure || upgrade, this.s);
        if (bind) await client.bind(bind.dn, bind.password);
        this.downUntil.delete(endpoint.url);
        return { client, endpoint };
      } catch (err) {
        failures.push(`${endpoint.url}: ${describeError(err)}`);
        if (client) await closeQuietly(client);
        if (isConnectionFailure(err)) this.markDown(endpoint, err);
        else this.logger.error({ ldapHost: endpoint.url, err: describeError(err) }, 'LDAP server refused the service connection');
      }
    }
    throw new UsersRepositoryUnavailableError(`LDAP directory unavailable (${failures.join('; ')})`);
  }
}

export async function closeQuietly(client: Client): Promise<void> {
  try {
    await client.unbind();
  } catch {
    // Already gone: nothing left to release.
  }
}
