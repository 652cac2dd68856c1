// The read-only LDAP users repository, compatible with James' ReadOnlyUsersLDAPRepository: users are
// entries under `userBase` whose `userIdAttribute` holds the user name (the full address with
// virtual hosting); passwords are checked by binding as the user's DN, never by reading a hash.
// James' group `restriction` keeps out entries that belong to none of its groups, and
// `resolveLocalPartAttribute` finds a user by a name without `@` in that attribute instead.
import type { ConnectionOptions } from 'node:tls';
import { FilterParser, NoSuchObjectError, ResultCodeError, type Entry } from 'ldapts';
import type { LdapUsersConfig } from '../../config/types.js';
import type { Logger } from '../../log/logger.js';
import {
  ReadOnlyRepositoryError,
  UsersRepositoryUnavailableError,
  type UserRecord,
  type UsersRepository,
} from '../users/types.js';
import { TtlCache } from './cache.js';
import { LdapConnector, parseEndpoint } from './connector.js';
import { LdapConfigError, describeError, isBindRejection } from './errors.js';
import { listFilter, userFilter, validateFilterSettings, type FilterSettings } from './filters.js';
import { LdapConnectionPool } from './pool.js';
import { normalizeDn, restrictedMembers } from './groups.js';
import { memberGroupsFilter, validateGroupSettings } from './member-groups.js';
import { canonicalGroupName } from '../users/group-names.js';

/** Settings usersrepository.xml has no attribute for. */
export interface LdapRepositoryOptions {
  /** Connections per pool (one pool for searches, one for password binds). Default 4. */
  poolSize?: number;
  /** How long a lookup answer (found or not) is reused. Default 30 s; 0 turns the cache off. */
  cacheTtlMs?: number;
  /** Most lookup answers kept. Default 10 000. */
  cacheMaxEntries?: number;
  /** How long a failed host is tried only after the others. Default 30 s. */
  hostRetryDelayMs?: number;
  /** CA bundle and other TLS settings for ldaps:// and StartTLS (default: the system's CAs). */
  tlsOptions?: ConnectionOptions;
  /** Clock, for tests of the cache TTL. */
  now?: () => number;
}

export const LDAP_REPOSITORY_DEFAULTS = {
  poolSize: 4,
  cacheTtlMs: 30_000,
  cacheMaxEntries: 10_000,
  hostRetryDelayMs: 30_000,
  /** Used when connectionTimeout / readTimeout are absent or not positive (James' -1 = wait forever). */
  connectTimeoutMs: 5_000,
  readTimeoutMs: 10_000,
} as const;

const LIST_PAGE_SIZE = 500;
/**
 * Longer names are not looked up (nor cached): no mail address is longer than 254 characters, and
 * the cache's entry bound must also bound its memory when someone tries megabyte-long names.
 */
const MAX_NAME_LENGTH = 1024;

interface FoundUser {
  username: string;
  dn: string;
}

/** Canonical user name: Unicode NFC, lowercase, like the embedded repository's names. */
function canonical(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

function attributeValues(entry: Entry, attribute: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  const raw = key === undefined ? undefined : entry[key];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v)).filter((v) => v !== '');
}

class LdapUsersRepository implements UsersRepository {
  readonly readOnly = true;
  readonly virtualHosting: boolean;
  private readonly filters: FilterSettings;
  private readonly searchPool: LdapConnectionPool;
  private readonly bindPool: LdapConnectionPool;
  private readonly cache: TtlCache<FoundUser | null>;
  /** The groups of a user (by the name asked), with the user lookups' TTL: asked at every IMAP command. */
  private readonly groupCache: TtlCache<string[]>;
  private readonly inFlight = new Map<string, Promise<FoundUser | undefined>>();
  private readonly readTimeoutMs: number;

  constructor(
    private readonly cfg: LdapUsersConfig,
    private readonly logger: Logger,
    options: LdapRepositoryOptions,
  ) {
    // James accepts "ldap://a:389, ldap://b:389" in one attribute; the config may pass it unsplit.
    const hosts = cfg.ldapHost.flatMap((h) => h.split(/[\s,]+/)).filter((h) => h !== '');
    if (hosts.length === 0) throw new LdapConfigError('ldapHost is required: e.g. ldap://ldap.example.org:389');
    if (cfg.userBase.trim() === '') throw new LdapConfigError('userBase is required: e.g. ou=people,dc=example,dc=org');
    this.virtualHosting = cfg.enableVirtualHosting;
    this.filters = { userObjectClass: cfg.userObjectClass, userIdAttribute: cfg.userIdAttribute, filter: cfg.filter };
    validateFilterSettings(this.filters);
    if (cfg.resolveLocalPartAttribute !== undefined) {
      validateFilterSettings({ ...this.filters, userIdAttribute: cfg.resolveLocalPartAttribute });
    }
    if (cfg.groups) validateGroupSettings(cfg.groups);
    if (cfg.restriction) {
      validateFilterSettings({ ...this.filters, userIdAttribute: cfg.restriction.memberAttribute });
      if (cfg.restriction.groups.length === 0) throw new LdapConfigError('the group restriction lists no <group>');
    }
    const d = LDAP_REPOSITORY_DEFAULTS;
    const now = options.now ?? Date.now;
    this.readTimeoutMs = cfg.readTimeout > 0 ? cfg.readTimeout : d.readTimeoutMs;
    const connector = new LdapConnector(
      {
        hosts: hosts.map(parseEndpoint),
        connectTimeoutMs: cfg.connectionTimeout > 0 ? cfg.connectionTimeout : d.connectTimeoutMs,
        readTimeoutMs: this.readTimeoutMs,
        startTLS: cfg.startTLS,
        tlsOptions: options.tlsOptions,
        hostRetryDelayMs: options.hostRetryDelayMs ?? d.hostRetryDelayMs,
        now,
      },
      logger,
    );
    const poolSize = Math.max(1, options.poolSize ?? d.poolSize);
    const service = cfg.principal ? { dn: cfg.principal, password: cfg.credentials ?? '' } : undefined;
    if (service && service.password === '') {
      // A DN with an empty password is an unauthenticated bind: most servers refuse it, and those
      // that accept it search anonymously, which usually finds nobody.
      logger.warn({ principal: cfg.principal }, 'usersrepository.xml sets principal without credentials');
    }
    this.searchPool = new LdapConnectionPool(connector, poolSize, service, 'search');
    this.bindPool = new LdapConnectionPool(connector, poolSize, undefined, 'password check');
    this.cache = new TtlCache(options.cacheTtlMs ?? d.cacheTtlMs, options.cacheMaxEntries ?? d.cacheMaxEntries, now);
    this.groupCache = new TtlCache(options.cacheTtlMs ?? d.cacheTtlMs, options.cacheMaxEntries ?? d.cacheMaxEntries, now);
  }

  async lookup(username: string): Promise<UserRecord | undefined> {
    const found = await this.find(username);
    return found ? { username: found.username } : undefined;
  }

  async verifyPassword(username: string, password: string): Promise<boolean> {
    // An empty password would be an unauthenticated bind (RFC 4513 §5.1.2), which servers may
    // answer with success: it must never count as a correct password.
    if (password === '') return false;
    const found = await this.find(username);
    if (!found) return false;
    try {
      await this.bindPool.use((client) => client.bind(found.dn, password));
      return true;
    } catch (err) {
      if (isBindRejection(err)) {
        this.logger.debug({ user: found.username, reason: describeError(err) }, 'LDAP password check refused');
        return false;
      }
      throw this.unavailable('password check', err);
    }
  }

  async list(): Promise<UserRecord[]> {
    const entries = await this.search(listFilter(this.filters), { paged: { pageSize: LIST_PAGE_SIZE } });
    const members = this.cfg.restriction ? await this.restrictionMembers() : undefined;
    const names = new Set<string>();
    for (const entry of entries) {
      if (members && !members.has(normalizeDn(entry.dn))) continue;
      const first = attributeValues(entry, this.cfg.userIdAttribute)[0];
      if (first !== undefined) names.add(canonical(first));
    }
    return [...names].sort().map((username) => ({ username }));
  }

  async groupsOf(username: string): Promise<string[]> {
    const groups = this.cfg.groups;
    if (!groups) return [];
    const cached = this.groupCache.get(username);
    if (cached) return cached.value;
    const found = await this.find(username);
    const names = found ? await this.searchGroups(groups, found.dn) : [];
    this.groupCache.set(username, names);
    return names;
  }

  /** The names of the group entries whose member attribute holds `dn` (the server compares DNs). */
  private async searchGroups(groups: NonNullable<LdapUsersConfig['groups']>, dn: string): Promise<string[]> {
    try {
      const result = await this.searchPool.use((client) =>
        client.search(groups.base, {
          scope: 'sub',
          filter: FilterParser.parseString(memberGroupsFilter(groups, dn)),
          attributes: [groups.nameAttribute],
          timeLimit: Math.ceil(this.readTimeoutMs / 1000),
          paged: { pageSize: LIST_PAGE_SIZE },
        }),
      );
      const names = new Set<string>();
      for (const entry of result.searchEntries) {
        for (const raw of attributeValues(entry, groups.nameAttribute)) {
          const name = canonicalGroupName(raw);
          if (name !== undefined) names.add(name);
          else this.logger.warn({ group: entry.dn, name: raw.slice(0, 100) }, 'LDAP group name cannot be an ACL identifier; ignored');
        }
      }
      return [...names].sort();
    } catch (err) {
      if (err instanceof NoSuchObjectError) throw this.unavailable(`group search (base "${groups.base}" does not exist)`, err);
      throw this.unavailable('group search', err);
    }
  }

  add(username: string): Promise<void> {
    return Promise.reject(this.readOnlyError(`add user "${username}"`));
  }

  remove(username: string): Promise<void> {
    return Promise.reject(this.readOnlyError(`remove user "${username}"`));
  }

  setPassword(username: string): Promise<void> {
    return Promise.reject(this.readOnlyError(`change the password of "${username}"`));
  }

  async close(): Promise<void> {
    this.cache.clear();
    this.groupCache.clear();
    await Promise.all([this.searchPool.close(), this.bindPool.close()]);
  }

  private readOnlyError(what: string): ReadOnlyRepositoryError {
    return new ReadOnlyRepositoryError(
      `Cannot ${what}: users live in LDAP (usersrepository.xml: ReadOnlyUsersLDAPRepository, ` +
        `ldapHost ${this.cfg.ldapHost.join(' ')}), which Tessera only reads. Add, remove or change users ` +
        `under ${this.cfg.userBase} with your directory's tools (ldapadd, ldapmodify, ldappasswd or its admin console).`,
    );
  }

  private async find(username: string): Promise<FoundUser | undefined> {
    if (username === '' || username.length > MAX_NAME_LENGTH) return undefined;
    const cached = this.cache.get(username);
    if (cached) return cached.value ?? undefined;
    // Logins of one user arriving together share one directory round-trip.
    let pending = this.inFlight.get(username);
    if (!pending) {
      pending = this.searchUser(username).finally(() => this.inFlight.delete(username));
      this.inFlight.set(username, pending);
    }
    return pending;
  }

  private async searchUser(username: string): Promise<FoundUser | undefined> {
    // As James: a name without `@` is looked up in resolveLocalPartAttribute when one is configured;
    // the user is then named by the entry's userIdAttribute (the full address).
    const byLocalPart = this.cfg.resolveLocalPartAttribute !== undefined && !username.includes('@');
    const searchAttribute = byLocalPart ? (this.cfg.resolveLocalPartAttribute as string) : this.cfg.userIdAttribute;
    // Size limit 2: one entry is the answer, a second one means the name is ambiguous.
    const entries = await this.search(userFilter({ ...this.filters, userIdAttribute: searchAttribute }, username), { sizeLimit: 2 });
    let found: FoundUser | undefined;
    if (entries.length > 1) {
      this.logger.error(
        { user: username, dns: entries.map((e) => e.dn) },
        `several LDAP entries have this ${searchAttribute}; refusing the user until the directory is fixed`,
      );
    } else if (entries.length === 1) {
      const entry = entries[0] as Entry;
      const values = attributeValues(entry, this.cfg.userIdAttribute);
      // A multi-valued id attribute: the value that was asked for, in the directory's spelling.
      const asked = canonical(username);
      const name = values.find((v) => canonical(v) === asked) ?? values[0];
      if (name === undefined) {
        this.logger.warn({ user: username, dn: entry.dn }, `the LDAP entry has no ${this.cfg.userIdAttribute}; it cannot be a user`);
      } else if (await this.passesRestriction(entry.dn)) {
        found = { username: canonical(name), dn: entry.dn };
      } else {
        this.logger.info({ user: username, dn: entry.dn }, 'LDAP entry is in none of the restriction groups; not a user');
      }
    }
    this.cache.set(username, found ?? null);
    return found;
  }

  private async passesRestriction(dn: string): Promise<boolean> {
    if (!this.cfg.restriction) return true;
    return (await this.restrictionMembers()).has(normalizeDn(dn));
  }

  /** Member DNs of the restriction's groups, read from the directory each time (as James does). */
  private restrictionMembers(): Promise<Set<string>> {
    const restriction = this.cfg.restriction;
    if (!restriction) return Promise.resolve(new Set());
    return restrictedMembers(restriction, async (groupDn, memberAttribute) => {
      try {
        const result = await this.searchPool.use((client) =>
          client.search(groupDn, { scope: 'base', filter: '(objectClass=*)', attributes: [memberAttribute], timeLimit: Math.ceil(this.readTimeoutMs / 1000) }),
        );
        const entry = result.searchEntries[0];
        return entry ? attributeValues(entry, memberAttribute) : [];
      } catch (err) {
        if (err instanceof NoSuchObjectError) {
          // A deleted group lets none of its former members in; the others keep working.
          this.logger.error({ group: groupDn }, 'LDAP restriction group does not exist; it has no members');
          return [];
        }
        throw this.unavailable(`read of restriction group "${groupDn}"`, err);
      }
    });
  }

  private async search(filter: string, extra: { sizeLimit?: number; paged?: { pageSize: number } }): Promise<Entry[]> {
    // Parsed here rather than inside ldapts so that a malformed filter (a bug, since every value is
    // escaped) surfaces as itself and is not mistaken for a dead connection.
    const parsed = FilterParser.parseString(filter);
    try {
      const result = await this.searchPool.use((client) =>
        client.search(this.cfg.userBase, {
          scope: 'sub',
          filter: parsed,
          attributes: [this.cfg.userIdAttribute],
          timeLimit: Math.ceil(this.readTimeoutMs / 1000),
          ...extra,
        }),
      );
      return result.searchEntries;
    } catch (err) {
      if (err instanceof NoSuchObjectError) {
        throw this.unavailable(`search (userBase "${this.cfg.userBase}" does not exist)`, err);
      }
      throw this.unavailable('search', err);
    }
  }

  private unavailable(what: string, err: unknown): UsersRepositoryUnavailableError {
    if (err instanceof UsersRepositoryUnavailableError) return err;
    const detail = err instanceof ResultCodeError ? `server answered: ${describeError(err)}` : describeError(err);
    this.logger.error({ err: detail }, `LDAP ${what} failed`);
    return new UsersRepositoryUnavailableError(`LDAP ${what} failed: ${detail}`, { cause: err });
  }
}

/** The read-only LDAP users repository. Throws LdapConfigError for settings that cannot work. */
export function createLdapUsersRepository(
  cfg: LdapUsersConfig,
  logger: Logger,
  options: LdapRepositoryOptions = {},
): UsersRepository {
  return new LdapUsersRepository(cfg, logger, options);
}
