// Client discovery: the documents and DNS records from which a mail client (Thunderbird, Outlook,
// Apple Mail, K-9/Thunderbird Android) learns the servers, ports, security and OAuth settings of an
// address by itself. This module only renders them from a view of the running server; `tessera serve`
// builds the view from the listener configuration and the ports actually bound.

export type MailProtocol = 'imap' | 'pop3' | 'smtp';

/** Implicit TLS (RFC 8314, preferred), STARTTLS, or none (never announced). */
export type Security = 'tls' | 'starttls';

/** One listener a mail client may use. */
export interface MailEndpoint {
  protocol: MailProtocol;
  host: string;
  port: number;
  security: Security;
  /** PLAIN/LOGIN are accepted (plainAuthEnabled). */
  passwords: boolean;
  /** OAUTHBEARER/XOAUTH2 are accepted (an `oidc` block). */
  oauth: boolean;
}

/** The OAuth settings a native mail app needs to sign in at the provider. */
export interface OAuthSettings {
  issuer: string;
  scopes: readonly string[];
  clientId?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
}

/** Everything the documents say, as of this request. */
export interface DiscoveryView {
  /** Preferred first (implicit TLS before STARTTLS). */
  endpoints: readonly MailEndpoint[];
  /** Public base URL of the JMAP/HTTP listener (these documents and the JMAP session live there). */
  baseUrl?: string;
  oauth?: OAuthSettings;
  /** The provider's discovery document, as published (RFC 8414 metadata is served from it). */
  providerDocument?: Readonly<Record<string, unknown>>;
  /** Shown as the provider name; default: the domain. */
  displayName?: string;
  /** User names carry the domain (virtual hosting): clients log in with the whole address. */
  virtualHosting: boolean;
  defaultDomain: string;
}

/** What the HTTP routes ask of `tessera serve`. */
export interface DiscoverySource {
  view(): Promise<DiscoveryView>;
  /** Only the server's own domains are described; other addresses get "not found". */
  isLocalDomain(domain: string): Promise<boolean>;
}
