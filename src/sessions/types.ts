// Contracts of the session-revocation core. Protocol front-ends register each authenticated
// connection (IMAP connection, SMTP session, JMAP push channel) and supply how to end it; this core
// decides when: back-channel logout, re-introspection, token expiry, or an administrator.
import type { AuthConfig, TokenExpiryPolicy } from '../config/types.js';
import type { Principal, Protocol } from '../auth/types.js';
import type { SessionRevokedEvent } from '../events/types.js';

// The contract protocols see lives in src/core (they never import src/sessions).
export type { SessionAdmission, SessionHandle, SessionRegistration } from '../core/sessions.js';

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
  /** The app password that opened it. */
  credentialId?: string;
}

/** Which sessions a revocation names. At least one of sid, sub, jti, user, credential. */
export interface RevocationCriteria {
  /** OP session id: its sessions end (issuer-scoped when issuer is given). */
  sid?: string;
  /** Subject: with no sid, every session of that subject from that issuer ends. */
  sub?: string;
  /** Access token id. */
  jti?: string;
  /** Canonical user name: every session of the user ends. */
  user?: string;
  /** App password id: the sessions it opened end. */
  credential?: string;
  /**
   * With `user`, and then alone: only the sessions in which `actor` acts as `user` (a delegation
   * taken back); `user`'s own sessions go on.
   */
  actor?: string;
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
    super('a revocation must name a sid, sub, jti, user or credential');
  }
}
