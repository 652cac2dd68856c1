// The contract of the delivery core (src/delivery), shared by the SMTP server (DATA/BDAT) and JMAP
// EmailSubmission. The core decides where each recipient's copy goes (a local INBOX, or the durable
// outbound queue); the protocols receive a DeliveryService through their deps and know only this
// neutral module, never src/delivery itself.
import type { Principal } from '../auth/types.js';
import type { EnvelopeOptions, JsonValue, RecipientDsn, SpooledMessage } from '../store/types.js';

export type { DsnNotify, EnvelopeOptions, RecipientDsn } from '../store/types.js';

/** A client's DSN request (RFC 3461): RET and ENVID of the envelope, NOTIFY and ORCPT per recipient. */
export interface DsnRequest {
  ret?: EnvelopeOptions['ret'];
  envid?: string;
  /** By the recipient's route address, exactly; recipients without parameters are absent. */
  recipients: ReadonlyMap<string, RecipientDsn>;
}
import type { MessageEdit } from './mail-auth.js';

/**
 * A local mailbox. `detail`: the subaddress of `address` (RFC 5233, `alice+detail@…` reaches
 * alice), kept for filing and Sieve `:detail`; absent when the address had none.
 */
export type LocalRoute = { kind: 'local'; address: string; user: string; detail?: string };

/** A remote address. `forwardedFor`: the local address whose forward (recipient rewrite table) led here. */
export type RemoteRoute = { kind: 'remote'; address: string; domain: string; forwardedFor?: string };

/** Where a recipient address leads. */
export type RecipientRoute =
  | LocalRoute
  /** A local domain, but no such user (SMTP 550 5.1.1). */
  | { kind: 'unknown'; address: string }
  | RemoteRoute
  /**
   * A local address the recipient rewrite table expands into several destinations (forwards, an
   * alias of several users): accepted like a local recipient, delivered to each target.
   */
  | { kind: 'forward'; address: string; targets: readonly (LocalRoute | RemoteRoute)[] };

/** The users repository or domain list could not answer (SMTP 451 4.3.0). */
export class RecipientLookupUnavailableError extends Error {
  override readonly name = 'RecipientLookupUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Trace information for the Received: header (RFC 5321 §4.4). */
export interface TraceInfo {
  /** HELO/EHLO name the client gave. */
  helo: string;
  peerAddress: string;
  /** RFC 3848 protocol keyword: SMTP, ESMTP, ESMTPA, ESMTPS, ESMTPSA, UTF8SMTPSA, HTTP… */
  protocol: string;
  /** Our host name. */
  by: string;
}

export interface DeliveryRequest {
  /** Envelope sender; '' is the null reverse-path (bounces). */
  from: string;
  /** Recipients already routed (and accepted) by the caller; unknown ones must not be included. */
  recipients: RecipientRoute[];
  /**
   * The message as received (CRLF line endings), without our Received: header: in memory, or the
   * finished spool file it arrived in (SMTP), which delivery never reads whole. The caller removes
   * the spool file afterwards; delivery's own copies are its business.
   */
  bytes: Buffer | SpooledMessage;
  trace: TraceInfo;
  /** The envelope needs SMTPUTF8 when relayed. */
  smtputf8?: boolean;
  /** RFC 3461 parameters the client gave; absent = the default (report failures only). */
  dsn?: DsnRequest;
  /** RFC 8689 REQUIRETLS: relay only over verified TLS to hops that support it. */
  requireTls?: boolean;
  principal?: Principal;
  /**
   * When some recipients fail and others succeed, send the sender a DSN for the failures. SMTP sets
   * this: it can only answer once for the whole message, and answers 250 if anyone got it.
   */
  bounceFailures?: boolean;
  /** Stored on the outbound queue item (JMAP: identityId, emailId, onSuccess actions…). */
  meta?: JsonValue;
  /** Inbound authentication's changes to every copy (our Authentication-Results, forged ones cut). */
  edit?: MessageEdit;
  /** DMARC quarantine: local copies go to the recipient's Junk mailbox. */
  quarantine?: boolean;
}

export type RecipientOutcome =
  | { address: string; status: 'delivered' | 'queued' }
  | {
      address: string;
      status: 'failed';
      /**
       * overQuota → SMTP 552 5.2.2; temporary → 451 4.3.0; permanent → 550 5.0.0; rejected → 550
       * 5.7.1 with `message` as the text (the recipient's Sieve reject/ereject, RFC 5429).
       */
      reason: 'overQuota' | 'temporary' | 'permanent' | 'rejected';
      message: string;
    };

export interface DeliveryResult {
  /** Id used in the 250 reply and logs. */
  id: string;
  outcomes: RecipientOutcome[];
  /** Outbound queue item holding the remote recipients, when there were any (store.getOutbound). */
  queueId?: string;
}

export interface SubmitRequest {
  /** Envelope sender. */
  from: string;
  to: string[];
  /** The message; a spooled one is never read whole (JMAP EmailSubmission spools the email). */
  bytes: Buffer | SpooledMessage;
  principal: Principal;
  /** Trace info; defaults to an HTTP submission by this host. */
  trace?: Partial<TraceInfo>;
  /** Stored on the outbound queue item. */
  meta?: JsonValue;
  /** RFC 3461 parameters (JMAP envelope parameters); recipients keyed by the address as given in `to`. */
  dsn?: DsnRequest;
  /** RFC 8689 REQUIRETLS. */
  requireTls?: boolean;
}

/** The entry point the SMTP server and JMAP EmailSubmission call. */
export interface DeliveryService {
  /** Routes one recipient address (local user, unknown local user, or remote). */
  route(address: string): Promise<RecipientRoute>;
  /**
   * Whether a local recipient's mailbox is full: at its effective message or storage limit, so any
   * message would be refused (SMTP answers RCPT 552 5.2.2 rather than take the data for nothing).
   */
  mailboxFull(route: LocalRoute): Promise<boolean>;
  /**
   * Delivers to local INBOXes (fsynced by the store) and durably queues remote recipients, all before
   * resolving: a caller may acknowledge the message once this returns.
   */
  deliver(request: DeliveryRequest): Promise<DeliveryResult>;
  /** EmailSubmission: routes `to`, refuses unknown local users, then delivers. */
  submit(request: SubmitRequest): Promise<DeliveryResult>;
}
