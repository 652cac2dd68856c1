// A message file read by position for the MIME parser (MessageBytes, src/mime/bytes.ts) through one
// small window, so ingesting a 40 MB message from its spool or blob file holds the window and what
// the parser keeps (header blocks, the text it indexes), not the message. Before, ingest read the
// whole file into a Buffer to parse it: with several large messages being delivered that was tens of
// MB per message.
//
// The reads are synchronous because the parser is: it runs on the event loop from start to end, as
// it did over a Buffer. The file was written (or renamed into place) just before, so the reads are
// copies from the page cache, a few milliseconds for 40 MB.
import { closeSync, openSync, readSync } from 'node:fs';
import { countByte, type MessageBytes } from '../mime/bytes.js';

/** Bytes read from the file at once; the window is reused for every read. */
export const WINDOW_BYTES = 256 * 1024;

export class MessageFile implements MessageBytes {
  private readonly window: Buffer;
  /** File offset of window[0], and how many bytes of the window are valid. */
  private winStart = 0;
  private winLength = 0;

  private constructor(
    private readonly fd: number,
    readonly length: number,
    windowBytes: number,
    private readonly path: string,
  ) {
    this.window = Buffer.allocUnsafe(Math.max(1, Math.min(windowBytes, length)));
  }

  /**
   * Runs `use` over the file at `path` (of `size` bytes) and closes it. `windowBytes` is for tests,
   * which make windows tiny so that every search crosses their edges.
   */
  static with<T>(path: string, size: number, use: (bytes: MessageBytes) => T, windowBytes = WINDOW_BYTES): T {
    const fd = openSync(path, 'r');
    try {
      return use(new MessageFile(fd, size, windowBytes, path));
    } finally {
      closeSync(fd);
    }
  }

  at(i: number): number {
    if (i < this.winStart || i >= this.winStart + this.winLength) this.load(i);
    return this.window[i - this.winStart]!;
  }

  indexOf(needle: number | Buffer, from: number, end: number): number {
    const n = typeof needle === 'number' ? 1 : needle.length;
    if (n > this.window.length) {
      // Only a hostile boundary is longer than a window: searched in one read of the range.
      const found = from < end ? this.slice(from, end).indexOf(needle) : -1;
      return found < 0 ? -1 : from + found;
    }
    for (let pos = Math.max(0, from); pos + n <= end; ) {
      this.load(pos);
      const stop = Math.min(end, this.winStart + this.winLength);
      const found = this.window.subarray(0, stop - this.winStart).indexOf(needle, pos - this.winStart);
      if (found >= 0) return this.winStart + found;
      if (stop >= end) return -1;
      // A needle may straddle the window's end: the next window starts where it could begin.
      pos = Math.max(pos + 1, stop - n + 1);
    }
    return -1;
  }

  count(byte: number, start: number, end: number): number {
    let n = 0;
    for (let pos = start; pos < end; ) {
      this.load(pos);
      const stop = Math.min(end, this.winStart + this.winLength);
      n += countByte(this.window, byte, pos - this.winStart, stop - this.winStart);
      pos = stop;
    }
    return n;
  }

  latin1(start: number, end: number): string {
    if (end <= start) return '';
    if (start >= this.winStart && end <= this.winStart + this.winLength) return this.window.toString('latin1', start - this.winStart, end - this.winStart);
    if (end - start <= this.window.length) {
      this.load(start);
      return this.window.toString('latin1', 0, end - start);
    }
    return this.slice(start, end).toString('latin1');
  }

  slice(start: number, end: number): Buffer {
    const out = Buffer.allocUnsafe(Math.max(0, end - start));
    this.readInto(out, start);
    return out;
  }

  *pieces(start: number, end: number, size: number): Generator<Buffer> {
    for (let at = start; at < end; at += size) yield this.slice(at, Math.min(end, at + size));
  }

  /** Fills the window from file offset `pos`. */
  private load(pos: number): void {
    if (pos < 0 || pos >= this.length) throw new RangeError(`offset ${pos} outside ${this.path} (${this.length} bytes)`);
    this.winStart = pos;
    this.winLength = 0;
    this.winLength = this.readInto(this.window.subarray(0, Math.min(this.window.length, this.length - pos)), pos);
  }

  private readInto(out: Buffer, position: number): number {
    let off = 0;
    while (off < out.length) {
      const n = readSync(this.fd, out, off, out.length - off, position + off);
      if (n === 0) throw new Error(`${this.path} ended after ${position + off} of ${this.length} bytes`);
      off += n;
    }
    return off;
  }
}
