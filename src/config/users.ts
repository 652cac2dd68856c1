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
  ['destination', "the location of James' old file users repository; users are in Tessera's store"],
  ['enableForwarding', ''],
  ['verifyFailureDelay', 'failed logins are throttled by Tessera'],
  ['hashingMode', 'Tessera hashes with scrypt'],
  ['useConnectionPool', 'Tessera keeps a small pool'],
  ['poolSize', ''],
  ['maxRetries', ''],
  ['retryStartInterval', ''],
  ['retryMaxInterval', ''],
  ['retryIntervalScale', ''],
  ['scale', ''],
  ['userListBase', 'users are listed under userBase'],
  ['destination', "Tessera's users live in its data directory"],
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

/**
 * James' default for enableVirtualHosting is its repository's: true for Cassandra and Postgres,
 * false for JPA, JDBC and memory, and for LDAP the `supportsVirtualHosting` element (default false).
 * Without a class Tessera's embedded store defaults to true.
 */
function defaultVirtualHosting(cls: string | undefined): boolean {
  const v = cls?.trim().toLowerCase() ?? '';
  if (/^org\.apache\.james\.user\.(jpa|memory|jdbc)\./.test(v)) return false;
  return true;
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
  const classKind = cls ? ctx.parse(cls.key, cls.raw, classify) : undefined;
  // James (Guice) picks its LDAP repository whenever ldapHost is set, whatever `class` says.
  const hasLdapHosts = root.attrs.has('ldapHost') || root.attrs.has('ldapHosts');
  const kind: Kind = hasLdapHosts ? 'ldap' : (classKind ?? 'embedded');
  if (hasLdapHosts && cls && classKind !== 'ldap') {
    ctx.warn(cls.key, `${cls.raw} is not used: ldapHost is set, so (as in James) users are read from LDAP`);
  }
  const vhRaw = sec.text('enableVirtualHosting');
  const explicitVh = vhRaw ? ctx.parse(vhRaw.key, vhRaw.raw, parseBoolean) : undefined;
  const administratorIds = readAdministrators(sec, kind);
  const config =
    kind === 'ldap'
      ? readLdap(sec, explicitVh)
      : readEmbedded(sec, explicitVh ?? defaultVirtualHosting(cls?.raw));
  warnUnused(ctx, root, 'usersrepository', IGNORED);
  return administratorIds.length > 0 ? { ...config, administratorIds } : config;
}

/**
 * James' administrators (UsersRepositoryImpl): an `<administratorId>` element, else the
 * `<administratorIds><administratorId>…` list; for LDAP also the `administratorId` attribute.
 * They may log in as any other user (SASL PLAIN with that user as authorization identity).
 */
function readAdministrators(sec: XmlSection, kind: Kind): string[] {
  const ctx = sec.ctx;
  const parseId = (key: string, raw: string): string =>
    ctx.parse(key, raw, (v) => {
      if (/\s/.test(v)) throw new InvalidValue('write a user name such as admin@example.org');
      return v.toLowerCase();
    });
  const single = sec.text('administratorId');
  const list = sec.child('administratorIds');
  const ids: string[] = [];
  if (single) {
    ids.push(parseId(single.key, single.raw));
    if (list) {
      list.consumeAll();
      ctx.warn(list.key, `ignored because ${single.key} is set (as in James, a single <administratorId> replaces the list)`);
    }
  } else if (list) {
    for (const item of list.children('administratorId')) {
      item.consumeAll();
      if (item.el.text !== '') ids.push(parseId(item.key, item.el.text));
    }
  }
  const attribute = kind === 'ldap' ? sec.attr('administratorId') : undefined;
  if (attribute && attribute.raw !== '') ids.push(parseId(attribute.key, attribute.raw));
  return [...new Set(ids)];
}

function readEmbedded(sec: XmlSection, enableVirtualHosting: boolean): EmbeddedUsersConfig {
  const algorithm = sec.text('algorithm');
  if (algorithm && algorithm.raw.toLowerCase() !== 'scrypt') {
    sec.ctx.warn(algorithm.key, `Tessera hashes passwords with scrypt; "${algorithm.raw}" is not used (existing James password hashes are not imported)`);
  }
  return { kind: 'embedded', enableVirtualHosting, algorithm: algorithm?.raw ?? 'scrypt' };
}

const ATTRIBUTE_NAME = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$/;

function ldapAttributeName(raw: string): string {
  // Spliced into search filters, so it must be a plain attribute description (RFC 4512).
  if (!ATTRIBUTE_NAME.test(raw)) throw new InvalidValue('write an LDAP attribute name such as uid, mail or member');
  return raw;
}

function parseLdapHosts(raw: string): string[] {
  const hosts = splitList(raw, /[\s,]+/);
  if (hosts.length === 0) throw new InvalidValue('write ldap:// or ldaps:// URLs, separated by commas', 'empty');
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
}

function readLdap(sec: XmlSection, explicitVh: boolean | undefined): LdapUsersConfig {
  const ctx: FileContext = sec.ctx;
  const required = (name: string, example: string): string => {
    const v = sec.attr(name);
    if (!v || v.raw === '') ctx.fail(sec.attrKey(name), '', `the LDAP users repository needs ${name}="…", e.g. ${name}="${example}"`, 'missing');
    return v.raw;
  };
  // James reads ldapHosts (a comma list, for fail-over) and falls back to the older ldapHost.
  const hostsAttr = sec.attr('ldapHosts');
  const hostAttr = sec.attr('ldapHost');
  const chosen = hostsAttr && hostsAttr.raw !== '' ? hostsAttr : hostAttr && hostAttr.raw !== '' ? hostAttr : undefined;
  if (!chosen) {
    ctx.fail(sec.attrKey('ldapHosts'), '', 'the LDAP users repository needs ldapHosts="…" (or ldapHost), e.g. ldapHosts="ldap://ldap1.example.com:389,ldap://ldap2.example.com:389"', 'missing');
  }
  const ldapHost = ctx.parse(chosen.key, chosen.raw, parseLdapHosts);
  if (chosen === hostsAttr && hostAttr && hostAttr.raw !== '') {
    ctx.warn(hostAttr.key, `ignored because ldapHosts is set (as in James, ldapHosts replaces ldapHost)`);
  }
  const userBase = required('userBase', 'ou=people,dc=example,dc=com');
  const userIdAttribute = ctx.parse(sec.attrKey('userIdAttribute'), required('userIdAttribute', 'uid'), ldapAttributeName);
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
  const trustAll = sec.attr('trustAllCerts');
  if (trustAll && ctx.parse(trustAll.key, trustAll.raw, parseBoolean)) {
    ctx.fail(
      trustAll.key,
      trustAll.raw,
      "Tessera always verifies the LDAP server's certificate: give Node.js its CA (NODE_EXTRA_CA_CERTS=/path/ca.pem) and remove trustAllCerts, or set it to false",
      'certificate checks cannot be turned off',
    );
  }
  // James: <supportsVirtualHosting> (default false) is this repository's default for enableVirtualHosting.
  const supportsRaw = sec.text('supportsVirtualHosting');
  const supportsVirtualHosting = supportsRaw ? ctx.parse(supportsRaw.key, supportsRaw.raw, parseBoolean) : false;
  const resolveLocalPart = sec.attr('resolveLocalPartAttribute');
  const resolveLocalPartAttribute =
    resolveLocalPart && resolveLocalPart.raw !== '' ? ctx.parse(resolveLocalPart.key, resolveLocalPart.raw, ldapAttributeName) : undefined;
  const restriction = readRestriction(sec);
  const groups = readGroups(sec);
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
    enableVirtualHosting: explicitVh ?? supportsVirtualHosting,
    ...(restriction ? { restriction } : {}),
    ...(resolveLocalPartAttribute !== undefined ? { resolveLocalPartAttribute } : {}),
    ...(groups ? { groups } : {}),
  };
}

/**
 * Tessera's `<groups base="ou=groups,dc=example,dc=com" memberAttribute="member" nameAttribute="cn"
 * filter="(objectClass=groupOfNames)"/>`: where the groups of ACL identifiers ("$support") live.
 */
function readGroups(sec: XmlSection): LdapUsersConfig['groups'] {
  const groups = sec.child('groups');
  if (!groups) return undefined;
  const ctx: FileContext = sec.ctx;
  const base = groups.attr('base');
  if (!base || !/^[^=,]+=/.test(base.raw)) {
    ctx.fail(groups.attrKey('base'), base?.raw ?? '', 'write the DN the group entries are under, e.g. <groups base="ou=groups,dc=example,dc=com"/>', base ? undefined : 'missing');
  }
  const attribute = (name: string, fallback: string): string => {
    const v = groups.attr(name);
    return v && v.raw !== '' ? ctx.parse(v.key, v.raw, ldapAttributeName) : fallback;
  };
  const filterAttr = groups.attr('filter');
  const filter = filterAttr && filterAttr.raw !== '' ? filterAttr.raw : undefined;
  if (filter !== undefined && !(filter.startsWith('(') && filter.endsWith(')'))) {
    ctx.fail(groups.attrKey('filter'), filter, 'write an RFC 4515 filter in parentheses, e.g. (objectClass=groupOfNames)');
  }
  return {
    base: base.raw,
    memberAttribute: attribute('memberAttribute', 'member'),
    nameAttribute: attribute('nameAttribute', 'cn'),
    ...(filter !== undefined ? { filter } : {}),
  };
}

/**
 * James' `<restriction memberAttribute="member"><group>cn=mail,ou=groups,…</group>…</restriction>`.
 * James drops a restriction without memberAttribute or without groups, letting every entry in; such
 * a block is refused here, since it plainly means to keep users out.
 */
function readRestriction(sec: XmlSection): LdapUsersConfig['restriction'] {
  const restriction = sec.child('restriction');
  if (!restriction) return undefined;
  const ctx: FileContext = sec.ctx;
  const attr = restriction.attr('memberAttribute');
  if (!attr || attr.raw === '') {
    ctx.fail(restriction.attrKey('memberAttribute'), '', 'name the group attribute that lists member DNs, e.g. <restriction memberAttribute="member"> (uniqueMember for groupOfUniqueNames); James would ignore the whole restriction and let every user in', 'missing');
  }
  const memberAttribute = ctx.parse(attr.key, attr.raw, ldapAttributeName);
  const groups: string[] = [];
  for (const group of restriction.children('group')) {
    group.consumeAll();
    const dn = group.el.text;
    if (dn === '' || !/^[^=,]+=/.test(dn)) ctx.fail(group.key, dn, 'write the DN of a group, e.g. cn=mail-users,ou=groups,dc=example,dc=com');
    groups.push(dn);
  }
  if (groups.length === 0) {
    ctx.fail(restriction.childKey('group'), '', 'list at least one <group>DN</group>, or remove <restriction>; James would ignore an empty restriction and let every user in', 'missing');
  }
  return { memberAttribute, groups };
}
