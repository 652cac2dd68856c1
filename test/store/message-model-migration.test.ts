// Schema version 4: a data directory written by version 3 gets the one message model's summary
// (parsed cache, sort keys, sent day, search text) recomputed from the stored blobs when it opens.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { SCHEMA_VERSION } from '../../src/store/sqlite/schema.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { message } from './fixtures.js';

const USER = 'migrate@example.org';

const UTF7 = Buffer.from(
  [
    'From: ledger@example.org (The Ledger)',
    'To: localonly',
    'Subject: Re: Balance',
    'Date: Sun, 31 Dec 2023 23:30:00 -0500',
    'Message-ID: <utf7@example.org>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-7',
    '',
    'Hi +AKM-1 owed',
    '',
  ].join('\r\n'),
);

describe('migration to the one message model (schema version 4)', () => {
  it('recomputes the parsed summary, sort keys, sent day and search text of existing emails', async (t) => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-migrate-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    let store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
    await store.ensureAccount(USER);
    const inboxId = (await store.findMailboxByPath(USER, 'INBOX'))!.id;
    await store.append(USER, { mailboxIds: [inboxId], bytes: UTF7 });
    await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'Plain' }) });
    await store.close();

    // Turn the database back into what version 3 wrote: no sent_day column, the old summary
    // (no sort keys or sent day, no comment names), lower-cased sort keys, undecoded text.
    const db = new Database(path.join(dataDir, 'store.sqlite'));
    try {
      for (const row of db.prepare('SELECT email_id, parsed FROM email_parsed').all() as Array<{ email_id: number; parsed: string }>) {
        const old = JSON.parse(row.parsed) as { envelope: { from: unknown }; preview: string; sort?: unknown; sentDay?: unknown };
        delete old.sort;
        delete old.sentDay;
        if (old.preview.startsWith('Hi ')) {
          // What version 3 made of this message: no comment name, UTF-7 left undecoded.
          old.envelope.from = [{ name: null, adl: null, mailbox: 'ledger', host: 'example.org' }];
          old.preview = 'Hi +AKM-1 owed';
        }
        db.prepare('UPDATE email_parsed SET envelope = ?, parsed = ? WHERE email_id = ?').run(JSON.stringify(old.envelope), JSON.stringify(old), row.email_id);
      }
      db.exec(`ALTER TABLE email DROP COLUMN sent_day;
        UPDATE email SET subject_sort = lower(subject_sort), from_sort = lower(from_sort), display_from = lower(display_from);
        UPDATE email_text SET body = 'Hi +AKM-1 owed', from_ = 'ledger@example.org (The Ledger)' WHERE subject = 'Re: Balance';
        UPDATE meta SET value = '3' WHERE key = 'schema_version';`);
    } finally {
      db.close();
    }

    store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
    try {
      const [utf7, plain] = await store.getMessages(USER, inboxId, [[1, 2]], { parsed: true });
      assert.equal(utf7!.parsed!.sentDay, Date.UTC(2023, 11, 31) / 86_400_000);
      assert.deepEqual(utf7!.parsed!.sort, {
        subject: 'BALANCE', from: 'LEDGER', to: 'LOCALONLY', cc: '', displayFrom: 'THE LEDGER', displayTo: 'LOCALONLY',
      });
      assert.deepEqual(utf7!.parsed!.envelope.from, [{ name: 'The Ledger', adl: null, mailbox: 'ledger', host: 'example.org' }]);
      assert.deepEqual(utf7!.parsed!.envelope.to, [{ name: null, adl: null, mailbox: 'localonly', host: 'MISSING_DOMAIN' }]);
      assert.deepEqual(utf7!.parsed!.to, [{ name: null, email: 'localonly' }]);
      assert.equal(utf7!.parsed!.preview, 'Hi £1 owed');
      assert.equal(plain!.parsed!.sort.subject, 'PLAIN');
      const search = async (criteria: Parameters<typeof store.searchMailbox>[2]['criteria']): Promise<number[]> =>
        (await store.searchMailbox(USER, inboxId, { criteria })).uids;
      // The text, searched both by the short-needle scan and through the rebuilt full-text index.
      assert.deepEqual(await search({ kind: 'text', field: 'body', value: '£1' }), [1]);
      assert.deepEqual(await search({ kind: 'text', field: 'body', value: '£1 owed' }), [1]);
      assert.deepEqual(await search({ kind: 'text', field: 'from', value: 'The Ledger <ledger@' }), [1]);
      // SENTON 31-Dec-2023: the header's own day, although the instant is 1 January in UTC.
      assert.deepEqual(await search({ kind: 'sentAt', notBefore: new Date('2023-12-31T00:00:00Z'), before: new Date('2024-01-01T00:00:00Z') }), [1]);
      const sorted = await store.searchMailbox(USER, inboxId, { criteria: { kind: 'all' }, sort: [{ key: 'subject' }] });
      assert.deepEqual(sorted.uids, [1, 2]);
    } finally {
      await store.close();
    }
    const check = new Database(path.join(dataDir, 'store.sqlite'), { readonly: true });
    try {
      assert.equal(check.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), String(SCHEMA_VERSION));
      const envelope = JSON.parse(check.prepare('SELECT envelope FROM email_parsed WHERE email_id = (SELECT email_id FROM msg WHERE uid = 1)').pluck().get() as string) as { from: unknown };
      assert.deepEqual(envelope.from, [{ name: 'The Ledger', adl: null, mailbox: 'ledger', host: 'example.org' }]);
      assert.equal(check.prepare("SELECT subject_sort FROM email WHERE id = (SELECT email_id FROM msg WHERE uid = 1)").pluck().get(), 'BALANCE');
    } finally {
      check.close();
    }
  });
});
