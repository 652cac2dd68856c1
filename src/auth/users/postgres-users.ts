// The embedded users repository's tables on PostgreSQL (storage.engine=postgres): users, domains,
// markers, app passwords and the rewrite table shared by every node. Same rules as users.sqlite
// (embedded-repository.ts, domain-list.ts); the SQL differs only where PostgreSQL locks differently.
import type { DomainListConfig, EmbeddedUsersConfig } from '../../config/types.js';
import type { Logger } from '../../log/logger.js';
import type { ThrottleSettings } from '../throttle/settings.js';
import { PostgresAppPasswords } from '../app-passwords/postgres-app-passwords.js';
import { PostgresRecipientRewriteTable } from '../rewrite/postgres-rewrite-table.js';
import { PostgresThrottleLedger } from '../throttle/postgres-ledger.js';
import { assembleEmbeddedUsers, type EmbeddedUsers } from './embedded.js';
import { isPgError, UsersPg, type UsersPostgresSettings } from './postgres-database.js';
import type { DomainTable, InsertUserOutcome, MarkerTable, NewUserRow, RemoveDomainOutcome, UserTable } from './tables.js';

const FOREIGN_KEY_VIOLATION = '23503';

class PostgresUserTable implements UserTable {
  constructor(private readonly db: UsersPg) {}

  async hashOf(username: string): Promise<string | undefined> {
    return (await this.db.get<{ password_hash: string }>('SELECT password_hash FROM users WHERE username = $1', [username]))?.password_hash;
  }

  async exists(username: string): Promise<boolean> {
    return (await this.db.get('SELECT 1 FROM users WHERE username = $1', [username])) !== undefined;
  }

  async list(): Promise<string[]> {
    // COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
    return (await this.db.all<{ username: string }>('SELECT username FROM users ORDER BY username COLLATE "C"')).map((r) => r.username);
  }

  async firstCreated(): Promise<string | undefined> {
    return (await this.db.get<{ username: string }>('SELECT username FROM users ORDER BY created_at, seq LIMIT 1'))?.username;
  }

  async insert(row: NewUserRow): Promise<InsertUserOutcome> {
    try {
      // The foreign key refuses a domain missing from the list, even one removed by another node
      // between a check and the insert.
      const added = await this.db.exec(
        `INSERT INTO users (username, domain, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (username) DO NOTHING`,
        [row.username, row.domain ?? null, row.hash, row.at],
      );
      return added > 0 ? 'added' : 'exists';
    } catch (err) {
      if (isPgError((err as Error).cause) && ((err as Error).cause as { code: string }).code === FOREIGN_KEY_VIOLATION) return 'unknown-domain';
      throw err;
    }
  }

  async delete(username: string): Promise<boolean> {
    return (await this.db.exec('DELETE FROM users WHERE username = $1', [username])) > 0;
  }

  async updateHash(username: string, hash: string, at: string, onlyIf?: string): Promise<boolean> {
    const changed =
      onlyIf === undefined
        ? await this.db.exec('UPDATE users SET password_hash = $1, updated_at = $2 WHERE username = $3', [hash, at, username])
        : await this.db.exec('UPDATE users SET password_hash = $1, updated_at = $2 WHERE username = $3 AND password_hash = $4', [hash, at, username, onlyIf]);
    return changed > 0;
  }

  async countByDomainPresence(withDomain: boolean): Promise<number> {
    const sql = withDomain ? 'SELECT count(*)::int AS n FROM users WHERE domain IS NOT NULL' : 'SELECT count(*)::int AS n FROM users WHERE domain IS NULL';
    return (await this.db.get<{ n: number }>(sql))!.n;
  }
}

class PostgresDomainTable implements DomainTable {
  constructor(private readonly db: UsersPg) {}

  async list(): Promise<string[]> {
    return (await this.db.all<{ name: string }>('SELECT name FROM domains ORDER BY name COLLATE "C"')).map((r) => r.name);
  }

  async contains(name: string): Promise<boolean> {
    return (await this.db.get('SELECT 1 FROM domains WHERE name = $1', [name])) !== undefined;
  }

  async insert(name: string, at: string): Promise<boolean> {
    return (await this.db.exec('INSERT INTO domains (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, at])) > 0;
  }

  removeUnused(name: string): Promise<RemoveDomainOutcome> {
    return this.db.transaction(async (c): Promise<RemoveDomainOutcome> => {
      // The row lock makes a concurrent user insert into this domain wait for the foreign-key check.
      const found = await c.query('SELECT 1 FROM domains WHERE name = $1 FOR UPDATE', [name]);
      if (found.rowCount === 0) return { kind: 'unknown' };
      const { n } = (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE domain = $1', [name])).rows[0]!;
      if (n > 0) return { kind: 'in-use', users: n };
      await c.query('DELETE FROM domains WHERE name = $1', [name]);
      return { kind: 'removed' };
    });
  }

  async ensure(names: readonly string[], at: string): Promise<string[]> {
    const rows = await this.db.all<{ name: string }>(
      'INSERT INTO domains (name, created_at) SELECT unnest($1::text[]), $2 ON CONFLICT (name) DO NOTHING RETURNING name',
      [names, at],
    );
    const added = new Set(rows.map((r) => r.name));
    return names.filter((n) => added.has(n));
  }
}

function postgresMarkers(db: UsersPg): MarkerTable {
  return {
    get: async (key) => (await db.get<{ value: string }>('SELECT value FROM users_meta WHERE key = $1', [key]))?.value,
    set: async (key, value) => {
      await db.exec('INSERT INTO users_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
    },
  };
}

/** Opens (creating and migrating) the users tables on PostgreSQL, with everything kept beside them. */
export async function createPostgresUsersRepository(
  settings: UsersPostgresSettings,
  cfg: EmbeddedUsersConfig,
  domains: DomainListConfig,
  logger: Logger,
): Promise<EmbeddedUsers> {
  const db = await UsersPg.open(settings);
  const tables = {
    users: new PostgresUserTable(db),
    domains: new PostgresDomainTable(db),
    markers: postgresMarkers(db),
    appPasswords: new PostgresAppPasswords(db),
    rewrites: new PostgresRecipientRewriteTable(db),
    // Beside the users, so every node counts the same failed logins (auth may not reach the store).
    throttleStore: (settings: ThrottleSettings) => new PostgresThrottleLedger(db, settings, undefined, (err) => logger.warn({ err: String(err) }, 'login throttle: sweeping old rows failed')),
    close: () => db.close(),
  };
  return assembleEmbeddedUsers(tables, cfg, domains, logger);
}
