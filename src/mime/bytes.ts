// The bytes of a message as the structure parser reads them: by position, never as one whole. A
// message in memory is a Buffer (bufferBytes); the store reads a large message being ingested from
// its file through a small window instead (src/store/message-file.ts), so parsing a 40 MB message
// does not first put all of it in memory. The parser only ever asks for single bytes, searches,
// line counts and bounded ranges, each of which a window can answer.

export interface MessageBytes {
  readonly length: number;
  /** The byte at `i` (0 ≤ i < length). */
  at(i: number): number;
  /** The first position ≥ `from` where `needle` lies wholly before `end`, or -1. */
  indexOf(needle: number | Buffer, from: number, end: number): number;
  /** How many times `byte` occurs in [start, end). */
  count(byte: number, start: number, end: number): number;
  /** [start, end) as latin1 text (one character per byte). */
  latin1(start: number, end: number): string;
  /**
   * [start, end) as a Buffer the caller may keep. The whole range is in memory at once: callers ask
   * for header blocks and bodies they must decode whole, not for a message's bulk.
   */
  slice(start: number, end: number): Buffer;
  /**
   * [start, end) in consecutive pieces of at most `size` bytes, read only as far as the caller
   * iterates: a text body decoded only as far as its search text needs is read only that far.
   */
  pieces(start: number, end: number, size: number): Iterable<Buffer>;
}

/** A message held in memory. */
export function bufferBytes(buf: Buffer): MessageBytes {
  return {
    length: buf.length,
    at: (i) => buf[i]!,
    // A view ending at `end` keeps the search inside the range (Buffer.indexOf takes no end).
    indexOf: (needle, from, end) => buf.subarray(0, end).indexOf(needle, from),
    count: (byte, start, end) => countByte(buf, byte, start, end),
    latin1: (start, end) => buf.toString('latin1', start, end),
    slice: (start, end) => buf.subarray(start, end),
    *pieces(start, end, size) {
      for (let at = start; at < end; at += size) yield buf.subarray(at, Math.min(end, at + size));
    },
  };
}

/** How many times `byte` occurs in buf[start, end). */
export function countByte(buf: Buffer, byte: number, start: number, end: number): number {
  const view = buf.subarray(0, end);
  let n = 0;
  for (let i = view.indexOf(byte, start); i >= 0; i = view.indexOf(byte, i + 1)) n++;
  return n;
}

export function isMessageBytes(x: Buffer | MessageBytes): x is MessageBytes {
  return !Buffer.isBuffer(x);
}
