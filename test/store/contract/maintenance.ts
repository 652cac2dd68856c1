// StoreMaintenance contract: garbage collection of expired uploads, unreferenced blob files and old
// change records.
// Parameterised by backend like every suite here (see ./index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CannotCalculateChangesError } from '../../../src/store/types.js';
import { message } from '../fixtures.js';
import { USER, storeHarness, type StoreFactory } from './harness.js';

export function runMaintenanceContract(name: string, factory: StoreFactory): void {
  const { withStore, inbox } = storeHarness(factory);

  describe(`StoreMaintenance contract: ${name}`, () => {
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
  });
}
