// Runs the MailStore contract against the PostgreSQL engine (every suite, as for SQLite), each test
// on a fresh database. Skipped with a notice when no PostgreSQL answers, a failure under CI=true.
import { after, describe, it } from 'node:test';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { runStoreContract } from './contract/index.js';
import { createTestDatabase, dropTemplate, postgresUnavailable } from '../support/postgres.js';

const unavailable = await postgresUnavailable();

if (unavailable) {
  describe('PostgreSQL store', () => {
    it('needs a PostgreSQL server', { skip: unavailable }, () => undefined);
  });
} else {
  after(dropTemplate);
  runStoreContract('postgres', async (events, options) => {
    const db = await createTestDatabase();
    const store = await openPostgresStore({ url: db.url, poolSize: 4, events, ...(options?.quota ? { quota: options.quota } : {}) });
    return {
      store,
      async dispose() {
        await store.close();
        await db.drop();
      },
    };
  });
}
