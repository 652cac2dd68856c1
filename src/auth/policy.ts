// Which SASL mechanisms a connection may see and use. One pure function so IMAP CAPABILITY, SMTP EHLO
// and the service's own checks can never disagree.
//
// Following James: `requireSSL` gates only password mechanisms (PLAIN, LOGIN, IMAP LOGIN, JMAP Basic).
// Bearer tokens are accepted on clear-text connections when OIDC is configured, because a token is
// short-lived, audience-bound and revocable, and refusing it would only push clients to passwords. An
// operator who wants TLS for everything gets it by not offering clear-text listeners.
import type { AuthFailure, ConnectionAuthContext } from './types.js';

export const PASSWORD_MECHANISMS = ['PLAIN', 'LOGIN'] as const;
export const TOKEN_MECHANISMS = ['OAUTHBEARER', 'XOAUTH2'] as const;
export const ALL_MECHANISMS: readonly string[] = [...TOKEN_MECHANISMS, ...PASSWORD_MECHANISMS];

export interface AuthPolicyDecision {
  /** Mechanisms to announce, in preference order (tokens first: clients pick the first they know). */
  advertise: string[];
  /** Whether passwords (PLAIN, LOGIN, IMAP LOGIN, JMAP Basic) may be used now. */
  passwordsAllowed: boolean;
  /** Whether bearer tokens (OAUTHBEARER, XOAUTH2, JMAP Bearer) may be used now. */
  tokensAllowed: boolean;
  /** Passwords are enabled but refused until the connection is encrypted (IMAP LOGINDISABLED). */
  passwordsNeedTls: boolean;
}

export function authPolicy(ctx: Pick<ConnectionAuthContext, 'auth' | 'secure'>): AuthPolicyDecision {
  const { auth, secure } = ctx;
  const passwordsNeedTls = auth.plainAuthEnabled && auth.requireSSL && !secure;
  const passwordsAllowed = auth.plainAuthEnabled && !passwordsNeedTls;
  const tokensAllowed = auth.oidc !== undefined;
  const advertise: string[] = [];
  if (tokensAllowed) advertise.push(...TOKEN_MECHANISMS);
  if (passwordsAllowed) advertise.push(...PASSWORD_MECHANISMS);
  return { advertise, passwordsAllowed, tokensAllowed, passwordsNeedTls };
}

/** Undefined when `mechanism` (any case) may be started now, else the failure to answer. */
export function refuseMechanism(mechanism: string, ctx: Pick<ConnectionAuthContext, 'auth' | 'secure'>): AuthFailure | undefined {
  const name = mechanism.toUpperCase();
  const decision = authPolicy(ctx);
  if ((PASSWORD_MECHANISMS as readonly string[]).includes(name)) {
    if (decision.passwordsAllowed) return undefined;
    if (decision.passwordsNeedTls) {
      return { code: 'encryption-required', message: 'Password authentication requires TLS' };
    }
    return { code: 'mechanism-unavailable', message: `Mechanism ${name} is disabled` };
  }
  if ((TOKEN_MECHANISMS as readonly string[]).includes(name)) {
    if (decision.tokensAllowed) return undefined;
    return { code: 'mechanism-unavailable', message: `Mechanism ${name} is not configured` };
  }
  return { code: 'mechanism-unavailable', message: 'Unsupported authentication mechanism' };
}
