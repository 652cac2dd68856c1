// Typed failures inside token validation. Anything a provider outage causes is `ProviderUnavailableError`
// and maps to a *temporary* login failure; everything about the token itself maps to *invalid*.

/** The provider (discovery, JWKS, introspection, userinfo) could not be reached or answered 5xx. */
export class ProviderUnavailableError extends Error {
  override readonly name = 'ProviderUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** No signing keys are available at all (never fetched successfully). */
export class NoSigningKeysError extends Error {
  override readonly name = 'NoSigningKeysError';
}

/** The token names a key the provider does not publish (after the allowed refetch). */
export class UnknownSigningKeyError extends Error {
  override readonly name = 'UnknownSigningKeyError';
}

/** The provider answered, but not with a usable document (bad JSON, wrong shape). */
export class ProviderResponseError extends Error {
  override readonly name = 'ProviderResponseError';
}
