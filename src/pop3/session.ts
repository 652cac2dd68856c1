// One POP3 conversation (RFC 1939) over an abstract connection: AUTHORIZATION, TRANSACTION, UPDATE.
// Input is a queue of lines consumed strictly in order, so pipelined commands (RFC 2449 PIPELINING)
// are answered in sequence. Before each command the session flushes and waits as SMTP does (the
// network edge's readyForNextCommand): a client that pipelines RETRs without reading gets nothing
// more queued past the output high-water mark. Messages go out slice by slice from the store, so a
// session holds at most one slice of a message, whatever its size.
import type { ConnectionAuthContext, Principal, SaslExchange } from '../auth/types.js';
import type { Pop3ServerConfig } from '../config/types.js';
import { LineSession, newSessionId, type StreamConnection } from '../net/index.js';
import { COMMANDS } from './commands/index.js';
import { auditDelegatedPop3 } from './delegation-audit.js';
import { loginFrame } from './commands/auth.js';
import { onSaslStep } from '../auth/sasl/login-steps.js';
import type { Pop3Deps } from './deps.js';
import type { SessionLimits } from './limits.js';
import { Maildrop } from './maildrop.js';
import { parseCommandLine } from './proto/command.js';
import { err, ok } from './proto/response.js';

type Mode = { kind: 'command' } | { kind: 'sasl'; exchange: SaslExchange };

export class Pop3Session extends LineSession<string> {
  readonly id: string;
  /** USER's argument, waiting for PASS. */
  pendingUser: string | undefined;
  principal: Principal | undefined;
  maildrop: Maildrop | undefined;
  private mode: Mode = { kind: 'command' };
  private commands = 0;

  constructor(
    readonly config: Pop3ServerConfig,
    readonly deps: Pop3Deps,
    conn: StreamConnection,
    readonly limits: SessionLimits,
  ) {
    const id = newSessionId();
    super(conn, deps.logger.child({ pop3: config.name, session: id, peer: conn.remoteAddress }), limits, 'POP3');
    this.id = id;
  }

  authContext(): ConnectionAuthContext {
    return { protocol: 'pop3', auth: this.config.auth, secure: this.conn.secure, peer: this.conn.remoteAddress, localPort: this.conn.localPort, session: this.id };
  }

  greet(): void {
    this.send(ok(`${this.config.helloName} POP3 Tessera ready`));
    this.flush();
  }

  /** A response line (or a whole multi-line response) goes out as is; -ERR answers count towards the limit. */
  protected format(text: string): string {
    return text;
  }

  protected isError(text: string): boolean {
    return text.startsWith('-ERR');
  }

  protected tooManyErrorsReply(): string {
    return err('Too many errors, closing connection');
  }

  protected internalErrorReply(): string {
    return err('Internal error, closing connection', 'SYS/TEMP');
  }

  protected idleTimeoutReply(): string {
    return err('Idle timeout, closing connection');
  }

  /** Writes message bytes after whatever is queued, then waits until the client has read enough. */
  async writeBytes(bytes: Buffer): Promise<void> {
    this.flush();
    this.conn.write(bytes);
    await this.conn.readyForNextCommand(false);
  }

  shutdown(): void {
    this.endAtBoundary(err('Server shutting down', 'SYS/TEMP'));
  }

  /**
   * Records a login with session control and opens the maildrop. False = the token or its OP session
   * is revoked: the login must be refused as invalid.
   */
  async authenticated(principal: Principal): Promise<boolean> {
    const admitted = await this.admitLogin(
      this.deps.sessions,
      { protocol: 'pop3', principal, auth: this.config.auth, tokenExpiry: this.config.tokenExpiry },
      (reason) => err(`${reason}, closing connection`, 'AUTH'),
    );
    if (!admitted) return false;
    this.principal = principal;
    this.maildrop = await Maildrop.open(this.deps.store, principal.user);
    return true;
  }

  beginSasl(exchange: SaslExchange): void {
    this.mode = { kind: 'sasl', exchange };
  }

  /** STLS succeeded (RFC 2595 §4): the client starts over with USER/PASS or AUTH. */
  protected tlsStarted(): void {
    this.pendingUser = undefined;
    this.mode = { kind: 'command' };
  }

  /** Processes one line; false when more input is needed. */
  protected async step(): Promise<boolean> {
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
    const principal = this.principal;
    this.lastReplyError = undefined;
    await COMMANDS[parsed.verb](this, parsed);
    auditDelegatedPop3(this, principal, parsed, this.lastReplyError);
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
    await onSaslStep(loginFrame(this), exchange, step);
    return true;
  }
}
