// DATA transparency (RFC 5321 §4.5.2): removes dot-stuffing and finds the <CRLF>.<CRLF> terminator
// even when it is split across TCP chunks. Only a real CRLF before the dot ends the message: a bare LF
// is normalised to CRLF but never starts a terminator line, which closes the "SMTP smuggling" hole
// (a message cannot be cut short by <LF>.<LF> or <LF>.<CRLF>). Every output line ends in CRLF; a bare
// CR inside a line is kept as data. The decoder keeps nothing: each call returns the message bytes
// decoded from that input, which the session writes to its spool file, so memory stays bounded by
// the size of one input slice whatever the message size.

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

const enum State {
  /** After a real CRLF (or at the start of DATA): a dot here is special. */
  LineStart,
  MidLine,
  /** A CR was seen mid-line and not yet emitted. */
  PendingCr,
  /** A dot at line start. */
  Dot,
  /** Dot then CR at line start: an LF now ends the message. */
  DotCr,
}

export interface DecodeResult {
  /** The terminator was found. */
  done: boolean;
  /** Bytes of the input consumed; anything after the terminator belongs to the next command. */
  consumed: number;
  /** Message bytes decoded from the consumed input (at most twice its length, plus a held-back CR). */
  output: Buffer;
}

export class DataDecoder {
  private state: State = State.LineStart;
  private bareLf = false;
  private nul = false;

  get sawBareLf(): boolean {
    return this.bareLf;
  }
  get sawNul(): boolean {
    return this.nul;
  }

  feed(input: Buffer): DecodeResult {
    // Output can be at most twice the input (every bare LF becomes CRLF) plus a pending CR.
    const out = Buffer.allocUnsafe(input.length * 2 + 2);
    let o = 0;
    let state = this.state;
    let i = 0;
    let done = false;
    for (; i < input.length; i++) {
      const b = input[i]!;
      if (b === 0) this.nul = true;
      switch (state) {
        case State.LineStart:
          if (b === DOT) state = State.Dot;
          else if (b === CR) state = State.PendingCr;
          else if (b === LF) {
            this.bareLf = true;
            out[o++] = CR;
            out[o++] = LF;
            state = State.MidLine;
          } else {
            out[o++] = b;
            state = State.MidLine;
          }
          break;
        case State.MidLine:
          if (b === CR) state = State.PendingCr;
          else if (b === LF) {
            this.bareLf = true;
            out[o++] = CR;
            out[o++] = LF;
          } else out[o++] = b;
          break;
        case State.PendingCr:
        case State.DotCr:
          if (b === LF) {
            if (state === State.DotCr) {
              done = true;
              break;
            }
            out[o++] = CR;
            out[o++] = LF;
            state = State.LineStart;
          } else if (b === CR) {
            out[o++] = CR; // the earlier CR was a bare CR; keep it, this one is now pending
            state = State.PendingCr;
          } else {
            out[o++] = CR;
            out[o++] = b;
            state = State.MidLine;
          }
          break;
        case State.Dot:
          // The leading dot is dropped (un-stuffing); the byte after it is an ordinary byte.
          if (b === CR) state = State.DotCr;
          else if (b === LF) {
            this.bareLf = true;
            out[o++] = CR;
            out[o++] = LF;
            state = State.MidLine;
          } else {
            out[o++] = b;
            state = State.MidLine;
          }
          break;
      }
      if (done) {
        i++;
        break;
      }
    }
    this.state = state;
    return { done, consumed: i, output: out.subarray(0, o) };
  }
}
