// The message model: what a message is once parsed, shared by the store (which computes it once at
// ingest and keeps it) and every protocol that reads it (IMAP ENVELOPE/BODYSTRUCTURE/SORT/THREAD,
// JMAP Email/get and Email/query). Plain data only, so it serialises to JSON as it is.

/** JMAP EmailAddress. */
export interface EmailAddress {
  name: string | null;
  email: string;
}

/** JMAP EmailAddressGroup (name null = addresses outside any group). */
export interface EmailAddressGroup {
  name: string | null;
  addresses: EmailAddress[];
}

/**
 * One IMAP ENVELOPE address. RFC 3501 group syntax: a group start is { mailbox: groupName,
 * host: null }, its end { mailbox: null, host: null }.
 */
export interface EnvelopeAddress {
  name: string | null;
  adl: string | null;
  mailbox: string | null;
  host: string | null;
}

/**
 * IMAP ENVELOPE fields, ready to serialise. Strings are the raw header values (unfolded, encoded
 * words NOT decoded, as RFC 3501 requires); sender and replyTo already default to `from`.
 * NIL is null.
 */
export interface Envelope {
  date: string | null;
  subject: string | null;
  from: EnvelopeAddress[] | null;
  sender: EnvelopeAddress[] | null;
  replyTo: EnvelopeAddress[] | null;
  to: EnvelopeAddress[] | null;
  cc: EnvelopeAddress[] | null;
  bcc: EnvelopeAddress[] | null;
  inReplyTo: string | null;
  messageId: string | null;
}

/** A header field as it appears in the message: name as written, value raw (folded, undecoded). */
export interface RawHeader {
  name: string;
  /** Everything after the colon up to (not including) the final CRLF, folding kept. */
  value: string;
}

/**
 * One MIME part with byte offsets into the message (blob). Offsets let IMAP serve BODY[1.2.MIME],
 * BODY[1.2], BINARY[…] and JMAP serve part blobs without re-parsing.
 */
export interface MimePart {
  /**
   * IMAP section number: "1", "1.2", "2.1.3"… A non-multipart message's root body is "1"; the root
   * of a multipart message and of an embedded message/rfc822 has the id of its container ("" for
   * the top level) since IMAP does not number them separately. Also usable as JMAP partId.
   */
  partId: string;
  /** Offset of the first header byte of this part. */
  headerStart: number;
  /** Offset of the first body byte (after the blank line; = end of headers when there is none). */
  bodyStart: number;
  /** Offset just past the last body byte (the CRLF before a boundary belongs to the boundary). */
  end: number;
  /** Lowercase, e.g. "text". Defaults to text/plain (or message/rfc822 in multipart/digest). */
  type: string;
  /** Lowercase, e.g. "plain". */
  subtype: string;
  /** Content-Type parameters; names lowercase, RFC 2231 continuations joined and decoded. */
  params: Record<string, string>;
  contentId: string | null;
  description: string | null;
  /** Content-Transfer-Encoding as written, lowercase ("7bit" when absent). */
  encoding: string;
  /** Body size in bytes (bodyStart..end). */
  size: number;
  /**
   * Size after undoing the Content-Transfer-Encoding (JMAP EmailBodyPart.size, IMAP BINARY.SIZE),
   * computed once at delivery for leaf parts; absent on multiparts.
   */
  decodedSize?: number;
  /** Line count of the body, for text/* and message/rfc822 (IMAP BODYSTRUCTURE); else null. */
  lines: number | null;
  md5: string | null;
  disposition: { type: string; params: Record<string, string> } | null;
  language: string[] | null;
  location: string | null;
  /** This part's header fields, raw. */
  headers: RawHeader[];
  /** Sub-parts of a multipart (empty otherwise). */
  children: MimePart[];
  /** For message/rfc822 (and message/global): the embedded message's envelope and body. */
  message: { envelope: Envelope; body: MimePart } | null;
}

/** Everything computed at delivery that readers need without touching the blob. */
export interface ParsedMessage {
  envelope: Envelope;
  body: MimePart;
  /** Header fields of the message (top level), raw. */
  headers: RawHeader[];
  /** Decoded JMAP forms. */
  subject: string | null;
  from: EmailAddress[] | null;
  sender: EmailAddress[] | null;
  replyTo: EmailAddress[] | null;
  to: EmailAddress[] | null;
  cc: EmailAddress[] | null;
  bcc: EmailAddress[] | null;
  /** Message-ID values without angle brackets. */
  messageId: string[] | null;
  inReplyTo: string[] | null;
  references: string[] | null;
  /** Date header, parsed (./date.ts); null when absent or unparseable. */
  sentAt: Date | null;
  /**
   * The calendar day the Date header names, in its own zone, as days since 1970-01-01: what IMAP
   * SENTBEFORE/SENTON/SENTSINCE compare ("disregarding time and timezone", RFC 3501 §6.4.4).
   */
  sentDay: number | null;
  /** JMAP preview: up to 256 characters of the text body, whitespace collapsed. */
  preview: string;
  /** JMAP hasAttachment. */
  hasAttachment: boolean;
  /** True when parsing hit malformed input and some fields fell back to defaults. */
  degraded: boolean;
  /** Sort keys (./sort-keys.ts), the same strings IMAP SORT and JMAP Email/query compare. */
  sort: SortKeys;
}

/**
 * Sort keys, each already in i;ascii-casemap form (RFC 4790: ASCII letters upper-cased) so that
 * comparing their UTF-8 octets (SQLite BINARY, Buffer.compare) is the comparison RFC 5256 asks for.
 */
export interface SortKeys {
  /** RFC 5256 §2.1 base subject; also the RFC 8621 threading subject. */
  subject: string;
  /** Local part of the first From / To / Cc address (RFC 5256 FROM, TO, CC). */
  from: string;
  to: string;
  cc: string;
  /** RFC 5957 DISPLAYFROM / DISPLAYTO: decoded display name, else the address. */
  displayFrom: string;
  displayTo: string;
}
