// Creating the PostgreSQL schema (storage.postgres.schema) that the mail store and the users tables
// share. Each of them migrates under its own advisory lock, so on a fresh schema a node migrating the
// store and another migrating the users both ran CREATE SCHEMA IF NOT EXISTS at once, and one failed
// on pg_namespace's unique index (IF NOT EXISTS does not wait for the other's uncommitted schema).
// Both take this one lock first, inside their migration transaction: the second then sees the schema.
/** Arbitrary constant naming "Tessera creates its schema" among the database's advisory locks. */
const SCHEMA_CREATION_LOCK = 0x7e55e4c;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** True when `name` may be written into SQL as a schema name without quoting. */
export function isPlainSchemaName(name: string): boolean {
  return IDENTIFIER.test(name);
}

/**
 * Creates `schema` unless it exists; `run` sends one statement ($n placeholders) on the migration's
 * connection. Call inside the migration's transaction: the lock is held until
 * it commits, so a node creating the schema at the same moment waits and then finds it.
 */
export async function createSchemaOnce(run: (text: string, params: number[]) => Promise<unknown>, schema: string): Promise<void> {
  if (!isPlainSchemaName(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  await run('SELECT pg_advisory_xact_lock($1)', [SCHEMA_CREATION_LOCK]);
  await run(`CREATE SCHEMA IF NOT EXISTS ${schema}`, []);
}
