// The search for a user's groups (ACL identifiers "$name"): entries under the configured base whose
// member attribute holds the user's DN. The DN is compared by the server (distinguishedNameMatch for
// member/uniqueMember), so spellings that differ in case or blanks still match.
import { FilterParser } from 'ldapts';
import type { LdapUsersConfig } from '../../config/types.js';
import { LdapConfigError } from './errors.js';
import { escapeFilterValue } from './escape.js';

type GroupSettings = NonNullable<LdapUsersConfig['groups']>;

/** `(&<filter>(<memberAttribute>=<dn>))`, the DN compared as a value, never as a pattern. */
export function memberGroupsFilter(groups: GroupSettings, dn: string): string {
  const extra = groups.filter?.trim() || '(objectClass=*)';
  return `(&${extra}(${groups.memberAttribute}=${escapeFilterValue(dn)}))`;
}

/** Checks the configured filter once at start-up, so a typo fails there and not at the first command. */
export function validateGroupSettings(groups: GroupSettings): void {
  try {
    FilterParser.parseString(memberGroupsFilter(groups, 'cn=probe'));
  } catch (err) {
    throw new LdapConfigError(`<groups filter="${groups.filter ?? ''}"> is not a valid LDAP filter (RFC 4515): ${err instanceof Error ? err.message : String(err)}`);
  }
}
