// Applies the schema migrations (schema.ts) at start. Several nodes may start at once on one
// database: each takes a transaction-level advisory lock first, so one applies the missing
// migrations while the others wait and then find nothing left to do. The schema itself is created
// under a lock shared with the users tables' migration (core/pg-schema.ts). The migrations commit together
// with their version rows (DDL is transactional in PostgreSQL): a crash mid-way leaves the old schema.
import type pg from 'pg';
import { transaction } from './db.js';
import { MIGRATIONS } from './schema.js';
import { createSchemaOnce, isPlainSchemaName } from '../../core/pg-schema.js';

/** Arbitrary constant naming "Tessera schema changes" among the database's advisory locks. */
const MIGRATION_LOCK = 0x7e55e4a;

export class SchemaTooNewError extends Error {
  constructor(readonly found: number, readonly supported: number) {
    super(`the PostgreSQL schema is at version ${found}, newer than this Tessera supports (${supported}): upgrade Tessera`);
    this.name = 'SchemaTooNewError';
  }
}

/** Returns the schema version after migrating. */
export async function migrate(pool: pg.Pool, schema?: string): Promise<number> {
  if (schema !== undefined && !isPlainSchemaName(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  const latest = Math.max(...MIGRATIONS.map((m) => m.version));
  return transaction(pool, async (q) => {
    await q.run('SELECT pg_advisory_xact_lock(?)', MIGRATION_LOCK);
    if (schema !== undefined) await createSchemaOnce((text, params) => q.run(text, ...params), schema);
    await q.run('CREATE TABLE IF NOT EXISTS schema_migration (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const done = new Set(await q.pluck<number>('SELECT version FROM schema_migration'));
    const current = Math.max(0, ...done);
    if (current > latest) throw new SchemaTooNewError(current, latest);
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await q.run(m.sql);
      await q.run('INSERT INTO schema_migration (version) VALUES (?)', m.version);
    }
    return latest;
  });
}
