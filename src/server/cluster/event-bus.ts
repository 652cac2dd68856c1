// The event bus of a worker when several server processes share one SQLite store
// (`server.processes` > 1): the counterpart of the PostgreSQL relay (store/postgres/event-relay.ts)
// over the cluster IPC channel instead of LISTEN/NOTIFY, with the same wire format and the same
// resync semantics.
//
// An event published here is handed to this worker's subscribers at once (the in-process bus) and
// sent to the primary, which hands it to every other worker; they deliver it in the order it was
// sent. The IPC channel is ordered and loses nothing while both ends live, but a payload that cannot
// be sent (the channel is closing) or a gap in a sender's sequence numbers raises `resync`, and
// subscribers re-read what they show from the store, exactly as after a PostgreSQL reconnection.
import { randomBytes } from 'node:crypto';
import { RelayedEventBus } from '../../events/relayed-bus.js';
import type { BusEvent } from '../../events/types.js';
import type { Logger } from '../../log/logger.js';
import { metrics } from '../../core/metrics.js';
import { packPayloads, PayloadSequencer, splitForWire } from '../../store/postgres/event-wire.js';
import { asClusterMessage, type IpcChannel } from './messages.js';

const resyncs = metrics.counter(
  'tessera_cluster_event_resyncs_total',
  'Times this worker may have missed events from the other server processes and made its subscribers re-read the store.',
);

export class ClusterEventBus extends RelayedEventBus {
  readonly nodeId: string;
  private readonly sequencer: PayloadSequencer;
  private seq = 0;
  private closed = false;
  private readonly onMessage = (message: unknown): void => this.received(message);

  constructor(
    private readonly channel: IpcChannel,
    private readonly logger?: Logger,
  ) {
    super(logger);
    this.nodeId = `w${process.pid}-${randomBytes(3).toString('hex')}`;
    this.sequencer = new PayloadSequencer(this.nodeId);
    channel.on('message', this.onMessage);
  }

  publish(event: BusEvent): Promise<void> {
    return this.publishMany([event]);
  }

  /**
   * A store commit's events (messages-added, then state-changed) as one IPC message: each message
   * costs a serialisation here, a parse and a re-serialisation in the supervisor and a parse in
   * every other worker, which was a tenth of a submitted message's CPU when sent one per event.
   */
  async publishMany(events: readonly BusEvent[]): Promise<void> {
    if (this.closed || events.length === 0) return;
    for (const event of events) await this.local.publish(event);
    // Packed (numbered) and sent in one synchronous run, so two publishers never interleave their
    // sequence numbers on the channel. No defensive copy: splitForWire never changes the event, and
    // JSON is taken of it right here.
    const payloads = packPayloads(
      this.nodeId,
      events.flatMap((event) => splitForWire(event)),
      () => ++this.seq,
    );
    let sent = false;
    try {
      if (this.channel.connected !== false && this.channel.send) {
        // false only means the channel is backed up: the message is queued all the same.
        this.channel.send({ tessera: 'events', payloads });
        sent = true;
      }
    } catch (err) {
      this.logger?.warn({ err: (err as Error).message }, 'event bus: cannot reach the supervising process');
    }
    // Unsent numbers leave a gap the other workers notice at this worker's next payload: they resync.
    if (!sent) this.logger?.warn({ types: events.map((e) => e.type) }, 'event bus: events not sent to the other server processes; they will resynchronise');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.channel.off('message', this.onMessage);
    await this.local.close();
  }

  private received(raw: unknown): void {
    const message = asClusterMessage(raw);
    if (message?.tessera !== 'events' || this.closed) return;
    for (const payload of message.payloads) {
      let received;
      try {
        received = this.sequencer.accept(payload);
      } catch (err) {
        this.logger?.warn({ err: (err as Error).message }, 'event bus: ignoring a payload that is not ours');
        continue;
      }
      if (received.kind !== 'deliver') continue;
      if (received.missed) {
        this.logger?.warn(received.missed, 'event bus: events of another server process missed; resynchronising');
        this.resync(`events from server process ${received.missed.from} missed`);
      }
      this.deliverRemote(received.items, received.node, (reason, account) => this.resync(reason, account));
    }
  }

  private resync(reason: string, account?: string): void {
    resyncs.inc();
    this.local.raiseResync({ type: 'resync', reason, ...(account !== undefined ? { account } : {}) });
  }
}
