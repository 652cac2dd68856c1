// How LDAP failures are told apart. A ResultCodeError is the server answering; anything else
// (refused, reset, timed out, TLS failure, garbled bytes) means the connection itself is gone.
import {
  BusyError,
  InappropriateAuthError,
  InvalidCredentialsError,
  InvalidDNSyntaxError,
  NoSuchObjectError,
  ResultCodeError,
  UnavailableError,
  UnwillingToPerformError,
} from 'ldapts';

/** usersrepository.xml settings that cannot work (bad URL, unparsable filter). Raised at start-up. */
export class LdapConfigError extends Error {
  override readonly name = 'LdapConfigError';
}

/** The connection failed or was lost: worth retrying on a fresh connection or another host. */
export function isConnectionFailure(err: unknown): boolean {
  return !(err instanceof ResultCodeError);
}

/** The server is up but says it cannot serve now: a temporary failure, not a verdict. */
export function isServerBusy(err: unknown): boolean {
  return err instanceof BusyError || err instanceof UnavailableError;
}

/**
 * A user bind that the server rejected because of who/what was presented: wrong password, locked or
 * disabled account (`unwillingToPerform`), entry deleted since the lookup. These are a plain "no".
 * Everything else (timeouts, busy server, confidentiality required) is not the user's fault.
 */
export function isBindRejection(err: unknown): boolean {
  return (
    err instanceof InvalidCredentialsError ||
    err instanceof InappropriateAuthError ||
    err instanceof UnwillingToPerformError ||
    err instanceof NoSuchObjectError ||
    err instanceof InvalidDNSyntaxError
  );
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
