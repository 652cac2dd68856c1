// The event bus of a cluster: every node on one PostgreSQL database hears every other node's events
// through LISTEN/NOTIFY, PostgreSQL's own mechanism, without another coordination service.
//
// - One listening connection per node, on a channel named after the store's schema (nodes of other
//   installations in the same database do not hear each other), plus one connection that sends.
// - The store's events travel with the write that made them: the PostgreSQL store asks for them
//   packed (notifyInTx) and sends the NOTIFYs in the COMMIT's own round trip, so PostgreSQL delivers
//   them exactly when, and only if, that transaction commits. A node killed, or cut off from the
//   database, right after a commit cannot leave the others unaware of it. This node's subscribers
//   get the events from the in-process bus once the commit is acknowledged.
// - An event published here (revocations, session control: what no store transaction carries) is
//   handed to this node's subscribers at once and queued for NOTIFY on the sending connection;
//   batches go out in one round trip. Both paths pack and split under the 8000-byte payload limit
//   (event-wire.ts) and share one sequence of numbers. Receivers skip their own node's
//   notifications, so nothing is delivered twice.
// - Notifications are not durable: what is sent while a node's listening connection is down is lost
//   to it. So after every reconnection, and whenever a number of a sender stays missing for longer
//   than the reorder window, the node raises a `resync` event and its subscribers re-read what they
//   show from the store (IMAP sessions their selected mailbox, JMAP push the account states,
//   session control the revocation table) instead of trusting that they saw everything. The window
//   is there because transactions commit in another order than they took their numbers (see
//   PayloadSequencer); numbers of a transaction that rolled back are announced as such.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { RelayedEventBus } from '../../events/relayed-bus.js';
import type { BusEvent, ResyncEvent } from '../../events/types.js';
import type { Logger } from '../../log/logger.js';
import { metrics } from '../../core/metrics.js';
import { type Missed, packPayloads, PayloadSequencer, splitForWire, standInPayload } from './event-wire.js';

const notificationsSent = metrics.counter('tessera_event_bus_notifications_sent_total', 'NOTIFY payloads sent to the other nodes.');
const notificationsReceived = metrics.counter('tessera_event_bus_notifications_received_total', 'NOTIFY payloads received from other nodes.');
const resyncs = metrics.counter('tessera_event_bus_resyncs_total', 'Times this node may have missed events and made its subscribers re-read the store, by cause.', ['cause']);

export interface PgEventBusOptions {
  /** postgres://… of the store. */
  url: string;
  /** The store's schema; it names the channel (default: the database's public tables). */
  schema?: string;
  logger?: Logger;
  /** This node's id in payloads and in pg_stat_activity (default: random). */
  nodeId?: string;
  /** First reconnection delay, ms; doubled up to 5 s while PostgreSQL stays away (default 100). */
  reconnectDelayMs?: number;
  /** Notifications kept while they cannot be sent (about one per event, under 8000 bytes each); beyond it they are dropped and the receivers resync (default 5000). */
  maxPending?: number;
  /**
   * How long a receiver waits for a sender's number that was skipped over before it counts as lost
   * and the receiver resyncs, ms (default 2000). Longer than a commit takes, short enough that a
   * lost notification is noticed soon.
   */
  reorderWindowMs?: number;
}

/**
 * The notifications of one store transaction, numbered and packed: `sql` goes in the COMMIT's round
 * trip; then exactly one of committed() or failed() is called.
 */
export interface TxNotifications {
  readonly sql: string;
  /** The transaction committed: this node's subscribers get the events. */
  committed(): Promise<void>;
  /** It did not commit ('rolled-back'), or may have ('unknown'): see CommitHook in db.ts. */
  failed(outcome: 'rolled-back' | 'unknown'): void;
}

const MAX_RECONNECT_MS = 5000;
/** Notifications per round trip (a statement of at most about 1.6 MB). */
const MAX_BATCH = 200;
const DEFAULT_REORDER_WINDOW_MS = 2000;

/** The channel of one store: NOTIFY channels are database-wide identifiers of at most 63 bytes. */
export function channelOf(schema: string | undefined): string {
  return `tessera_events${schema ? `_${schema}` : ''}`.slice(0, 63);
}

export class PgEventBus extends RelayedEventBus {
  readonly nodeId: string;
  private readonly channel: string;
  private readonly logger: Logger | undefined;
  private readonly baseDelay: number;
  private readonly maxPending: number;

  private listener: pg.Client | undefined;
  private listenerDelay: number;
  private listenTimer: NodeJS.Timeout | undefined;
  private listening: Promise<void> | undefined;
  private everListened = false;
  /** Own payloads, repeats and gaps, per other node since this listening connection started. */
  private readonly sequencer: PayloadSequencer;
  /** Fires when the earliest awaited number's time is up (see PayloadSequencer.expire). */
  private expiryTimer: NodeJS.Timeout | undefined;

  private sender: pg.Client | undefined;
  private seq = 0;
  /** Payload texts waiting to be sent, in order (already numbered). */
  private readonly outbox: string[] = [];
  /** Bumped when the outbox is dropped, so a send in flight does not remove what came after. */
  private generation = 0;
  private flushing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private senderDelay: number;
  private closed = false;

  constructor(private readonly options: PgEventBusOptions) {
    super(options.logger);
    this.nodeId = options.nodeId ?? randomBytes(6).toString('hex');
    this.sequencer = new PayloadSequencer(this.nodeId, options.reorderWindowMs ?? DEFAULT_REORDER_WINDOW_MS);
    this.logger = options.logger;
    this.channel = channelOf(options.schema);
    this.baseDelay = options.reconnectDelayMs ?? 100;
    this.listenerDelay = this.baseDelay;
    this.senderDelay = this.baseDelay;
    this.maxPending = options.maxPending ?? 5000;
  }

  /** Connects the listening connection; rejects when PostgreSQL cannot be reached at all. */
  async start(): Promise<void> {
    await this.listen();
  }

  async publish(event: BusEvent): Promise<void> {
    if (this.closed) return;
    // This node's subscribers at once, not after a round trip through PostgreSQL.
    await this.local.publish(event);
    const pieces = splitForWire(structuredClone(event));
    this.outbox.push(...packPayloads(this.nodeId, pieces, () => ++this.seq));
    if (this.outbox.length > this.maxPending) {
      // PostgreSQL has been away for long: drop the backlog. The sequence numbers it used make every
      // receiver see a gap with the next notification that gets through, and resync.
      this.logger?.error({ dropped: this.outbox.length }, 'event bus: PostgreSQL unreachable for too long; notifications dropped, other nodes will resynchronise');
      this.outbox.length = 0;
      this.generation += 1;
    }
    this.scheduleFlush(0);
  }

  /**
   * Numbers and packs a store transaction's events for NOTIFYs sent inside it. The numbers are
   * taken here, in the COMMIT's round trip, so transactions of this node reorder only while they
   * commit (well inside the receivers' reorder window).
   */
  notifyInTx(events: readonly BusEvent[]): TxNotifications {
    const first = this.seq + 1;
    const payloads = packPayloads(
      this.nodeId,
      events.flatMap((e) => splitForWire(structuredClone(e))),
      () => ++this.seq,
    );
    const seqs = payloads.map((_, i) => first + i);
    const channel = pg.escapeLiteral(this.channel);
    return {
      sql: payloads.map((p) => `SELECT pg_notify(${channel}, ${pg.escapeLiteral(p)})`).join('; '),
      committed: async () => {
        notificationsSent.inc({}, payloads.length);
        if (this.closed) return;
        for (const e of events) await this.local.publish(e);
      },
      failed: (outcome) => this.standIn(seqs, events, outcome),
    };
  }

  /**
   * Sends stand-ins for the numbers of a transaction that did not commit, so the receivers see no
   * gap: empty ones when it rolled back (nothing happened), resyncs of its accounts when it may have
   * committed (its own NOTIFYs then went out too; a receiver takes whichever comes first and skips
   * the other as a repeat). This node's subscribers resync as well in that case.
   */
  private standIn(seqs: readonly number[], events: readonly BusEvent[], outcome: 'rolled-back' | 'unknown'): void {
    if (this.closed || seqs.length === 0) return;
    let items: ResyncEvent[] = [];
    if (outcome === 'unknown') {
      const accounts = new Set(events.map((e) => ('account' in e ? e.account : undefined)));
      const [account] = accounts;
      const reason = 'commit outcome unknown';
      items = [accounts.size === 1 && account !== undefined ? { type: 'resync', account, reason } : { type: 'resync', reason }];
      this.logger?.warn({ node: this.nodeId }, 'event bus: a write may have committed without this node seeing it; resynchronising');
      this.resync('commit-unknown', reason, items[0]!.account);
    }
    this.outbox.push(...seqs.map((seq) => standInPayload(this.nodeId, seq, items)));
    this.scheduleFlush(0);
  }

  /** Sends what is queued (best effort, bounded by one attempt), then closes both connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    await this.flushing;
    if (this.outbox.length > 0 && this.sender) await this.flushOnce().catch(() => undefined);
    this.closed = true;
    if (this.listenTimer) clearTimeout(this.listenTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    await this.listening?.catch(() => undefined);
    const clients = [this.listener, this.sender];
    this.listener = undefined;
    this.sender = undefined;
    await Promise.all(clients.map((c) => c?.end().catch(() => undefined)));
    await this.local.close();
  }

  // ---- listening ---------------------------------------------------------------------------

  private listen(): Promise<void> {
    this.listening ??= this.connectListener().finally(() => {
      this.listening = undefined;
    });
    return this.listening;
  }

  private async connectListener(): Promise<void> {
    const client = this.client('listen');
    client.on('notification', (msg) => {
      if (msg.channel === this.channel && msg.payload !== undefined) this.received(msg.payload);
    });
    const dropped = (err?: Error): void => this.listenerDropped(client, err);
    client.on('error', dropped);
    client.on('end', () => dropped());
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(this.channel)}`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    this.listenerDelay = this.baseDelay;
    this.sequencer.reset();
    if (this.everListened) {
      // Whatever was sent while this node was not listening is lost: re-read it from the store.
      this.logger?.info({ node: this.nodeId }, 'event bus: listening again; subscribers resynchronise from the store');
      this.resync('reconnect', 'event bus reconnected');
    }
    this.everListened = true;
  }

  private listenerDropped(client: pg.Client, err?: Error): void {
    if (this.closed || this.listener !== client) return;
    this.listener = undefined;
    client.end().catch(() => undefined);
    this.logger?.warn({ node: this.nodeId, err: err?.message }, 'event bus: listening connection lost; reconnecting');
    this.scheduleListen();
  }

  private scheduleListen(): void {
    if (this.closed || this.listenTimer) return;
    const delay = this.listenerDelay;
    this.listenerDelay = Math.min(this.listenerDelay * 2, MAX_RECONNECT_MS);
    this.listenTimer = setTimeout(() => {
      this.listenTimer = undefined;
      this.listen().catch((err: unknown) => {
        this.logger?.warn({ node: this.nodeId, err: (err as Error).message, retryInMs: this.listenerDelay }, 'event bus: cannot listen yet');
        this.scheduleListen();
      });
    }, delay);
    this.listenTimer.unref();
  }

  private received(payload: string): void {
    let received;
    try {
      received = this.sequencer.accept(payload);
    } catch (err) {
      this.logger?.warn({ err: (err as Error).message }, 'event bus: ignoring a notification that is not ours');
      return;
    }
    if (received.kind !== 'deliver') return;
    notificationsReceived.inc();
    if (received.missed) this.missed(received.missed);
    this.deliverRemote(received.items, received.node, (reason, account) => this.resync('sender', reason, account));
    this.scheduleExpiry();
  }

  private missed(missed: Missed): void {
    this.logger?.warn(missed, 'event bus: notifications missed; resynchronising');
    this.resync('gap', `notifications from node ${missed.from} missed`);
  }

  /** Resyncs for the awaited numbers whose time is up, then waits for the next one's. */
  private scheduleExpiry(): void {
    if (this.closed || this.expiryTimer) return;
    const deadline = this.sequencer.nextDeadline();
    if (deadline === undefined) return;
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = undefined;
      if (this.closed) return;
      // One resync for everything found missing at once: each makes every session re-read.
      const missed = this.sequencer.expire();
      if (missed.length > 0) {
        this.logger?.warn({ missed }, 'event bus: notifications missed; resynchronising');
        this.resync('gap', `notifications from node ${[...new Set(missed.map((m) => m.from))].join(', ')} missed`);
      }
      this.scheduleExpiry();
    }, Math.max(0, deadline - Date.now()));
    this.expiryTimer.unref();
  }

  private resync(cause: string, reason: string, account?: string): void {
    resyncs.inc({ cause });
    this.local.raiseResync({ type: 'resync', reason, ...(account !== undefined ? { account } : {}) });
  }

  // ---- sending -----------------------------------------------------------------------------

  private scheduleFlush(delay: number): void {
    if (this.closed || this.flushing || this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flushing = this.flushOnce()
        .then(
          () => {
            this.senderDelay = this.baseDelay;
            return 0;
          },
          (err: unknown) => {
            this.logger?.warn({ err: (err as Error).message, pending: this.outbox.length }, 'event bus: cannot notify the other nodes yet');
            const wait = this.senderDelay;
            this.senderDelay = Math.min(this.senderDelay * 2, MAX_RECONNECT_MS);
            return wait;
          },
        )
        .then((wait) => {
          this.flushing = undefined;
          if (this.outbox.length > 0) this.scheduleFlush(wait);
        });
    }, delay);
  }

  /** Sends the oldest queued notifications in one statement; they stay queued when it fails. */
  private async flushOnce(): Promise<void> {
    if (this.outbox.length === 0) return;
    const sender = await this.connectedSender();
    const batch = this.outbox.slice(0, MAX_BATCH);
    const generation = this.generation;
    // pg_notify over the rows of unnest: one round trip, sent (and delivered) in array order.
    await sender.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [this.channel, batch]);
    if (generation === this.generation) this.outbox.splice(0, batch.length);
    notificationsSent.inc({}, batch.length);
  }

  private async connectedSender(): Promise<pg.Client> {
    if (this.sender) return this.sender;
    const client = this.client('notify');
    client.on('error', () => {
      if (this.sender === client) this.sender = undefined;
      client.end().catch(() => undefined);
    });
    client.on('end', () => {
      if (this.sender === client) this.sender = undefined;
    });
    await client.connect();
    this.sender = client;
    return client;
  }

  private client(role: 'listen' | 'notify'): pg.Client {
    return new pg.Client({
      connectionString: this.options.url,
      application_name: `tessera-events-${role} ${this.nodeId}`,
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
    });
  }
}
