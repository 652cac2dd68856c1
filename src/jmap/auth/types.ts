// The pieces every JMAP authentication strategy shares. A strategy looks at one HTTP request and
// either does not apply (its credentials are absent), accepts it, or refuses it with a reason.
import type { AuthFailure, AuthResult, ConnectionAuthContext, Principal } from '../../auth/types.js';

/** The part of the auth core's AuthService that JMAP uses; the real service satisfies it structurally. */
export interface JmapAuthenticator {
  loginWithPassword(user: string, pass: string, ctx: ConnectionAuthContext): Promise<AuthResult>;
  loginWithBearer(token: string, ctx: ConnectionAuthContext): Promise<AuthResult>;
}

export interface HttpAuthRequest {
  /** Lower-cased header names as node:http gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** TCP peer address (never a forwarded-for header). */
  peer: string;
  secure: boolean;
  /** The request's log correlation id, for the login's audit line. */
  session?: string;
}

export type StrategyOutcome =
  | { kind: 'notApplicable' }
  | { kind: 'accepted'; principal: Principal }
  | { kind: 'refused'; failure: AuthFailure };

export interface AuthStrategy {
  readonly name: string;
  /** The WWW-Authenticate challenge announcing this strategy, or undefined if it announces none. */
  challenge(): string | undefined;
  authenticate(req: HttpAuthRequest): Promise<StrategyOutcome>;
}

export function headerValue(req: HttpAuthRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
