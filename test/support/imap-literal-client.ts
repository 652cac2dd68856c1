// An IMAP client for tests of message bytes: reads responses with their literals as raw bytes
// (`{n}` and `~{n}`), however large, so a test can compare a FETCH literal byte for byte.
import type net from 'node:net';
import { RawLineSocket } from './raw-line-socket.js';
import { connectClient } from './tcp.js';

/** One response: its text with each literal replaced by `{n}` / `~{n}`, and the literals in order. */
export interface LiteralResponse {
  text: string;
  literals: Buffer[];
}

const LITERAL_AT_END = /(~?)\{(\d+)\}$/;

export class LiteralClient extends RawLineSocket {
  /** Literal bytes received so far for the response being read (for tests of cut-off literals). */
  received = 0;

  private constructor(socket: net.Socket) {
    super(socket);
  }

  static async connect(port: number): Promise<LiteralClient> {
    const c = new LiteralClient(await connectClient(port, false, 'the IMAP server'));
    await c.takeLine('latin1', 5000, 'the greeting');
    return c;
  }

  static async loggedIn(port: number, user: string, password: string): Promise<LiteralClient> {
    const c = await LiteralClient.connect(port);
    const login = await c.command('l', `LOGIN "${user}" "${password}"`);
    if (!login.at(-1)!.text.startsWith('l OK')) throw new Error(`login failed: ${login.at(-1)!.text}`);
    return c;
  }

  /** Reads one response line, literals included (a literal's bytes are waited for whole). */
  async response(ms = 30_000): Promise<LiteralResponse> {
    const out: LiteralResponse = { text: '', literals: [] };
    this.received = 0;
    for (;;) {
      const line = await this.takeLine('latin1', ms, 'a response line');
      out.text += line;
      const m = LITERAL_AT_END.exec(line);
      if (!m) return out;
      const size = Number(m[2]);
      const parts: Buffer[] = [];
      let need = size;
      while (need > 0) {
        if (this.buffer.length === 0) await this.buffered(() => this.buffer.length > 0, ms, `${need} more literal bytes`);
        const take = this.buffer.subarray(0, need);
        parts.push(Buffer.from(take));
        this.buffer = this.buffer.subarray(take.length);
        need -= take.length;
        this.received += take.length;
      }
      out.literals.push(Buffer.concat(parts, size));
    }
  }

  /** Sends `tag text` and reads responses up to the tagged one (the last element). */
  async command(tag: string, text: string, ms?: number): Promise<LiteralResponse[]> {
    this.send(`${tag} ${text}\r\n`);
    const out: LiteralResponse[] = [];
    for (;;) {
      const r = await this.response(ms);
      out.push(r);
      if (r.text.startsWith(`${tag} `)) return out;
    }
  }

  /** Waits until at least `n` bytes are buffered, unread (a response begun but not consumed). */
  async bufferedBytes(n: number, ms = 10_000): Promise<Buffer> {
    await this.buffered(() => this.buffer.length >= n, ms, `${n} buffered bytes`);
    return this.buffer;
  }
}
