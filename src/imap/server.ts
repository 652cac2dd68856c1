// IMAP listeners: one ProtocolServer per imapserver.xml block, binding each configured address with
// implicit TLS or clear text (+ STARTTLS), enforcing connection limits, and stopping gracefully with
// `* BYE` so clients reconnect elsewhere.
import net from 'node:net';
import tls from 'node:tls';
import type { ImapServerConfig } from '../config/types.js';
import type { ProtocolServer } from '../core/protocol.js';
import { ImapSession } from './session.js';
import type { ImapDeps } from './types.js';

function secureContextOptions(config: ImapServerConfig): tls.SecureContextOptions | undefined {
  const t = config.tls;
  if (!t.socketTLS && !t.startTLS) return undefined;
  if (t.pfx) return { pfx: t.pfx, ...(t.passphrase ? { passphrase: t.passphrase } : {}) };
  if (t.key && t.cert) return { key: t.key, cert: t.cert, ...(t.passphrase ? { passphrase: t.passphrase } : {}) };
  return undefined;
}

export class ImapServer implements ProtocolServer {
  readonly name: string;
  private readonly servers: net.Server[] = [];
  private readonly sessions = new Set<ImapSession>();
  private readonly perIp = new Map<string, number>();
  private readonly secureContext?: tls.SecureContext;
  private readonly tlsOptions?: tls.SecureContextOptions;
  private addresses: string[] = [];

  constructor(
    private readonly deps: ImapDeps,
    private readonly config: ImapServerConfig,
  ) {
    this.name = config.name;
    const opts = secureContextOptions(config);
    if ((config.tls.socketTLS || config.tls.startTLS) && !opts) {
      throw new Error(`${config.source}: TLS is enabled but no key/certificate is available (tls.keystore)`);
    }
    if (opts) {
      this.tlsOptions = opts;
      this.secureContext = tls.createSecureContext(opts);
    }
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  async start(): Promise<void> {
    for (const bind of this.config.bind) {
      const server = this.config.tls.socketTLS
        ? tls.createServer({ ...this.tlsOptions! }, (s) => this.accept(s, true))
        : net.createServer((s) => this.accept(s, false));
      if (this.config.tls.socketTLS) {
        server.on('tlsClientError', (err) => this.deps.logger.debug({ err: err.message }, 'imap TLS handshake failed'));
      }
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => reject(new Error(`${this.name}: cannot listen on ${bind.host}:${bind.port}: ${err.message}`));
        server.once('error', onError);
        server.listen(bind.port, bind.host, () => {
          server.off('error', onError);
          resolve();
        });
      });
      server.on('error', (err) => this.deps.logger.error({ err }, 'imap listener error'));
      const addr = server.address() as net.AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      const mode = this.config.tls.socketTLS ? 'imaps' : 'imap';
      this.addresses.push(`${mode}://${host}:${addr.port}${this.config.tls.startTLS && !this.config.tls.socketTLS ? ' (STARTTLS)' : ''}`);
      this.servers.push(server);
    }
  }

  /** Ports actually bound (tests listen on port 0). */
  ports(): number[] {
    return this.servers.map((s) => (s.address() as net.AddressInfo).port);
  }

  describe(): string[] {
    return [...this.addresses];
  }

  private accept(socket: net.Socket, secure: boolean): void {
    const ip = socket.remoteAddress ?? 'unknown';
    const logger = this.deps.logger.child({ proto: 'imap', listener: this.name, peer: ip });
    const limit = this.config.connectionLimit;
    const perIpLimit = this.config.connectionLimitPerIP;
    const ipCount = this.perIp.get(ip) ?? 0;
    socket.on('error', () => undefined);
    if ((limit > 0 && this.sessions.size >= limit) || (perIpLimit > 0 && ipCount >= perIpLimit)) {
      socket.end('* BYE [UNAVAILABLE] Too many connections, try again later\r\n');
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    socket.setNoDelay(true);
    this.perIp.set(ip, ipCount + 1);
    const startTls =
      !secure && this.config.tls.startTLS && this.secureContext
        ? (raw: net.Socket): Promise<tls.TLSSocket> =>
            new Promise((resolve, reject) => {
              const t = new tls.TLSSocket(raw, { isServer: true, secureContext: this.secureContext! });
              t.once('secure', () => resolve(t));
              t.once('error', reject);
            })
        : undefined;
    const session = new ImapSession({
      config: this.config,
      deps: this.deps,
      socket,
      secure,
      logger,
      ...(startTls ? { startTls } : {}),
      onClose: (s) => {
        this.sessions.delete(s);
        const n = (this.perIp.get(ip) ?? 1) - 1;
        if (n <= 0) this.perIp.delete(ip);
        else this.perIp.set(ip, n);
      },
    });
    this.sessions.add(session);
    session.run().catch((err: unknown) => {
      logger.error({ err }, 'imap session failed');
      session.destroy();
    });
  }

  async stop(deadline: Date): Promise<void> {
    // close() stops accepting at once; its callback only fires when every connection is gone.
    const closed = Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    for (const s of this.sessions) s.shutdown();
    const until = deadline.getTime();
    while (this.sessions.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
    for (const s of this.sessions) {
      s.write('* BYE Server shutting down\r\n');
      s.destroy();
    }
    while (this.sessions.size > 0) await new Promise((r) => setTimeout(r, 10));
    await closed;
  }
}
