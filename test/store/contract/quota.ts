// QuotaStore contract: storage and message limits, usage, per-account overrides.
// Parameterised by backend like every suite here (see ./index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OverQuotaError } from '../../../src/store/types.js';
import { message } from '../fixtures.js';
import { USER, storeHarness, type StoreFactory } from './harness.js';

export function runQuotaContract(name: string, factory: StoreFactory): void {
  const { withStore, inbox } = storeHarness(factory);

  describe(`QuotaStore contract: ${name}`, () => {
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
          // Default limits (configuration) have no state of their own: '0'.
          assert.deepEqual(usage, { storage: { used: 600, limit: 1000 }, messages: { used: 1, limit: 3 }, limitsState: '0' });
          await store.append(USER, { mailboxIds: [inboxId], bytes: Buffer.alloc(100, 67) });
          await store.append(USER, { mailboxIds: [inboxId], bytes: Buffer.alloc(100, 68) });
          const countErr = await store.append(USER, { mailboxIds: [inboxId], bytes: Buffer.alloc(10, 69) }).catch((e: unknown) => e);
          assert.ok(countErr instanceof OverQuotaError);
          assert.equal(countErr.resource, 'messages');
          await assert.rejects(store.copy(USER, inboxId, [2], inboxId), OverQuotaError);
          assert.deepEqual(await store.getQuotaLimits(USER), { override: null, defaults: { storage: 1000, messages: 3 } });
          await store.setQuota(USER, { storage: 0, messages: 0 });
          assert.deepEqual(await store.getQuotaLimits(USER), { override: { storage: 0, messages: 0 }, defaults: { storage: 1000, messages: 3 } });
          const limitsState = (await store.getStates(USER)).Quota;
          assert.equal((await store.getQuota(USER)).limitsState, limitsState, 'setting the limits is a Quota state of its own');
          await store.copy(USER, inboxId, [2], inboxId);
          const after = await store.getQuota(USER);
          assert.equal(after.messages.used, 4);
          assert.equal(after.limitsState, limitsState, 'usage changes leave limitsState alone');
          assert.notEqual((await store.getStates(USER)).Quota, limitsState);
        },
        { quota: { storage: 1000, messages: 3 } },
      );
    });
  });
}
