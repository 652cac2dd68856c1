// Mailbox counts (IMAP STATUS, JMAP Mailbox/get) are kept by triggers (mailbox_count and
// mailbox_thread, schema.ts). These tests drive the store through random sequences of writes and
// compare, after each one, the counts it reports with counts recomputed from scratch on the
// database file, and check that a database from before the counters gets them filled.
import { mulberry32 as prng } from '../support/prng.js';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { SCHEMA_VERSION } from '../../src/store/sqlite/schema.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import type { Mailbox, MailStore } from '../../src/store/types.js';
import { message } from './fixtures.js';

const A = 'counts-a@example.org';
const B = 'counts-b@example.org';

async function withDataDir(fn: (dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-counts-'));
  try {
    await fn(dataDir);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

function dbFile(dataDir: string): string {
  return path.join(dataDir, 'store.sqlite');
}

interface Counts {
  total: number;
  unseen: number;
  unread: number;
  size: number;
  threads: number;
  unreadThreads: number;
}

/**
 * The counts of every mailbox of the account, recomputed from msg and email alone (flag bits:
 * 1 = \Seen, 8 = \Draft; unread = neither). unreadThreads follows RFC 8621: threads with an email
 * in the mailbox and an unread email anywhere in the account.
 */
function expectedCounts(db: Database.Database, account: string): Map<string, Counts> {
  const rows = db
    .prepare(
      `SELECT b.path,
              count(e.id) AS total,
              coalesce(sum((e.flags & 1) = 0), 0) AS unseen,
              coalesce(sum((e.flags & 9) = 0), 0) AS unread,
              coalesce(sum(e.size), 0) AS size,
              count(DISTINCT e.thread_id) AS threads,
              (SELECT count(DISTINCT e2.thread_id) FROM msg m2 JOIN email e2 ON e2.id = m2.email_id
                WHERE m2.mailbox_id = b.id
                  AND EXISTS (SELECT 1 FROM email u WHERE u.account_id = b.account_id AND u.thread_id = e2.thread_id AND (u.flags & 9) = 0)
              ) AS unreadThreads
         FROM mailbox b JOIN account a ON a.id = b.account_id
         LEFT JOIN msg m ON m.mailbox_id = b.id LEFT JOIN email e ON e.id = m.email_id
        WHERE a.name = ? GROUP BY b.id`,
    )
    .all(account) as (Counts & { path: string })[];
  return new Map(rows.map(({ path: p, ...c }) => [p, c]));
}

function reported(mb: Mailbox): Counts {
  return {
    total: mb.totalEmails,
    unseen: mb.unseen,
    unread: mb.unreadEmails,
    size: mb.size,
    threads: mb.totalThreads,
    unreadThreads: mb.unreadThreads,
  };
}

/** The counter tables hold exactly what msg and email imply, and nothing for deleted mailboxes. */
function checkCounterTables(db: Database.Database, label: string): void {
  const stray = db
    .prepare(
      `SELECT (SELECT count(*) FROM mailbox_count WHERE mailbox_id NOT IN (SELECT id FROM mailbox))
            + (SELECT count(*) FROM mailbox_thread WHERE mailbox_id NOT IN (SELECT id FROM mailbox))`,
    )
    .pluck()
    .get();
  assert.equal(stray, 0, `${label}: counter rows of deleted mailboxes`);
  const kept = db.prepare('SELECT mailbox_id, thread_id, n FROM mailbox_thread ORDER BY mailbox_id, thread_id').all();
  const fresh = db
    .prepare(
      `SELECT m.mailbox_id, e.thread_id, count(*) AS n FROM msg m JOIN email e ON e.id = m.email_id
        WHERE m.mailbox_id IN (SELECT id FROM mailbox) GROUP BY m.mailbox_id, e.thread_id ORDER BY m.mailbox_id, e.thread_id`,
    )
    .all();
  assert.deepEqual(kept, fresh, `${label}: mailbox_thread`);
  const unread = db.prepare('SELECT thread_id, n FROM thread_unread ORDER BY thread_id').all();
  const freshUnread = db.prepare('SELECT thread_id, count(*) AS n FROM email WHERE (flags & 9) = 0 GROUP BY thread_id ORDER BY thread_id').all();
  assert.deepEqual(unread, freshUnread, `${label}: thread_unread`);
  const missing = db.prepare('SELECT count(*) FROM mailbox WHERE id NOT IN (SELECT mailbox_id FROM mailbox_count)').pluck().get();
  assert.equal(missing, 0, `${label}: mailboxes without a mailbox_count row`);
}

async function checkAccount(store: MailStore, db: Database.Database, account: string, label: string): Promise<void> {
  const expected = expectedCounts(db, account);
  const mailboxes = await store.listMailboxes(account);
  assert.deepEqual(mailboxes.map((m) => m.path).sort(), [...expected.keys()].sort(), `${label}: mailboxes of ${account}`);
  for (const mb of mailboxes) {
    assert.deepEqual(reported(mb), expected.get(mb.path), `${label}: ${account} ${mb.path}`);
    const one = await store.getMailbox(account, mb.id);
    assert.deepEqual(one && reported(one), expected.get(mb.path), `${label}: getMailbox ${account} ${mb.path}`);
    // The same figures from the messages the store lists (flags as IMAP shows them).
    const snap = await store.snapshot(account, mb.id);
    const seen = (f: string[]): boolean => f.includes('\\Seen');
    assert.equal(snap.messages.length, mb.totalEmails, `${label}: snapshot ${mb.path}`);
    assert.equal(snap.messages.filter((m) => !seen(m.flags)).length, mb.unseen, `${label}: snapshot unseen ${mb.path}`);
    assert.equal(
      snap.messages.filter((m) => !seen(m.flags) && !m.flags.includes('\\Draft')).length,
      mb.unreadEmails,
      `${label}: snapshot unread ${mb.path}`,
    );
  }
}

const SUBJECTS = ['Lunch', 'Budget', 'Release plan'];
const FLAGS = ['\\Seen', '\\Draft', '\\Flagged', '\\Seen', '\\Draft'];
const KEYWORDS = ['$seen', '$draft', '$flagged', 'project-x'];

async function randomRun(seed: number, steps: number): Promise<void> {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const chance = (p: number): boolean => rnd() < p;

  await withDataDir(async (dataDir) => {
    const store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
    const db = new Database(dbFile(dataDir), { readonly: true, fileMustExist: true });
    try {
      const live = new Set<string>([A, B]);
      for (const acc of live) {
        await store.ensureAccount(acc);
        await store.createMailbox(acc, { path: 'Work/Projects' });
        await store.createMailbox(acc, { path: 'Lists' });
      }
      // Message-ids appended so far, with their subject, for replies that join (and merge) threads.
      const sent: { account: string; id: string; subject: string }[] = [];
      let serial = 0;
      let renames = 0;
      // What the sequence exercised, so that a change to it cannot quietly make it trivial.
      let merges = 0;
      let sharedThreads = 0;
      const threadCount = db.prepare('SELECT count(*) FROM thread WHERE account_id = (SELECT id FROM account WHERE name = ?)').pluck();

      const newMessage = (account: string): Buffer => {
        const mine = sent.filter((s) => s.account === account);
        const subject = pick(SUBJECTS);
        const id = `s${seed}-${serial++}@example.org`;
        let refs: string[] = [];
        if (mine.length && chance(0.7)) {
          const same = mine.filter((s) => s.subject === subject);
          // Referring to two earlier messages of the same subject merges their threads.
          refs = [...new Set(Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(same.length ? same : mine).id))];
        }
        sent.push({ account, id, subject });
        return message({
          subject: refs.length ? `Re: ${subject}` : subject,
          messageId: id,
          ...(refs.length ? { inReplyTo: refs[0]!, references: refs.map((r) => `<${r}>`).join(' ') } : {}),
          body: 'x'.repeat(Math.floor(rnd() * 300)),
        });
      };

      const randomFlags = (): string[] => FLAGS.filter(() => chance(0.35));

      for (let step = 0; step < steps; step++) {
        const account = pick([...live]);
        const mailboxes = await store.listMailboxes(account);
        const mb = pick(mailboxes);
        const other = pick(mailboxes);
        const snap = await store.snapshot(account, mb.id);
        const someUids = (): number[] => snap.messages.filter(() => chance(0.3)).map((m) => m.uid);
        const threadsBefore = threadCount.get(account) as number;
        const r = rnd();
        let op: string;
        if (r < 0.35) {
          op = 'append';
          const targets = [...new Set([mb.id, ...(chance(0.3) ? [other.id] : [])])];
          await store.append(account, { mailboxIds: targets, bytes: newMessage(account), flags: randomFlags() });
        } else if (r < 0.43) {
          op = 'appendMany';
          const n = 1 + Math.floor(rnd() * 4);
          await store.appendMany(
            account,
            Array.from({ length: n }, () => ({ mailboxIds: [pick(mailboxes).id], bytes: newMessage(account), keywords: KEYWORDS.filter(() => chance(0.3)) })),
          );
        } else if (r < 0.57) {
          op = 'storeFlags';
          await store.storeFlags(account, mb.id, someUids(), { mode: pick(['add', 'remove', 'set'] as const), flags: randomFlags() });
        } else if (r < 0.64) {
          op = 'updateEmails keywords';
          const emails = [...new Set(snap.messages.filter(() => chance(0.3)).map((m) => m.emailId))];
          await store.updateEmails(
            account,
            emails.map((emailId) => ({
              emailId,
              keywords: chance(0.5) ? { set: KEYWORDS.filter(() => chance(0.4)) } : { add: KEYWORDS.filter(() => chance(0.3)), remove: KEYWORDS.filter(() => chance(0.3)) },
            })),
          );
        } else if (r < 0.7) {
          op = 'updateEmails mailboxIds';
          const emails = [...new Set(snap.messages.filter(() => chance(0.3)).map((m) => m.emailId))];
          await store.updateEmails(
            account,
            emails.map((emailId) => ({ emailId, mailboxIds: chance(0.5) ? { add: [other.id] } : chance(0.5) ? { remove: [mb.id] } : { set: [other.id] } })),
          );
        } else if (r < 0.77) {
          op = 'copy';
          await store.copy(account, mb.id, someUids(), other.id);
        } else if (r < 0.84) {
          op = 'move';
          if (other.id !== mb.id) await store.move(account, mb.id, someUids(), other.id);
        } else if (r < 0.9) {
          op = 'expunge';
          const uids = someUids();
          await store.storeFlags(account, mb.id, uids, { mode: 'add', flags: ['\\Deleted'] });
          await store.expunge(account, mb.id, chance(0.5) ? uids.slice(0, Math.ceil(uids.length / 2)) : undefined);
        } else if (r < 0.94) {
          op = 'destroyEmails';
          await store.destroyEmails(account, [...new Set(someUids().map((u) => snap.messages.find((m) => m.uid === u)!.emailId))]);
        } else if (r < 0.975) {
          const leaf = mailboxes.filter((m) => !m.hasChildren && m.role !== 'inbox');
          if (leaf.length && chance(0.7)) {
            op = 'deleteMailbox';
            await store.deleteMailbox(account, pick(leaf).id, { removeEmails: true });
          } else {
            op = 'createMailbox';
            await store.createMailbox(account, { path: pick(['Work/Projects', 'Lists', 'Later', 'Work/Old']) }).catch((err: Error) => {
              if (err.name !== 'MailboxExistsError') throw err;
            });
          }
        } else if (r < 0.99) {
          op = 'renameMailbox INBOX';
          await store.renameMailbox(account, mailboxes.find((m) => m.path === 'INBOX')!.id, `Old ${renames++}`);
        } else {
          op = 'deleteAccount';
          await store.deleteAccount(account);
          live.delete(account);
          if (chance(0.8) || live.size === 0) {
            await store.ensureAccount(account);
            live.add(account);
          }
        }
        const label = `seed ${seed} step ${step} (${op})`;
        if (op.startsWith('append') && live.has(account) && (threadCount.get(account) as number) < threadsBefore) merges++;
        if (db.prepare('SELECT 1 FROM mailbox_thread WHERE n > 1').get()) sharedThreads++;
        for (const acc of live) await checkAccount(store, db, acc, label);
        checkCounterTables(db, label);
      }
      assert.ok(merges > 0 && sharedThreads > steps / 4, `seed ${seed}: ${merges} thread merges, ${sharedThreads} steps with threads of several messages`);
    } finally {
      db.close();
      await store.close();
    }
  });
}

describe('mailbox counts kept by triggers', () => {
  for (const seed of [1, 2, 3]) {
    it(`match counts recomputed from the messages through a random sequence of writes (seed ${seed})`, async () => {
      await randomRun(seed, 200);
    });
  }

  it('count a membership whichever of its msg and email rows is written or deleted first', async () => {
    await withDataDir(async (dataDir) => {
      const store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
      let inboxId: string;
      try {
        await store.ensureAccount(A);
        inboxId = (await store.findMailboxByPath(A, 'INBOX'))!.id;
        const lists = await store.createMailbox(A, { path: 'Lists' });
        await store.append(A, { mailboxIds: [inboxId, lists.id], bytes: message({ subject: 'One', messageId: 'one@x' }) });
        await store.append(A, { mailboxIds: [inboxId], bytes: message({ subject: 'Two', messageId: 'two@x' }), flags: ['\\Seen'] });
      } finally {
        await store.close();
      }
      const db = new Database(dbFile(dataDir));
      try {
        const check = (label: string): void => {
          const kept = db
            .prepare('SELECT total, unseen, unread, size, threads, unread_threads AS unreadThreads FROM mailbox_count c JOIN mailbox b ON b.id = c.mailbox_id ORDER BY b.path')
            .all();
          const fresh = [...expectedCounts(db, A)].sort(([p], [q]) => (p < q ? -1 : 1)).map(([, c]) => c);
          assert.deepEqual(kept, fresh, label);
          checkCounterTables(db, label);
        };
        check('as written');
        const one = db.prepare("SELECT * FROM email WHERE subject_sort = 'ONE'").get() as Record<string, unknown>;
        assert.ok(one);
        // The email row goes first: its msg rows are left pointing at nothing and count no more.
        db.prepare('DELETE FROM email WHERE id = ?').run(one.id);
        check('email deleted before its memberships');
        db.prepare('DELETE FROM msg WHERE email_id = ?').run(one.id);
        check('then its memberships');
        // Memberships first, then the email they refer to.
        const mailboxIds = db.prepare("SELECT id FROM mailbox WHERE path IN ('INBOX', 'Lists')").pluck().all() as number[];
        for (const [i, mbId] of mailboxIds.entries()) db.prepare('INSERT INTO msg (mailbox_id, uid, email_id, modseq) VALUES (?, ?, ?, 1)').run(mbId, 1000 + i, one.id);
        check('memberships inserted before their email');
        const cols = Object.keys(one);
        db.prepare(`INSERT INTO email (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...cols.map((c) => one[c]));
        check('then the email');
        db.prepare('UPDATE email SET flags = flags | 8 WHERE id = ?').run(one.id);
        check('draft');
        // A mailbox row deleted before its memberships takes its counters along, and the
        // memberships left behind change nothing.
        db.prepare("DELETE FROM mailbox WHERE path = 'Lists'").run();
        check('mailbox deleted before its memberships');
        db.prepare('UPDATE email SET flags = flags & ~9').run();
        check('flags of emails in the deleted mailbox');
        db.prepare('DELETE FROM msg WHERE mailbox_id NOT IN (SELECT id FROM mailbox)').run();
        check('then its memberships');
        assert.throws(() => db.prepare('UPDATE msg SET mailbox_id = mailbox_id + 1 WHERE email_id = ?').run(one.id), /never moved/);
      } finally {
        db.close();
      }
    });
  });

  it('fills the counters when it opens a version 2 database', async () => {
    await withDataDir(async (dataDir) => {
      let store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
      let expected: Map<string, Counts>;
      try {
        await store.ensureAccount(A);
        const inboxId = (await store.findMailboxByPath(A, 'INBOX'))!.id;
        const lists = await store.createMailbox(A, { path: 'Lists' });
        await store.append(A, { mailboxIds: [inboxId, lists.id], bytes: message({ subject: 'Plan', messageId: 'p1@x' }) });
        await store.append(A, { mailboxIds: [inboxId], bytes: message({ subject: 'Re: Plan', messageId: 'p2@x', inReplyTo: 'p1@x' }), flags: ['\\Seen'] });
        await store.append(A, { mailboxIds: [lists.id], bytes: message({ subject: 'Other', messageId: 'o1@x' }), flags: ['\\Draft'] });
        await store.append(A, { mailboxIds: [inboxId], bytes: message({ subject: 'Seen', messageId: 's1@x' }), flags: ['\\Seen'] });
      } finally {
        await store.close();
      }
      const raw = new Database(dbFile(dataDir));
      try {
        expected = expectedCounts(raw, A);
        assert.equal(expected.get('INBOX')!.total, 3);
        // What version 2 lacks: the counter tables and their triggers.
        const triggers = raw
          .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND (name LIKE 'mailbox\\_%' ESCAPE '\\' OR name LIKE 'thread\\_unread%' ESCAPE '\\')")
          .pluck()
          .all() as string[];
        assert.ok(triggers.length >= 10, triggers.join());
        for (const t of triggers) raw.exec(`DROP TRIGGER ${t}`);
        raw.exec("DROP TABLE mailbox_count; DROP TABLE mailbox_thread; DROP TABLE thread_unread; UPDATE meta SET value = '2' WHERE key = 'schema_version'");
      } finally {
        raw.close();
      }
      store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
      const db = new Database(dbFile(dataDir), { readonly: true });
      try {
        assert.equal(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), String(SCHEMA_VERSION));
        await checkAccount(store, db, A, 'after migration');
        const mailboxes = await store.listMailboxes(A);
        assert.deepEqual(new Map(mailboxes.map((m) => [m.path, reported(m)])), expected);
        checkCounterTables(db, 'after migration');
        // The triggers carry on from the filled counts.
        const inbox = mailboxes.find((m) => m.path === 'INBOX')!;
        await store.storeFlags(A, inbox.id, [1], { mode: 'add', flags: ['\\Seen'] });
        await store.append(A, { mailboxIds: [inbox.id], bytes: message({ subject: 'Re: Plan', messageId: 'p3@x', references: '<p1@x> <p2@x>' }) });
        await checkAccount(store, db, A, 'after migration and writes');
        checkCounterTables(db, 'after migration and writes');
      } finally {
        db.close();
        await store.close();
      }
    });
  });
});
