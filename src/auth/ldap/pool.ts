// A small pool of LDAP connections. Searches share bound service connections instead of paying a
// TCP (and TLS, and bind) handshake per login; password checks use a separate pool because binding
// as a user changes a connection's identity.
import type { Client } from 'ldapts';
import { UsersRepositoryUnavailableError } from '../users/types.js';
import { closeQuietly, type LdapConnection, type LdapConnector } from './connector.js';
import { describeError, isConnectionFailure } from './errors.js';

type Waiter = (handOver: LdapConnection | undefined) => void;

export class LdapConnectionPool {
  private readonly idle: LdapConnection[] = [];
  private readonly waiters: Waiter[] = [];
  private total = 0;
  private closed = false;

  constructor(
    private readonly connector: LdapConnector,
    private readonly size: number,
    /** Bound right after connecting (service account), or undefined for anonymous connections. */
    private readonly bind: { dn: string; password: string } | undefined,
    private readonly label: string,
  ) {}

  /**
   * Runs `op` on a pooled connection. If the connection turns out to be dead (the server restarted,
   * a network blip), the idle ones are dropped too and `op` runs once more on a fresh connection,
   * possibly on another host. Errors the server answered with are passed through unchanged.
   */
  async use<T>(op: (client: Client) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const conn = await this.acquire();
      try {
        const result = await op(conn.client);
        this.release(conn);
        return result;
      } catch (err) {
        if (!isConnectionFailure(err)) {
          this.release(conn);
          throw err;
        }
        this.discard(conn);
        this.connector.markDown(conn.endpoint, err);
        this.dropIdle();
        if (attempt >= 2) {
          throw new UsersRepositoryUnavailableError(
            `LDAP ${this.label} failed on ${conn.endpoint.url}: ${describeError(err)}`,
            { cause: err },
          );
        }
      }
    }
  }

  private async acquire(): Promise<LdapConnection> {
    for (;;) {
      if (this.closed) throw new UsersRepositoryUnavailableError('the LDAP users repository is closed');
      const conn = this.idle.pop();
      if (!conn) break;
      // A connection the server closed while it sat idle is useless; ldapts noticed the close.
      if (conn.client.isConnected) return conn;
      this.discard(conn);
    }
    if (this.total >= this.size) {
      const handedOver = await new Promise<LdapConnection | undefined>((resolve) => this.waiters.push(resolve));
      if (handedOver) return handedOver;
      return this.acquire();
    }
    this.total++;
    try {
      return await this.connector.open(this.bind);
    } catch (err) {
      this.total--;
      this.wakeOne(undefined);
      throw err;
    }
  }

  private release(conn: LdapConnection): void {
    if (this.closed || !conn.client.isConnected) {
      this.discard(conn);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter(conn);
    else this.idle.push(conn);
  }

  private discard(conn: LdapConnection): void {
    this.total--;
    void closeQuietly(conn.client);
    this.wakeOne(undefined);
  }

  /** After one connection died, the idle ones to the same server are most likely dead as well. */
  private dropIdle(): void {
    for (const conn of this.idle.splice(0)) {
      this.total--;
      void closeQuietly(conn.client);
    }
  }

  private wakeOne(handOver: LdapConnection | undefined): void {
    this.waiters.shift()?.(handOver);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
    const idle = this.idle.splice(0);
    this.total -= idle.length;
    await Promise.all(idle.map((c) => closeQuietly(c.client)));
  }
}
