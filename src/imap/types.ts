// Types shared by the IMAP session, its commands and the server.
import type { AuthFailure, ConnectionAuthContext, SaslExchange, AuthResult } from '../auth/types.js';
import type { ImapServerConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { EventBus } from '../events/types.js';
import type { MailStore } from '../store/types.js';
import type { GroupDirectory } from '../auth/users/types.js';
import type { SessionAdmission } from '../core/sessions.js';
import type { Args } from './proto/args.js';

/** The part of the auth core IMAP uses (AuthService satisfies it). */
export interface ImapAuth {
  advertisedMechanisms(ctx: ConnectionAuthContext): string[];
  passwordLoginAllowed(ctx: ConnectionAuthContext): boolean;
  beginSasl(mechanism: string, ctx: ConnectionAuthContext): SaslExchange | AuthFailure;
  loginWithPassword(username: string, password: string, ctx: ConnectionAuthContext): Promise<AuthResult>;
}

export interface ImapDeps {
  auth: ImapAuth;
  /** Mail of logged-in users; the account id is the Principal's user name. */
  store: MailStore;
  /** Wakes IDLE on changes to the selected mailbox. */
  events: EventBus;
  /**
   * The users repository's groups, which ACL identifiers "$group" grant rights to: read at login and
   * again before every command, so a member taken out of a group loses its rights at the next one.
   * Absent: users are in no group.
   */
  groups?: GroupDirectory;
  logger: Logger;
  /**
   * Session control: every login is admitted here, which refuses revoked tokens and lets revocation
   * (back-channel logout, re-introspection, token expiry, admin) end the connection with `* BYE`.
   */
  sessions: SessionAdmission;
  /**
   * Where APPEND literals are staged while they arrive; each listener uses its own subdirectory
   * (`tessera serve` gives <data dir>/spool/imap).
   */
  spoolDir: string;
  /** The postmaster address, given as the server annotation /shared/admin (RFC 5464 §3.2.1.1). */
  adminContact?: string;
  /**
   * NOTIFY notifications a session may have waiting before its registration overflows
   * (RFC 5465 §5.8; notify/watcher.ts MAX_PENDING when absent).
   */
  notifyQueueLimit?: number;
}

export type SessionState = 'notauth' | 'auth' | 'selected' | 'logout';

/** What a command returns for its tagged OK. */
export interface CommandOk {
  code?: string;
  text?: string;
  /** The command already wrote its tagged reply (STARTTLS answers before the handshake). */
  replied?: boolean;
}

export interface CommandSpec {
  /** States in which the command is valid. */
  states: readonly SessionState[];
  /**
   * Whether pending EXPUNGEs may be sent after this command. False for FETCH, STORE and SEARCH by
   * sequence number (RFC 3501 §7.4.1); UID variants allow them.
   */
  expungeAfter: boolean;
  run(session: import('./session.js').ImapSession, args: Args, ctx: CommandContext): Promise<CommandOk | void>;
}

export interface CommandContext {
  tag: string;
  /** Upper-cased command name (without UID). */
  name: string;
  /** Invoked as `UID <name>`. */
  uid: boolean;
}

export type { ImapServerConfig };
