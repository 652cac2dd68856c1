// One ManageSieve conversation (RFC 5804) over an abstract connection: non-authenticated, then
// authenticated state. Input is a queue of bytes consumed strictly in order by the shared line-session
// pump: a command is one line, or several when it carries literals; the literal's octets are read (or,
// when too large to keep, counted and dropped) between the lines, never more than announced. Before
// login a literal larger than an AUTHENTICATE can need ends the session at once.
import { randomBytes } from 'node:crypto';
import type { ConnectionAuthContext, Principal, SaslExchange } from '../auth/types.js';
import type { ManageSieveServerConfig } from '../config/types.js';
import { LineSession, type StreamConnection } from '../net/index.js';
import { SIEVE_EXTENSIONS } from '../sieve/index.js';
import type { SieveScriptLimits } from '../store/types.js';
import { COMMANDS } from './commands/index.js';
import { auditDelegatedManageSieve } from './delegation-audit.js';
import { handleSaslResponse } from './commands/authenticate.js';
import type { ManageSieveDeps } from './deps.js';
import type { SessionLimits } from './limits.js';
import { bye, capabilityLine, no, ok } from './proto/response.js';
import { scanLine, type Token } from './proto/tokens.js';

type Mode = { kind: 'command' } | { kind: 'sasl'; exchange: SaslExchange };

/** A literal being read: its octets so far, or (too large) only how many are left to drop. */
interface PendingLiteral {
  size: number;
  remaining: number;
  parts: Buffer[] | undefined;
}

export class ManageSieveSession extends LineSession<string> {
  readonly id: string;
  principal: Principal | undefined;
  private mode: Mode = { kind: 'command' };
  private commands = 0;
  /** Tokens of a command whose literal is being read. */
  private partial: Token[] | undefined;
  private literal: PendingLiteral | undefined;

  constructor(
    readonly config: ManageSieveServerConfig,
    readonly deps: ManageSieveDeps,
    conn: StreamConnection,
    readonly limits: SessionLimits,
  ) {
    const id = randomBytes(6).toString('hex');
    super(conn, deps.logger.child({ managesieve: config.name, session: id, peer: conn.remoteAddress }), limits, 'ManageSieve');
    this.id = id;
  }

  authContext(): ConnectionAuthContext {
    return { protocol: 'managesieve', auth: this.config.auth, secure: this.conn.secure, peer: this.conn.remoteAddress, localPort: this.conn.localPort };
  }

  /** The account's limits, with this listener's upload bound (<maxmessagesize>) when it is smaller. */
  get scriptLimits(): SieveScriptLimits {
    const { maxScripts, maxSize } = this.deps.quota;
    const upload = this.config.maxScriptUpload;
    return { maxScripts, maxSize: upload > 0 && (maxSize === 0 || upload < maxSize) ? upload : maxSize };
  }

  /** The capability listing (RFC 5804 §1.7) for this connection's state, without the final OK. */
  capabilities(): string {
    const lines = [capabilityLine('IMPLEMENTATION', 'Tessera'), capabilityLine('SIEVE', SIEVE_EXTENSIONS.join(' '))];
    if (!this.principal) {
      // Under requireSSL before STARTTLS nothing is advertised: the client is told to start TLS first.
      lines.push(capabilityLine('SASL', this.deps.auth.advertisedMechanisms(this.authContext()).join(' ')));
      if (this.conn.canStartTls && !this.conn.secure) lines.push(capabilityLine('STARTTLS'));
    } else {
      lines.push(capabilityLine('OWNER', this.principal.user));
    }
    lines.push(capabilityLine('VERSION', '1.0'), capabilityLine('UNAUTHENTICATE'));
    return lines.join('');
  }

  greet(): void {
    this.send(this.capabilities() + ok(`${this.config.helloName} ManageSieve Tessera ready`));
    this.flush();
  }

  protected format(text: string): string {
    return text;
  }

  /** Every refusal is sent on its own, so it starts the reply (a script's text never counts). */
  protected isError(text: string): boolean {
    return text.startsWith('NO');
  }

  protected tooManyErrorsReply(): string {
    return bye('Too many errors, closing connection');
  }

  protected internalErrorReply(): string {
    return bye('Internal error, closing connection', 'TRYLATER');
  }

  protected idleTimeoutReply(): string {
    return bye('Idle timeout, closing connection');
  }

  shutdown(): void {
    this.endAtBoundary(bye('Server shutting down', 'TRYLATER'));
  }

  /** No command is half-read: a pending close may happen now. */
  protected override atBoundary(): boolean {
    return this.partial === undefined && this.literal === undefined;
  }

  /**
   * Records a login with session control and makes sure the account exists. False = the token or its
   * OP session is revoked: the login must be refused as invalid.
   */
  async authenticated(principal: Principal): Promise<boolean> {
    const admitted = await this.admitLogin(
      this.deps.sessions,
      { protocol: 'managesieve', principal, auth: this.config.auth, tokenExpiry: this.config.tokenExpiry },
      (reason) => bye(`${reason}, closing connection`),
    );
    if (!admitted) return false;
    await this.deps.store.ensureAccount(principal.user);
    this.principal = principal;
    return true;
  }

  /** UNAUTHENTICATE (RFC 5804 §2.14): back to the non-authenticated state, out of session control. */
  unauthenticate(): void {
    this.admission?.unregister();
    this.admission = undefined;
    this.principal = undefined;
  }

  beginSasl(exchange: SaslExchange): void {
    this.mode = { kind: 'sasl', exchange };
  }

  /** STARTTLS succeeded: RFC 5804 §2.2 has the server re-issue its capabilities, then OK. */
  protected tlsStarted(): void {
    this.mode = { kind: 'command' };
    this.partial = undefined;
    this.literal = undefined;
    this.send(this.capabilities() + ok('TLS negotiation successful'));
  }

  /** Largest literal kept: before login what AUTHENTICATE needs, after it a script. */
  private literalLimit(): number {
    if (!this.principal) return this.limits.maxSaslString;
    return Math.max(this.scriptLimits.maxSize || Number.MAX_SAFE_INTEGER, this.limits.maxSaslString);
  }

  /** Processes one unit of input (a line or literal octets); false when more input is needed. */
  protected async step(): Promise<boolean> {
    const literal = this.literal;
    if (literal) {
      if (this.input.length === 0) return false;
      const chunk = this.input.takeBytes(Math.min(literal.remaining, this.input.length));
      literal.remaining -= chunk.length;
      literal.parts?.push(chunk);
      if (literal.remaining > 0) return false;
      this.literal = undefined;
      this.partial!.push(
        literal.parts ? { kind: 'string', value: Buffer.concat(literal.parts, literal.size) } : { kind: 'string', value: Buffer.alloc(0), discarded: literal.size },
      );
      return true;
    }
    const limit = this.principal ? this.config.maxLineLength : Math.max(this.config.maxLineLength, this.limits.maxSaslString + 64);
    const r = this.input.takeLine(limit);
    if (r.kind === 'incomplete') return false;
    const partial = this.partial;
    this.partial = undefined;
    if (r.kind === 'too-long') {
      this.mode = { kind: 'command' };
      this.send(no('Line too long'));
      return true;
    }
    const scan = scanLine(r.line);
    if (!scan.ok) {
      this.mode = { kind: 'command' };
      this.send(no(scan.message));
      return true;
    }
    const tokens = partial ? [...partial, ...scan.tokens] : scan.tokens;
    if (scan.literal) {
      const { size } = scan.literal;
      if (size > this.literalLimit() && !this.principal) {
        // Before login nothing needs this much: the octets are not read at all.
        this.close(bye('Literal too large before authentication'));
        return false;
      }
      this.partial = tokens;
      this.literal = { size, remaining: size, parts: size > this.literalLimit() ? undefined : [] };
      if (size === 0) {
        this.literal = undefined;
        tokens.push({ kind: 'string', value: Buffer.alloc(0) });
      }
      return true;
    }
    const mode = this.mode;
    if (mode.kind === 'sasl') {
      this.mode = { kind: 'command' };
      await handleSaslResponse(this, mode.exchange, tokens);
      return true;
    }
    return this.dispatch(tokens);
  }

  private async dispatch(tokens: Token[]): Promise<boolean> {
    if (tokens.length === 0) {
      this.send(no('Empty command'));
      return true;
    }
    this.commands++;
    if (this.commands > this.limits.maxCommands || (!this.principal && this.commands > this.limits.maxPreAuthCommands)) {
      this.close(bye('Too many commands, closing connection'));
      return false;
    }
    const [name, ...args] = tokens;
    const handler = name!.kind === 'atom' ? COMMANDS.get(name!.value) : undefined;
    if (!handler) {
      this.send(no('Unknown command'));
      return true;
    }
    if (handler.authenticated !== undefined && handler.authenticated !== (this.principal !== undefined)) {
      this.send(no(handler.authenticated ? 'Authenticate first' : 'Already authenticated'));
      return true;
    }
    const principal = this.principal;
    this.lastReplyError = undefined;
    await handler.run(this, args);
    auditDelegatedManageSieve(this, principal, name!.kind === 'atom' ? name!.value : '', args, this.lastReplyError);
    return true;
  }
}
