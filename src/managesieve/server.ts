// One ManageSieve listener block (managesieveserver.xml <managesieveserver>). Binding, implicit TLS
// and STARTTLS, the connection limits and the stop deadline are the network edge's (src/net); this
// file turns accepted sockets into ManageSieve sessions with their idle timeout.
import type { ManageSieveServerConfig } from '../config/types.js';
import type { ProtocolServer } from '../core/protocol.js';
import type { Logger } from '../log/logger.js';
import { NetListener, acceptLineSession, stopLineSessions, type AcceptedConnection, type RefusalReason } from '../net/index.js';
import type { ManageSieveDeps } from './deps.js';
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from './limits.js';
import { bye } from './proto/response.js';
import { ManageSieveSession } from './session.js';

/** A refused client gets this long to read its BYE before the socket is destroyed. */
const REFUSAL_LINGER_MS = 2000;

const REFUSAL_TEXT: Record<RefusalReason, string> = {
  stopping: 'Service shutting down',
  limit: 'Too many connections, try again later',
  perIpLimit: 'Too many connections from your address, try again later',
};

export class ManageSieveServer implements ProtocolServer {
  readonly name: string;
  private readonly listener: NetListener;
  private readonly sessions = new Set<ManageSieveSession>();
  private readonly limits: SessionLimits;
  private readonly log: Logger;

  constructor(
    private readonly config: ManageSieveServerConfig,
    private readonly deps: ManageSieveDeps,
  ) {
    this.name = config.name;
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...deps.limits };
    this.log = deps.logger.child({ managesieve: config.name });
    this.listener = new NetListener({
      settings: config,
      refusal: (reason) => bye(REFUSAL_TEXT[reason], 'TRYLATER'),
      refusalLingerMs: REFUSAL_LINGER_MS,
      logger: this.log,
      onConnection: (c) => this.accept(c),
    });
  }

  start(): Promise<void> {
    return this.listener.start();
  }

  /** Bound addresses (ports resolved when configured as 0). */
  addresses(): Array<{ host: string; port: number }> {
    return this.listener.addresses();
  }

  /** Live sessions, for tests. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  describe(): string[] {
    if (this.config.tls.socketTLS) return this.listener.urls('sieve').map((u) => `${u} (TLS)`);
    const note = this.listener.canStartTls ? ' (STARTTLS)' : '';
    return this.listener.urls('sieve').map((u) => `${u}${note}`);
  }

  stop(deadline: Date): Promise<void> {
    return stopLineSessions(this.listener, this.sessions, deadline);
  }

  private accept(accepted: AcceptedConnection): void {
    acceptLineSession({
      listener: this.listener,
      accepted,
      timeoutSeconds: this.config.timeout,
      sessions: this.sessions,
      create: (conn) => new ManageSieveSession(this.config, this.deps, conn, this.limits),
    });
  }
}
