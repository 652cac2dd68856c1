// The whole store: every facet, plus its lifecycle. Consumers that need one or two facets depend on
// those interfaces (./accounts.ts, ./mailboxes.ts …) instead of MailStore.
import type { EventBus } from '../../events/types.js';
import type { Logger } from '../../log/logger.js';
import type { RevocationStore } from '../revocations.js';
import type { PushSubscriptionStore } from './push-subscriptions.js';
import type { SieveScriptStore } from './sieve-scripts.js';
import type { MetadataStore } from './metadata.js';
import type { AccountStore } from './accounts.js';
import type { BlobStore } from './blobs.js';
import type { StateStore } from './changes.js';
import type { StoreMaintenance } from './maintenance.js';
import type { MailboxStore } from './mailboxes.js';
import type { MessageReader } from './message-reads.js';
import type { MessageWriter } from './message-writes.js';
import type { OutboundQueue } from './outbound.js';
import type { QuotaLimits, QuotaStore } from './quota.js';
import type { SearchStore } from './search.js';
import type { SettingsStore } from './settings.js';
import type { AclStore } from './acl.js';
import type { ShareNotificationStore } from './share-notifications.js';

export interface MailStore
  extends AccountStore,
    MailboxStore,
    MessageWriter,
    MessageReader,
    SearchStore,
    StateStore,
    QuotaStore,
    BlobStore,
    SettingsStore,
    OutboundQueue,
    RevocationStore,
    PushSubscriptionStore,
    SieveScriptStore,
    AclStore,
    ShareNotificationStore,
    MetadataStore,
    StoreMaintenance {
  /** Waits for in-flight writes, closes the database. */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Holds store.sqlite and blobs/. Created when missing. */
  dataDir: string;
  events: EventBus;
  logger?: Logger;
  /** Default limits for accounts without an override (0 = unlimited, the default). */
  quota?: Partial<QuotaLimits>;
  /** How long expunge/destroy records are kept for VANISHED and /changes (default 30 days). */
  changeRetentionDays?: number;
  /** Lifetime of unreferenced JMAP uploads (default 24 h). */
  uploadTtlMs?: number;
  /**
   * Bytes of spooled messages read back for parsing at once, across the process (the ingest gate,
   * ../spool/ingest-gate.ts; default 16 MiB). The gate is per process, so the last store opened sets it.
   */
  ingestBudget?: number;
}
