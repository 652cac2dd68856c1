// IMAP listeners: one ProtocolServer per imapserver.xml block. Binding, TLS, connection limits and
// the stop deadline are the network edge's (src/net); this file turns accepted sockets into IMAP
// sessions and says goodbye with `* BYE` so clients reconnect elsewhere.
import type { ImapServerConfig } from '../config/types.js';
import type { ProtocolServer, TlsMaterialLookup } from '../core/protocol.js';
import { NetListener, newSessionId, type AcceptedConnection } from '../net/index.js';
import { ImapConnection } from './connection.js';
import { ImapSession } from './session.js';
import { runSession } from './dispatch.js';
import type { ImapDeps } from './types.js';
import { preAuthLimits } from './limits.js';
import { join } from 'node:path';
import { SpoolDir } from '../store/index.js';

export class ImapServer implements ProtocolServer {
  readonly name: string;
  private readonly listener: NetListener;
  private readonly sessions = new Set<ImapSession>();
  /** This listener's own spool directory: a start-up sweep there cannot touch another's messages. */
  readonly spool: SpoolDir;

  constructor(
    private readonly deps: ImapDeps,
    private readonly config: ImapServerConfig,
  ) {
    this.name = config.name;
    this.listener = new NetListener({
      settings: config,
      refusal: (reason) =>
        reason === 'stopping' ? '* BYE [UNAVAILABLE] Server shutting down\r\n' : '* BYE [UNAVAILABLE] Too many connections, try again later\r\n',
      logger: deps.logger.child({ proto: 'imap', listener: config.name }),
      onConnection: (c) => this.accept(c),
    });
    this.spool = new SpoolDir(join(deps.spoolDir, config.name));
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  async start(): Promise<void> {
    await this.spool.prepare();
    await this.listener.start();
  }

  /** Ports actually bound (tests listen on port 0). */
  ports(): number[] {
    return this.listener.ports();
  }

  describe(): string[] {
    if (this.config.tls.socketTLS) return this.listener.urls('imaps');
    const note = this.listener.canStartTls ? ' (STARTTLS)' : '';
    return this.listener.urls('imap').map((u) => `${u}${note}`);
  }

  private accept(accepted: AcceptedConnection): void {
    const id = newSessionId();
    const logger = this.deps.logger.child({ proto: 'imap', listener: this.name, session: id, peer: accepted.remoteAddress });
    const connection = new ImapConnection({
      socket: accepted.socket,
      secure: accepted.secure,
      remoteAddress: accepted.remoteAddress,
      limits: preAuthLimits(this.config),
      timeoutSeconds: this.config.timeout,
      logger,
      ...(this.listener.canStartTls ? { startTls: (raw) => this.listener.startTls(raw) } : {}),
    });
    const session = new ImapSession({ config: this.config, deps: this.deps, connection, logger, spool: this.spool, id });
    this.sessions.add(session);
    connection.onClose(() => {
      this.sessions.delete(session);
      accepted.release();
    });
    runSession(session).catch((err: unknown) => {
      logger.error({ err }, 'imap session failed');
      session.destroy();
    });
  }

  reloadTls(material: TlsMaterialLookup): number {
    return this.listener.reloadTls(material) ? 1 : 0;
  }

  stop(deadline: Date): Promise<void> {
    return this.listener.stop(deadline, {
      shutdown: () => {
        for (const s of this.sessions) s.shutdown();
      },
      expire: () => {
        for (const s of this.sessions) {
          s.write('* BYE Server shutting down\r\n');
          s.destroy();
        }
      },
    });
  }
}
