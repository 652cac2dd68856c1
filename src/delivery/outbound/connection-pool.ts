// Outbound connection reuse per destination: queued messages to the same next hop share one SMTP
// connection instead of paying TCP, TLS and AUTH each time (Postfix's connection cache). A connection
// carries at most `maxMessagesPerConnection` messages and is closed after `idleMs` without one; at
// most `maxConnectionsPerDestination` connections to one hop are open at once, further senders wait
// for one to be handed back (so a burst to one destination does not open a connection per message).
import type { NextHop } from './next-hop.js';
import { HopSession, type ClientOptions } from './smtp-client.js';

export interface PoolOptions {
  /** Messages per connection before it is closed (default 100). */
  maxMessagesPerConnection?: number;
  /** How long an idle connection is kept for the next message (default 5 s). */
  idleMs?: number;
  /** Simultaneous connections to one next hop (default 4). */
  maxConnectionsPerDestination?: number;
}

interface Destination {
  idle: Array<{ session: HopSession; timer: NodeJS.Timeout }>;
  open: number;
  waiters: Array<() => void>;
}

export type OpenSession = (hop: NextHop, options: ClientOptions) => Promise<HopSession>;

export class HopConnectionPool {
  private readonly destinations = new Map<string, Destination>();
  private readonly maxMessages: number;
  private readonly idleMs: number;
  private readonly maxConnections: number;
  /** Connections opened since start (for logs and tests). */
  opened = 0;

  constructor(
    options: PoolOptions = {},
    private readonly openSession: OpenSession = (hop, o) => HopSession.open(hop, o),
  ) {
    this.maxMessages = Math.max(1, options.maxMessagesPerConnection ?? 100);
    this.idleMs = Math.max(0, options.idleMs ?? 5000);
    this.maxConnections = Math.max(1, options.maxConnectionsPerDestination ?? 4);
  }

  /**
   * Runs `use` with a connection to `hop` opened with `options` (a verified-TLS connection is never
   * shared with an opportunistic one). The connection goes back to the pool if it is still healthy.
   */
  async withSession<T>(hop: NextHop, options: ClientOptions, use: (session: HopSession) => Promise<T>): Promise<T> {
    const key = `${hop.host}|${hop.address ?? ''}|${hop.port}|${hop.secure}|${hop.auth?.user ?? ''}|${options.verifyTls}`;
    let dest = this.destinations.get(key);
    if (!dest) {
      dest = { idle: [], open: 0, waiters: [] };
      this.destinations.set(key, dest);
    }
    const session = await this.acquire(dest, hop, options);
    try {
      return await use(session);
    } finally {
      this.release(key, dest, session);
    }
  }

  private async acquire(dest: Destination, hop: NextHop, options: ClientOptions): Promise<HopSession> {
    for (;;) {
      while (dest.idle.length > 0) {
        const { session, timer } = dest.idle.pop()!;
        clearTimeout(timer);
        if (session.usable) return session;
        dest.open--;
      }
      if (dest.open < this.maxConnections) {
        dest.open++;
        try {
          const session = await this.openSession(hop, options);
          this.opened++;
          return session;
        } catch (err) {
          dest.open--;
          this.wakeOne(dest);
          throw err;
        }
      }
      await new Promise<void>((resolve) => dest.waiters.push(resolve));
    }
  }

  private release(key: string, dest: Destination, session: HopSession): void {
    if (!session.usable || session.messages >= this.maxMessages || this.idleMs === 0) {
      session.end();
      dest.open--;
    } else {
      const timer = setTimeout(() => {
        const i = dest.idle.findIndex((e) => e.session === session);
        if (i >= 0) {
          dest.idle.splice(i, 1);
          dest.open--;
          session.end();
          if (dest.open === 0 && dest.waiters.length === 0) this.destinations.delete(key);
        }
      }, this.idleMs);
      timer.unref();
      dest.idle.push({ session, timer });
    }
    this.wakeOne(dest);
  }

  private wakeOne(dest: Destination): void {
    dest.waiters.shift()?.();
  }

  /** Closes every idle connection (worker stop). Connections in use close when handed back. */
  closeIdle(): void {
    for (const dest of this.destinations.values()) {
      for (const { session, timer } of dest.idle.splice(0)) {
        clearTimeout(timer);
        session.end();
        dest.open--;
      }
    }
  }
}
