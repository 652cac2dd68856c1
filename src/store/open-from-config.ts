// Opens the mail store a configuration points at, for command-line tools (import/export). The
// event bus is in-process: a running server learns of imported mail at its next store read, not
// through push.
import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import { MemoryEventBus } from '../events/memory-bus.js';
import type { MailStore } from './types.js';
import { openSqliteStore } from './sqlite/open.js';

/** Where the embedded store keeps store.sqlite and blobs/ inside the data directory: one place for all. */
export function storeDirectory(dataDir: string): string {
  return join(dataDir, 'store');
}

export async function openStoreFromConfig(confDir: string, env: NodeJS.ProcessEnv): Promise<{ store: MailStore; close(): Promise<void> }> {
  const { config } = await loadConfig(confDir, { env });
  if (config.settings.storage.engine !== 'sqlite') {
    throw new Error(`storage engine "${config.settings.storage.engine}" is not supported by this command yet; use the sqlite engine`);
  }
  const events = new MemoryEventBus();
  const store = await openSqliteStore({ dataDir: storeDirectory(config.settings.dataDir), events });
  return {
    store,
    async close() {
      await store.close();
      await events.close();
    },
  };
}
