// The search filters of the LDAP users repository, built as James' ReadOnlyUsersLDAPRepository does:
// `(&(objectClass=<userObjectClass>)(<userIdAttribute>=<name>)<filter>)`.
import { FilterParser } from 'ldapts';
import { LdapConfigError } from './errors.js';
import { escapeFilterValue } from './escape.js';

export interface FilterSettings {
  userObjectClass: string;
  userIdAttribute: string;
  /** Extra restriction from usersrepository.xml, e.g. `(memberOf=cn=mail,ou=groups,dc=example,dc=org)`. */
  filter?: string;
}

// RFC 4512 attribute description: a name (or OID) with options; anything else is a typo or an attack.
const ATTRIBUTE_DESCRIPTION = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)(?:;[A-Za-z0-9-]+)*$/;

function extraFilter(filter: string | undefined): string {
  const trimmed = filter?.trim() ?? '';
  if (trimmed === '') return '';
  // James accepts `memberOf=...` as well as `(memberOf=...)`.
  return trimmed.startsWith('(') ? trimmed : `(${trimmed})`;
}

/** In RFC 4515 a literal parenthesis is always written `\28`/`\29`, so every raw one is structure. */
function balanced(filter: string): boolean {
  let depth = 0;
  for (const c of filter) {
    if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

/** Checks the configured parts once at start-up, so a typo fails there and not at the first login. */
export function validateFilterSettings(s: FilterSettings): void {
  if (!ATTRIBUTE_DESCRIPTION.test(s.userIdAttribute)) {
    throw new LdapConfigError(`userIdAttribute "${s.userIdAttribute}" is not an LDAP attribute name`);
  }
  if (s.userObjectClass.trim() === '') throw new LdapConfigError('userObjectClass must not be empty');
  const probe = listFilter(s);
  try {
    // ldapts forgives a missing closing parenthesis; an operator's typo must not silently change
    // which clauses the extra filter's operator spans.
    if (!balanced(extraFilter(s.filter))) throw new Error('unbalanced parentheses');
    FilterParser.parseString(probe);
  } catch (err) {
    throw new LdapConfigError(
      `filter "${s.filter ?? ''}" is not a valid LDAP filter (RFC 4515): ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** Matches the one entry whose id attribute equals `username`, compared as a value, never as a pattern. */
export function userFilter(s: FilterSettings, username: string): string {
  return `(&(objectClass=${escapeFilterValue(s.userObjectClass.trim())})(${s.userIdAttribute}=${escapeFilterValue(
    username,
  )})${extraFilter(s.filter)})`;
}

/** Matches every user the repository serves (for `tessera user list`). */
export function listFilter(s: FilterSettings): string {
  return `(&(objectClass=${escapeFilterValue(s.userObjectClass.trim())})${extraFilter(s.filter)})`;
}
