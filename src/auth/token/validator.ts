// Validates bearer tokens for one configured provider (one `oidc` block). Order as in James: the local
// JWT check, then RFC 7662 introspection if configured, else userinfo if configured (jmap.properties
// asks userinfo as well, as James' JMAP OidcAuthenticationStrategy does). Opaque (non-JWT) tokens are
// accepted only through introspection; so is every token when no key source (jwksURL or discovery) is
// configured, as James' JMAP strategy checks tokens by introspection alone. Outages are *temporary*
// failures, never *invalid* and never success.
import { createHash } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { OidcConfig } from '../../config/types.js';
import type { Logger } from '../../log/logger.js';
import { UsersRepositoryUnavailableError, type UsersRepository } from '../users/types.js';
import { DiscoveryCache, type ProviderMetadata } from './discovery.js';
import { JwksCache } from './jwks-cache.js';
import { tokenValidationsTotal } from '../metrics.js';
import { NoSigningKeysError, ProviderResponseError, ProviderUnavailableError, UnknownSigningKeyError } from './errors.js';
import type { FetchFunction, HttpOptions } from './http.js';
import { introspectToken } from './introspection.js';
import { fetchUserinfo } from './userinfo.js';
import { ExpiringLru } from './lru.js';
import { audienceMatches, identityFields, missingScopes, userClaim } from './claims.js';
import { MAX_TOKEN_BYTES, type TokenIdentity, type TokenValidator, type TokenVerdict, type ValidateOptions } from './types.js';
import { agentFetch } from './agent-fetch.js';

/** Asymmetric JWS algorithms only: `none` and HMAC (HS*) are never accepted. */
export const ALLOWED_ALGORITHMS = [
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA', 'Ed25519',
];

export interface ValidatorSettings {
  now: () => number;
  fetch: FetchFunction;
  httpTimeoutMs: number;
  /** Least time between JWKS refetches caused by unknown `kid`s. */
  jwksCooldownMs: number;
  /** Keys and discovery document older than this are refreshed in the background. */
  keysMaxAgeMs: number;
  /** With nothing cached, wait this long after a failed fetch before asking the provider again. */
  failureRetryMs: number;
  /** Leeway for exp/nbf/iat, seconds. */
  clockToleranceSeconds: number;
  /** Most validation results kept. */
  resultCacheSize: number;
  /** Longest a positive result is reused (it never outlives the token's exp either). */
  resultCacheTtlMs: number;
  /** Called for every HTTP request to the provider (tests and benchmarks count them). */
  onProviderRequest?: (url: string) => void;
}

export const DEFAULT_VALIDATOR_SETTINGS: ValidatorSettings = {
  now: Date.now,
  fetch: agentFetch,
  httpTimeoutMs: 5000,
  jwksCooldownMs: 30_000,
  keysMaxAgeMs: 10 * 60_000,
  failureRetryMs: 5000,
  clockToleranceSeconds: 60,
  resultCacheSize: 10_000,
  resultCacheTtlMs: 60_000,
};

/** A token failure with a reason safe for logs. */
class TokenRejected extends Error {
  override readonly name = 'TokenRejected';
}

export class OidcTokenValidator implements TokenValidator {
  private readonly settings: ValidatorSettings;
  private readonly http: HttpOptions;
  private readonly discovery: DiscoveryCache | undefined;
  readonly jwks: JwksCache;
  private readonly results: ExpiringLru<TokenIdentity>;
  /** Longest a positive result is reused (it never outlives the token's exp either). */
  private readonly resultTtlMs: number;

  constructor(
    private readonly config: OidcConfig,
    private readonly users: UsersRepository,
    private readonly logger: Logger,
    settings: Partial<ValidatorSettings> = {},
  ) {
    this.settings = { ...DEFAULT_VALIDATOR_SETTINGS, ...settings };
    const s = this.settings;
    this.http = { fetch: s.fetch, timeoutMs: s.httpTimeoutMs, onRequest: s.onProviderRequest };
    const timing = { maxAgeMs: s.keysMaxAgeMs, failureRetryMs: s.failureRetryMs };
    this.discovery = config.oidcConfigurationURL
      ? new DiscoveryCache(config.oidcConfigurationURL, this.http, timing, s.now)
      : undefined;
    this.jwks = new JwksCache(() => this.jwksUrl(), this.http, { ...timing, cooldownMs: s.jwksCooldownMs }, s.now);
    // jmap.properties' oidc.token.cache.* (James' names) bound this provider's cache.
    this.resultTtlMs = config.cache?.ttlMs ?? s.resultCacheTtlMs;
    this.results = new ExpiringLru(config.cache?.maxEntries ?? s.resultCacheSize, s.now);
  }

  async validate(token: string, options: ValidateOptions = {}): Promise<TokenVerdict> {
    if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) return { ok: false, code: 'invalid', reason: 'token too large' };
    const key = cacheKey(token);
    if (!options.fresh) {
      const cached = this.results.get(key);
      if (cached) {
        tokenValidationsTotal.inc({ result: 'cache_hit' });
        return { ok: true, identity: cached };
      }
    }
    try {
      const identity = await this.check(token);
      const nowMs = this.settings.now();
      const expiry = identity.expiresAt !== undefined ? identity.expiresAt * 1000 : nowMs + this.resultTtlMs;
      this.results.set(key, identity, Math.min(expiry, nowMs + this.resultTtlMs));
      tokenValidationsTotal.inc({ result: 'valid' });
      return { ok: true, identity };
    } catch (err) {
      this.results.delete(key);
      const verdict = this.verdictFor(err);
      if (!verdict.ok) tokenValidationsTotal.inc({ result: verdict.code });
      return verdict;
    }
  }

  async introspect(token: string): Promise<'active' | 'inactive' | 'unknown'> {
    const introspection = this.config.introspection;
    if (!introspection) return 'unknown';
    try {
      const answer = await introspectToken(token, introspection, this.http);
      if (!answer.active) {
        this.results.delete(cacheKey(token));
        return 'inactive';
      }
      return 'active';
    } catch (err) {
      this.logger.warn({ reason: describe(err) }, 'token re-introspection failed');
      return 'unknown';
    }
  }

  close(): void {
    this.results.clear();
  }

  private async check(token: string): Promise<TokenIdentity> {
    const jwtClaims = this.hasKeySource() && looksLikeJwt(token) ? await this.verifyJwt(token) : undefined;
    if (!jwtClaims && !this.config.introspection) throw new TokenRejected('opaque token and no introspection configured');

    let claims: Record<string, unknown> = jwtClaims ?? {};
    let expiresAt = typeof claims.exp === 'number' ? claims.exp : undefined;
    const userinfo = this.config.userinfo;
    if (this.config.introspection) {
      const answer = await introspectToken(token, this.config.introspection, this.http);
      if (!answer.active) throw new TokenRejected('introspection: token not active');
      claims = jwtClaims ? this.mergeConfirming(jwtClaims, answer.claims, 'introspection') : answer.claims;
      if (!jwtClaims) await this.checkIntrospectedClaims(claims);
      const introspectedExp = answer.claims.exp;
      if (typeof introspectedExp === 'number') expiresAt = expiresAt === undefined ? introspectedExp : Math.min(expiresAt, introspectedExp);
      if (userinfo?.withIntrospection) claims = await this.confirmWithUserinfo(token, userinfo.url, claims, true);
    } else if (userinfo) {
      claims = await this.confirmWithUserinfo(token, userinfo.url, claims, false);
    }

    const missing = missingScopes(this.config.scope, claims);
    if (missing.length > 0) throw new TokenRejected(`missing scope ${missing.join(' ')}`);
    const name = userClaim(claims, this.config.claim);
    if (name === undefined) throw new TokenRejected(`claim ${this.config.claim} missing`);
    const record = await this.users.lookup(name);
    if (!record) throw new TokenRejected('user unknown');
    return { ...identityFields(claims), expiresAt, user: record.username };
  }

  private async verifyJwt(token: string): Promise<Record<string, unknown>> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new TokenRejected('malformed token header');
    }
    if (typeof header.alg !== 'string' || !ALLOWED_ALGORITHMS.includes(header.alg)) {
      throw new TokenRejected(`algorithm ${String(header.alg)} not allowed`);
    }
    const issuer = await this.expectedIssuer();
    const keys = await this.jwks.keysFor(header);
    const options = {
      algorithms: ALLOWED_ALGORITHMS,
      issuer,
      audience: this.config.aud.length > 0 ? this.config.aud : undefined,
      clockTolerance: this.settings.clockToleranceSeconds,
      currentDate: new Date(this.settings.now()),
      requiredClaims: ['exp'],
    };
    let lastError: unknown;
    for (const key of keys) {
      try {
        const { payload } = await jwtVerify(token, key, options);
        return payload as JWTPayload & Record<string, unknown>;
      } catch (err) {
        lastError = err;
        if (!(err instanceof joseErrors.JWSSignatureVerificationFailed)) break;
      }
    }
    throw lastError;
  }

  /**
   * Asks userinfo about the token. `namesUser`: as James' JMAP strategy, which takes the user from
   * userinfo, the answer must carry the user claim.
   */
  private async confirmWithUserinfo(token: string, url: string, claims: Record<string, unknown>, namesUser: boolean): Promise<Record<string, unknown>> {
    const answer = await fetchUserinfo(token, url, this.http);
    if (!answer.accepted) throw new TokenRejected('userinfo refused the token');
    if (namesUser && userClaim(answer.claims, this.config.claim) === undefined) throw new TokenRejected(`userinfo: claim ${this.config.claim} missing`);
    return this.mergeConfirming(claims, answer.claims, 'userinfo');
  }

  /** Whether JWTs can be checked locally: a JWKS URL or a discovery document is configured. */
  private hasKeySource(): boolean {
    return this.config.jwksURL !== undefined || this.config.oidcConfigurationURL !== undefined;
  }

  /** Claims from introspection/userinfo may add to the JWT's but must not contradict its user claim. */
  private mergeConfirming(base: Record<string, unknown>, extra: Record<string, unknown>, source: string): Record<string, unknown> {
    const claim = this.config.claim;
    const a = userClaim(base, claim);
    const b = userClaim(extra, claim);
    if (a !== undefined && b !== undefined && a.toLowerCase() !== b.toLowerCase()) {
      throw new TokenRejected(`${source}: claim ${claim} does not match the token`);
    }
    return { ...extra, ...base };
  }

  /** An opaque token is only what introspection says; check what jose would have checked on a JWT. */
  private async checkIntrospectedClaims(claims: Record<string, unknown>): Promise<void> {
    const nowSec = this.settings.now() / 1000;
    const leeway = this.settings.clockToleranceSeconds;
    // As James' JMAP strategy: without an expiry, nothing bounds how long the token would be trusted.
    if (typeof claims.exp !== 'number') throw new TokenRejected('introspection answer has no exp');
    if (claims.exp + leeway <= nowSec) throw new TokenRejected('token expired');
    if (typeof claims.nbf === 'number' && claims.nbf - leeway > nowSec) throw new TokenRejected('token not yet valid');
    if (!audienceMatches(this.config.aud, claims)) throw new TokenRejected('audience mismatch');
    const issuer = await this.expectedIssuer().catch(() => undefined);
    if (issuer !== undefined && typeof claims.iss === 'string' && claims.iss !== issuer) throw new TokenRejected('issuer mismatch');
  }

  async providerMetadata(): Promise<ProviderMetadata | undefined> {
    return this.discovery?.get();
  }

  /** Configured issuer, else the discovery document's; undefined when only jwksURL is configured. */
  private async expectedIssuer(): Promise<string | undefined> {
    if (this.config.issuer) return this.config.issuer;
    if (!this.discovery) return undefined;
    return (await this.discovery.get()).issuer;
  }

  private async jwksUrl(): Promise<string> {
    if (this.config.jwksURL) return this.config.jwksURL;
    if (!this.discovery) throw new ProviderResponseError('neither jwksURL nor oidcConfigurationURL configured');
    const doc = await this.discovery.get();
    if (!doc.jwksUri) throw new ProviderResponseError('discovery document has no jwks_uri');
    return doc.jwksUri;
  }

  private verdictFor(err: unknown): TokenVerdict {
    if (err instanceof TokenRejected) return { ok: false, code: 'invalid', reason: err.message };
    if (err instanceof UnknownSigningKeyError) return { ok: false, code: 'invalid', reason: err.message };
    if (err instanceof joseErrors.JWTExpired) return { ok: false, code: 'invalid', reason: 'token expired' };
    if (err instanceof joseErrors.JWTClaimValidationFailed) {
      return { ok: false, code: 'invalid', reason: `claim ${err.claim} check failed (${err.reason})` };
    }
    if (err instanceof joseErrors.JOSEAlgNotAllowed) return { ok: false, code: 'invalid', reason: 'algorithm not allowed' };
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) return { ok: false, code: 'invalid', reason: 'bad signature' };
    if (err instanceof joseErrors.JOSEError) return { ok: false, code: 'invalid', reason: `malformed token (${err.code})` };
    if (
      err instanceof ProviderUnavailableError ||
      err instanceof NoSigningKeysError ||
      err instanceof ProviderResponseError ||
      err instanceof UsersRepositoryUnavailableError
    ) {
      this.logger.warn({ reason: describe(err) }, 'token validation could not complete');
      return { ok: false, code: 'temporary', reason: describe(err) };
    }
    // A bug must not let a token in nor blame the user: fail temporarily and say so loudly.
    this.logger.error({ reason: describe(err) }, 'unexpected error during token validation');
    return { ok: false, code: 'temporary', reason: 'internal error' };
  }
}

/** Compact JWS shape: three base64url parts (a JWE has five and is treated as opaque). */
function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/** Results are keyed by digest so the cache does not hold up to 16 KiB per token. */
function cacheKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.name}: ${err.message}${cause}`;
}
