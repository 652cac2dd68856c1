// Accounting of the connections one listener holds. Two views: the sockets still open (graceful stop
// waits for them all to close) and the connections counted against the limits, total and per peer
// address. A protocol may stop counting a finished session before its socket has closed (IMAP LOGOUT),
// so a client that reconnects at once is not refused for its own lingering socket.
import type { Socket } from 'node:net';

/**
 * The table a socket is in. Every socket's 'close' listener is the one shared function below, which
 * finds its table here: a parked connection holds no closure of its own for it (issue #18).
 */
const tableOf = Symbol('connectionTable');
type TabledSocket = Socket & { [tableOf]?: ConnectionTable };

function onTabledSocketClose(this: TabledSocket): void {
  this[tableOf]?.closed(this);
}

export class ConnectionTable {
  private readonly live = new Set<Socket>();
  private readonly counted = new Map<Socket, string>();
  private readonly perIp = new Map<string, number>();
  private emptied: Array<() => void> = [];

  /** `onClosed`: runs as each socket in the table closes (the listener's open-connections gauge). */
  constructor(private readonly onClosed: () => void = () => undefined) {}

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

  add(socket: TabledSocket, ip: string): void {
    this.live.add(socket);
    this.counted.set(socket, ip);
    this.perIp.set(ip, this.countFrom(ip) + 1);
    socket[tableOf] = this;
    socket.on('close', onTabledSocketClose);
  }

  /** `socket` has closed (its 'close' listener). */
  closed(socket: Socket): void {
    if (!this.live.delete(socket)) return;
    this.release(socket);
    this.onClosed();
    if (this.live.size === 0) this.notifyEmpty();
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
