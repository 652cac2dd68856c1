// usersrepository.xml → embedded (Tessera's own store, standing in for James' JPA/Cassandra/memory
// repositories) or read-only LDAP with James' ReadOnlyUsersLDAPRepository attributes.
import type { FileContext } from './context.js';
import type { EmbeddedUsersConfig, LdapUsersConfig, UsersRepositoryConfig } from './types.js';
import { InvalidValue, parseBoolean, parseInteger, splitList } from './values.js';
import { parseXmlDocument, warnUnused, XmlSection } from './xml.js';

export const EMBEDDED_DEFAULT: EmbeddedUsersConfig = { kind: 'embedded', enableVirtualHosting: true, algorithm: 'scrypt' };
export const DEFAULT_LDAP_CONNECTION_TIMEOUT_MS = 5000;
export const DEFAULT_LDAP_READ_TIMEOUT_MS = 10000;
const LDAP_CLASS = 'org.apache.james.user.ldap.readonlyusersldaprepository';

const IGNORED: ReadonlyMap<string, string> = new Map([
  ['administratorId', ''],
  ['destination', "the location of James' old file users repository; users are in Tessera's store"],
  ['enableForwarding', ''],
  ['verifyFailureDelay', 'failed logins are throttled by Tessera'],
  ['hashingMode', 'Tessera hashes with scrypt'],
  ['useConnectionPool', 'Tessera keeps a small pool'],
  ['poolSize', ''],
  ['maxRetries', ''],
  ['retryStartInterval', ''],
  ['retryMaxInterval', ''],
  ['scale', ''],
  ['trustAllCerts', 'use ldaps:// with a trusted certificate'],
  ['userListBase', ''],
  ['resolveLocalPartAttribute', ''],
  ['restriction', ''],
]);

type Kind = 'embedded' | 'ldap';

function classify(raw: string): Kind {
  const v = raw.trim().toLowerCase();
  if (v === 'embedded' || v === '' ) return 'embedded';
  if (v === 'ldap' || v === LDAP_CLASS || v.endsWith('.readonlyusersldaprepository')) return 'ldap';
  // James' database-backed repositories keep users in James itself: Tessera's store plays that role.
  if (/^org\.apache\.james\.user\.(jpa|cassandra|memory|postgres|jdbc)\./.test(v)) return 'embedded';
  throw new InvalidValue('allowed: embedded (or a James JPA/Cassandra/Postgres/Memory users repository class), ldap or org.apache.james.user.ldap.ReadOnlyUsersLDAPRepository');
}

export function loadUsersFile(ctx: FileContext, text: string | undefined): UsersRepositoryConfig {
  if (text === undefined) return EMBEDDED_DEFAULT;
  const root = parseXmlDocument(ctx, text);
  if (root.name !== 'usersrepository') {
    ctx.fail('(root)', `<${root.name}>`, 'the root element must be <usersrepository>', 'unexpected root element');
  }
  const sec = new XmlSection(ctx, root, 'usersrepository');
  // James names the repository (name="LocalUsers"); there is only one, so the name is informational.
  sec.attr('name');
  const cls = sec.attr('class');
  const kind = cls ? ctx.parse(cls.key, cls.raw, classify) : 'embedded';
  const vhRaw = sec.text('enableVirtualHosting');
  const enableVirtualHosting = vhRaw ? ctx.parse(vhRaw.key, vhRaw.raw, parseBoolean) : true;
  const config = kind === 'ldap' ? readLdap(sec, enableVirtualHosting) : readEmbedded(sec, enableVirtualHosting);
  readAdministrators(sec);
  warnUnused(ctx, root, 'usersrepository', IGNORED);
  return config;
}

/**
 * James' <administratorIds>: users who may log in as any other user (SASL authorization identity).
 * Tessera has no such right — a login as someone else is refused for everyone — so the list grants
 * nothing; it is named so the administrators know they only log in as themselves.
 */
function readAdministrators(sec: XmlSection): void {
  const list = sec.child('administratorIds');
  if (!list) return;
  const ids = list.children('administratorId').map((id) => {
    id.consumeAll();
    return id.el.text;
  });
  list.consumeAll();
  if (ids.length === 0) return;
  sec.ctx.warn(list.key, `Tessera has no administrators who may log in as other users: ${ids.join(', ')} log in as themselves only (a SASL authorization identity other than the login is refused)`);
}

function readEmbedded(sec: XmlSection, enableVirtualHosting: boolean): EmbeddedUsersConfig {
  const algorithm = sec.text('algorithm');
  if (algorithm && algorithm.raw.toLowerCase() !== 'scrypt') {
    sec.ctx.warn(algorithm.key, `Tessera hashes passwords with scrypt; "${algorithm.raw}" is not used (existing James password hashes are not imported)`);
  }
  return { kind: 'embedded', enableVirtualHosting, algorithm: algorithm?.raw ?? 'scrypt' };
}

function readLdap(sec: XmlSection, enableVirtualHosting: boolean): LdapUsersConfig {
  const ctx: FileContext = sec.ctx;
  const required = (name: string, example: string): string => {
    const v = sec.attr(name);
    if (!v || v.raw === '') ctx.fail(sec.attrKey(name), '', `the LDAP users repository needs ${name}="…", e.g. ${name}="${example}"`, 'missing');
    return v.raw;
  };
  const hostsRaw = required('ldapHost', 'ldap://ldap.example.com:389');
  const ldapHost = ctx.parse(sec.attrKey('ldapHost'), hostsRaw, (raw) => {
    const hosts = splitList(raw, /[\s,]+/);
    for (const h of hosts) {
      let url: URL;
      try {
        url = new URL(h);
      } catch {
        throw new InvalidValue('write ldap:// or ldaps:// URLs, separated by commas or spaces');
      }
      if (url.protocol !== 'ldap:' && url.protocol !== 'ldaps:') throw new InvalidValue('write ldap:// or ldaps:// URLs, separated by commas or spaces');
    }
    return hosts;
  });
  const userBase = required('userBase', 'ou=people,dc=example,dc=com');
  const userIdAttribute = ctx.parse(sec.attrKey('userIdAttribute'), required('userIdAttribute', 'uid'), (raw) => {
    // It is spliced into search filters, so it must be a plain attribute description (RFC 4512).
    if (!/^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$/.test(raw)) throw new InvalidValue('write an LDAP attribute name such as uid or mail');
    return raw;
  });
  const optional = (name: string): string | undefined => {
    const v = sec.attr(name);
    return v && v.raw !== '' ? v.raw : undefined;
  };
  const principal = optional('principal');
  const credentials = optional('credentials');
  const filter = optional('filter');
  if (filter !== undefined && !(filter.startsWith('(') && filter.endsWith(')'))) {
    ctx.fail(sec.attrKey('filter'), filter, 'write an RFC 4515 filter in parentheses, e.g. (memberOf=cn=mail,ou=groups,dc=example,dc=com)');
  }
  // James uses -1 for "no timeout"; ldapts uses 0 for the same.
  const millis = (name: string, fallback: number): number => {
    const v = sec.attr(name);
    if (!v) return fallback;
    return Math.max(0, ctx.parse(v.key, v.raw, (raw) => parseInteger(raw, -1)));
  };
  const startTLSRaw = sec.attr('startTLS');
  const startTLS = startTLSRaw ? ctx.parse(startTLSRaw.key, startTLSRaw.raw, parseBoolean) : false;
  if (startTLS && ldapHost.some((h) => h.startsWith('ldaps:'))) {
    ctx.fail(sec.attrKey('startTLS'), 'true', 'StartTLS upgrades ldap:// connections; ldaps:// is already encrypted — use ldap:// URLs with startTLS="true", or drop startTLS', 'conflicts with ldaps://');
  }
  return {
    kind: 'ldap',
    ldapHost,
    ...(principal !== undefined ? { principal } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
    userBase,
    userIdAttribute,
    userObjectClass: optional('userObjectClass') ?? 'inetOrgPerson',
    ...(filter !== undefined ? { filter } : {}),
    connectionTimeout: millis('connectionTimeout', DEFAULT_LDAP_CONNECTION_TIMEOUT_MS),
    readTimeout: millis('readTimeout', DEFAULT_LDAP_READ_TIMEOUT_MS),
    startTLS,
    enableVirtualHosting,
  };
}
