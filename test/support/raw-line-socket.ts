// The socket half of the raw line-protocol clients (test/pop3, test/managesieve): buffering what the
// server wrote, waiting for more with a deadline, reading CRLF lines, and the STARTTLS/STLS upgrade on
// the same socket. The protocol clients add their response framing on top.
import net from 'node:net';
import { upgradeClient } from './tcp.js';

export class RawLineSocket {
  protected buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private ended = false;
  /** Resolves when the server (or the test) closed the connection. */
  closed!: Promise<void>;

  protected constructor(protected socket: net.Socket) {
    this.attach(socket);
  }

  private attach(socket: net.Socket): void {
    socket.on('data', (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.wake();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.ended = true;
        this.wake();
        resolve();
      });
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits for more bytes; rejects once the connection is closed. */
  protected async more(): Promise<void> {
    if (this.ended) throw new Error('connection closed');
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Waits for a whole line and returns the offset of its CRLF in `buffer` (the line is not consumed). */
  protected async lineEnd(): Promise<number> {
    for (;;) {
      const lf = this.buffer.indexOf('\r\n');
      if (lf >= 0) return lf;
      await this.more();
    }
  }

  /** The next line without its CRLF, consumed. */
  protected async takeLine(encoding: BufferEncoding): Promise<string> {
    const lf = await this.lineEnd();
    const line = this.buffer.subarray(0, lf).toString(encoding);
    this.buffer = this.buffer.subarray(lf + 2);
    return line;
  }

  /** The TLS handshake on this socket, after the server said yes to STARTTLS/STLS. */
  protected async upgrade(what: string): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    this.socket = await upgradeClient(plain, what);
    this.buffer = Buffer.alloc(0);
    this.attach(this.socket);
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  get isClosed(): boolean {
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }
}
