// The transport mechanics every line-protocol session (SMTP/LMTP, POP3) shares over a StreamConnection:
// input queued in a ByteQueue and consumed strictly in order by one pump, replies batched and flushed,
// the flush-and-wait before each step (readyForNextCommand), reading paused while a busy step leaves
// enough input waiting, the in-place TLS upgrade, and the close/disconnect bookkeeping. The protocol
// (its modes, commands and reply format) stays in the adapter, which supplies the hooks below.
import type { SessionAdmission, SessionHandle, SessionRegistration } from '../core/sessions.js';
import type { Logger } from '../log/logger.js';
import { ByteQueue } from './byte-queue.js';
import type { StreamConnection } from './stream-connection.js';

/**
 * Collected replies are written once this many characters wait, even with more pipelined input to
 * process, so the socket's unflushed output (which the flush-and-wait looks at) includes them.
 */
const REPLY_BATCH = 16 * 1024;

/** The limits the shared mechanics enforce; each protocol's SessionLimits has at least these. */
export interface LineSessionLimits {
  /** Unprocessed input at which reading stops while a step is in progress. */
  readonly maxBufferedInput: number;
  /** Error replies after which the session is closed. */
  readonly maxErrors: number;
}

/** Transport state: `tls` while a STARTTLS/STLS handshake runs (input is ignored). */
type Phase = 'open' | 'tls' | 'closed';

export abstract class LineSession<Reply> {
  readonly log: Logger;
  protected readonly input = new ByteQueue();
  private output = '';
  private phase: Phase = 'open';
  /** A step is running (or the pump waits before the next one). */
  protected pumping = false;
  private errors = 0;
  /** Reply to end the session with at the next command boundary (shutdown, revocation, expiry). */
  protected pendingClose: Reply | undefined;
  /** Whether the last reply sent was an error; a command's audit line reads it (undefined = none yet). */
  protected lastReplyError: boolean | undefined;
  /** Registration with session control, from login until the session ends. */
  protected admission: SessionHandle | undefined;
  /** Reading from the client is stopped because enough input waits unprocessed. */
  private inputPaused = false;
  /** Called once when the session ends (for the server's connection accounting). */
  onClose: (() => void) | undefined;

  protected constructor(
    readonly conn: StreamConnection,
    log: Logger,
    private readonly lineLimits: LineSessionLimits,
    /** Names the protocol in the log line of an unexpected failure. */
    private readonly protocolName: string,
  ) {
    this.log = log;
  }

  /** Sends the protocol's greeting. */
  abstract greet(): void;
  /** Server shutdown: the protocol's closing reply, at the next command boundary. */
  abstract shutdown(): void;
  /** Processes one unit of input; false when more input is needed. */
  protected abstract step(): Promise<boolean>;
  /** The reply as written on the wire. */
  protected abstract format(r: Reply): string;
  /** Whether a reply counts towards the error limit by default. */
  protected abstract isError(r: Reply): boolean;
  /** The closing replies of the shared mechanics, in the protocol's words. */
  protected abstract tooManyErrorsReply(): Reply;
  protected abstract internalErrorReply(): Reply;
  protected abstract idleTimeoutReply(): Reply;
  /** The TLS handshake succeeded: the protocol forgets what it knew before (and reads commands). */
  protected abstract tlsStarted(): void;

  /** Whether no command or message is in progress, so a pending close may happen now. */
  protected atBoundary(): boolean {
    return true;
  }

  /** Input was queued (SMTP notes its peak memory here). */
  protected inputQueued(): void {}

  /** The session ends (`disconnect`: the transport went away): drop whatever protocol state is in flight. */
  protected teardown(_how: 'close' | 'disconnect'): void {}

  get secure(): boolean {
    return this.conn.secure;
  }

  get closed(): boolean {
    return this.phase === 'closed';
  }

  /** Bytes from the client. */
  receive(chunk: Buffer): void {
    if (this.phase !== 'open') return;
    this.input.push(chunk);
    this.inputQueued();
    // While a step is in progress nothing consumes input: stop reading once enough is waiting.
    if (this.pumping && !this.inputPaused && this.input.length >= this.lineLimits.maxBufferedInput) {
      this.inputPaused = true;
      this.conn.pauseInput();
    }
    void this.pump();
  }

  /** Queues a reply; by default the protocol's error replies count towards the error limit. */
  send(r: Reply, clientError = this.isError(r)): void {
    this.lastReplyError = this.isError(r);
    this.output += this.format(r);
    if (clientError) this.errors++;
  }

  flush(): void {
    if (this.output === '') return;
    const out = this.output;
    this.output = '';
    this.conn.write(out);
  }

  /** Ends the session after flushing replies (QUIT, fatal limits, shutdown). */
  close(final?: Reply): void {
    if (this.phase === 'closed') return;
    if (final) this.send(final);
    this.flush();
    this.teardown('close');
    this.phase = 'closed';
    this.input.clear();
    this.conn.end();
    this.finish();
  }

  /** The connection was idle too long. */
  timedOut(): void {
    this.close(this.idleTimeoutReply());
  }

  /**
   * Ends the session with `final` as soon as no command or message is in progress: at once when idle,
   * else right after the current one is answered, so an accepted message is never cut off.
   */
  endAtBoundary(final: Reply): void {
    if (this.closed) return;
    this.pendingClose ??= final;
    if (!this.pumping && this.atBoundary()) this.close(this.pendingClose);
  }

  /**
   * Records a login with session control, which ends the session with `ended(reason)` at the next
   * command boundary (revocation, re-introspection saying inactive, token expiry). False = the token
   * or its OP session is revoked, or the client left meanwhile: the login must be refused.
   */
  protected async admitLogin(
    control: SessionAdmission,
    registration: Omit<SessionRegistration, 'peer' | 'terminate'>,
    ended: (reason: string) => Reply,
  ): Promise<boolean> {
    const handle = await control.admit({
      ...registration,
      peer: this.conn.remoteAddress,
      terminate: (reason) => {
        this.log.info({ user: registration.principal.user, reason }, 'session ended by session control');
        this.endAtBoundary(ended(reason));
      },
    });
    if (!handle) return false;
    if (this.closed) {
      // The client went away while the check ran; finish() has already run.
      handle.unregister();
      return false;
    }
    this.admission = handle;
    return true;
  }

  /** The transport went away (client disconnect, reset): drop whatever was in flight. */
  disconnected(): void {
    if (this.phase !== 'closed') this.log.debug('client disconnected');
    this.teardown('disconnect');
    this.phase = 'closed';
    this.input.clear();
    this.finish();
  }

  private finish(): void {
    this.admission?.unregister();
    this.admission = undefined;
    const cb = this.onClose;
    this.onClose = undefined;
    cb?.();
  }

  /**
   * STARTTLS/STLS: flushes the positive reply, drops anything pipelined after the command (RFC 3207
   * §5, RFC 2595 §4), upgrades, and lets the protocol reset its state.
   */
  async upgradeTls(): Promise<void> {
    this.flush();
    this.input.clear();
    this.phase = 'tls';
    try {
      await this.conn.startTls();
    } catch (err) {
      this.log.info({ err: err instanceof Error ? err.message : String(err) }, 'TLS handshake failed');
      this.disconnected();
      return;
    }
    if (this.phase !== 'tls') return;
    this.phase = 'open';
    this.tlsStarted();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      // The pump starts when input arrives at an idle session: its first step follows the network,
      // the later ones (pipelined commands, further message slices) follow on from work done.
      let afterInput = true;
      for (;;) {
        if (this.output.length >= REPLY_BATCH) this.flush();
        await this.conn.readyForNextCommand(afterInput);
        afterInput = false;
        if (!this.mayStep()) break;
        if (!(await this.step())) break;
        if (this.errors >= this.lineLimits.maxErrors) this.close(this.tooManyErrorsReply());
      }
    } catch (err) {
      this.log.error({ err }, `${this.protocolName} session failed`);
      this.close(this.internalErrorReply());
    } finally {
      this.pumping = false;
      // The pump has consumed all it can and waits for more input: reading must go on.
      if (this.inputPaused) {
        this.inputPaused = false;
        this.conn.resumeInput();
      }
      if (this.pendingClose && this.atBoundary()) this.close(this.pendingClose);
      if (this.phase !== 'closed') this.flush();
    }
  }

  /**
   * Whether the pump may take another step: not once the session is closed or upgrading to TLS, nor
   * at a command boundary with a shutdown or revocation waiting, however much input is pipelined.
   */
  private mayStep(): boolean {
    if (this.phase !== 'open') return false;
    return !(this.pendingClose && this.atBoundary());
  }
}
