// A minimal ManageSieve client over a raw socket, for tests that must send exactly the bytes they
// mean (SASL exchanges, literals, hostile input, STARTTLS) and read each response as the server wrote
// it. A response is every line up to the one starting OK, NO or BYE; server literals {n} are read whole.
import net from 'node:net';
import { connectClient, upgradeClient } from '../support/tcp.js';
import { withDeadline } from '../support/wait.js';

const WAIT_MS = 10_000;

export interface SieveResponse {
  /** The lines before the status line (capabilities, LISTSCRIPTS entries), literals inlined. */
  lines: string[];
  /** The status line: OK/NO/BYE [(code)] ["text"]. */
  status: string;
}

export class RawSieveClient {
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private ended = false;
  closed!: Promise<void>;

  private constructor(private socket: net.Socket) {
    this.attach(socket);
  }

  /** Connects and reads the greeting (capabilities + OK). */
  static async connect(port: number, options: { tls?: boolean } = {}): Promise<{ client: RawSieveClient; greeting: SieveResponse }> {
    const socket = await connectClient(port, options.tls === true, 'ManageSieve connect');
    const client = new RawSieveClient(socket);
    return { client, greeting: await client.response() };
  }

  private attach(socket: net.Socket): void {
    socket.on('data', (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.ended = true;
        for (const w of this.waiters.splice(0)) w();
        resolve();
      });
    });
  }

  private async more(): Promise<void> {
    if (this.ended) throw new Error('connection closed');
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** One logical line: a line whose end announces {n} continues with the n octets and the next line. */
  private async nextLine(): Promise<string> {
    let out = '';
    for (;;) {
      const lf = this.buffer.indexOf('\r\n');
      if (lf < 0) {
        await this.more();
        continue;
      }
      const line = this.buffer.subarray(0, lf).toString('utf8');
      const m = /\{(\d+)\}$/.exec(line);
      if (!m) {
        this.buffer = this.buffer.subarray(lf + 2);
        return out + line;
      }
      const n = Number(m[1]);
      while (this.buffer.length < lf + 2 + n) await this.more();
      out += line.slice(0, m.index) + this.buffer.subarray(lf + 2, lf + 2 + n).toString('utf8');
      this.buffer = this.buffer.subarray(lf + 2 + n);
    }
  }

  async line(): Promise<string> {
    return withDeadline(this.nextLine(), WAIT_MS, 'a ManageSieve line');
  }

  async response(): Promise<SieveResponse> {
    const lines: string[] = [];
    for (;;) {
      const l = await this.line();
      if (/^(OK|NO|BYE)\b/.test(l)) return { lines, status: l };
      lines.push(l);
    }
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<SieveResponse> {
    this.send(`${line}\r\n`);
    return this.response();
  }

  /** STARTTLS, the handshake, and the capabilities the server re-issues after it. */
  async startTls(): Promise<SieveResponse> {
    const r = await this.command('STARTTLS');
    if (!r.status.startsWith('OK')) throw new Error(`STARTTLS refused: ${r.status}`);
    const old = this.socket;
    old.removeAllListeners('data');
    old.removeAllListeners('close');
    const secure = await upgradeClient(old, 'TLS handshake');
    this.socket = secure;
    this.buffer = Buffer.alloc(0);
    this.attach(secure);
    return this.response();
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A (UTF-8) string as a client literal {n+}. */
export function literal(text: string): string {
  return `{${Buffer.byteLength(text, 'utf8')}+}\r\n${text}`;
}
