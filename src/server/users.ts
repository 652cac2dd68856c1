// Opens the users repository and domain list that usersrepository.xml and domainlist.xml describe.
// The domain list, app passwords and the rewrite table always live in Tessera's own users database
// (James too keeps the domain list apart from the users): users.sqlite on one node, or PostgreSQL
// with storage.engine=postgres so every node sees the same. Users live there as well unless
// usersrepository.xml points at LDAP.
import type { DomainListConfig, EmbeddedUsersConfig, TesseraConfig, TesseraSettings } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { DomainList, UsersRepository } from '../auth/users/types.js';
import { createEmbeddedUsersRepository, type EmbeddedUsers } from '../auth/users/sqlite-users.js';
import { createPostgresUsersRepository } from '../auth/users/postgres-users.js';
import { createLdapUsersRepository } from '../auth/ldap/index.js';

export interface OpenedUsers {
  users: UsersRepository;
  domains: DomainList;
  /** The embedded database (domains and markers; users too unless on LDAP). */
  embedded: EmbeddedUsers;
  close(): Promise<void>;
}

/** Tessera's own users database where the storage settings put it (users.sqlite or PostgreSQL). */
export function openEmbeddedUsers(
  settings: Pick<TesseraSettings, 'dataDir' | 'storage'>,
  usersConfig: EmbeddedUsersConfig,
  domains: DomainListConfig,
  logger: Logger,
): Promise<EmbeddedUsers> {
  const { storage } = settings;
  if (storage.engine === 'postgres') {
    return createPostgresUsersRepository(
      { url: storage.url, poolSize: storage.poolSize, ...(storage.schema !== undefined ? { schema: storage.schema } : {}) },
      usersConfig,
      domains,
      logger,
    );
  }
  return createEmbeddedUsersRepository(settings.dataDir, usersConfig, domains, logger);
}

/** The embedded side's settings: the configured ones, or with LDAP users only their naming rule. */
export function embeddedUsersConfig(users: TesseraConfig['users']): EmbeddedUsersConfig {
  return users.kind === 'embedded' ? users : { kind: 'embedded', enableVirtualHosting: users.enableVirtualHosting, algorithm: 'scrypt' };
}

export async function openUsers(config: Pick<TesseraConfig, 'users' | 'settings' | 'domains'>, logger: Logger): Promise<OpenedUsers> {
  const { users: usersConfig, settings, domains } = config;
  const embedded = await openEmbeddedUsers(settings, embeddedUsersConfig(usersConfig), domains, logger);
  if (usersConfig.kind === 'embedded') {
    return { users: embedded.users, domains: embedded.domains, embedded, close: () => embedded.close() };
  }
  const users = createLdapUsersRepository(usersConfig, logger, settings.ldapCacheTtlMs !== undefined ? { cacheTtlMs: settings.ldapCacheTtlMs } : {});
  return {
    users,
    domains: embedded.domains,
    embedded,
    close: async () => {
      await users.close();
      await embedded.close();
    },
  };
}
