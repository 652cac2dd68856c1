// The embedded users repository (James' default users repository): users in <dataDir>/users.sqlite
// with scrypt password hashes, next to the domain list. Written by the CLI, read by the server.
import type { DomainListConfig, EmbeddedUsersConfig } from '../../config/types.js';
import type { Logger } from '../../log/logger.js';
import {
  UnknownUserError,
  UserExistsError,
  type UserRecord,
  type UsersRepository,
} from './types.js';
import { openUsersDatabase, readMeta, withDatabase, writeMeta, type UsersDatabase } from './database.js';
import { UnknownDomainError } from './errors.js';
import { checkNewPassword } from './password-rules.js';
import { parseExistingUserName, parseUserName, parseUserNameOrUndefined } from './names.js';
import { burnPasswordCheck, hashPassword, needsRehash, verifyPasswordHash } from './password-hash.js';
import { SqliteDomainList } from './sqlite-domains.js';
import { VerifiedPasswords } from './verified-passwords.js';
import { SqliteAppPasswords } from '../app-passwords/sqlite-app-passwords.js';
import { SqliteRecipientRewriteTable } from '../rewrite/sqlite-rewrite-table.js';

export class SqliteUsersRepository implements UsersRepository {
  readonly readOnly = false;
  readonly virtualHosting: boolean;

  constructor(
    private readonly db: UsersDatabase,
    config: EmbeddedUsersConfig,
    private readonly logger: Logger,
    private readonly verified: VerifiedPasswords = new VerifiedPasswords(),
  ) {
    this.virtualHosting = config.enableVirtualHosting;
  }

  private hashOf(username: string): string | undefined {
    const row = withDatabase(this.db, () =>
      this.db.prepare('SELECT password_hash FROM users WHERE username = ?').get(username),
    ) as { password_hash: string } | undefined;
    return row?.password_hash;
  }

  async lookup(username: string): Promise<UserRecord | undefined> {
    const parsed = parseUserNameOrUndefined(username, this.virtualHosting);
    if (!parsed) return undefined;
    const row = withDatabase(this.db, () =>
      this.db.prepare('SELECT username FROM users WHERE username = ?').get(parsed.username),
    ) as { username: string } | undefined;
    return row ? { username: row.username } : undefined;
  }

  async verifyPassword(username: string, password: string): Promise<boolean> {
    const parsed = parseUserNameOrUndefined(username, this.virtualHosting);
    const stored = parsed ? this.hashOf(parsed.username) : undefined;
    if (!parsed || stored === undefined) {
      await burnPasswordCheck(password);
      return false;
    }
    if (this.verified.has(parsed.username, stored, password)) return true;
    const ok = await this.verified.shared(parsed.username, stored, password, () => verifyPasswordHash(password, stored));
    if (!ok) return false;
    if (needsRehash(stored)) await this.rehash(parsed.username, password, stored);
    else this.verified.remember(parsed.username, stored, password);
    return true;
  }

  /** Upgrades a hash made with older, cheaper parameters while the clear password is at hand. */
  private async rehash(username: string, password: string, old: string): Promise<void> {
    try {
      const hash = await hashPassword(password);
      withDatabase(this.db, () =>
        this.db
          .prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ? AND password_hash = ?')
          .run(hash, new Date().toISOString(), username, old),
      );
    } catch (err) {
      this.logger.warn({ user: username, err }, 'could not upgrade the password hash');
    }
  }

  async list(): Promise<UserRecord[]> {
    const rows = withDatabase(this.db, () => this.db.prepare('SELECT username FROM users ORDER BY username').all()) as {
      username: string;
    }[];
    return rows.map((r) => ({ username: r.username }));
  }

  async firstCreated(): Promise<UserRecord | undefined> {
    const row = withDatabase(this.db, () => this.db.prepare('SELECT username FROM users ORDER BY created_at, rowid LIMIT 1').get()) as
      | { username: string }
      | undefined;
    return row ? { username: row.username } : undefined;
  }

  async add(username: string, password: string): Promise<void> {
    const parsed = parseUserName(username, this.virtualHosting);
    checkNewPassword(password);
    const hash = await hashPassword(password);
    const now = new Date().toISOString();
    withDatabase(this.db, () =>
      this.db
        .transaction(() => {
          if (parsed.domain !== undefined && this.db.prepare('SELECT 1 FROM domains WHERE name = ?').get(parsed.domain) === undefined) {
            throw new UnknownDomainError(
              `domain ${parsed.domain} is not in the domain list; add it first with: tessera domain add ${parsed.domain}`,
            );
          }
          const inserted = this.db
            .prepare(
              'INSERT OR IGNORE INTO users (username, domain, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
            )
            .run(parsed.username, parsed.domain ?? null, hash, now, now);
          if (inserted.changes === 0) throw new UserExistsError(`user ${parsed.username} already exists`);
        })
        .immediate(),
    );
    this.logger.info({ user: parsed.username }, 'user added');
  }

  async remove(username: string): Promise<void> {
    const parsed = parseExistingUserName(username, this.virtualHosting);
    const deleted = withDatabase(this.db, () => this.db.prepare('DELETE FROM users WHERE username = ?').run(parsed.username));
    if (deleted.changes === 0) throw new UnknownUserError(`user ${parsed.username} does not exist`);
    this.logger.info({ user: parsed.username }, 'user removed');
  }

  async setPassword(username: string, password: string): Promise<void> {
    const parsed = parseExistingUserName(username, this.virtualHosting);
    checkNewPassword(password);
    const hash = await hashPassword(password);
    const updated = withDatabase(this.db, () =>
      this.db
        .prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ?')
        .run(hash, new Date().toISOString(), parsed.username),
    );
    if (updated.changes === 0) throw new UnknownUserError(`user ${parsed.username} does not exist`);
    this.logger.info({ user: parsed.username }, 'password changed');
  }

  /** Users whose form does not match the virtual-hosting setting: they can no longer log in. */
  countMismatchedUsers(): number {
    const sql = this.virtualHosting
      ? 'SELECT count(*) AS n FROM users WHERE domain IS NULL'
      : 'SELECT count(*) AS n FROM users WHERE domain IS NOT NULL';
    return (withDatabase(this.db, () => this.db.prepare(sql).get()) as { n: number }).n;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** The embedded users repository and the domain list, sharing one database handle. */
export interface EmbeddedUsers {
  users: SqliteUsersRepository;
  domains: SqliteDomainList;
  /** Small persistent flags (e.g. "demo user created once"). */
  getMarker(key: string): string | undefined;
  setMarker(key: string, value: string): void;
  /** App passwords (kept here whatever holds the users: embedded or LDAP). */
  appPasswords: SqliteAppPasswords;
  /** Aliases, forwards and domain aliases (kept here whatever holds the users, as app passwords). */
  rewrites: SqliteRecipientRewriteTable;
  /** Closes the shared database (closing `users` does too). */
  close(): Promise<void>;
}

/**
 * Opens <dataDir>/users.sqlite, ensures the domains of domainlist.xml, and warns about users that
 * the current virtual-hosting setting makes unreachable.
 */
export async function createEmbeddedUsersRepository(
  dataDir: string,
  cfg: EmbeddedUsersConfig,
  domains: DomainListConfig,
  logger: Logger,
): Promise<EmbeddedUsers> {
  const db = openUsersDatabase(dataDir);
  try {
    const users = new SqliteUsersRepository(db, cfg, logger);
    const domainList = new SqliteDomainList(db, domains);
    const added = await domainList.ensureConfigured();
    if (added.length > 0) logger.info({ domains: added }, 'added the domains of domainlist.xml');
    const mismatched = users.countMismatchedUsers();
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
      getMarker: (key) => withDatabase(db, () => readMeta(db, key)),
      setMarker: (key, value) => withDatabase(db, () => writeMeta(db, key, value)),
      appPasswords: new SqliteAppPasswords(db),
      rewrites: new SqliteRecipientRewriteTable(db),
      close: () => users.close(),
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
