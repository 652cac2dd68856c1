// OutboundQueue contract: leases and per-recipient outcomes.
// Parameterised by backend like every suite here (see ./index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { storeHarness, type StoreFactory } from './harness.js';

export function runOutboundContract(name: string, factory: StoreFactory): void {
  const { withStore } = storeHarness(factory);

  describe(`OutboundQueue contract: ${name}`, () => {
    it('queues outbound mail with leases and per-recipient outcomes', async () => {
      await withStore(async (store) => {
        const item = await store.enqueueOutbound({ sender: 'a@x', recipients: ['b@y', 'c@z'], bytes: Buffer.from('msg'), meta: { emailId: 'e1' } });
        const claimed = await store.claimOutbound({ owner: 'w1', leaseMs: 60_000, limit: 10 });
        assert.deepEqual(claimed.map((c) => c.id), [item.id]);
        assert.deepEqual(await store.claimOutbound({ owner: 'w2', leaseMs: 60_000, limit: 10 }), []);
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
  });
}
