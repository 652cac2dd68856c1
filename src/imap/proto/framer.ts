// Splits the client byte stream into complete IMAP commands: a line, plus the literals it announces
// and the lines after them. Pure state machine over bytes (no sockets) so it can be fuzzed. Limits are
// enforced before bytes are buffered: an over-long line is discarded up to its CRLF, and a literal
// over the limit is refused as soon as its `{n}` announcement is seen, before any of its bytes arrive.
//
// Message literals (APPEND) are not held at all: a literal sink chosen when the literal is announced
// (see LiteralSinkFactory) receives its bytes as they arrive, and the framer stops consuming input
// while the sink has enough queued (`blockedOn`), so the connection stops reading the socket.

export interface FramerLimits {
  /** Longest text of one command, literals excluded (bytes). */
  maxLineLength: number;
  /** Largest single literal (bytes). */
  maxLiteralSize: number;
}

export type Segment =
  | { kind: 'text'; data: Buffer }
  | { kind: 'literal'; data: Buffer; binary: boolean }
  /** A literal whose bytes went to a sink (a spool file); the command's handler owns it. */
  | { kind: 'spooled'; message: LiteralSink; size: number; binary: boolean };

/** Where a literal's bytes go instead of memory (the store's spool writer fits this). */
export interface LiteralSink {
  /** Queues bytes; the sink remembers a failure itself (the promise never rejects). */
  append(bytes: Buffer): Promise<void>;
  /** Enough is queued: no more bytes until drained() resolves. */
  readonly needsDrain: boolean;
  drained(): Promise<void>;
  /** Drops what was written. Idempotent. */
  discard(): Promise<void>;
  readonly byteCount: number;
  readonly path: string | undefined;
}

/** What is known of a literal when it is announced. */
export interface LiteralAnnouncement {
  /** The command name (upper case), `UID X` for UID commands. */
  command: string;
  size: number;
  binary: boolean;
  /** The literal is the command's first argument (APPEND: the mailbox name). */
  firstArgument: boolean;
  /** Bytes of this command's literals already held in memory. */
  heldBytes: number;
}

/** Chooses where a literal goes: a spool writer, or undefined to hold it in memory as usual. */
export type LiteralSinkFactory = (literal: LiteralAnnouncement) => LiteralSink | undefined;

export type FrameEvent =
  /** A whole command: text segments with the literals between them. */
  | { type: 'command'; segments: Segment[] }
  /** A synchronising literal was announced and accepted: the server must send `+ `. */
  | { type: 'continue'; size: number }
  /**
   * A command was refused by the limits. `fatal` means the framing is lost (a non-synchronising
   * literal over the limit whose bytes are on their way) and the connection must be closed.
   */
  | { type: 'reject'; reason: 'line-too-long' | 'literal-too-big'; tag: string; command: string; fatal: boolean }
  /** A raw line (AUTHENTICATE responses, IDLE's DONE), without CRLF. */
  | { type: 'line'; line: Buffer };

const LF = 0x0a;
const CR = 0x0d;
/** Most bytes handed to a literal sink at once. */
const SINK_SLICE = 64 * 1024;
const LITERAL_RE = /(~?)\{(\d{1,20})(\+?)\}$/;

export class CommandFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private segments: Segment[] = [];
  private textLength = 0;
  /** Bytes still expected for the literal being read; -1 when reading text. */
  private literalRemaining = -1;
  private literalBinary = false;
  private literalParts: Buffer[] = [];
  /** Where the literal being read goes, when not to literalParts. */
  private literalSink: LiteralSink | undefined;
  /** Bytes of the current command's literals held in memory (not spooled). */
  private heldLiteralBytes = 0;
  private sinkFactory: LiteralSinkFactory | undefined;
  /** Discarding an over-long line up to the next LF. */
  private discarding = false;
  /**
   * The first `scannedChunks` chunks (`scannedBytes` bytes) hold no LF: a line arriving in many
   * small reads is searched once, not from its start at every read (which made a 64 KiB line sent
   * one byte per TCP segment cost minutes of CPU).
   */
  private scannedChunks = 0;
  private scannedBytes = 0;
  private firstLineStart: Buffer | null = null;

  constructor(private limits: FramerLimits) {}

  /**
   * New limits from the next line on (IMAP tightens them before authentication). Whatever is
   * already buffered or being read was accepted under the old ones.
   */
  setLimits(limits: FramerLimits): void {
    this.limits = limits;
  }

  /** From the next literal on, literals may go to sinks the factory chooses (undefined: none). */
  setLiteralSink(factory: LiteralSinkFactory | undefined): void {
    this.sinkFactory = factory;
  }

  /**
   * The sink the literal being read waits on: it has enough queued, and no more input is consumed
   * until its drained() resolves. Undefined when the framer only needs more input.
   */
  get blockedOn(): LiteralSink | undefined {
    return this.literalSink?.needsDrain === true && this.literalRemaining > 0 ? this.literalSink : undefined;
  }

  /** The connection ended: spool files of the command being read are removed, and input dropped. */
  abort(): void {
    this.resetCommand(true);
    this.chunks = [];
    this.buffered = 0;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** Removes and returns the bytes held but not yet consumed (input to be read another way). */
  takePending(): Buffer {
    const all = Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    return all;
  }

  /** Bytes held but not yet returned. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** True while part of a command (text or literal) has been consumed but not returned. */
  get midCommand(): boolean {
    return this.segments.length > 0 || this.literalRemaining >= 0;
  }

  /**
   * Next event, or null when more bytes are needed. In 'line' mode one raw line is returned without
   * literal processing (used for SASL responses and IDLE's DONE).
   */
  next(mode: 'command' | 'line' = 'command'): FrameEvent | null {
    for (;;) {
      if (this.literalRemaining >= 0) {
        if (!this.readLiteral()) return null;
        continue;
      }
      if (this.discarding) {
        const idx = this.indexOfLF();
        if (idx < 0) {
          this.take(this.buffered);
          return null;
        }
        this.take(idx + 1);
        this.discarding = false;
        continue;
      }
      const idx = this.indexOfLF();
      const lineLimit = this.limits.maxLineLength - this.textLength;
      if (idx < 0) {
        if (this.buffered > lineLimit) return this.overlong(mode);
        return null;
      }
      if (idx > lineLimit) return this.overlong(mode);
      const raw = this.take(idx + 1);
      const line = raw.subarray(0, raw.length >= 2 && raw[raw.length - 2] === CR ? raw.length - 2 : raw.length - 1);
      if (mode === 'line' && this.segments.length === 0) return { type: 'line', line };
      if (this.segments.length === 0) this.firstLineStart = line.subarray(0, 64);
      this.textLength += line.length;
      const m = LITERAL_RE.exec(line.subarray(Math.max(0, line.length - 26)).toString('latin1'));
      if (!m) {
        this.segments.push({ kind: 'text', data: line });
        const segments = this.segments;
        this.resetCommand(false);
        return { type: 'command', segments };
      }
      const size = Number(m[2]);
      const sync = m[3] !== '+';
      const textPart = line.subarray(0, line.length - m[0].length);
      this.segments.push({ kind: 'text', data: textPart });
      if (!Number.isSafeInteger(size) || size > this.limits.maxLiteralSize) {
        const { tag, command } = this.tagAndCommand();
        this.resetCommand(true);
        // A synchronising literal is never sent without our `+`, so the stream stays in step.
        return { type: 'reject', reason: 'literal-too-big', tag, command, fatal: !sync };
      }
      this.literalRemaining = size;
      this.literalBinary = m[1] === '~';
      this.literalParts = [];
      this.literalSink = this.chooseSink(size, textPart);
      if (sync) return { type: 'continue', size };
    }
  }

  private chooseSink(size: number, textPart: Buffer): LiteralSink | undefined {
    if (!this.sinkFactory) return undefined;
    const { command } = this.tagAndCommand();
    // The first argument follows the tag and command name directly: `a1 APPEND {5}`.
    const literalsSoFar = this.segments.some((seg) => seg.kind !== 'text');
    const firstArgument = !literalsSoFar && this.segments.length === 1 && textPart.toString('latin1').trim().split(/ +/).length === (command.startsWith('UID ') ? 3 : 2);
    return this.sinkFactory({ command, size, binary: this.literalBinary, firstArgument, heldBytes: this.heldLiteralBytes });
  }

  private overlong(mode: 'command' | 'line'): FrameEvent {
    const { tag, command } = mode === 'line' && this.segments.length === 0 ? { tag: '*', command: '' } : this.tagAndCommand(true);
    this.resetCommand(true);
    this.discarding = true;
    return { type: 'reject', reason: 'line-too-long', tag, command, fatal: false };
  }

  private tagAndCommand(includePending = false): { tag: string; command: string } {
    let start = this.firstLineStart;
    // An over-long first line is refused as soon as more than the limit is buffered, which may be
    // before 64 bytes are: the prefix stops at the limit so the tag is the same however the bytes
    // were split into reads.
    if (!start && includePending) start = this.pendingPrefix(Math.min(64, this.limits.maxLineLength + 1));
    const words = (start ?? Buffer.alloc(0)).toString('latin1').replace(/\r$/, '').split(' ');
    const tag = /^[\x21-\x7e]+$/.test(words[0] ?? '') && !/[(){%*"\\+]/.test(words[0] ?? '') ? words[0]! : '*';
    let command = (words[1] ?? '').toUpperCase();
    if (command === 'UID') command = `UID ${(words[2] ?? '').toUpperCase()}`;
    return { tag, command };
  }

  /**
   * The first `max` buffered bytes, across however many reads they arrived in: a client's tag may
   * be split between two TCP segments, and the refusal must still carry it.
   */
  private pendingPrefix(max: number): Buffer {
    const parts: Buffer[] = [];
    let n = 0;
    for (const c of this.chunks) {
      if (n >= max) break;
      const part = c.subarray(0, max - n);
      parts.push(part);
      n += part.length;
    }
    return Buffer.concat(parts, n);
  }

  /** Forgets the command being read; `discard`: its spool files go too (it was not handed out). */
  private resetCommand(discard: boolean): void {
    if (discard) {
      for (const seg of this.segments) if (seg.kind === 'spooled') void seg.message.discard();
      void this.literalSink?.discard();
    }
    this.segments = [];
    this.textLength = 0;
    this.literalRemaining = -1;
    this.literalParts = [];
    this.literalSink = undefined;
    this.heldLiteralBytes = 0;
    this.firstLineStart = null;
  }

  private readLiteral(): boolean {
    const sink = this.literalSink;
    while (this.literalRemaining > 0 && this.buffered > 0) {
      if (sink?.needsDrain) return false;
      // Slices for a sink, so its fill level is looked at often enough to bound what it queues.
      const part = this.take(Math.min(this.literalRemaining, this.chunks[0]!.length, sink ? SINK_SLICE : Infinity));
      // The sink remembers a write error itself and reports it when the command finishes it.
      if (sink) void sink.append(part);
      else this.literalParts.push(part);
      this.literalRemaining -= part.length;
    }
    if (this.literalRemaining > 0) return false;
    if (sink) {
      this.segments.push({ kind: 'spooled', message: sink, size: sink.byteCount, binary: this.literalBinary });
    } else {
      const data = Buffer.concat(this.literalParts);
      this.heldLiteralBytes += data.length;
      this.segments.push({ kind: 'literal', data, binary: this.literalBinary });
    }
    this.literalParts = [];
    this.literalSink = undefined;
    this.literalRemaining = -1;
    return true;
  }

  private indexOfLF(): number {
    for (; this.scannedChunks < this.chunks.length; this.scannedChunks++) {
      const c = this.chunks[this.scannedChunks]!;
      const i = c.indexOf(LF);
      if (i >= 0) return this.scannedBytes + i;
      this.scannedBytes += c.length;
    }
    return -1;
  }

  /** Removes and returns the first n buffered bytes. */
  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    // The front changes: what was scanned is gone or moved (scans stop at the first LF, so a take
    // after one consumed at most the scanned bytes and their LF).
    this.scannedChunks = 0;
    this.scannedBytes = 0;
    const first = this.chunks[0]!;
    if (first.length === n) {
      this.chunks.shift();
      this.buffered -= n;
      return first;
    }
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const want = n - filled;
      if (c.length <= want) {
        c.copy(out, filled);
        filled += c.length;
        this.chunks.shift();
      } else {
        c.copy(out, filled, 0, want);
        this.chunks[0] = c.subarray(want);
        filled += want;
      }
    }
    this.buffered -= n;
    return out;
  }
}
