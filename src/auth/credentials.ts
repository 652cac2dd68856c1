// What a SASL mechanism asks of the service once it has parsed the client's credentials. Mechanisms
// only parse and frame; checking (throttling, users repository, token validation, audit) lives behind
// this interface so IMAP and SMTP share one implementation.
import type { AuthResult } from './types.js';

export interface CredentialChecker {
  /**
   * PLAIN / LOGIN: authcid and password as sent; `authzid` (PLAIN) when the client asked to act as
   * someone, which is refused unless it names the authenticated user, or the authenticated user is
   * an administrator or was granted delegation by the named one.
   */
  checkPassword(username: string, password: string, mechanism: string, authzid?: string): Promise<AuthResult>;
  /**
   * OAUTHBEARER / XOAUTH2: the bearer token; XOAUTH2's `user=` as `claimedUser`, which must be the
   * token's user; OAUTHBEARER's `a=` as `authzid`, under the PLAIN rule for authorization identities.
   */
  checkToken(token: string, claimedUser: string | undefined, mechanism: string, authzid?: string): Promise<AuthResult>;
}

/** Scope and discovery URL announced in OAuth error challenges (from the listener's `oidc` block). */
export interface OAuthChallengeInfo {
  scope?: string;
  openidConfiguration?: string;
}
