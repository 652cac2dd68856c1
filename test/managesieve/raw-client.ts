// A minimal ManageSieve client over a raw socket, for tests that must send exactly the bytes they
// mean (SASL exchanges, literals, hostile input, STARTTLS) and read each response as the server wrote
// it. A response is every line up to the one starting OK, NO or BYE; server literals {n} are read whole.
import { connectClient } from '../support/tcp.js';
import { RawLineSocket } from '../support/raw-line-socket.js';
import { withDeadline } from '../support/wait.js';

const WAIT_MS = 10_000;

export interface SieveResponse {
  /** The lines before the status line (capabilities, LISTSCRIPTS entries), literals inlined. */
  lines: string[];
  /** The status line: OK/NO/BYE [(code)] ["text"]. */
  status: string;
}

export class RawSieveClient extends RawLineSocket {
  /** Connects and reads the greeting (capabilities + OK). */
  static async connect(port: number, options: { tls?: boolean } = {}): Promise<{ client: RawSieveClient; greeting: SieveResponse }> {
    const client = new RawSieveClient(await connectClient(port, options.tls === true, 'ManageSieve connect'));
    return { client, greeting: await client.response() };
  }

  /** One logical line: a line whose end announces {n} continues with the n octets and the next line. */
  private async nextLine(): Promise<string> {
    let out = '';
    for (;;) {
      const lf = await this.lineEnd();
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

  async command(line: string): Promise<SieveResponse> {
    this.send(`${line}\r\n`);
    return this.response();
  }

  /** STARTTLS, the handshake, and the capabilities the server re-issues after it. */
  async startTls(): Promise<SieveResponse> {
    const r = await this.command('STARTTLS');
    if (!r.status.startsWith('OK')) throw new Error(`STARTTLS refused: ${r.status}`);
    await this.upgrade('TLS handshake');
    return this.response();
  }
}

/** A (UTF-8) string as a client literal {n+}. */
export function literal(text: string): string {
  return `{${Buffer.byteLength(text, 'utf8')}+}\r\n${text}`;
}
