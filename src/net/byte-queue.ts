// Buffered client input of a line protocol (SMTP, POP3). A session reads commands as lines, and SMTP
// DATA as a dot-terminated stream and BDAT as counted bytes, from the same queue, switching between
// them at exact byte boundaries so pipelined input is never lost or misread.

export type LineResult =
  | { kind: 'line'; line: Buffer; bareLf: boolean }
  /** More bytes are needed. */
  | { kind: 'incomplete' }
  /**
   * The line exceeded the limit. Its bytes so far were dropped; the queue keeps dropping until the
   * line's LF arrives, so a 10 MB line costs no memory.
   */
  | { kind: 'too-long' };

export class ByteQueue {
  private chunks: Buffer[] = [];
  private total = 0;
  /** Inside an over-long line: drop bytes up to and including the next LF. */
  private discardingLine = false;
  /**
   * The first `scannedChunks` chunks (`scannedBytes` bytes) hold no LF: a line arriving in many
   * small reads is searched once, not from its start at every read (which made a 64 KiB line sent
   * one byte per TCP segment cost minutes of CPU).
   */
  private scannedChunks = 0;
  private scannedBytes = 0;

  get length(): number {
    return this.total;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.discardingLine) {
      const lf = chunk.indexOf(0x0a);
      if (lf < 0) return;
      this.discardingLine = false;
      chunk = chunk.subarray(lf + 1);
      if (chunk.length === 0) return;
    }
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /** Drops everything buffered (RFC 3207: input pipelined after STARTTLS is discarded). */
  clear(): void {
    this.chunks = [];
    this.total = 0;
    this.discardingLine = false;
    this.rescan();
  }

  /** Puts bytes back at the front (a reader consumed less than it was given). */
  unshift(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.unshift(chunk);
    this.total += chunk.length;
    this.rescan();
  }

  /** The front of the queue changed: the next line search starts over. */
  private rescan(): void {
    this.scannedChunks = 0;
    this.scannedBytes = 0;
  }

  /**
   * Takes one line, without its line ending. `maxLength` counts the line including CRLF, as RFC 5321
   * §4.5.3.1 counts it.
   */
  takeLine(maxLength: number): LineResult {
    for (; this.scannedChunks < this.chunks.length; this.scannedChunks++) {
      const c = this.chunks[this.scannedChunks]!;
      const lf = c.indexOf(0x0a);
      if (lf >= 0) {
        const lineEnd = this.scannedBytes + lf; // index of LF in the concatenation
        if (lineEnd + 1 > maxLength) {
          this.takeBytes(lineEnd + 1);
          return { kind: 'too-long' };
        }
        const raw = this.takeBytes(lineEnd + 1);
        const hasCr = raw.length >= 2 && raw[raw.length - 2] === 0x0d;
        return { kind: 'line', line: raw.subarray(0, raw.length - (hasCr ? 2 : 1)), bareLf: !hasCr };
      }
      this.scannedBytes += c.length;
    }
    if (this.total >= maxLength) {
      this.clear();
      this.discardingLine = true;
      return { kind: 'too-long' };
    }
    return { kind: 'incomplete' };
  }

  /** Takes up to `n` bytes from the front. */
  takeBytes(n: number): Buffer {
    if (n >= this.total) return this.takeAll();
    this.rescan();
    const first = this.chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.total -= n;
      return out;
    }
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const c = this.chunks[0]!;
      if (c.length <= need) {
        parts.push(c);
        this.chunks.shift();
        need -= c.length;
      } else {
        parts.push(c.subarray(0, need));
        this.chunks[0] = c.subarray(need);
        need = 0;
      }
    }
    this.total -= n;
    return Buffer.concat(parts, n);
  }

  takeAll(): Buffer {
    const out = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.total);
    this.chunks = [];
    this.total = 0;
    this.rescan();
    return out;
  }
}
