// The session-admission contract between the protocol front-ends and session control (src/sessions).
// Protocols register each authenticated connection (IMAP connection, SMTP session, JMAP push channel)
// and supply how to end it; session control decides when. A neutral module, so a protocol receives a
// SessionAdmission through its deps without importing src/sessions.
import type { AuthConfig, TokenExpiryPolicy } from '../config/types.js';
import type { Principal, Protocol } from '../auth/types.js';

/** What a protocol hands over when a connection has authenticated. */
export interface SessionRegistration {
  protocol: Protocol;
  principal: Principal;
  /** Remote address, for `tessera sessions list`. */
  peer: string;
  /** Defaults to the time of registration. */
  startedAt?: Date;
  /**
   * Ends the connection: IMAP `* BYE <reason>` then close, SMTP `421 4.7.0 <reason>` then close, JMAP
   * push channel close. Called at most once, never from inside register(); must not throw.
   */
  terminate(reason: string): void;
  /**
   * The auth settings the principal was accepted under (listener or JMAP `auth`). Needed for
   * re-introspection: its `oidc` block names the introspection endpoint and `revalidateInterval`.
   */
  auth?: AuthConfig;
  /** The listener's token expiry policy; absent = ignore. */
  tokenExpiry?: TokenExpiryPolicy;
}

/** Returned by register(); the protocol calls unregister() when the connection closes. */
export interface SessionHandle {
  readonly id: string;
  /** Idempotent. Also clears the session's expiry timer. */
  unregister(): void;
}

/**
 * What IMAP and SMTP need from session control (SessionControl satisfies it): admit each login, so
 * the registry can end it later, and refuse logins whose token or OP session was revoked.
 */
export interface SessionAdmission {
  /** Undefined = revoked: nothing stays registered and the login must be refused as invalid. */
  admit(registration: SessionRegistration): Promise<SessionHandle | undefined>;
  /** True = refuse the request as invalid credentials (JMAP asks on every token request). */
  isRevoked(principal: Principal): Promise<boolean>;
}
