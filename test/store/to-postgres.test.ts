// Moving a SQLite mail store into PostgreSQL (`tessera migrate --to postgres`, src/store/to-postgres):
// every table of both schemas is accounted for, and a store moved across reads the same on PostgreSQL
// (mailboxes with their UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and counts; UIDs, modseqs, flags, bodies,
// JMAP ids and states, change logs, ACLs, Sieve scripts, annotations), answers searches from the
// trigram index, and hands out no id, UIDVALIDITY or UID the SQLite store had. Each test on a fresh
// schema; skipped with a notice without PostgreSQL, a failure under CI=true.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { openSqliteStore, openSqliteStoreFiles } from '../../src/store/sqlite/open.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { Conn, createPool } from '../../src/store/postgres/db.js';
import { migrate } from '../../src/store/postgres/migrate.js';
import { CHUNK } from '../../src/store/postgres/blobs.js';
import { INLINE_LIMIT } from '../../src/store/sqlite/blob-store.js';
import { copyMailStoreToPostgres } from '../../src/store/to-postgres/copy.js';
import { MissingBlobsError } from '../../src/store/to-postgres/blob-copy.js';
import { planTables, COPIED_TABLES, SQLITE_ONLY_TABLES, UnplannedTableError } from '../../src/store/to-postgres/tables.js';
import { postgresTableInfo, sqliteTableInfo } from '../../src/store/to-postgres/schema-info.js';
import { TargetNotEmptyError } from '../../src/core/table-copy.js';
import type { MailStore } from '../../src/store/types.js';
import { createTestSchema, dropSharedDatabase, postgresUnavailable, type TestSchema } from '../support/postgres.js';

const unavailable = await postgresUnavailable();
const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';
const LIMITS = { maxValueSize: 1024, maxEntries: 10 };

function message(subject: string, body: string, id: string): Buffer {
  return Buffer.from(`From: Amy <amy@example.net>\r\nTo: ${ALICE}\r\nSubject: ${subject}\r\nMessage-ID: <${id}@example.net>\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n\r\n${body}\r\n`);
}

/** Everything the test compares between the two engines, as plain data. */
async function view(store: MailStore, since: string): Promise<unknown> {
  const mailboxes = await store.listMailboxes(ALICE);
  const boxes = [];
  for (const mb of mailboxes) {
    const snap = await store.snapshot(ALICE, mb.id);
    const metas = snap.messages.length ? await store.getMessages(ALICE, mb.id, snap.messages.map((m) => m.uid)) : [];
    boxes.push({ mailbox: mb, messages: snap.messages, metas: metas.map((m) => ({ ...m, receivedAt: m.receivedAt.getTime(), savedAt: m.savedAt.getTime() })) });
  }
  const emailIds = [...new Set(boxes.flatMap((b) => b.messages.map((m) => m.emailId)))].sort();
  const emails = await store.getEmails(ALICE, emailIds);
  const bodies = await Promise.all(emailIds.map(async (id) => (await store.readMessage(ALICE, id))?.toString('base64')));
  const archive = mailboxes.find((m) => m.path === 'Projects')!;
  return {
    boxes,
    emails: emails.map((e) => ({ ...e, receivedAt: e.receivedAt.getTime() })),
    bodies,
    threads: await store.getThreads(ALICE, [...new Set(emails.map((e) => e.threadId))]),
    states: await store.getStates(ALICE),
    emailChanges: await store.changes(ALICE, 'Email', since),
    mailboxChanges: await store.changes(ALICE, 'Mailbox', since),
    vanished: await store.changedSince(ALICE, boxes[0]!.mailbox.id, 1),
    rights: await store.listRights(ALICE, archive.id),
    delegates: await store.listDelegates(ALICE),
    sieve: await store.getActiveSieveScript(ALICE),
    sieveState: await store.sieveScriptState(ALICE),
    identity: await store.getSetting(ALICE, 'Identity'),
    orphans: await store.listOrphanSubscriptions(ALICE),
    metadata: (await store.getMetadata(ALICE, archive.id, ['/shared/comment'], 0, ALICE)).map((m) => ({ ...m, value: m.value.toString() })),
  };
}

describe('moving the mail store from SQLite to PostgreSQL', { skip: unavailable ?? false }, () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
    await dropSharedDatabase();
  });

  async function fresh(): Promise<{ dataDir: string; db: TestSchema }> {
    const dataDir = await mkdtemp(join(tmpdir(), 'tessera-to-pg-'));
    const db = await createTestSchema();
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }), () => db.drop());
    return { dataDir, db };
  }

  it('accounts for every table of both schemas, and refuses a table it does not know', async () => {
    const { dataDir, db } = await fresh();
    const sqlite = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
    await sqlite.close();
    const files = openSqliteStoreFiles(dataDir)!;
    const pool = createPool({ url: db.url, schema: db.schema, poolSize: 1 });
    try {
      await migrate(pool, db.schema);
      const pgInfo = await postgresTableInfo(new Conn(pool));
      const sqliteInfo = sqliteTableInfo(files.db);
      const plans = planTables(sqliteInfo, pgInfo);
      assert.deepEqual(plans.map((p) => p.table), [...COPIED_TABLES]);
      for (const t of sqliteInfo.tables.keys()) assert.ok(COPIED_TABLES.includes(t) || t in SQLITE_ONLY_TABLES, t);
      // A table added to the SQLite schema without a word here stops the migration.
      files.db.exec('CREATE TABLE later_feature (id INTEGER PRIMARY KEY)');
      assert.throws(() => planTables(sqliteTableInfo(files.db), pgInfo), (e: unknown) => e instanceof UnplannedTableError && /later_feature is neither copied nor excluded/.test(e.message));
      // So does a column only one side has.
      files.db.exec('DROP TABLE later_feature; ALTER TABLE setting ADD COLUMN later INTEGER');
      assert.throws(() => planTables(sqliteTableInfo(files.db), pgInfo), /setting: PostgreSQL has no column later/);
    } finally {
      files.db.close();
      await pool.end();
    }
  });

  it('refuses a store whose blobs are missing or damaged, and writes none of its rows', async () => {
    const { dataDir, db } = await fresh();
    const sqlite = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
    let blobs: string[];
    try {
      await sqlite.ensureAccount(ALICE);
      const inbox = (await sqlite.findMailboxByPath(ALICE, 'INBOX'))!;
      blobs = [
        // Past INLINE_LIMIT, so a blob file; the small ones are rows of store.sqlite.
        (await sqlite.append(ALICE, { mailboxIds: [inbox.id], bytes: message('one', 'first'.repeat(INLINE_LIMIT / 4), 'm1') })).blobId,
        (await sqlite.append(ALICE, { mailboxIds: [inbox.id], bytes: message('two', 'second', 'm2') })).blobId,
        (await sqlite.append(ALICE, { mailboxIds: [inbox.id], bytes: message('three', 'third', 'm3') })).blobId,
      ];
    } finally {
      await sqlite.close();
    }
    const files = openSqliteStoreFiles(dataDir)!;
    const target = { url: db.url, schema: db.schema };
    const pool = createPool({ url: db.url, schema: db.schema, poolSize: 1 });
    try {
      const q = new Conn(pool);
      try {
        // A damaged file and a damaged inline row: both refused, neither stored.
        const setInline = files.db.prepare('UPDATE blob_inline SET data = ? WHERE hash = ?');
        setInline.run(Buffer.from('not what its name says either'), blobs[2]);
        await writeFile(files.blobs.files.pathOf(blobs[0]!), 'not what its name says');
        await assert.rejects(copyMailStoreToPostgres(dataDir, target), new RegExp(`blob (${blobs[0]}|${blobs[2]}): the content read has sha256`));
        assert.deepEqual(await q.pluck('SELECT hash FROM blob'), [blobs[1]], 'only the sound blob');
        setInline.run(message('three', 'third', 'm3'), blobs[2]);
      } finally {
        files.db.close();
      }
      await unlink(files.blobs.files.pathOf(blobs[0]!));
      await assert.rejects(copyMailStoreToPostgres(dataDir, target), (e: unknown) => e instanceof MissingBlobsError && e.message.includes(blobs[0]!));
      assert.deepEqual(await q.pluck('SELECT count(*)::int FROM account'), [0]);
      assert.deepEqual((await q.pluck('SELECT hash FROM blob')).sort(), [blobs[1], blobs[2]].sort(), 'only the sound blobs, which a rerun reuses');
    } finally {
      await pool.end();
    }
  });

  it('keeps ids, UIDs, modseqs, flags, bodies, states and change logs; search works and no id is handed out twice', async () => {
    const { dataDir, db } = await fresh();
    const sqlite = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
    let since: string;
    let before: unknown;
    let destroyed: string;
    const big = Buffer.concat([message('big one', 'x', 'big'), Buffer.alloc(CHUNK * 2 + 1234, 'y')]);
    try {
      await sqlite.ensureAccount(ALICE);
      await sqlite.ensureAccount(BOB);
      const inbox = (await sqlite.findMailboxByPath(ALICE, 'INBOX'))!;
      const archive = await sqlite.createMailbox(ALICE, { path: 'Projects', subscribed: true });
      await sqlite.subscribePath(ALICE, 'Gone/Away');
      const a = await sqlite.append(ALICE, { mailboxIds: [inbox.id], bytes: message('Venue change', 'the venue moved to the grand hall', 'a'), flags: ['\\Seen'] });
      await sqlite.append(ALICE, { mailboxIds: [inbox.id], bytes: message('Re: Venue change', 'thanks, noted', 'b'), receivedAt: new Date('2026-11-30T08:00:00Z') });
      await sqlite.append(ALICE, { mailboxIds: [inbox.id, archive.id], bytes: big, keywords: ['$flagged', 'project-x'] });
      // The same bytes twice: one blob.
      await sqlite.append(ALICE, { mailboxIds: [archive.id], bytes: message('Venue change', 'the venue moved to the grand hall', 'a') });
      since = (await sqlite.getStates(ALICE)).Email!;
      await sqlite.storeFlags(ALICE, inbox.id, [2], { mode: 'add', flags: ['\\Flagged', '$Important'] });
      await sqlite.copy(ALICE, inbox.id, [1], archive.id);
      await sqlite.storeFlags(ALICE, inbox.id, [2], { mode: 'add', flags: ['\\Deleted'] });
      await sqlite.expunge(ALICE, inbox.id);
      // The newest email: its id must not come back on PostgreSQL (RFC 8620 §1.2).
      destroyed = (await sqlite.snapshot(ALICE, archive.id)).messages[1]!.emailId;
      await sqlite.destroyEmails(ALICE, [destroyed]);
      await sqlite.setRights(ALICE, archive.id, BOB, 'lrs');
      await sqlite.grantDelegation(ALICE, BOB);
      await sqlite.putSieveScript(ALICE, 'vacation', 'require "vacation";\r\nvacation "away";\r\n');
      await sqlite.setActiveSieveScript(ALICE, 'vacation');
      await sqlite.setSetting(ALICE, 'Identity', { added: [{ id: 'i1', name: 'Alice', email: ALICE }] });
      await sqlite.setMetadata(ALICE, archive.id, [{ name: '/shared/comment', value: Buffer.from('old mail') }], LIMITS, { user: ALICE });
      assert.ok(a.emailId);
      before = await view(sqlite, since);
    } finally {
      await sqlite.close();
    }

    const progress: Array<[number, number]> = [];
    const moved = await copyMailStoreToPostgres(dataDir, { url: db.url, schema: db.schema }, { onProgress: (d, t) => progress.push([d, t]) });
    assert.ok(moved);
    assert.equal(moved.committed, true);
    for (const c of moved.counts) assert.equal(c.target, c.source, c.table);
    assert.ok(moved.counts.find((c) => c.table === 'msg')!.source >= 4);
    assert.equal(moved.blobsCopied, 3, 'the two messages still stored (one of them appended twice, stored once) and the Sieve script');
    assert.deepEqual(progress.at(-1), [progress.at(-1)![1], progress.at(-1)![1]], 'progress ends at its total');

    const pgStore = await openPostgresStore({ url: db.url, schema: db.schema, poolSize: 2, events: new MemoryEventBus() });
    try {
      assert.deepEqual(await view(pgStore, since), before);
      const inbox = (await pgStore.findMailboxByPath(ALICE, 'INBOX'))!;
      const archive = (await pgStore.findMailboxByPath(ALICE, 'Projects'))!;
      // Full-text search answers from PostgreSQL's index (a 3+ character needle) and header fields.
      assert.deepEqual((await pgStore.searchMailbox(ALICE, inbox.id, { criteria: { kind: 'text', field: 'body', value: 'GRAND HALL' } })).uids, [1]);
      assert.deepEqual((await pgStore.searchMailbox(ALICE, inbox.id, { criteria: { kind: 'text', field: 'subject', value: 'big' } })).uids, [3]);
      const query = await pgStore.queryEmails(ALICE, { filter: { kind: 'text', field: 'text', value: 'venue' } });
      assert.equal(query.total, 1, 'the reply was expunged, the second copy destroyed');
      // New rows continue after the SQLite store's: no id, UID or UIDVALIDITY is reused.
      const maxId = Number(destroyed.slice(1));
      assert.ok((before as { emails: Array<{ id: string }> }).emails.every((e) => Number(e.id.slice(1)) < maxId));
      const added = await pgStore.append(ALICE, { mailboxIds: [inbox.id], bytes: message('after the move', 'on postgres now', 'c') });
      assert.ok(Number(added.emailId.slice(1)) > maxId, `${added.emailId} after e${maxId}`);
      assert.equal(added.placements[0]!.uid, inbox.uidNext);
      assert.equal(added.placements[0]!.uidValidity, inbox.uidValidity);
      const created = await pgStore.createMailbox(ALICE, { path: 'New' });
      assert.ok(created.uidValidity > Math.max(inbox.uidValidity, archive.uidValidity));
      assert.ok(Number(created.id.slice(1)) > Number(archive.id.slice(1)));
      assert.equal(new Set((await pgStore.listMailboxes(ALICE)).map((m) => m.id)).size, (await pgStore.listMailboxes(ALICE)).length);
    } finally {
      await pgStore.close();
    }

    // Run again: refused while the target holds mail, replaced with --force.
    await assert.rejects(copyMailStoreToPostgres(dataDir, { url: db.url, schema: db.schema }), TargetNotEmptyError);
    const forced = await copyMailStoreToPostgres(dataDir, { url: db.url, schema: db.schema }, { force: true });
    assert.ok(forced?.committed);
    assert.equal(forced.blobsCopied, 0, 'blobs already there are not copied again');
    const again = await openPostgresStore({ url: db.url, schema: db.schema, poolSize: 2, events: new MemoryEventBus() });
    try {
      assert.deepEqual(await view(again, since), before);
    } finally {
      await again.close();
    }
  });
});
