// What every bus that relays events between processes or nodes shares (the PostgreSQL relay in
// store/postgres/event-relay.ts, the cluster IPC relay of several server processes): this
// process's subscribers are served by an in-process bus, which gets this process's events at once
// and the others' as they arrive; resync requests become `resync` events for the subscribers.
import { MemoryEventBus } from './memory-bus.js';
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
import type { Logger } from '../log/logger.js';

export abstract class RelayedEventBus implements EventBus {
  protected readonly local: MemoryEventBus;

  protected constructor(logger?: Logger) {
    this.local = new MemoryEventBus(logger);
  }

  abstract publish(event: BusEvent): Promise<void>;
  abstract close(): Promise<void>;

  onAccount(account: string, handler: EventHandler<AccountEvent>): Unsubscribe {
    return this.local.onAccount(account, handler);
  }

  onMailbox(account: string, mailboxId: string, handler: EventHandler<MailboxEvent>): Unsubscribe {
    return this.local.onMailbox(account, mailboxId, handler);
  }

  onRevocation(handler: EventHandler<SessionRevokedEvent>): Unsubscribe {
    return this.local.onRevocation(handler);
  }

  onResync(handler: EventHandler<ResyncEvent>): Unsubscribe {
    return this.local.onResync(handler);
  }

  onPushSubscription(handler: EventHandler<PushSubscriptionChangedEvent>): Unsubscribe {
    return this.local.onPushSubscription(handler);
  }

  /**
   * Hands node `fromNode`'s items to this node's subscribers, in order; a resync item becomes
   * `resync(reason, account)`. Account events say which node they came from (JMAP Web Push is
   * sent by that node only).
   */
  protected deliverRemote(items: ReadonlyArray<BusEvent | ResyncEvent>, fromNode: string, resync: (reason: string, account?: string) => void): void {
    for (const item of items) {
      if (item.type === 'resync') resync(item.reason, item.account);
      else if (item.type === 'session-revoked' || item.type === 'push-subscription-changed') void this.local.publish(item);
      else void this.local.publish({ ...item, fromNode });
    }
  }
}
