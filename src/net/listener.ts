// The one network edge every protocol listens through: binds each configured address (clear text or
// implicit TLS), applies the connection limits (total and per peer address) with the protocol's own
// refusal line, upgrades accepted sockets for STARTTLS, and stops gracefully: stop accepting, let the
// protocol wind its sessions down until a deadline, then destroy whatever is left. Behind a TCP load
// balancer it reads the PROXY protocol header first (before any TLS handshake), and from then on the
// client it names is the connection's peer for every limit, log line and rule.
import { connectionsOpen, connectionsRefused, connectionsTotal } from './metrics.js';
import net from 'node:net';
import tls from 'node:tls';
import { CidrList } from './cidr.js';
import { ConnectionTable } from './connections.js';
import { ListenError } from './listen-error.js';
import { noteAccepted } from './turns.js';
import { ProxyHeaderError, readProxyHeader } from './proxy-reader.js';
import { listenerSecureContext, secureContextOptions, upgradeToTls } from './tls.js';
import cluster from 'node:cluster';
import { claimSocketPath, removeSocket, restrictSocket, socketAnswers } from './unix-socket.js';
import type { BindAddress, ListenerTls, NetLogger, RefusalReason } from './types.js';

export interface AcceptedConnection {
  /** A TLSSocket when the listener uses implicit TLS. */
  readonly socket: net.Socket;
  readonly secure: boolean;
  /** The client: the socket's peer, or on a PROXY protocol listener the client its header names. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The session is over: stop counting it against the limits even if its socket is still closing. */
  release(): void;
}

/** What a listener is configured with; a config block's listener settings fit it as they are. */
export interface ListenerSettings {
  /** Listener name for logs and errors, e.g. "imap-0". */
  name: string;
  /** Where it was configured, for start-up errors: e.g. "conf/imapserver.xml, block 1". */
  source: string;
  bind: readonly BindAddress[];
  /** A Unix domain socket path listened on as well (mode 0660, removed on stop). */
  unixSocket?: string | undefined;
  tls: ListenerTls;
  /** 0 = unlimited. */
  connectionLimit: number;
  connectionLimitPerIP: number;
  /** Every connection starts with a PROXY protocol header (v1 or v2) from one of these networks. */
  proxy?: ProxyProtocolSettings | undefined;
}

export interface ProxyProtocolSettings {
  /** The load balancers' addresses or CIDRs; a connection from anywhere else is closed unread. */
  trustedNetworks: readonly string[];
  /** How long the header may take to arrive, in milliseconds. */
  headerTimeoutMs: number;
}

export interface ListenerOptions {
  settings: ListenerSettings;
  /** What a turned-away client reads before the connection closes (IMAP `* BYE`, SMTP 421, HTTP 503). */
  refusal(reason: RefusalReason): string;
  /** How long a turned-away client has to read the refusal before its socket is destroyed. */
  refusalLingerMs?: number;
  logger: NetLogger;
  onConnection(connection: AcceptedConnection): void;
}

export interface StopHooks {
  /** Asks every session to finish: after its running command, or now when idle. */
  shutdown(): void;
  /** At the deadline, just before the remaining sockets are destroyed (a last BYE, say). */
  expire?(): void;
}

const DEFAULT_REFUSAL_LINGER_MS = 1000;

/** The TLS handshake after a PROXY header gets what Node's tls.Server gives any (handshakeTimeout). */
const PROXIED_HANDSHAKE_TIMEOUT_MS = 120_000;

interface Peer {
  address: string;
  port: number;
}

/** The peer address of a connection over a Unix domain socket: a process on this host. */
export const LOCAL_PEER = '127.0.0.1';

/**
 * Pending connections the kernel queues before accept(). Node's default (511) overflows under a burst
 * of 2,000 connects a second while the event loop is busy; 4096 holds two seconds of such a burst.
 * Linux caps it at net.core.somaxconn (4096 since kernel 5.4).
 */
export const LISTEN_BACKLOG = 4096;

// A parked connection holds no closures of its own for the listener's bookkeeping (issue #18): its
// sockets' listeners are shared functions that find the listener through the socket.
const listenerOf = Symbol('netListener');
type RawSocket = net.Socket & { [listenerOf]?: NetListener };

function onRawSocketClose(this: RawSocket): void {
  this[listenerOf]?.rawClosed(this);
}

/** 'close' follows every 'error'; whoever owns the socket learns of its end there. */
function ignoreSocketError(): void {}

class Accepted implements AcceptedConnection {
  constructor(
    readonly socket: net.Socket,
    readonly secure: boolean,
    readonly remoteAddress: string,
    readonly remotePort: number,
    private readonly table: ConnectionTable,
  ) {}

  release(): void {
    this.table.release(this.socket);
  }
}

export class NetListener {
  private readonly servers: net.Server[] = [];
  /** Every TCP connection accepted, refused or still in its TLS handshake included: the deadline ends them all. */
  private readonly raw = new Set<net.Socket>();
  private readonly table: ConnectionTable;
  private secureContext: tls.SecureContext | undefined;
  /** Who may send PROXY headers, when this listener reads them. */
  private readonly proxyTrusted: CidrList | undefined;
  private stopping = false;
  /** Set once listening on the Unix socket: a listener that failed to start must not remove another's. */
  private ownedSocket: string | undefined;

  /** Throws ListenerTlsError when TLS is on without usable key material: nothing is bound then. */
  private settings: ListenerSettings;

  constructor(private readonly options: ListenerOptions) {
    this.settings = options.settings;
    const listener = this.settings.name;
    this.table = new ConnectionTable(() => connectionsOpen.dec({ listener }));
    this.secureContext = listenerSecureContext(this.settings.tls, this.settings.source);
    this.proxyTrusted = this.settings.proxy ? new CidrList(this.settings.proxy.trustedNetworks) : undefined;
  }

  get secure(): boolean {
    return this.settings.tls.socketTLS;
  }

  /** STARTTLS may be offered on this listener's clear connections. */
  get canStartTls(): boolean {
    return this.settings.tls.startTLS && !this.settings.tls.socketTLS && this.secureContext !== undefined;
  }

  /** Connections counted against the limits. */
  get connectionCount(): number {
    return this.table.size;
  }

  async start(): Promise<void> {
    for (const bind of this.settings.bind) {
      await this.listen(bind, { host: bind.host, port: bind.port, backlog: LISTEN_BACKLOG });
    }
    const path = this.settings.unixSocket;
    if (path !== undefined) {
      // A worker of several server processes shares the socket its supervisor bound for the first
      // one: a live socket there is (normally) that one, and listen() joins it. A foreign process's
      // still fails, at listen(), with EADDRINUSE from the supervisor.
      const shared = cluster.isWorker;
      if (!shared || !(await socketAnswers(path))) {
        await claimSocketPath(path).catch((err: NodeJS.ErrnoException) => {
          throw new ListenError(this.settings.name, this.settings.source, path, err);
        });
      }
      await this.listen(path, { path, backlog: LISTEN_BACKLOG });
      // The supervisor's handle outlives this worker: the file goes when the last one closes it.
      if (!shared) this.ownedSocket = path;
      await restrictSocket(path);
    }
  }

  private async listen(where: BindAddress | string, options: net.ListenOptions): Promise<void> {
    const local = typeof where === 'string';
    const server =
      this.settings.proxy !== undefined
        ? // The PROXY header comes before the TLS handshake: the socket is accepted clear, TLS follows it.
          net.createServer((s) => this.acceptProxied(s, local))
        : this.settings.tls.socketTLS
          ? tls.createServer(secureContextOptions(this.settings.tls), (s) => this.accept(s, true, directPeer(s, local)))
          : net.createServer((s) => this.accept(s, false, directPeer(s, local)));
    server.on('connection', (s: net.Socket) => {
      // Refused connections and TLS handshakes too: any accept says more may wait in the queue.
      noteAccepted();
      this.raw.add(s);
      (s as RawSocket)[listenerOf] = this;
      s.on('close', onRawSocketClose);
    });
    if (this.settings.tls.socketTLS) {
      // A failed handshake is the client's problem, not the server's.
      server.on('tlsClientError', (err: Error) => this.options.logger.debug({ err: err.message, listener: this.settings.name }, 'TLS handshake failed'));
    }
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => reject(new ListenError(this.settings.name, this.settings.source, where, err));
      server.once('error', onError);
      server.listen(options, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (err) => this.options.logger.error({ err, listener: this.settings.name }, 'listener error'));
    this.servers.push(server);
  }

  /** Addresses actually bound (a configured port 0 resolved). */
  addresses(): BindAddress[] {
    return this.servers.flatMap((s) => {
      const a = s.address();
      return a !== null && typeof a === 'object' ? [{ host: a.address, port: a.port }] : [];
    });
  }

  ports(): number[] {
    return this.addresses().map((a) => a.port);
  }

  /** `scheme://host:port` per bound address, IPv6 hosts bracketed: the material of describe(). */
  urls(scheme: string): string[] {
    const tcp = this.addresses().map((a) => `${scheme}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`);
    return this.settings.unixSocket !== undefined ? [...tcp, `unix:${this.settings.unixSocket}`] : tcp;
  }

  /**
   * New key material for this listener's TLS (see ProtocolServer.reloadTls): true when taken, false
   * when TLS is off here or `material` has nothing for this listener's block. Whether TLS is on,
   * implicit or STARTTLS, is kept as started: that needs a restart.
   */
  reloadTls(material: (source: string) => ListenerTls | undefined): boolean {
    const next = material(this.settings.source);
    if (!next || this.secureContext === undefined) return false;
    const { key, cert, pfx, passphrase, minVersion, maxVersion } = next;
    const tlsSettings: ListenerTls = { socketTLS: this.settings.tls.socketTLS, startTLS: this.settings.tls.startTLS, key, cert, pfx, passphrase, minVersion, maxVersion };
    // Throws (ListenerTlsError, naming the block) before anything changed.
    const context = listenerSecureContext(tlsSettings, this.settings.source);
    const options = secureContextOptions(tlsSettings);
    for (const server of this.servers) if (server instanceof tls.Server) server.setSecureContext(options);
    this.secureContext = context;
    this.settings = { ...this.settings, tls: tlsSettings };
    return true;
  }

  /** Upgrades a clear connection of this listener in place; rejects (sockets destroyed) on failure. */
  startTls(socket: net.Socket): Promise<tls.TLSSocket> {
    if (!this.canStartTls || !this.secureContext) return Promise.reject(new Error('STARTTLS is not configured on this listener'));
    return upgradeToTls(socket, this.secureContext);
  }

  async stop(deadline: Date, hooks: StopHooks): Promise<void> {
    this.stopping = true;
    // close() stops accepting at once; its callback fires when every accepted socket is gone.
    const closed = Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    hooks.shutdown();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, deadline.getTime() - Date.now()));
    });
    try {
      const sessionsDone = await Promise.race([this.table.whenEmpty().then(() => true), expired]);
      if (!sessionsDone) {
        hooks.expire?.();
        // One turn of the event loop so last words reach the kernel before the sockets go.
        await new Promise((resolve) => setImmediate(resolve));
      }
      // Refused sockets still lingering, handshakes that never finished: nothing outlives the deadline.
      await Promise.race([closed, expired]);
      for (const s of this.raw) s.destroy();
      await closed;
    } finally {
      clearTimeout(timer);
    }
    if (this.ownedSocket !== undefined) await removeSocket(this.ownedSocket);
  }

  /**
   * A connection to a PROXY protocol listener: only a trusted proxy may speak, and its header says who
   * the client is. Anything else (another peer, no header, a bad or late one) closes the connection
   * before the protocol greets: the spec forbids guessing whether a header is there.
   */
  private acceptProxied(socket: net.Socket, local: boolean): void {
    socket.on('error', ignoreSocketError);
    const proxy = directPeer(socket, local);
    const listener = this.settings.name;
    if (!this.proxyTrusted?.contains(proxy.address)) {
      connectionsRefused.inc({ listener, reason: 'proxyUntrusted' });
      // debug: anyone on the network can knock; the metric shows a misconfigured balancer.
      this.options.logger.debug({ listener, peer: proxy.address }, 'PROXY protocol listener: peer outside proxy.trustedNetworks, connection closed');
      socket.destroy();
      return;
    }
    readProxyHeader(socket, this.settings.proxy?.headerTimeoutMs ?? 0).then(
      (header) => {
        // UNKNOWN and LOCAL (health checks) carry no client: the connection is the proxy's own.
        const client = header.source ?? proxy;
        if (this.settings.tls.socketTLS) this.handshake(socket, client);
        else this.accept(socket, false, client);
      },
      (err: Error) => {
        socket.destroy();
        // A TCP health check connects and leaves without a byte: normal, so not counted or warned about.
        if (err instanceof ProxyHeaderError && err.probe) return this.options.logger.debug({ listener, peer: proxy.address }, 'PROXY protocol listener: peer left without sending anything');
        connectionsRefused.inc({ listener, reason: 'proxyHeader' });
        this.options.logger.warn({ listener, peer: proxy.address, err: err.message }, 'PROXY protocol header missing or invalid, connection closed');
      },
    );
  }

  /** Implicit TLS after a PROXY header, on the socket as it is (the bytes after the header included). */
  private handshake(socket: net.Socket, client: Peer): void {
    const context = this.secureContext;
    if (!context) return void socket.destroy();
    const timer = setTimeout(() => socket.destroy(), PROXIED_HANDSHAKE_TIMEOUT_MS);
    upgradeToTls(socket, context).then(
      (secure) => {
        clearTimeout(timer);
        this.accept(secure, true, client);
      },
      (err: Error) => {
        clearTimeout(timer);
        this.options.logger.debug({ err: err.message, listener: this.settings.name }, 'TLS handshake failed');
      },
    );
  }

  private accept(socket: net.Socket, secure: boolean, peer: Peer): void {
    const ip = peer.address;
    // 'close' follows every 'error'; whoever owns the socket learns of its end there.
    socket.on('error', ignoreSocketError);
    const reason = this.refusalReason(ip);
    const listener = this.settings.name;
    if (reason) {
      connectionsRefused.inc({ listener, reason });
      return this.refuse(socket, reason);
    }
    this.table.add(socket, ip);
    connectionsTotal.inc({ listener });
    connectionsOpen.inc({ listener });
    this.options.onConnection(new Accepted(socket, secure, ip, peer.port, this.table));
  }

  /** A raw socket has closed (its 'close' listener). */
  rawClosed(socket: net.Socket): void {
    this.raw.delete(socket);
  }

  private refusalReason(ip: string): RefusalReason | undefined {
    const { connectionLimit, connectionLimitPerIP } = this.settings;
    if (this.stopping) return 'stopping';
    if (connectionLimit > 0 && this.table.size >= connectionLimit) return 'limit';
    if (connectionLimitPerIP > 0 && this.table.countFrom(ip) >= connectionLimitPerIP) return 'perIpLimit';
    return undefined;
  }

  private refuse(socket: net.Socket, reason: RefusalReason): void {
    socket.end(this.options.refusal(reason));
    setTimeout(() => socket.destroy(), this.options.refusalLingerMs ?? DEFAULT_REFUSAL_LINGER_MS).unref();
  }
}

/** The socket's own peer. A Unix socket peer has no address: a process on this host, LOCAL_PEER. */
function directPeer(socket: net.Socket, local: boolean): Peer {
  return local ? { address: LOCAL_PEER, port: 0 } : { address: socket.remoteAddress ?? 'unknown', port: socket.remotePort ?? 0 };
}
