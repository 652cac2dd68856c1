// User and domain name rules of the embedded repository. Names are case-insensitive and stored in
// one canonical form (lowercase, Unicode NFC, domains in their ASCII/punycode form) so that
// "Alice@Example.ORG" and "alice@example.org" are the same account everywhere.
import { domainToASCII } from 'node:url';
import { InvalidUserNameError, UnknownUserError } from './types.js';
import { InvalidDomainNameError } from './errors.js';

export interface ParsedUserName {
  /** Canonical full name: `local@domain` or the bare name. */
  username: string;
  local: string;
  /** Undefined without virtual hosting. */
  domain?: string;
}

const MAX_LOCAL_LENGTH = 64;
const MAX_NAME_LENGTH = 254;
// Characters that break protocol syntax or logs: controls, whitespace, quotes, and the separators
// IMAP/SMTP/SASL use (SASL PLAIN splits on NUL; IMAP atoms exclude the rest).
const FORBIDDEN_IN_LOCAL = /[\u0000-\u0020\u007f-\u009f"\\(),:;<>[\]{}%*@\u2028\u2029]/u;

/**
 * Canonical forms already computed: every login, group and mailbox look-up canonicalises its user's
 * domain, and domainToASCII with NFC costs tens of microseconds while a server has few domains.
 * Bounded (oldest dropped first) because names arrive from the network; only valid domains are kept.
 */
const canonicalDomains = new Map<string, string>();
const MAX_REMEMBERED_DOMAINS = 1024;

/** Canonical form of a domain name, or InvalidDomainNameError. */
export function canonicalDomain(input: string): string {
  const known = canonicalDomains.get(input);
  if (known !== undefined) return known;
  const ascii = computeCanonicalDomain(input);
  if (canonicalDomains.size >= MAX_REMEMBERED_DOMAINS) canonicalDomains.delete(canonicalDomains.keys().next().value!);
  canonicalDomains.set(input, ascii);
  return ascii;
}

function computeCanonicalDomain(input: string): string {
  const trimmed = input.trim().replace(/\.$/, '');
  const ascii = trimmed === '' ? '' : domainToASCII(trimmed.normalize('NFC').toLowerCase());
  if (ascii === '' || ascii.length > 253) throw new InvalidDomainNameError(`"${input}" is not a valid domain name`);
  for (const label of ascii.split('.')) {
    if (!/^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/.test(label)) {
      throw new InvalidDomainNameError(`"${input}" is not a valid domain name`);
    }
  }
  return ascii;
}

function canonicalLocal(local: string, input: string): string {
  const folded = local.normalize('NFC').toLowerCase();
  if (folded === '' || folded.length > MAX_LOCAL_LENGTH || FORBIDDEN_IN_LOCAL.test(folded)) {
    throw new InvalidUserNameError(
      `"${input}" is not a valid user name: use 1-${MAX_LOCAL_LENGTH} characters without spaces, quotes or ()<>[]{},:;\\%*@`,
    );
  }
  return folded;
}

/** Parses and canonicalises a user name; throws InvalidUserNameError or InvalidDomainNameError. */
export function parseUserName(input: string, virtualHosting: boolean): ParsedUserName {
  const at = input.lastIndexOf('@');
  if (!virtualHosting) {
    if (at >= 0) {
      throw new InvalidUserNameError(
        `"${input}" has a domain part but virtual hosting is off (enableVirtualHosting in usersrepository.xml)`,
      );
    }
    const local = canonicalLocal(input, input);
    return { username: local, local };
  }
  if (at <= 0 || at === input.length - 1) {
    throw new InvalidUserNameError(`"${input}" must be of the form user@domain (virtual hosting is on)`);
  }
  const local = canonicalLocal(input.slice(0, at), input);
  let domain: string;
  try {
    domain = canonicalDomain(input.slice(at + 1));
  } catch {
    throw new InvalidUserNameError(`"${input}" has an invalid domain part`);
  }
  const username = `${local}@${domain}`;
  if (username.length > MAX_NAME_LENGTH) throw new InvalidUserNameError(`"${input}" is longer than ${MAX_NAME_LENGTH} characters`);
  return { username, local, domain };
}

/** For look-ups: a malformed name cannot exist, so it finds nobody instead of throwing. */
export function parseUserNameOrUndefined(input: string, virtualHosting: boolean): ParsedUserName | undefined {
  try {
    return parseUserName(input, virtualHosting);
  } catch {
    return undefined;
  }
}

/** For changes to an existing user: a malformed name is "unknown user" (UnknownUserError), not a syntax lecture. */
export function parseExistingUserName(input: string, virtualHosting: boolean): ParsedUserName {
  try {
    return parseUserName(input, virtualHosting);
  } catch (err) {
    if (err instanceof InvalidUserNameError) throw new UnknownUserError(`user ${input} does not exist (${err.message})`);
    throw err;
  }
}
