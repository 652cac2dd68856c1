// A minimal IMAP client for the bench: one command at a time over a plain socket, literal-aware
// (ENVELOPE and BODYSTRUCTURE strings may come as {n} literals, which may contain CRLF), so a
// command resolves exactly at its tagged reply and the untagged FETCH responses are counted.
import net from 'node:net';
import { createHash, type Hash } from 'node:crypto';

export interface Reply {
  /** The tagged status line, e.g. `a OK UID FETCH completed`. */
  status: string;
  /** First lines of the untagged responses (without their literal contents). */
  untagged: string[];
  /** Untagged `* n FETCH` responses. */
  fetches: number;
  /** Bytes received for the command, tagged line included. */
  bytes: number;
  /** sha256 of those bytes, when asked for. */
  digest?: string;
}

interface Pending {
  tag: string;
  keepLines: boolean;
  reply: Reply;
  hash?: Hash;
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
}

const LITERAL = /\{(\d+)\+?\}$/;

export class ImapClient {
  private readonly socket: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private literalLeft = 0;
  /** First line of the response being read (a response spans lines when it carries literals). */
  private firstLine: string | undefined;
  private pending: Pending | undefined;
  private greeting: Promise<void>;
  private tagCounter = 0;

  private constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setNoDelay(true);
    let greeted: () => void;
    let failed: (e: Error) => void;
    this.greeting = new Promise((resolve, reject) => {
      greeted = resolve;
      failed = reject;
    });
    // The greeting is the only response that arrives with no command pending.
    this.pending = { tag: '*', keepLines: false, reply: { status: '', untagged: [], fetches: 0, bytes: 0 }, resolve: () => greeted(), reject: (e) => failed(e) };
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.fail(new Error('IMAP connection closed')));
  }

  static async connect(port: number): Promise<ImapClient> {
    const c = new ImapClient(port);
    await c.greeting;
    return c;
  }

  /** Sends one command and resolves at its tagged reply; rejects on NO/BAD. */
  command(text: string, options: { keepLines?: boolean; digest?: boolean } = {}): Promise<Reply> {
    if (this.pending) return Promise.reject(new Error('one command at a time'));
    const tag = `b${++this.tagCounter}`;
    return new Promise<Reply>((resolve, reject) => {
      this.pending = {
        tag,
        keepLines: options.keepLines ?? false,
        reply: { status: '', untagged: [], fetches: 0, bytes: 0 },
        ...(options.digest ? { hash: createHash('sha256') } : {}),
        resolve,
        reject,
      };
      this.socket.write(`${tag} ${text}\r\n`);
    }).then((r) => {
      if (!r.status.startsWith(`${tag} OK`)) throw new Error(`${text.slice(0, 60)} failed: ${r.status}`);
      return r;
    });
  }

  close(): void {
    this.pending = undefined;
    this.socket.removeAllListeners('close');
    this.socket.destroy();
  }

  private fail(e: Error): void {
    const p = this.pending;
    this.pending = undefined;
    p?.reject(e);
  }

  private onData(chunk: Buffer): void {
    const p = this.pending;
    if (p) {
      p.reply.bytes += chunk.length;
      p.hash?.update(chunk);
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let pos = 0;
    while (pos < this.buf.length) {
      if (this.literalLeft > 0) {
        const take = Math.min(this.literalLeft, this.buf.length - pos);
        this.literalLeft -= take;
        pos += take;
        continue;
      }
      const eol = this.buf.indexOf('\r\n', pos);
      if (eol < 0) break;
      const line = this.buf.toString('latin1', pos, eol);
      pos = eol + 2;
      this.firstLine ??= line;
      const literal = LITERAL.exec(line);
      if (literal) {
        this.literalLeft = Number(literal[1]);
        continue;
      }
      const first = this.firstLine;
      this.firstLine = undefined;
      this.onResponse(first);
    }
    this.buf = this.buf.subarray(pos);
  }

  private onResponse(first: string): void {
    const p = this.pending;
    if (!p) return;
    if (p.tag === '*' || first.startsWith(`${p.tag} `)) {
      p.reply.status = first;
      if (p.hash) p.reply.digest = p.hash.digest('hex');
      this.pending = undefined;
      p.resolve(p.reply);
      return;
    }
    if (/^\* \d+ FETCH /.test(first)) p.reply.fetches++;
    if (p.keepLines) p.reply.untagged.push(first);
  }
}
