// Opens the users repository and domain list that usersrepository.xml and domainlist.xml describe.
// The domain list always lives in users.sqlite (James too keeps it apart from the users); users live
// there as well unless usersrepository.xml points at LDAP.
import type { TesseraConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { DomainList, UsersRepository } from '../auth/users/types.js';
import { createEmbeddedUsersRepository, type EmbeddedUsers } from '../auth/users/sqlite-users.js';
import { createLdapUsersRepository } from '../auth/ldap/index.js';

export interface OpenedUsers {
  users: UsersRepository;
  domains: DomainList;
  /** The embedded database (domains and markers; users too unless on LDAP). */
  embedded: EmbeddedUsers;
  close(): Promise<void>;
}

export async function openUsers(config: Pick<TesseraConfig, 'users' | 'settings' | 'domains'>, logger: Logger): Promise<OpenedUsers> {
  const { users: usersConfig, settings, domains } = config;
  if (usersConfig.kind === 'embedded') {
    const embedded = await createEmbeddedUsersRepository(settings.dataDir, usersConfig, domains, logger);
    return { users: embedded.users, domains: embedded.domains, embedded, close: () => embedded.close() };
  }
  // LDAP: only the naming rule of the embedded side matters, for the domain list.
  const embedded = await createEmbeddedUsersRepository(
    settings.dataDir,
    { kind: 'embedded', enableVirtualHosting: usersConfig.enableVirtualHosting, algorithm: 'scrypt' },
    domains,
    logger,
  );
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
