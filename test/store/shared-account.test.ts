// The account-wide JMAP operations on a shared account (store/shared-account.ts) and share
// notifications (api/share-notifications.ts), on SQLite and on PostgreSQL (skipped with a notice when
// no PostgreSQL answers, a failure under CI=true): bob's view of alice's account holds exactly the
// emails of the mailboxes she shared with him; its states carry his grants, so /changes across a
// rights change is cannotCalculateChanges; writes need the rights of every mailbox concerned; each
// change of bob's rights leaves him a notification, which he alone can read and destroy.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { createTestSchema, dropSharedDatabase, postgresUnavailable } from '../support/postgres.js';
import { silentLogger } from '../../src/log/logger.js';
import type { AccountEvent } from '../../src/events/types.js';
import type { MailStore } from '../../src/store/types.js';
import { waitFor } from '../support/wait.js';
import { message } from './fixtures.js';

const pgUnavailable = await postgresUnavailable();
after(dropSharedDatabase);

type Engine = 'sqlite' | 'postgres';

function engineTest(name: string, fn: (store: MailStore, bus: MemoryEventBus) => Promise<void>): void {
  for (const engine of ['sqlite', 'postgres'] as const) {
    test(`${name} (${engine})`, { skip: engine === 'postgres' ? (pgUnavailable ?? false) : false }, () => withEngineStore(engine, fn));
  }
}

async function withEngineStore(engine: Engine, fn: (store: MailStore, bus: MemoryEventBus) => Promise<void>): Promise<void> {
  const bus = new MemoryEventBus(silentLogger());
  if (engine === 'postgres') {
    const db = await createTestSchema();
    const store = await openPostgresStore({ url: db.url, schema: db.schema, poolSize: 4, events: bus, logger: silentLogger() });
    try {
      await fn(store, bus);
    } finally {
      await store.close();
      await bus.close();
      await db.drop();
    }
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'tessera-shared-account-'));
  const store = await openSqliteStore({ dataDir: dir, events: bus, logger: silentLogger() });
  try {
    await fn(store, bus);
  } finally {
    await store.close();
    await bus.close();
    await rm(dir, { recursive: true, force: true });
  }
}

engineTest("bob's view of alice's account: queries, threads, emails and changes within the shared mailbox", async (store) => {
  for (const u of ['alice', 'bob']) await store.ensureAccount(u);
  const shared = await store.createMailbox('alice', { path: 'Shared' });
  const secret = await store.createMailbox('alice', { path: 'Secret' });
  const visible = await store.append('alice', { mailboxIds: [shared.id], bytes: message({ subject: 'visible' }) });
  const hidden = await store.append('alice', { mailboxIds: [secret.id], bytes: message({ subject: 'hidden' }) });
  const both = await store.append('alice', { mailboxIds: [shared.id, secret.id], bytes: message({ subject: 'both' }) });
  await store.setRights('alice', shared.id, 'bob', 'lr');
  const bob = store.actingAs({ user: 'bob' });

  const all = await bob.queryEmails('alice', { filter: { kind: 'all' } });
  assert.deepEqual(new Set(all.ids), new Set([visible.emailId, both.emailId]));
  const [meta] = await bob.getEmails('alice', [both.emailId]);
  assert.deepEqual(meta!.mailboxIds, [shared.id], 'the private mailbox is not shown');
  assert.deepEqual(await bob.getEmails('alice', [hidden.emailId]), []);
  assert.deepEqual(await bob.getThreads('alice', [hidden.threadId]), []);
  assert.deepEqual((await bob.getThreads('alice', [visible.threadId]))[0]!.emailIds, [visible.emailId]);

  // A change in the shared mailbox is reported; one in the private mailbox is not.
  const before = await bob.getStates('alice');
  const later = await store.append('alice', { mailboxIds: [shared.id], bytes: message({ subject: 'later' }) });
  await store.append('alice', { mailboxIds: [secret.id], bytes: message({ subject: 'private later' }) });
  const changes = await bob.changes('alice', 'Email', before.Email);
  assert.deepEqual(changes.created, [later.emailId]);
  assert.equal(changes.newState, (await bob.getStates('alice')).Email);

  // A rights change changes bob's states: changes from before it cannot be calculated.
  const underOldGrants = await bob.getStates('alice');
  await store.setRights('alice', secret.id, 'bob', 'lr');
  assert.notEqual((await bob.getStates('alice')).Email, underOldGrants.Email);
  assert.equal((await store.getStates('alice')).Email, (await store.getStates('alice')).Email, 'the owner sees no change of state');
  await assert.rejects(bob.changes('alice', 'Email', before.Email), { code: 'cannotCalculateChanges' });
  const now = await bob.queryEmails('alice', { filter: { kind: 'all' } });
  assert.ok(now.ids.includes(hidden.emailId));
});

engineTest('writes on a shared account need the rights of every mailbox concerned', async (store) => {
  for (const u of ['alice', 'bob']) await store.ensureAccount(u);
  const shared = await store.createMailbox('alice', { path: 'Shared' });
  const other = await store.createMailbox('alice', { path: 'Other' });
  const e = await store.append('alice', { mailboxIds: [shared.id], bytes: message({ subject: 'x' }) });
  await store.setRights('alice', shared.id, 'bob', 'lrs');
  await store.setRights('alice', other.id, 'bob', 'lr');
  const bob = store.actingAs({ user: 'bob' });

  const seen = await bob.updateEmails('alice', [{ emailId: e.emailId, keywords: { add: ['$seen'] } }]);
  assert.deepEqual(seen.updated, [e.emailId]);
  const flagged = await bob.updateEmails('alice', [{ emailId: e.emailId, keywords: { add: ['$flagged'] } }]);
  assert.equal(flagged.notUpdated[0]?.type, 'forbidden');
  const moved = await bob.updateEmails('alice', [{ emailId: e.emailId, mailboxIds: { add: [other.id] } }]);
  assert.equal(moved.notUpdated[0]?.type, 'forbidden');
  const destroyed = await bob.destroyEmails('alice', [e.emailId, 'enosuch']);
  assert.deepEqual(destroyed.notDestroyed.map((n) => n.type).sort(), ['forbidden', 'notFound']);
  const [meta] = await store.getEmails('alice', [e.emailId]);
  assert.deepEqual(meta!.keywords, ['$seen']);
  assert.deepEqual(meta!.mailboxIds, [shared.id]);
});

/**
 * Runs `race` once, right after the next read of alice's emails through the store: that read is the
 * one a shared-account write plans on, so `race` commits between the plan and the write.
 */
function afterNextEmailRead(store: MailStore, race: () => Promise<void>): { ran: () => boolean } {
  const read = store.getEmails.bind(store);
  let done = false;
  store.getEmails = async (account, ids, options) => {
    const out = await read(account, ids, options);
    if (!done && account === 'alice') {
      done = true;
      await race();
    }
    return out;
  };
  return { ran: () => done };
}

engineTest('a rights change committed between the plan of an email write and the write refuses it: checked in the write transaction', async (store) => {
  for (const u of ['alice', 'bob']) await store.ensureAccount(u);
  const shared = await store.createMailbox('alice', { path: 'Shared' });
  const secret = await store.createMailbox('alice', { path: 'Secret' });
  const e = await store.append('alice', { mailboxIds: [shared.id], bytes: message({ subject: 'raced' }) });
  const bob = store.actingAs({ user: 'bob' });

  // Keywords: "w" revoked after the plan.
  await store.setRights('alice', shared.id, 'bob', 'lrw');
  const revoke = afterNextEmailRead(store, () => store.setRights('alice', shared.id, 'bob', 'lr'));
  const flagged = await bob.updateEmails('alice', [{ emailId: e.emailId, keywords: { add: ['$flagged'] } }]);
  assert.ok(revoke.ran());
  assert.deepEqual(flagged.updated, []);
  assert.equal(flagged.notUpdated[0]?.type, 'forbidden');
  assert.deepEqual((await store.getEmails('alice', [e.emailId]))[0]!.keywords, []);

  // Keywords: the email also put into a mailbox bob has no rights on after the plan (keywords are
  // shared by every mailbox of the email, so now he may not change them).
  await store.setRights('alice', shared.id, 'bob', 'lrw');
  const move = afterNextEmailRead(store, async () => void (await store.updateEmails('alice', [{ emailId: e.emailId, mailboxIds: { add: [secret.id] } }])));
  const again = await bob.updateEmails('alice', [{ emailId: e.emailId, keywords: { add: ['$flagged'] } }]);
  assert.ok(move.ran());
  assert.equal(again.notUpdated[0]?.type, 'forbidden');
  assert.deepEqual((await store.getEmails('alice', [e.emailId]))[0]!.keywords, []);
  await store.updateEmails('alice', [{ emailId: e.emailId, mailboxIds: { remove: [secret.id] } }]);

  // Destroy: "t" and "e" revoked after the plan.
  await store.setRights('alice', shared.id, 'bob', 'lrte');
  const revokeTe = afterNextEmailRead(store, () => store.setRights('alice', shared.id, 'bob', 'lr'));
  const destroyed = await bob.destroyEmails('alice', [e.emailId]);
  assert.ok(revokeTe.ran());
  assert.deepEqual(destroyed.destroyed, []);
  assert.equal(destroyed.notDestroyed[0]?.type, 'forbidden');
  assert.equal((await store.getEmails('alice', [e.emailId])).length, 1);

  // Unraced, the same writes go through.
  await store.setRights('alice', shared.id, 'bob', 'lrwte');
  assert.deepEqual((await bob.updateEmails('alice', [{ emailId: e.emailId, keywords: { add: ['$flagged'] } }])).updated, [e.emailId]);
  assert.deepEqual((await bob.destroyEmails('alice', [e.emailId])).destroyed, [e.emailId]);
});

engineTest("bob's own upload is readable in alice's account and appendable where he may insert; her private blobs are not", async (store) => {
  for (const u of ['alice', 'bob']) await store.ensureAccount(u);
  const shared = await store.createMailbox('alice', { path: 'Shared' });
  const secret = await store.createMailbox('alice', { path: 'Secret' });
  await store.setRights('alice', shared.id, 'bob', 'lri');
  const bob = store.actingAs({ user: 'bob' });
  const upload = await bob.uploadBlob('bob', message({ subject: 'from bob' }), 'message/rfc822');
  assert.ok(await bob.readBlob('alice', upload.blobId), "his upload, seen from alice's account");
  assert.equal(await bob.blobSize('alice', upload.blobId), upload.size);
  assert.equal(await store.readBlob('alice', upload.blobId), null, 'not hers before an email holds it');
  const added = await bob.append('alice', { mailboxIds: [shared.id], bytes: { storedBlob: upload.blobId } });
  const [meta] = await store.getEmails('alice', [added.emailId], { parsed: true });
  assert.equal(meta!.parsed?.subject, 'from bob');
  assert.ok(await store.readBlob('alice', upload.blobId), 'hers once her email is made of it');

  const hidden = await store.append('alice', { mailboxIds: [secret.id], bytes: message({ subject: 'private' }) });
  const [hiddenMeta] = await store.getEmails('alice', [hidden.emailId]);
  assert.equal(await bob.readBlob('alice', hiddenMeta!.blobId), null);
  await assert.rejects(bob.append('alice', { mailboxIds: [shared.id], bytes: { storedBlob: hiddenMeta!.blobId } }), { name: 'NoSuchBlobError' });
  // Naming the account a blob is "of" is the rights-checked view's alone: from a caller it is ignored.
  await assert.rejects(bob.append('alice', { mailboxIds: [shared.id], bytes: { storedBlob: hiddenMeta!.blobId, of: 'alice' } }), { name: 'NoSuchBlobError' });
  const bobInbox = (await store.findMailboxByRole('bob', 'inbox'))!;
  await assert.rejects(bob.append('bob', { mailboxIds: [bobInbox.id], bytes: { storedBlob: hiddenMeta!.blobId, of: 'alice' } }), { name: 'NoSuchBlobError' });
});

engineTest("each change of bob's rights leaves him a share notification; he alone reads and destroys them", async (store, bus) => {
  for (const u of ['alice', 'bob']) await store.ensureAccount(u);
  const box = await store.createMailbox('alice', { path: 'Team' });
  const events: AccountEvent[] = [];
  bus.onAccount('bob', (e) => events.push(e));
  const empty = await store.shareNotifications('bob');
  assert.deepEqual(empty.list, []);

  await store.setRights('alice', box.id, 'bob', 'lr');
  await store.setRights('alice', box.id, 'bob', 'lr'); // unchanged: no notification
  await store.setRights('alice', box.id, 'anyone', 'l'); // nobody to tell
  await store.deleteRights('alice', box.id, 'bob');
  const { state, list } = await store.shareNotifications('bob');
  assert.deepEqual(
    list.map((n) => [n.changedBy, n.owner, n.mailboxId, n.name, n.oldRights, n.newRights]),
    [
      ['alice', 'alice', box.id, 'Team', '', 'lr'],
      ['alice', 'alice', box.id, 'Team', 'lr', ''],
    ],
  );
  await waitFor('ShareNotification state pushed to bob', () => events.some((e) => e.type === 'state-changed' && e.changed.ShareNotification === state));
  const changes = await store.shareNotificationChanges('bob', empty.state);
  assert.deepEqual(changes.created, list.map((n) => n.id));
  assert.equal(changes.newState, state);
  const page = await store.shareNotificationChanges('bob', empty.state, 1);
  assert.deepEqual([page.created, page.hasMoreChanges], [[list[0]!.id], true]);

  await assert.rejects(store.actingAs({ user: 'alice' }).shareNotifications('bob'), { code: 'forbidden' });
  const gone = await store.actingAs({ user: 'bob' }).destroyShareNotifications('bob', [list[0]!.id, 'Nnosuch']);
  assert.deepEqual([gone.destroyed, gone.notFound], [[list[0]!.id], ['Nnosuch']]);
  const after = await store.shareNotificationChanges('bob', state);
  assert.deepEqual([after.created, after.destroyed], [[], [list[0]!.id]]);
  await assert.rejects(store.shareNotificationChanges('bob', '999999'), { code: 'cannotCalculateChanges' });
});
