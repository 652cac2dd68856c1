// Pure checks on token claims that jose does not do for us: required scopes, the user claim, and the
// identity fields a Principal carries.
import type { TokenIdentity } from './types.js';

/** Scopes a token grants: the space-separated `scope` claim, or an `scp` array/string (Entra, Okta). */
export function grantedScopes(claims: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  const add = (v: unknown): void => {
    const items = typeof v === 'string' ? v.split(/\s+/) : Array.isArray(v) ? v : [];
    for (const s of items) {
      if (typeof s === 'string' && s !== '') out.add(s);
    }
  };
  add(claims.scope);
  add(claims.scp);
  return out;
}

/** The scopes named in config that the token lacks (config `scope` is space-separated; all are required). */
export function missingScopes(required: string | undefined, claims: Record<string, unknown>): string[] {
  if (!required) return [];
  const granted = grantedScopes(claims);
  return required.split(/\s+/).filter((s) => s !== '' && !granted.has(s));
}

/** The configured claim as a non-empty string, else undefined. */
export function userClaim(claims: Record<string, unknown>, claim: string): string | undefined {
  const value = claims[claim];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function optString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Identity fields (everything but the user) from JWT or introspection claims. */
export function identityFields(claims: Record<string, unknown>): Omit<TokenIdentity, 'user'> {
  return {
    subject: optString(claims.sub),
    issuer: optString(claims.iss),
    expiresAt: typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp : undefined,
    issuedAt: typeof claims.iat === 'number' && Number.isFinite(claims.iat) ? claims.iat : undefined,
    sid: optString(claims.sid),
    jti: optString(claims.jti),
    clientId: optString(claims.client_id) ?? optString(claims.azp),
  };
}

/** Audience check for introspection answers (jose does it for JWTs). */
export function audienceMatches(expected: string[], claims: Record<string, unknown>): boolean {
  if (expected.length === 0) return true;
  const aud = claims.aud;
  const list = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
  return list.some((a) => expected.includes(a));
}
