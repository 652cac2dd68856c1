// Runs the MailStore contract against the embedded SQLite store, plus what only this backend has:
// its full-text index kept in step with concurrent appends, and schema upgrades.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { SCHEMA_VERSION } from '../../src/store/sqlite/schema.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { runStoreContract } from './contract/index.js';
import { message } from './fixtures.js';
import { unicodeCasemap } from '../../src/mime/casemap.js';
import { waitFor } from '../support/wait.js';

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

/** The index worker's database holds exactly the stored emails' folded text, and FTS5 finds it consistent. */
function assertIndexMatchesText(dataDir: string, expected: number): void {
  const db = rawDb(dataDir);
  const index = new Database(path.join(dataDir, 'search.sqlite'));
  try {
    const stored = db.prepare('SELECT email_id FROM email_text ORDER BY email_id').pluck().all();
    assert.equal(stored.length, expected);
    assert.deepEqual(index.prepare('SELECT email_id FROM fts_doc ORDER BY email_id').pluck().all(), stored);
    const bodies = db.prepare('SELECT body FROM email_text ORDER BY email_id').pluck().all() as string[];
    assert.deepEqual(index.prepare('SELECT body FROM fts_doc ORDER BY email_id').pluck().all(), bodies.map(unicodeCasemap));
    // Throws SQLITE_CORRUPT_VTAB if the index's structures disagree with each other.
    index.exec("INSERT INTO email_trigram (email_trigram, rank) VALUES ('integrity-check', 1)");
  } finally {
    index.close();
    db.close();
  }
}

/** A store on `dataDir` with USER's account, and the id of its INBOX. */
async function openWithInbox(dataDir: string): Promise<{ store: Awaited<ReturnType<typeof openSqliteStore>>; inboxId: string }> {
  const store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
  await store.ensureAccount(USER);
  return { store, inboxId: (await store.findMailboxByPath(USER, 'INBOX'))!.id };
}

function rawDb(dataDir: string): Database.Database {
  return new Database(path.join(dataDir, 'store.sqlite'));
}

describe('SQLite store internals', () => {
  it('indexes the text of concurrently appended messages, and unindexes destroyed ones', async () => {
    await withDataDir(async (dataDir) => {
      const { store, inboxId } = await openWithInbox(dataDir);
      try {
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
      assertIndexMatchesText(dataDir, 20);
    });
  });

  it('indexes new mail by itself, without waiting for a search', async () => {
    await withDataDir(async (dataDir) => {
      const { store, inboxId } = await openWithInbox(dataDir);
      /** How many emails the index holds whose body contains `marker` (the index holds folded text). */
      const indexed = (marker: string): number => {
        // The worker creates search.sqlite and its tables once it has started.
        if (!existsSync(path.join(dataDir, 'search.sqlite'))) return 0;
        const index = new Database(path.join(dataDir, 'search.sqlite'));
        try {
          if (!index.prepare("SELECT 1 FROM sqlite_master WHERE name = 'fts_doc'").get()) return 0;
          return index.prepare('SELECT count(*) FROM fts_doc WHERE instr(body, ?) > 0').pluck().get(unicodeCasemap(marker)) as number;
        } finally {
          index.close();
        }
      };
      try {
        // The first may come before the worker has started (its start-up reconciliation takes it
        // then); the rest come after, announced to it by pokes.
        await store.append(USER, { mailboxIds: [inboxId], bytes: message({ body: 'unasked0' }) });
        await waitFor('the index to take the first email', () => indexed('unasked') === 1);
        for (let i = 1; i < 4; i++) await store.append(USER, { mailboxIds: [inboxId], bytes: message({ body: `unasked${i}` }) });
        await waitFor('the index to take the next 3 emails without a search', () => indexed('unasked') === 4);
      } finally {
        await store.close();
      }
    });
  });

  it('rebuilds a lost or stale full-text index from the stored text when it opens', async () => {
    await withDataDir(async (dataDir) => {
      let store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
      await store.ensureAccount(USER);
      const inboxId = (await store.findMailboxByPath(USER, 'INBOX'))!.id;
      for (let i = 0; i < 5; i++) await store.append(USER, { mailboxIds: [inboxId], bytes: message({ body: `rebuild${i}qq` }) });
      await store.close();
      // As if the index lost its last writes (power failure) and kept a row the store no longer has.
      const index = new Database(path.join(dataDir, 'search.sqlite'));
      index.exec('DELETE FROM email_trigram WHERE rowid IN (SELECT email_id FROM fts_doc ORDER BY email_id DESC LIMIT 2)');
      index.exec('DELETE FROM fts_doc WHERE email_id IN (SELECT email_id FROM fts_doc ORDER BY email_id DESC LIMIT 2)');
      index.exec("INSERT INTO email_trigram (rowid, body) VALUES (999, 'rebuild9qq'); INSERT INTO fts_doc (email_id, body) VALUES (999, 'REBUILD9QQ')");
      index.close();
      store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
      try {
        const all = await store.searchMailbox(USER, inboxId, { criteria: { kind: 'text', field: 'body', value: 'qq' } });
        assert.deepEqual(all.uids, [1, 2, 3, 4, 5]);
        const last = await store.searchMailbox(USER, inboxId, { criteria: { kind: 'text', field: 'body', value: 'rebuild4qq' } });
        assert.deepEqual(last.uids, [5]);
      } finally {
        await store.close();
      }
      assertIndexMatchesText(dataDir, 5);
    });
  });

  it('answers a needle whose trigrams all occur, but not together, with no match', async () => {
    await withDataDir(async (dataDir) => {
      const { store, inboxId } = await openWithInbox(dataDir);
      try {
        const search = async (field: 'body' | 'text', value: string): Promise<number[]> =>
          (await store.searchMailbox(USER, inboxId, { criteria: { kind: 'text', field, value } })).uids;
        // ABC, BCD and CDE of "abcde", apart; then across the subject (a header) and the body.
        await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'plain', body: 'xabcdx ycdey' }) });
        await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'see abcd', body: 'cde follows' }) });
        await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'plain', body: 'here: ABCDE.' }) });
        assert.deepEqual(await search('body', 'abcde'), [3]);
        assert.deepEqual(await search('text', 'abcde'), [3]);
        assert.deepEqual(await search('text', 'abcd'), [1, 2, 3]);
        // A repeated trigram: "ABAB" holds ABA and BAB, as does "ABA BAB".
        await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'plain', body: 'aba bab' }) });
        assert.deepEqual(await search('body', 'abab'), []);
        // A needle with NUL or quotes (FTS5's query parser ends a string at NUL) is a needle like another.
        assert.deepEqual(await search('body', 'ab\u0000cd'), []);
        assert.deepEqual(await search('body', '"abcd"'), []);
        assert.deepEqual(await search('text', 'e "ab'), []);
      } finally {
        await store.close();
      }
    });
  });

  it('rebuilds an index of an earlier format once, and again after an older version wrote to it', async () => {
    await withDataDir(async (dataDir) => {
      const opened = await openWithInbox(dataDir);
      let store = opened.store;
      const inboxId = opened.inboxId;
      for (let i = 0; i < 4; i++) await store.append(USER, { mailboxIds: [inboxId], bytes: message({ body: `format${i}ww body` }) });
      const applied = (rawDb(dataDir).prepare("SELECT seq FROM sqlite_sequence WHERE name = 'fts_log'").pluck().get() as number) + 100;
      await store.close();
      // search.sqlite as format 1 left it: email_fts with detail=full, fts_doc claiming every email
      // (so only the format tells the worker to reindex), text that is not the stored one.
      for (const suffix of ['', '-wal', '-shm']) await rm(path.join(dataDir, `search.sqlite${suffix}`), { force: true });
      let index = new Database(path.join(dataDir, 'search.sqlite'));
      index.exec(`
CREATE VIRTUAL TABLE email_fts USING fts5(subject, from_, to_, cc, bcc, headers, body, content='', contentless_delete=1, tokenize='trigram');
CREATE TABLE fts_doc (email_id INTEGER PRIMARY KEY);
CREATE TABLE fts_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO fts_doc VALUES (1), (2), (3), (4);
INSERT INTO email_fts (rowid, body) VALUES (1, 'STALE'), (2, 'STALE'), (3, 'STALE'), (4, 'STALE');
INSERT INTO fts_state VALUES ('folding', 1);`);
      index.prepare("INSERT INTO fts_state VALUES ('applied', ?)").run(applied);
      index.close();
      const search = async (value: string): Promise<number[]> =>
        (await store.searchMailbox(USER, inboxId, { criteria: { kind: 'text', field: 'body', value } })).uids;
      /** Opens the store (its worker rebuilds the index), searches once, closes it and checks the index. */
      const searchAfterReopen = async (value: string, expected: number[]): Promise<void> => {
        store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
        try {
          assert.deepEqual(await search(value), expected);
        } finally {
          await store.close();
        }
        assertIndexMatchesText(dataDir, 4);
      };
      store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
      try {
        assert.deepEqual(await search('ww body'), [1, 2, 3, 4]);
        assert.deepEqual(await search('format2ww'), [3]);
        assert.deepEqual(await search('stale'), []);
      } finally {
        await store.close();
      }
      assertIndexMatchesText(dataDir, 4);
      index = new Database(path.join(dataDir, 'search.sqlite'));
      try {
        assert.deepEqual(index.prepare("SELECT name FROM sqlite_master WHERE name = 'email_fts'").all(), [], 'the old table is gone');
        assert.deepEqual(index.prepare('SELECT key FROM fts_state ORDER BY key').pluck().all(), ['applied', 'format']);
        // An older Tessera started on it after a downgrade: it marks 'folding' and keeps only its own
        // table, so this one's misses what came meanwhile.
        index.exec("DELETE FROM email_trigram WHERE rowid = 4; INSERT INTO fts_state VALUES ('folding', 1)");
      } finally {
        index.close();
      }
      await searchAfterReopen('format3ww', [4]);
      // Format 2 after a downgrade: it sets its format and indexes email ids without their text.
      index = new Database(path.join(dataDir, 'search.sqlite'));
      index.exec("UPDATE fts_state SET value = 2 WHERE key = 'format'; UPDATE fts_doc SET body = NULL WHERE email_id = 2");
      index.close();
      await searchAfterReopen('format1ww', [2]);
    });
  });

  it('moves a damaged full-text index aside and rebuilds it', async () => {
    await withDataDir(async (dataDir) => {
      let store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
      await store.ensureAccount(USER);
      const inboxId = (await store.findMailboxByPath(USER, 'INBOX'))!.id;
      await store.append(USER, { mailboxIds: [inboxId], bytes: message({ body: 'survivor text' }) });
      await store.close();
      for (const suffix of ['-wal', '-shm']) await rm(path.join(dataDir, `search.sqlite${suffix}`), { force: true });
      await writeFile(path.join(dataDir, 'search.sqlite'), Buffer.alloc(8192, 0x5a));
      store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
      try {
        const hits = await store.searchMailbox(USER, inboxId, { criteria: { kind: 'text', field: 'body', value: 'survivor' } });
        assert.deepEqual(hits.uids, [1]);
      } finally {
        await store.close();
      }
      assert.ok((await readdir(dataDir)).some((f) => f.startsWith('search.sqlite.damaged-')), 'the damaged file is kept aside');
      assertIndexMatchesText(dataDir, 1);
    });
  });

  it('finds mail another process appended (a CLI import beside the server) without a restart, and trims its work log', async () => {
    await withDataDir(async (dataDir) => {
      const server = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
      try {
        await server.ensureAccount(USER);
        const inboxId = (await server.findMailboxByPath(USER, 'INBOX'))!.id;
        assert.deepEqual((await server.searchMailbox(USER, inboxId, { criteria: { kind: 'text', field: 'body', value: 'imported' } })).uids, []);
        const importer = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
        try {
          for (let i = 0; i < 3; i++) await importer.append(USER, { mailboxIds: [inboxId], bytes: message({ body: `imported${i} mail` }) });
        } finally {
          await importer.close();
        }
        const hits = await server.searchMailbox(USER, inboxId, { criteria: { kind: 'text', field: 'body', value: 'imported1' } });
        assert.deepEqual(hits.uids, [2]);
        // The log the index worker reads is trimmed once applied, instead of growing with every append.
        for (let i = 0; i < 700; i++) await server.append(USER, { mailboxIds: [inboxId], bytes: message({ body: `bulk${i}` }) });
        await server.searchMailbox(USER, inboxId, { criteria: { kind: 'text', field: 'body', value: 'bulk699' } });
        for (let i = 0; i < 10; i++) await server.append(USER, { mailboxIds: [inboxId], bytes: message({ body: `tail${i}` }) });
        const db = rawDb(dataDir);
        try {
          const left = db.prepare('SELECT count(*) FROM fts_log').pluck().get() as number;
          assert.ok(left < 600, `fts_log holds ${left} rows after 713 appends`);
        } finally {
          db.close();
        }
      } finally {
        await server.close();
      }
      assertIndexMatchesText(dataDir, 713);
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
        assert.equal(check.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), String(SCHEMA_VERSION));
      } finally {
        check.close();
      }
    });
  });

  it('keeps subscriptions to names without a mailbox and \\Recent claims across close and reopen', async () => {
    await withDataDir(async (dataDir) => {
      let store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
      await store.ensureAccount(USER);
      const inboxId = (await store.findMailboxByPath(USER, 'INBOX'))!.id;
      await store.subscribePath(USER, 'Not/Yet');
      const doomed = await store.createMailbox(USER, { path: 'Doomed', subscribed: true });
      await store.deleteMailbox(USER, doomed.id, { removeEmails: true });
      await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) });
      await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) });
      assert.deepEqual(await store.claimRecent(USER, inboxId, 1), [1]);
      await store.close();

      store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
      try {
        assert.deepEqual(await store.listOrphanSubscriptions(USER), ['Doomed', 'Not/Yet']);
        assert.deepEqual(await store.peekRecent(USER, inboxId), [2]);
        assert.deepEqual(await store.claimRecent(USER, inboxId), [2]);
        assert.equal((await store.createMailbox(USER, { path: 'Not/Yet' })).subscribed, true);
        assert.deepEqual(await store.listOrphanSubscriptions(USER), ['Doomed']);
      } finally {
        await store.close();
      }
    });
  });

  it('claims \\Recent in the append for the session that has the mailbox selected, only when nothing earlier is unclaimed', async () => {
    await withDataDir(async (dataDir) => {
      const { store, inboxId } = await openWithInbox(dataDir);
      try {
        // Nothing unclaimed before: the append claims its own UIDs (MULTIAPPEND: each of them).
        const both = await store.appendMany(USER, [{ mailboxIds: [inboxId], bytes: message({}) }, { mailboxIds: [inboxId], bytes: message({}) }], { claimRecentIn: inboxId });
        assert.deepEqual(both.map((r) => r.placements[0]!.recent), [true, true]);
        assert.deepEqual(await store.peekRecent(USER, inboxId), []);
        assert.deepEqual(await store.claimRecent(USER, inboxId), []);
        // Without the option nothing is claimed.
        const plain = await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) });
        assert.equal(plain.placements[0]!.recent, undefined);
        // UID 3 is still unclaimed: the next append leaves its claim to claimRecent, which takes both.
        const after = await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) }, { claimRecentIn: inboxId });
        assert.equal(after.placements[0]!.recent, undefined);
        assert.deepEqual(await store.claimRecent(USER, inboxId), [3, 4]);
      } finally {
        await store.close();
      }
    });
  });
});
