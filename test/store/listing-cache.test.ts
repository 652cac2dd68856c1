// A mailbox's listing (what SELECT reads) is cached while the mailbox's HIGHESTMODSEQ and UIDNEXT
// stay the same (src/store/sqlite/listing-cache.ts): every kind of change must still show in the
// next snapshot, whichever mailbox, API or store instance (another process) made it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import type { MailStore } from '../../src/store/types.js';
import { message } from './fixtures.js';

const USER = 'lister@example.org';
let dataDir: string;
let store: MailStore;
let other: MailStore;
let inbox: string;
let archive: string;

async function listing(s: MailStore = store): Promise<Array<[number, string[]]>> {
  return (await s.snapshot(USER, inbox)).messages.map((m) => [m.uid, [...m.flags].sort()]);
}

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-listing-'));
  store = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
  await store.ensureAccount(USER);
  inbox = (await store.findMailboxByPath(USER, 'INBOX'))!.id;
  archive = (await store.createMailbox(USER, { path: 'Kept' })).id;
  // A second store on the same files: another process, as with server.processes > 1.
  other = await openSqliteStore({ dataDir, events: new MemoryEventBus() });
});

after(async () => {
  await other?.close();
  await store?.close();
  await rm(dataDir, { recursive: true, force: true });
});

test('every change to a mailbox shows in its next snapshot, and callers cannot change the cached one', async () => {
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
  await store.copy(USER, inbox, [1], archive);
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

  // Another store instance on the same files writes; this one's cache must not hide it.
  assert.deepEqual(await listing(other), [[2, ['\\Seen']]]);
  await other.storeFlags(USER, inbox, [2], { mode: 'remove', flags: ['\\Seen'] });
  await other.append(USER, { mailboxIds: [inbox], bytes: message({ body: 'four' }) });
  assert.deepEqual(await listing(), [[2, []], [4, []]]);
});
