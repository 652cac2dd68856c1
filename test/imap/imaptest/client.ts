// A small IMAP client for the conformance runner: sends raw command lines (waiting for `+` before
// each synchronising literal), and parses every server response into Args.
import net from 'node:net';
import { parseArgs, type Arg } from './args.js';
import { Wakeups } from '../../support/wait.js';

export interface TaggedReply {
  tag: string;
  /** Status and the rest of the line, parsed. */
  args: Arg[];
}

export class ImapTestClient {
  private buf = '';
  private readonly socket: net.Socket;
  /** Untagged responses not yet consumed, in arrival order. */
  readonly untagged: Arg[][] = [];
  readonly tagged = new Map<string, TaggedReply>();
  private continuations = 0;
  private readonly wakeups = new Wakeups();
  closed = false;
  greeting?: Arg[];
  exists = 0;
  capabilities: string[] = [];
  private nextTag = 1;

  private constructor(socket: net.Socket, readonly id: number) {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.parse();
    });
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number, id: number): Promise<ImapTestClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new ImapTestClient(socket, id);
    await c.waitFor(() => c.greeting !== undefined || c.closed, 10_000);
    return c;
  }

  private notify(): void {
    this.wakeups.wake();
  }

  /** Waits until `cond` holds or the timeout passes; returns whether it holds. */
  async waitFor(cond: () => boolean, ms: number): Promise<boolean> {
    return (await this.wakeups.until(cond, ms)) === true;
  }

  private parse(): void {
    for (;;) {
      // Find a complete response: a line, plus literals announced at line ends.
      let pos = 0;
      let end = -1;
      for (;;) {
        const nl = this.buf.indexOf('\r\n', pos);
        if (nl < 0) break;
        const m = /~?\{(\d+)\+?\}$/.exec(this.buf.slice(Math.max(pos, nl - 24), nl));
        if (m) {
          const litEnd = nl + 2 + Number(m[1]);
          if (litEnd > this.buf.length) break;
          pos = litEnd;
          continue;
        }
        end = nl;
        break;
      }
      if (end < 0) return;
      const line = this.buf.slice(0, end);
      this.buf = this.buf.slice(end + 2);
      this.handle(line);
    }
  }

  private handle(line: string): void {
    if (line.startsWith('+')) {
      this.continuations++;
      this.notify();
      return;
    }
    if (line.startsWith('* ')) {
      let args: Arg[];
      try {
        args = parseArgs(line.slice(2));
      } catch {
        args = [{ t: 'atom', v: line.slice(2) }];
      }
      const a0 = args[0];
      const a1 = args[1];
      if (!this.greeting) {
        this.greeting = args;
        this.readCapabilityCode(line);
      } else {
        if (a0?.t === 'atom' && a0.v.toUpperCase() === 'CAPABILITY') this.capabilities = args.slice(1).map((a) => (a.t === 'atom' ? a.v.toUpperCase() : ''));
        if (a0?.t === 'atom' && /^\d+$/.test(a0.v) && a1?.t === 'atom') {
          const w = a1.v.toUpperCase();
          if (w === 'EXISTS') this.exists = Number(a0.v);
          if (w === 'EXPUNGE') this.exists--;
        }
        this.readCapabilityCode(line);
        this.untagged.push(args);
      }
      this.notify();
      return;
    }
    const sp = line.indexOf(' ');
    const tag = line.slice(0, sp);
    let args: Arg[];
    try {
      args = parseArgs(line.slice(sp + 1));
    } catch {
      args = [{ t: 'atom', v: line.slice(sp + 1) }];
    }
    this.readCapabilityCode(line);
    this.tagged.set(tag, { tag, args });
    this.notify();
  }

  private readCapabilityCode(line: string): void {
    const m = /\[CAPABILITY ([^\]]*)\]/i.exec(line);
    if (m) this.capabilities = m[1]!.split(' ').map((c) => c.toUpperCase());
  }

  newTag(): string {
    return `${this.id}.${this.nextTag++}`;
  }

  /**
   * Sends `tag text`; `text` may contain `{n}\r\n` literals. Waits for the continuation before
   * each synchronising literal; gives up (leaving the command to fail) if none comes.
   */
  async send(tag: string, text: string): Promise<void> {
    let rest = `${tag} ${text}\r\n`;
    for (;;) {
      const m = /~?\{(\d+)\}\r\n/.exec(rest);
      if (!m) {
        this.socket.write(rest, 'latin1');
        return;
      }
      const upto = m.index + m[0].length;
      const before = this.continuations;
      this.socket.write(rest.slice(0, upto), 'latin1');
      rest = rest.slice(upto);
      const ok = await this.waitFor(() => this.continuations > before || this.tagged.has(tag) || this.closed, 10_000);
      if (!ok || this.tagged.has(tag) || this.closed) return;
    }
  }

  async command(text: string, ms = 10_000): Promise<TaggedReply | undefined> {
    const tag = this.newTag();
    await this.send(tag, text);
    await this.waitFor(() => this.tagged.has(tag) || this.closed, ms);
    const r = this.tagged.get(tag);
    this.tagged.delete(tag);
    return r;
  }

  close(): void {
    this.socket.destroy();
  }
}

export function replyStatus(r: TaggedReply | undefined): string {
  const a = r?.args[0];
  return a && a.t === 'atom' ? a.v.toUpperCase() : 'NONE';
}
