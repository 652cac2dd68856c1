// Outbound queue (SMTP remote delivery, JMAP EmailSubmission): items leased to one worker at a
// time, with an outcome per recipient.
import type { JsonValue } from './values.js';
import type { SpooledMessage } from '../spool/spooled.js';

export type OutboundRecipientStatus = 'pending' | 'delivered' | 'failed';

export interface OutboundRecipient {
  address: string;
  status: OutboundRecipientStatus;
  /** Last SMTP reply or error text for this recipient. */
  lastResponse: string | null;
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
}

export interface EnqueueInput {
  account?: string | null;
  sender: string;
  recipients: string[];
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
  results: Array<{ address: string; outcome: 'delivered' | 'deferred' | 'failed'; response?: string }>;
  /** When to retry the still-pending recipients; null = give up (pending recipients become failed). */
  nextAttemptAt: Date | null;
  error?: string;
}

export interface OutboundQueue {
  enqueueOutbound(input: EnqueueInput): Promise<OutboundItem>;
  /** Items due (nextAttemptAt <= now, status queued, lease free or expired), leased to `owner`. */
  claimOutbound(request: ClaimRequest): Promise<OutboundItem[]>;
  /** Records an attempt, releases the lease; the item is done when no recipient is pending. */
  recordDeliveryAttempt(id: string, owner: string, attempt: DeliveryAttempt): Promise<OutboundItem>;
  getOutbound(id: string): Promise<OutboundItem | null>;
  listOutbound(filter?: { account?: string; status?: OutboundStatus }): Promise<OutboundItem[]>;
  /** Bytes of a queued message. */
  readOutbound(id: string): Promise<Buffer | null>;
  /**
   * Takes a queued message out of the queue (an administrator's decision): false when it is not
   * queued any more or a worker holds it right now (its attempt decides).
   */
  removeOutbound(id: string, now?: Date): Promise<boolean>;
  /** Makes every queued message waiting for a later attempt due at `at` (flush); how many moved. */
  rescheduleOutbound(at: Date): Promise<number>;
}
