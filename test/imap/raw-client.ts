// A byte-level IMAP client for protocol tests: writes exactly what the test says and collects
// response lines, so hostile input can be sent as-is.
import net from 'node:net';
import tls from 'node:tls';

export class RawClient {
  private buf = '';
  private waiters: Array<() => void> = [];
  closed = false;

  constructor(public socket: net.Socket) {
    this.attach(socket);
  }

  private attach(socket: net.Socket): void {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
    socket.on('error', () => undefined);
  }

  /** A clear connection already logged in with LOGIN (throws with the server's answer otherwise). */
  static async loggedIn(port: number, user: string, password: string): Promise<RawClient> {
    const c = await RawClient.connect(port);
    const last = (await c.command('l', `LOGIN ${user} ${password}`)).at(-1) ?? '';
    if (!/^l OK/.test(last)) {
      c.close();
      throw new Error(`LOGIN ${user} failed: ${last}`);
    }
    return c;
  }

  /** Logs in, runs the commands in turn (tagged t0, t1, …) and returns each one's lines; then closes. */
  static async commandsAs(port: number, user: string, password: string, cmds: readonly string[]): Promise<string[][]> {
    const c = await RawClient.loggedIn(port, user, password);
    try {
      const out: string[][] = [];
      for (const [i, cmd] of cmds.entries()) out.push(await c.command(`t${i}`, cmd));
      return out;
    } finally {
      c.close();
    }
  }

  static async connect(port: number, opts: { tls?: boolean; ca?: string } = {}): Promise<RawClient> {
    const socket = opts.tls
      ? tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ...(opts.ca ? { ca: opts.ca } : { rejectUnauthorized: false }) })
      : net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const c = new RawClient(socket);
    await c.readLine();
    return c;
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async wait(cond: () => boolean, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > until) throw new Error(`timeout; buffer: ${JSON.stringify(this.buf.slice(-500))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Writes and resolves once the bytes are handed to the kernel (so a close cannot overtake them). */
  send(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  async readLine(ms = 5000): Promise<string> {
    await this.wait(() => this.buf.includes('\r\n') || this.closed, ms);
    const i = this.buf.indexOf('\r\n');
    if (i < 0) return '';
    const line = this.buf.slice(0, i);
    this.buf = this.buf.slice(i + 2);
    return line;
  }

  /** Reads lines up to and including the tagged reply for `tag`; returns all of them. */
  async until(tag: string, ms = 10_000): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.readLine(ms);
      if (line === '' && this.closed) throw new Error(`closed before ${tag}; got ${JSON.stringify(lines)}`);
      lines.push(line);
      if (line.startsWith(`${tag} `)) return lines;
    }
  }

  async command(tag: string, text: string, ms?: number): Promise<string[]> {
    this.write(`${tag} ${text}\r\n`);
    return this.until(tag, ms);
  }

  async closedWithin(ms: number): Promise<boolean> {
    try {
      await this.wait(() => this.closed, ms);
      return true;
    } catch {
      return false;
    }
  }

  /** STARTTLS upgrade of this socket (after the server's OK). */
  async upgrade(ca?: string): Promise<void> {
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    const t = tls.connect({ socket: raw, servername: 'localhost', ...(ca ? { ca } : { rejectUnauthorized: false }) });
    await new Promise<void>((resolve, reject) => {
      t.once('secureConnect', () => resolve());
      t.once('error', reject);
    });
    this.socket = t;
    this.buf = '';
    this.attach(t);
  }

  close(): void {
    this.socket.destroy();
  }
}
