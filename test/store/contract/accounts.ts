// AccountStore contract: accounts are created once with their special-use mailboxes, and deleted with
// everything they hold.
// Parameterised by backend like every suite here (see ./index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { message } from '../fixtures.js';
import { USER, storeHarness, type StoreFactory } from './harness.js';

export function runAccountsContract(name: string, factory: StoreFactory): void {
  const { withStore, inbox } = storeHarness(factory);

  describe(`AccountStore contract: ${name}`, () => {
    it('creates INBOX and the special-use mailboxes once, with roles', async () => {
      await withStore(async (store) => {
        await store.ensureAccount(USER);
        await store.ensureAccount(USER);
        const list = await store.listMailboxes(USER);
        const byRole = Object.fromEntries(list.map((m) => [m.role, m.path]));
        assert.deepEqual(byRole, { inbox: 'INBOX', drafts: 'Drafts', sent: 'Sent', trash: 'Trash', junk: 'Junk', archive: 'Archive' });
        const inboxMb = list.find((m) => m.role === 'inbox')!;
        assert.equal(inboxMb.uidNext, 1);
        assert.ok(inboxMb.uidValidity > 0);
        assert.equal(inboxMb.subscribed, true);
        assert.equal((await store.findMailboxByPath(USER, 'inbox'))?.id, inboxMb.id);
        assert.equal((await store.findMailboxByRole(USER, 'trash'))?.path, 'Trash');
      });
    });

    it('knows an account only once it is created, and keeps the creation time', async () => {
      await withStore(async (store) => {
        assert.equal(await store.getAccount(USER), null);
        const before = Date.now();
        const created = await store.ensureAccount(USER);
        assert.equal(created.id, USER);
        assert.ok(created.createdAt.getTime() >= before - 1000 && created.createdAt.getTime() <= Date.now() + 1000);
        const again = await store.ensureAccount(USER);
        assert.equal(again.createdAt.getTime(), created.createdAt.getTime());
        assert.deepEqual(await store.getAccount(USER), created);
        assert.equal(await store.getAccount('nobody@example.org'), null);
      });
    });

    it('deletes an account with its mail, settings and uploads, leaving other accounts alone', async () => {
      await withStore(async (store) => {
        const other = 'bob@example.org';
        const inboxId = await inbox(store);
        await store.ensureAccount(other);
        const otherInbox = (await store.findMailboxByPath(other, 'INBOX'))!.id;
        const mine = await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'mine' }) });
        const theirs = await store.append(other, { mailboxIds: [otherInbox], bytes: message({ subject: 'theirs' }) });
        const upload = await store.uploadBlob(USER, Buffer.from('draft attachment'), 'text/plain');
        await store.setSetting(USER, 'vacation', { isEnabled: true });

        await store.deleteAccount(USER);
        assert.equal(await store.getAccount(USER), null);
        assert.deepEqual(await store.listMailboxes(USER), []);
        assert.equal(await store.readMessage(USER, mine.emailId), null);
        assert.equal(await store.readBlob(USER, upload.blobId), null);
        assert.match((await store.readMessage(other, theirs.emailId))?.toString() ?? '', /Subject: theirs/);
        assert.equal((await store.getMailbox(other, otherInbox))?.totalEmails, 1);

        // A new account of that name starts empty.
        const fresh = await inbox(store);
        assert.equal((await store.getMailbox(USER, fresh))?.totalEmails, 0);
        assert.equal((await store.getSetting(USER, 'vacation')).value, null);
        await store.deleteAccount('never-created@example.org');
      });
    });
  });
}
