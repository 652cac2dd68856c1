// Byte-stuffing of a message for RETR and TOP (RFC 1939 §3): every line starting with "." gets one
// more, and the body ends with CRLF "." CRLF. Pure and streaming: the message arrives in slices read
// from the store, and a line may span slices. TOP (RFC 1939 §7) passes the header, the blank line
// and then only the first `bodyLines` lines of the body.

export class DotStuffer {
  private atLineStart = true;
  /** Bytes of the current line before its LF so far, and whether its first byte is CR. */
  private lineLength = 0;
  private lineStartsWithCr = false;
  /** Still in the header (TOP only counts body lines). */
  private inHeader = true;
  private remaining: number;
  private done = false;
  /** The last byte emitted, to know whether the terminator needs a CRLF before it. */
  private lastByte = 0x0a;

  /** `bodyLines` undefined = the whole message (RETR). */
  constructor(private readonly bodyLines?: number) {
    this.remaining = bodyLines ?? Infinity;
  }

  /** True once TOP has passed all it should: the caller may stop reading. */
  get finished(): boolean {
    return this.done;
  }

  /** Stuffs one slice; returns the bytes to send (possibly fewer than given, for TOP). */
  push(chunk: Buffer): Buffer {
    if (this.done) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    let from = 0;
    let i = 0;
    while (i < chunk.length) {
      if (this.atLineStart) {
        if (!this.inHeader && this.remaining <= 0) {
          this.done = true;
          break;
        }
        if (chunk[i] === 0x2e) {
          parts.push(chunk.subarray(from, i), DOT);
          from = i;
        }
        this.lineLength = 0;
        this.lineStartsWithCr = chunk[i] === 0x0d;
      }
      const lf = chunk.indexOf(0x0a, i);
      if (lf < 0) {
        this.lineLength += chunk.length - i;
        this.atLineStart = false;
        i = chunk.length;
        break;
      }
      this.lineLength += lf - i;
      // A line ends here: an empty one (CRLF or a bare LF) ends the header; body lines are counted.
      if (this.inHeader) {
        if (this.lineLength === 0 || (this.lineLength === 1 && this.lineStartsWithCr)) this.inHeader = false;
      } else {
        this.remaining--;
      }
      this.atLineStart = true;
      i = lf + 1;
    }
    parts.push(chunk.subarray(from, i));
    const out = Buffer.concat(parts);
    if (out.length > 0) this.lastByte = out[out.length - 1]!;
    return out;
  }

  /** The end of the response: CRLF when the message did not end with a line break, then ".". */
  end(): Buffer {
    this.done = true;
    return this.lastByte === 0x0a ? Buffer.from('.\r\n') : Buffer.from('\r\n.\r\n');
  }
}

const DOT = Buffer.from('.');
