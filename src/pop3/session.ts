// One POP3 conversation (RFC 1939) over an abstract connection: AUTHORIZATION, TRANSACTION, UPDATE.
// Input is a queue of lines consumed strictly in order, so pipelined commands (RFC 2449 PIPELINING)
// are answered in sequence. Before each command the session flushes and waits as SMTP does (the
// network edge's readyForNextCommand): a client that pipelines RETRs without reading gets nothing
// more queued past the output high-water mark. Messages go out slice by slice from the store, so a
// session holds at most one slice of a message, whatever its size.
import { randomBytes } from 'node:crypto';
import type { ConnectionAuthContext, Principal, SaslExchange } from '../auth/types.js';
import type { Pop3ServerConfig } from '../config/types.js';
import type { SessionHandle } from '../core/sessions.js';
import type { Logger } from '../log/logger.js';
import { ByteQueue, type StreamConnection } from '../net/index.js';
import { COMMANDS } from './commands/index.js';
import { handleSaslStep } from './commands/auth.js';
import type { Pop3Deps } from './deps.js';
import type { SessionLimits } from './limits.js';
import { Maildrop } from './maildrop.js';
import { parseCommandLine } from './proto/command.js';
import { err, ok } from './proto/response.js';

/** Collected responses are written once this many characters wait, even with more input pipelined. */
const REPLY_BATCH = 16 * 1024;

type Mode = { kind: 'command' } | { kind: 'sasl'; exchange: SaslExchange } | { kind: 'tls' } | { kind: 'closed' };

export class Pop3Session {
  readonly id = randomBytes(6).toString('hex');
  readonly log: Logger;
  /** USER's argument, waiting for PASS. */
  pendingUser: string | undefined;
  principal: Principal | undefined;
  maildrop: Maildrop | undefined;
  private mode: Mode = { kind: 'command' };
  private readonly input = new ByteQueue();
  private output = '';
  private pumping = false;
  private commands = 0;
  private errors = 0;
  private pendingClose: string | undefined;
  private admission: SessionHandle | undefined;
  private inputPaused = false;
  onClose: (() => void) | undefined;

  constructor(
    readonly config: Pop3ServerConfig,
    readonly deps: Pop3Deps,
    readonly conn: StreamConnection,
    readonly limits: SessionLimits,
  ) {
    this.log = deps.logger.child({ pop3: config.name, session: this.id, peer: conn.remoteAddress });
  }

  get secure(): boolean {
    return this.conn.secure;
  }

  get closed(): boolean {
    return this.mode.kind === 'closed';
  }

  authContext(): ConnectionAuthContext {
    return { protocol: 'pop3', auth: this.config.auth, secure: this.conn.secure, peer: this.conn.remoteAddress, localPort: this.conn.localPort };
  }

  greet(): void {
    this.send(ok(`${this.config.helloName} POP3 Tessera ready`));
    this.flush();
  }

  receive(chunk: Buffer): void {
    if (this.mode.kind === 'closed' || this.mode.kind === 'tls') return;
    this.input.push(chunk);
    if (this.pumping && !this.inputPaused && this.input.length >= this.limits.maxBufferedInput) {
      this.inputPaused = true;
      this.conn.pauseInput();
    }
    void this.pump();
  }

  /** Queues a response line (or a whole multi-line response); -ERR answers count towards the limit. */
  send(text: string): void {
    this.output += text;
    if (text.startsWith('-ERR')) this.errors++;
  }

  flush(): void {
    if (this.output === '') return;
    const out = this.output;
    this.output = '';
    this.conn.write(out);
  }

  /** Writes message bytes after whatever is queued, then waits until the client has read enough. */
  async writeBytes(bytes: Buffer): Promise<void> {
    this.flush();
    this.conn.write(bytes);
    await this.conn.readyForNextCommand(false);
  }

  /** Ends the session after flushing responses. Deleted messages are NOT expunged (RFC 1939 §6). */
  close(final?: string): void {
    if (this.mode.kind === 'closed') return;
    if (final) this.send(final);
    this.flush();
    this.mode = { kind: 'closed' };
    this.input.clear();
    this.conn.end();
    this.finish();
  }

  shutdown(): void {
    this.endAtBoundary(err('Server shutting down', 'SYS/TEMP'));
  }

  /** Ends the session with `final` as soon as no command is running. */
  endAtBoundary(final: string): void {
    if (this.closed) return;
    this.pendingClose ??= final;
    if (!this.pumping) this.close(this.pendingClose);
  }

  /**
   * Records a login with session control and opens the maildrop. False = the token or its OP session
   * is revoked: the login must be refused as invalid.
   */
  async authenticated(principal: Principal): Promise<boolean> {
    const handle = await this.deps.sessions.admit({
      protocol: 'pop3',
      principal,
      peer: this.conn.remoteAddress,
      auth: this.config.auth,
      tokenExpiry: this.config.tokenExpiry,
      terminate: (reason) => {
        this.log.info({ user: principal.user, reason }, 'session ended by session control');
        this.endAtBoundary(err(`${reason}, closing connection`, 'AUTH'));
      },
    });
    if (!handle) return false;
    if (this.closed) {
      handle.unregister();
      return false;
    }
    this.admission = handle;
    this.principal = principal;
    this.maildrop = await Maildrop.open(this.deps.store, principal.user);
    return true;
  }

  disconnected(): void {
    if (this.mode.kind !== 'closed') this.log.debug('client disconnected');
    this.mode = { kind: 'closed' };
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

  beginSasl(exchange: SaslExchange): void {
    this.mode = { kind: 'sasl', exchange };
  }

  /** STLS (RFC 2595 §4): flushes +OK, drops anything pipelined after it, upgrades. */
  async upgradeTls(): Promise<void> {
    this.flush();
    this.input.clear();
    this.mode = { kind: 'tls' };
    try {
      await this.conn.startTls();
    } catch (e) {
      this.log.info({ err: e instanceof Error ? e.message : String(e) }, 'TLS handshake failed');
      this.disconnected();
      return;
    }
    if (this.mode.kind !== 'tls') return;
    this.pendingUser = undefined;
    this.mode = { kind: 'command' };
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      let afterInput = true;
      for (;;) {
        if (this.output.length >= REPLY_BATCH) this.flush();
        await this.conn.readyForNextCommand(afterInput);
        afterInput = false;
        if (this.mode.kind === 'closed' || this.mode.kind === 'tls' || this.pendingClose) break;
        if (!(await this.step())) break;
        if (this.errors >= this.limits.maxErrors) this.close(err('Too many errors, closing connection'));
      }
    } catch (e) {
      this.log.error({ err: e }, 'POP3 session failed');
      this.close(err('Internal error, closing connection', 'SYS/TEMP'));
    } finally {
      this.pumping = false;
      if (this.inputPaused) {
        this.inputPaused = false;
        this.conn.resumeInput();
      }
      if (this.pendingClose) this.close(this.pendingClose);
      if (this.mode.kind !== 'closed') this.flush();
    }
  }

  /** Processes one line; false when more input is needed. */
  private async step(): Promise<boolean> {
    const mode = this.mode;
    if (mode.kind === 'sasl') return this.stepSasl(mode.exchange);
    // Before login only the SASL line limit applies to AUTH; afterwards commands are short.
    const limit = this.principal ? this.config.maxLineLength : Math.max(this.config.maxLineLength, this.limits.maxSaslLine);
    const r = this.input.takeLine(limit);
    if (r.kind === 'incomplete') return false;
    if (r.kind === 'too-long') {
      this.send(err('Line too long'));
      return true;
    }
    if (r.bareLf) {
      this.send(err('Lines must end with CRLF'));
      return true;
    }
    this.commands++;
    if (this.commands > this.limits.maxCommands || (!this.principal && this.commands > this.limits.maxPreAuthCommands)) {
      this.close(err('Too many commands, closing connection'));
      return false;
    }
    const parsed = parseCommandLine(r.line);
    if (!parsed.ok) {
      this.send(err(parsed.message));
      return true;
    }
    if (parsed.verb !== 'AUTH' && parsed.verb !== 'PASS' && r.line.length + 2 > this.config.maxLineLength) {
      this.send(err('Line too long'));
      return true;
    }
    await COMMANDS[parsed.verb](this, parsed);
    return true;
  }

  private async stepSasl(exchange: SaslExchange): Promise<boolean> {
    const r = this.input.takeLine(this.limits.maxSaslLine);
    if (r.kind === 'incomplete') return false;
    this.mode = { kind: 'command' };
    if (r.kind === 'too-long') {
      this.send(err('Authentication line too long'));
      return true;
    }
    const step = await exchange.respond(r.line.toString('utf8'));
    await handleSaslStep(this, exchange, step);
    return true;
  }
}
