// MailboxStore contract: the hierarchy (IMAP paths, JMAP name + parentId), Mailbox/set updates and
// their events, subscriptions to any name, and \Recent claims.
// Parameterised by backend like every suite here (see ./index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MailStore } from '../../../src/store/types.js';
import { ForbiddenError, InvalidArgumentError, InvalidNameError, MailboxExistsError, MailboxHasChildrenError, MailboxNotEmptyError, NoSuchMailboxError } from '../../../src/store/types.js';
import { message } from '../fixtures.js';
import { USER, storeHarness, type StoreFactory } from './harness.js';

export function runMailboxesContract(name: string, factory: StoreFactory): void {
  const { withStore, inbox } = storeHarness(factory);

  describe(`MailboxStore contract: ${name}`, () => {
    const subscribedPaths = async (store: MailStore): Promise<string[]> => (await store.listMailboxes(USER)).filter((m) => m.subscribed).map((m) => m.path);

    it('creates missing parents, moves children on rename and keeps ids', async () => {
      await withStore(async (store) => {
        await store.ensureAccount(USER);
        const child = await store.createMailbox(USER, { path: 'Work/Projects/Tessera' });
        const work = await store.findMailboxByPath(USER, 'Work');
        assert.ok(work);
        assert.equal(work.hasChildren, true);
        await assert.rejects(store.createMailbox(USER, { path: 'Work/Projects' }), MailboxExistsError);
        await store.renameMailbox(USER, work.id, 'Jobs/Old');
        const moved = await store.getMailbox(USER, child.id);
        assert.equal(moved?.path, 'Jobs/Old/Projects/Tessera');
        assert.equal(moved?.name, 'Tessera');
        assert.equal((await store.getMailbox(USER, work.id))?.parentId, (await store.findMailboxByPath(USER, 'Jobs'))?.id);
        const jmap = await store.createMailbox(USER, { name: 'Leaf', parentId: work.id });
        assert.equal(jmap.path, 'Jobs/Old/Leaf');
        await assert.rejects(store.createMailbox(USER, { name: 'a/b', parentId: null }), InvalidNameError);
        await assert.rejects(store.createMailbox(USER, { path: 'a//b' }), InvalidNameError);
      });
    });

    it('renaming INBOX moves its messages and leaves INBOX empty', async () => {
      await withStore(async (store) => {
        const inboxId = await inbox(store);
        await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'one' }) });
        const renamed = await store.renameMailbox(USER, inboxId, 'Old Inbox');
        assert.notEqual(renamed.id, inboxId);
        assert.equal(renamed.totalEmails, 1);
        const after = await store.getMailbox(USER, inboxId);
        assert.equal(after?.path, 'INBOX');
        assert.equal(after?.totalEmails, 0);
      });
    });

    it('refuses to delete INBOX, a parent, or a non-empty mailbox unless asked', async () => {
      await withStore(async (store) => {
        const inboxId = await inbox(store);
        await assert.rejects(store.deleteMailbox(USER, inboxId, { removeEmails: true }), ForbiddenError);
        const parent = await store.createMailbox(USER, { path: 'P' });
        const kid = await store.createMailbox(USER, { path: 'P/K' });
        await assert.rejects(store.deleteMailbox(USER, parent.id, { removeEmails: true }), MailboxHasChildrenError);
        const r = await store.append(USER, { mailboxIds: [kid.id, inboxId], bytes: message({}) });
        await assert.rejects(store.deleteMailbox(USER, kid.id, { removeEmails: false }), MailboxNotEmptyError);
        await store.deleteMailbox(USER, kid.id, { removeEmails: true });
        assert.equal(await store.getMailbox(USER, kid.id), null);
        const [email] = await store.getEmails(USER, [r.emailId]);
        assert.deepEqual(email?.mailboxIds, [inboxId]);
        await store.deleteMailbox(USER, parent.id, { removeEmails: false });
        const recreated = await store.createMailbox(USER, { path: 'P' });
        assert.notEqual(recreated.uidValidity, parent.uidValidity);
      });
    });

    it('applies JMAP Mailbox/set updates and publishes mailbox events', async () => {
      await withStore(async (store, bus) => {
        await store.ensureAccount(USER);
        await new Promise((res) => setImmediate(res));
        const seen: string[] = [];
        const off = bus.onAccount(USER, (e) => {
          if (e.type.startsWith('mailbox-')) seen.push(e.type);
        });
        const a = await store.createMailbox(USER, { name: 'A', parentId: null, sortOrder: 5 });
        const b = await store.createMailbox(USER, { name: 'B', parentId: null });
        const moved = await store.updateMailbox(USER, a.id, { parentId: b.id, name: 'A2', subscribed: true });
        assert.equal(moved.path, 'B/A2');
        assert.equal(moved.subscribed, true);
        assert.equal(moved.sortOrder, 5);
        await assert.rejects(store.updateMailbox(USER, b.id, { parentId: a.id }), /descendant/);
        await assert.rejects(store.updateMailbox(USER, a.id, { role: 'inbox' }), /already used/);
        const inboxMb = (await store.findMailboxByRole(USER, 'inbox'))!;
        await assert.rejects(store.updateMailbox(USER, inboxMb.id, { name: 'Other' }), ForbiddenError);
        await store.deleteMailbox(USER, a.id, { removeEmails: false });
        await new Promise((res) => setImmediate(res));
        off();
        assert.deepEqual(seen, ['mailbox-created', 'mailbox-created', 'mailbox-renamed', 'mailbox-updated', 'mailbox-deleted']);
      });
    });

    it('subscribes and unsubscribes', async () => {
      await withStore(async (store) => {
        await store.ensureAccount(USER);
        const mb = await store.createMailbox(USER, { path: 'News' });
        assert.equal(mb.subscribed, false);
        await store.updateMailbox(USER, mb.id, { subscribed: true });
        assert.equal((await store.getMailbox(USER, mb.id))?.subscribed, true);
        await store.updateMailbox(USER, mb.id, { subscribed: false });
        assert.equal((await store.getMailbox(USER, mb.id))?.subscribed, false);
      });
    });

    it('remembers subscribed names without a mailbox; CREATE takes the subscription up, DELETE leaves it', async () => {
      await withStore(async (store) => {
        await store.ensureAccount(USER);
        assert.deepEqual(await store.listOrphanSubscriptions(USER), []);
        await store.subscribePath(USER, 'Later/Box');
        await store.subscribePath(USER, 'Later/Box');
        await store.subscribePath(USER, 'Zeta');
        await store.subscribePath(USER, 'Parent');
        assert.deepEqual(await store.listOrphanSubscriptions(USER), ['Later/Box', 'Parent', 'Zeta']);

        // IMAP CREATE and JMAP create; a parent created on the way picks its subscription up too.
        const box = await store.createMailbox(USER, { path: 'Later/Box' });
        assert.equal(box.subscribed, true);
        assert.equal((await store.findMailboxByPath(USER, 'Later'))?.subscribed, false);
        const z = await store.createMailbox(USER, { name: 'Zeta', parentId: null });
        assert.equal(z.subscribed, true);
        await store.createMailbox(USER, { path: 'Parent/Child' });
        assert.equal((await store.findMailboxByPath(USER, 'Parent'))?.subscribed, true);
        assert.equal((await store.findMailboxByPath(USER, 'Parent/Child'))?.subscribed, false);
        assert.deepEqual(await store.listOrphanSubscriptions(USER), []);

        // DELETE of a subscribed mailbox leaves the name subscribed; of an unsubscribed one, nothing.
        await store.deleteMailbox(USER, box.id, { removeEmails: true });
        assert.equal(await store.findMailboxByPath(USER, 'Later/Box'), null);
        assert.deepEqual(await store.listOrphanSubscriptions(USER), ['Later/Box']);
        await store.deleteMailbox(USER, (await store.findMailboxByPath(USER, 'Later'))!.id, { removeEmails: true });
        assert.deepEqual(await store.listOrphanSubscriptions(USER), ['Later/Box']);
        // ... and a new mailbox of that name is subscribed again.
        const again = await store.createMailbox(USER, { path: 'Later/Box' });
        assert.equal(again.subscribed, true);
        assert.deepEqual(await store.listOrphanSubscriptions(USER), []);
      });
    });

    it('unsubscribes mailboxes and names; an unknown name answers false', async () => {
      await withStore(async (store) => {
        await store.ensureAccount(USER);
        assert.equal(await store.unsubscribePath(USER, 'Nowhere'), false);
        assert.equal(await store.unsubscribePath(USER, 'a//b'), false);
        await assert.rejects(store.subscribePath(USER, 'a//b'), InvalidNameError);

        await store.subscribePath(USER, 'Nowhere');
        assert.equal(await store.unsubscribePath(USER, 'Nowhere'), true);
        assert.equal(await store.unsubscribePath(USER, 'Nowhere'), false);
        assert.deepEqual(await store.listOrphanSubscriptions(USER), []);

        // Existing mailboxes: the flag changes, the orphan list does not; INBOX in any case.
        assert.equal(await store.unsubscribePath(USER, 'Sent'), true);
        assert.equal((await store.findMailboxByPath(USER, 'Sent'))?.subscribed, false);
        assert.equal(await store.unsubscribePath(USER, 'Sent'), true, 'a mailbox is a known name even when not subscribed');
        await store.subscribePath(USER, 'Sent');
        assert.equal(await store.unsubscribePath(USER, 'inbox'), true);
        assert.ok(!(await subscribedPaths(store)).includes('INBOX'));
        await store.subscribePath(USER, 'Inbox');
        assert.ok((await subscribedPaths(store)).includes('INBOX'));
        assert.deepEqual(await store.listOrphanSubscriptions(USER), []);
      });
    });

    it('a rename onto a subscribed name makes the mailbox subscribed; deleting the account forgets its names', async () => {
      await withStore(async (store) => {
        await store.ensureAccount(USER);
        await store.subscribePath(USER, 'Target');
        const src = await store.createMailbox(USER, { path: 'Source' });
        assert.equal(src.subscribed, false);
        const moved = await store.renameMailbox(USER, src.id, 'Target');
        assert.equal(moved.subscribed, true);
        assert.deepEqual(await store.listOrphanSubscriptions(USER), []);

        await store.subscribePath(USER, 'Gone/Too');
        await store.deleteAccount(USER);
        assert.deepEqual(await store.listOrphanSubscriptions(USER), []);
        await store.ensureAccount(USER);
        assert.deepEqual(await store.listOrphanSubscriptions(USER), []);
        assert.equal((await store.createMailbox(USER, { path: 'Gone/Too' })).subscribed, false);
      });
    });

    it('\\Recent: the first claimer gets each UID, up to the UID it asks for; peeking claims nothing', async () => {
      await withStore(async (store) => {
        const inboxId = await inbox(store);
        assert.deepEqual(await store.peekRecent(USER, inboxId), []);
        assert.deepEqual(await store.claimRecent(USER, inboxId), []);
        await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) });
        await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) });
        // EXAMINE / STATUS RECENT: peeking twice sees the same, and leaves them to the claimer.
        assert.deepEqual(await store.peekRecent(USER, inboxId), [1, 2]);
        assert.deepEqual(await store.peekRecent(USER, inboxId, 1), [1]);
        assert.deepEqual(await store.peekRecent(USER, inboxId), [1, 2]);
        // A session whose snapshot ends at UID 1 claims only that; UID 2 stays for the next one.
        assert.deepEqual(await store.claimRecent(USER, inboxId, 1), [1]);
        assert.deepEqual(await store.peekRecent(USER, inboxId), [2]);
        assert.deepEqual(await store.claimRecent(USER, inboxId, 2), [2]);
        assert.deepEqual(await store.claimRecent(USER, inboxId, 2), []);
        assert.deepEqual(await store.claimRecent(USER, inboxId), []);
        assert.deepEqual(await store.peekRecent(USER, inboxId), []);

        // New arrivals are recent for the next claimer only; a lower bound claims nothing.
        await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) });
        assert.deepEqual(await store.peekRecent(USER, inboxId), [3]);
        assert.deepEqual(await store.claimRecent(USER, inboxId, 2), []);
        assert.deepEqual(await store.claimRecent(USER, inboxId, 99), [3]);
        assert.deepEqual(await store.claimRecent(USER, inboxId), []);

        // Expunged before anyone claimed them: not handed out, and the claim still moves past them.
        await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) });
        await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) });
        await store.storeFlags(USER, inboxId, [4], { mode: 'add', flags: ['\\Deleted'] });
        await store.expunge(USER, inboxId);
        assert.deepEqual(await store.peekRecent(USER, inboxId), [5]);
        assert.deepEqual(await store.claimRecent(USER, inboxId), [5]);
        await assert.rejects(store.claimRecent(USER, inboxId, 1.5), InvalidArgumentError);
      });
    });

    it('\\Recent: concurrent claimers share the new UIDs without overlap; a deleted mailbox takes its claim along', async () => {
      await withStore(async (store) => {
        const inboxId = await inbox(store);
        for (let i = 0; i < 6; i++) await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) });
        const claims = await Promise.all([3, 6, 2, 6, 5].map((upTo) => store.claimRecent(USER, inboxId, upTo)));
        const all = claims.flat().sort((a, b) => a - b);
        assert.deepEqual(all, [1, 2, 3, 4, 5, 6]);

        const box = await store.createMailbox(USER, { path: 'Claims' });
        await store.append(USER, { mailboxIds: [box.id], bytes: message({}) });
        assert.deepEqual(await store.claimRecent(USER, box.id), [1]);
        await store.deleteMailbox(USER, box.id, { removeEmails: true });
        await assert.rejects(store.claimRecent(USER, box.id), NoSuchMailboxError);
        await assert.rejects(store.peekRecent(USER, box.id), NoSuchMailboxError);
        const fresh = await store.createMailbox(USER, { path: 'Claims' });
        assert.notEqual(fresh.uidValidity, box.uidValidity);
        await store.append(USER, { mailboxIds: [fresh.id], bytes: message({}) });
        assert.deepEqual(await store.peekRecent(USER, fresh.id), [1]);
        assert.deepEqual(await store.claimRecent(USER, fresh.id), [1]);
      });
    });

    it('hands each new UID to exactly one \\Recent claimer', async () => {
      await withStore(async (store) => {
        const inboxId = await inbox(store);
        await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) });
        assert.deepEqual(await store.claimRecent(USER, inboxId), [1]);
        assert.deepEqual(await store.claimRecent(USER, inboxId), []);
        await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) });
        assert.deepEqual(await store.claimRecent(USER, inboxId), [2]);
      });
    });
  });
}
