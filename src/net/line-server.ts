// A listener whose every connection is one line-protocol session (POP3, ManageSieve): binding, the
// connection limits with the protocol's refusal, implicit TLS and STARTTLS, the idle timeout, the
// live-session set and the stop deadline. The protocol supplies its session and its words.
import type { ProtocolServer, TlsMaterialLookup } from '../core/protocol.js';
import { acceptLineSession, stopLineSessions } from './line-accept.js';
import type { LineSession } from './line-session.js';
import { NetListener, type AcceptedConnection, type ListenerSettings } from './listener.js';
import type { SocketConnection } from './socket-connection.js';
import type { NetLogger, RefusalReason } from './types.js';

/** A refused client gets this long to read its refusal before the socket is destroyed. */
const REFUSAL_LINGER_MS = 2000;

/** The text of each refusal, for the protocol to frame (POP3 -ERR, ManageSieve BYE). */
export const REFUSAL_TEXT: Record<RefusalReason, string> = {
  stopping: 'Service shutting down',
  limit: 'Too many connections, try again later',
  perIpLimit: 'Too many connections from your address, try again later',
};

export interface LineServerOptions<S extends LineSession<unknown>> {
  settings: ListenerSettings & { /** Idle timeout in seconds. */ timeout: number };
  logger: NetLogger;
  /** The framed refusal for a reason (its text is REFUSAL_TEXT[reason]). */
  refusal(reason: RefusalReason): string;
  /** URL schemes in describe(): of a clear listener and of an implicit-TLS one (pop3 / pop3s). */
  schemes: { clear: string; tls: string };
  /** The protocol's name for STARTTLS in describe() (POP3: STLS). */
  startTlsName?: string;
  create(conn: SocketConnection): S;
}

export class LineServer<S extends LineSession<unknown>> implements ProtocolServer {
  readonly name: string;
  private readonly listener: NetListener;
  private readonly sessions = new Set<S>();

  constructor(private readonly options: LineServerOptions<S>) {
    this.name = options.settings.name;
    this.listener = new NetListener({
      settings: options.settings,
      refusal: (reason) => options.refusal(reason),
      refusalLingerMs: REFUSAL_LINGER_MS,
      logger: options.logger,
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
    const { schemes, settings } = this.options;
    if (settings.tls.socketTLS) return this.listener.urls(schemes.tls).map((u) => `${u} (TLS)`);
    const note = this.listener.canStartTls ? ` (${this.options.startTlsName ?? 'STARTTLS'})` : '';
    return this.listener.urls(schemes.clear).map((u) => `${u}${note}`);
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
      timeoutSeconds: this.options.settings.timeout,
      sessions: this.sessions,
      create: (conn) => this.options.create(conn),
    });
  }
}
