// Several nodes starting at once on a new PostgreSQL schema (storage.postgres.schema) must all come
// up: each creates the schema and migrates the mail store's and the users' tables, under advisory
// locks, and none may fail on another's half-made schema. Skipped without PostgreSQL (a failure
// under CI=true, see ../support/postgres.ts).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { MIGRATIONS } from '../../src/store/postgres/schema.js';
import { createTestSchema, dropSharedDatabase, postgresUnavailable } from '../support/postgres.js';
import { raceChildren, startGoChild } from '../support/go-child.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const unavailable = await postgresUnavailable();
/** Per round: this many nodes open the mail store and as many the users tables. */
const NODES = 3;
const ROUNDS = 3;

async function versions(url: string, table: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const res = await c.query<{ version: number }>(`SELECT version FROM ${table} ORDER BY version`);
    return res.rows.map((r) => r.version);
  } finally {
    await c.end();
  }
}

describe('PostgreSQL schema migrated by several nodes starting at once', { skip: unavailable ?? false }, () => {
  after(dropSharedDatabase);

  it('creates one new schema and migrates the store and the users tables once, every node opening', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const db = await createTestSchema();
      try {
        const children = ['store', 'users'].flatMap((what) =>
          Array.from({ length: NODES }, () => startGoChild(path.join(here, 'pg-migrate-race-child.ts'), [db.url, db.schema, what])),
        );
        const outputs = await raceChildren(children);
        assert.equal(outputs.filter((o) => /^OPENED store$/m.test(o)).length, NODES);
        assert.equal(outputs.filter((o) => /^OPENED users$/m.test(o)).length, NODES);
        const inSchema = new URL(db.url);
        inSchema.searchParams.set('options', `-c search_path=${db.schema}`);
        assert.deepEqual(await versions(inSchema.toString(), 'schema_migration'), MIGRATIONS.map((m) => m.version));
        assert.equal((await versions(inSchema.toString(), 'users_schema_migration')).length > 0, true);
      } finally {
        await db.drop();
      }
    }
  });
});
