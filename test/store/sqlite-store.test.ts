// Runs the MailStore contract against the embedded SQLite store, plus what only this backend has:
// its full-text index kept in step with concurrent appends, and schema upgrades.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { runStoreContract } from './contract.js';
import { message } from './fixtures.js';

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

const USER = 'carol@example.org';

async function withDataDir(fn: (dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-sqlite-'));
  try {
    await fn(dataDir);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

function rawDb(dataDir: string): Database.Database {
  return new Database(path.join(dataDir, 'store.sqlite'));
}

describe('SQLite store internals', () => {
  it('indexes the text of concurrently appended messages, and unindexes destroyed ones', async () => {
    await withDataDir(async (dataDir) => {
      const store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
      try {
        await store.ensureAccount(USER);
        const inboxId = (await store.findMailboxByPath(USER, 'INBOX'))!.id;
        const results = await Promise.all(
          Array.from({ length: 40 }, (_, i) => store.append(USER, { mailboxIds: [inboxId], bytes: message({ body: `marker${i}zz and more` }) })),
        );
        for (const i of [0, 17, 39]) {
          const hits = await store.searchMailbox(USER, inboxId, { criteria: { kind: 'text', field: 'body', value: `marker${i}zz` } });
          assert.deepEqual(hits.uids, [results[i]!.placements[0]!.uid]);
        }
        await store.destroyEmails(USER, results.slice(0, 20).map((r) => r.emailId));
        const left = await store.searchMailbox(USER, inboxId, { criteria: { kind: 'text', field: 'body', value: 'zz and more' } });
        assert.equal(left.uids.length, 20);
      } finally {
        await store.close();
      }
      const db = rawDb(dataDir);
      try {
        // Throws SQLITE_CORRUPT_VTAB if the index and email_text disagree.
        db.exec("INSERT INTO email_fts (email_fts, rank) VALUES ('integrity-check', 1)");
      } finally {
        db.close();
      }
    });
  });

  it('fills the keyword index when it opens a version 1 database', async () => {
    await withDataDir(async (dataDir) => {
      let store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
      await store.ensureAccount(USER);
      const inboxId = (await store.findMailboxByPath(USER, 'INBOX'))!.id;
      await store.append(USER, { mailboxIds: [inboxId], bytes: message({}), flags: ['Urgent'] });
      await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) });
      await store.close();
      const db = rawDb(dataDir);
      db.exec("DELETE FROM email_keyword; UPDATE meta SET value = '1' WHERE key = 'schema_version'");
      db.close();
      store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
      try {
        const hits = await store.searchMailbox(USER, inboxId, { criteria: { kind: 'flag', flag: 'urgent', present: true } });
        assert.deepEqual(hits.uids, [1]);
      } finally {
        await store.close();
      }
      const check = rawDb(dataDir);
      try {
        assert.equal(check.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), '2');
      } finally {
        check.close();
      }
    });
  });
});
