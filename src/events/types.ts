// The event bus contract. The store publishes what changed after each commit; IMAP sessions (IDLE,
// untagged updates at command boundaries), JMAP push (EventSource/WebSocket) and the revocation
// machinery subscribe. The in-process bus (./memory-bus.ts) serves one node; a PostgreSQL
// LISTEN/NOTIFY bus can replace it later because:
//  - every event is a plain JSON-serialisable object (no Dates, no Buffers, no class instances);
//  - publish() is async (a network round trip) and delivery is asynchronous (never inside publish);
//  - consumers never assume that they see their own events synchronously, only that events for one
//    account arrive in the order they were published.
// Events are hints with enough data to act on, not the source of truth: a consumer that must be exact
// (an IMAP session computing EXPUNGE sequence numbers) re-reads the store using the modseqs carried here.

/** Who caused a change, so a session can skip echoes of its own commands (IMAP sends those itself). */
export interface EventOrigin {
  /** Opaque id chosen by the caller of the store (e.g. an IMAP session id). */
  origin?: string;
  /**
   * The node that published the event, set by a cluster bus on events that came from another node
   * (absent for this node's own). Lets work that one node is enough for (a Web Push POST) be done
   * only where the change happened.
   */
  fromNode?: string;
}

/** One message placed in a mailbox (append, copy, move target, JMAP mailboxIds patch). */
export interface AddedMessage {
  uid: number;
  emailId: string;
  modseq: number;
}

export interface MessagesAddedEvent extends EventOrigin {
  type: 'messages-added';
  account: string;
  mailboxId: string;
  uidValidity: number;
  messages: AddedMessage[];
  /** True when the messages came from delivery (SMTP/LMTP), which changes the JMAP EmailDelivery state. */
  delivery: boolean;
}

/** Keywords changed on messages of one mailbox (an email in two mailboxes yields one event per mailbox). */
export interface FlagsChangedEvent extends EventOrigin {
  type: 'flags-changed';
  account: string;
  mailboxId: string;
  messages: Array<{
    uid: number;
    emailId: string;
    modseq: number;
    /** The complete new flag list in IMAP form (`\Seen`, `\Deleted`, `$Forwarded`…). */
    flags: string[];
  }>;
}

export interface MessagesExpungedEvent extends EventOrigin {
  type: 'messages-expunged';
  account: string;
  mailboxId: string;
  /** Ascending. */
  uids: number[];
  /** Mailbox HIGHESTMODSEQ after the expunge. */
  modseq: number;
}

export interface MailboxCreatedEvent extends EventOrigin {
  type: 'mailbox-created';
  account: string;
  mailboxId: string;
  /** Full path, `/`-delimited. */
  path: string;
}

export interface MailboxRenamedEvent extends EventOrigin {
  type: 'mailbox-renamed';
  account: string;
  mailboxId: string;
  oldPath: string;
  newPath: string;
}

export interface MailboxDeletedEvent extends EventOrigin {
  type: 'mailbox-deleted';
  account: string;
  mailboxId: string;
  path: string;
}

/** Subscription status, role, sort order or other mailbox metadata changed (not message counts). */
export interface MailboxUpdatedEvent extends EventOrigin {
  type: 'mailbox-updated';
  account: string;
  mailboxId: string;
  path: string;
}

/**
 * The access rights on a mailbox changed (IMAP SETACL/DELETEACL). Sessions of other users that have
 * the mailbox open re-check their rights at once, so a revocation ends their access immediately.
 */
export interface RightsChangedEvent extends EventOrigin {
  type: 'rights-changed';
  /** The owner. */
  account: string;
  mailboxId: string;
  path: string;
  /** Whose rights changed (a user name or "anyone"). */
  identifier: string;
}

/**
 * Annotations (IMAP METADATA, RFC 5464) of a mailbox or of the account's server entries were written
 * or removed: IMAP NOTIFY MailboxMetadataChange / ServerMetadataChange (RFC 5465 §5.8, §5.9) tell the
 * entry names (never the values) to sessions that may read them.
 */
export interface MetadataChangedEvent extends EventOrigin {
  type: 'metadata-changed';
  /** The mailbox's owner, or the user whose server entries these are. */
  account: string;
  /** null: the server entries. */
  mailboxId: string | null;
  /** Lower-cased entry names written or removed. */
  entries: string[];
  /** Who wrote: /private entries are that user's own, and only their sessions hear of them. */
  user: string;
}

/**
 * JMAP push payload: the new state string of every data type that changed in one commit. Keys are
 * JMAP type names ('Mailbox', 'Email', 'Thread', 'EmailDelivery', 'Quota', and for settings
 * 'Setting:<key>'); values are the new state strings as returned by MailStore.getStates().
 */
export interface StateChangedEvent extends EventOrigin {
  type: 'state-changed';
  account: string;
  changed: Record<string, string>;
}

/**
 * A session (or every session of a user) must end now: back-channel logout, token revocation,
 * password change, user deleted. Consumers close matching connections. Not tied to an account topic:
 * subscribe with onRevocation().
 */
export interface SessionRevokedEvent {
  type: 'session-revoked';
  /** Canonical user name; when set alone, all of that user's sessions end. */
  user?: string;
  /** OpenID Connect session id (`sid` claim). */
  sid?: string;
  /** Access token id (`jti` claim). */
  jti?: string;
  /** Issuer of sid/jti, when known. */
  issuer?: string;
  /** An app password id: the sessions it opened end (the app password was revoked). */
  credential?: string;
  /**
   * With `user`: only the sessions in which this user acts as `user` (SASL authorization identity)
   * end, none other of `user`'s: the delegation grant that allowed them was taken back.
   */
  actor?: string;
  /** For logs and for the IMAP BYE / SMTP 421 text; never contains a token. */
  reason: string;
}

/**
 * A JMAP push subscription of `user` was created, changed or destroyed: every node re-reads it from
 * the store (it holds secrets, so the event carries ids only). Subscribe with onPushSubscription().
 */
export interface PushSubscriptionChangedEvent {
  type: 'push-subscription-changed';
  /** Canonical user name (the owner). */
  user: string;
  id: string;
}

/** Everything that concerns one account's mail data. */
export type AccountEvent =
  | MessagesAddedEvent
  | FlagsChangedEvent
  | MessagesExpungedEvent
  | MailboxCreatedEvent
  | MailboxRenamedEvent
  | MailboxDeletedEvent
  | MailboxUpdatedEvent
  | RightsChangedEvent
  | MetadataChangedEvent
  | StateChangedEvent;

/** Events that carry a mailboxId (delivered to onMailbox subscribers of that mailbox). */
export type MailboxEvent =
  | MessagesAddedEvent
  | FlagsChangedEvent
  | MessagesExpungedEvent
  | MailboxRenamedEvent
  | MailboxDeletedEvent
  | MailboxUpdatedEvent
  | RightsChangedEvent;

export type BusEvent = AccountEvent | SessionRevokedEvent | PushSubscriptionChangedEvent;

/**
 * Events may have been missed: a networked bus lost its connection (notifications sent meanwhile
 * are gone) or could not send some. Never published by callers; the bus raises it for its own
 * node's subscribers, who re-read what they show from the store (the change log, the revocation
 * table) instead of trusting that they saw every event.
 */
export interface ResyncEvent {
  type: 'resync';
  /** Only this account's subscribers need to re-check; absent = everyone. */
  account?: string;
  /** For logs. */
  reason: string;
}

export type EventHandler<E> = (event: E) => void;

/** Removes the subscription; calling it twice is harmless. */
export type Unsubscribe = () => void;

export interface EventBus {
  /**
   * Sends an event to every subscriber on every node. Resolves when the event is handed to the
   * transport (in-process: queued); handlers run later, never inside this call. Never rejects because
   * a handler threw (handler errors are logged and swallowed).
   */
  publish(event: BusEvent): Promise<void>;
  /**
   * Optional: publishes `events` in order, as publish() one by one would, handing them to the
   * transport at once where that is cheaper (one IPC message for a store commit's events).
   */
  publishMany?(events: readonly BusEvent[]): Promise<void>;
  /** Every AccountEvent of `account` (all mailboxes plus state changes), in publication order. */
  onAccount(account: string, handler: EventHandler<AccountEvent>): Unsubscribe;
  /** Only the events of one mailbox (IMAP selected-state sessions, IDLE). */
  onMailbox(account: string, mailboxId: string, handler: EventHandler<MailboxEvent>): Unsubscribe;
  /** Every session-revoked event, whatever the user. */
  onRevocation(handler: EventHandler<SessionRevokedEvent>): Unsubscribe;
  /** Every push-subscription-changed event, whatever the user. */
  onPushSubscription(handler: EventHandler<PushSubscriptionChangedEvent>): Unsubscribe;
  /**
   * Events may have been missed (see ResyncEvent): subscribers re-read the state they watch. The
   * in-process bus never raises it; a networked bus does after each reconnection.
   */
  onResync(handler: EventHandler<ResyncEvent>): Unsubscribe;
  /** Stops delivery and releases resources (a LISTEN connection, for instance). */
  close(): Promise<void>;
}

/** Type guard: does this event belong to a mailbox topic. */
export function isMailboxEvent(event: BusEvent): event is MailboxEvent {
  return (
    event.type === 'messages-added' ||
    event.type === 'flags-changed' ||
    event.type === 'messages-expunged' ||
    event.type === 'mailbox-renamed' ||
    event.type === 'mailbox-deleted' ||
    event.type === 'mailbox-updated' ||
    event.type === 'rights-changed'
  );
}
