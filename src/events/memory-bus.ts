// In-process event bus: one node, no network. Delivery is deferred to a microtask-free macrotask
// (setImmediate) so publishers never run subscriber code inside their transaction, and so behaviour
// matches a networked bus where events always arrive later. Order is preserved: one FIFO per bus.
import type {
  AccountEvent,
  BusEvent,
  EventBus,
  EventHandler,
  MailboxEvent,
  PushSubscriptionChangedEvent,
  ResyncEvent,
  SessionRevokedEvent,
  Unsubscribe,
} from './types.js';
import { isMailboxEvent } from './types.js';
import type { Logger } from '../log/logger.js';
import { metrics } from '../core/metrics.js';

/** How long events wait between publish() and their handlers: in-process, microseconds unless the loop is busy. */
const eventBusLagSeconds = metrics.histogram(
  'tessera_event_bus_lag_seconds',
  'Time from publishing an event to handing it to its subscribers, by event type, in seconds.',
  ['type'],
  [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
);

export class MemoryEventBus implements EventBus {
  private readonly accountHandlers = new Map<string, Set<EventHandler<AccountEvent>>>();
  private readonly mailboxHandlers = new Map<string, Set<EventHandler<MailboxEvent>>>();
  private readonly revocationHandlers = new Set<EventHandler<SessionRevokedEvent>>();
  private readonly resyncHandlers = new Set<EventHandler<ResyncEvent>>();
  private readonly pushSubscriptionHandlers = new Set<EventHandler<PushSubscriptionChangedEvent>>();
  private readonly queue: Array<{ event: BusEvent | ResyncEvent; publishedAt: bigint }> = [];
  private scheduled = false;
  private closed = false;

  constructor(private readonly logger?: Logger) {}

  async publish(event: BusEvent): Promise<void> {
    this.enqueue(event);
  }

  /**
   * Hands a ResyncEvent to this bus' onResync subscribers, in order with the events queued before
   * it. A networked bus built on this one calls it after it may have missed events.
   */
  raiseResync(event: ResyncEvent): void {
    this.enqueue(event);
  }

  private enqueue(event: BusEvent | ResyncEvent): void {
    if (this.closed) return;
    // Structured clones keep the in-process bus honest: neither the publisher nor another
    // subscriber is affected by a subscriber's mutation, exactly as with a serialised transport.
    this.queue.push({ event: structuredClone(event), publishedAt: process.hrtime.bigint() });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  onAccount(account: string, handler: EventHandler<AccountEvent>): Unsubscribe {
    return addTo(this.accountHandlers, account, handler);
  }

  onMailbox(account: string, mailboxId: string, handler: EventHandler<MailboxEvent>): Unsubscribe {
    return addTo(this.mailboxHandlers, mailboxKey(account, mailboxId), handler);
  }

  onRevocation(handler: EventHandler<SessionRevokedEvent>): Unsubscribe {
    this.revocationHandlers.add(handler);
    return () => {
      this.revocationHandlers.delete(handler);
    };
  }

  onResync(handler: EventHandler<ResyncEvent>): Unsubscribe {
    this.resyncHandlers.add(handler);
    return () => {
      this.resyncHandlers.delete(handler);
    };
  }

  onPushSubscription(handler: EventHandler<PushSubscriptionChangedEvent>): Unsubscribe {
    this.pushSubscriptionHandlers.add(handler);
    return () => {
      this.pushSubscriptionHandlers.delete(handler);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.resyncHandlers.clear();
    this.queue.length = 0;
    this.accountHandlers.clear();
    this.mailboxHandlers.clear();
    this.revocationHandlers.clear();
    this.pushSubscriptionHandlers.clear();
  }

  private drain(): void {
    this.scheduled = false;
    const batch = this.queue.splice(0, this.queue.length);
    const now = process.hrtime.bigint();
    for (const { event, publishedAt } of batch) {
      eventBusLagSeconds.observe({ type: event.type }, Number(now - publishedAt) / 1e9);
      this.dispatch(event);
    }
  }

  private dispatch(event: BusEvent | ResyncEvent): void {
    // Handlers of the matching topics only ever see events of their topic's type.
    const handlers: Array<EventHandler<never>> = [];
    if (event.type === 'resync') handlers.push(...this.resyncHandlers);
    else if (event.type === 'session-revoked') handlers.push(...this.revocationHandlers);
    else if (event.type === 'push-subscription-changed') handlers.push(...this.pushSubscriptionHandlers);
    else {
      handlers.push(...(this.accountHandlers.get(event.account) ?? []));
      if (isMailboxEvent(event)) handlers.push(...(this.mailboxHandlers.get(mailboxKey(event.account, event.mailboxId)) ?? []));
    }
    // Every handler but the last gets its own clone; the last one gets the queued copy.
    handlers.forEach((h, i) => this.call(h as EventHandler<BusEvent | ResyncEvent>, i === handlers.length - 1 ? event : structuredClone(event)));
  }

  private call<E>(handler: EventHandler<E>, event: E): void {
    try {
      handler(event);
    } catch (err) {
      this.logger?.error({ err, eventType: (event as BusEvent | ResyncEvent).type }, 'event handler failed');
    }
  }
}

function mailboxKey(account: string, mailboxId: string): string {
  return `${account}\u0000${mailboxId}`;
}

function addTo<H>(map: Map<string, Set<H>>, key: string, handler: H): Unsubscribe {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(handler);
  return () => {
    const s = map.get(key);
    if (!s) return;
    s.delete(handler);
    if (s.size === 0) map.delete(key);
  };
}

