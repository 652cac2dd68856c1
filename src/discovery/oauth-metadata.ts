// OAuth metadata pointing clients at the configured OpenID provider:
//  - RFC 9728 protected resource metadata (/.well-known/oauth-protected-resource): this server is the
//    resource; `authorization_servers` names the provider's issuer, whose own metadata the client
//    then fetches from the provider (RFC 8414 §3).
//  - RFC 8414 authorization server metadata (/.well-known/oauth-authorization-server): the provider's
//    discovery document as it publishes it, for clients that look for it on the mail host. Its
//    `issuer` is the provider's, never ours: a client that checks issuer against this host (as
//    RFC 8414 §3.3 asks of a client that derived the URL from an issuer) goes through RFC 9728 instead.
import type { DiscoveryView } from './types.js';

export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';
export const AUTHORIZATION_SERVER_PATH = '/.well-known/oauth-authorization-server';

export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported: string[];
  bearer_methods_supported: string[];
  resource_name: string;
}

/** Undefined when no OpenID provider is configured (nothing to point at). */
export function protectedResourceMetadata(view: DiscoveryView, baseUrl: string): ProtectedResourceMetadata | undefined {
  if (!view.oauth) return undefined;
  return {
    resource: baseUrl,
    authorization_servers: [view.oauth.issuer],
    scopes_supported: [...view.oauth.scopes],
    // RFC 6750 §2.1 only: tokens in a query string end up in logs.
    bearer_methods_supported: ['header'],
    resource_name: view.displayName ?? `Tessera mail (${view.defaultDomain})`,
  };
}
