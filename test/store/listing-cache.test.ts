// A mailbox's listing (what SELECT reads) is cached while the mailbox's HIGHESTMODSEQ and UIDNEXT
// stay the same (src/store/listing-cache.ts): every kind of change must still show in the next
// snapshot, whichever mailbox, API or store instance (another process or node) made it. Runs on
// SQLite and on PostgreSQL (skipped with a notice when no server answers; under CI=true it fails).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { silentLogger } from '../../src/log/logger.js';
import type { MailStore } from '../../src/store/types.js';
import { createTestSchema, dropSharedDatabase, postgresUnavailable } from '../support/postgres.js';
import { message } from './fixtures.js';

const USER = 'lister@example.org';
const pgUnavailable = await postgresUnavailable();
after(dropSharedDatabase);

/** Two stores on the same data, as two processes or nodes have. */
async function withTwoStores(engine: 'sqlite' | 'postgres', fn: (store: MailStore, other: MailStore) => Promise<void>): Promise<void> {
  const opened: MailStore[] = [];
  let cleanup: () => Promise<void>;
  if (engine === 'sqlite') {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-listing-'));
    cleanup = () => rm(dataDir, { recursive: true, force: true });
    for (let i = 0; i < 2; i++) opened.push(await openSqliteStore({ dataDir, events: new MemoryEventBus() }));
  } else {
    const db = await createTestSchema();
    cleanup = () => db.drop();
    for (let i = 0; i < 2; i++) opened.push(await openPostgresStore({ url: db.url, schema: db.schema, poolSize: 4, events: new MemoryEventBus(silentLogger()), logger: silentLogger() }));
  }
  try {
    await fn(opened[0]!, opened[1]!);
  } finally {
    for (const s of opened) await s.close();
    await cleanup();
  }
}

for (const engine of ['sqlite', 'postgres'] as const) {
  test(`every change to a mailbox shows in its next snapshot, and callers cannot change the cached one (${engine})`, { skip: engine === 'postgres' ? (pgUnavailable ?? false) : false }, () =>
    withTwoStores(engine, async (store, other) => {
      await store.ensureAccount(USER);
      const inbox = (await store.findMailboxByPath(USER, 'INBOX'))!.id;
      const kept = (await store.createMailbox(USER, { path: 'Kept' })).id;
      const listing = async (s: MailStore = store): Promise<Array<[number, string[]]>> =>
        (await s.snapshot(USER, inbox)).messages.map((m) => [m.uid, [...m.flags].sort()]);
      const first = await store.append(USER, { mailboxIds: [inbox], bytes: message({ body: 'one' }) });
      await store.append(USER, { mailboxIds: [inbox], bytes: message({ body: 'two' }) });
      assert.deepEqual(await listing(), [[1, []], [2, []]]);

      // A new message; then what a caller does to its copy stays with it, whether its snapshot was read
      // from the database (and kept) or from the cache.
      await store.append(USER, { mailboxIds: [inbox], bytes: message({ body: 'three' }) });
      for (let i = 0; i < 2; i++) {
        const snap = await store.snapshot(USER, inbox);
        snap.messages[0]!.flags.push('\\Seen');
        snap.messages.pop();
      }
      assert.deepEqual(await listing(), [[1, []], [2, []], [3, []]]);

      // A flag set through IMAP STORE.
      await store.storeFlags(USER, inbox, [2], { mode: 'add', flags: ['\\Seen'] });
      assert.deepEqual(await listing(), [[1, []], [2, ['\\Seen']], [3, []]]);

      // A keyword set through JMAP on the email, while it is also in another mailbox.
      await store.copy(USER, inbox, [1], kept);
      await store.updateEmails(USER, [{ emailId: first.emailId, keywords: { add: ['$flagged'] } }]);
      assert.deepEqual(await listing(), [[1, ['\\Flagged']], [2, ['\\Seen']], [3, []]]);

      // \Deleted and EXPUNGE.
      await store.storeFlags(USER, inbox, [3], { mode: 'add', flags: ['\\Deleted'] });
      assert.deepEqual(await listing(), [[1, ['\\Flagged']], [2, ['\\Seen']], [3, ['\\Deleted']]]);
      await store.expunge(USER, inbox);
      assert.deepEqual(await listing(), [[1, ['\\Flagged']], [2, ['\\Seen']]]);

      // The email destroyed through JMAP, from the other mailbox's side.
      await store.destroyEmails(USER, [first.emailId]);
      assert.deepEqual(await listing(), [[2, ['\\Seen']]]);

      // Another store on the same data (process, node) writes; this one's cache must not hide it.
      assert.deepEqual(await listing(other), [[2, ['\\Seen']]]);
      await other.storeFlags(USER, inbox, [2], { mode: 'remove', flags: ['\\Seen'] });
      await other.append(USER, { mailboxIds: [inbox], bytes: message({ body: 'four' }) });
      assert.deepEqual(await listing(), [[2, []], [4, []]]);
    }),
  );
}
