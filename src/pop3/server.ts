// One POP3 listener block (pop3server.xml <pop3server>). Binding, implicit TLS (995-style) and STLS,
// the connection limits and the stop deadline are the network edge's (src/net); this file turns
// accepted sockets into POP3 sessions with their idle timeout.
import type { Pop3ServerConfig } from '../config/types.js';
import type { ProtocolServer } from '../core/protocol.js';
import type { Logger } from '../log/logger.js';
import { NetListener, acceptLineSession, stopLineSessions, type AcceptedConnection, type RefusalReason } from '../net/index.js';
import type { Pop3Deps } from './deps.js';
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from './limits.js';
import { err } from './proto/response.js';
import { Pop3Session } from './session.js';

/** A refused client gets this long to read its -ERR before the socket is destroyed. */
const REFUSAL_LINGER_MS = 2000;

const REFUSAL_TEXT: Record<RefusalReason, string> = {
  stopping: 'Service shutting down',
  limit: 'Too many connections, try again later',
  perIpLimit: 'Too many connections from your address, try again later',
};

export class Pop3Server implements ProtocolServer {
  readonly name: string;
  private readonly listener: NetListener;
  private readonly sessions = new Set<Pop3Session>();
  private readonly limits: SessionLimits;
  private readonly log: Logger;

  constructor(
    private readonly config: Pop3ServerConfig,
    private readonly deps: Pop3Deps,
  ) {
    this.name = config.name;
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...deps.limits };
    this.log = deps.logger.child({ pop3: config.name });
    this.listener = new NetListener({
      settings: config,
      refusal: (reason) => err(REFUSAL_TEXT[reason], 'SYS/TEMP'),
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
    if (this.config.tls.socketTLS) return this.listener.urls('pop3s').map((u) => `${u} (TLS)`);
    const note = this.listener.canStartTls ? ' (STLS)' : '';
    return this.listener.urls('pop3').map((u) => `${u}${note}`);
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
      create: (conn) => new Pop3Session(this.config, this.deps, conn, this.limits),
    });
  }
}
