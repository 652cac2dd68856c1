// A line protocol's connection over an accepted socket (SMTP, POP3), upgradable to TLS in place for
// STARTTLS/STLS (the network edge does the handshake). Output back-pressure is the edge's, as for IMAP: a client that pipelines
// without reading our replies is paused, and the session runs no further command, until it reads
// them. Input flow control is the session's (pauseInput/resumeInput): it stops reading while it is
// busy and enough input waits; resuming never overrides a pause for output.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { holdInput, readyForNextCommand, releaseInput, writeWithBackpressure } from './backpressure.js';
import type { StreamConnection } from './stream-connection.js';

/** How long a client that never closes its side may hold the connection after we ended it. */
const END_LINGER_MS = 5000;

export interface SocketEvents {
  data(chunk: Buffer): void;
  /** The peer went away or the socket failed. */
  closed(): void;
  timeout(): void;
}

export class SocketConnection implements StreamConnection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  private socket: Socket;
  private isSecure: boolean;
  private ended = false;

  /** `upgrade` is absent when the listener offers no STARTTLS. */
  constructor(
    socket: Socket,
    secure: boolean,
    private readonly upgrade: ((raw: Socket) => Promise<TLSSocket>) | undefined,
    private readonly events: SocketEvents,
    private readonly idleMs: number,
    /**
     * The peer as the listener names it: a Unix socket peer has no address of its own, and behind a
     * PROXY protocol balancer the client is the one its header names.
     */
    peer: { address: string; port: number } = { address: socket.remoteAddress ?? 'unknown', port: socket.remotePort ?? 0 },
  ) {
    this.socket = socket;
    this.isSecure = secure;
    this.remoteAddress = peer.address;
    this.remotePort = peer.port;
    this.localPort = socket.localPort ?? 0;
    this.attach(socket);
  }

  get secure(): boolean {
    return this.isSecure;
  }

  get canStartTls(): boolean {
    return this.upgrade !== undefined && !this.isSecure;
  }

  write(data: string | Uint8Array): void {
    if (this.ended) return;
    writeWithBackpressure(this.socket, data);
  }

  readyForNextCommand(afterInput: boolean): Promise<void> {
    return readyForNextCommand(this.socket, afterInput ? 'after-input' : 'continuing');
  }

  pauseInput(): void {
    holdInput(this.socket, 'input');
  }

  resumeInput(): void {
    releaseInput(this.socket, 'input');
  }

  async startTls(): Promise<void> {
    if (!this.upgrade) throw new Error('TLS upgrade is not configured');
    const raw = this.socket;
    this.detach(raw);
    const secureSocket = await this.upgrade(raw);
    this.socket = secureSocket;
    this.isSecure = true;
    this.attach(secureSocket);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.end();
    // A client that never closes its side must not hold the connection open forever.
    const socket = this.socket;
    setTimeout(() => socket.destroy(), END_LINGER_MS).unref();
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
