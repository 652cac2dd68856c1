// Turning an accepted socket into a line-protocol session (SMTP/LMTP, POP3): the SocketConnection
// whose events drive the session, the server's live-session set, and the release of the connection
// slot when the session ends. The session itself (and its greeting) is the protocol's.
import type { AcceptedConnection, NetListener } from './listener.js';
import type { LineSession } from './line-session.js';
import { SocketConnection } from './socket-connection.js';

export interface LineAcceptOptions<S extends LineSession<unknown>> {
  listener: NetListener;
  accepted: AcceptedConnection;
  /** Idle timeout of the connection, in seconds (the listener's <connectiontimeout>). */
  timeoutSeconds: number;
  /** The live sessions of the server, for shutdown. */
  sessions: Set<S>;
  create: (conn: SocketConnection) => S;
  /** Runs when the session has ended, before its connection slot is released. */
  ended?: (session: S) => void;
}

/** Opens the session on an accepted connection and greets the client. */
export function acceptLineSession<S extends LineSession<unknown>>(o: LineAcceptOptions<S>): S {
  const { listener, accepted } = o;
  let session: S | undefined;
  const conn = new SocketConnection(
    accepted.socket,
    accepted.secure,
    listener.canStartTls ? (raw) => listener.startTls(raw) : undefined,
    {
      data: (chunk) => session?.receive(chunk),
      closed: () => session?.disconnected(),
      timeout: () => session?.timedOut(),
    },
    o.timeoutSeconds * 1000,
    { address: accepted.remoteAddress, port: accepted.remotePort },
  );
  const s = o.create(conn);
  session = s;
  o.sessions.add(s);
  s.onClose = () => {
    o.ended?.(s);
    o.sessions.delete(s);
    accepted.release();
  };
  s.greet();
  return s;
}

/** Stops the listener; at the shutdown hook every live session is told (each at its command boundary). */
export function stopLineSessions(listener: NetListener, sessions: ReadonlySet<LineSession<unknown>>, deadline: Date): Promise<void> {
  return listener.stop(deadline, {
    shutdown: () => {
      for (const session of sessions) session.shutdown();
    },
  });
}
