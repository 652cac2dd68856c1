// A minimal IMAP client for the benches: one command at a time over a plain socket, literal-aware
// (ENVELOPE and BODYSTRUCTURE strings and message bodies may come as {n} literals, which may contain
// CRLF), so a command resolves exactly at its tagged reply and the untagged FETCH responses are
// counted. IDLE and APPEND wait for the server's `+` continuation; untagged responses that arrive
// between commands or during IDLE (EXISTS, EXPUNGE) reach `onUntagged`.
import net from 'node:net';
import tls from 'node:tls';
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

/** A running IDLE: `done()` ends it and resolves at the tagged reply. */
export interface Idling {
  done(): Promise<Reply>;
}

const LITERAL = /\{(\d+)\+?\}$/;

export class ImapClient {
  private readonly socket: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private literalLeft = 0;
  /** First line of the response being read (a response spans lines when it carries literals). */
  private firstLine: string | undefined;
  private pending: Pending | undefined;
  /** Waits for the server's `+` continuation (IDLE, a synchronising APPEND literal). */
  private continuation: (() => void) | undefined;
  private greeting: Promise<void>;
  private tagCounter = 0;
  private ended = false;
  /** Every untagged response's first line (`* 12 EXISTS`), whether or not a command is running. */
  onUntagged: ((line: string) => void) | undefined;
  /** The connection ended (closed by the server, or failed) while no command was running. */
  onClosed: ((e: Error) => void) | undefined;

  private constructor(port: number, localAddress?: string, implicitTls = false) {
    const options = { port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) };
    // Implicit TLS (IMAPS): the benches' servers use a self-signed certificate.
    this.socket = implicitTls ? tls.connect({ ...options, rejectUnauthorized: false }) : net.connect(options);
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

  /**
   * `localAddress`: the loopback address to connect from (127.x.y.z), to stand for another client host.
   * `tls`: implicit TLS (IMAPS), any certificate accepted.
   */
  static async connect(port: number, localAddress?: string, options: { tls?: boolean } = {}): Promise<ImapClient> {
    const c = new ImapClient(port, localAddress, options.tls ?? false);
    try {
      await c.greeting;
    } catch (err) {
      c.close();
      throw err;
    }
    return c;
  }

  /** Sends one command and resolves at its tagged reply; rejects on NO/BAD. */
  command(text: string, options: { keepLines?: boolean; digest?: boolean } = {}): Promise<Reply> {
    const { tag, reply } = this.start(text, options);
    this.socket.write(`${tag} ${text}\r\n`);
    return reply;
  }

  /** APPEND with a synchronising literal: waits for the continuation before sending the message. */
  async append(mailbox: string, message: Buffer): Promise<Reply> {
    const text = `APPEND ${mailbox} {${message.length}}`;
    const { tag, reply } = this.start(text, {});
    const go = this.nextContinuation();
    this.socket.write(`${tag} ${text}\r\n`);
    // A refusal (NO [TOOBIG]) comes instead of the continuation: the reply settles first then.
    const first = await Promise.race([go.then(() => 'go' as const), reply.then(() => 'replied' as const)]);
    if (first === 'go') this.socket.write(Buffer.concat([message, Buffer.from('\r\n')]));
    return reply;
  }

  /**
   * AUTHENTICATE with an initial response (SASL-IR). A refused OAUTHBEARER/XOAUTH2 token comes back
   * as a `+` continuation carrying the error (RFC 7628 §3.2.3) that the client must answer (with a
   * lone ^A) before the tagged NO: answered here, so a refusal rejects instead of hanging.
   */
  async authenticate(mechanism: string, initialResponse: string): Promise<Reply> {
    const text = `AUTHENTICATE ${mechanism} ${initialResponse}`;
    const { tag, reply } = this.start(text, {});
    const challenged = this.nextContinuation();
    this.socket.write(`${tag} ${text}\r\n`);
    const first = await Promise.race([challenged.then(() => 'challenge' as const), reply.then(() => 'replied' as const, () => 'replied' as const)]);
    if (first === 'challenge') this.socket.write(`${Buffer.from('\x01').toString('base64')}\r\n`);
    return reply;
  }

  /** Starts IDLE; resolves once the server has accepted it. */
  async idle(): Promise<Idling> {
    const { tag, reply } = this.start('IDLE', {});
    const go = this.nextContinuation();
    this.socket.write(`${tag} IDLE\r\n`);
    const first = await Promise.race([go.then(() => 'go' as const), reply.then(() => 'replied' as const)]);
    if (first === 'replied') await reply;
    return {
      done: () => {
        this.socket.write('DONE\r\n');
        return reply;
      },
    };
  }

  get isClosed(): boolean {
    return this.ended;
  }

  close(): void {
    this.ended = true;
    this.pending = undefined;
    this.socket.removeAllListeners('close');
    this.socket.destroy();
  }

  private start(text: string, options: { keepLines?: boolean; digest?: boolean }): { tag: string; reply: Promise<Reply> } {
    if (this.ended) return { tag: '', reply: Promise.reject(new Error('IMAP connection closed')) };
    if (this.pending) return { tag: '', reply: Promise.reject(new Error('one command at a time')) };
    const tag = `b${++this.tagCounter}`;
    const reply = new Promise<Reply>((resolve, reject) => {
      this.pending = {
        tag,
        keepLines: options.keepLines ?? false,
        reply: { status: '', untagged: [], fetches: 0, bytes: 0 },
        ...(options.digest ? { hash: createHash('sha256') } : {}),
        resolve,
        reject,
      };
    }).then((r) => {
      if (!r.status.startsWith(`${tag} OK`)) throw new Error(`${text.slice(0, 60)} failed: ${r.status}`);
      return r;
    });
    return { tag, reply };
  }

  private nextContinuation(): Promise<void> {
    return new Promise((resolve) => (this.continuation = resolve));
  }

  private fail(e: Error): void {
    if (this.ended) return;
    this.ended = true;
    const p = this.pending;
    this.pending = undefined;
    if (p) p.reject(e);
    else this.onClosed?.(e);
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
    if (first.startsWith('+') && this.continuation) {
      const go = this.continuation;
      this.continuation = undefined;
      go();
      return;
    }
    if (first.startsWith('* ')) this.onUntagged?.(first);
    const p = this.pending;
    if (!p) return;
    if (p.tag === '*' || first.startsWith(`${p.tag} `)) {
      p.reply.status = first;
      if (p.hash) p.reply.digest = p.hash.digest('hex');
      this.pending = undefined;
      this.continuation = undefined;
      p.resolve(p.reply);
      return;
    }
    if (/^\* \d+ FETCH /.test(first)) p.reply.fetches++;
    if (p.keepLines) p.reply.untagged.push(first);
  }
}
