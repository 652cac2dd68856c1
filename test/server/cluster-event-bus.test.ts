// The event bus of a server process among several (src/server/cluster/event-bus.ts), over stand-in
// IPC channels: a store commit's events (messages-added, then state-changed, as a delivery commits
// them) leave in one IPC message rather than one per event, since each message costs a
// serialisation in the sender, a parse and a re-serialisation in the supervisor and a parse in every
// other worker; the other worker still gets every event, in order, marked with the sender's node.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { ClusterEventBus } from '../../src/server/cluster/event-bus.js';
import type { ClusterMessage, EventsMessage, IpcChannel } from '../../src/server/cluster/messages.js';
import type { AccountEvent, BusEvent } from '../../src/events/types.js';
import { publishAll } from '../../src/store/sqlite/context.js';
import { waitFor } from '../support/wait.js';

/** A worker's end of the channel: what it sends is recorded; what the supervisor relays is emitted. */
class StandInChannel extends EventEmitter implements IpcChannel {
  readonly connected = true;
  readonly sent: EventsMessage[] = [];
  send = (message: ClusterMessage): boolean => {
    // As node's IPC does: the receiver gets a copy, never the sender's object.
    this.sent.push(JSON.parse(JSON.stringify(message)) as EventsMessage);
    return true;
  };
}

const commit: BusEvent[] = [
  { type: 'messages-added', account: 'alice@example.org', mailboxId: 'm1', uidValidity: 7, messages: [{ uid: 3, emailId: 'e9', modseq: 12 }], delivery: true },
  { type: 'state-changed', account: 'alice@example.org', changed: { Email: '12', Mailbox: '12', EmailDelivery: '12' } },
];

describe('ClusterEventBus', () => {
  it("sends a commit's events to the other server processes in one IPC message, in order", async () => {
    const senderChannel = new StandInChannel();
    const receiverChannel = new StandInChannel();
    const sender = new ClusterEventBus(senderChannel);
    const receiver = new ClusterEventBus(receiverChannel);
    try {
      const seenHere: AccountEvent[] = [];
      const seenThere: AccountEvent[] = [];
      sender.onAccount('alice@example.org', (e) => seenHere.push(e));
      receiver.onAccount('alice@example.org', (e) => seenThere.push(e));

      await publishAll({ events: sender }, commit);
      assert.equal(senderChannel.sent.length, 1, 'one IPC message for the commit');

      // The supervisor relays the message to the other worker as it came.
      receiverChannel.emit('message', senderChannel.sent[0]);
      await waitFor('events delivered in the receiving process', () => (seenThere.length === 2 ? true : undefined), 5000);
      assert.deepEqual(
        seenThere.map((e) => e.type),
        ['messages-added', 'state-changed'],
      );
      assert.deepEqual(seenThere[0], { ...commit[0], fromNode: sender.nodeId });
      assert.deepEqual(seenThere[1], { ...commit[1], fromNode: sender.nodeId });
      // This process's own subscribers get them too, unmarked.
      await waitFor('events delivered in the sending process', () => (seenHere.length === 2 ? true : undefined), 5000);
      assert.deepEqual(seenHere, commit);

      // A lone event (a flag change's commit has one) still goes as before, in a message of its own,
      // numbered after the commit's: the receiver sees no gap and raises no resync.
      const resyncs: unknown[] = [];
      receiver.onResync((e) => resyncs.push(e));
      await publishAll({ events: sender }, [{ type: 'state-changed', account: 'alice@example.org', changed: { Email: '13' } }]);
      assert.equal(senderChannel.sent.length, 2);
      receiverChannel.emit('message', senderChannel.sent[1]);
      await waitFor('the lone event delivered', () => (seenThere.length === 3 ? true : undefined), 5000);
      assert.deepEqual(resyncs, []);
    } finally {
      await sender.close();
      await receiver.close();
    }
  });
});
