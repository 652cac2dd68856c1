// One SMTP listener block (smtpserver.xml <smtpserver>): binds its addresses, with implicit TLS or
// STARTTLS, enforces connection limits (total and per IP → 421), idle timeouts, and stops gracefully.
import net from 'node:net';
import tls from 'node:tls';
import type { SmtpServerConfig } from '../config/types.js';
import type { ProtocolServer } from '../core/protocol.js';
import type { Logger } from '../log/logger.js';
import { createAddressMatcher, type AddressMatcher } from './authorized-addresses.js';
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from './limits.js';
import type { SmtpDeps } from './deps.js';
import { formatReply, reply } from './proto/reply.js';
import { SmtpSession } from './session.js';
import { SocketConnection } from './socket-connection.js';

export class SmtpServer implements ProtocolServer {
  readonly name: string;
  private readonly servers: net.Server[] = [];
  private readonly sessions = new Set<SmtpSession>();
  private readonly connections = new Set<SocketConnection>();
  private readonly perIp = new Map<string, number>();
  private readonly authorized: AddressMatcher;
  private readonly limits: SessionLimits;
  private readonly secureContext: tls.SecureContext | undefined;
  private readonly log: Logger;
  private stopping = false;

  constructor(
    private readonly config: SmtpServerConfig,
    private readonly deps: SmtpDeps,
  ) {
    this.name = config.name;
    this.authorized = createAddressMatcher(config.authorizedAddresses);
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...deps.limits };
    this.log = deps.logger.child({ smtp: config.name });
    const t = config.tls;
    this.secureContext = t.pfx || (t.key && t.cert) ? tls.createSecureContext(this.tlsOptions()) : undefined;
    if (t.socketTLS && !this.secureContext) {
      throw new Error(`${config.source}: implicit TLS (socketTLS) needs a certificate and key`);
    }
  }

  private tlsOptions(): tls.SecureContextOptions {
    const t = this.config.tls;
    return { key: t.key, cert: t.cert, pfx: t.pfx, passphrase: t.passphrase, minVersion: 'TLSv1.2' };
  }

  async start(): Promise<void> {
    for (const addr of this.config.bind) {
      const server = this.config.tls.socketTLS
        ? tls.createServer(this.tlsOptions(), (s) => this.accept(s, true))
        : net.createServer((s) => this.accept(s, false));
      if (this.config.tls.socketTLS) {
        // A failed handshake is the client's problem, not the server's.
        server.on('tlsClientError', (err: Error) => this.log.debug({ err: err.message }, 'TLS handshake failed'));
      }
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => reject(new Error(`${this.name}: cannot listen on ${addr.host}:${addr.port}: ${err.message}`));
        server.once('error', onError);
        server.listen({ host: addr.host, port: addr.port }, () => {
          server.off('error', onError);
          server.on('error', (err) => this.log.error({ err }, 'listener error'));
          resolve();
        });
      });
      this.servers.push(server);
    }
  }

  /** Bound addresses (ports resolved when configured as 0). */
  addresses(): Array<{ host: string; port: number }> {
    return this.servers.map((s) => {
      const a = s.address() as net.AddressInfo;
      return { host: a.address, port: a.port };
    });
  }

  describe(): string[] {
    const scheme = this.config.tls.socketTLS ? 'smtps' : 'smtp';
    const note = this.config.tls.socketTLS ? ' (TLS)' : this.config.tls.startTLS && this.secureContext ? ' (STARTTLS)' : '';
    return this.addresses().map((a) => `${scheme}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}${note}`);
  }

  async stop(deadline: Date): Promise<void> {
    this.stopping = true;
    const closed = Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    for (const session of this.sessions) session.shutdown();
    const remaining = Math.max(0, deadline.getTime() - Date.now());
    const timer = setTimeout(() => {
      for (const c of this.connections) c.destroy();
    }, remaining);
    await closed;
    clearTimeout(timer);
  }

  private accept(socket: net.Socket, secure: boolean): void {
    const ip = socket.remoteAddress ?? 'unknown';
    const refuse = (text: string): void => {
      socket.on('error', () => undefined);
      socket.end(formatReply(reply(421, '4.7.0', `${this.config.helloName} ${text}`)));
      setTimeout(() => socket.destroy(), 2000).unref();
    };
    if (this.stopping) return refuse('Service shutting down');
    if (this.config.connectionLimit > 0 && this.connections.size >= this.config.connectionLimit) {
      return refuse('Too many connections, try again later');
    }
    const fromIp = this.perIp.get(ip) ?? 0;
    if (this.config.connectionLimitPerIP > 0 && fromIp >= this.config.connectionLimitPerIP) {
      return refuse('Too many connections from your address, try again later');
    }
    this.perIp.set(ip, fromIp + 1);
    let session: SmtpSession | undefined;
    const conn = new SocketConnection(
      socket,
      secure,
      this.secureContext,
      this.config.tls.startTLS,
      {
        data: (chunk) => session?.receive(chunk),
        closed: () => session?.disconnected(),
        timeout: () => session?.close(reply(421, '4.4.2', `${this.config.helloName} Idle timeout, closing connection`)),
      },
      this.config.timeout * 1000,
    );
    session = new SmtpSession(this.config, this.deps, conn, this.limits, this.authorized(ip));
    this.connections.add(conn);
    this.sessions.add(session);
    const s = session;
    s.onClose = () => {
      this.sessions.delete(s);
      this.connections.delete(conn);
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, n);
    };
    socket.once('close', () => {
      // Covers sessions closed by us (QUIT) whose socket closes later: accounting already done.
      this.connections.delete(conn);
    });
    s.greet();
  }
}
