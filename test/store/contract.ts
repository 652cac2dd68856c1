// Backend-independent contract of MailStore. Each backend's test file calls runStoreContract with a
// factory that returns a fresh, empty store wired to the given event bus.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MailStore } from '../../src/store/types.js';
import {
  CannotCalculateChangesError,
  ForbiddenError,
  InvalidArgumentError,
  InvalidNameError,
  MailboxExistsError,
  MailboxHasChildrenError,
  MailboxNotEmptyError,
  NoSuchMailboxError,
  OverQuotaError,
  StateMismatchError,
} from '../../src/store/types.js';
import type { AccountEvent, EventBus } from '../../src/events/types.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { message, MULTIPART } from './fixtures.js';

export interface StoreFixture {
  store: MailStore;
  /** Closes the store and removes its data. */
  dispose(): Promise<void>;
}

export type StoreFactory = (events: EventBus, options?: { quota?: { storage?: number; messages?: number } }) => Promise<StoreFixture>;

const USER = 'alice@example.org';

export function runStoreContract(name: string, factory: StoreFactory): void {
  async function withStore(
    fn: (store: MailStore, bus: MemoryEventBus) => Promise<void>,
    options?: { quota?: { storage?: number; messages?: number } },
  ): Promise<void> {
    const bus = new MemoryEventBus();
    const fx = await factory(bus, options);
    try {
      await fn(fx.store, bus);
    } finally {
      await fx.dispose();
      await bus.close();
    }
  }

  async function inbox(store: MailStore): Promise<string> {
    await store.ensureAccount(USER);
    const mb = await store.findMailboxByPath(USER, 'INBOX');
    assert.ok(mb);
    return mb.id;
  }

  function nextEvents(bus: MemoryEventBus, account: string, count: number): Promise<AccountEvent[]> {
    return new Promise((resolve) => {
      const got: AccountEvent[] = [];
      const off = bus.onAccount(account, (e) => {
        got.push(e);
        if (got.length >= count) {
          off();
          resolve(got);
        }
      });
    });
  }

  describe(`MailStore contract: ${name}`, () => {
    describe('accounts and mailboxes', () => {
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
          await store.setSubscribed(USER, mb.id, true);
          assert.equal((await store.getMailbox(USER, mb.id))?.subscribed, true);
        });
      });
    });

    describe('subscriptions to any name and \\Recent claims', () => {
      const subscribedPaths = async (store: MailStore): Promise<string[]> => (await store.listMailboxes(USER)).filter((m) => m.subscribed).map((m) => m.path);

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
    });

    describe('messages', () => {
      it('appends byte-exact with increasing UIDs and a parsed cache', async () => {
        await withStore(async (store) => {
          const inboxId = await inbox(store);
          const a = await store.append(USER, { mailboxIds: [inboxId], bytes: MULTIPART, flags: ['\\Seen', '$Forwarded'], receivedAt: new Date('2023-01-05T00:00:00Z') });
          const second = message({});
          const b = await store.append(USER, { mailboxIds: [inboxId], bytes: second });
          assert.equal(a.placements[0]!.uid, 1);
          assert.equal(b.placements[0]!.uid, 2);
          assert.ok(b.placements[0]!.modseq > a.placements[0]!.modseq);
          assert.deepEqual(await store.readMessage(USER, a.emailId), MULTIPART);
          assert.deepEqual(await store.readMessage(USER, a.emailId, { start: 0, end: 5 }), MULTIPART.subarray(0, 5));
          const [meta] = await store.getMessages(USER, inboxId, [1], { parsed: true });
          assert.ok(meta?.parsed);
          assert.deepEqual(meta.flags.sort(), ['$Forwarded', '\\Seen']);
          assert.equal(meta.receivedAt.toISOString(), '2023-01-05T00:00:00.000Z');
          assert.equal(meta.parsed.subject, 'Café report');
          assert.equal(meta.parsed.envelope.subject, '=?utf-8?q?Caf=C3=A9_report?=');
          assert.deepEqual(meta.parsed.envelope.from, [{ name: 'Carol', adl: null, mailbox: 'carol', host: 'example.net' }]);
          assert.equal(meta.parsed.hasAttachment, true);
          const body = meta.parsed.body;
          assert.equal(body.type, 'multipart');
          assert.equal(body.children.length, 2);
          const text = body.children[0]!;
          assert.equal(text.partId, '1');
          assert.equal(MULTIPART.subarray(text.bodyStart, text.end).toString(), 'Le caf=E9 est pr=EAt.');
          assert.equal(body.children[1]!.disposition?.params.filename, 'data.bin');
          assert.equal(meta.parsed.preview, 'Le café est prêt.');
          const [email] = await store.getEmails(USER, [a.emailId]);
          assert.deepEqual(email?.keywords.sort(), ['$forwarded', '$seen']);
          const mb = await store.getMailbox(USER, inboxId);
          assert.equal(mb?.totalEmails, 2);
          assert.equal(mb?.unseen, 1);
          assert.equal(mb?.uidNext, 3);
          assert.equal(mb?.size, MULTIPART.length + second.length);
        });
      });

      it('keeps keywords per email and \\Deleted per mailbox', async () => {
        await withStore(async (store) => {
          const inboxId = await inbox(store);
          const other = await store.createMailbox(USER, { path: 'Other' });
          const r = await store.append(USER, { mailboxIds: [inboxId, other.id], bytes: message({}) });
          const uidIn = r.placements[0]!.uid;
          const uidOther = r.placements[1]!.uid;
          await store.storeFlags(USER, inboxId, [uidIn], { mode: 'add', flags: ['\\Seen', '\\Deleted'] });
          const [inOther] = await store.getMessages(USER, other.id, [uidOther]);
          assert.deepEqual(inOther?.flags, ['\\Seen']);
          const [inInbox] = await store.getMessages(USER, inboxId, [uidIn]);
          assert.deepEqual(inInbox?.flags.sort(), ['\\Deleted', '\\Seen']);
          assert.ok(inOther.modseq > r.placements[1]!.modseq, 'keyword change bumps every membership');
          const exp = await store.expunge(USER, inboxId);
          assert.deepEqual(exp.uids, [uidIn]);
          const [email] = await store.getEmails(USER, [r.emailId]);
          assert.deepEqual(email?.mailboxIds, [other.id]);
        });
      });

      it('STORE with UNCHANGEDSINCE reports the modified set and changes nothing there', async () => {
        await withStore(async (store) => {
          const inboxId = await inbox(store);
          for (let i = 0; i < 3; i++) await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) });
          const snap = await store.snapshot(USER, inboxId);
          const base = snap.mailbox.highestModSeq;
          await store.storeFlags(USER, inboxId, [2], { mode: 'add', flags: ['\\Flagged'] });
          const res = await store.storeFlags(USER, inboxId, [[1, 3]], { mode: 'add', flags: ['\\Seen'], unchangedSince: base });
          assert.deepEqual(res.modified, [2]);
          assert.deepEqual(res.messages.map((m) => m.uid), [1, 3]);
          assert.ok(res.messages.every((m) => m.changed && m.flags.includes('\\Seen')));
          const [two] = await store.getMessages(USER, inboxId, [2]);
          assert.deepEqual(two?.flags, ['\\Flagged']);
          const again = await store.storeFlags(USER, inboxId, [1], { mode: 'add', flags: ['\\Seen'] });
          assert.equal(again.messages[0]!.changed, false);
          assert.equal(again.messages[0]!.modseq, res.messages[0]!.modseq);
          const replaced = await store.storeFlags(USER, inboxId, [1], { mode: 'set', flags: ['junk'] });
          assert.deepEqual(replaced.messages[0]!.flags, ['junk']);
        });
      });

      it('reports changed and vanished messages since a modseq (QRESYNC)', async () => {
        await withStore(async (store) => {
          const inboxId = await inbox(store);
          for (let i = 0; i < 4; i++) await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) });
          const since = (await store.getMailbox(USER, inboxId))!.highestModSeq;
          await store.storeFlags(USER, inboxId, [1, 3], { mode: 'add', flags: ['\\Deleted'] });
          await store.expunge(USER, inboxId, [3]);
          await store.storeFlags(USER, inboxId, [4], { mode: 'add', flags: ['\\Answered'] });
          const delta = await store.changedSince(USER, inboxId, since);
          assert.deepEqual(delta.changed.map((m) => m.uid), [1, 4]);
          assert.deepEqual(delta.vanished, [3]);
          assert.equal(delta.highestModSeq, (await store.getMailbox(USER, inboxId))!.highestModSeq);
          const snap = await store.snapshot(USER, inboxId);
          assert.deepEqual(snap.messages.map((m) => m.uid), [1, 2, 4]);
        });
      });

      it('copies and moves with a UID mapping; a copy into the same mailbox is a new email', async () => {
        await withStore(async (store) => {
          const inboxId = await inbox(store);
          const dest = await store.createMailbox(USER, { path: 'Dest' });
          for (let i = 0; i < 3; i++) await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: `m${i}` }) });
          const copy = await store.copy(USER, inboxId, [[2, 9]], dest.id);
          assert.deepEqual(copy.sourceUids, [2, 3]);
          assert.deepEqual(copy.destinationUids, [1, 2]);
          assert.equal(copy.uidValidity, dest.uidValidity);
          const moved = await store.move(USER, inboxId, [1], dest.id);
          assert.deepEqual(moved.destinationUids, [3]);
          assert.deepEqual((await store.snapshot(USER, inboxId)).messages.map((m) => m.uid), [2, 3]);
          const self = await store.copy(USER, dest.id, [1], dest.id);
          const [orig, dup] = await store.getMessages(USER, dest.id, [1, self.destinationUids[0]!]);
          assert.notEqual(orig?.emailId, dup?.emailId);
          assert.equal(orig?.blobId, dup?.blobId);
        });
      });

      it('JMAP keyword and mailboxIds patches, ifInState and destroy', async () => {
        await withStore(async (store) => {
          const inboxId = await inbox(store);
          const archive = (await store.findMailboxByRole(USER, 'archive'))!;
          const r = await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) });
          const states = await store.getStates(USER);
          const res = await store.updateEmails(USER, [
            { emailId: r.emailId, keywords: { add: ['$seen', '$Label'] }, mailboxIds: { set: [archive.id] } },
            { emailId: 'e999999', keywords: { set: [] } },
          ]);
          assert.deepEqual(res.updated, [r.emailId]);
          assert.equal(res.notUpdated[0]?.type, 'notFound');
          const [email] = await store.getEmails(USER, [r.emailId]);
          assert.deepEqual(email?.keywords.sort(), ['$label', '$seen']);
          assert.deepEqual(email?.mailboxIds, [archive.id]);
          const [inArchive] = await store.getMessages(USER, archive.id, [1]);
          assert.equal(inArchive?.emailId, r.emailId);
          assert.deepEqual((await store.changedSince(USER, inboxId, 0)).vanished, [1]);
          const empty = await store.updateEmails(USER, [{ emailId: r.emailId, mailboxIds: { set: [] } }]);
          assert.equal(empty.notUpdated[0]?.type, 'invalidProperties');
          await assert.rejects(store.destroyEmails(USER, [r.emailId], { ifInState: states.Email }), StateMismatchError);
          const d = await store.destroyEmails(USER, [r.emailId]);
          assert.deepEqual(d.destroyed, [r.emailId]);
          assert.deepEqual(await store.getEmails(USER, [r.emailId]), []);
          assert.equal(await store.readMessage(USER, r.emailId), null);
        });
      });

      it('never gives a new email, thread or mailbox the id of a destroyed one (JMAP ids are not reassigned)', async () => {
        await withStore(async (store) => {
          const inboxId = await inbox(store);
          const first = await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'one' }) });
          const newest = await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'two' }) });
          await store.destroyEmails(USER, [newest.emailId]);
          const next = await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'three' }) });
          assert.notEqual(next.emailId, newest.emailId);
          assert.notEqual(next.threadId, newest.threadId);
          assert.notEqual(next.emailId, first.emailId);
          const box = await store.createMailbox(USER, { path: 'Doomed' });
          await store.deleteMailbox(USER, box.id, { removeEmails: true });
          const again = await store.createMailbox(USER, { path: 'Doomed' });
          assert.notEqual(again.id, box.id);
          // A copy into the same mailbox is a new email too.
          const copied = await store.copy(USER, inboxId, [1], inboxId);
          const [clone] = await store.getMessages(USER, inboxId, [copied.destinationUids[0]!]);
          assert.ok(clone && ![first.emailId, newest.emailId, next.emailId].includes(clone.emailId));
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

    describe('threads, states and changes', () => {
      it('threads replies by references and base subject', async () => {
        await withStore(async (store) => {
          const inboxId = await inbox(store);
          const a = await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'Plan', messageId: 'p1@x' }) });
          const b = await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'Re: Plan', messageId: 'p2@x', inReplyTo: 'p1@x' }) });
          const c = await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'Other', messageId: 'o1@x', inReplyTo: 'p1@x' }) });
          assert.equal(a.threadId, b.threadId);
          assert.notEqual(a.threadId, c.threadId);
          const [t] = await store.getThreads(USER, [a.threadId]);
          assert.deepEqual(t?.emailIds, [a.emailId, b.emailId]);
          const mb = await store.getMailbox(USER, inboxId);
          assert.equal(mb?.totalThreads, 2);
          assert.equal(mb?.unreadThreads, 2);
          // A thread counts as unread in a mailbox holding one of its emails while any of its
          // emails, wherever it is, is unread (and not a draft).
          const archive = (await store.findMailboxByRole(USER, 'archive'))!;
          await store.updateEmails(USER, [{ emailId: b.emailId, mailboxIds: { set: [archive.id] } }]);
          await store.updateEmails(USER, [{ emailId: a.emailId, keywords: { add: ['$seen'] } }, { emailId: c.emailId, keywords: { add: ['$draft'] } }]);
          const after = await store.getMailbox(USER, inboxId);
          assert.equal(after?.totalThreads, 2);
          assert.equal(after?.unreadThreads, 1);
          await store.updateEmails(USER, [{ emailId: b.emailId, keywords: { add: ['$seen'] } }]);
          assert.equal((await store.getMailbox(USER, inboxId))?.unreadThreads, 0);
          assert.equal((await store.getMailbox(USER, archive.id))?.unreadThreads, 0);
        });
      });

      it('computes JMAP changes with paging and refuses unknown states', async () => {
        await withStore(async (store) => {
          const inboxId = await inbox(store);
          const s0 = await store.getStates(USER);
          const ids: string[] = [];
          for (let i = 0; i < 5; i++) ids.push((await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) })).emailId);
          const s1 = await store.getStates(USER);
          await store.updateEmails(USER, [{ emailId: ids[0]!, keywords: { set: ['$seen'] } }]);
          await store.destroyEmails(USER, [ids[1]!]);
          const all = await store.changes(USER, 'Email', s1.Email);
          assert.deepEqual(all.updated, [ids[0]]);
          assert.deepEqual(all.destroyed, [ids[1]]);
          assert.deepEqual(all.created, []);
          assert.equal(all.hasMoreChanges, false);
          assert.equal(all.newState, (await store.getStates(USER)).Email);
          const collected: string[] = [];
          let state = s0.Email;
          for (let guard = 0; guard < 10; guard++) {
            const page = await store.changes(USER, 'Email', state, 2);
            assert.ok(page.created.length + page.updated.length + page.destroyed.length <= 2);
            collected.push(...page.created, ...page.updated);
            state = page.newState;
            if (!page.hasMoreChanges) break;
          }
          assert.deepEqual(collected.sort(), [ids[0], ids[2], ids[3], ids[4]].sort());
          const mbChanges = await store.changes(USER, 'Mailbox', s1.Mailbox);
          assert.deepEqual(mbChanges.updated, [inboxId]);
          assert.deepEqual(mbChanges.updatedProperties, ['totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads']);
          await assert.rejects(store.changes(USER, 'Email', 'bogus'), CannotCalculateChangesError);
          await assert.rejects(store.changes(USER, 'Email', '99999999'), CannotCalculateChangesError);
        });
      });
    });

    describe('search and query', () => {
      async function seed(store: MailStore): Promise<{ inboxId: string; ids: string[] }> {
        const inboxId = await inbox(store);
        const ids: string[] = [];
        const add = async (bytes: Buffer, flags: string[], at: string) =>
          ids.push((await store.append(USER, { mailboxIds: [inboxId], bytes, flags, receivedAt: new Date(at) })).emailId);
        await add(message({ from: 'Zed <zed@example.org>', subject: 'Quarterly numbers', body: 'revenue grew strongly', date: 'Wed, 01 Feb 2023 09:00:00 +0000' }), ['\\Seen'], '2023-02-01T09:00:00Z');
        await add(message({ from: 'amy@example.org', subject: 'Lunch?', body: 'pizza or sushi', extraHeaders: ['X-Priority: 1'], date: 'Thu, 02 Feb 2023 09:00:00 +0000' }), [], '2023-02-02T09:00:00Z');
        await add(MULTIPART, ['\\Flagged'], '2023-02-03T09:00:00Z');
        return { inboxId, ids };
      }

      it('answers IMAP SEARCH criteria', async () => {
        await withStore(async (store) => {
          const { inboxId } = await seed(store);
          const q = async (criteria: Parameters<MailStore['searchMailbox']>[2]['criteria']) => (await store.searchMailbox(USER, inboxId, { criteria })).uids;
          assert.deepEqual(await q({ kind: 'all' }), [1, 2, 3]);
          assert.deepEqual(await q({ kind: 'flag', flag: '\\Seen', present: false }), [2, 3]);
          assert.deepEqual(await q({ kind: 'text', field: 'from', value: 'AMY' }), [2]);
          assert.deepEqual(await q({ kind: 'text', field: 'subject', value: 'café' }), [3]);
          assert.deepEqual(await q({ kind: 'text', field: 'body', value: 'venue gr' }), [1]);
          assert.deepEqual(await q({ kind: 'text', field: 'body', value: 'est prêt' }), [3]);
          assert.deepEqual(await q({ kind: 'text', field: 'text', value: 'X-Priority' }), [2]);
          assert.deepEqual(await q({ kind: 'text', field: 'body', value: 'qq' }), []);
          assert.deepEqual(await q({ kind: 'text', field: 'body', value: 'su' }), [2]);
          assert.deepEqual(await q({ kind: 'header', name: 'x-priority', value: '' }), [2]);
          assert.deepEqual(await q({ kind: 'header', name: 'Message-ID', value: 'multi@' }), [3]);
          assert.deepEqual(await q({ kind: 'receivedAt', notBefore: new Date('2023-02-02T00:00:00Z'), before: new Date('2023-02-03T00:00:00Z') }), [2]);
          assert.deepEqual(await q({ kind: 'sentAt', before: new Date('2023-02-01T00:00:00Z') }), [3]);
          assert.deepEqual(await q({ kind: 'size', larger: 400 }), [3]);
          assert.deepEqual(await q({ kind: 'or', of: [{ kind: 'uid', uids: [1] }, { kind: 'flag', flag: '\\Flagged', present: true }] }), [1, 3]);
          assert.deepEqual(await q({ kind: 'not', of: { kind: 'uid', uids: [[1, 2]] } }), [3]);
          const sorted = await store.searchMailbox(USER, inboxId, { criteria: { kind: 'all' }, sort: [{ key: 'subject' }] });
          assert.deepEqual(sorted.uids, [3, 2, 1]);
          const bySize = await store.searchMailbox(USER, inboxId, { criteria: { kind: 'all' }, sort: [{ key: 'size', descending: true }] });
          assert.equal(bySize.uids[0], 3);
          const byFrom = await store.searchMailbox(USER, inboxId, { criteria: { kind: 'all' }, sort: [{ key: 'from' }] });
          assert.deepEqual(byFrom.uids, [2, 3, 1]);
        });
      });

      it('answers JMAP Email/query with sorting, collapse and paging', async () => {
        await withStore(async (store) => {
          const { inboxId, ids } = await seed(store);
          const reply = await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'Re: Café report', inReplyTo: 'multi@example.net' }), receivedAt: new Date('2023-02-04T00:00:00Z') });
          const all = await store.queryEmails(USER, { filter: { kind: 'inMailbox', mailboxId: inboxId } });
          assert.deepEqual(all.ids, [reply.emailId, ids[2], ids[1], ids[0]]);
          const collapsed = await store.queryEmails(USER, { filter: { kind: 'all' }, collapseThreads: true });
          assert.deepEqual(collapsed.ids, [reply.emailId, ids[1], ids[0]]);
          assert.equal(collapsed.total, 3);
          const page = await store.queryEmails(USER, { filter: { kind: 'all' }, position: 1, limit: 2 });
          assert.deepEqual(page.ids, [ids[2], ids[1]]);
          const fast = await store.queryEmails(USER, { filter: { kind: 'all' }, position: 1, limit: 2, calculateTotal: false });
          assert.deepEqual(fast.ids, page.ids);
          const anchored = await store.queryEmails(USER, { filter: { kind: 'all' }, anchor: ids[1]!, anchorOffset: 1, limit: 5 });
          assert.deepEqual(anchored.ids, [ids[0]]);
          const thread = await store.queryEmails(USER, { filter: { kind: 'threadKeyword', keyword: '$flagged', mode: 'some' } });
          assert.deepEqual(thread.ids.sort(), [reply.emailId, ids[2]].sort());
          const att = await store.queryEmails(USER, { filter: { kind: 'hasAttachment', value: true } });
          assert.deepEqual(att.ids, [ids[2]]);
          const kw = await store.queryEmails(USER, { filter: { kind: 'flag', flag: '$seen', present: true } });
          assert.deepEqual(kw.ids, [ids[0]]);
        });
      });
      it('finds keywords and flags as they are set, cleared, copied and destroyed', async () => {
        await withStore(async (store) => {
          const inboxId = await inbox(store);
          const archive = (await store.findMailboxByRole(USER, 'archive'))!;
          const other = 'bob@example.org';
          await store.ensureAccount(other);
          const otherInbox = (await store.findMailboxByPath(other, 'INBOX'))!.id;
          await store.append(other, { mailboxIds: [otherInbox], bytes: message({}), flags: ['Project-X', '\\Flagged'] });
          const a = await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'a' }), flags: ['Project-X', '\\Seen'] });
          const b = await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'b' }), flags: ['\\Flagged'] });
          const c = await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'c' }) });
          const search = async (mb: string, flag: string, present = true) =>
            (await store.searchMailbox(USER, mb, { criteria: { kind: 'flag', flag, present } })).uids;
          const query = async (flag: string, present = true) =>
            (await store.queryEmails(USER, { filter: { kind: 'flag', flag, present } })).ids.sort();
          assert.deepEqual(await search(inboxId, 'project-x'), [1], 'keywords match case-insensitively, in this account only');
          assert.deepEqual(await search(inboxId, '\\Seen', false), [2, 3]);
          assert.deepEqual(await search(inboxId, '\\Flagged'), [2]);
          assert.deepEqual(await query('$flagged'), [b.emailId]);
          await store.storeFlags(USER, inboxId, [3], { mode: 'add', flags: ['project-x', '\\Seen', '\\Flagged'] });
          await store.storeFlags(USER, inboxId, [1], { mode: 'remove', flags: ['Project-X'] });
          assert.deepEqual(await search(inboxId, 'PROJECT-X'), [3]);
          assert.deepEqual(await search(inboxId, '\\Seen', false), [2]);
          assert.deepEqual(await search(inboxId, '\\Flagged'), [2, 3]);
          await store.updateEmails(USER, [{ emailId: a.emailId, keywords: { add: ['$label1'] } }, { emailId: b.emailId, keywords: { set: ['$label1'] } }]);
          assert.deepEqual(await query('$label1'), [a.emailId, b.emailId].sort());
          assert.deepEqual(await query('$flagged'), [c.emailId]);
          const copied = await store.copy(USER, inboxId, [2], archive.id);
          assert.deepEqual(await search(archive.id, '$label1'), copied.destinationUids);
          assert.deepEqual(await search(archive.id, '\\Seen', false), copied.destinationUids);
          await store.destroyEmails(USER, [b.emailId]);
          assert.deepEqual(await search(inboxId, '$label1'), [1]);
          assert.deepEqual(await search(inboxId, '\\Seen', false), []);
          assert.deepEqual(await query('$label1'), [a.emailId]);
        });
      });

      it('counts the whole result when it returns only a page', async () => {
        await withStore(async (store) => {
          const inboxId = await inbox(store);
          for (let i = 0; i < 9; i++) {
            const root = i - (i % 3);
            await store.append(USER, {
              mailboxIds: [inboxId],
              bytes: message({ subject: root === i ? `topic ${root}` : `Re: topic ${root}`, messageId: `t${i}@x`, ...(root !== i ? { inReplyTo: `t${root}@x` } : {}) }),
              receivedAt: new Date(Date.UTC(2024, 0, 1 + i)),
              flags: i % 2 ? ['\\Seen'] : [],
            });
          }
          const filter = { kind: 'inMailbox', mailboxId: inboxId } as const;
          const page = await store.queryEmails(USER, { filter, collapseThreads: true, limit: 2 });
          assert.equal(page.ids.length, 2);
          assert.equal(page.total, 3);
          const flat = await store.queryEmails(USER, { filter, position: 3, limit: 2 });
          assert.equal(flat.total, 9);
          assert.equal(flat.position, 3);
          const all = await store.queryEmails(USER, { filter });
          assert.deepEqual(flat.ids, all.ids.slice(3, 5));
          const unread = await store.queryEmails(USER, { filter: { kind: 'and', of: [filter, { kind: 'flag', flag: '$seen', present: false }] }, limit: 1 });
          assert.equal(unread.total, 5);
          const bounded = await store.queryEmails(USER, { filter, limit: 2, calculateTotal: false });
          assert.deepEqual(bounded.ids, all.ids.slice(0, 2));
        });
      });
    });

    describe('quota', () => {
      it('refuses appends and copies over the storage or message quota with a typed error', async () => {
        await withStore(
          async (store) => {
            const inboxId = await inbox(store);
            await store.append(USER, { mailboxIds: [inboxId], bytes: Buffer.alloc(600, 65) });
            const err = await store.append(USER, { mailboxIds: [inboxId], bytes: Buffer.alloc(600, 66) }).catch((e: unknown) => e);
            assert.ok(err instanceof OverQuotaError);
            assert.equal(err.resource, 'storage');
            assert.equal(err.limit, 1000);
            const usage = await store.getQuota(USER);
            assert.deepEqual(usage, { storage: { used: 600, limit: 1000 }, messages: { used: 1, limit: 3 } });
            await store.append(USER, { mailboxIds: [inboxId], bytes: Buffer.alloc(100, 67) });
            await store.append(USER, { mailboxIds: [inboxId], bytes: Buffer.alloc(100, 68) });
            const countErr = await store.append(USER, { mailboxIds: [inboxId], bytes: Buffer.alloc(10, 69) }).catch((e: unknown) => e);
            assert.ok(countErr instanceof OverQuotaError);
            assert.equal(countErr.resource, 'messages');
            await assert.rejects(store.copy(USER, inboxId, [2], inboxId), OverQuotaError);
            await store.setQuota(USER, { storage: 0, messages: 0 });
            await store.copy(USER, inboxId, [2], inboxId);
            assert.equal((await store.getQuota(USER)).messages.used, 4);
          },
          { quota: { storage: 1000, messages: 3 } },
        );
      });
    });

    describe('events', () => {
      it('publishes added, flag, expunge and state events after commit', async () => {
        await withStore(async (store, bus) => {
          const inboxId = await inbox(store);
          await new Promise((res) => setImmediate(res)); // let account creation events drain first
          const perMailbox: string[] = [];
          const off = bus.onMailbox(USER, inboxId, (e) => perMailbox.push(e.type));
          const added = nextEvents(bus, USER, 2);
          const r = await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) }, { origin: 's1', delivery: true });
          const [a, s] = await added;
          assert.equal(a?.type, 'messages-added');
          if (a?.type === 'messages-added') {
            assert.deepEqual(a.messages, [{ uid: 1, emailId: r.emailId, modseq: r.placements[0]!.modseq }]);
            assert.equal(a.origin, 's1');
            assert.equal(a.delivery, true);
          }
          assert.equal(s?.type, 'state-changed');
          if (s?.type === 'state-changed') {
            const states = await store.getStates(USER);
            assert.equal(s.changed.Email, states.Email);
            assert.equal(s.changed.EmailDelivery, states.EmailDelivery);
          }
          const flagged = nextEvents(bus, USER, 1);
          await store.storeFlags(USER, inboxId, [1], { mode: 'add', flags: ['\\Deleted'] });
          const [f] = await flagged;
          assert.equal(f?.type, 'flags-changed');
          const gone = nextEvents(bus, USER, 1);
          await store.expunge(USER, inboxId);
          const [x] = await gone;
          assert.equal(x?.type, 'messages-expunged');
          if (x?.type === 'messages-expunged') assert.deepEqual(x.uids, [1]);
          await new Promise((res) => setImmediate(res));
          off();
          assert.deepEqual(perMailbox, ['messages-added', 'flags-changed', 'messages-expunged']);
        });
      });
    });

    describe('blobs, settings, queue, revocations', () => {
      it('lets an account read only its own blobs', async () => {
        await withStore(async (store) => {
          await store.ensureAccount(USER);
          await store.ensureAccount('bob');
          const up = await store.uploadBlob(USER, Buffer.from('attachment'), 'text/plain');
          assert.deepEqual(await store.readBlob(USER, up.blobId), Buffer.from('attachment'));
          assert.deepEqual(await store.readBlob(USER, up.blobId, { start: 2, end: 5 }), Buffer.from('tac'));
          assert.equal(await store.readBlob('bob', up.blobId), null);
          assert.equal(await store.readBlob(USER, '../../etc/passwd'), null);
          const inboxId = (await store.findMailboxByPath(USER, 'INBOX'))!.id;
          const r = await store.append(USER, { mailboxIds: [inboxId], bytes: message({}) });
          assert.ok(await store.readBlob(USER, r.blobId));
          assert.equal(await store.readBlob('bob', r.blobId), null);
          assert.equal(await store.readMessage('bob', r.emailId), null);
        });
      });

      it('collects expired uploads and unreferenced blobs, and old change records', async () => {
        await withStore(async (store) => {
          const inboxId = await inbox(store);
          const up = await store.uploadBlob(USER, Buffer.from('temporary upload'), 'text/plain');
          const kept = await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'kept' }) });
          const gone = await store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: 'gone' }) });
          const before = await store.getStates(USER);
          await store.destroyEmails(USER, [gone.emailId]);
          assert.equal(await store.collectGarbage(), 0, 'young files are never collected');
          const removed = await store.collectGarbage(new Date(Date.now() + 40 * 24 * 3600 * 1000));
          assert.equal(removed, 2);
          assert.equal(await store.readBlob(USER, up.blobId), null);
          assert.ok(await store.readMessage(USER, kept.emailId));
          await assert.rejects(store.changes(USER, 'Email', before.Email), CannotCalculateChangesError);
          const now = await store.getStates(USER);
          assert.equal((await store.changes(USER, 'Email', now.Email)).hasMoreChanges, false);
        });
      });

      it('stores settings with states', async () => {
        await withStore(async (store) => {
          await store.ensureAccount(USER);
          assert.deepEqual(await store.getSetting(USER, 'vacation'), { value: null, state: '0' });
          const s1 = await store.setSetting(USER, 'vacation', { isEnabled: true });
          assert.deepEqual((await store.getSetting(USER, 'vacation')).value, { isEnabled: true });
          await assert.rejects(store.setSetting(USER, 'vacation', null, { ifInState: '0' }), StateMismatchError);
          await store.setSetting(USER, 'vacation', null, { ifInState: s1 });
        });
      });

      it('queues outbound mail with leases and per-recipient outcomes', async () => {
        await withStore(async (store) => {
          const item = await store.enqueueOutbound({ sender: 'a@x', recipients: ['b@y', 'c@z'], bytes: Buffer.from('msg'), meta: { emailId: 'e1' } });
          const claimed = await store.claimOutbound({ owner: 'w1', leaseMs: 60_000, limit: 10 });
          assert.deepEqual(claimed.map((c) => c.id), [item.id]);
          assert.deepEqual(await store.claimOutbound({ owner: 'w2', leaseMs: 60_000, limit: 10 }), []);
          assert.equal(await store.cancelOutbound(item.id), false);
          const after = await store.recordDeliveryAttempt(item.id, 'w1', {
            results: [{ address: 'b@y', outcome: 'delivered', response: '250 ok' }, { address: 'c@z', outcome: 'deferred', response: '451 later' }],
            nextAttemptAt: new Date(Date.now() + 60_000),
          });
          assert.equal(after.status, 'queued');
          assert.equal(after.attempts, 1);
          assert.deepEqual(after.recipients.map((r) => r.status), ['delivered', 'pending']);
          assert.deepEqual(await store.readOutbound(item.id), Buffer.from('msg'));
          const later = await store.claimOutbound({ owner: 'w1', leaseMs: 1000, limit: 10, now: new Date(Date.now() + 120_000) });
          const done = await store.recordDeliveryAttempt(later[0]!.id, 'w1', { results: [{ address: 'c@z', outcome: 'failed', response: '550 no' }], nextAttemptAt: null });
          assert.equal(done.status, 'done');
          assert.deepEqual(done.meta, { emailId: 'e1' });
        });
      });

      it('remembers revocations until they expire, per issuer, the latest revocation time winning', async () => {
        await withStore(async (store) => {
          const now = Date.now();
          const at = (ms: number): Date => new Date(now + ms);
          await store.addRevocation({ kind: 'sid', value: 'S1', issuer: 'https://idp', revokedAt: at(0), expiresAt: at(60_000) });
          await store.addRevocation({ kind: 'jti', value: 'J1', issuer: 'https://idp', revokedAt: at(0), expiresAt: at(-1) });
          assert.deepEqual(await store.revokedAt('sid', 'S1', ['https://idp', ''], at(0)), at(0));
          assert.equal(await store.revokedAt('sid', 'S1', ['https://other', ''], at(0)), undefined, 'another provider’s sid');
          assert.equal(await store.revokedAt('sid', 'S1', [], at(0)), undefined);
          assert.equal(await store.revokedAt('jti', 'J1', ['https://idp'], at(0)), undefined, 'expired entries no longer count');
          assert.equal(await store.revokedAt('sid', 'S1', ['https://idp'], at(60_000)), undefined);

          // Revoking again keeps the later revocation time and the later expiry.
          await store.addRevocation({ kind: 'user', value: 'u@x', issuer: '', revokedAt: at(5000), expiresAt: at(10_000) });
          await store.addRevocation({ kind: 'user', value: 'u@x', issuer: '', revokedAt: at(1000), expiresAt: at(90_000) });
          assert.deepEqual(await store.revokedAt('user', 'u@x', [''], at(30_000)), at(5000));
          // Across issuers the latest revocation counts.
          await store.addRevocation({ kind: 'sub', value: 's', issuer: 'https://idp', revokedAt: at(2000), expiresAt: at(60_000) });
          await store.addRevocation({ kind: 'sub', value: 's', issuer: '', revokedAt: at(3000), expiresAt: at(60_000) });
          assert.deepEqual(await store.revokedAt('sub', 's', ['https://idp', ''], at(0)), at(3000));

          assert.equal(await store.purgeExpiredRevocations(at(0)), 1, 'only the expired jti goes');
          assert.equal(await store.purgeExpiredRevocations(at(60_000)), 3);
          assert.deepEqual(await store.revokedAt('user', 'u@x', [''], at(60_000)), at(5000));
        });
      });

      it('remembers logout token jtis: a replay is refused until the jti expires', async () => {
        await withStore(async (store) => {
          const now = Date.now();
          const at = (ms: number): Date => new Date(now + ms);
          assert.equal(await store.rememberLogoutJti('https://idp', 'lj', at(60_000), at(0)), true);
          assert.equal(await store.rememberLogoutJti('https://idp', 'lj', at(60_000), at(1000)), false, 'replay');
          assert.equal(await store.rememberLogoutJti('https://other', 'lj', at(60_000), at(1000)), true, 'another provider’s jti');
          assert.equal(await store.rememberLogoutJti('https://idp', 'lj', at(120_000), at(61_000)), true, 'an expired jti is not a replay');
          assert.equal(await store.purgeExpiredRevocations(at(61_000)), 1);
          assert.equal(await store.rememberLogoutJti('https://idp', 'lj', at(120_000), at(62_000)), false);
        });
      });
    });

    describe('faults', () => {
      it('stores malformed messages byte-exact and never throws from append', async () => {
        await withStore(async (store) => {
          const inboxId = await inbox(store);
          const samples = [
            Buffer.alloc(0),
            Buffer.from('no headers at all, just text\r\n'),
            Buffer.from('Subject: caf\xe9 \xff\xfe\r\nFrom: \xc3\xa9 <x@y>\r\n\r\n8-bit body \x80\x81\r\n', 'latin1'),
            Buffer.from('Content-Type: multipart/mixed; boundary="never"\r\n\r\nno boundary here\r\n'),
            Buffer.from('Content-Type: multipart/mixed\r\n\r\nmissing boundary parameter\r\n'),
            Buffer.from('Content-Type: text/plain; charset=x-unknown\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@not base64!!\r\n'),
            Buffer.from('Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nbroken =ZZ soft=\r\n'),
            Buffer.from('From: <<<@@@>>>\r\nTo: ,,,;;;\r\nDate: not a date\r\nSubject: =?bogus?X?abc?=\r\n\r\nbody'),
            Buffer.from('Content-Type: multipart/mixed; boundary=a\r\n\r\n' + '--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n'.repeat(200)),
            Buffer.from([0, 1, 2, 3, 255, 254, 13, 10, 13, 10, 0]),
          ];
          for (const bytes of samples) {
            const r = await store.append(USER, { mailboxIds: [inboxId], bytes });
            assert.deepEqual(await store.readMessage(USER, r.emailId), bytes);
            const [meta] = await store.getMessages(USER, inboxId, [r.placements[0]!.uid], { parsed: true });
            assert.ok(meta?.parsed?.body);
            assert.equal(meta.size, bytes.length);
          }
          const found = await store.searchMailbox(USER, inboxId, { criteria: { kind: 'text', field: 'body', value: 'just text' } });
          assert.deepEqual(found.uids, [2]);
        });
      });

      it('never duplicates a UID or loses a flag under concurrent writers', async () => {
        await withStore(async (store) => {
          const inboxId = await inbox(store);
          const appends = await Promise.all(
            Array.from({ length: 60 }, (_, i) => store.append(USER, { mailboxIds: [inboxId], bytes: message({ subject: `c${i}` }) })),
          );
          const uids = appends.map((a) => a.placements[0]!.uid).sort((a, b) => a - b);
          assert.deepEqual(uids, Array.from({ length: 60 }, (_, i) => i + 1));
          const keywords = Array.from({ length: 20 }, (_, i) => `k${i}`);
          await Promise.all(keywords.map((k) => store.storeFlags(USER, inboxId, [[1, 60]], { mode: 'add', flags: [k] })));
          const snap = await store.snapshot(USER, inboxId);
          for (const m of snap.messages) assert.equal(m.flags.length, 20, `uid ${m.uid} lost a flag`);
          const modseqs = new Set(snap.messages.map((m) => m.modseq));
          assert.equal(modseqs.size, 60);
        });
      });
    });
  });
}
