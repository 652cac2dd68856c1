// PostgreSQL for tests: the server named by TESSERA_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres,
// as CI provides): throwaway databases (cloned from a migrated template) or schemas with random
// names, dropped afterwards. Without a server, suites are skipped with a notice, except under CI=true where that
// is a failure (the CI job has PostgreSQL; a missing one must not pass silently).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPool } from '../../src/store/postgres/db.js';
import { migrate } from '../../src/store/postgres/migrate.js';

const ADMIN_URL = process.env.TESSERA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function urlFor(database: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

let availability: Promise<string | null> | undefined;

/** Null when PostgreSQL answers; otherwise why not. Under CI=true an absent server throws. */
export function postgresUnavailable(): Promise<string | null> {
  availability ??= admin(async (c) => {
    await c.query('SELECT 1');
    return null;
  }).catch((err: unknown) => {
    const why = `PostgreSQL not reachable at ${ADMIN_URL.replace(/\/\/[^@]*@/, '//')}: ${(err as Error).message}`;
    if (process.env.CI === 'true') throw new Error(`${why} (CI=true: PostgreSQL is required)`);
    return why;
  });
  return availability;
}

let template: Promise<string> | undefined;

/** A database with the schema applied once, which test databases are copied from (fast). */
function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const name = `tessera_tpl_${process.pid}_${randomBytes(4).toString('hex')}`;
    await admin((c) => c.query(`CREATE DATABASE ${name}`));
    const pool = createPool({ url: urlFor(name), poolSize: 1 });
    try {
      await migrate(pool);
    } finally {
      await pool.end();
    }
    return name;
  })();
  return template;
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database with a random name; drop() removes it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const tpl = await migratedTemplate();
  const name = `tessera_t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${tpl}`));
  return {
    url: urlFor(name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** Drops the template once the suite is done (call from an after() hook). */
export async function dropTemplate(): Promise<void> {
  if (!template) return;
  const name = await template.catch(() => null);
  template = undefined;
  if (name) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

let shared: Promise<string> | undefined;

export interface TestSchema {
  url: string;
  /** Pass to the store (storage.postgres.schema): it creates the schema and migrates it. */
  schema: string;
  drop(): Promise<void>;
}

/**
 * A fresh schema with a random name in one database shared by this process's tests: far cheaper
 * than a database per test (creating and dropping databases checkpoints). pg_trgm is installed in
 * that database's public schema first, which every test schema's search path includes.
 */
export async function createTestSchema(): Promise<TestSchema> {
  shared ??= (async () => {
    const name = `tessera_s_${process.pid}_${randomBytes(4).toString('hex')}`;
    await admin((c) => c.query(`CREATE DATABASE ${name}`));
    const c = new pg.Client({ connectionString: urlFor(name) });
    await c.connect();
    try {
      await c.query('CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public');
    } finally {
      await c.end();
    }
    return name;
  })();
  const database = await shared;
  const schema = `t_${randomBytes(6).toString('hex')}`;
  return {
    url: urlFor(database),
    schema,
    async drop() {
      const c = new pg.Client({ connectionString: urlFor(database) });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Drops the database the test schemas live in (call from an after() hook). */
export async function dropSharedDatabase(): Promise<void> {
  if (!shared) return;
  const name = await shared.catch(() => null);
  shared = undefined;
  if (name) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
