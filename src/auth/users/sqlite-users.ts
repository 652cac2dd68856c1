// The embedded users database in <dataDir>/users.sqlite (one node): the users and domain tables of the
// embedded repository, markers, app passwords and the rewrite table on one SQLite handle.
import type { DomainListConfig, EmbeddedUsersConfig } from '../../config/types.js';
import type { Logger } from '../../log/logger.js';
import { openUsersDatabase, readMeta, prepared, withDatabase, writeMeta, type UsersDatabase } from './database.js';
import { SqliteAppPasswords } from '../app-passwords/sqlite-app-passwords.js';
import { SqliteRecipientRewriteTable } from '../rewrite/sqlite-rewrite-table.js';
import { assembleEmbeddedUsers, type EmbeddedUsers } from './embedded.js';
import { SqliteGroupTable } from './sqlite-groups.js';
import type { DomainTable, InsertUserOutcome, MarkerTable, NewUserRow, RemoveDomainOutcome, UserTable } from './tables.js';

export type { EmbeddedUsers } from './embedded.js';

class SqliteUserTable implements UserTable {
  constructor(private readonly db: UsersDatabase) {}

  private get<R>(sql: string, ...params: unknown[]): R | undefined {
    return withDatabase(this.db, () => prepared(this.db, sql).get(...params)) as R | undefined;
  }

  async hashOf(username: string): Promise<string | undefined> {
    return this.get<{ password_hash: string }>('SELECT password_hash FROM users WHERE username = ?', username)?.password_hash;
  }

  async exists(username: string): Promise<boolean> {
    return this.get('SELECT 1 FROM users WHERE username = ?', username) !== undefined;
  }

  async list(): Promise<string[]> {
    const rows = withDatabase(this.db, () => prepared(this.db, 'SELECT username FROM users ORDER BY username').all()) as { username: string }[];
    return rows.map((r) => r.username);
  }

  async firstCreated(): Promise<string | undefined> {
    return this.get<{ username: string }>('SELECT username FROM users ORDER BY created_at, rowid LIMIT 1')?.username;
  }

  async insert(row: NewUserRow): Promise<InsertUserOutcome> {
    return withDatabase(this.db, () =>
      this.db
        .transaction((): InsertUserOutcome => {
          if (row.domain !== undefined && prepared(this.db, 'SELECT 1 FROM domains WHERE name = ?').get(row.domain) === undefined) {
            return 'unknown-domain';
          }
          const inserted = prepared(this.db, 'INSERT OR IGNORE INTO users (username, domain, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
            .run(row.username, row.domain ?? null, row.hash, row.at, row.at);
          return inserted.changes === 0 ? 'exists' : 'added';
        })
        .immediate(),
    );
  }

  async delete(username: string): Promise<boolean> {
    return withDatabase(this.db, () => prepared(this.db, 'DELETE FROM users WHERE username = ?').run(username)).changes > 0;
  }

  async updateHash(username: string, hash: string, at: string, onlyIf?: string): Promise<boolean> {
    const run = withDatabase(this.db, () =>
      onlyIf === undefined
        ? prepared(this.db, 'UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ?').run(hash, at, username)
        : prepared(this.db, 'UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ? AND password_hash = ?').run(hash, at, username, onlyIf),
    );
    return run.changes > 0;
  }

  async countByDomainPresence(withDomain: boolean): Promise<number> {
    const sql = withDomain ? 'SELECT count(*) AS n FROM users WHERE domain IS NOT NULL' : 'SELECT count(*) AS n FROM users WHERE domain IS NULL';
    return this.get<{ n: number }>(sql)!.n;
  }
}

class SqliteDomainTable implements DomainTable {
  constructor(private readonly db: UsersDatabase) {}

  async list(): Promise<string[]> {
    return withDatabase(this.db, () => (prepared(this.db, 'SELECT name FROM domains ORDER BY name').all() as { name: string }[]).map((r) => r.name));
  }

  async contains(name: string): Promise<boolean> {
    return withDatabase(this.db, () => prepared(this.db, 'SELECT 1 FROM domains WHERE name = ?').get(name) !== undefined);
  }

  async insert(name: string, at: string): Promise<boolean> {
    return withDatabase(this.db, () => prepared(this.db, 'INSERT OR IGNORE INTO domains (name, created_at) VALUES (?, ?)').run(name, at)).changes > 0;
  }

  async removeUnused(name: string): Promise<RemoveDomainOutcome> {
    return withDatabase(this.db, () =>
      this.db
        .transaction((): RemoveDomainOutcome => {
          if (prepared(this.db, 'SELECT 1 FROM domains WHERE name = ?').get(name) === undefined) return { kind: 'unknown' };
          const { n } = prepared(this.db, 'SELECT count(*) AS n FROM users WHERE domain = ?').get(name) as { n: number };
          if (n > 0) return { kind: 'in-use', users: n };
          prepared(this.db, 'DELETE FROM domains WHERE name = ?').run(name);
          return { kind: 'removed' };
        })
        .immediate(),
    );
  }

  async ensure(names: readonly string[], at: string): Promise<string[]> {
    return withDatabase(this.db, () =>
      this.db
        .transaction(() => {
          const insert = prepared(this.db, 'INSERT OR IGNORE INTO domains (name, created_at) VALUES (?, ?)');
          return names.filter((name) => insert.run(name, at).changes > 0);
        })
        .immediate(),
    );
  }
}

function sqliteMarkers(db: UsersDatabase): MarkerTable {
  return {
    get: async (key) => withDatabase(db, () => readMeta(db, key)),
    set: async (key, value) => withDatabase(db, () => writeMeta(db, key, value)),
  };
}

/** Opens <dataDir>/users.sqlite (creating and migrating it) with everything kept in it. */
export async function createEmbeddedUsersRepository(
  dataDir: string,
  cfg: EmbeddedUsersConfig,
  domains: DomainListConfig,
  logger: Logger,
): Promise<EmbeddedUsers> {
  const db = openUsersDatabase(dataDir);
  const tables = {
    users: new SqliteUserTable(db),
    groups: new SqliteGroupTable(db),
    domains: new SqliteDomainTable(db),
    markers: sqliteMarkers(db),
    appPasswords: new SqliteAppPasswords(db),
    rewrites: new SqliteRecipientRewriteTable(db),
    close: async () => {
      if (db.open) db.close();
    },
  };
  return assembleEmbeddedUsers(tables, cfg, domains, logger);
}
