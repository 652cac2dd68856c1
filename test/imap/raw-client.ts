// A byte-level IMAP client for protocol tests: writes exactly what the test says and collects
// response lines, so hostile input can be sent as-is. The socket, buffering and TLS upgrade are
// RawLineSocket's, held rather than inherited: here `closed` is a flag, as the tests read it.
import net from 'node:net';
import { RawLineSocket } from '../support/raw-line-socket.js';
import { connectClient } from '../support/tcp.js';

/** The name the tests' certificates are issued to. */
const SERVERNAME = 'localhost';

/** RawLineSocket with the reads RawClient needs made reachable. */
class ImapLines extends RawLineSocket {
  constructor(socket: net.Socket) {
    super(socket);
  }

  /** The next line, or undefined when the connection closed without one; rejects after `ms`. */
  async line(ms: number): Promise<string | undefined> {
    await this.buffered(() => this.hasLine || this.isClosed, ms, 'an IMAP response line');
    return this.hasLine ? this.takeLine('latin1') : undefined;
  }

  /** Resolves once the connection is closed; rejects after `ms`. */
  async end(ms: number): Promise<void> {
    await this.buffered(() => this.isClosed, ms, 'the connection to close');
  }

  sendFlushed(data: string | Buffer): Promise<void> {
    return this.flushed(data);
  }

  starttls(ca: string | undefined): Promise<void> {
    return this.upgrade('IMAP STARTTLS handshake', { servername: SERVERNAME, ...(ca ? { ca } : {}) });
  }
}

export class RawClient {
  private readonly lines: ImapLines;

  constructor(socket: net.Socket) {
    this.lines = new ImapLines(socket);
  }

  /** The transport (the TLS socket after `upgrade`). */
  get socket(): net.Socket {
    return this.lines.socket;
  }

  get closed(): boolean {
    return this.lines.isClosed;
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
    const socket = await connectClient(port, opts.tls === true, 'IMAP connect', { servername: SERVERNAME, ...(opts.ca ? { ca: opts.ca } : {}) });
    const c = new RawClient(socket);
    await c.readLine();
    return c;
  }

  write(data: string | Buffer): void {
    this.lines.send(data);
  }

  /** Writes and resolves once the bytes are handed to the kernel (so a close cannot overtake them). */
  send(data: string | Buffer): Promise<void> {
    return this.lines.sendFlushed(data);
  }

  /** The next line without its CRLF; '' when the connection closed without one. */
  async readLine(ms = 5000): Promise<string> {
    return (await this.lines.line(ms)) ?? '';
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
      await this.lines.end(ms);
      return true;
    } catch {
      return false;
    }
  }

  /** STARTTLS upgrade of this socket (after the server's OK). */
  async upgrade(ca?: string): Promise<void> {
    await this.lines.starttls(ca);
  }

  close(): void {
    this.lines.close();
  }
}
