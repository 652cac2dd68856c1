// One SMTP listener block (smtpserver.xml <smtpserver>, or lmtpserver.xml <lmtpserver> for LMTP). Binding, implicit TLS and STARTTLS, the
// connection limits (total and per IP → 421) and the stop deadline are the network edge's (src/net);
// this file turns accepted sockets into SMTP sessions with their idle timeout and relay rights.
import { join } from 'node:path';
import type { SmtpServerConfig } from '../config/types.js';
import type { ProtocolServer, TlsMaterialLookup } from '../core/protocol.js';
import type { Logger } from '../log/logger.js';
import { CidrList, NetListener, acceptLineSession, stopLineSessions, type AcceptedConnection, type RefusalReason } from '../net/index.js';
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from './limits.js';
import type { SmtpDeps } from './deps.js';
import { formatReply, reply } from './proto/reply.js';
import { SmtpSession } from './session.js';
import { SpoolDir } from '../store/index.js';

/** A refused client gets this long to read its 421 before the socket is destroyed. */
const REFUSAL_LINGER_MS = 2000;

const REFUSAL_TEXT: Record<RefusalReason, string> = {
  stopping: 'Service shutting down',
  limit: 'Too many connections, try again later',
  perIpLimit: 'Too many connections from your address, try again later',
};

export class SmtpServer implements ProtocolServer {
  readonly name: string;
  private readonly listener: NetListener;
  private readonly sessions = new Set<SmtpSession>();
  /** Peers that may relay without authenticating (<authorizedAddresses>). */
  private readonly authorized: CidrList;
  private readonly limits: SessionLimits;
  private readonly log: Logger;
  /** This listener's own spool directory: a start-up sweep there cannot touch another's messages. */
  readonly spool: SpoolDir;
  /** The largest peakBufferedBytes of the sessions that have ended. */
  private endedPeak = 0;

  constructor(
    private readonly config: SmtpServerConfig,
    private readonly deps: SmtpDeps,
  ) {
    this.name = config.name;
    this.authorized = new CidrList(config.authorizedAddresses);
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...deps.limits };
    this.log = deps.logger.child({ [config.lmtp ? 'lmtp' : 'smtp']: config.name });
    this.listener = new NetListener({
      settings: config,
      refusal: (reason) => formatReply(reply(421, '4.7.0', `${config.helloName} ${REFUSAL_TEXT[reason]}`)),
      refusalLingerMs: REFUSAL_LINGER_MS,
      logger: this.log,
      onConnection: (c) => this.accept(c),
    });
    // After the listener, whose constructor refuses unusable TLS settings before anything else.
    this.spool = new SpoolDir(join(deps.spoolDir, config.name));
  }

  async start(): Promise<void> {
    await this.spool.prepare();
    await this.listener.start();
  }

  /**
   * Memory held for client input and message data: now (all sessions) and the most any one session
   * has held at once since the server started. For tests and benchmarks.
   */
  bufferStats(): { sessions: number; bufferedBytes: number; peakSessionBytes: number } {
    let buffered = 0;
    let peak = this.endedPeak;
    for (const s of this.sessions) {
      buffered += s.bufferedBytes;
      peak = Math.max(peak, s.peakBufferedBytes);
    }
    return { sessions: this.sessions.size, bufferedBytes: buffered, peakSessionBytes: peak };
  }

  /** Bound addresses (ports resolved when configured as 0). */
  addresses(): Array<{ host: string; port: number }> {
    return this.listener.addresses();
  }

  describe(): string[] {
    if (this.config.tls.socketTLS) return this.listener.urls('smtps').map((u) => `${u} (TLS)`);
    const note = this.listener.canStartTls ? ' (STARTTLS)' : '';
    return this.listener.urls(this.config.lmtp ? 'lmtp' : 'smtp').map((u) => `${u}${note}`);
  }

  reloadTls(material: TlsMaterialLookup): number {
    return this.listener.reloadTls(material) ? 1 : 0;
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
      create: (conn) => new SmtpSession(this.config, this.deps, conn, this.limits, this.authorized.contains(accepted.remoteAddress), this.spool),
      ended: (s) => {
        this.endedPeak = Math.max(this.endedPeak, s.peakBufferedBytes);
      },
    });
  }
}
