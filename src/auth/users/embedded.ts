// Tessera's own users database as one handle: the embedded users repository, the domain list, app
// passwords, the recipient rewrite table and markers, whichever database holds them (users.sqlite, or
// PostgreSQL so that every node of a cluster sees the same users).
import type { DomainListConfig, EmbeddedUsersConfig } from '../../config/types.js';
import type { Logger } from '../../log/logger.js';
import type { AppPasswordStore } from '../app-passwords/types.js';
import type { RecipientRewriteTable } from '../rewrite/types.js';
import type { ThrottleStoreFactory } from '../throttle/store.js';
import { EmbeddedDomainList } from './domain-list.js';
import { EmbeddedUsersRepository } from './embedded-repository.js';
import type { DomainTable, MarkerTable, UserTable } from './tables.js';

export interface EmbeddedUsers {
  users: EmbeddedUsersRepository;
  domains: EmbeddedDomainList;
  /** Small persistent flags (e.g. "demo user created once"). */
  getMarker(key: string): Promise<string | undefined>;
  setMarker(key: string, value: string): Promise<void>;
  /** App passwords (kept here whatever holds the users: embedded or LDAP). */
  appPasswords: AppPasswordStore;
  /** Aliases, forwards and domain aliases (kept here whatever holds the users, as app passwords). */
  rewrites: RecipientRewriteTable;
  /** The login throttle's counts shared by every node (PostgreSQL); absent: each process counts its own. */
  throttleStore?: ThrottleStoreFactory;
  /** Closes the shared database (closing `users` does too). */
  close(): Promise<void>;
}

export interface EmbeddedTables {
  users: UserTable;
  domains: DomainTable;
  markers: MarkerTable;
  appPasswords: AppPasswordStore;
  rewrites: RecipientRewriteTable;
  throttleStore?: ThrottleStoreFactory;
  close(): Promise<void>;
}

/**
 * Builds the handle over opened tables, ensures the domains of domainlist.xml, and warns about users
 * that the current virtual-hosting setting makes unreachable. Closes the tables if that fails.
 */
export async function assembleEmbeddedUsers(
  tables: EmbeddedTables,
  cfg: EmbeddedUsersConfig,
  domains: DomainListConfig,
  logger: Logger,
): Promise<EmbeddedUsers> {
  try {
    const users = new EmbeddedUsersRepository(tables.users, cfg, logger, () => tables.close());
    const domainList = new EmbeddedDomainList(tables.domains, domains);
    const added = await domainList.ensureConfigured();
    if (added.length > 0) logger.info({ domains: added }, 'added the domains of domainlist.xml');
    const mismatched = await users.countMismatchedUsers();
    if (mismatched > 0) {
      logger.warn(
        { count: mismatched, enableVirtualHosting: cfg.enableVirtualHosting },
        cfg.enableVirtualHosting
          ? 'users without a domain cannot log in while virtual hosting is on (usersrepository.xml enableVirtualHosting)'
          : 'users with a domain cannot log in while virtual hosting is off (usersrepository.xml enableVirtualHosting)',
      );
    }
    return {
      users,
      domains: domainList,
      getMarker: (key) => tables.markers.get(key),
      setMarker: (key, value) => tables.markers.set(key, value),
      appPasswords: tables.appPasswords,
      rewrites: tables.rewrites,
      ...(tables.throttleStore ? { throttleStore: tables.throttleStore } : {}),
      close: () => users.close(),
    };
  } catch (err) {
    await tables.close();
    throw err;
  }
}
