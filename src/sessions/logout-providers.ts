// The providers Tessera accepts logout tokens from: one per distinct `oidc` block that names
// Tessera's client id there (the logout token's `aud`). Keys come from the token validator's own JWKS
// cache when the AuthService is at hand (so back-channel logout costs no extra JWKS fetch), else from a
// cache of the same kind over the same URLs.
import type { CryptoKey, JWSHeaderParameters } from 'jose';
import type { OidcConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { AuthService } from '../auth/service.js';
import { DiscoveryCache } from '../auth/token/discovery.js';
import { JwksCache } from '../auth/token/jwks-cache.js';
import { ProviderResponseError } from '../auth/token/errors.js';
import { OidcTokenValidator, DEFAULT_VALIDATOR_SETTINGS } from '../auth/token/validator.js';
import type { FetchFunction, HttpOptions } from '../auth/token/http.js';

export interface LogoutProvider {
  /** Tessera's client id at this provider: required in the logout token's `aud`. */
  readonly clientId: string;
  /** The provider's issuer (configured `issuer`, else discovery's); undefined when unknowable. */
  issuer(): Promise<string | undefined>;
  keysFor(header: JWSHeaderParameters): Promise<CryptoKey[]>;
}

export interface LogoutProviderOptions {
  logger: Logger;
  auth?: AuthService;
  fetch?: FetchFunction;
  now?: () => number;
  httpTimeoutMs?: number;
}

export function createLogoutProviders(configs: readonly OidcConfig[], options: LogoutProviderOptions): LogoutProvider[] {
  const seen = new Set<string>();
  const providers: LogoutProvider[] = [];
  for (const config of configs) {
    if (!config.clientId) continue;
    if (!config.issuer && !config.oidcConfigurationURL) {
      // Only jwksURL: the logout token's iss cannot be checked, so it cannot be trusted.
      options.logger.warn(
        { jwksURL: config.jwksURL, clientId: config.clientId },
        'back-channel logout disabled for an oidc block with only jwksURL: add <issuer> to accept logout tokens',
      );
      continue;
    }
    const key = JSON.stringify([config.issuer ?? '', config.oidcConfigurationURL ?? '', config.jwksURL ?? '', config.clientId]);
    if (seen.has(key)) continue;
    seen.add(key);
    providers.push(providerFor(config, config.clientId, options));
  }
  return providers;
}

function providerFor(config: OidcConfig, clientId: string, options: LogoutProviderOptions): LogoutProvider {
  const s = DEFAULT_VALIDATOR_SETTINGS;
  const now = options.now ?? s.now;
  const http: HttpOptions = { fetch: options.fetch ?? s.fetch, timeoutMs: options.httpTimeoutMs ?? s.httpTimeoutMs };
  const timing = { maxAgeMs: s.keysMaxAgeMs, failureRetryMs: s.failureRetryMs };
  const discovery = config.oidcConfigurationURL ? new DiscoveryCache(config.oidcConfigurationURL, http, timing, now) : undefined;
  const validator = options.auth?.tokenValidator(config);
  const jwks =
    validator instanceof OidcTokenValidator
      ? validator.jwks
      : new JwksCache(
          async () => {
            if (config.jwksURL) return config.jwksURL;
            const uri = discovery ? (await discovery.get()).jwksUri : undefined;
            if (!uri) throw new ProviderResponseError('no jwks_uri for this provider');
            return uri;
          },
          http,
          { ...timing, cooldownMs: s.jwksCooldownMs },
          now,
        );
  return {
    clientId,
    async issuer() {
      if (config.issuer) return config.issuer;
      return discovery ? (await discovery.get()).issuer : undefined;
    },
    keysFor: (header) => jwks.keysFor(header),
  };
}
