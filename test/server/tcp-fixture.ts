// A minimal ProtocolServer over a real TCP listener, for lifecycle tests: it greets each connection,
// and on stop closes the listener, lets clients finish until the deadline, then destroys the rest.
import { createServer, type Server, type Socket } from 'node:net';
import type { ProtocolServer } from '../../src/core/protocol.js';

export class TcpTestServer implements ProtocolServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  readonly stopDeadlines: Date[] = [];
  started = false;
  stopped = false;

  constructor(
    readonly name: string,
    private readonly host = '127.0.0.1',
    private readonly port = 0,
  ) {}

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {});
        socket.write(`* ${this.name} ready\r\n`);
      });
      server.once('error', (err) => reject(new Error(`cannot listen on ${this.host}:${this.port}: ${(err as NodeJS.ErrnoException).code}`)));
      server.listen(this.port, this.host, () => {
        this.server = server;
        this.started = true;
        resolve();
      });
    });
  }

  get boundPort(): number {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : 0;
  }

  describe(): string[] {
    return this.server ? [`tcp://${this.host}:${this.boundPort} (test)`] : [];
  }

  async stop(deadline: Date): Promise<void> {
    this.stopDeadlines.push(deadline);
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.end('* BYE shutting down\r\n');
    const timer = setTimeout(() => {
      for (const socket of this.sockets) socket.destroy();
    }, Math.max(0, deadline.getTime() - Date.now()));
    await closed;
    clearTimeout(timer);
    this.stopped = true;
  }
}
