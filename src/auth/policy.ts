// Which SASL mechanisms a connection may see and use. One pure function so IMAP CAPABILITY, SMTP EHLO,
// JMAP and the service's own checks can never disagree.
//
// `requireSSL` gates every credential, passwords and bearer tokens alike: before TLS nothing is
// advertised and nothing is accepted. A bearer token is as good as a password to whoever reads it off
// the wire for as long as it lives (RFC 6750 §5.3: "always use TLS"), and a clear connection is also
// open to a man in the middle who strips STARTTLS and harvests tokens. An operator who wants tokens on
// clear connections (a loopback test bed) sets requireSSL to false for that listener.
import { CidrList } from '../net/cidr.js';
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
  /** Tokens are configured but refused until the connection is encrypted. */
  tokensNeedTls: boolean;
}

/** A proxy on this host: its X-Forwarded-Proto is believed without configuration. */
const LOOPBACK = new CidrList(['127.0.0.0/8', '::1']);

export interface HttpTransport {
  /** The request came over a TLS connection to us. */
  tls: boolean;
  /** TCP peer address (never a forwarded-for header). */
  peer: string;
  /** The X-Forwarded-Proto header as received, if any. */
  forwardedProto: string | string[] | undefined;
}

/**
 * Whether an HTTP request counts as encrypted for requireSSL: it came over TLS, or through a
 * TLS-terminating proxy that says so with `X-Forwarded-Proto: https` and is trusted to say it — a
 * proxy on this host (loopback) or one of `trustedProxies` (JMAP's
 * authentication.strategy.rfc8621.xUser.trustedProxies, the gateways it already trusts with
 * identities). The header from anyone else is ignored: it would let a client on a clear connection
 * claim TLS. Only a single `https` value counts, not a list a chain of proxies appended to.
 */
export function httpRequestEncrypted(transport: HttpTransport, trustedProxies: CidrList): boolean {
  if (transport.tls) return true;
  const proto = transport.forwardedProto;
  if (typeof proto !== 'string' || proto.trim().toLowerCase() !== 'https') return false;
  return LOOPBACK.contains(transport.peer) || trustedProxies.contains(transport.peer);
}

/** The one rule: under requireSSL, no credential of any kind before TLS. */
export function credentialsNeedTls(ctx: Pick<ConnectionAuthContext, 'auth' | 'secure'>): boolean {
  return ctx.auth.requireSSL && !ctx.secure;
}

export function authPolicy(ctx: Pick<ConnectionAuthContext, 'auth' | 'secure'>): AuthPolicyDecision {
  const { auth } = ctx;
  const needTls = credentialsNeedTls(ctx);
  const passwordsNeedTls = auth.plainAuthEnabled && needTls;
  const passwordsAllowed = auth.plainAuthEnabled && !needTls;
  const tokensNeedTls = auth.oidc !== undefined && needTls;
  const tokensAllowed = auth.oidc !== undefined && !needTls;
  const advertise: string[] = [];
  if (tokensAllowed) advertise.push(...TOKEN_MECHANISMS);
  if (passwordsAllowed) advertise.push(...PASSWORD_MECHANISMS);
  return { advertise, passwordsAllowed, tokensAllowed, passwordsNeedTls, tokensNeedTls };
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
    if (decision.tokensNeedTls) {
      return { code: 'encryption-required', message: 'Token authentication requires TLS' };
    }
    return { code: 'mechanism-unavailable', message: `Mechanism ${name} is not configured` };
  }
  return { code: 'mechanism-unavailable', message: 'Unsupported authentication mechanism' };
}
