// OutboundQueue contract: leases and per-recipient outcomes.
// Parameterised by backend like every suite here (see ./index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { storeHarness, type StoreFactory } from './harness.js';
import { readAll } from '../../../src/store/byte-sources.js';

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
        assert.deepEqual(await readAll((await store.openOutbound(item.id))!), Buffer.from('msg'));
        const later = await store.claimOutbound({ owner: 'w1', leaseMs: 1000, limit: 10, now: new Date(Date.now() + 120_000) });
        const done = await store.recordDeliveryAttempt(later[0]!.id, 'w1', { results: [{ address: 'c@z', outcome: 'failed', response: '550 no' }], nextAttemptAt: null });
        assert.equal(done.status, 'done');
        assert.deepEqual(done.meta, { emailId: 'e1' });
      });
    });

    it('renews a lease only for its holder, and a renewed lease keeps other workers off', async () => {
      await withStore(async (store) => {
        const t0 = Date.now();
        const item = await store.enqueueOutbound({ sender: 'a@x', recipients: ['b@y'], bytes: Buffer.from('msg'), nextAttemptAt: new Date(t0) });
        assert.equal((await store.claimOutbound({ owner: 'w1', leaseMs: 1000, limit: 10, now: new Date(t0) })).length, 1);
        assert.equal(await store.renewOutboundLease(item.id, 'w2', 1000, new Date(t0 + 500)), false, 'not the holder');
        assert.equal(await store.renewOutboundLease(item.id, 'w1', 1000, new Date(t0 + 900)), true);
        // Past the first lease but within the renewed one: still w1's.
        assert.deepEqual(await store.claimOutbound({ owner: 'w2', leaseMs: 1000, limit: 10, now: new Date(t0 + 1500) }), []);
        // Past the renewed one: w2 takes it, and w1 can neither renew nor record any more.
        assert.equal((await store.claimOutbound({ owner: 'w2', leaseMs: 1000, limit: 10, now: new Date(t0 + 2000) })).length, 1);
        assert.equal(await store.renewOutboundLease(item.id, 'w1', 1000, new Date(t0 + 2100)), false);
        await assert.rejects(store.recordDeliveryAttempt(item.id, 'w1', { results: [{ address: 'b@y', outcome: 'delivered' }], nextAttemptAt: null }));
        const done = await store.recordDeliveryAttempt(item.id, 'w2', { results: [{ address: 'b@y', outcome: 'delivered' }], nextAttemptAt: null });
        assert.equal(done.status, 'done');
        assert.equal(await store.renewOutboundLease(item.id, 'w2', 1000, new Date(t0 + 2200)), false, 'a finished item has no lease');
        assert.equal(await store.renewOutboundLease('q-nonsense', 'w2', 1000), false);
      });
    });

    it('keeps the envelope DSN request, per-recipient NOTIFY/ORCPT and the delay reported', async () => {
      await withStore(async (store) => {
        const item = await store.enqueueOutbound({
          sender: 'a@x',
          recipients: [{ address: 'c@y', notify: ['SUCCESS', 'DELAY'], orcpt: { type: 'rfc822', address: 'c+orig@y' } }, { address: 'd@y', notify: [] }, 'e@y'],
          envelope: { ret: 'HDRS', envid: 'id-1', smtputf8: true, requireTls: true },
          bytes: Buffer.from('msg'),
        });
        const again = (await store.getOutbound(item.id))!;
        assert.deepEqual(again.envelope, { ret: 'HDRS', envid: 'id-1', smtputf8: true, requireTls: true });
        assert.deepEqual(again.recipients, [
          { address: 'c@y', notify: ['SUCCESS', 'DELAY'], orcpt: { type: 'rfc822', address: 'c+orig@y' }, status: 'pending', lastResponse: null },
          { address: 'd@y', notify: [], status: 'pending', lastResponse: null },
          { address: 'e@y', status: 'pending', lastResponse: null },
        ]);
        const plain = await store.enqueueOutbound({ sender: 'a@x', recipients: ['f@y'], bytes: Buffer.from('m2') });
        assert.deepEqual(plain.envelope, {});
        await store.claimOutbound({ owner: 'w1', leaseMs: 60_000, limit: 10 });
        const after = await store.recordDeliveryAttempt(item.id, 'w1', {
          results: [{ address: 'c@y', outcome: 'deferred', response: '451 later', delayReported: true }],
          nextAttemptAt: new Date(Date.now() + 60_000),
        });
        assert.equal(after.recipients[0]!.delayReported, true);
        assert.equal(after.recipients[1]!.delayReported, undefined);
        assert.deepEqual(after.envelope, { ret: 'HDRS', envid: 'id-1', smtputf8: true, requireTls: true });
      });
    });

    it('an administrator removes queued mail not held by a worker, and flushes delayed mail', async () => {
      await withStore(async (store) => {
        const later = new Date(Date.now() + 3600_000);
        const a = await store.enqueueOutbound({ sender: 'a@x', recipients: ['b@y'], bytes: Buffer.from('1'), nextAttemptAt: later });
        const b = await store.enqueueOutbound({ sender: 'a@x', recipients: ['c@y'], bytes: Buffer.from('2'), nextAttemptAt: later });
        const c = await store.enqueueOutbound({ sender: 'a@x', recipients: ['d@y'], bytes: Buffer.from('3') });
        assert.deepEqual((await store.claimOutbound({ owner: 'w1', leaseMs: 60_000, limit: 10 })).map((i) => i.id), [c.id], 'only the due one');
        assert.equal(await store.removeOutbound(c.id), false, 'a worker holds it');
        assert.equal(await store.removeOutbound(a.id), true);
        assert.equal(await store.removeOutbound(a.id), false, 'already gone');
        assert.equal(await store.removeOutbound('not-an-id'), false);
        assert.equal(await store.getOutbound(a.id), null);
        const now = new Date();
        assert.equal(await store.rescheduleOutbound(now), 1, 'the delayed one moves; the due, leased one is left alone');
        assert.equal((await store.getOutbound(b.id))!.nextAttemptAt.getTime(), now.getTime());
        assert.deepEqual((await store.claimOutbound({ owner: 'w2', leaseMs: 60_000, limit: 10, now: new Date(now.getTime() + 1) })).map((i) => i.id), [b.id]);
      });
    });
  });
}
