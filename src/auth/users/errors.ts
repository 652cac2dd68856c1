// Errors of the embedded users repository and domain list beyond the shared ones in types.ts.
// The CLI prints their message as is, so each says what is wrong and how to fix it.

export class InvalidDomainNameError extends Error {
  override readonly name = 'InvalidDomainNameError';
}

export class DomainExistsError extends Error {
  override readonly name = 'DomainExistsError';
}

/** The domain is not in the domain list (adding a user in it, or removing it). */
export class UnknownDomainError extends Error {
  override readonly name = 'UnknownDomainError';
}

/** The domain still has users, or it is configured in domainlist.xml. */
export class DomainInUseError extends Error {
  override readonly name = 'DomainInUseError';
}

/** The password cannot be used for logins (empty, contains NUL, absurdly long). */
export class InvalidPasswordError extends Error {
  override readonly name = 'InvalidPasswordError';
}
