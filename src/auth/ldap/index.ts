// The LDAP users repository (James' ReadOnlyUsersLDAPRepository): what the rest of Tessera imports.
export { createLdapUsersRepository, LDAP_REPOSITORY_DEFAULTS, type LdapRepositoryOptions } from './repository.js';
export { LdapConfigError } from './errors.js';
export { escapeDnValue, escapeFilterValue } from './escape.js';
