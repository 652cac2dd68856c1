// Accounting of the connections one listener holds. Two views: the sockets still open (graceful stop
// waits for them all to close) and the connections counted against the limits, total and per peer
// address. A protocol may stop counting a finished session before its socket has closed (IMAP LOGOUT),
// so a client that reconnects at once is not refused for its own lingering socket.
import type { Socket } from 'node:net';

export class ConnectionTable {
  private readonly live = new Set<Socket>();
  private readonly counted = new Map<Socket, string>();
  private readonly perIp = new Map<string, number>();
  private emptied: Array<() => void> = [];

  /** Connections counted against the limits. */
  get size(): number {
    return this.counted.size;
  }

  countFrom(ip: string): number {
    return this.perIp.get(ip) ?? 0;
  }

  /** Every socket still open, counted or not. */
  openSockets(): Socket[] {
    return [...this.live];
  }

  add(socket: Socket, ip: string): void {
    this.live.add(socket);
    this.counted.set(socket, ip);
    this.perIp.set(ip, this.countFrom(ip) + 1);
    socket.once('close', () => {
      this.release(socket);
      this.live.delete(socket);
      if (this.live.size === 0) this.notifyEmpty();
    });
  }

  /** Stops counting `socket` against the limits. Idempotent. */
  release(socket: Socket): void {
    const ip = this.counted.get(socket);
    if (ip === undefined) return;
    this.counted.delete(socket);
    const n = this.countFrom(ip) - 1;
    if (n <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, n);
  }

  /** Resolves once every socket has closed. */
  whenEmpty(): Promise<void> {
    if (this.live.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptied.push(resolve));
  }

  private notifyEmpty(): void {
    const waiting = this.emptied;
    this.emptied = [];
    for (const resolve of waiting) resolve();
  }
}
