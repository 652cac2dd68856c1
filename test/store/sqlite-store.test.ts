// Runs the MailStore contract against the embedded SQLite store.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { runStoreContract } from './contract.js';

runStoreContract('sqlite', async (events, options) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-store-'));
  const store = await openSqliteStore({ dataDir, events, ...(options?.quota ? { quota: options.quota } : {}) });
  return {
    store,
    async dispose() {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});
