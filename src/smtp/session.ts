// One SMTP conversation (RFC 5321), or LMTP (RFC 2033) on an lmtpserver.xml listener, as a state
// machine over an abstract connection. Input is buffered in a ByteQueue and consumed in one of four
// modes (command lines, DATA, BDAT chunks, SASL responses),
// strictly in order, so pipelined commands (RFC 2920) are answered in sequence. Replies are collected
// and written in one batch whenever the session runs out of input to process (or REPLY_BATCH has
// collected). Before each step the session flushes and waits as IMAP does (the network edge's
// readyForNextCommand): a client that pipelines without reading gets no more replies queued past the
// output high-water mark, and one connection's pipelined flood runs one step per event-loop turn.
//
// Memory per session is bounded whatever the client sends: message bytes go to a spool file slice by
// slice as they arrive (DATA un-stuffed, BDAT as is), and while the session is busy (writing a slice,
// delivering a message) reading from the client stops once `maxBufferedInput` bytes wait unprocessed.
import type { SmtpServerConfig } from '../config/types.js';
import type { ConnectionAuthContext, Principal, SaslExchange } from '../auth/types.js';
import type { RecipientDsn, RecipientRoute } from '../core/delivery.js';
import { LineSession, newSessionId } from '../net/index.js';
import { parseCommandLine } from './proto/command.js';
import { DataDecoder } from './proto/data-decoder.js';
import { formatReply, reply, type SmtpReply } from './proto/reply.js';
import type { Mailbox } from './proto/path.js';
import type { SmtpConnection } from './connection.js';
import type { SessionLimits } from './limits.js';
import type { SmtpDeps } from './deps.js';
import type { IncomingMessage, SpoolDir, SpooledMessage } from '../store/index.js';
import { COMMANDS } from './commands/index.js';
import { handleSaslStep } from './commands/auth.js';
import { deliverTransaction } from './deliver.js';
import { HEADER_SCAN_LIMIT, refuseFromHeader } from './sender-rules.js';
import { authenticateInbound } from './mail-auth.js';
import { auditDelegatedSubmission } from './delegation-audit.js';

export interface Transaction {
  /** null = the null reverse-path `<>`. */
  from: Mailbox | null;
  smtputf8: boolean;
  /** RFC 3461 RET and ENVID from MAIL FROM. */
  ret?: 'FULL' | 'HDRS';
  envid?: string;
  /** RFC 8689 REQUIRETLS from MAIL FROM. */
  requireTls: boolean;
  recipients: RecipientRoute[];
  /** RFC 3461 NOTIFY/ORCPT by route address, for the recipients that gave them. */
  recipientDsn: Map<string, RecipientDsn>;
  /** Lower-cased addresses already accepted, to ignore duplicates. */
  seen: Set<string>;
  /** A BDAT sequence is in progress (DATA is then a sequence error); its chunks so far are spooled. */
  chunked?: IncomingMessage;
}

/**
 * Input handed to the DATA decoder or the spool at a time. The decoder's output for a slice is at most
 * twice its size, so a slice, its output and `maxBufferedInput` of queued input stay under 256 KiB.
 */
const INPUT_SLICE = 32 * 1024;

type Mode =
  | { kind: 'command' }
  | { kind: 'data'; decoder: DataDecoder; message: IncomingMessage }
  | { kind: 'bdat'; remaining: number; last: boolean; discard: SmtpReply | undefined }
  | { kind: 'sasl'; exchange: SaslExchange };

/** The greeting verbs each dialect refuses with 500 (RFC 2033 §4.1: an LMTP server refuses HELO/EHLO). */
const FOREIGN_GREETINGS: Readonly<Record<'smtp' | 'lmtp', readonly string[]>> = { smtp: ['LHLO'], lmtp: ['EHLO', 'HELO'] };

export class SmtpSession extends LineSession<SmtpReply> {
  readonly id: string;
  /** LMTP (RFC 2033): LHLO, and one reply per accepted recipient after the message. */
  readonly lmtp: boolean;
  helo: string | undefined;
  esmtp = false;
  principal: Principal | undefined;
  tx: Transaction | undefined;
  private mode: Mode = { kind: 'command' };
  private commands = 0;
  /** The most bytes of client input and message data this session held in memory at once. */
  private peakBuffered = 0;

  constructor(
    readonly config: SmtpServerConfig,
    readonly deps: SmtpDeps,
    conn: SmtpConnection,
    readonly limits: SessionLimits,
    /** The peer is in <authorizedAddresses>: may relay without AUTH. */
    readonly peerAuthorized: boolean,
    /** Where messages are staged while they arrive. */
    private readonly spool: SpoolDir,
  ) {
    const id = newSessionId();
    const lmtp = config.lmtp === true;
    super(conn, deps.logger.child({ [lmtp ? 'lmtp' : 'smtp']: config.name, session: id, peer: conn.remoteAddress }), limits, 'SMTP');
    this.id = id;
    this.lmtp = lmtp;
  }

  authContext(): ConnectionAuthContext {
    return {
      protocol: 'smtp',
      auth: this.config.auth,
      secure: this.conn.secure,
      peer: this.conn.remoteAddress,
      localPort: this.conn.localPort,
      session: this.id,
    };
  }

  /** Sends the greeting. */
  greet(): void {
    this.send(reply(220, undefined, `${this.config.helloName} ${this.lmtp ? 'LMTP' : 'ESMTP'} Tessera ready`));
    this.flush();
  }

  /**
   * Bytes of client input and message data held in memory now: unprocessed input plus the message
   * slice being written to the spool (a finished message is never read back whole).
   */
  get bufferedBytes(): number {
    const mode = this.mode;
    const message = mode.kind === 'data' ? mode.message : this.tx?.chunked;
    return this.input.length + (message?.bufferedBytes ?? 0);
  }

  /** The largest `bufferedBytes` seen during this session. */
  get peakBufferedBytes(): number {
    return this.peakBuffered;
  }

  protected override inputQueued(): void {
    this.notePeak();
  }

  private notePeak(): void {
    const now = this.bufferedBytes;
    if (now > this.peakBuffered) this.peakBuffered = now;
  }

  protected format(r: SmtpReply): string {
    return formatReply(r);
  }

  /**
   * 5xx replies count towards the error limit unless the caller's `clientError` says the client is
   * not at fault (LMTP's per-recipient delivery results: 60 recipients over quota are no abuse).
   */
  protected isError(r: SmtpReply): boolean {
    return r.code >= 500;
  }

  protected tooManyErrorsReply(): SmtpReply {
    return reply(421, '4.7.0', `${this.config.helloName} Too many errors, closing connection`);
  }

  protected internalErrorReply(): SmtpReply {
    return reply(421, '4.3.0', `${this.config.helloName} Internal error, closing connection`);
  }

  protected idleTimeoutReply(): SmtpReply {
    return reply(421, '4.4.2', `${this.config.helloName} Idle timeout, closing connection`);
  }

  /** A message in progress (DATA, BDAT) is no command boundary: a pending close waits for its end. */
  protected override atBoundary(): boolean {
    return this.mode.kind === 'command' || this.mode.kind === 'sasl';
  }

  /** Removes the spool files of a message in progress; a lost transport also forgets the transaction. */
  protected override teardown(how: 'close' | 'disconnect'): void {
    this.dropMessages();
    this.mode = { kind: 'command' };
    if (how === 'disconnect') this.tx = undefined;
  }

  /**
   * Server shutdown: an idle session gets 421 now; one busy with a command or a message is told when
   * it finishes (the server destroys whatever is left at its deadline).
   */
  shutdown(): void {
    this.endAtBoundary(reply(421, '4.3.2', `${this.config.helloName} Service shutting down, closing connection`));
  }

  /**
   * Records a successful login with session control, which ends the session (421 at the next command
   * boundary) on revocation, re-introspection saying inactive, or token expiry under the listener's
   * policy. False = the token or its OP session is revoked: the AUTH must be refused as invalid.
   */
  async authenticated(principal: Principal): Promise<boolean> {
    const admitted = await this.admitLogin(
      this.deps.sessions,
      { protocol: 'smtp', principal, auth: this.config.auth, tokenExpiry: this.config.tokenExpiry },
      (reason) => reply(421, '4.7.0', `${this.config.helloName} ${reason.replace(/[\r\n]+/g, ' ')}, closing connection`),
    );
    if (!admitted) return false;
    this.principal = principal;
    return true;
  }

  /** Removes the spool files of a message in progress (DATA, or a BDAT sequence). */
  private dropMessages(): void {
    if (this.mode.kind === 'data') void this.discard(this.mode.message);
    if (this.tx?.chunked) void this.discard(this.tx.chunked);
  }

  private async discard(message: IncomingMessage): Promise<void> {
    try {
      await message.discard();
    } catch (err) {
      this.log.warn({ err, file: message.path }, 'could not remove a spool file');
    }
  }

  /** Forgets the mail transaction (RSET, HELO/EHLO, end of message), and its spooled chunks. */
  resetTransaction(): void {
    if (this.tx?.chunked) void this.discard(this.tx.chunked);
    this.tx = undefined;
  }

  /** A new spooled message of at most the listener's maximum size (BDAT's first chunk). */
  spoolMessage(): IncomingMessage {
    return this.spool.message(this.config.maxMessageSize);
  }

  /** RFC 3207 §4.2: after STARTTLS the client starts over, and earlier knowledge is discarded. */
  resetAfterTls(): void {
    this.helo = undefined;
    this.esmtp = false;
    this.principal = undefined;
    this.admission?.unregister();
    this.admission = undefined;
    this.resetTransaction();
  }

  beginData(): void {
    this.mode = { kind: 'data', decoder: new DataDecoder(), message: this.spoolMessage() };
  }

  /**
   * Reads a BDAT chunk of `size` bytes next. When `discard` is set the chunk is read and thrown away
   * and that reply is sent (RFC 3030 §3: a refused BDAT's data must still be consumed).
   */
  beginChunk(size: number, last: boolean, discard?: SmtpReply): void {
    this.mode = { kind: 'bdat', remaining: size, last, discard };
  }

  beginSasl(exchange: SaslExchange): void {
    this.mode = { kind: 'sasl', exchange };
  }

  endSasl(): void {
    if (this.mode.kind === 'sasl') this.mode = { kind: 'command' };
  }

  /** STARTTLS succeeded: the client starts over with EHLO (RFC 3207 §4.2). */
  protected tlsStarted(): void {
    this.resetAfterTls();
    this.mode = { kind: 'command' };
  }

  /** Processes one unit of input; false when more input is needed. */
  protected async step(): Promise<boolean> {
    const mode = this.mode;
    switch (mode.kind) {
      case 'command':
        return this.stepCommand();
      case 'data':
        return this.stepData(mode.decoder, mode.message);
      case 'bdat':
        return this.stepChunk(mode);
      case 'sasl':
        return this.stepSasl(mode.exchange);
      default:
        return false;
    }
  }

  private async stepCommand(): Promise<boolean> {
    // Read up to the SASL limit so AUTH lines with tokens fit; other commands are held to maxLineLength.
    const limit = Math.max(this.config.maxLineLength, this.limits.maxSaslLine);
    const r = this.input.takeLine(limit);
    if (r.kind === 'incomplete') return false;
    if (r.kind === 'too-long') {
      this.send(reply(500, '5.5.6', 'Line too long'));
      return true;
    }
    if (r.bareLf) {
      this.send(reply(500, '5.5.2', 'Lines must end with CRLF'));
      return true;
    }
    const parsed = parseCommandLine(r.line);
    if (!parsed.ok) {
      if (parsed.reason === 'unknown') this.send(reply(500, '5.5.2', 'Command unrecognized'));
      else this.send(reply(500, '5.5.2', parsed.message));
      return true;
    }
    if (parsed.verb !== 'AUTH' && r.line.length + 2 > this.config.maxLineLength) {
      this.send(reply(500, '5.5.6', 'Line too long'));
      return true;
    }
    if (++this.commands > this.limits.maxCommands) {
      this.close(reply(421, '4.7.0', `${this.config.helloName} Too many commands, closing connection`));
      return false;
    }
    if (FOREIGN_GREETINGS[this.lmtp ? 'lmtp' : 'smtp'].includes(parsed.verb)) {
      // On SMTP, LHLO is answered exactly as an unknown command, as before LMTP existed.
      this.send(this.lmtp ? reply(500, '5.5.1', `${parsed.verb} not accepted by an LMTP server, use LHLO`) : reply(500, '5.5.2', 'Command unrecognized'));
      return true;
    }
    if (!this.offers(parsed.verb)) {
      // The listener's James handler chain does not load this command (AUTH on a NoAuth MX listener).
      this.send(reply(502, '5.5.1', `${parsed.verb} not available on this port`));
      return true;
    }
    await COMMANDS[parsed.verb](this, parsed.args);
    return true;
  }

  /** Whether this listener serves `verb` at all (its James <handlerchain> loads it). */
  offers(verb: string): boolean {
    if (FOREIGN_GREETINGS[this.lmtp ? 'lmtp' : 'smtp'].includes(verb)) return false;
    return !this.config.disabledCommands.includes(verb);
  }

  private async stepData(decoder: DataDecoder, message: IncomingMessage): Promise<boolean> {
    if (this.input.length === 0) return false;
    const slice = this.input.takeBytes(INPUT_SLICE);
    const { done, consumed, output } = decoder.feed(slice);
    if (done) this.input.unshift(slice.subarray(consumed));
    const written = message.append(output);
    this.notePeak();
    await written;
    if (!done || this.mode.kind !== 'data') return true;
    this.mode = { kind: 'command' };
    await this.finishMessage(message, decoder.sawNul);
    return true;
  }

  private async stepChunk(mode: Extract<Mode, { kind: 'bdat' }>): Promise<boolean> {
    if (mode.remaining > 0) {
      if (this.input.length === 0) return false;
      const bytes = this.input.takeBytes(Math.min(mode.remaining, INPUT_SLICE));
      mode.remaining -= bytes.length;
      const message = this.tx?.chunked;
      if (!mode.discard && message) {
        const written = message.append(bytes);
        this.notePeak();
        await written;
      }
      if (mode.remaining > 0 || this.mode !== mode) return true;
    }
    this.mode = { kind: 'command' };
    if (mode.discard) {
      this.send(mode.discard);
      return true;
    }
    const chunked = this.tx?.chunked;
    if (!chunked) return true;
    if (!mode.last) {
      if (chunked.overflow) {
        // Keep reading the client's chunks but refuse now, so it can stop sending (RFC 3030 §4.2).
        this.send(reply(552, '5.3.4', 'Message size exceeds fixed maximum message size'));
        this.resetTransaction();
      } else {
        this.send(reply(250, '2.0.0', `${chunked.byteCount} octets received`));
      }
      return true;
    }
    await this.finishMessage(chunked, false);
    return true;
  }

  private async stepSasl(exchange: SaslExchange): Promise<boolean> {
    const r = this.input.takeLine(this.limits.maxSaslLine);
    if (r.kind === 'incomplete') return false;
    this.endSasl();
    if (r.kind === 'too-long') {
      this.send(reply(500, '5.5.6', 'Authentication line too long'));
      return true;
    }
    const step = await exchange.respond(r.line.toString('utf8'));
    await handleSaslStep(this, exchange, step);
    return true;
  }

  /**
   * A refusal of the whole message: SMTP answers once, LMTP once per accepted recipient (RFC 2033
   * §4.2: the client reads exactly that many replies after the end of data).
   */
  private refuseMessage(tx: Transaction, r: SmtpReply): void {
    auditDelegatedSubmission(this, tx, r);
    const count = this.lmtp ? tx.recipients.length : 1;
    // One refusal of one message: it counts once towards the error limit, however many recipients.
    for (let i = 0; i < count; i++) this.send(r, i === 0 && r.code >= 500);
  }

  /** The message has ended: refuse it or deliver it; either way its spool file goes. */
  private async finishMessage(message: IncomingMessage, sawNul: boolean): Promise<void> {
    const tx = this.tx;
    this.tx = undefined;
    try {
      if (!tx) return;
      if (message.overflow) {
        this.refuseMessage(tx, reply(552, '5.3.4', 'Message size exceeds fixed maximum message size'));
        return;
      }
      if (sawNul) {
        this.refuseMessage(tx, reply(554, '5.6.0', 'Message contains NUL characters'));
        return;
      }
      // The file goes to delivery as it is, never read whole: delivery copies it behind its trace
      // lines (durably), so this one needs no fsync of its own.
      let spooled: SpooledMessage;
      try {
        spooled = await message.finish({ durable: false });
      } catch (err) {
        this.log.error({ err }, 'spooling the message failed');
        this.refuseMessage(tx, reply(451, '4.3.0', 'Local error in processing, try again later'));
        return;
      }
      const refused = await refuseFromHeader(this, tx.from, () => spooled.head(HEADER_SCAN_LIMIT));
      if (refused) {
        this.refuseMessage(tx, refused);
        return;
      }
      const authenticated = await authenticateInbound(this, tx, spooled);
      if ('refused' in authenticated) {
        this.refuseMessage(tx, authenticated.refused);
        return;
      }
      const replies = await deliverTransaction(this, tx, spooled, authenticated.verdict);
      if (replies[0]) auditDelegatedSubmission(this, tx, replies[0]);
      for (const r of replies) this.send(r, !this.lmtp && r.code >= 500);
    } finally {
      await this.discard(message);
    }
  }
}
