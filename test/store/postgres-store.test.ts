// Runs the MailStore contract against the PostgreSQL engine (every suite, as for SQLite), each test
// on a fresh schema. Skipped with a notice when no PostgreSQL answers, a failure under CI=true.
import { after, describe, it } from 'node:test';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { runStoreContract } from './contract/index.js';
import { createTestSchema, dropSharedDatabase, postgresUnavailable } from '../support/postgres.js';

const unavailable = await postgresUnavailable();

if (unavailable) {
  describe('PostgreSQL store', () => {
    it('needs a PostgreSQL server', { skip: unavailable }, () => undefined);
  });
} else {
  after(dropSharedDatabase);
  runStoreContract('postgres', async (events, options) => {
    // Each test in a schema of its own (storage.postgres.schema), migrated when the store opens.
    const db = await createTestSchema();
    const store = await openPostgresStore({ url: db.url, schema: db.schema, poolSize: 4, events, ...(options?.quota ? { quota: options.quota } : {}) });
    return {
      store,
      async dispose() {
        await store.close();
        await db.drop();
      },
    };
  });
}
