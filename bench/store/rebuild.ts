// Times the full-text index rebuild of an existing store (first start after an upgrade from a
// version without search.sqlite, or after the file was lost): opens the store in DIR with
// search.sqlite removed and waits for the first text search.
// Usage: node --import tsx bench/store/rebuild.ts DIR ACCOUNT   (a DIR kept by run.ts --keep)
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';

const [dir, account = 'bench'] = process.argv.slice(2);
if (!dir) throw new Error('usage: rebuild.ts DIR [ACCOUNT]');
for (const suffix of ['', '-wal', '-shm']) await rm(path.join(dir, `search.sqlite${suffix}`), { force: true });
const t = performance.now();
const store = await openSqliteStore({ dataDir: dir, events: new MemoryEventBus() });
try {
  const inbox = (await store.findMailboxByPath(account, 'INBOX'))!.id;
  const hits = await store.searchMailbox(account, inbox, { criteria: { kind: 'text', field: 'body', value: 'needle7007' } });
  const ms = performance.now() - t;
  const total = (await store.getMailbox(account, inbox))!.totalEmails;
  console.log(`full-text index rebuilt for ${total} messages in ${(ms / 1000).toFixed(1)} s (${Math.round(total / (ms / 1000))}/s); probe search: ${hits.uids.length} hit(s)`);
} finally {
  await store.close();
}
