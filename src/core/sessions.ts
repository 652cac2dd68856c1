// What a protocol front-end needs from session control, as a neutral contract: IMAP, SMTP and JMAP
// receive an implementation through their deps (`tessera serve` passes src/sessions' one) and never
// import src/sessions. Each authenticated connection is admitted with how to end it; session control
// decides when (back-channel logout, re-introspection, token expiry, an administrator).
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
 * What IMAP, SMTP and JMAP need from session control: admit each login, so it can be ended later,
 * and refuse logins whose token or OP session was revoked.
 */
export interface SessionAdmission {
  /** Undefined = revoked: nothing stays registered and the login must be refused as invalid. */
  admit(registration: SessionRegistration): Promise<SessionHandle | undefined>;
  /** True = refuse the request as invalid credentials (JMAP asks on every token request). */
  isRevoked(principal: Principal): Promise<boolean>;
}
