// QuotaStore contract: storage and message limits, usage, and the three levels of limits (the
// account's own, its domain's, the server's) resolved per resource as James does.
// Parameterised by backend like every suite here (see ./index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError, OverQuotaError } from '../../../src/store/types.js';
import { message } from '../fixtures.js';
import { USER, storeHarness, type StoreFactory } from './harness.js';

const UNSET = { storage: null, messages: null };
const OTHER_DOMAIN_USER = 'carol@elsewhere.test';

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
          const defaults = { storage: 1000, messages: 3 };
          assert.deepEqual(await store.getQuotaLimits(USER), { user: UNSET, domain: UNSET, global: UNSET, defaults, computed: defaults });
          await store.setQuota(USER, { storage: 0, messages: 0 });
          assert.deepEqual(await store.getQuotaLimits(USER), {
            user: { storage: 0, messages: 0 },
            domain: UNSET,
            global: UNSET,
            defaults,
            computed: { storage: 0, messages: 0 },
          });
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

    it("applies the user's limit, else the domain's, else the server's, else the default, per resource", async () => {
      await withStore(
        async (store) => {
          const inboxId = await inbox(store);
          await store.ensureAccount(OTHER_DOMAIN_USER);
          const limits = async (account: string) => (await store.getQuota(account)).messages.limit;
          assert.equal(await limits(USER), 50, 'the configured default');

          await store.setScopeQuota(null, { storage: null, messages: 20 });
          assert.equal(await limits(USER), 20, 'the server level over the default');
          assert.equal(await limits(OTHER_DOMAIN_USER), 20);
          const states = (await store.getStates(USER)).Quota;
          assert.equal((await store.getQuota(USER)).limitsState, states, 'a server limit change is a Quota limits state of its accounts');

          await store.setScopeQuota('EXAMPLE.org', { storage: 5000, messages: 1 });
          assert.equal(await limits(USER), 1, "the domain level over the server's (domain names compared in lower case)");
          assert.equal(await limits(OTHER_DOMAIN_USER), 20, 'another domain keeps the server level');
          assert.deepEqual((await store.getScopeQuota('example.org')).computed, { storage: 5000, messages: 1 });
          assert.deepEqual((await store.getScopeQuota(null)).global, { storage: null, messages: 20 });
          assert.notEqual((await store.getStates(USER)).Quota, states, 'the domain change reached its account');

          await store.append(USER, { mailboxIds: [inboxId], bytes: Buffer.alloc(10, 65) });
          const refused = await store.append(USER, { mailboxIds: [inboxId], bytes: Buffer.alloc(10, 66) }).catch((e: unknown) => e);
          assert.ok(refused instanceof OverQuotaError, 'the domain limit is enforced');
          assert.equal(refused.limit, 1);

          await store.setQuota(USER, { storage: null, messages: 0 });
          await store.append(USER, { mailboxIds: [inboxId], bytes: Buffer.alloc(10, 67) });
          const sources = await store.getQuotaLimits(USER);
          assert.deepEqual(sources.user, { storage: null, messages: 0 });
          assert.deepEqual(sources.domain, { storage: 5000, messages: 1 });
          assert.deepEqual(sources.computed, { storage: 5000, messages: 0 }, "the user's unlimited count, the domain's size");

          await store.setQuota(USER, null);
          await store.setScopeQuota('example.org', UNSET);
          assert.deepEqual((await store.getQuotaLimits(USER)).computed, { storage: 100_000, messages: 20 }, 'back to the server level and the default');
          await store.setScopeQuota(null, UNSET);
          assert.equal(await limits(USER), 50);
          await assert.rejects(store.setScopeQuota('example.org', { storage: -1, messages: null }), InvalidArgumentError);
        },
        { quota: { storage: 100_000, messages: 50 } },
      );
    });
  });
}
