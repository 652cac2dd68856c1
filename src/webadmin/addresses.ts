// Validation shared by the recipient rewrite routes (/address/aliases, /address/forwards,
// /domains/{d}/aliases): the auth core's checks (src/auth/rewrite/manage.ts, which the CLI uses
// too), answered in James' status codes.
import { InvalidDomainNameError } from '../auth/users/errors.js';
import { canonicalDomain } from '../auth/users/names.js';
import { canonicalAddress, RewriteRequestError } from '../auth/rewrite/manage.js';
import { invalid, notFound, type WebAdminError } from './types.js';

function answer(err: RewriteRequestError): WebAdminError {
  return err.reason === 'notFound' ? notFound(err.message) : invalid(err.message);
}

/** Runs a change of the rewrite table; its refusals become 400 or 404. */
export async function rewriteChange<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof RewriteRequestError) throw answer(err);
    throw err;
  }
}

/** The canonical (lower-case) form of a mail address; 400 when it is not one. */
export function addressParam(raw: string): string {
  try {
    return canonicalAddress(raw);
  } catch (err) {
    if (err instanceof RewriteRequestError) throw answer(err);
    throw err;
  }
}

/** The canonical form of a domain name; 400 when it is not one. */
export function domainParam(raw: string): string {
  try {
    return canonicalDomain(raw);
  } catch (err) {
    if (err instanceof InvalidDomainNameError) throw invalid(err.message);
    throw err;
  }
}
