// A minimal SMTP client over a raw socket, for tests that must send exactly the bytes they mean
// (hostile input, pipelining, STARTTLS injection) and read each reply as the server wrote it.
import net from 'node:net';
import tls from 'node:tls';

export interface RawReply {
  code: number;
  lines: string[];
  /** The reply as received, lines joined with "\n". */
  text: string;
}

export class RawSmtpClient {
  private buffer = '';
  private replies: RawReply[] = [];
  private waiters: Array<(r: RawReply | undefined) => void> = [];
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(private socket: net.Socket) {
    this.closed = new Promise((resolve) => {
      this.attach(socket, resolve);
    });
  }

  /**
   * `localAddress`: the loopback address to connect from (127.x.y.z), to stand for another client host.
   * `proxyHeader`: sent first, as a load balancer would (before the TLS handshake under `tls`).
   */
  static async connect(port: number, options: { tls?: boolean; localAddress?: string; proxyHeader?: string | Buffer } = {}): Promise<{ client: RawSmtpClient; greeting: RawReply }> {
    const from = options.localAddress ? { localAddress: options.localAddress } : {};
    let socket: net.Socket;
    if (options.proxyHeader !== undefined) {
      const raw = net.connect({ host: '127.0.0.1', port, ...from });
      await new Promise<void>((resolve, reject) => {
        raw.once('connect', () => resolve());
        raw.once('error', reject);
      });
      raw.write(options.proxyHeader);
      socket = options.tls ? tls.connect({ socket: raw, rejectUnauthorized: false }) : raw;
      if (options.tls) await new Promise<void>((resolve, reject) => socket.once('secureConnect', () => resolve()).once('error', reject));
    } else {
      socket = options.tls ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...from }) : net.connect({ host: '127.0.0.1', port, ...from });
      await new Promise<void>((resolve, reject) => {
        socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
        socket.once('error', reject);
      });
    }
    socket.setNoDelay(true);
    const client = new RawSmtpClient(socket);
    const greeting = await client.read();
    return { client, greeting };
  }

  private attach(socket: net.Socket, onClose?: () => void): void {
    socket.on('data', (d: Buffer) => this.onData(d.toString('utf8')));
    socket.on('error', () => undefined);
    if (onClose) {
      socket.on('close', () => {
        this.ended = true;
        for (const w of this.waiters.splice(0)) w(undefined);
        onClose();
      });
    }
  }

  private onData(text: string): void {
    this.buffer += text;
    for (;;) {
      const lf = this.buffer.indexOf('\r\n');
      if (lf < 0) break;
      const line = this.buffer.slice(0, lf);
      this.buffer = this.buffer.slice(lf + 2);
      this.pending.push(line);
      if (/^\d{3}( |$)/.test(line)) {
        const lines = this.pending.splice(0);
        const r: RawReply = { code: Number(line.slice(0, 3)), lines: lines.map((l) => l.slice(4)), text: lines.join('\n') };
        const w = this.waiters.shift();
        if (w) w(r);
        else this.replies.push(r);
      }
    }
  }
  private pending: string[] = [];

  /** Next reply; rejects if the connection closes first. */
  async read(): Promise<RawReply> {
    const r = this.replies.shift();
    if (r) return r;
    if (this.ended) throw new Error('connection closed');
    const next = await new Promise<RawReply | undefined>((resolve) => this.waiters.push(resolve));
    if (!next) throw new Error('connection closed');
    return next;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Writes and resolves once the bytes are handed to the kernel (so a close cannot overtake them). */
  send(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  async command(line: string): Promise<RawReply> {
    this.write(`${line}\r\n`);
    return this.read();
  }

  /** After a 220 to STARTTLS: handshake on the same socket. */
  async upgrade(): Promise<void> {
    const raw = this.socket;
    raw.removeAllListeners('data');
    const secure = tls.connect({ socket: raw, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.attach(secure);
  }

  get isClosed(): boolean {
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }
}
