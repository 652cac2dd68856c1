// A minimal POP3 client over a raw socket, for tests that must send exactly the bytes they mean
// (SASL exchanges, hostile input, pipelining, STLS) and read each response as the server wrote it.
import { connectClient } from '../support/tcp.js';
import { RawLineSocket } from '../support/raw-line-socket.js';

const WAIT_MS = 10_000;

export class RawPop3Client extends RawLineSocket {
  static async connect(port: number, options: { tls?: boolean } = {}): Promise<{ client: RawPop3Client; greeting: string }> {
    const client = new RawPop3Client(await connectClient(port, options.tls === true, 'POP3 connect'));
    return { client, greeting: await client.line() };
  }

  /** The next line (without CRLF); rejects if the connection closes first. */
  async line(): Promise<string> {
    return this.takeLine('latin1', WAIT_MS, 'a POP3 response line');
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

  async command(line: string): Promise<string> {
    this.send(`${line}\r\n`);
    return this.line();
  }

  /** STLS and the TLS handshake on the same socket. */
  async stls(): Promise<string> {
    const status = await this.command('STLS');
    if (status.startsWith('+OK')) await this.upgrade('STLS handshake');
    return status;
  }
}
