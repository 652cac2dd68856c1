// Revoked OpenID sessions and tokens, kept by the mail store so every node on a shared store sees
// them. Session control (src/sessions) writes a revocation here before publishing it on the event
// bus, and asks here on every token login and JMAP request. Two things a bare "revoked until" flag
// cannot express are kept: when a subject or user was revoked (a token issued after that moment, by
// a new login at the provider, must get in), and the logout-token jtis seen, so a replayed logout
// token is refused (OpenID Connect Back-Channel Logout 1.0 §2.6).

/**
 * What a revocation names: an OP session id, an access token id, a subject (with its issuer) or a
 * canonical user name (lower case), or an app password id (`credential`, issuer '').
 */
export type RevocationKind = 'sid' | 'jti' | 'sub' | 'user' | 'credential';

export interface Revocation {
  kind: RevocationKind;
  value: string;
  /** Issuer the value belongs to; '' = any issuer (administrator revocations, user names). */
  issuer: string;
  /** When it was revoked: tokens issued at or before this instant are refused (sub and user). */
  revokedAt: Date;
  /** When no token it concerns can still be valid; the entry is forgotten after that. */
  expiresAt: Date;
}

/** One question of revokedAtEach(): the latest revocation of `kind`/`value` for any of `issuers`. */
export interface RevocationLookup {
  kind: RevocationKind;
  value: string;
  issuers: readonly string[];
}

export interface RevocationStore {
  /**
   * Records a revocation, or extends one already recorded for the same kind, value and issuer (the
   * later revokedAt and the later expiresAt win). Durable once resolved: a revocation acknowledged
   * to a provider survives a crash.
   */
  addRevocation(revocation: Revocation): Promise<void>;
  /**
   * The latest revokedAt of `kind`/`value` recorded for any of `issuers` that has not expired at
   * `now`, or undefined when there is none.
   */
  revokedAt(kind: RevocationKind, value: string, issuers: readonly string[], now: Date): Promise<Date | undefined>;
  /**
   * revokedAt() of each lookup, in order, answered by one query: a token login asks up to five
   * (sid, jti, app password, subject, user) and pays one store round trip.
   */
  revokedAtEach(lookups: readonly RevocationLookup[], now: Date): Promise<Array<Date | undefined>>;
  /**
   * Remembers a back-channel logout token's jti until `expiresAt`; false when it is already
   * remembered and unexpired at `now` (a replay). Atomic, also between nodes.
   */
  rememberLogoutJti(issuer: string, jti: string, expiresAt: Date, now: Date): Promise<boolean>;
  /** Forgets revocations and logout jtis expired at `now` (default: the current time); returns how many. */
  purgeExpiredRevocations(now?: Date): Promise<number>;
}
