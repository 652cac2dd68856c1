// Tessera's users database on PostgreSQL (storage.engine=postgres): the same tables as users.sqlite,
// in the store's database and schema, so every node of a cluster sees the same users, domains, app
// passwords and aliases. auth may not import the store (the layering), so this holds its own small
// pool and its own versioned migrations (table users_schema_migration), applied at start under an
// advisory lock so several nodes starting at once migrate once.
import pg from 'pg';
import { countPgQueries } from '../../core/pg-round-trips.js';
import { createSchemaOnce, isPlainSchemaName } from '../../core/pg-schema.js';
import { UsersRepositoryUnavailableError } from './types.js';

export interface UsersPostgresSettings {
  url: string;
  /** The store's pool size; the users pool takes a few of its own (logins and admin writes are short). */
  poolSize?: number;
  /** The store's schema (storage.postgres.schema); default: the server's search_path. */
  schema?: string;
}

/** Arbitrary constant naming "Tessera users schema changes" among the database's advisory locks. */
const USERS_MIGRATION_LOCK = 0x7e55e4b;

// Each entry upgrades the schema by one version (the same tables as users.sqlite, database.ts).
// Times are ISO-8601 text as in users.sqlite, so rows move between the two unchanged.
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE domains (
     name TEXT PRIMARY KEY,
     created_at TEXT NOT NULL
   );
   CREATE TABLE users (
     username TEXT PRIMARY KEY,
     domain TEXT REFERENCES domains(name),
     password_hash TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     -- insertion order, the tie-break of "the user created first" (SQLite's rowid)
     seq BIGINT GENERATED ALWAYS AS IDENTITY
   );
   CREATE INDEX users_domain ON users(domain);
   CREATE TABLE users_meta (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL
   );
   CREATE TABLE app_passwords (
     id TEXT PRIMARY KEY,
     username TEXT NOT NULL,
     name TEXT NOT NULL,
     password_hash TEXT NOT NULL,
     scopes TEXT NOT NULL,
     created_at TEXT NOT NULL,
     expires_at TEXT,
     last_used_at TEXT,
     last_used_ip TEXT
   );
   CREATE INDEX app_passwords_user ON app_passwords(username);
   CREATE TABLE recipient_rewrites (
     kind TEXT NOT NULL CHECK (kind IN ('alias', 'forward', 'domainAlias')),
     source TEXT NOT NULL,
     target TEXT NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (kind, source, target)
   );
   CREATE INDEX recipient_rewrites_target ON recipient_rewrites(kind, target);`,
  // The login throttle shared by every node (src/auth/throttle/postgres-ledger.ts): one row per key
  // (an address, or an address + user name). Times are epoch milliseconds of the nodes' clocks.
  // Attempts in flight are counted in two generations (in_flight of gen, in_flight_prev of
  // prev_gen), so the count a node took and never gave back (it died) is forgotten after two
  // leases. idle_at: from then on the row holds nothing (swept).
  `CREATE TABLE login_throttle (
     key TEXT PRIMARY KEY,
     block_after INTEGER NOT NULL,
     failures INTEGER NOT NULL,
     last_failure BIGINT NOT NULL,
     blocked_until BIGINT NOT NULL,
     in_flight INTEGER NOT NULL,
     in_flight_prev INTEGER NOT NULL,
     gen BIGINT NOT NULL,
     prev_gen BIGINT,
     reserved_by TEXT,
     idle_at BIGINT NOT NULL
   );
   CREATE INDEX login_throttle_idle ON login_throttle(idle_at);`,
  // Version 3: groups of the embedded repository (ACL identifiers "$group"), as users.sqlite's.
  `CREATE TABLE user_groups (
     group_name TEXT NOT NULL,
     username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
     created_at TEXT NOT NULL,
     PRIMARY KEY (group_name, username)
   );
   CREATE INDEX user_groups_user ON user_groups(username);`,
];

export type PgParam = string | number | boolean | null | readonly string[] | readonly number[];

/** The users database on PostgreSQL: typed queries that fail as UsersRepositoryUnavailableError. */
export class UsersPg {
  private closed = false;

  private constructor(private readonly pool: pg.Pool) {}

  static async open(settings: UsersPostgresSettings): Promise<UsersPg> {
    const schema = settings.schema;
    if (schema !== undefined && !isPlainSchemaName(schema)) {
      throw new UsersRepositoryUnavailableError(`invalid PostgreSQL schema name ${JSON.stringify(schema)}`);
    }
    const pool = new pg.Pool({
      connectionString: settings.url,
      max: Math.max(2, Math.min(4, settings.poolSize ?? 4)),
      application_name: 'tessera-users',
      // A user added or a password changed is committed and flushed before the CLI says so.
      options: `-c synchronous_commit=on${schema ? ` -c search_path=${schema},public` : ''}`,
    });
    // An idle connection that breaks (server restart) is dropped; unlistened, 'error' would crash.
    pool.on('error', () => undefined);
    countPgQueries(pool, 'users');
    const db = new UsersPg(pool);
    try {
      await db.transaction(async (q) => {
        await q.query('SELECT pg_advisory_xact_lock($1)', [USERS_MIGRATION_LOCK]);
        if (schema !== undefined) await createSchemaOnce((text, params) => q.query(text, params), schema);
        await q.query('CREATE TABLE IF NOT EXISTS users_schema_migration (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
        const done = new Set((await q.query<{ version: number }>('SELECT version FROM users_schema_migration')).rows.map((r) => r.version));
        const newest = Math.max(0, ...done);
        if (newest > MIGRATIONS.length) {
          throw new Error(`the users schema is at version ${newest}, newer than this Tessera knows (${MIGRATIONS.length}); upgrade Tessera`);
        }
        for (let v = 1; v <= MIGRATIONS.length; v++) {
          if (done.has(v)) continue;
          await q.query(MIGRATIONS[v - 1]!);
          await q.query('INSERT INTO users_schema_migration (version) VALUES ($1)', [v]);
        }
      });
    } catch (err) {
      await pool.end().catch(() => undefined);
      if (err instanceof UsersRepositoryUnavailableError) throw err;
      // The URL may hold a password: the message names the cause, never the URL.
      throw new UsersRepositoryUnavailableError(`cannot open the users database on PostgreSQL: ${(err as Error).message}`, { cause: err });
    }
    return db;
  }

  async all<R extends pg.QueryResultRow>(text: string, params: PgParam[] = []): Promise<R[]> {
    return (await this.run<R>(text, params)).rows;
  }

  async get<R extends pg.QueryResultRow>(text: string, params: PgParam[] = []): Promise<R | undefined> {
    return (await this.run<R>(text, params)).rows[0];
  }

  /** Rows affected. */
  async exec(text: string, params: PgParam[] = []): Promise<number> {
    return (await this.run(text, params)).rowCount ?? 0;
  }

  private async run<R extends pg.QueryResultRow>(text: string, params: PgParam[]): Promise<pg.QueryResult<R>> {
    if (this.closed) throw new UsersRepositoryUnavailableError('the users database is closed');
    try {
      return await this.pool.query<R>(text, params);
    } catch (err) {
      throw unavailable(err);
    }
  }

  /** Runs `fn` in one transaction on one connection; rolls back if it throws. */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new UsersRepositoryUnavailableError('the users database is closed');
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw unavailable(err);
    }
    // A connection that breaks while checked out (its backend terminated, a failover) emits 'error'
    // besides failing the statement under way; the pool listens only while a client is idle, and an
    // unheard 'error' would end the process. The failed statement reports it; the client is dropped.
    let broken = false;
    const onError = (): void => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      // A lost connection (ROLLBACK fails on it too) is the database being unavailable, like an SQL error.
      throw isPgError(err) || broken ? unavailable(err) : err;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/** A PostgreSQL error (it carries a SQLSTATE code) rather than one of ours thrown inside a transaction. */
export function isPgError(err: unknown): err is Error & { code: string } {
  const code: unknown = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/** Database failures make logins answer "try again later", never "wrong password". */
function unavailable(err: unknown): UsersRepositoryUnavailableError {
  if (err instanceof UsersRepositoryUnavailableError) return err;
  return new UsersRepositoryUnavailableError(`users database error: ${(err as Error).message}`, { cause: err });
}
