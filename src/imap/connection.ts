// The I/O half of an IMAP session: the socket (swapped in place by STARTTLS), the command framer fed
// from it, writes with output back-pressure, reads that wait for the next command or raw line, and the
// inactivity timeout. Knows nothing of IMAP state; the session and the dispatcher sit on top.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../log/logger.js';
import { holdInput, readyForNextCommand, releaseInput, writeWithBackpressure } from '../net/index.js';
import { CommandFramer, type FrameEvent, type FramerLimits, type LiteralSinkFactory } from './proto/framer.js';
import { toBuffer, type Wire } from './proto/serialize.js';
import { DeflateLayer } from './compression.js';
import { ReplyBatch, type BatchSink } from './reply-batch.js';

/**
 * Pause reading when this much unprocessed input is buffered (pipelining floods). Small on purpose:
 * the framer asks for more whenever it needs it (waitForInput resumes), so a long line or literal
 * still arrives whole; this only bounds what a client can queue ahead of the command being run.
 */
const INPUT_HIGH_WATER = 16 * 1024;
/**
 * Replies of pipelined commands are gathered (./reply-batch.ts) until this much waits, or until the
 * connection waits for input. Each write to a peer costs a system call and, over loopback or to a
 * peer that has stopped reading, the kernel's work on the peer's receive queue: a client pipelining
 * thousands of small commands made the server spend most of its time in those writes, one per reply,
 * and new connections waited seconds to be accepted. Batched, a pipelining flood costs one write per
 * REPLY_BATCH bytes; an interactive client, which waits for each reply, sees no delay, since reading
 * its next command means waiting for input, which flushes.
 */
const REPLY_BATCH = 16 * 1024;
/** RFC 2177 suggests clients re-issue IDLE every 29 minutes: the idle timeout must outlast that. */
const IDLE_TIMEOUT_SECONDS = 1800;
/** How long a closing client gets to read our last words before the socket is destroyed. */
const CLOSE_LINGER_MS = 1000;

/**
 * The connection a socket belongs to. The socket's listeners below are shared by every connection
 * and find theirs here (Node calls a listener with the socket as `this`): a parked IDLE connection
 * holds no listener closures of its own (issue #18, memory per IDLE connection).
 */
const connectionOf = Symbol('imapConnection');
type OwnedSocket = Socket & { [connectionOf]?: ImapConnection };

function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  this[connectionOf]?.received(chunk);
}

/** Compressed input: inflated, then framed like any other. */
function onCompressedSocketData(this: OwnedSocket, chunk: Buffer): void {
  this[connectionOf]?.receivedCompressed(chunk);
}

function onSocketClose(this: OwnedSocket): void {
  this[connectionOf]?.socketClosed();
}

function onSocketError(this: OwnedSocket, err: Error): void {
  this[connectionOf]?.socketFailed(err);
}

function onSocketTimeout(this: OwnedSocket): void {
  this[connectionOf]?.timedOut();
}

export interface ConnectionOptions {
  socket: Socket;
  secure: boolean;
  /** The client as the listener names it (behind a PROXY protocol balancer: the header's client). */
  remoteAddress: string;
  /** Limits the connection starts with (the pre-authentication ones); see setLimits. */
  limits: FramerLimits;
  /** Seconds of inactivity before `* BYE Autologout`. */
  timeoutSeconds: number;
  logger: Logger;
  /** Upgrades the socket for STARTTLS; absent when the listener offers no STARTTLS. */
  startTls?: (socket: Socket) => Promise<TLSSocket>;
}

export class ImapConnection implements BatchSink {
  readonly remoteAddress: string;
  readonly localPort: number | undefined;
  private socket: Socket;
  private isSecure: boolean;
  private framer: CommandFramer;
  private currentLimits: FramerLimits;
  private literalSinks: LiteralSinkFactory | undefined;
  private waiter?: () => void;
  /** Set while a wait may be cut short by interrupt() (IDLE). */
  private interruptible = false;
  private closed = false;
  /** The connection waited for input since its last command (see readyForNextCommand). */
  private waitedForInput = true;
  private readonly closeListeners: Array<() => void> = [];
  /** COMPRESS=DEFLATE in force (RFC 4978): everything read and written passes through it. */
  private compression: DeflateLayer | undefined;
  /** Replies gathered between batchReplies() and flush() (uncompressed connections). */
  private readonly replies = new ReplyBatch(REPLY_BATCH, this);

  constructor(private readonly options: ConnectionOptions) {
    this.socket = options.socket;
    this.isSecure = options.secure;
    this.remoteAddress = options.remoteAddress;
    this.localPort = options.socket.localPort;
    this.currentLimits = options.limits;
    this.framer = new CommandFramer(options.limits);
    this.attach(this.socket);
  }

  get secure(): boolean {
    return this.isSecure;
  }

  get tlsAvailable(): boolean {
    return this.options.startTls !== undefined;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The line and literal limits in force now. */
  get limits(): FramerLimits {
    return this.currentLimits;
  }

  /** Switches limits (at authentication) from the next command on; input already read is kept. */
  setLimits(limits: FramerLimits): void {
    this.currentLimits = limits;
    this.framer.setLimits(limits);
  }

  /**
   * From the next literal on, literals the factory picks (APPEND message data, after login) go to
   * spool files as they arrive instead of memory.
   */
  setLiteralSink(factory: LiteralSinkFactory | undefined): void {
    this.literalSinks = factory;
    this.framer.setLiteralSink(factory);
  }

  /** Called once when the connection ends, whoever ended it. */
  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  // ---- output -------------------------------------------------------------------------------

  /** A gathered batch of replies goes to the socket (ReplyBatch's sink). */
  sendBatch(bytes: Buffer, written: () => void): void {
    writeWithBackpressure(this.socket, bytes, undefined, written);
  }

  write(data: Wire | Wire[]): void {
    if (this.closed) return;
    if (!this.compression && this.replies.gathering) {
      // Gathered piece by piece (no Buffer is built for a reply as a whole); a piece too large to
      // copy goes out itself, after what was gathered before it.
      for (const part of Array.isArray(data) ? data : [data]) {
        if (!this.replies.add(part)) writeWithBackpressure(this.socket, part);
      }
      return;
    }
    const bytes = Array.isArray(data) ? toBuffer(data) : typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.compression) this.compression.send(bytes);
    else writeWithBackpressure(this.socket, bytes);
  }

  /**
   * Gathers replies from now on until the next flush() (a command is about to run: if the client has
   * pipelined more, its replies go out together with the next ones).
   */
  batchReplies(): void {
    if (!this.closed) this.replies.start();
  }

  /** Sends the replies gathered since batchReplies(). */
  flush(): void {
    this.compression?.flush();
    this.replies.flush();
  }

  get compressed(): boolean {
    return this.compression !== undefined;
  }

  /**
   * COMPRESS=DEFLATE (RFC 4978 §3): from now on both directions are raw deflate. The tagged OK has
   * been written and goes out uncompressed; bytes the client sent after the command are the start of
   * its compressed stream.
   */
  startCompression(): void {
    this.flush();
    const layer = new DeflateLayer(this.socket, {
      onInput: (chunk) => this.received(chunk),
      onError: (err) => {
        this.options.logger.debug({ err: err.message }, 'imap compressed stream error');
        this.socket.destroy();
        this.finish();
      },
    });
    this.compression = layer;
    // Its streams go with the socket (not at finish(): the last words are still being deflated).
    this.socket.once('close', () => layer.destroy());
    this.socket.off('data', onSocketData);
    this.socket.on('data', onCompressedSocketData);
    const early = this.framer.takePending();
    if (early.length > 0) layer.receive(early);
  }

  /**
   * The network edge's flush-and-wait, awaited by the dispatcher before each command: a client that
   * pipelines commands and never reads gets no further replies queued (its input stays unread and
   * paused instead), and a connection runs one command per turn of the event loop. A command that
   * had to be waited for from the network (an interactive client's) gets its turn first.
   */
  async readyForNextCommand(): Promise<void> {
    const kind = this.waitedForInput ? 'after-input' : 'continuing';
    this.waitedForInput = false;
    while (this.compression?.needsDrain && !this.closed) await this.compression.drained();
    return readyForNextCommand(this.socket, kind);
  }

  /** Waits while the socket's send buffer is full, so large FETCH responses do not pile up in memory. */
  async drain(): Promise<void> {
    const sock = this.socket;
    this.flush();
    // Compressed, output first waits in the deflater, which takes no more while the socket is full.
    while (this.compression?.needsDrain && !this.closed) await this.compression.drained();
    if (this.closed || !sock.writableNeedDrain) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        sock.off('drain', done);
        sock.off('close', done);
        resolve();
      };
      sock.on('drain', done);
      sock.on('close', done);
    });
  }

  // ---- input --------------------------------------------------------------------------------

  /** The next framer event, null once the connection has closed. */
  async nextEvent(mode: 'command' | 'line'): Promise<FrameEvent | null> {
    for (;;) {
      const ev = this.framer.next(mode);
      if (ev) return ev;
      if (this.closed) return null;
      // A literal going to a spool file: its queued writes finish before more input is consumed
      // (reading stays paused meanwhile once INPUT_HIGH_WATER bytes wait).
      const sink = this.framer.blockedOn;
      if (sink) await sink.drained();
      else await this.waitForInput(false);
    }
  }

  /**
   * Next raw line (SASL responses): null when the connection closed, undefined when the line was
   * over the length limit (and has been discarded).
   */
  async readLine(): Promise<string | null | undefined> {
    const ev = await this.nextEvent('line');
    if (!ev) return null;
    if (ev.type === 'line') return ev.line.toString('utf8');
    return undefined;
  }

  /**
   * IDLE's wait: the next raw line ('' for one over the limit), `undefined` as soon as `interrupted()`
   * holds (checked again after every interrupt()), null when the connection closed.
   */
  async readLineOr(interrupted: () => boolean): Promise<string | null | undefined> {
    for (;;) {
      const ev = this.framer.next('line');
      if (ev?.type === 'line') return ev.line.toString('utf8');
      if (ev?.type === 'reject') return '';
      if (this.closed) return null;
      if (interrupted()) return undefined;
      await this.waitForInput(true);
    }
  }

  /** Wakes an interruptible wait (readLineOr); true if one was waiting. */
  interrupt(): boolean {
    if (!this.interruptible) return false;
    this.wake();
    return true;
  }

  /** The client has not read what we sent: the socket (or the deflater before it) is full. */
  get outputBacklogged(): boolean {
    return this.socket.writableNeedDrain || (this.compression?.needsDrain ?? false);
  }

  /** Idle between commands: nothing of a next command has arrived and the session waits for one. */
  get awaitingCommand(): boolean {
    return this.waiter !== undefined && !this.framer.midCommand;
  }

  /** IDLE may last longer than the normal inactivity timeout. */
  setIdling(idling: boolean): void {
    const seconds = idling ? Math.max(this.options.timeoutSeconds, IDLE_TIMEOUT_SECONDS) : this.options.timeoutSeconds;
    this.socket.setTimeout(seconds * 1000);
  }

  /**
   * Resolves at the next input, interrupt() (when `interruptible`) or close. Not an async function:
   * a parked IDLE connection keeps one suspended frame fewer (issue #18).
   */
  private waitForInput(interruptible: boolean): Promise<void> {
    // The client may be waiting for our replies before it sends more.
    this.flush();
    this.waitedForInput = true;
    releaseInput(this.socket, 'input');
    this.compression?.resumeInput();
    this.interruptible = interruptible;
    return new Promise<void>((resolve) => {
      this.waiter = resolve;
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    // Woken, the wait is no longer one interrupt() can cut short.
    this.interruptible = false;
    w?.();
  }

  // ---- TLS and closing ----------------------------------------------------------------------

  /** STARTTLS: drops anything the client pipelined after the command, then upgrades the socket. */
  async upgradeTls(): Promise<void> {
    if (!this.options.startTls) throw new Error('TLS not configured');
    this.framer.abort();
    this.framer = new CommandFramer(this.currentLimits);
    this.framer.setLiteralSink(this.literalSinks);
    const raw = this.socket;
    // The tagged OK goes out in the clear, before the handshake.
    this.flush();
    this.detach(raw);
    const secure = await this.options.startTls(raw);
    this.socket = secure;
    this.isSecure = true;
    this.attach(secure);
  }

  /** Ends the connection: the client may read what was written, then the socket goes. */
  destroy(): void {
    // Nothing more is read: a client still sending (a refused literal's bytes) costs us no work
    // while it has the linger time to read our last words.
    holdInput(this.socket, 'input');
    this.replies.flush();
    const socket = this.socket;
    if (this.compression) this.compression.flush(() => socket.end());
    else socket.end();
    setTimeout(() => socket.destroy(), CLOSE_LINGER_MS).unref();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    // A literal cut off mid-way was never acknowledged: its spool file goes.
    this.framer.abort();
    this.wake();
    for (const listener of this.closeListeners) listener();
  }

  // ---- socket events (the shared listeners above call these) ----------------------------------

  /** Compressed input: inflated, then framed like any other (received). */
  receivedCompressed(chunk: Buffer): void {
    if (!this.closed) this.compression?.receive(chunk);
  }

  received(chunk: Buffer): void {
    // After we ended the connection nothing more is read: a client still sending is not buffered.
    if (this.closed) return;
    this.framer.push(chunk);
    if (this.framer.pendingBytes > INPUT_HIGH_WATER) {
      holdInput(this.socket, 'input');
      // Inflating stops too: what is already read must not expand into the framer unbounded.
      this.compression?.pauseInput();
    }
    this.wake();
  }

  socketClosed(): void {
    this.finish();
  }

  socketFailed(err: Error): void {
    this.options.logger.debug({ err: err.message }, 'imap socket error');
    this.finish();
  }

  timedOut(): void {
    this.write('* BYE Autologout; idle for too long\r\n');
    this.destroy();
  }

  private attach(socket: OwnedSocket): void {
    socket[connectionOf] = this;
    socket.setNoDelay(true);
    socket.on('data', onSocketData);
    socket.on('close', onSocketClose);
    socket.on('error', onSocketError);
    socket.on('timeout', onSocketTimeout);
    socket.setTimeout(this.options.timeoutSeconds * 1000);
  }

  /** Only our own listeners: the network edge keeps its accounting on the raw socket. */
  private detach(socket: Socket): void {
    socket.off('data', onSocketData);
    socket.off('close', onSocketClose);
    socket.off('timeout', onSocketTimeout);
    socket.setTimeout(0);
    // The error listener stays (and so does the socket's link to this connection, which it needs):
    // an error during the handshake must not crash the process.
  }
}
