// The real store for SMTP tests: SQLite + blob files under the test's temp directory.
import type { EventBus } from '../../src/events/types.js';
import type { Logger } from '../../src/log/logger.js';
import { openSqliteStore, type MailStore } from '../../src/store/index.js';

export function openTestStore(dir: string, events: EventBus, logger: Logger): Promise<MailStore> {
  return openSqliteStore({ dataDir: dir, events, logger });
}
