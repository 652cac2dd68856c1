// Stored bytes handed out a piece at a time: a message or blob is never read whole into memory to be
// served (IMAP FETCH, POP3 RETR, JMAP downloads, outbound relay read them so).

/** A stored message or blob (or a range of it), read lazily. */
export interface ByteSource {
  /** Bytes the chunks add up to: the range's length, clipped to the stored size. */
  readonly size: number;
  /**
   * The bytes, in chunks of at most 256 KiB. Iterate once; stopping early releases what was opened.
   * Throws BytesGoneError when the bytes went away after the source was opened (a blob collected
   * meanwhile): a reader that has sent part of them must then give up on the whole response.
   */
  chunks(): AsyncIterable<Buffer>;
}

/** The stored bytes of an opened source vanished, or came out shorter than its size, while being read. */
export class BytesGoneError extends Error {
  constructor(readonly blobId: string) {
    super(`blob ${blobId} went away while it was read`);
    this.name = 'BytesGoneError';
  }
}
