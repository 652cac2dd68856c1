// Outbound queue (SMTP remote delivery, JMAP EmailSubmission): items leased to one worker at a
// time, with an outcome per recipient.
import type { JsonValue } from './values.js';
import type { ByteSource } from './byte-source.js';
import type { SpooledMessage } from '../spool/spooled.js';

export type OutboundRecipientStatus = 'pending' | 'delivered' | 'failed';

/** RFC 3461 §4.1 NOTIFY conditions; an empty list is NOTIFY=NEVER. */
export type DsnNotify = 'SUCCESS' | 'FAILURE' | 'DELAY';

/** A recipient's DSN request (RFC 3461 §4.1, §4.2), absent parameters left out. */
export interface RecipientDsn {
  /** Absent: the default (failures, perhaps delays); [] = NEVER. */
  notify?: DsnNotify[];
  /** ORCPT: address type (rfc822, utf-8) and the decoded original address. */
  orcpt?: { type: string; address: string };
}

/** The envelope's DSN request (RFC 3461 §4.3, §4.4) and its transport requirements. */
export interface EnvelopeOptions {
  /** RET: return the whole message or only its headers in a failure DSN. */
  ret?: 'FULL' | 'HDRS';
  /** ENVID, decoded from xtext. */
  envid?: string;
  /** RFC 6531: the envelope needs SMTPUTF8 at every hop. */
  smtputf8?: boolean;
  /** RFC 8689: REQUIRETLS, every hop must be over verified TLS and support REQUIRETLS. */
  requireTls?: boolean;
}

export interface OutboundRecipient extends RecipientDsn {
  address: string;
  status: OutboundRecipientStatus;
  /** Last SMTP reply or error text for this recipient. */
  lastResponse: string | null;
  /** A delay DSN was sent for this recipient (RFC 3461 §4.1: at most one per delay threshold). */
  delayReported?: boolean;
}

export type OutboundStatus = 'queued' | 'done';

export interface OutboundItem {
  id: string;
  /** Submitting account (JMAP EmailSubmission), null for relayed mail. */
  account: string | null;
  /** Envelope MAIL FROM ('' for a bounce). */
  sender: string;
  recipients: OutboundRecipient[];
  blobId: string;
  size: number;
  createdAt: Date;
  nextAttemptAt: Date;
  attempts: number;
  lastError: string | null;
  status: OutboundStatus;
  /** Lease holder and expiry while a worker delivers it. */
  leaseOwner: string | null;
  leaseUntil: Date | null;
  /** Free-form data for the submitter (JMAP identityId, emailId, onSuccess… actions). */
  meta: JsonValue;
  /** DSN and transport requests of the envelope. */
  envelope: EnvelopeOptions;
}

export interface EnqueueInput {
  account?: string | null;
  sender: string;
  /** Addresses, or addresses with their DSN request. */
  recipients: Array<string | ({ address: string } & RecipientDsn)>;
  envelope?: EnvelopeOptions;
  /** The message; a spooled one's file is taken by rename. */
  bytes: Buffer | SpooledMessage;
  /** Default now. */
  nextAttemptAt?: Date;
  meta?: JsonValue;
}

export interface ClaimRequest {
  /** Worker id (host:pid:n). */
  owner: string;
  /** Lease duration; an unfinished item becomes claimable again afterwards. */
  leaseMs: number;
  limit: number;
  /** Default now. */
  now?: Date;
}

export interface DeliveryAttempt {
  /** Outcome per recipient attempted; recipients not listed stay as they are. */
  results: Array<{ address: string; outcome: 'delivered' | 'deferred' | 'failed'; response?: string; delayReported?: boolean }>;
  /** When to retry the still-pending recipients; null = give up (pending recipients become failed). */
  nextAttemptAt: Date | null;
  error?: string;
}

export interface OutboundQueue {
  enqueueOutbound(input: EnqueueInput): Promise<OutboundItem>;
  /** Items due (nextAttemptAt <= now, status queued, lease free or expired), leased to `owner`. */
  claimOutbound(request: ClaimRequest): Promise<OutboundItem[]>;
  /**
   * Extends a lease its owner still holds to now + leaseMs, so a slow delivery on a live node is not
   * taken over by another node; false when the lease is no longer that owner's (expired and claimed).
   */
  renewOutboundLease(id: string, owner: string, leaseMs: number, now?: Date): Promise<boolean>;
  /** Records an attempt, releases the lease; the item is done when no recipient is pending. */
  recordDeliveryAttempt(id: string, owner: string, attempt: DeliveryAttempt): Promise<OutboundItem>;
  getOutbound(id: string): Promise<OutboundItem | null>;
  listOutbound(filter?: { account?: string; status?: OutboundStatus }): Promise<OutboundItem[]>;
  /** Bytes of a queued message, read a chunk at a time (relaying them in DATA/BDAT). */
  openOutbound(id: string): Promise<ByteSource | null>;
  /**
   * Takes a queued message out of the queue (an administrator's decision): false when it is not
   * queued any more or a worker holds it right now (its attempt decides).
   */
  removeOutbound(id: string, now?: Date): Promise<boolean>;
  /** Makes every queued message waiting for a later attempt due at `at` (flush); how many moved. */
  rescheduleOutbound(at: Date): Promise<number>;
}
