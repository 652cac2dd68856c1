// Opens the mail store a configuration points at, for command-line tools (import/export). Start-up
// code: it reads the configuration, which the store itself never does. The event bus is in-process:
// a running server learns of imported mail at its next store read, not through push.
import { loadSettingsConfig } from '../config/load.js';
import { MemoryEventBus } from '../events/memory-bus.js';
import { openSqliteStore, storeDirectory, type MailStore } from '../store/index.js';

export async function openStoreFromConfig(confDir: string, env: NodeJS.ProcessEnv): Promise<{ store: MailStore; close(): Promise<void> }> {
  const { config } = await loadSettingsConfig(confDir, { env });
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
