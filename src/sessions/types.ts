// Contracts of the session-revocation core. Protocol front-ends register each authenticated
// connection (IMAP connection, SMTP session, JMAP push channel) and supply how to end it; this core
// decides when: back-channel logout, re-introspection, token expiry, or an administrator.
import type { AuthConfig, TokenExpiryPolicy } from '../config/types.js';
import type { Principal, Protocol } from '../auth/types.js';
import type { SessionRevokedEvent } from '../events/types.js';
import type { BackchannelLogoutHandler } from './backchannel-logout.js';

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

/** JMAP also serves the back-channel logout endpoint (POST BACKCHANNEL_LOGOUT_PATH). */
export interface JmapSessionControl extends SessionAdmission {
  readonly handleBackchannelLogout: BackchannelLogoutHandler;
}

/** A registered session as the registry keeps it. */
export interface LiveSession {
  readonly id: string;
  readonly protocol: Protocol;
  readonly principal: Principal;
  readonly peer: string;
  readonly startedAt: Date;
  readonly auth?: AuthConfig;
  readonly tokenExpiry?: TokenExpiryPolicy;
}

/** A session as shown to administrators: never the access token. */
export interface SessionSummary {
  id: string;
  protocol: Protocol;
  user: string;
  mechanism: string;
  peer: string;
  startedAt: string;
  tokenExpiry?: string;
  sid?: string;
  jti?: string;
  clientId?: string;
  subject?: string;
  issuer?: string;
}

/** Which sessions a revocation names. At least one of sid, sub, jti, user. */
export interface RevocationCriteria {
  /** OP session id: its sessions end (issuer-scoped when issuer is given). */
  sid?: string;
  /** Subject: with no sid, every session of that subject from that issuer ends. */
  sub?: string;
  /** Access token id. */
  jti?: string;
  /** Canonical user name: every session of the user ends. */
  user?: string;
  /** Provider the sid/sub/jti belong to; absent = any provider. */
  issuer?: string;
}

export interface RevocationRequest extends RevocationCriteria {
  /**
   * Until when the revocation must be remembered: the latest expiry of the tokens it concerns.
   * Absent = now + the configured retention (the longest access token lifetime expected).
   */
  expiresAt?: Date;
  /** Shown to the client (IMAP BYE, SMTP 421) and logged; never contains a token. */
  reason: string;
}

/**
 * The bus event as this core publishes it. `subject` is not (yet) a member of SessionRevokedEvent in
 * src/events/types.ts; it rides along as an extra JSON member (the bus clones or serialises whole
 * objects) so sub-only back-channel logouts reach every node. Consumers that ignore it still see
 * `issuer` and `reason`.
 */
export type SessionRevokedMessage = SessionRevokedEvent & { subject?: string };

/** A revocation request that names nothing (it would end every session). */
export class EmptyRevocationError extends Error {
  override readonly name = 'EmptyRevocationError';
  constructor() {
    super('a revocation must name a sid, sub, jti or user');
  }
}
