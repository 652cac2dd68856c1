// The running size of a message as it arrives (SMTP DATA after un-stuffing or BDAT chunks, an IMAP
// literal, a JMAP upload body), against the configured maximum. Past the maximum the bytes are only
// counted: the client's input must still be consumed up to the end of the message, but none of it
// is kept.

export class SizeLimit {
  private size = 0;
  private exceeded = false;

  /** @param maxSize largest message accepted, in bytes; 0 = unlimited. */
  constructor(private readonly maxSize: number) {}

  /** Every byte seen, including those past the limit. */
  get byteCount(): number {
    return this.size;
  }

  get overflow(): boolean {
    return this.exceeded;
  }

  /** Counts `n` more bytes; false once the message is over the limit (and from then on). */
  add(n: number): boolean {
    this.size += n;
    if (this.maxSize > 0 && this.size > this.maxSize) this.exceeded = true;
    return !this.exceeded;
  }
}
