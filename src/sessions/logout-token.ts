// Logout token validation, OpenID Connect Back-Channel Logout 1.0 §2.6: a JWT validated like an ID
// token (signature with the provider's keys, asymmetric algorithm, `iss`, `aud` containing our client
// id, `iat`), plus: the back-channel-logout member in `events`, `sid` and/or `sub`, no `nonce` (so an
// ID token can never pass as a logout token), and a `jti` (checked against replays by the caller).
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type CryptoKey, type JWTPayload } from 'jose';
import { ALLOWED_ALGORITHMS } from '../auth/token/validator.js';
import { NoSigningKeysError, ProviderResponseError, ProviderUnavailableError, UnknownSigningKeyError } from '../auth/token/errors.js';
import type { LogoutProvider } from './logout-providers.js';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

export interface LogoutClaims {
  issuer: string;
  sid?: string;
  sub?: string;
  jti: string;
  /** Seconds since epoch. */
  iat: number;
  exp?: number;
}

export interface LogoutTokenChecks {
  now: () => number;
  /** Leeway for iat/exp, seconds. */
  clockToleranceSeconds: number;
  /** Oldest `iat` accepted, seconds: bounds how long jtis must be remembered. */
  maxAgeSeconds: number;
}

/** Why a logout token was refused; the message is safe to log and to return. */
export class LogoutTokenError extends Error {
  override readonly name = 'LogoutTokenError';
}

export async function verifyLogoutToken(token: string, provider: LogoutProvider, issuer: string, checks: LogoutTokenChecks): Promise<LogoutClaims> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new LogoutTokenError('malformed logout token');
  }
  if (typeof header.alg !== 'string' || !ALLOWED_ALGORITHMS.includes(header.alg)) {
    throw new LogoutTokenError(`algorithm ${String(header.alg)} not allowed`);
  }
  // Explicit typing (§2.4): a JWT typed as anything else (an access token, at+jwt) is not a logout token.
  if (header.typ !== undefined && !['logout+jwt', 'jwt'].includes(header.typ.toLowerCase().replace(/^application\//, ''))) {
    throw new LogoutTokenError(`token type ${header.typ} is not logout+jwt`);
  }
  const payload = await verifySignature(token, header, provider, issuer, checks);

  const nowSec = checks.now() / 1000;
  const iat = payload.iat;
  if (typeof iat !== 'number') throw new LogoutTokenError('iat missing');
  if (iat > nowSec + checks.clockToleranceSeconds) throw new LogoutTokenError('iat in the future');
  if (iat < nowSec - checks.maxAgeSeconds - checks.clockToleranceSeconds) throw new LogoutTokenError('logout token too old');
  const events = payload.events;
  if (!isRecord(events) || !isRecord(events[BACKCHANNEL_LOGOUT_EVENT])) {
    throw new LogoutTokenError('events claim lacks the back-channel logout event');
  }
  if ('nonce' in payload) throw new LogoutTokenError('logout token carries a nonce');
  const sid = nonEmpty(payload.sid);
  const sub = nonEmpty(payload.sub);
  if (payload.sid !== undefined && sid === undefined) throw new LogoutTokenError('sid is not a string');
  if (payload.sub !== undefined && sub === undefined) throw new LogoutTokenError('sub is not a string');
  if (!sid && !sub) throw new LogoutTokenError('neither sid nor sub');
  const jti = nonEmpty(payload.jti);
  if (!jti) throw new LogoutTokenError('jti missing');
  return { issuer, sid, sub, jti, iat, exp: typeof payload.exp === 'number' ? payload.exp : undefined };
}

async function verifySignature(
  token: string,
  header: ReturnType<typeof decodeProtectedHeader>,
  provider: LogoutProvider,
  issuer: string,
  checks: LogoutTokenChecks,
): Promise<JWTPayload> {
  let keys: CryptoKey[];
  try {
    keys = await provider.keysFor(header);
  } catch (err) {
    if (err instanceof UnknownSigningKeyError) throw new LogoutTokenError('signed with an unknown key');
    if (err instanceof NoSigningKeysError || err instanceof ProviderUnavailableError || err instanceof ProviderResponseError) {
      throw new LogoutTokenError(`provider keys unavailable (${err.message})`);
    }
    throw err;
  }
  let last: unknown;
  for (const key of keys) {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ALLOWED_ALGORITHMS,
        issuer,
        audience: provider.clientId,
        clockTolerance: checks.clockToleranceSeconds,
        currentDate: new Date(checks.now()),
        requiredClaims: ['iat'],
      });
      return payload;
    } catch (err) {
      last = err;
      if (!(err instanceof joseErrors.JWSSignatureVerificationFailed)) break;
    }
  }
  throw new LogoutTokenError(reasonOf(last));
}

function reasonOf(err: unknown): string {
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof joseErrors.JWTExpired) return 'logout token expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim ${err.claim} check failed (${err.reason})`;
  if (err instanceof joseErrors.JOSEError) return `malformed logout token (${err.code})`;
  return 'logout token could not be verified';
}

function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
