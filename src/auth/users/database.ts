// The embedded users database, <dataDir>/users.sqlite, shared by the server and the `tessera` CLI.
// WAL lets the CLI write while the server reads; busy_timeout makes a concurrent writer wait
// instead of failing. The server caches nothing, so a user added by the CLI can log in at once.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { UsersRepositoryUnavailableError } from './types.js';
import { enterWalMode } from '../../core/sqlite-wal.js';

export type UsersDatabase = Database.Database;

export const USERS_DATABASE_FILE = 'users.sqlite';

// Each entry upgrades the schema by one version; user_version records how many have run.
const MIGRATIONS: string[] = [
  `CREATE TABLE domains (
     name TEXT PRIMARY KEY NOT NULL,
     created_at TEXT NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE users (
     username TEXT PRIMARY KEY NOT NULL,
     domain TEXT REFERENCES domains(name),
     password_hash TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX users_domain ON users(domain);
   CREATE TABLE meta (
     key TEXT PRIMARY KEY NOT NULL,
     value TEXT NOT NULL
   ) WITHOUT ROWID;`,
  // App passwords (src/auth/app-passwords): kept here rather than beside the users because they must
  // also exist for users whose own password lives in LDAP or at the OpenID provider; no foreign key
  // to users for the same reason. `scopes` is a space-separated protocol list, '' = every protocol.
  `CREATE TABLE app_passwords (
     id TEXT PRIMARY KEY NOT NULL,
     username TEXT NOT NULL,
     name TEXT NOT NULL,
     password_hash TEXT NOT NULL,
     scopes TEXT NOT NULL,
     created_at TEXT NOT NULL,
     expires_at TEXT,
     last_used_at TEXT,
     last_used_ip TEXT
   ) WITHOUT ROWID;
   CREATE INDEX app_passwords_user ON app_passwords(username);`,
  // The recipient rewrite table (src/auth/rewrite): James' address aliases, forwards and domain
  // aliases, one row per mapping. Sources and targets are canonical (lower-case) addresses or
  // domains; no foreign keys, since a user may live in LDAP and a forward target may be remote.
  `CREATE TABLE recipient_rewrites (
     kind TEXT NOT NULL CHECK (kind IN ('alias', 'forward', 'domainAlias')),
     source TEXT NOT NULL,
     target TEXT NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (kind, source, target)
   ) WITHOUT ROWID;
   CREATE INDEX recipient_rewrites_target ON recipient_rewrites(kind, target);`,
  // Groups of the embedded repository (ACL identifiers "$group", src/auth/users/groups.ts): one row
  // per member; removing a user removes its memberships.
  `CREATE TABLE user_groups (
     group_name TEXT NOT NULL,
     username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
     created_at TEXT NOT NULL,
     PRIMARY KEY (group_name, username)
   ) WITHOUT ROWID;
   CREATE INDEX user_groups_user ON user_groups(username);`,
];

export function usersDatabasePath(dataDir: string): string {
  return join(dataDir, USERS_DATABASE_FILE);
}

/** Opens (creating if needed) and migrates the users database; UsersRepositoryUnavailableError if it cannot. */
export function openUsersDatabase(dataDir: string): UsersDatabase {
  const path = usersDatabasePath(dataDir);
  let db: UsersDatabase | undefined;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o750 });
    const created = !existsSync(path);
    db = new Database(path, { timeout: 5000 });
    // Password hashes are for the server's eyes only; SQLite gives its -wal/-shm files the same mode.
    if (created) chmodSync(path, 0o600);
    enterWalMode(db);
    db.pragma('foreign_keys = ON');
    // NORMAL is durable in WAL mode except for the last transactions on power loss; an added user
    // is re-addable, unlike an acknowledged message, so the store uses FULL and this does not.
    db.pragma('synchronous = NORMAL');
    migrate(db);
    return db;
  } catch (err) {
    db?.close();
    const reason = err instanceof Error ? err.message : String(err);
    throw new UsersRepositoryUnavailableError(`cannot open the users database ${path}: ${reason}`, { cause: err });
  }
}

function migrate(db: UsersDatabase): void {
  const current = (): number => db.pragma('user_version', { simple: true }) as number;
  if (current() >= MIGRATIONS.length) {
    if (current() > MIGRATIONS.length) {
      throw new Error(`schema version ${current()} is newer than this Tessera knows (${MIGRATIONS.length}); upgrade Tessera`);
    }
    return;
  }
  // IMMEDIATE takes the write lock before re-reading the version, so when the server and the CLI
  // start together only one of them migrates.
  db.transaction(() => {
    for (let v = current(); v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}

// Statements prepared once per database: a login reads users, groups and rewrites several times, and
// preparing (parsing and planning the SQL) cost more than running these indexed look-ups.
const statements = new WeakMap<UsersDatabase, Map<string, Database.Statement>>();

/** `db.prepare(sql)`, cached per database and SQL text. Callers must not change the statement's mode (pluck, raw). */
export function prepared(db: UsersDatabase, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}

export function readMeta(db: UsersDatabase, key: string): string | undefined {
  const row = prepared(db, 'SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function writeMeta(db: UsersDatabase, key: string, value: string): void {
  prepared(db, 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}

/**
 * Runs a database access, turning SQLite's own failures (busy, I/O, closed handle) into
 * UsersRepositoryUnavailableError so logins answer "try again later" instead of "wrong password".
 */
export function withDatabase<T>(db: UsersDatabase, fn: () => T): T {
  if (!db.open) throw new UsersRepositoryUnavailableError('the users database is closed');
  try {
    return fn();
  } catch (err) {
    if (err instanceof Database.SqliteError) {
      throw new UsersRepositoryUnavailableError(`users database error: ${err.message}`, { cause: err });
    }
    throw err;
  }
}
