// A minimal POP3 client over a raw socket, for tests that must send exactly the bytes they mean
// (SASL exchanges, hostile input, pipelining, STLS) and read each response as the server wrote it.
import net from 'node:net';
import { connectClient, upgradeClient } from '../support/tcp.js';
import { withDeadline } from '../support/wait.js';

const WAIT_MS = 10_000;

export class RawPop3Client {
  private buffer = Buffer.alloc(0);
  private lines: string[] = [];
  private waiters: Array<() => void> = [];
  private ended = false;
  closed!: Promise<void>;

  private constructor(private socket: net.Socket) {
    this.attach(socket);
  }

  static async connect(port: number, options: { tls?: boolean } = {}): Promise<{ client: RawPop3Client; greeting: string }> {
    const socket = await connectClient(port, options.tls === true, 'POP3 connect');
    const client = new RawPop3Client(socket);
    return { client, greeting: await client.line() };
  }

  private attach(socket: net.Socket): void {
    socket.on('data', (d: Buffer) => this.onData(d));
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

  private onData(d: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, d]);
    for (;;) {
      const lf = this.buffer.indexOf('\r\n');
      if (lf < 0) break;
      this.lines.push(this.buffer.subarray(0, lf).toString('latin1'));
      this.buffer = this.buffer.subarray(lf + 2);
    }
    this.wake();
  }

  /** The next line (without CRLF); rejects if the connection closes first. */
  async line(): Promise<string> {
    return withDeadline(this.nextLine(), WAIT_MS, 'a POP3 response line');
  }

  private async nextLine(): Promise<string> {
    for (;;) {
      const l = this.lines.shift();
      if (l !== undefined) return l;
      if (this.ended) throw new Error('connection closed');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** A multi-line body after a +OK status line: lines up to ".", un-stuffed. */
  async body(): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const l = await this.line();
      if (l === '.') return out;
      out.push(l.startsWith('.') ? l.slice(1) : l);
    }
  }

  send(raw: string | Buffer): void {
    this.socket.write(raw);
  }

  async command(line: string): Promise<string> {
    this.send(`${line}\r\n`);
    return this.line();
  }

  /** STLS and the TLS handshake on the same socket. */
  async stls(): Promise<string> {
    const status = await this.command('STLS');
    if (!status.startsWith('+OK')) return status;
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    const secure = await upgradeClient(raw, 'STLS handshake');
    this.socket = secure;
    this.attach(secure);
    return status;
  }

  get isClosed(): boolean {
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }
}
