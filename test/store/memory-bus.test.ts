// The in-process event bus: topic routing, ordering, isolation and unsubscribe.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import type { BusEvent } from '../../src/events/types.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('MemoryEventBus', () => {
  it('routes account, mailbox and revocation events, in order, never synchronously', async () => {
    const bus = new MemoryEventBus();
    const account: string[] = [];
    const mailbox: string[] = [];
    const revoked: string[] = [];
    bus.onAccount('a', (e) => account.push(`${e.type}:${'mailboxId' in e ? e.mailboxId : ''}`));
    bus.onMailbox('a', 'm1', (e) => mailbox.push(e.type));
    bus.onRevocation((e) => revoked.push(e.sid ?? e.user ?? ''));
    const events: BusEvent[] = [
      { type: 'messages-added', account: 'a', mailboxId: 'm1', uidValidity: 1, messages: [{ uid: 1, emailId: 'e1', modseq: 2 }], delivery: true },
      { type: 'messages-added', account: 'b', mailboxId: 'm1', uidValidity: 1, messages: [], delivery: false },
      { type: 'messages-expunged', account: 'a', mailboxId: 'm2', uids: [3], modseq: 4 },
      { type: 'state-changed', account: 'a', changed: { Email: '5' } },
      { type: 'session-revoked', sid: 'S1', reason: 'logout' },
    ];
    for (const e of events) await bus.publish(e);
    assert.deepEqual(account, [], 'delivery is asynchronous');
    await tick();
    assert.deepEqual(account, ['messages-added:m1', 'messages-expunged:m2', 'state-changed:']);
    assert.deepEqual(mailbox, ['messages-added']);
    assert.deepEqual(revoked, ['S1']);
    await bus.close();
  });

  it('isolates subscribers from each other and from a throwing handler, and unsubscribes', async () => {
    const bus = new MemoryEventBus();
    const seen: number[] = [];
    const off = bus.onAccount('a', (e) => {
      if (e.type === 'messages-added') {
        seen.push(e.messages.length);
        e.messages.length = 0;
      }
      throw new Error('handler bug');
    });
    bus.onAccount('a', (e) => {
      if (e.type === 'messages-added') seen.push(e.messages.length);
    });
    await bus.publish({ type: 'messages-added', account: 'a', mailboxId: 'm', uidValidity: 1, messages: [{ uid: 1, emailId: 'e', modseq: 1 }], delivery: false });
    await tick();
    assert.deepEqual(seen, [1, 1]);
    off();
    off();
    await bus.publish({ type: 'messages-added', account: 'a', mailboxId: 'm', uidValidity: 1, messages: [], delivery: false });
    await tick();
    assert.deepEqual(seen, [1, 1, 0]);
    await bus.close();
  });
});
