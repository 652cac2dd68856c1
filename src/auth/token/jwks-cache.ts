// The provider's signing keys, fetched with our own cache rather than jose's createRemoteJWKSet so the
// guarantees are ours to state:
//  - keys are fetched once and reused; no request per login;
//  - a token naming an unknown `kid` causes at most one refetch per cooldown, however many arrive
//    (concurrent ones share the same request);
//  - stale keys are refreshed in the background, and kept when the provider is down;
//  - with no keys at all, callers get NoSigningKeysError (a temporary failure), never a key-less pass.
import { createLocalJWKSet, errors, type CryptoKey, type JWSHeaderParameters, type JSONWebKeySet } from 'jose';
import { NoSigningKeysError, ProviderResponseError, ProviderUnavailableError, UnknownSigningKeyError } from './errors.js';
import { isRecord, requestJson, safeUrl, type HttpOptions } from './http.js';
import type { CacheTiming } from './discovery.js';

export interface JwksTiming extends CacheTiming {
  /** Least time between two refetches caused by unknown `kid`s. */
  cooldownMs: number;
}

type KeyResolver = ReturnType<typeof createLocalJWKSet>;

export class JwksCache {
  private resolver: KeyResolver | undefined;
  private fetchedAt = 0;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;
  /** Successful and failed fetches made, for tests and benchmarks. */
  fetches = 0;

  constructor(
    private readonly jwksUrl: () => Promise<string>,
    private readonly http: HttpOptions,
    private readonly timing: JwksTiming,
    private readonly now: () => number,
  ) {}

  /**
   * Keys that may have signed a token with this header (usually one; several when the token has no
   * `kid` and the set holds more than one key for its algorithm).
   */
  async keysFor(header: JWSHeaderParameters): Promise<CryptoKey[]> {
    if (!this.resolver) {
      if (!this.inflight && this.now() - this.lastAttempt < this.timing.failureRetryMs) {
        throw new NoSigningKeysError('no signing keys available (provider unreachable)');
      }
      await this.refresh().catch((err: unknown) => {
        throw new NoSigningKeysError('no signing keys available', { cause: err });
      });
    } else if (this.now() - this.fetchedAt > this.timing.maxAgeMs && this.now() - this.lastAttempt >= this.timing.cooldownMs) {
      // Stale keys keep serving while a refresh runs; during an outage, at most one attempt per cooldown.
      this.refresh().catch(() => undefined);
    }
    const found = await this.lookup(header);
    if (found) return found;
    // Unknown key: perhaps the provider rotated. Ask again, at most once per cooldown.
    if (this.inflight) {
      await this.inflight.catch(() => undefined);
    } else if (this.now() - this.lastAttempt >= this.timing.cooldownMs) {
      await this.refresh(); // ProviderUnavailableError propagates: temporary, the key may exist.
    } else {
      throw new UnknownSigningKeyError('token signed with an unknown key');
    }
    const retried = await this.lookup(header);
    if (retried) return retried;
    throw new UnknownSigningKeyError('token signed with an unknown key');
  }

  private async lookup(header: JWSHeaderParameters): Promise<CryptoKey[] | undefined> {
    const resolver = this.resolver;
    if (!resolver) return undefined;
    try {
      return [await resolver(header)];
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey) return undefined;
      if (err instanceof errors.JWKSMultipleMatchingKeys) {
        const keys: CryptoKey[] = [];
        for await (const key of err as unknown as AsyncIterable<CryptoKey>) keys.push(key);
        return keys.length > 0 ? keys : undefined;
      }
      throw err;
    }
  }

  private refresh(): Promise<void> {
    if (this.inflight) return this.inflight;
    this.lastAttempt = this.now();
    this.inflight = (async () => {
      try {
        const url = await this.jwksUrl();
        this.fetches += 1;
        const { status, body } = await requestJson('jwks', url, {}, this.http);
        if (status !== 200) throw new ProviderUnavailableError(`${safeUrl(url)} answered ${status}`);
        if (!isRecord(body) || !Array.isArray(body.keys)) throw new ProviderResponseError(`${safeUrl(url)} is not a JWK Set`);
        // Only public signature keys; a symmetric key in a JWKS must never verify anything.
        const keys = body.keys.filter((k): k is Record<string, unknown> => isRecord(k) && k.kty !== 'oct' && k.d === undefined);
        this.resolver = createLocalJWKSet({ keys } as unknown as JSONWebKeySet);
        this.fetchedAt = this.now();
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}
