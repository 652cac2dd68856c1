// The view of the running server the discovery documents are rendered from, rebuilt per request:
// listener ports are only known once bound, and the provider's endpoints come from its discovery
// document (cached by the auth core's token validator, fetched here through a callback).
import type { Logger } from '../log/logger.js';
import type { OidcConfig } from '../config/types.js';
import { announcedOidc, jmapBaseUrl, mailEndpoints, oauthScopes, type BoundPort, type EndpointConfig } from './endpoints.js';
import type { DiscoverySource, DiscoveryView, OAuthSettings } from './types.js';

/** What the documents need of the provider's discovery document. */
export interface ProviderInfo {
  issuer: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  document: Readonly<Record<string, unknown>>;
}

export interface DiscoverySourceOptions {
  config: EndpointConfig;
  /** Ports actually bound, by listener name. */
  boundPort: BoundPort;
  /** The JMAP listener's name, for its bound port. */
  jmapListenerName: string;
  /** The provider's discovery document for an `oidc` block (undefined without oidcConfigurationURL). */
  providerInfo(oidc: OidcConfig): Promise<ProviderInfo | undefined>;
  isLocalDomain(domain: string): Promise<boolean>;
  virtualHosting: boolean;
  defaultDomain: string;
  logger: Logger;
}

export function createDiscoverySource(options: DiscoverySourceOptions): DiscoverySource {
  const { config } = options;
  return {
    isLocalDomain: (domain) => options.isLocalDomain(domain),
    async view(): Promise<DiscoveryView> {
      const oidc = announcedOidc(config);
      let provider: ProviderInfo | undefined;
      if (oidc) {
        try {
          provider = await options.providerInfo(oidc);
        } catch (err) {
          // Documents without the provider's endpoints still describe the servers and passwords.
          options.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'client discovery: the OpenID provider’s metadata is unavailable');
        }
      }
      const issuer = oidc?.issuer ?? provider?.issuer;
      const oauth: OAuthSettings | undefined =
        oidc && issuer !== undefined
          ? {
              issuer,
              scopes: oauthScopes(config, oidc),
              ...(config.discovery.clientId !== undefined ? { clientId: config.discovery.clientId } : {}),
              ...(provider?.authorizationEndpoint !== undefined ? { authorizationEndpoint: provider.authorizationEndpoint } : {}),
              ...(provider?.tokenEndpoint !== undefined ? { tokenEndpoint: provider.tokenEndpoint } : {}),
            }
          : undefined;
      const baseUrl = jmapBaseUrl(config, options.boundPort, options.jmapListenerName);
      return {
        endpoints: mailEndpoints(config, options.boundPort),
        ...(baseUrl !== undefined ? { baseUrl } : {}),
        ...(oauth ? { oauth } : {}),
        ...(provider ? { providerDocument: provider.document } : {}),
        ...(config.discovery.displayName !== undefined ? { displayName: config.discovery.displayName } : {}),
        virtualHosting: options.virtualHosting,
        defaultDomain: options.defaultDomain,
      };
    },
  };
}
