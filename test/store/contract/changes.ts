// StateStore contract: JMAP states and /changes with paging.
// Parameterised by backend like every suite here (see ./index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CannotCalculateChangesError } from '../../../src/store/types.js';
import { message } from '../fixtures.js';
import { USER, storeHarness, type StoreFactory } from './harness.js';

export function runChangesContract(name: string, factory: StoreFactory): void {
  const { withStore, inbox } = storeHarness(factory);

  describe(`StateStore contract: ${name}`, () => {
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
}
