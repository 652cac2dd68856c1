// The socket half of the raw line-protocol clients (test/imap, test/smtp, test/pop3, test/managesieve):
// buffering what the server wrote, waiting for more with a deadline, reading CRLF lines, and the
// STARTTLS/STLS upgrade on the same socket. The protocol clients add their response framing on top.
import net from 'node:net';
import { upgradeClient, type ClientTls } from './tcp.js';
import { Wakeups } from './wait.js';

const CRLF = '\r\n';

export class RawLineSocket {
  protected buffer = Buffer.alloc(0);
  private readonly wakeups = new Wakeups();
  private ended = false;
  /** Resolves when the server (or the test) closed the connection. */
  closed!: Promise<void>;

  /** `socket`: the transport itself, for tests that act on it (pause it, write past the client). */
  protected constructor(public socket: net.Socket) {
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
    this.wakeups.wake();
  }

  /** Waits for more bytes; rejects once the connection is closed. */
  protected async more(): Promise<void> {
    if (this.ended) throw new Error('connection closed');
    await this.wakeups.next();
  }

  /**
   * Waits until `ready` holds, looked at again at each read and at the close. Nothing is consumed, so
   * a wait that times out leaves what arrived to the next reader. Rejects once the connection is
   * closed with `ready` still false, or naming `what` after `ms`.
   */
  protected async buffered(ready: () => boolean, ms: number, what: string): Promise<void> {
    const end = Date.now() + ms;
    while (!ready()) {
      if (this.ended) throw new Error(`connection closed while waiting for ${what}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what}; buffered: ${JSON.stringify(this.buffer.subarray(-500).toString('latin1'))}`);
      await this.wakeups.next(left);
    }
  }

  /** Whether a whole line is buffered. */
  protected get hasLine(): boolean {
    return this.buffer.includes(CRLF);
  }

  /** Waits for a whole line and returns the offset of its CRLF in `buffer` (the line is not consumed). */
  protected async lineEnd(ms = Infinity, what = 'a line'): Promise<number> {
    await this.buffered(() => this.hasLine, ms, what);
    return this.buffer.indexOf(CRLF);
  }

  /** The next line without its CRLF, consumed; within `ms` when given. */
  protected async takeLine(encoding: BufferEncoding, ms = Infinity, what = 'a line'): Promise<string> {
    const lf = await this.lineEnd(ms, what);
    const line = this.buffer.subarray(0, lf).toString(encoding);
    this.buffer = this.buffer.subarray(lf + 2);
    return line;
  }

  /** The TLS handshake on this socket, after the server said yes to STARTTLS/STLS. */
  protected async upgrade(what: string, options: ClientTls = {}): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    this.socket = await upgradeClient(plain, what, options);
    this.buffer = Buffer.alloc(0);
    this.attach(this.socket);
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Writes and resolves once the bytes are handed to the kernel (so a close cannot overtake them). */
  protected flushed(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  get isClosed(): boolean {
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }
}
