// A minimal SMTP client over a raw socket, for tests that must send exactly the bytes they mean
// (hostile input, pipelining, STARTTLS injection) and read each reply as the server wrote it.
// The socket, buffering and TLS upgrade are RawLineSocket's; this adds SMTP's multi-line replies.
import { RawLineSocket } from '../support/raw-line-socket.js';
import { connectClient, upgradeClient } from '../support/tcp.js';

export interface RawReply {
  code: number;
  lines: string[];
  /** The reply as received, lines joined with "\n". */
  text: string;
}

/** The last line of a reply: its code and a space, or the code alone. */
const FINAL_LINE = /^\d{3}( |$)/;

export class RawSmtpClient extends RawLineSocket {
  /** Replies are read one after another even when a test asks for several at once. */
  private reading: Promise<unknown> = Promise.resolve();

  /**
   * `localAddress`: the loopback address to connect from (127.x.y.z), to stand for another client host.
   * `proxyHeader`: sent first, as a load balancer would (before the TLS handshake under `tls`).
   */
  static async connect(port: number, options: { tls?: boolean; localAddress?: string; proxyHeader?: string | Buffer } = {}): Promise<{ client: RawSmtpClient; greeting: RawReply }> {
    const useTls = options.tls === true;
    const from = options.localAddress ? { localAddress: options.localAddress } : {};
    let socket = await connectClient(port, useTls && options.proxyHeader === undefined, 'SMTP connect', from);
    if (options.proxyHeader !== undefined) {
      socket.write(options.proxyHeader);
      if (useTls) socket = await upgradeClient(socket, 'SMTP TLS handshake after the PROXY header');
    }
    socket.setNoDelay(true);
    const client = new RawSmtpClient(socket);
    const greeting = await client.read();
    return { client, greeting };
  }

  /**
   * Next reply; rejects if the connection closes first, or naming the wait when no whole reply came
   * within `ms` (a server that stopped answering fails the test instead of hanging it).
   */
  read(ms = 60_000): Promise<RawReply> {
    const next = this.reading.then(() => this.reply(ms));
    this.reading = next.catch(() => undefined);
    return next;
  }

  private async reply(ms: number): Promise<RawReply> {
    const end = Date.now() + ms;
    const lines: string[] = [];
    for (;;) {
      const line = await this.takeLine('utf8', Math.max(0, end - Date.now()), 'the rest of an SMTP reply');
      lines.push(line);
      if (FINAL_LINE.test(line)) return { code: Number(line.slice(0, 3)), lines: lines.map((l) => l.slice(4)), text: lines.join('\n') };
    }
  }

  write(data: string | Buffer): void {
    super.send(data);
  }

  /** Writes and resolves once the bytes are handed to the kernel (so a close cannot overtake them). */
  override send(data: string | Buffer): Promise<void> {
    return this.flushed(data);
  }

  async command(line: string): Promise<RawReply> {
    this.write(`${line}\r\n`);
    return this.read();
  }

  /** After a 220 to STARTTLS: handshake on the same socket. */
  override async upgrade(): Promise<void> {
    await super.upgrade('SMTP STARTTLS handshake');
  }
}
