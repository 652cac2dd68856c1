// The token validator's contract: one per configured provider, shared by SASL and JMAP.
import type { ProviderMetadata } from './discovery.js';

/** What a valid token says about its holder. */
export interface TokenIdentity {
  /** Canonical user name (as the users repository spells it). */
  user: string;
  subject?: string;
  issuer?: string;
  /** Seconds since epoch, when the token (or introspection) gave one. */
  expiresAt?: number;
  /** The token's `iat` (or introspection's), seconds since epoch; revocation by time compares it. */
  issuedAt?: number;
  sid?: string;
  jti?: string;
  clientId?: string;
}

export type TokenFailureCode = 'invalid' | 'temporary';

export type TokenVerdict =
  | { ok: true; identity: TokenIdentity }
  | { ok: false; code: TokenFailureCode; reason: string };

export interface ValidateOptions {
  /** Skip the result cache and ask the provider again (re-validation of live sessions). */
  fresh?: boolean;
}

export interface TokenValidator {
  validate(token: string, options?: ValidateOptions): Promise<TokenVerdict>;
  /**
   * RFC 7662 only: 'active' / 'inactive' from the provider, 'unknown' when it could not answer or no
   * introspection endpoint is configured. For re-validating live sessions.
   */
  introspect(token: string): Promise<'active' | 'inactive' | 'unknown'>;
  /**
   * The provider's discovery document (cached, as for key discovery), for the documents that point
   * mail clients at the provider; undefined without oidcConfigurationURL. Throws when unreachable.
   */
  providerMetadata(): Promise<ProviderMetadata | undefined>;
  close(): void;
}

/** Largest bearer token accepted (bytes); larger ones are refused before any parsing. */
export const MAX_TOKEN_BYTES = 16 * 1024;
