// POST /oidc/backchannel-logout (OpenID Connect Back-Channel Logout 1.0): the route
// (backchannel-route.ts, served by JMAP or the control listener) hands the raw body and Content-Type
// here and writes back what this returns. A verified, first-seen logout token revokes the OP session
// (or, with only `sub`, every session of that subject from that provider) and answers 200; anything
// else answers 400 and changes nothing (§2.8). Responses are never cached.
import { decodeJwt } from 'jose';
import type { Logger } from '../log/logger.js';
import type { LogoutProvider } from './logout-providers.js';
import { LogoutTokenError, verifyLogoutToken, type LogoutClaims, type LogoutTokenChecks } from './logout-token.js';
import type { RevocationService } from './revocation.js';
import type { RevocationStore } from '../store/revocations.js';

export const BACKCHANNEL_LOGOUT_PATH = '/oidc/backchannel-logout';

export interface BackchannelLogoutResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface BackchannelLogoutOptions {
  providers: readonly LogoutProvider[];
  revocations: RevocationService;
  /** Where logout-token jtis are remembered against replay. */
  store: Pick<RevocationStore, 'rememberLogoutJti'>;
  logger: Logger;
  now?: () => number;
  clockToleranceSeconds?: number;
  /** Oldest logout token accepted (by `iat`), seconds. Default 10 minutes. */
  maxAgeSeconds?: number;
}

/** Largest request body read; a logout token is a few kilobytes. */
export const MAX_LOGOUT_BODY_BYTES = 64 * 1024;

export const LOGOUT_REASON = 'Session ended by the identity provider';

export type BackchannelLogoutHandler = (body: Buffer, contentType: string | undefined) => Promise<BackchannelLogoutResponse>;

export function createBackchannelLogoutHandler(options: BackchannelLogoutOptions): BackchannelLogoutHandler {
  const checks: LogoutTokenChecks = {
    now: options.now ?? Date.now,
    clockToleranceSeconds: options.clockToleranceSeconds ?? 60,
    maxAgeSeconds: options.maxAgeSeconds ?? 600,
  };
  const { logger } = options;

  return async function handleBackchannelLogout(body, contentType) {
    try {
      return await handle(body, contentType);
    } catch (err) {
      // Our fault (store unwritable…), not the token's: 500 lets the provider retry later.
      logger.error({ err: err instanceof Error ? err.message : String(err) }, 'back-channel logout failed');
      return { status: 500, headers: { 'cache-control': 'no-store' }, body: '' };
    }
  };

  async function handle(body: Buffer, contentType: string | undefined): Promise<BackchannelLogoutResponse> {
    let claims: LogoutClaims;
    try {
      const token = logoutTokenOf(body, contentType);
      claims = await verifyWithAnyProvider(token, options.providers, checks);
    } catch (err) {
      if (!(err instanceof LogoutTokenError)) throw err;
      logger.warn({ reason: err.message }, 'back-channel logout refused');
      return refuse(err.message);
    }
    // Replay check last, so a refused token leaves no trace; the jti is kept as long as a token with
    // that iat (or exp) could still be accepted.
    const keepUntilSec = Math.max(claims.exp ?? 0, claims.iat + checks.maxAgeSeconds) + checks.clockToleranceSeconds;
    const fresh = await options.store.rememberLogoutJti(claims.issuer, claims.jti, new Date(keepUntilSec * 1000), new Date(checks.now()));
    if (!fresh) {
      logger.warn({ issuer: claims.issuer, sid: claims.sid }, 'back-channel logout refused: replayed jti');
      return refuse('logout token already used');
    }
    await options.revocations.revoke({
      issuer: claims.issuer,
      sid: claims.sid,
      sub: claims.sub,
      reason: LOGOUT_REASON,
    });
    return { status: 200, headers: { 'cache-control': 'no-store' }, body: '' };
  }
}

function logoutTokenOf(body: Buffer, contentType: string | undefined): string {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded') throw new LogoutTokenError('body must be application/x-www-form-urlencoded');
  if (body.length > MAX_LOGOUT_BODY_BYTES) throw new LogoutTokenError('body too large');
  const values = new URLSearchParams(body.toString('utf8')).getAll('logout_token');
  if (values.length !== 1 || values[0] === '') throw new LogoutTokenError('exactly one logout_token parameter required');
  return values[0]!;
}

async function verifyWithAnyProvider(token: string, providers: readonly LogoutProvider[], checks: LogoutTokenChecks): Promise<LogoutClaims> {
  let claimedIssuer: unknown;
  try {
    claimedIssuer = decodeJwt(token).iss;
  } catch {
    throw new LogoutTokenError('malformed logout token');
  }
  if (typeof claimedIssuer !== 'string') throw new LogoutTokenError('iss missing');
  let lastError: LogoutTokenError | undefined;
  for (const provider of providers) {
    // The unverified iss only picks the candidate providers; each verifies with its own keys and
    // expected issuer. Several blocks may share an issuer with different client ids (aud).
    const issuer = await provider.issuer().catch(() => undefined);
    if (issuer !== claimedIssuer) continue;
    try {
      return await verifyLogoutToken(token, provider, issuer, checks);
    } catch (err) {
      if (!(err instanceof LogoutTokenError)) throw err;
      lastError = err;
    }
  }
  throw lastError ?? new LogoutTokenError('logout token from an unknown issuer');
}

function refuse(description: string): BackchannelLogoutResponse {
  return {
    status: 400,
    headers: { 'cache-control': 'no-store', 'content-type': 'application/json' },
    body: JSON.stringify({ error: 'invalid_request', error_description: description }),
  };
}
