// MessageReader contract: QRESYNC deltas (changed and vanished since a modseq) and threads.
// Parameterised by backend like every suite here (see ./index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { message } from '../fixtures.js';
import { USER, storeHarness, type StoreFactory } from './harness.js';

export function runMessageReadsContract(name: string, factory: StoreFactory): void {
  const { withStore, inbox } = storeHarness(factory);

  describe(`MessageReader contract: ${name}`, () => {
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
  });
}
