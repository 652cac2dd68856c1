// SmtpConnection over a TCP socket, upgradable to TLS in place for STARTTLS. Output backpressure:
// a client that pipelines without reading our replies is paused until it reads them.
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { SmtpConnection } from './connection.js';

const HIGH_WATER = 256 * 1024;

export interface SocketEvents {
  data(chunk: Buffer): void;
  /** The peer went away or the socket failed. */
  closed(): void;
  timeout(): void;
}

export class SocketConnection implements SmtpConnection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  private socket: Socket;
  private isSecure: boolean;
  private ended = false;

  constructor(
    socket: Socket,
    secure: boolean,
    private readonly secureContext: SecureContext | undefined,
    private readonly startTlsOffered: boolean,
    private readonly events: SocketEvents,
    private readonly idleMs: number,
  ) {
    this.socket = socket;
    this.isSecure = secure;
    this.remoteAddress = socket.remoteAddress ?? 'unknown';
    this.remotePort = socket.remotePort ?? 0;
    this.localPort = socket.localPort ?? 0;
    this.attach(socket);
  }

  get secure(): boolean {
    return this.isSecure;
  }

  get canStartTls(): boolean {
    return this.startTlsOffered && this.secureContext !== undefined && !this.isSecure;
  }

  write(data: string): void {
    if (this.ended || this.socket.destroyed) return;
    this.socket.write(data);
    if (this.socket.writableLength > HIGH_WATER && !this.socket.isPaused()) {
      this.socket.pause();
      this.socket.once('drain', () => this.socket.resume());
    }
  }

  startTls(): Promise<void> {
    const raw = this.socket;
    this.detach(raw);
    return new Promise((resolve, reject) => {
      const secureSocket = new TLSSocket(raw, { isServer: true, secureContext: this.secureContext });
      this.socket = secureSocket;
      const onError = (err: Error): void => {
        secureSocket.destroy();
        raw.destroy();
        reject(err);
      };
      secureSocket.once('error', onError);
      secureSocket.once('secure', () => {
        secureSocket.off('error', onError);
        this.isSecure = true;
        this.attach(secureSocket);
        resolve();
      });
    });
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.end();
    // A client that never closes its side must not hold the connection open forever.
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  destroy(): void {
    this.ended = true;
    this.socket.destroy();
  }

  private readonly onData = (chunk: Buffer): void => this.events.data(chunk);
  private readonly onClose = (): void => this.events.closed();
  private readonly onError = (): void => {
    // 'close' follows every 'error'; the session is told there.
  };
  private readonly onTimeout = (): void => this.events.timeout();

  private attach(socket: Socket): void {
    socket.setNoDelay(true);
    socket.setTimeout(this.idleMs);
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
    socket.on('timeout', this.onTimeout);
  }

  private detach(socket: Socket): void {
    socket.off('data', this.onData);
    socket.off('close', this.onClose);
    socket.off('timeout', this.onTimeout);
    socket.setTimeout(0);
    // keep the error listener: an error during the handshake must not crash the process
  }
}
