// Contracts between the authentication core and the protocol front-ends. IMAP, SMTP and JMAP only
// adapt framing: IMAP sends a challenge as `+ <base64>`, SMTP as `334 <base64>`; both pass client
// lines through unchanged, and map an AuthFailure code to their own reply.
import type { AuthConfig } from '../config/types.js';

export type Protocol = 'imap' | 'smtp' | 'pop3' | 'managesieve' | 'jmap';

/** Who is logged in, kept on the session for its lifetime (the revocation issue reads it). */
/**
 * Delegation grants (kept by the mail store, which the server wires in): `owner` lets `delegate`
 * log in as the owner by naming the owner as SASL authorization identity.
 */
export interface DelegationGrants {
  mayActAs(delegate: string, owner: string): Promise<boolean>;
}

export interface Principal {
  /** Canonical user name in the users repository. */
  user: string;
  /** SASL mechanism or HTTP strategy: PLAIN, LOGIN, OAUTHBEARER, XOAUTH2, BASIC, BEARER, XUSER. */
  mechanism: string;
  /**
   * Who authenticated (with their own password or token) and acts as `user`, named as the SASL
   * authorization identity: an administrator (usersrepository.xml administratorIds) or a delegate
   * `user` granted delegation to (DelegationGrants).
   */
  actor?: string;
  /** Set for token logins. */
  tokenExpiry?: Date;
  /**
   * When the token was issued: its `iat`, or introspection's `iat` for an opaque token; absent for
   * passwords and for tokens that carry none. A user or subject revoked later refuses the token.
   */
  issuedAt?: Date;
  sid?: string;
  jti?: string;
  clientId?: string;
  subject?: string;
  issuer?: string;
  /** Raw access token, kept in memory only so live sessions can be re-introspected. Never logged. */
  accessToken?: string;
  /**
   * The app password that opened the session (its id, never the secret): revoking the app password
   * ends exactly the sessions carrying it.
   */
  credentialId?: string;
}

/**
 * Why a login failed. Protocol mapping:
 *  - invalid: IMAP `NO [AUTHENTICATIONFAILED]`, SMTP `535 5.7.8`, JMAP 401
 *  - temporary (provider/LDAP unreachable, no keys): IMAP `NO [UNAVAILABLE]`, SMTP `454 4.7.0`, JMAP 503
 *  - throttled (too many failures): IMAP `NO [UNAVAILABLE]`, SMTP `454 4.7.0`, JMAP 429
 *  - aborted (client sent `*`): IMAP `BAD`, SMTP `501 5.7.0`
 *  - malformed (bad base64, bad SASL syntax, payload too large): IMAP `BAD`, SMTP `501 5.5.2`, JMAP 400
 *  - encryption-required (passwords need TLS here): IMAP `NO [PRIVACYREQUIRED]`, SMTP `538 5.7.11`
 *  - mechanism-unavailable (unknown or disabled mechanism): IMAP `NO`, SMTP `504 5.5.4`
 */
export type AuthFailureCode =
  | 'invalid'
  | 'temporary'
  | 'throttled'
  | 'aborted'
  | 'malformed'
  | 'encryption-required'
  | 'mechanism-unavailable';

export interface AuthFailure {
  code: AuthFailureCode;
  /** Safe to show the client and to log: never contains a password or token. */
  message: string;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; failure: AuthFailure };

export type SaslStep =
  /** Send to the client; `base64` may be empty (IMAP `+ `, SMTP `334 `). */
  | { type: 'challenge'; base64: string }
  | { type: 'success'; principal: Principal }
  | { type: 'failure'; failure: AuthFailure };

/** One SASL exchange, created per AUTHENTICATE/AUTH command. */
export interface SaslExchange {
  readonly mechanism: string;
  /**
   * Starts the exchange. `initial` is the initial response exactly as on the command line
   * (base64 text, or "=" for an empty one), undefined when the client sent none.
   */
  start(initial?: string): Promise<SaslStep>;
  /** A client line during the exchange, as received without CRLF: base64 text, "" or "*" (abort). */
  respond(line: string): Promise<SaslStep>;
}

/** What the policy needs to know about a connection. */
export interface ConnectionAuthContext {
  protocol: Protocol;
  /** The listener's (or JMAP's) auth settings. */
  auth: AuthConfig;
  /** TLS is active on this connection (implicit or after STARTTLS). */
  secure: boolean;
  /** Remote address, for throttling and audit. */
  peer: string;
  /** Server host/port as the client would put them in OAUTHBEARER `host=`/`port=` (informational). */
  localPort?: number;
  /**
   * The log correlation id of the connection (IMAP, SMTP, POP3) or HTTP request (JMAP): the `session`
   * member of its log lines, which the login's audit line carries too.
   */
  session?: string;
}
