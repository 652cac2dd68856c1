// One SMTP conversation (RFC 5321) as a state machine over an abstract connection. Input is buffered
// in a ByteQueue and consumed in one of four modes (command lines, DATA, BDAT chunks, SASL responses),
// strictly in order, so pipelined commands (RFC 2920) are answered in sequence. Replies are collected
// and written in one batch whenever the session runs out of input to process.
import { randomBytes } from 'node:crypto';
import type { SmtpServerConfig } from '../config/types.js';
import type { ConnectionAuthContext, Principal, SaslExchange } from '../auth/types.js';
import type { RecipientRoute } from '../core/delivery.js';
import type { Logger } from '../log/logger.js';
import { ByteQueue } from './proto/byte-queue.js';
import { parseCommandLine } from './proto/command.js';
import { DataDecoder } from './proto/data-decoder.js';
import { ChunkedMessage } from './proto/bdat.js';
import { formatReply, reply, type SmtpReply } from './proto/reply.js';
import type { Mailbox } from './proto/path.js';
import type { SmtpConnection } from './connection.js';
import type { SessionLimits } from './limits.js';
import type { SmtpDeps } from './deps.js';
import type { SessionHandle } from '../core/sessions.js';
import { COMMANDS } from './commands/index.js';
import { handleSaslStep } from './commands/auth.js';
import { deliverTransaction } from './deliver.js';
import { refuseFromHeader } from './sender-rules.js';

export interface Transaction {
  /** null = the null reverse-path `<>`. */
  from: Mailbox | null;
  smtputf8: boolean;
  recipients: RecipientRoute[];
  /** Lower-cased addresses already accepted, to ignore duplicates. */
  seen: Set<string>;
  /** A BDAT sequence is in progress (DATA is then a sequence error). */
  chunked?: ChunkedMessage;
}

type Mode =
  | { kind: 'command' }
  | { kind: 'data'; decoder: DataDecoder }
  | { kind: 'bdat'; remaining: number; last: boolean; discard: SmtpReply | undefined }
  | { kind: 'sasl'; exchange: SaslExchange }
  | { kind: 'tls' }
  | { kind: 'closed' };

export class SmtpSession {
  readonly id = randomBytes(6).toString('hex');
  readonly log: Logger;
  helo: string | undefined;
  esmtp = false;
  principal: Principal | undefined;
  tx: Transaction | undefined;
  private mode: Mode = { kind: 'command' };
  private readonly input = new ByteQueue();
  private output = '';
  private pumping = false;
  private commands = 0;
  private errors = 0;
  /** Reply to end the session with at the next command boundary (shutdown, revocation, expiry). */
  private pendingClose: SmtpReply | undefined;
  /** Registration with session control, from AUTH until the session ends. */
  private admission: SessionHandle | undefined;
  /** Called once when the session ends (for the server's connection accounting). */
  onClose: (() => void) | undefined;

  constructor(
    readonly config: SmtpServerConfig,
    readonly deps: SmtpDeps,
    readonly conn: SmtpConnection,
    readonly limits: SessionLimits,
    /** The peer is in <authorizedAddresses>: may relay without AUTH. */
    readonly peerAuthorized: boolean,
  ) {
    this.log = deps.logger.child({ smtp: config.name, session: this.id, peer: conn.remoteAddress });
  }

  get secure(): boolean {
    return this.conn.secure;
  }

  get closed(): boolean {
    return this.mode.kind === 'closed';
  }

  authContext(): ConnectionAuthContext {
    return {
      protocol: 'smtp',
      auth: this.config.auth,
      secure: this.conn.secure,
      peer: this.conn.remoteAddress,
      localPort: this.conn.localPort,
    };
  }

  /** Sends the greeting. */
  greet(): void {
    this.send(reply(220, undefined, `${this.config.helloName} ESMTP Tessera ready`));
    this.flush();
  }

  /** Bytes from the client. */
  receive(chunk: Buffer): void {
    if (this.mode.kind === 'closed' || this.mode.kind === 'tls') return;
    this.input.push(chunk);
    void this.pump();
  }

  /** Queues a reply; 5xx replies count towards the error limit. */
  send(r: SmtpReply): void {
    this.output += formatReply(r);
    if (r.code >= 500) this.errors++;
  }

  flush(): void {
    if (this.output === '') return;
    const out = this.output;
    this.output = '';
    this.conn.write(out);
  }

  /** Ends the session after flushing replies (QUIT, fatal limits, shutdown). */
  close(final?: SmtpReply): void {
    if (this.mode.kind === 'closed') return;
    if (final) this.send(final);
    this.flush();
    this.mode = { kind: 'closed' };
    this.input.clear();
    this.conn.end();
    this.finish();
  }

  /**
   * Server shutdown: an idle session gets 421 now; one busy with a command or a message is told when
   * it finishes (the server destroys whatever is left at its deadline).
   */
  shutdown(): void {
    this.endAtBoundary(reply(421, '4.3.2', `${this.config.helloName} Service shutting down, closing connection`));
  }

  /**
   * Ends the session with `final` as soon as no command or message is in progress: at once when idle,
   * else right after the current one is answered, so an accepted message is never cut off.
   */
  endAtBoundary(final: SmtpReply): void {
    if (this.closed) return;
    this.pendingClose ??= final;
    if (!this.pumping && (this.mode.kind === 'command' || this.mode.kind === 'sasl')) this.close(this.pendingClose);
  }

  /**
   * Records a successful login with session control, which ends the session (421 at the next command
   * boundary) on revocation, re-introspection saying inactive, or token expiry under the listener's
   * policy. False = the token or its OP session is revoked: the AUTH must be refused as invalid.
   */
  async authenticated(principal: Principal): Promise<boolean> {
    const handle = await this.deps.sessions.admit({
      protocol: 'smtp',
      principal,
      peer: this.conn.remoteAddress,
      auth: this.config.auth,
      tokenExpiry: this.config.tokenExpiry,
      terminate: (reason) => {
        this.log.info({ user: principal.user, reason }, 'session ended by session control');
        this.endAtBoundary(reply(421, '4.7.0', `${this.config.helloName} ${reason.replace(/[\r\n]+/g, ' ')}, closing connection`));
      },
    });
    if (!handle) return false;
    if (this.closed) {
      // The client went away while the check ran; finish() has already run.
      handle.unregister();
      return false;
    }
    this.admission = handle;
    this.principal = principal;
    return true;
  }

  /** The transport went away (client disconnect, reset): drop whatever was in flight. */
  disconnected(): void {
    if (this.mode.kind !== 'closed') this.log.debug('client disconnected');
    this.mode = { kind: 'closed' };
    this.input.clear();
    this.tx = undefined;
    this.finish();
  }

  private finish(): void {
    this.admission?.unregister();
    this.admission = undefined;
    const cb = this.onClose;
    this.onClose = undefined;
    cb?.();
  }

  /** Forgets the mail transaction (RSET, HELO/EHLO, end of message). */
  resetTransaction(): void {
    this.tx = undefined;
  }

  /** RFC 3207 §4.2: after STARTTLS the client starts over, and earlier knowledge is discarded. */
  resetAfterTls(): void {
    this.helo = undefined;
    this.esmtp = false;
    this.principal = undefined;
    this.admission?.unregister();
    this.admission = undefined;
    this.tx = undefined;
  }

  beginData(): void {
    this.mode = { kind: 'data', decoder: new DataDecoder(this.config.maxMessageSize) };
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

  /**
   * STARTTLS: flushes the 220, drops anything pipelined after the command (RFC 3207 §5), upgrades,
   * and resets the session state.
   */
  async upgradeTls(): Promise<void> {
    this.flush();
    this.input.clear();
    this.mode = { kind: 'tls' };
    try {
      await this.conn.startTls();
    } catch (err) {
      this.log.info({ err: err instanceof Error ? err.message : String(err) }, 'TLS handshake failed');
      this.disconnected();
      return;
    }
    if (this.mode.kind !== 'tls') return;
    this.resetAfterTls();
    this.mode = { kind: 'command' };
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.mode.kind !== 'closed' && this.mode.kind !== 'tls') {
        if (!(await this.step())) break;
        if (this.errors >= this.limits.maxErrors) {
          this.close(reply(421, '4.7.0', `${this.config.helloName} Too many errors, closing connection`));
        }
      }
    } catch (err) {
      this.log.error({ err }, 'SMTP session failed');
      this.close(reply(421, '4.3.0', `${this.config.helloName} Internal error, closing connection`));
    } finally {
      this.pumping = false;
      if (this.pendingClose && (this.mode.kind === 'command' || this.mode.kind === 'sasl')) this.close(this.pendingClose);
      if (this.mode.kind !== 'closed') this.flush();
    }
  }

  /** Processes one unit of input; false when more input is needed. */
  private async step(): Promise<boolean> {
    const mode = this.mode;
    switch (mode.kind) {
      case 'command':
        return this.stepCommand();
      case 'data':
        return this.stepData(mode.decoder);
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
    await COMMANDS[parsed.verb](this, parsed.args);
    return true;
  }

  private async stepData(decoder: DataDecoder): Promise<boolean> {
    if (this.input.length === 0) return false;
    const buf = this.input.takeAll();
    const { done, consumed } = decoder.feed(buf);
    if (!done) return true;
    this.input.unshift(buf.subarray(consumed));
    this.mode = { kind: 'command' };
    await this.finishMessage(decoder.overflow, decoder.sawNul, () => decoder.message());
    return true;
  }

  private async stepChunk(mode: Extract<Mode, { kind: 'bdat' }>): Promise<boolean> {
    if (mode.remaining > 0) {
      if (this.input.length === 0) return false;
      const bytes = this.input.takeBytes(mode.remaining);
      mode.remaining -= bytes.length;
      if (!mode.discard) this.tx?.chunked?.append(bytes);
      if (mode.remaining > 0) return true;
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
    await this.finishMessage(chunked.overflow, false, () => chunked.message());
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

  private async finishMessage(overflow: boolean, sawNul: boolean, message: () => Buffer): Promise<void> {
    const tx = this.tx;
    this.resetTransaction();
    if (!tx) return;
    if (overflow) {
      this.send(reply(552, '5.3.4', 'Message size exceeds fixed maximum message size'));
      return;
    }
    if (sawNul) {
      this.send(reply(554, '5.6.0', 'Message contains NUL characters'));
      return;
    }
    const bytes = message();
    const refused = await refuseFromHeader(this, tx.from, bytes);
    if (refused) {
      this.send(refused);
      return;
    }
    this.send(await deliverTransaction(this, tx, bytes));
  }
}
