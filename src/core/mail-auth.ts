// The contract between the SMTP front-end and inbound mail authentication (src/delivery/authentication):
// at the end of a message from an unauthenticated, unauthorized client (mail arriving on an MX), the
// session asks for a verdict on SPF, DKIM, DMARC and ARC, refuses the message when the verdict says
// so, and hands the rest to delivery with the header edits the verdict prescribes.
import type { SpooledMessage } from '../store/types.js';

export interface InboundMessage {
  /** MAIL FROM address; '' for the null reverse-path. */
  mailFrom: string;
  /** The client's HELO/EHLO name. */
  helo: string;
  /** The client's IP address. */
  ip: string;
  bytes: Buffer | SpooledMessage;
}

/**
 * How a delivered copy differs from the message as received: `prepend` goes in front (our
 * Authentication-Results), and the byte ranges in `omit` (offsets into the received message, sorted,
 * not overlapping) are left out — header fields that claimed to be our own results.
 */
export interface MessageEdit {
  prepend: string;
  omit: ReadonlyArray<{ start: number; end: number }>;
}

export type InboundVerdict =
  /** Refused in the SMTP dialogue (DMARC policy reject: 550 5.7.1). */
  | { action: 'reject'; code: number; status: string; text: string; edit: MessageEdit }
  /** `quarantine`: local copies go to the recipient's Junk mailbox instead of INBOX. */
  | { action: 'deliver' | 'quarantine'; edit: MessageEdit };

export interface InboundAuthenticator {
  /** Never throws for anything the message or DNS does: failures become temperror/permerror results. */
  check(message: InboundMessage): Promise<InboundVerdict>;
  /**
   * For mail that is not verified (authenticated or trusted clients): only the cut of header fields
   * forging our Authentication-Results, so no client can plant our verdict in a local mailbox.
   */
  stripForged(bytes: Buffer | SpooledMessage): Promise<MessageEdit>;
}
