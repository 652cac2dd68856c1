// The provider's discovery document (OpenID Connect Discovery 1.0), fetched once and kept. A stale copy
// is refreshed in the background; if the provider is down, the last good copy keeps serving.
import { ProviderResponseError, ProviderUnavailableError } from './errors.js';
import { isRecord, requestJson, safeUrl, type HttpOptions } from './http.js';

export interface ProviderMetadata {
  issuer: string;
  jwksUri?: string;
  introspectionEndpoint?: string;
  userinfoEndpoint?: string;
  /** Where a mail app sends the user to sign in, and redeems the code (client discovery documents). */
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  /** The whole document as the provider published it (RFC 8414 metadata is served from it). */
  document: Readonly<Record<string, unknown>>;
}

export interface CacheTiming {
  /** Age after which a good copy is refreshed (in the background). */
  maxAgeMs: number;
  /** After a failed fetch with nothing cached, wait this long before asking again. */
  failureRetryMs: number;
}

export function parseDiscoveryDocument(body: unknown, url: string): ProviderMetadata {
  if (!isRecord(body) || typeof body.issuer !== 'string' || body.issuer === '') {
    throw new ProviderResponseError(`${safeUrl(url)} is not a discovery document (no issuer)`);
  }
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    issuer: body.issuer,
    jwksUri: str(body.jwks_uri),
    introspectionEndpoint: str(body.introspection_endpoint),
    userinfoEndpoint: str(body.userinfo_endpoint),
    authorizationEndpoint: str(body.authorization_endpoint),
    tokenEndpoint: str(body.token_endpoint),
    document: body,
  };
}

export class DiscoveryCache {
  private doc: ProviderMetadata | undefined;
  private fetchedAt = 0;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<ProviderMetadata> | undefined;

  constructor(
    private readonly url: string,
    private readonly http: HttpOptions,
    private readonly timing: CacheTiming,
    private readonly now: () => number,
  ) {}

  async get(): Promise<ProviderMetadata> {
    if (this.doc) {
      // Stale: refresh in the background, but not more often than failureRetryMs while it keeps failing.
      const stale = this.now() - this.fetchedAt > this.timing.maxAgeMs;
      if (stale && this.now() - this.lastAttempt >= this.timing.failureRetryMs) this.fetch().catch(() => undefined);
      return this.doc;
    }
    if (!this.inflight && this.now() - this.lastAttempt < this.timing.failureRetryMs) {
      throw new ProviderUnavailableError(`discovery document ${safeUrl(this.url)} unavailable (recent failure)`);
    }
    return this.fetch();
  }

  private fetch(): Promise<ProviderMetadata> {
    if (this.inflight) return this.inflight;
    this.lastAttempt = this.now();
    this.inflight = (async () => {
      try {
        const { status, body } = await requestJson('discovery', this.url, {}, this.http);
        if (status !== 200) throw new ProviderUnavailableError(`${safeUrl(this.url)} answered ${status}`);
        const doc = parseDiscoveryDocument(body, this.url);
        this.doc = doc;
        this.fetchedAt = this.now();
        return doc;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}
